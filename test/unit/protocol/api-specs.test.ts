// The registry against protocol.md §4 (typed in from the reference table, independent of the generator),
// header-version rules (§6), and the error-code table (§7).

import { requestHeaderVersion, responseHeaderVersion } from '../../../src/protocol/header';
import { ErrorCode, errorName, isRetriable } from '../../../src/protocol/errors';
import { API_SPECS, ApiKey } from '../../../src/protocol/messages/generated';

// [api key, name, max version, flexible from (null = never)]; every min version is 0.
const TABLE: [number, string, number, number | null][] = [
  [0, 'Produce', 11, 9],
  [1, 'Fetch', 17, 12],
  [2, 'ListOffsets', 9, 6],
  [3, 'Metadata', 12, 9],
  [4, 'LeaderAndIsr', 7, 4],
  [5, 'StopReplica', 4, 2],
  [6, 'UpdateMetadata', 8, 6],
  [7, 'ControlledShutdown', 3, 3],
  [8, 'OffsetCommit', 9, 8],
  [9, 'OffsetFetch', 9, 6],
  [10, 'FindCoordinator', 6, 3],
  [11, 'JoinGroup', 9, 6],
  [12, 'Heartbeat', 4, 4],
  [13, 'LeaveGroup', 5, 4],
  [14, 'SyncGroup', 5, 4],
  [15, 'DescribeGroups', 5, 5],
  [16, 'ListGroups', 5, 3],
  [17, 'SaslHandshake', 1, null],
  [18, 'ApiVersions', 4, 3],
  [19, 'CreateTopics', 7, 5],
  [20, 'DeleteTopics', 6, 4],
  [21, 'DeleteRecords', 2, 2],
  [22, 'InitProducerId', 5, 2],
  [23, 'OffsetForLeaderEpoch', 4, 4],
  [24, 'AddPartitionsToTxn', 5, 3],
  [25, 'AddOffsetsToTxn', 4, 3],
  [26, 'EndTxn', 4, 3],
  [27, 'WriteTxnMarkers', 1, 1],
  [28, 'TxnOffsetCommit', 4, 3],
  [29, 'DescribeAcls', 3, 2],
  [30, 'CreateAcls', 3, 2],
  [31, 'DeleteAcls', 3, 2],
  [32, 'DescribeConfigs', 4, 4],
  [33, 'AlterConfigs', 2, 2],
  [34, 'AlterReplicaLogDirs', 2, 2],
  [35, 'DescribeLogDirs', 4, 2],
  [36, 'SaslAuthenticate', 2, 2],
  [37, 'CreatePartitions', 3, 2],
  [38, 'CreateDelegationToken', 3, 2],
  [39, 'RenewDelegationToken', 2, 2],
  [40, 'ExpireDelegationToken', 2, 2],
  [41, 'DescribeDelegationToken', 3, 2],
  [42, 'DeleteGroups', 2, 2],
  [43, 'ElectLeaders', 2, 2],
  [44, 'IncrementalAlterConfigs', 1, 1],
  [45, 'AlterPartitionReassignments', 0, 0],
  [46, 'ListPartitionReassignments', 0, 0],
  [47, 'OffsetDelete', 0, null],
  [48, 'DescribeClientQuotas', 1, 1],
  [49, 'AlterClientQuotas', 1, 1],
  [50, 'DescribeUserScramCredentials', 0, 0],
  [51, 'AlterUserScramCredentials', 0, 0],
  [56, 'AlterPartition', 3, 0],
  [57, 'UpdateFeatures', 1, 0],
  [58, 'Envelope', 0, 0],
  [60, 'DescribeCluster', 1, 0],
  [61, 'DescribeProducers', 0, 0],
  [65, 'DescribeTransactions', 0, 0],
  [66, 'ListTransactions', 1, 0],
  [67, 'AllocateProducerIds', 0, 0],
  [68, 'ConsumerGroupHeartbeat', 0, 0],
  [69, 'ConsumerGroupDescribe', 0, 0],
];

test('API_SPECS lists exactly the 62 zkBroker APIs of protocol.md §4', () => {
  expect([...API_SPECS.keys()]).toEqual(TABLE.map((row) => row[0]));
  for (const [key, name, max, flexibleMin] of TABLE) {
    const spec = API_SPECS.get(key);
    expect({
      apiKey: spec?.apiKey,
      name: spec?.name,
      min: spec?.minVersion,
      max: spec?.maxVersion,
      flexibleMin: spec?.flexibleMin,
    }).toEqual({
      apiKey: key,
      name,
      min: 0,
      max,
      flexibleMin,
    });
    expect(spec?.listeners).toContain('zkBroker');
    expect((ApiKey as unknown as Record<string, number>)[name]).toBe(key);
  }
});

test('non-zkBroker APIs are absent', () => {
  for (const key of [52, 53, 54, 55, 59, 62, 63, 64, 70, 71, 72, 73, 74, 75, 76, 80, 83]) {
    expect(API_SPECS.has(key)).toBe(false);
  }
});

test('header versions follow §6', () => {
  expect(requestHeaderVersion(ApiKey.Produce, 8)).toBe(1);
  expect(requestHeaderVersion(ApiKey.Produce, 9)).toBe(2);
  expect(responseHeaderVersion(ApiKey.Produce, 8)).toBe(0);
  expect(responseHeaderVersion(ApiKey.Produce, 9)).toBe(1);
  expect(requestHeaderVersion(ApiKey.ControlledShutdown, 0)).toBe(0);
  expect(requestHeaderVersion(ApiKey.ControlledShutdown, 1)).toBe(1);
  expect(requestHeaderVersion(ApiKey.ControlledShutdown, 3)).toBe(2);
  expect(requestHeaderVersion(ApiKey.ApiVersions, 3)).toBe(2);
  expect(responseHeaderVersion(ApiKey.ApiVersions, 3)).toBe(0);
  expect(requestHeaderVersion(ApiKey.SaslHandshake, 1)).toBe(1);
  expect(responseHeaderVersion(ApiKey.OffsetDelete, 0)).toBe(0);
  expect(requestHeaderVersion(ApiKey.AlterPartition, 0)).toBe(2);
  expect(requestHeaderVersion(9999, 5)).toBe(1);
  expect(responseHeaderVersion(9999, 5)).toBe(0);
});

test('error codes', () => {
  expect(Object.keys(ErrorCode)).toHaveLength(129);
  expect(ErrorCode.NONE).toBe(0);
  expect(ErrorCode.UNKNOWN_SERVER_ERROR).toBe(-1);
  expect(ErrorCode.UNSUPPORTED_VERSION).toBe(35);
  expect(ErrorCode.VOTER_NOT_FOUND).toBe(127);
  expect(errorName(3)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  expect(errorName(1234)).toBe('UNKNOWN_ERROR_CODE_1234');
  expect(isRetriable(ErrorCode.NOT_LEADER_OR_FOLLOWER)).toBe(true);
  expect(isRetriable(ErrorCode.UNKNOWN_TOPIC_ID)).toBe(true);
  expect(isRetriable(ErrorCode.TOPIC_AUTHORIZATION_FAILED)).toBe(false);
  expect(isRetriable(ErrorCode.NONE)).toBe(false);
  expect(isRetriable(ErrorCode.INVALID_SHARE_SESSION_EPOCH)).toBe(true);
});
