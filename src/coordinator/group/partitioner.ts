// Which __consumer_offsets partition holds a group: Utils.abs(groupId.hashCode()) % N, with Java's
// String.hashCode (31·h + c over UTF-16 code units, int32 overflow) and Kafka's Utils.abs (which
// maps Integer.MIN_VALUE to 0 instead of leaving it negative).

export const GROUP_METADATA_TOPIC_NAME = '__consumer_offsets';

export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: |n|, except Integer.MIN_VALUE → 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionForKey(key: string, numPartitions: number): number {
  return kafkaAbs(javaStringHash(key)) % numPartitions;
}
