// Encoder/decoder rules that the round-trip tests do not pin down by themselves.

import { Reader } from '../../../src/protocol/codec/reader';
import { Writer } from '../../../src/protocol/codec/writer';
import {
  decodeConsumerProtocolSubscription,
  decodeFetchRequest,
  decodeMetadataRequest,
  encodeConsumerProtocolSubscription,
  encodeFetchRequest,
  encodeMetadataRequest,
  encodeMetadataResponse,
  encodeProduceRequest,
} from '../../../src/protocol/messages/generated';

function bytes(fn: (w: Writer) => void): Buffer {
  const w = new Writer();
  fn(w);
  return w.toBuffer();
}

test('null in a version where the field is not nullable throws; where it is nullable, it encodes null', () => {
  // MetadataRequest.Topics is nullable from v1
  expect(() => bytes((w) => encodeMetadataRequest(w, { topics: null }, 0))).toThrow(
    /topics: null is not allowed in version 0/,
  );
  expect(bytes((w) => encodeMetadataRequest(w, { topics: null }, 1)).toString('hex')).toBe('ffffffff');
  expect(decodeMetadataRequest(new Reader(Buffer.from('ffffffff', 'hex')), 1).topics).toBeNull();
  // MetadataResponse topic Name is nullable only from v12
  const topics = [{ name: null }];
  expect(() => bytes((w) => encodeMetadataResponse(w, { topics }, 11))).toThrow(
    /name: null is not allowed in version 11/,
  );
  expect(() => bytes((w) => encodeMetadataResponse(w, { topics }, 12))).not.toThrow();
});

test('a null array where the version forbids it is a decode error', () => {
  expect(() => decodeMetadataRequest(new Reader(Buffer.from('ffffffff', 'hex')), 0)).toThrow(/null/);
});

test('versions outside validVersions are rejected', () => {
  expect(() => bytes((w) => encodeProduceRequest(w, {}, 12))).toThrow(/unsupported version 12/);
  expect(() => bytes((w) => encodeProduceRequest(w, {}, -1))).toThrow(/unsupported version/);
  expect(() => decodeMetadataRequest(new Reader(Buffer.alloc(0)), 13)).toThrow(/unsupported version 13/);
});

test('fields absent from the version are skipped on encode and defaulted on decode', () => {
  // TransactionalId exists from Produce v3: v2 output starts with acks
  expect(bytes((w) => encodeProduceRequest(w, { transactionalId: 'tx', acks: 1 }, 2)).toString('hex')).toBe(
    '0001' + '00000000' + '00000000',
  );
  // ConsumerProtocolSubscription v0 has neither GenerationId (default -1) nor RackId (default null)
  const buf = bytes((w) =>
    encodeConsumerProtocolSubscription(w, { topics: ['a'], generationId: 5, rackId: 'r' }, 0),
  );
  expect(decodeConsumerProtocolSubscription(new Reader(buf), 0)).toStrictEqual({
    topics: ['a'],
    userData: null,
    ownedPartitions: [],
    generationId: -1,
    rackId: null,
  });
});

test('tagged fields are written only when they differ from their default', () => {
  const base = { replicaId: -1, topics: [] };
  const plain = bytes((w) => encodeFetchRequest(w, base, 12));
  const withNullCluster = bytes((w) => encodeFetchRequest(w, { ...base, clusterId: null }, 12));
  expect(withNullCluster.equals(plain)).toBe(true);
  expect(plain[plain.length - 1]).toBe(0); // empty tagged section
  const withCluster = bytes((w) => encodeFetchRequest(w, { ...base, clusterId: 'abc' }, 12));
  // tagged section: 1 field, tag 0, size 4, compact string "abc"
  expect(withCluster.subarray(plain.length - 1).toString('hex')).toBe('01' + '00' + '04' + '04616263');
  expect(decodeFetchRequest(new Reader(withCluster), 12).clusterId).toBe('abc');
  // a tagged struct equal to its default struct is not written either
  const defaultState = bytes((w) =>
    encodeFetchRequest(w, { ...base, replicaState: { replicaId: -1, replicaEpoch: -1n } }, 15),
  );
  expect(defaultState.equals(bytes((w) => encodeFetchRequest(w, base, 15)))).toBe(true);
  const state = bytes((w) => encodeFetchRequest(w, { ...base, replicaState: { replicaId: 3 } }, 15));
  expect(decodeFetchRequest(new Reader(state), 15).replicaState).toStrictEqual({
    replicaId: 3,
    replicaEpoch: -1n,
  });
});

test('unknown tagged fields are kept and written back in tag order with the known ones', () => {
  const base = { replicaId: -1, topics: [] };
  const buf = bytes((w) =>
    encodeFetchRequest(
      w,
      { ...base, clusterId: 'c', _unknownTaggedFields: [{ tag: 7, data: Buffer.from([9]) }] },
      12,
    ),
  );
  const decoded = decodeFetchRequest(new Reader(buf), 12);
  expect(decoded.clusterId).toBe('c');
  expect(decoded._unknownTaggedFields).toStrictEqual([{ tag: 7, data: Buffer.from([9]) }]);
  expect(bytes((w) => encodeFetchRequest(w, decoded, 12)).equals(buf)).toBe(true);
  expect(buf.subarray(buf.length - 8).toString('hex')).toBe('02' + '00' + '02' + '0263' + '07' + '01' + '09');
});
