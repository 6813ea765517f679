// OffsetCommit v0 / OffsetFetch v0: Kafka keeps these offsets in ZooKeeper, not in
// __consumer_offsets, at /consumers/<group>/offsets/<topic>/<partition> as the decimal offset
// (KafkaZkClient.setOrCreateConsumerOffset / getConsumerOffset).

import { ZkClient, ZkError } from '../../zk/zk-client';

export interface ZkOffsetStore {
  commit(group: string, topic: string, partition: number, offset: bigint): Promise<void>;
  /** The stored offset, or null when there is none. */
  fetch(group: string, topic: string, partition: number): Promise<bigint | null>;
}

export const consumerOffsetPath = (group: string, topic: string, partition: number): string =>
  `/consumers/${group}/offsets/${topic}/${partition}`;

export function zkOffsetStore(zk: ZkClient): ZkOffsetStore {
  return {
    async commit(group, topic, partition, offset) {
      const path = consumerOffsetPath(group, topic, partition);
      const data = Buffer.from(offset.toString(), 'utf8');
      try {
        await zk.setData(path, data);
      } catch (e) {
        if (!(e instanceof ZkError && e.isNoNode)) throw e;
        await zk.createRecursive(path, data);
        // Lost a creation race: the node exists now, so write our value.
        const cur = await zk.getData(path);
        if (cur && cur.data.toString('utf8') !== offset.toString()) await zk.setData(path, data);
      }
    },
    async fetch(group, topic, partition) {
      const r = await zk.getData(consumerOffsetPath(group, topic, partition));
      if (!r) return null;
      return BigInt(r.data.toString('utf8').trim());
    },
  };
}
