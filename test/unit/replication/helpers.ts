// Shared pieces of the replication tests: real logs in temp dirs, a Partition with a scripted
// broker context (clock, live brokers, AlterPartition answers), follower-style appends.

import * as path from 'path';
import { LeaderAndIsrPartitionState, Partition, PartitionContext } from '../../../src/cluster/partition';
import { LogConfig } from '../../../src/log/log-config';
import { Scheduler } from '../../../src/log/scheduler';
import { UnifiedLog } from '../../../src/log/unified-log';
import type {
  AlterPartitionItem,
  AlterPartitionOutcome,
} from '../../../src/replication/alter-partition-manager';
import { makeBatch, MockTime, rmDir, tmpDir } from '../log/helpers';

export { makeBatch, MockTime } from '../log/helpers';

export class TestEnv {
  readonly root = tmpDir('samsa-repl-');
  readonly time = new MockTime();
  readonly scheduler = new Scheduler();
  private readonly logs: UnifiedLog[] = [];

  openLog(name = 't-0', config: Record<string, string> = {}): UnifiedLog {
    const log = UnifiedLog.open({
      dir: path.join(this.root, name),
      config: LogConfig.of({ 'file.delete.delay.ms': '0', ...config }),
      time: this.time,
      scheduler: this.scheduler,
    });
    this.logs.push(log);
    return log;
  }

  close(): void {
    for (const l of this.logs) l.closeHandlers();
    this.scheduler.shutdown();
    rmDir(this.root);
  }
}

/** A scripted broker around one partition: AlterPartition requests wait until answered by the test. */
export class FakeContext implements PartitionContext {
  readonly replicaLagTimeMaxMs: number;
  alive = new Set<number>([0, 1, 2]);
  readonly alterRequests: Array<{ item: AlterPartitionItem; answer: (o: AlterPartitionOutcome) => void }> =
    [];

  constructor(
    readonly localBrokerId: number,
    private readonly time: MockTime,
    lagMs = 30000,
  ) {
    this.replicaLagTimeMaxMs = lagMs;
  }

  isBrokerAlive(id: number): boolean {
    return this.alive.has(id);
  }

  alterPartition(item: AlterPartitionItem): Promise<AlterPartitionOutcome> {
    return new Promise((resolve) => this.alterRequests.push({ item, answer: resolve }));
  }

  /** Answers the oldest pending AlterPartition as the controller would on success (partition epoch + 1). */
  async acceptNext(): Promise<AlterPartitionItem> {
    const r = this.alterRequests.shift();
    if (!r) throw new Error('no AlterPartition pending');
    const l = r.item.leaderAndIsr;
    r.answer({
      ok: true,
      leaderAndIsr: {
        leaderId: l.leaderId,
        leaderEpoch: l.leaderEpoch,
        isr: [...l.isr],
        leaderRecoveryState: l.leaderRecoveryState,
        partitionEpoch: l.partitionEpoch + 1,
      },
    });
    await flush();
    return r.item;
  }

  async rejectNext(errorCode: number): Promise<AlterPartitionItem> {
    const r = this.alterRequests.shift();
    if (!r) throw new Error('no AlterPartition pending');
    r.answer({ ok: false, errorCode });
    await flush();
    return r.item;
  }

  truncateTo(log: UnifiedLog, offset: bigint): void {
    log.truncateTo(offset);
  }

  truncateFullyAndStartAt(log: UnifiedLog, offset: bigint): void {
    log.truncateFullyAndStartAt(offset);
  }

  now(): number {
    return this.time.milliseconds();
  }
}

/** Lets promise callbacks (AlterPartition answers) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

export function leaderAndIsr(
  s: Partial<LeaderAndIsrPartitionState> & { leader: number; leaderEpoch: number },
): LeaderAndIsrPartitionState {
  return {
    controllerEpoch: 1,
    isr: [0, 1, 2],
    partitionEpoch: 0,
    replicas: [0, 1, 2],
    addingReplicas: [],
    removingReplicas: [],
    isNew: false,
    leaderRecoveryState: 0,
    ...s,
  };
}

export function newPartition(
  env: TestEnv,
  ctx: FakeContext,
  config: Record<string, string> = {},
  name = 't-0',
): Partition {
  return new Partition('t', 0, env.openLog(name, config), ctx);
}

/** Appends `count` records written in `epoch` as a follower would (offsets from the batch). */
export function appendEpoch(log: UnifiedLog, count: number, epoch: number): void {
  log.appendAsFollower(makeBatch(log.logEndOffset, count, { epoch }));
}
