// Request and response headers (RequestHeader.json / ResponseHeader.json; protocol.md §1.1, §1.2, §6).
//
// Request header v0: api_key int16, api_version int16, correlation_id int32 (ControlledShutdown v0 only).
//                v1: v0 + client_id nullable string with an int16 length, in every version
//                    (field-level flexibleVersions "none").
//                v2: v1 + tagged-field section. Used when the API version is flexible.
// Response header v0: correlation_id int32; v1: + tagged-field section (flexible versions), except
// ApiVersions, whose response header is always v0 (KIP-511).

import { Reader } from './codec/reader';
import { Writer } from './codec/writer';
import { API_SPECS, ApiKey } from './messages/generated';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** A null client id on the wire is returned as "". */
  clientId: string;
  /** 0, 1 or 2. */
  headerVersion: number;
}

/** Whether `apiVersion` of `apiKey` is flexible; false for APIs this broker does not know. */
function isFlexible(apiKey: number, apiVersion: number): boolean {
  const spec = API_SPECS.get(apiKey);
  if (spec === undefined || spec.flexibleMin === null) return false;
  // Flexible ranges are open-ended, so versions above the supported maximum count as flexible too.
  return apiVersion >= spec.flexibleMin;
}

/** 2 if the version is flexible, else 1; ControlledShutdown v0 uses 0. Unknown APIs: 1. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ControlledShutdown && apiVersion === 0) return 0;
  return isFlexible(apiKey, apiVersion) ? 2 : 1;
}

/** 1 if the version is flexible, else 0; ApiVersions always 0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return isFlexible(apiKey, apiVersion) ? 1 : 0;
}

/**
 * Reads a request header, picking its version from the api key and version it starts with. An
 * unknown api key is parsed as header v1 and returned; the caller decides what to do with it.
 * Tagged fields of header v2 are read and dropped (none are defined).
 */
export function decodeRequestHeader(r: Reader): RequestHeader {
  const headerVersion = requestHeaderVersion(r.peekInt16(0), r.peekInt16(2));
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  let clientId = '';
  if (headerVersion >= 1) clientId = r.readNullableString(false) ?? '';
  if (headerVersion >= 2) r.readTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId, headerVersion };
}

export function encodeRequestHeader(
  w: Writer,
  h: { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null },
): void {
  const headerVersion = requestHeaderVersion(h.apiKey, h.apiVersion);
  w.writeInt16(h.apiKey);
  w.writeInt16(h.apiVersion);
  w.writeInt32(h.correlationId);
  if (headerVersion >= 1) w.writeNullableString(h.clientId, false);
  if (headerVersion >= 2) w.writeUInt8(0); // empty tagged-field section
}

export function encodeResponseHeader(
  w: Writer,
  apiKey: number,
  apiVersion: number,
  correlationId: number,
): void {
  w.writeInt32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) w.writeUInt8(0); // empty tagged-field section
}

export function decodeResponseHeader(
  r: Reader,
  apiKey: number,
  apiVersion: number,
): { correlationId: number } {
  const correlationId = r.readInt32();
  if (responseHeaderVersion(apiKey, apiVersion) >= 1) r.readTaggedFields();
  return { correlationId };
}
