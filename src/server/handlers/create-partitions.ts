// CreatePartitions (key 37), v0-v3.
// Served by the controller only (NOT_CONTROLLER, with no message, elsewhere — the admin client
// routes it there). A topic named twice → INVALID_REQUEST "Duplicate topic in request."; a topic
// queued for deletion → INVALID_TOPIC_EXCEPTION "The topic is queued for deletion."; then Kafka's
// checks per topic (admin/partition-admin.ts): unknown topic, reassignment in progress
// (REASSIGNMENT_IN_PROGRESS), a count not above the current one (INVALID_PARTITIONS), manual
// assignments (INVALID_REPLICA_ASSIGNMENT). New partitions are placed with Kafka's algorithm and
// written to /brokers/topics/<t>; the controller's data watch brings them online. validateOnly
// checks without writing. With timeout_ms > 0 the response waits until this broker's metadata
// shows every partition of the grown topics with a leader (REQUEST_TIMED_OUT after the timeout),
// as Kafka's DelayedCreatePartitions.

import type { MetadataCache } from '../../cluster/metadata-cache';
import { CreatePartitionsRequestError, PartitionAdmin } from '../../admin/partition-admin';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { CreatePartitionsRequest } from '../../protocol/messages/generated/CreatePartitionsRequest';
import type { CreatePartitionsResponseInit } from '../../protocol/messages/generated/CreatePartitionsResponse';
import type { ApiHandler } from '../api-handler';

interface Result {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

export function createPartitionsHandler(
  controller: { readonly isActive: boolean },
  admin: PartitionAdmin,
  cache: MetadataCache,
  waitForMetadata: (pred: () => boolean, timeoutMs: number) => Promise<boolean>,
): ApiHandler<CreatePartitionsRequest, CreatePartitionsResponseInit> {
  return {
    apiKey: ApiKey.CreatePartitions,
    minVersion: 0,
    maxVersion: 3,
    async handle(req) {
      const names = [...new Set(req.topics.map((t) => t.name))];
      if (!controller.isActive)
        return {
          throttleTimeMs: 0,
          results: names.map((name) => ({ name, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: null })),
        };
      const counts = new Map<string, number>();
      for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
      const results = new Map<string, Result>();
      const valid: CreatePartitionsRequest['topics'] = [];
      for (const t of req.topics) {
        if ((counts.get(t.name) ?? 0) > 1) {
          results.set(t.name, {
            name: t.name,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: 'Duplicate topic in request.',
          });
        } else if (await admin.isQueuedForDeletion(t.name)) {
          results.set(t.name, {
            name: t.name,
            errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION,
            errorMessage: 'The topic is queued for deletion.',
          });
        } else valid.push(t);
      }
      const grown: Array<{ name: string; count: number }> = [];
      try {
        const done = await admin.createPartitions(
          valid.map((t) => ({
            name: t.name,
            count: t.count,
            assignments: t.assignments === null ? null : t.assignments.map((a) => a.brokerIds),
          })),
          req.validateOnly,
        );
        for (const r of done) {
          results.set(r.name, { name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage });
          if (r.errorCode === ErrorCode.NONE) grown.push({ name: r.name, count: r.assignment?.size ?? 0 });
        }
      } catch (e) {
        if (!(e instanceof CreatePartitionsRequestError)) throw e;
        for (const t of valid)
          results.set(t.name, { name: t.name, errorCode: e.errorCode, errorMessage: e.message });
      }
      if (grown.length > 0 && !req.validateOnly && req.timeoutMs > 0) {
        const ready = () =>
          grown.every(({ name, count }) => {
            const t = cache.getTopic(name);
            if (!t || t.partitions.size < count) return false;
            return [...t.partitions.values()].every((p) => p.state !== null && p.state.leader >= 0);
          });
        if (!(await waitForMetadata(ready, req.timeoutMs)))
          for (const g of grown)
            results.set(g.name, { name: g.name, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: null });
      }
      return { throttleTimeMs: 0, results: names.map((n) => results.get(n)!) };
    },
  };
}
