// Golden bytes, computed by hand from the specs and protocol.md §1 and §3 (not produced by the codec).

import { Reader } from '../../../src/protocol/codec/reader';
import { Writer } from '../../../src/protocol/codec/writer';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
} from '../../../src/protocol/header';
import {
  ApiKey,
  decodeApiVersionsResponse,
  decodeMetadataRequest,
  decodeMetadataResponse,
  decodeProduceRequest,
  encodeApiVersionsResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  encodeProduceRequest,
} from '../../../src/protocol/messages/generated';

/** Hex with spaces/comments-free parts joined. */
function hex(...parts: string[]): Buffer {
  return Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex');
}

function written(fn: (w: Writer) => void): string {
  const w = new Writer();
  fn(w);
  return w.toBuffer().toString('hex');
}

describe('request headers', () => {
  const v1 = hex(
    '0003', // request_api_key 3 (Metadata)
    '0008', // request_api_version 8 (not flexible: Metadata is flexible from 9) -> header v1
    '0000007b', // correlation_id 123
    '0003 636c69', // client_id: int16 length 3, "cli"
  );
  const v2 = hex(
    '0012', // request_api_key 18 (ApiVersions)
    '0003', // request_api_version 3 (flexible) -> header v2
    '00000001', // correlation_id 1
    '0007 6b61666b616a73', // client_id: still an int16 length (field flexibleVersions "none"), "kafkajs"
    '00', // empty tagged-field section
  );
  const v0 = hex(
    '0007', // request_api_key 7 (ControlledShutdown)
    '0000', // request_api_version 0 -> header v0, no client_id
    '00000009', // correlation_id 9
  );

  test('v1 encodes and decodes', () => {
    const h = { apiKey: 3, apiVersion: 8, correlationId: 123, clientId: 'cli' };
    expect(written((w) => encodeRequestHeader(w, h))).toBe(v1.toString('hex'));
    const r = new Reader(v1);
    expect(decodeRequestHeader(r)).toEqual({ ...h, headerVersion: 1 });
    expect(r.remaining()).toBe(0);
  });

  test('v2 encodes and decodes', () => {
    const h = { apiKey: 18, apiVersion: 3, correlationId: 1, clientId: 'kafkajs' };
    expect(written((w) => encodeRequestHeader(w, h))).toBe(v2.toString('hex'));
    const r = new Reader(v2);
    expect(decodeRequestHeader(r)).toEqual({ ...h, headerVersion: 2 });
    expect(r.remaining()).toBe(0);
  });

  test('v0 (ControlledShutdown v0) has no client id', () => {
    const h = { apiKey: 7, apiVersion: 0, correlationId: 9, clientId: null };
    expect(written((w) => encodeRequestHeader(w, h))).toBe(v0.toString('hex'));
    expect(decodeRequestHeader(new Reader(v0))).toEqual({ ...h, clientId: '', headerVersion: 0 });
  });

  test('a null client id decodes as ""', () => {
    const r = new Reader(hex('0003 0001 00000005 ffff'));
    expect(decodeRequestHeader(r)).toEqual({
      apiKey: 3,
      apiVersion: 1,
      correlationId: 5,
      clientId: '',
      headerVersion: 1,
    });
  });

  test('unknown tagged fields in header v2 are skipped', () => {
    const r = new Reader(hex('0012 0003 00000001 0000', '01 05 02 abcd', 'ff'));
    expect(decodeRequestHeader(r).headerVersion).toBe(2);
    expect(r.remaining()).toBe(1);
  });

  test('an unknown API key is parsed as header v1', () => {
    const r = new Reader(hex('03e7 0063 00000002 0001 78', 'aa'));
    expect(decodeRequestHeader(r)).toEqual({
      apiKey: 999,
      apiVersion: 99,
      correlationId: 2,
      clientId: 'x',
      headerVersion: 1,
    });
    expect(r.remaining()).toBe(1);
  });

  test('ApiVersions above the supported range still uses header v2 (flexible ranges are open-ended)', () => {
    const r = new Reader(hex('0012 0063 00000001 0000 00'));
    expect(decodeRequestHeader(r).headerVersion).toBe(2);
    expect(r.remaining()).toBe(0);
  });
});

