// Producer ids for InitProducerId (Kafka's ProducerIdManager; coordinators.md §6,
// zookeeper-layout.md §8). Ids are handed out from blocks of 1000 reserved cluster-wide in
// /latest_producer_id_block, JSON {"version":1,"broker":N,"block_start":"…","block_end":"…"}:
// read the znode, write the next block with a setData conditional on the version read, and
// start over when another broker got there first. This broker writes the znode itself (Kafka's
// ZkProducerIdManager, the pre-3.0 allocation); ZK-mode Kafka 3.x asks the controller with
// AllocateProducerIds, which performs exactly the same znode update for the requesting broker.
// Like the 3.x client of that RPC, the first block is fetched on the first request (not at
// start-up) and the next one is prefetched once 90% of the current block is used.

import { getLogger, Logger } from '../utils/logger';
import { ZkClient, ZkError } from '../zk/zk-client';
import { ZkPaths } from '../zk/zk-data';

export const PRODUCER_ID_BLOCK_SIZE = 1000n;
/** Share of a block handed out before the next one is fetched in the background. */
export const PID_PREFETCH_THRESHOLD = 0.9;
const LONG_MAX = 0x7fffffffffffffffn;

/** A range of producer ids reserved by one broker. */
export interface ProducerIdsBlock {
  readonly assignedBrokerId: number;
  readonly firstProducerId: bigint;
  readonly size: bigint;
}

export const lastProducerId = (b: ProducerIdsBlock): bigint => b.firstProducerId + b.size - 1n;

export function describeBlock(b: ProducerIdsBlock): string {
  return `ProducerIdsBlock(assignedBrokerId=${b.assignedBrokerId}, firstProducerId=${b.firstProducerId}, size=${b.size})`;
}

/** The /latest_producer_id_block znode (Kafka's ProducerIdBlockZNode). */
export const ProducerIdBlockZNode = {
  path: ZkPaths.latestProducerIdBlock,
  encode(b: ProducerIdsBlock): Buffer {
    return Buffer.from(
      JSON.stringify({
        version: 1,
        broker: b.assignedBrokerId,
        block_start: b.firstProducerId.toString(),
        block_end: lastProducerId(b).toString(),
      }),
      'utf8',
    );
  },
  decode(data: Buffer): ProducerIdsBlock {
    const text = data.toString('utf8');
    let js: Record<string, unknown>;
    try {
      js = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new Error(`Failed to parse the producerId block json ${text}`);
    }
    if (js === null || typeof js !== 'object')
      throw new Error(`Failed to parse the producerId block json ${text}`);
    const start = toLong(js.block_start);
    const end = toLong(js.block_end);
    if (start === null || end === null || end < start)
      throw new Error(`Failed to parse the producerId block json ${text}`);
    return { assignedBrokerId: Number(js.broker), firstProducerId: start, size: end - start + 1n };
  },
};

function toLong(v: unknown): bigint | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v).trim();
  if (!/^-?\d+$/.test(s)) return null;
  const n = BigInt(s);
  return n > LONG_MAX || n < -LONG_MAX - 1n ? null : n;
}

/**
 * Reserves the next block for `brokerId` in ZooKeeper: the one after the block in the znode (the
 * first block, 0..999, when it is empty). Retries while other brokers win the conditional write.
 */
