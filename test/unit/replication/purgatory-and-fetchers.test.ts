import { ErrorCode } from '../../../src/protocol/errors';
import {
  AckCheck,
  AckWait,
  DelayedProduce,
  ProducePurgatory,
} from '../../../src/replication/delayed-produce';
import { fetcherIdFor, javaStringHashCode } from '../../../src/replication/replica-fetcher-manager';

describe('produce purgatory', () => {
  const wait = (key: string, requiredOffset: bigint): AckWait => ({
    topic: key,
    partition: 0,
    key,
    requiredOffset,
  });

  it('completes at once when every partition is satisfied, without watching', () => {
    const p = new ProducePurgatory();
    let result: number[] | null = null;
    const op = new DelayedProduce(
      [wait('a', 1n)],
      () => ({ done: true, errorCode: 0 }),
      (r) => (result = r),
    );
    p.tryCompleteElseWatch(op, 1000);
    expect(result).toEqual([0]);
    expect(p.watchedKeys).toBe(0);
  });

  it('is woken per partition key and completes when the last partition is done', () => {
    const p = new ProducePurgatory();
    const state: Record<string, AckCheck> = { a: { done: false }, b: { done: false } };
    let result: number[] | null = null;
    const op = new DelayedProduce(
      [wait('a', 5n), wait('b', 3n)],
      (w) => state[w.key],
      (r) => (result = r),
    );
    p.tryCompleteElseWatch(op, 10_000);
    expect(p.watchedKeys).toBe(2);
    state.a = { done: true, errorCode: ErrorCode.NONE };
    p.checkAndComplete('b'); // only re-checks: a is done now too, b still waiting
    expect(result).toBeNull();
    state.b = { done: true, errorCode: ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND };
    state.a = { done: true, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }; // a's answer was already taken
    p.checkAndComplete('b');
    expect(result).toEqual([ErrorCode.NONE, ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND]);
    expect(p.watchedKeys).toBe(0);
  });

  it('times out with REQUEST_TIMED_OUT for partitions still waiting', async () => {
    const p = new ProducePurgatory();
    const state: Record<string, AckCheck> = { a: { done: true, errorCode: 0 }, b: { done: false } };
    const result = await new Promise<number[]>((resolve) => {
      p.tryCompleteElseWatch(
        new DelayedProduce([wait('a', 1n), wait('b', 1n)], (w) => state[w.key], resolve),
        20,
      );
    });
    expect(result).toEqual([ErrorCode.NONE, ErrorCode.REQUEST_TIMED_OUT]);
    expect(p.watchedKeys).toBe(0);
  });
});

describe('fetcher assignment', () => {
  it('uses Java String.hashCode', () => {
    expect(javaStringHashCode('test')).toBe(3556498);
    expect(javaStringHashCode('__consumer_offsets')).toBe(-970371369);
    expect(javaStringHashCode('')).toBe(0);
  });

  it('abs(31 * topic.hashCode + partition) % num.replica.fetchers', () => {
    expect(fetcherIdFor('test', 0, 1)).toBe(0);
    // 31 * 3556498 + 1 = 110251439
    expect(fetcherIdFor('test', 1, 4)).toBe(110251439 % 4);
    // overflowing int arithmetic: 31 * -970371369 + 7 wraps around
    const wrapped = (Math.imul(31, -970371369) + 7) | 0;
    expect(fetcherIdFor('__consumer_offsets', 7, 3)).toBe(Math.abs(wrapped) % 3);
  });
});