describe('response headers', () => {
  test('v0 for non-flexible versions, v1 (+ tagged section) for flexible ones', () => {
    expect(written((w) => encodeResponseHeader(w, ApiKey.Metadata, 8, 7))).toBe('00000007');
    expect(written((w) => encodeResponseHeader(w, ApiKey.Metadata, 9, 7))).toBe('0000000700');
    expect(decodeResponseHeader(new Reader(hex('0000000700')), ApiKey.Metadata, 9)).toEqual({
      correlationId: 7,
    });
  });

  test('ApiVersions responses always use header v0', () => {
    expect(written((w) => encodeResponseHeader(w, ApiKey.ApiVersions, 3, 7))).toBe('00000007');
    expect(written((w) => encodeResponseHeader(w, ApiKey.ApiVersions, 4, 7))).toBe('00000007');
    const r = new Reader(hex('00000007'));
    expect(decodeResponseHeader(r, ApiKey.ApiVersions, 3)).toEqual({ correlationId: 7 });
    expect(r.remaining()).toBe(0);
  });
});

test('ApiVersions v3 response (header v0, compact array, tagged fields)', () => {
  const frame = hex(
    // response header v0 (never v1 for ApiVersions)
    '00000007', // correlation_id 7
    // body
    '0000', // error_code 0
    '03', // api_keys: compact array, uvarint N+1 = 3 -> 2 entries
    '0000 0000 000b 00', //   {api_key 0, min_version 0, max_version 11, empty tagged section}
    '0012 0000 0004 00', //   {api_key 18, min_version 0, max_version 4, empty tagged section}
    '00000000', // throttle_time_ms 0
    '02', // tagged-field section: 2 fields (SupportedFeatures/FinalizedFeatures are empty = default)
    '01 08 0000000000000005', //   tag 1 FinalizedFeaturesEpoch, size 8, int64 5
    '03 01 01', //   tag 3 ZkMigrationReady, size 1, true
  );
  const body = {
    errorCode: 0,
    apiKeys: [
      { apiKey: 0, minVersion: 0, maxVersion: 11 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ],
    throttleTimeMs: 0,
    finalizedFeaturesEpoch: 5n,
    zkMigrationReady: true,
  };
  const w = new Writer();
  encodeResponseHeader(w, ApiKey.ApiVersions, 3, 7);
  encodeApiVersionsResponse(w, body, 3);
  expect(w.toBuffer().toString('hex')).toBe(frame.toString('hex'));

  const r = new Reader(frame);
  expect(decodeResponseHeader(r, ApiKey.ApiVersions, 3)).toEqual({ correlationId: 7 });
  expect(decodeApiVersionsResponse(r, 3)).toStrictEqual({
    ...body,
    supportedFeatures: [],
    finalizedFeatures: [],
  });
  expect(r.remaining()).toBe(0);
});

test('ApiVersions v3 response with defaults only: error_code, api_keys, throttle_time_ms, 0x00', () => {
  const w = new Writer();
  encodeApiVersionsResponse(w, { errorCode: 35, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] }, 3);
  expect(w.toBuffer().toString('hex')).toBe(
    hex('0023', '02 0012 0000 0004 00', '00000000', '00').toString('hex'),
  );
});

test('Metadata v9 request (header v2, compact strings, tagged sections)', () => {
  const frame = hex(
    // request header v2
    '0003', // request_api_key 3
    '0009', // request_api_version 9
    '0000002a', // correlation_id 42
    '0003 636c69', // client_id int16 length 3, "cli"
    '00', // header tagged fields: none
    // body
    '02', // topics: compact array, 1 entry
    '04 666f6f', //   name: compact string, uvarint 3+1, "foo" (no topic_id before v10)
    '00', //   topic tagged fields: none
    '01', // allow_auto_topic_creation true (v4+)
    '00', // include_cluster_authorized_operations false (v8-10)
    '01', // include_topic_authorized_operations true (v8+)
    '00', // body tagged fields: none
  );
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 3, apiVersion: 9, correlationId: 42, clientId: 'cli' });
  encodeMetadataRequest(w, { topics: [{ name: 'foo' }], includeTopicAuthorizedOperations: true }, 9);
  expect(w.toBuffer().toString('hex')).toBe(frame.toString('hex'));

  const r = new Reader(frame);
  expect(decodeRequestHeader(r)).toEqual({
    apiKey: 3,
    apiVersion: 9,
    correlationId: 42,
    clientId: 'cli',
    headerVersion: 2,
  });
  expect(decodeMetadataRequest(r, 9)).toStrictEqual({
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'foo' }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: true,
  });
  expect(r.remaining()).toBe(0);
});

