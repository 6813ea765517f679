// DescribeCluster (key 60), v0-v1.
// The live brokers from the metadata cache with their endpoint for the listener the request
// arrived on, the cluster id and the controller id (-1 when the controller is not among the
// listed brokers, as Kafka's AuthHelper.computeDescribeClusterResponse). v1's endpoint_type must
// be 1 (brokers): 2 (controllers) → MISMATCHED_ENDPOINT_TYPE, anything else →
// UNSUPPORTED_ENDPOINT_TYPE (INVALID_REQUEST for both at v0). With no authorizer every cluster
// operation is authorized: include_cluster_authorized_operations reports them all.

import type { MetadataCache } from '../../cluster/metadata-cache';
import { ErrorCode } from '../../protocol/errors';
import { ApiKey } from '../../protocol/messages/generated';
import type { DescribeClusterRequest } from '../../protocol/messages/generated/DescribeClusterRequest';
import type { DescribeClusterResponseInit } from '../../protocol/messages/generated/DescribeClusterResponse';
import type { ApiHandler } from '../api-handler';

/** CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE. */
export const CLUSTER_ALL_OPERATIONS =
  (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);
const OMITTED_OPERATIONS = -2147483648;
const ENDPOINT_BROKER = 1;
const ENDPOINT_CONTROLLER = 2;
const ENDPOINT_NAMES: Record<number, string> = { 1: 'BROKER', 2: 'CONTROLLER' };

export function describeClusterHandler(
  cache: MetadataCache,
): ApiHandler<DescribeClusterRequest, DescribeClusterResponseInit> {
  return {
    apiKey: ApiKey.DescribeCluster,
    minVersion: 0,
    maxVersion: 1,
    handle(req, ctx) {
      const v = ctx.apiVersion;
      const requested = v >= 1 ? req.endpointType : ENDPOINT_BROKER;
      if (requested !== ENDPOINT_BROKER && requested !== ENDPOINT_CONTROLLER)
        return {
          throttleTimeMs: 0,
          errorCode: v === 0 ? ErrorCode.INVALID_REQUEST : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
          errorMessage: `Unsupported endpoint type ${requested}`,
          clusterId: '',
          brokers: [],
        };
      if (requested !== ENDPOINT_BROKER)
        return {
          throttleTimeMs: 0,
          errorCode: v === 0 ? ErrorCode.INVALID_REQUEST : ErrorCode.MISMATCHED_ENDPOINT_TYPE,
          errorMessage: `The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type ${ENDPOINT_NAMES[requested]}`,
          clusterId: '',
          brokers: [],
        };
      const brokers = cache.aliveBrokers().flatMap((b) => {
        const ep = b.endpoints.find((e) => e.listenerName === ctx.conn.listenerName);
        return ep ? [{ brokerId: b.id, host: ep.host, port: ep.port, rack: b.rack }] : [];
      });
      const controllerId = brokers.some((b) => b.brokerId === cache.controllerId) ? cache.controllerId : -1;
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: ENDPOINT_BROKER,
        clusterId: cache.clusterId,
        controllerId,
        brokers,
        clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
          ? CLUSTER_ALL_OPERATIONS
          : OMITTED_OPERATIONS,
      };
    },
  };
}
