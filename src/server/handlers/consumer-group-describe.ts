// ConsumerGroupDescribe (key 69), v0.
// KIP-848 groups do not exist on a ZooKeeper-mode broker (the new group coordinator is off): the
// API is advertised and every requested group is answered UNSUPPORTED_VERSION, as Kafka 3.9 does.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { ConsumerGroupDescribeRequest } from '../../protocol/messages/generated/ConsumerGroupDescribeRequest';
import type { ConsumerGroupDescribeResponseInit } from '../../protocol/messages/generated/ConsumerGroupDescribeResponse';
import type { ApiHandler } from '../api-handler';

export function consumerGroupDescribeHandler(): ApiHandler<
  ConsumerGroupDescribeRequest,
  ConsumerGroupDescribeResponseInit
> {
  return {
    apiKey: ApiKey.ConsumerGroupDescribe,
    minVersion: 0,
    maxVersion: 0,
    handle(req) {
      return {
        throttleTimeMs: 0,
        groups: req.groupIds.map((groupId) => ({ groupId, errorCode: ErrorCode.UNSUPPORTED_VERSION })),
      };
    },
  };
}