test('Metadata v9 response (header v1, nullable compact strings, defaults)', () => {
  const frame = hex(
    // response header v1
    '0000002a', // correlation_id 42
    '00', // header tagged fields: none
    // body
    '00000000', // throttle_time_ms 0
    '02', // brokers: compact array, 1 entry
    '00000001', //   node_id 1
    '02 68', //   host: compact string "h"
    '00002384', //   port 9092
    '00', //   rack: compact nullable string, null
    '00', //   broker tagged fields
    '02 63', // cluster_id: compact nullable string "c"
    '00000001', // controller_id 1
    '02', // topics: 1 entry
    '0000', //   error_code 0
    '04 666f6f', //   name "foo"
    '00', //   is_internal false
    '02', //   partitions: 1 entry
    '0000', //     error_code 0
    '00000000', //     partition_index 0
    '00000001', //     leader_id 1
    '00000005', //     leader_epoch 5
    '02 00000001', //     replica_nodes [1]
    '02 00000001', //     isr_nodes [1]
    '01', //     offline_replicas []
    '00', //     partition tagged fields
    '80000000', //   topic_authorized_operations: default -2147483648
    '00', //   topic tagged fields
    '80000000', // cluster_authorized_operations (v8-10): default -2147483648
    '00', // body tagged fields
  );
  const w = new Writer();
  encodeResponseHeader(w, ApiKey.Metadata, 9, 42);
  encodeMetadataResponse(
    w,
    {
      brokers: [{ nodeId: 1, host: 'h', port: 9092 }],
      clusterId: 'c',
      controllerId: 1,
      topics: [
        {
          name: 'foo',
          partitions: [{ partitionIndex: 0, leaderId: 1, leaderEpoch: 5, replicaNodes: [1], isrNodes: [1] }],
        },
      ],
    },
    9,
  );
  expect(w.toBuffer().toString('hex')).toBe(frame.toString('hex'));

  const r = new Reader(frame);
  expect(decodeResponseHeader(r, ApiKey.Metadata, 9)).toEqual({ correlationId: 42 });
  const decoded = decodeMetadataResponse(r, 9);
  expect(r.remaining()).toBe(0);
  expect(decoded.brokers).toStrictEqual([{ nodeId: 1, host: 'h', port: 9092, rack: null }]);
  expect(decoded.clusterId).toBe('c');
  expect(decoded.clusterAuthorizedOperations).toBe(-2147483648);
  expect(decoded.topics[0]).toMatchObject({
    errorCode: 0,
    name: 'foo',
    topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
    isInternal: false,
    topicAuthorizedOperations: -2147483648,
  });
  expect(decoded.topics[0].partitions[0]).toStrictEqual({
    errorCode: 0,
    partitionIndex: 0,
    leaderId: 1,
    leaderEpoch: 5,
    replicaNodes: [1],
    isrNodes: [1],
    offlineReplicas: [],
  });
});

test('Produce v9 request (compact nullable string, compact records)', () => {
  const records = hex('0102030405');
  const frame = hex(
    // request header v2
    '0000', // request_api_key 0
    '0009', // request_api_version 9
    '00000001', // correlation_id 1
    'ffff', // client_id null (int16 -1)
    '00', // header tagged fields
    // body
    '00', // transactional_id: compact nullable string, null
    'ffff', // acks -1
    '00007530', // timeout_ms 30000
    '02', // topic_data: 1 entry
    '02 74', //   name "t"
    '02', //   partition_data: 1 entry
    '00000000', //     index 0
    '06 0102030405', //     records: compact nullable bytes, uvarint 5+1, 5 bytes
    '00', //     partition tagged fields
    '00', //   topic tagged fields
    '00', // body tagged fields
  );
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: null });
  encodeProduceRequest(
    w,
    {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
    },
    9,
  );
  expect(w.toBuffer().toString('hex')).toBe(frame.toString('hex'));

  const r = new Reader(frame);
  expect(decodeRequestHeader(r)).toEqual({
    apiKey: 0,
    apiVersion: 9,
    correlationId: 1,
    clientId: '',
    headerVersion: 2,
  });
  const decoded = decodeProduceRequest(r, 9);
  expect(r.remaining()).toBe(0);
  expect(decoded).toStrictEqual({
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
  });
  // records are a zero-copy view of the request buffer
  const got = decoded.topicData[0].partitionData[0].records as Buffer;
  expect(got.buffer).toBe(frame.buffer);
  expect(got.byteOffset).toBe(frame.byteOffset + frame.length - 3 - 5);
});

test('Produce v3 request (non-flexible: int16 string, int32 array count and records length)', () => {
  const w = new Writer();
  encodeProduceRequest(
    w,
    {
      transactionalId: 'tx',
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 't', partitionData: [{ index: 2, records: null }] }],
    },
    3,
  );
  expect(w.toBuffer().toString('hex')).toBe(
    hex(
      '0002 7478', // transactional_id "tx"
      '0001', // acks 1
      '000003e8', // timeout_ms 1000
      '00000001', // topic_data: int32 count 1
      '0001 74', //   name "t"
      '00000001', //   partition_data: 1 entry
      '00000002', //     index 2
      'ffffffff', //     records null (int32 -1)
    ).toString('hex'),
  );
});
