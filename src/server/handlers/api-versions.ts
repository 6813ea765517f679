// ApiVersions (key 18), v0-v4.
// Lists exactly the APIs and versions this broker has handlers for, so clients never pick a
// version Samsa cannot serve. v3+: client_software_name/version must match Kafka's pattern,
// else INVALID_REQUEST with no api_keys. A ZK-mode broker advertises no supported features and
// the finalized features of /feature (empty). Too-new versions are answered by KafkaApis with
// a v0 body (KIP-511). The response header is always v0 (also handled there).

import type { ApiVersionsRequest } from '../../protocol/messages/generated/ApiVersionsRequest';
import type { ApiVersionsResponseInit } from '../../protocol/messages/generated/ApiVersionsResponse';
import { ApiKey } from '../../protocol/messages/generated';
import { ErrorCode } from '../../protocol/errors';
import type { ApiHandler } from '../api-handler';

const SOFTWARE_PATTERN = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export function apiVersionsHandler(
  supported: () => Array<{ apiKey: number; minVersion: number; maxVersion: number }>,
): ApiHandler<ApiVersionsRequest, ApiVersionsResponseInit> {
  return {
    apiKey: ApiKey.ApiVersions,
    minVersion: 0,
    maxVersion: 4,
    handle(req, ctx) {
      if (
        ctx.apiVersion >= 3 &&
        (!SOFTWARE_PATTERN.test(req.clientSoftwareName) || !SOFTWARE_PATTERN.test(req.clientSoftwareVersion))
      ) {
        return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
      }
      return {
        errorCode: ErrorCode.NONE,
        apiKeys: supported(),
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      };
    },
  };
}
