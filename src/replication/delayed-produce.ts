// acks=all produce requests waiting for replication (Kafka's DelayedProduce in the produce
// purgatory). Each appended partition waits until the high watermark reaches its last offset + 1;
// the request completes when every partition is done or at its timeout. Operations are watched
// by partition key and re-checked only when something happens to that partition (its high
// watermark moved, it lost leadership, it was removed), never by polling.

import { ErrorCode } from '../protocol/errors';

/** Per-partition answer of a check: still waiting, or done with this error code. */
export type AckCheck = { done: false } | { done: true; errorCode: number };

export interface AckWait {
  topic: string;
  partition: number;
  /** `topic-partition` */
  key: string;
  /** last appended offset + 1 */
  requiredOffset: bigint;
}

export class DelayedProduce {
  /** Kafka starts every waiting partition at REQUEST_TIMED_OUT, cleared once acks arrive. */
  readonly errorCodes: number[];
  private readonly pending: boolean[];
  private timer: NodeJS.Timeout | null = null;
  private done = false;

  constructor(
    readonly waits: readonly AckWait[],
    private readonly check: (w: AckWait) => AckCheck,
    private readonly onComplete: (errorCodes: number[]) => void,
  ) {
    this.errorCodes = waits.map(() => ErrorCode.REQUEST_TIMED_OUT);
    this.pending = waits.map(() => true);
  }

  get isCompleted(): boolean {
    return this.done;
  }

  /** Re-checks the waiting partitions; completes (and returns true) when none is left waiting. */
  tryComplete(): boolean {
    if (this.done) return true;
    let waiting = false;
    for (let i = 0; i < this.waits.length; i++) {
      if (!this.pending[i]) continue;
      const c = this.check(this.waits[i]);
      if (c.done) {
        this.pending[i] = false;
        this.errorCodes[i] = c.errorCode;
      } else waiting = true;
    }
    if (waiting) return false;
    this.forceComplete();
    return true;
  }

  startTimer(timeoutMs: number, onExpire: () => void): void {
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (this.forceComplete()) onExpire();
      },
      Math.max(0, timeoutMs),
    );
  }

  /** Completes now with the current error codes (REQUEST_TIMED_OUT for partitions still waiting). */
  forceComplete(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.onComplete(this.errorCodes.slice());
    return true;
  }
}

export class ProducePurgatory {
  private readonly watchers = new Map<string, Set<DelayedProduce>>();

  /** Number of partitions with waiting requests (tests). */
  get watchedKeys(): number {
    return this.watchers.size;
  }

  /**
   * Completes `op` at once if it can, else watches its partitions until it completes or
   * `timeoutMs` passes.
   */
  tryCompleteElseWatch(op: DelayedProduce, timeoutMs: number): void {
    if (op.tryComplete()) return;
    for (const w of op.waits) {
      let set = this.watchers.get(w.key);
      if (!set) this.watchers.set(w.key, (set = new Set()));
      set.add(op);
    }
    op.startTimer(timeoutMs, () => this.unwatch(op));
  }

  /** Something changed for `key`: re-checks the requests waiting on it. */
  checkAndComplete(key: string): void {
    const set = this.watchers.get(key);
    if (!set) return;
    for (const op of [...set]) if (op.tryComplete()) this.unwatch(op);
  }

  /** Completes everything now (shutdown): waiting partitions answer REQUEST_TIMED_OUT. */
  completeAll(): void {
    const ops = new Set<DelayedProduce>();
    for (const set of this.watchers.values()) for (const op of set) ops.add(op);
    this.watchers.clear();
    for (const op of ops) op.forceComplete();
  }

  private unwatch(op: DelayedProduce): void {
    for (const w of op.waits) {
      const set = this.watchers.get(w.key);
      if (!set) continue;
      set.delete(op);
      if (set.size === 0) this.watchers.delete(w.key);
    }
  }
}