export async function allocateProducerIdBlock(
  zk: ZkClient,
  brokerId: number,
  logger: Logger,
): Promise<ProducerIdsBlock> {
  const path = ProducerIdBlockZNode.path;
  for (;;) {
    const current = await zk.getData(path);
    let next: ProducerIdsBlock;
    // Brokers create the znode empty; the native ZooKeeper binding stores a null as "null".
    const text = current?.data.toString('utf8').trim() ?? '';
    if (current !== null && text !== '' && text !== 'null') {
      const block = ProducerIdBlockZNode.decode(current.data);
      logger.debug(
        `Read current producerId block ${describeBlock(block)}, Zk path version ${current.stat.version}`,
      );
      if (lastProducerId(block) > LONG_MAX - PRODUCER_ID_BLOCK_SIZE) {
        logger.error(
          `Exhausted all producerIds as the next block's end producerId is will has exceeded long type limit (current block end producerId is ${lastProducerId(block)})`,
        );
        throw new Error('Have exhausted all producerIds.');
      }
      next = {
        assignedBrokerId: brokerId,
        firstProducerId: block.firstProducerId + block.size,
        size: PRODUCER_ID_BLOCK_SIZE,
      };
    } else {
      logger.debug(
        `There is no producerId block yet (Zk path version ${current?.stat.version ?? -1}), creating the first block`,
      );
      next = { assignedBrokerId: brokerId, firstProducerId: 0n, size: PRODUCER_ID_BLOCK_SIZE };
    }
    const data = ProducerIdBlockZNode.encode(next);
    try {
      let version = 0;
      if (current === null) await zk.create(path, data);
      else version = (await zk.setData(path, data, current.stat.version)).version;
      logger.info(
        `Acquired new producerId block ${describeBlock(next)} by writing to Zk with path version ${version}`,
      );
      return next;
    } catch (e) {
      if (e instanceof ZkError && (e.isBadVersion || e.isNodeExists || e.isNoNode)) {
        logger.debug(`Conflict while writing ${path} (${e.message}); retrying`);
        continue;
      }
      throw e;
    }
  }
}

/** Where InitProducerId gets producer ids from. */
export interface ProducerIdGenerator {
  generateProducerId(): Promise<bigint>;
}

export class ProducerIdManager implements ProducerIdGenerator {
  private readonly logger: Logger;
  private current: ProducerIdsBlock | null = null;
  private nextProducerId = 0n;
  private prefetched: ProducerIdsBlock | null = null;
  private fetching: Promise<void> | null = null;

  constructor(
    private readonly brokerId: number,
    private readonly zk: ZkClient,
    /** How long a request waits for a block before answering COORDINATOR_LOAD_IN_PROGRESS. */
    private readonly blockWaitMs = 10_000,
  ) {
    this.logger = getLogger(
      'kafka.coordinator.transaction.ProducerIdManager',
      `[ProducerIdManager ${brokerId}]`,
    );
  }

  /**
   * The next unused producer id. Rejects (the caller answers the retriable
   * COORDINATOR_LOAD_IN_PROGRESS) when no block can be reserved in time.
   */
  async generateProducerId(): Promise<bigint> {
    for (;;) {
      const block = this.current;
      if (block !== null && this.nextProducerId <= lastProducerId(block)) {
        const id = this.nextProducerId++;
        const prefetchAt =
          block.firstProducerId + BigInt(Math.floor(Number(block.size) * PID_PREFETCH_THRESHOLD));
        if (id === prefetchAt) this.prefetch();
        return id;
      }
      if (this.prefetched !== null) {
        this.current = this.prefetched;
        this.prefetched = null;
        this.nextProducerId = this.current.firstProducerId;
        continue;
      }
      await this.waitForBlock();
    }
  }

  private prefetch(): void {
    if (this.prefetched !== null || this.fetching !== null) return;
    this.fetchBlock().catch((e: Error) =>
      this.logger.warn(`Failed to prefetch the next producer id block: ${e.message}`),
    );
  }

  private fetchBlock(): Promise<void> {
    this.fetching ??= allocateProducerIdBlock(this.zk, this.brokerId, this.logger)
      .then((b) => {
        this.prefetched = b;
      })
      .finally(() => {
        this.fetching = null;
      });
    return this.fetching;
  }

  private async waitForBlock(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('Timed out waiting for a new producer id block')),
        this.blockWaitMs,
      );
      timer.unref();
    });
    try {
      await Promise.race([this.fetchBlock(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
