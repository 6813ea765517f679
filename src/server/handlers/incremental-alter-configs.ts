// IncrementalAlterConfigs (key 44), v0-v1.
// TOPIC (2) and BROKER (4) resources; each entry is SET (0), DELETE (1), APPEND (2) or SUBTRACT (3)
// applied to the resource's stored dynamic configs (APPEND/SUBTRACT only for list configs, else
// INVALID_REQUEST "Config value append is not allowed for config key: x"; the old value of a list
// that was never set is its default). The result is validated and written exactly as AlterConfigs
// does (see alter-configs.ts), with Kafka's preprocessing: duplicate resources/keys and null
// values of non-DELETE operations ("Null value not supported for : a, b") → INVALID_REQUEST.
// Served by every broker; a BROKER resource must name this broker or be "" (cluster default).

import { ApiKey } from '../../protocol/messages/generated';
import type { IncrementalAlterConfigsRequest } from '../../protocol/messages/generated/IncrementalAlterConfigsRequest';
import type { IncrementalAlterConfigsResponseInit } from '../../protocol/messages/generated/IncrementalAlterConfigsResponse';
import type { ApiHandler } from '../api-handler';
import { ConfigManager, preprocessAlterResources } from '../config-manager';

export function incrementalAlterConfigsHandler(
  brokerId: number,
  configs: ConfigManager,
): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInit> {
  return {
    apiKey: ApiKey.IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    async handle(req) {
      const early = preprocessAlterResources(req.resources, brokerId, true);
      const responses: NonNullable<IncrementalAlterConfigsResponseInit['responses']>[number][] = [];
      for (const [i, r] of req.resources.entries()) {
        const ops = r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value }));
        const res =
          early.get(i) ?? (await configs.alter(r.resourceType, r.resourceName, { ops }, req.validateOnly));
        responses.push({
          errorCode: res.errorCode,
          errorMessage: res.errorMessage,
          resourceType: r.resourceType,
          resourceName: r.resourceName,
        });
      }
      return { throttleTimeMs: 0, responses };
    },
  };
}
