// ConsumerGroupHeartbeat (key 68), v0.
// The KIP-848 consumer group protocol needs the new group coordinator, which a ZooKeeper-mode
// Kafka broker does not run: the API is advertised and every request is answered
// UNSUPPORTED_VERSION, as Kafka 3.9 does.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { ConsumerGroupHeartbeatRequest } from '../../protocol/messages/generated/ConsumerGroupHeartbeatRequest';
import type { ConsumerGroupHeartbeatResponseInit } from '../../protocol/messages/generated/ConsumerGroupHeartbeatResponse';
import type { ApiHandler } from '../api-handler';

export function consumerGroupHeartbeatHandler(): ApiHandler<
  ConsumerGroupHeartbeatRequest,
  ConsumerGroupHeartbeatResponseInit
> {
  return {
    apiKey: ApiKey.ConsumerGroupHeartbeat,
    minVersion: 0,
    maxVersion: 0,
    handle() {
      return { throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_VERSION, errorMessage: null };
    },
  };
}
