// InitProducerId (key 22), v0-v5 (coordinators.md §6.1).
// Checks in Kafka's order: producer_id/producer_epoch (v3+) must both be -1 or both be set, else
// INVALID_REQUEST. A null transactional_id (idempotent producer) always gets a new producer id
// with epoch 0 — also when v3+ names the producer's current id/epoch, which Kafka does not look
// at for non-transactional producers. Ids come in blocks of 1000 from /latest_producer_id_block
// (ProducerIdManager); when no block can be reserved the answer is the retriable
// COORDINATOR_LOAD_IN_PROGRESS. Transactions are not supported: a transactional id gets
// INVALID_REQUEST when empty, INVALID_TRANSACTION_TIMEOUT when transaction_timeout_ms is not in
// (0, transaction.max.timeout.ms], and otherwise NOT_COORDINATOR, as a Kafka broker answers for
// a transactional id whose __transaction_state partition it does not lead. Errors carry
// producer_id -1 and producer_epoch -1. No authorization (Samsa has no authorizer).

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { InitProducerIdRequest } from '../../protocol/messages/generated/InitProducerIdRequest';
import type { InitProducerIdResponseInit } from '../../protocol/messages/generated/InitProducerIdResponse';
import { getLogger } from '../../utils/logger';
import type { ApiHandler } from '../api-handler';
import type { ProducerIdGenerator } from '../producer-id-manager';

export const DEFAULT_TRANSACTION_MAX_TIMEOUT_MS = 900_000;

const logger = getLogger('kafka.server.KafkaApis');

export function initProducerIdHandler(
  producerIds: ProducerIdGenerator,
  transactionMaxTimeoutMs = DEFAULT_TRANSACTION_MAX_TIMEOUT_MS,
): ApiHandler<InitProducerIdRequest, InitProducerIdResponseInit> {
  const error = (errorCode: number): InitProducerIdResponseInit => ({
    throttleTimeMs: 0,
    errorCode,
    producerId: -1n,
    producerEpoch: -1,
  });
  return {
    apiKey: ApiKey.InitProducerId,
    minVersion: 0,
    maxVersion: 5,
    async handle(req) {
      if ((req.producerId === -1n) !== (req.producerEpoch === -1)) return error(ErrorCode.INVALID_REQUEST);
      if (req.transactionalId === null) {
        try {
          const producerId = await producerIds.generateProducerId();
          return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
        } catch (e) {
          logger.warn(`Could not allocate a producer id: ${(e as Error).message}`);
          return error(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
        }
      }
      if (req.transactionalId === '') return error(ErrorCode.INVALID_REQUEST);
      if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > transactionMaxTimeoutMs)
        return error(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
      return error(ErrorCode.NOT_COORDINATOR);
    },
  };
}
