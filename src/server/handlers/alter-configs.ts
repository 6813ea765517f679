// AlterConfigs (key 33), v0-v2 — the legacy, replace-everything API.
// TOPIC (2) and BROKER (4) resources; a resource's dynamic configs become exactly the given
// entries (null values dropped), written to /config/<type>/<name> with a change notification
// that every broker applies (ConfigManager). Kafka's ZK-mode rules (ZkAdminManager.alterConfigs):
// a resource named twice → INVALID_REQUEST for both; duplicate keys → INVALID_REQUEST; BROKER
// resources must be "" (the cluster default) or this broker's id (INVALID_REQUEST otherwise);
// BROKER_LOGGER is refused; unknown topic → UNKNOWN_TOPIC_OR_PARTITION; unknown topic config →
// INVALID_CONFIG "Unknown topic config name: x"; bad values and static broker configs →
// INVALID_CONFIG "Invalid config value for resource ConfigResource(type=…, name='…'): …".
// validateOnly checks without writing. Served by every broker (ZK mode does not forward it).

import { ApiKey } from '../../protocol/messages/generated';
import type { AlterConfigsRequest } from '../../protocol/messages/generated/AlterConfigsRequest';
import type { AlterConfigsResponseInit } from '../../protocol/messages/generated/AlterConfigsResponse';
import type { ApiHandler } from '../api-handler';
import { ConfigManager, preprocessAlterResources } from '../config-manager';

export function alterConfigsHandler(
  brokerId: number,
  configs: ConfigManager,
): ApiHandler<AlterConfigsRequest, AlterConfigsResponseInit> {
  return {
    apiKey: ApiKey.AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    async handle(req) {
      const early = preprocessAlterResources(req.resources, brokerId, false);
      const responses: NonNullable<AlterConfigsResponseInit['responses']>[number][] = [];
      for (const [i, r] of req.resources.entries()) {
        const res =
          early.get(i) ??
          (await configs.alter(r.resourceType, r.resourceName, { replace: r.configs }, req.validateOnly));
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
