// The keys and values the group coordinator writes to __consumer_offsets, in Kafka 3.9's exact
// layouts (group-coordinator/src/main/resources/common/message/*): every key and value starts with
// an int16 schema version, then the fields, non-flexible (int16-length strings, int32-length bytes,
// int32-count arrays) unless the version is flexible (compact lengths and trailing tagged fields).
//
//   OffsetCommitKey     v0/v1 (identical; v1 written): group, topic, partition int32
//   GroupMetadataKey    v2: group
//   OffsetCommitValue   v0-v4; written: v3, or v1 when the commit carries an expire timestamp
//   GroupMetadataValue  v0-v4; written: v3
//
// A null value is a tombstone. Readers accept every version listed and skip unknown key versions.

import { Reader } from '../../protocol/codec/reader';
import { Writer } from '../../protocol/codec/writer';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const GROUP_METADATA_VALUE_VERSION = 3;

export type MessageKey =
  | { kind: 'offset'; version: number; group: string; topic: string; partition: number }
  | { kind: 'group'; version: number; group: string }
  | { kind: 'unknown'; version: number };

export interface OffsetCommitValue {
  offset: bigint;
  /** −1 when the commit carried no leader epoch. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
  /** Only in v1 (old-style per-commit retention); null otherwise. */
  expireTimestamp: bigint | null;
}

export interface GroupMemberValue {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  /** −1 when unknown (v0/v1 values have none). */
  currentStateTimestamp: bigint;
  members: GroupMemberValue[];
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  const w = new Writer(64);
  w.writeInt16(OFFSET_COMMIT_KEY_VERSION);
  w.writeString(group, false);
  w.writeString(topic, false);
  w.writeInt32(partition);
  return Buffer.from(w.toBuffer());
}

export function encodeGroupMetadataKey(group: string): Buffer {
  const w = new Writer(32);
  w.writeInt16(GROUP_METADATA_KEY_VERSION);
  w.writeString(group, false);
  return Buffer.from(w.toBuffer());
}

/** Decodes a record key; versions other than 0-2 are `unknown` (Kafka's loader skips them). */
export function decodeMessageKey(key: Buffer): MessageKey {
  const r = new Reader(key);
  const version = r.readInt16();
  if (version === 0 || version === 1) {
    const group = r.readString(false);
    const topic = r.readString(false);
    const partition = r.readInt32();
    return { kind: 'offset', version, group, topic, partition };
  }
  if (version === 2) return { kind: 'group', version, group: r.readString(false) };
  return { kind: 'unknown', version };
}

/** v3, or v1 when `expireTimestamp` is set (what Kafka 3.9 writes). */
export function encodeOffsetCommitValue(v: OffsetCommitValue): Buffer {
  const w = new Writer(64);
  if (v.expireTimestamp !== null) {
    w.writeInt16(1);
    w.writeInt64(v.offset);
    w.writeString(v.metadata, false);
    w.writeInt64(v.commitTimestamp);
    w.writeInt64(v.expireTimestamp);
  } else {
    w.writeInt16(3);
    w.writeInt64(v.offset);
    w.writeInt32(v.leaderEpoch);
    w.writeString(v.metadata, false);
    w.writeInt64(v.commitTimestamp);
  }
  return Buffer.from(w.toBuffer());
}

export function decodeOffsetCommitValue(value: Buffer): OffsetCommitValue {
  const r = new Reader(value);
  const version = r.readInt16();
  if (version < 0 || version > 4) throw new Error(`Unknown offset message version ${version}`);
  const flexible = version >= 4;
  const offset = r.readInt64();
  const leaderEpoch = version >= 3 ? r.readInt32() : -1;
  const metadata = r.readString(flexible);
  const commitTimestamp = r.readInt64();
  const expireTimestamp = version === 1 ? r.readInt64() : null;
  if (flexible) r.readTaggedFields();
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

/** Always v3 (Kafka 3.9 with IBP ≥ 2.3). */
export function encodeGroupMetadataValue(
  v: GroupMetadataValue,
  version = GROUP_METADATA_VALUE_VERSION,
): Buffer {
  if (version < 0 || version > 4) throw new Error(`unsupported GroupMetadataValue version ${version}`);
  const flexible = version >= 4;
  const w = new Writer(256);
  w.writeInt16(version);
  w.writeString(v.protocolType, flexible);
  w.writeInt32(v.generation);
  w.writeNullableString(v.protocol, flexible);
  w.writeNullableString(v.leader, flexible);
  if (version >= 2) w.writeInt64(v.currentStateTimestamp);
  w.writeArray(v.members, flexible, (m) => {
    w.writeString(m.memberId, flexible);
    if (version >= 3) w.writeNullableString(m.groupInstanceId, flexible);
    w.writeString(m.clientId, flexible);
    w.writeString(m.clientHost, flexible);
    if (version >= 1) w.writeInt32(m.rebalanceTimeout);
    w.writeInt32(m.sessionTimeout);
    w.writeBytes(m.subscription, flexible);
    w.writeBytes(m.assignment, flexible);
    if (flexible) w.writeTaggedFields(null, undefined);
  });
  if (flexible) w.writeTaggedFields(null, undefined);
  return Buffer.from(w.toBuffer());
}

export function decodeGroupMetadataValue(value: Buffer): GroupMetadataValue {
  const r = new Reader(value);
  const version = r.readInt16();
  if (version < 0 || version > 4) throw new Error(`Unknown group metadata message version ${version}`);
  const flexible = version >= 4;
  const protocolType = r.readString(flexible);
  const generation = r.readInt32();
  const protocol = r.readNullableString(flexible);
  const leader = r.readNullableString(flexible);
  const currentStateTimestamp = version >= 2 ? r.readInt64() : -1n;
  const members = r.readArray(flexible, () => {
    const memberId = r.readString(flexible);
    const groupInstanceId = version >= 3 ? r.readNullableString(flexible) : null;
    const clientId = r.readString(flexible);
    const clientHost = r.readString(flexible);
    const rebalance = version >= 1 ? r.readInt32() : null;
    const sessionTimeout = r.readInt32();
    const subscription = Buffer.from(r.readBytes(flexible));
    const assignment = Buffer.from(r.readBytes(flexible));
    if (flexible) r.readTaggedFields();
    return {
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      // v0 has no rebalance timeout: Kafka uses the session timeout.
      rebalanceTimeout: rebalance ?? sessionTimeout,
      sessionTimeout,
      subscription,
      assignment,
    };
  });
  if (flexible) r.readTaggedFields();
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
}
