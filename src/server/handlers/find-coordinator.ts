// FindCoordinator (key 10), v0-v6.
// v0 names a group; v1-v3 add key_type (0 group, 1 transaction); v4+ batch coordinator_keys with a
// result per key; v6 adds key type 2 (share groups). A group maps to partition
// abs(hash(group)) % offsets.topic.num.partitions of __consumer_offsets and its coordinator is that
// partition's leader, on the listener the request came in on. Missing __consumer_offsets is
// created (offsets.topic.* settings) and answered COORDINATOR_NOT_AVAILABLE meanwhile, as is a
// partition without a live leader. Transactional ids are answered by the transaction coordinator
// when one is wired in, else COORDINATOR_NOT_AVAILABLE; share keys get COORDINATOR_NOT_AVAILABLE
// (INVALID_REQUEST before v6); other key types INVALID_REQUEST. v0-v3 errors carry node −1, host
// "", port −1 and Kafka's error message (v1+); a v1-v3 success carries error_message "NONE", as
// Kafka's Errors.NONE.message() does.

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { FindCoordinatorRequest } from '../../protocol/messages/generated/FindCoordinatorRequest';
import type { FindCoordinatorResponseInit } from '../../protocol/messages/generated/FindCoordinatorResponse';
import type { ApiHandler } from '../api-handler';

export interface CoordinatorNode {
  error: number;
  nodeId: number;
  host: string;
  port: number;
}

export interface CoordinatorLocator {
  /** The coordinator for one key of this key type, on the request's listener. */
  locate(keyType: number, key: string, listenerName: string, apiVersion: number): CoordinatorNode;
}

/** Kafka's Errors.message() for the errors FindCoordinator returns. */
const MESSAGES: Record<number, string> = {
  [ErrorCode.NONE]: 'NONE',
  [ErrorCode.COORDINATOR_NOT_AVAILABLE]: 'The coordinator is not available.',
  [ErrorCode.NOT_COORDINATOR]: 'This is not the correct coordinator.',
  [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]: "The coordinator is loading and hence can't process requests.",
  [ErrorCode.GROUP_AUTHORIZATION_FAILED]: 'Group authorization failed.',
  [ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED]: 'Transactional Id authorization failed.',
  [ErrorCode.INVALID_REQUEST]:
    'This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.',
};

export function findCoordinatorHandler(
  locator: CoordinatorLocator,
): ApiHandler<FindCoordinatorRequest, FindCoordinatorResponseInit> {
  return {
    apiKey: ApiKey.FindCoordinator,
    minVersion: 0,
    maxVersion: 6,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const listener = ctx.conn.listenerName;
      if (v >= 4) {
        return {
          throttleTimeMs: 0,
          coordinators: req.coordinatorKeys.map((key) => {
            const n = locator.locate(req.keyType, key, listener, v);
            return {
              key,
              nodeId: n.nodeId,
              host: n.host,
              port: n.port,
              errorCode: n.error,
              errorMessage: null,
            };
          }),
        };
      }
      const n = locator.locate(v === 0 ? 0 : req.keyType, req.key, listener, v);
      const ok = n.error === ErrorCode.NONE;
      return {
        throttleTimeMs: 0,
        errorCode: n.error,
        errorMessage: MESSAGES[n.error] ?? null,
        nodeId: ok ? n.nodeId : -1,
        host: ok ? n.host : '',
        port: ok ? n.port : -1,
      };
    },
  };
}
