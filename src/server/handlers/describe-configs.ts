// DescribeConfigs (key 32), v0-v4.
// TOPIC (2) resources: every topic config with its effective value and source — 1
// DYNAMIC_TOPIC_CONFIG (the topic's override in /config/topics/<t>), 4 STATIC_BROKER_CONFIG
// (a log.* setting of this broker), 5 DEFAULT_CONFIG; unknown topic → UNKNOWN_TOPIC_OR_PARTITION
// with no message, as Kafka.
// BROKER (4) resources: this broker's configs; a broker answers only for itself (another id →
// INVALID_REQUEST, as Kafka). configuration_keys filters; v0 reports is_default; v1+
// config_source and, when asked, synonyms (the override then the value it hides).

import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { DescribeConfigsRequest } from '../../protocol/messages/generated/DescribeConfigsRequest';
import type { DescribeConfigsResponseInit } from '../../protocol/messages/generated/DescribeConfigsResponse';
import type { ApiHandler } from '../api-handler';
import type { ConfigEntry } from '../broker-services';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;

export interface ConfigSourceProvider {
  /** null when the topic does not exist */
  topicConfigs(topic: string): Promise<ConfigEntry[] | null>;
  brokerConfigs(): ConfigEntry[];
  brokerId: number;
}

type Result = NonNullable<DescribeConfigsResponseInit['results']>[number];

export function describeConfigsHandler(
  p: ConfigSourceProvider,
): ApiHandler<DescribeConfigsRequest, DescribeConfigsResponseInit> {
  return {
    apiKey: ApiKey.DescribeConfigs,
    minVersion: 0,
    maxVersion: 4,
    async handle(req, ctx) {
      const results: Result[] = [];
      for (const r of req.resources) {
        const base = {
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          errorMessage: null,
          configs: [],
        };
        let entries: ConfigEntry[] | null;
        if (r.resourceType === RESOURCE_TOPIC) {
          entries = await p.topicConfigs(r.resourceName);
          if (entries === null) {
            // ConfigHelper.describeConfigs: the error code alone (clients show its default message).
            results.push({ ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
            continue;
          }
        } else if (r.resourceType === RESOURCE_BROKER) {
          if (r.resourceName !== '' && r.resourceName !== String(p.brokerId)) {
            results.push({
              ...base,
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `Unexpected broker id, expected ${p.brokerId} or empty string, but received ${r.resourceName}`,
            });
            continue;
          }
          entries = p.brokerConfigs();
        } else {
          results.push({
            ...base,
            errorCode: ErrorCode.INVALID_REQUEST,
            errorMessage: `Unsupported resource type ${r.resourceType}`,
          });
          continue;
        }
        const keys = r.configurationKeys === null ? null : new Set(r.configurationKeys);
        results.push({
          ...base,
          errorCode: ErrorCode.NONE,
          configs: entries
            .filter((e) => keys === null || keys.has(e.name))
            .map((e) => ({
              name: e.name,
              value: e.sensitive ? null : e.value,
              readOnly: e.readOnly,
              isDefault: e.source === 5,
              configSource: e.source,
              isSensitive: e.sensitive,
              synonyms: ctx.apiVersion >= 1 && req.includeSynonyms ? e.synonyms.map((s) => ({ ...s })) : [],
              configType: e.type,
              documentation: null,
            })),
        });
      }
      return { throttleTimeMs: 0, results };
    },
  };
}
