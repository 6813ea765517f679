// One replica fetcher (Kafka's ReplicaFetcherThread over AbstractFetcherThread): a loop that
// sends Fetch requests to one leader broker over its own connection for the partitions assigned
// to it, appends the leader's batches unchanged, follows the leader's high watermark and log
// start offset. A partition that just became a follower starts in the Truncating state: with
// leader epochs in its log it asks the leader where its latest epoch ends (OffsetForLeaderEpoch,
// AbstractFetcherThread.truncateToEpochEndOffsets) and truncates to what both logs certainly
// share, using its leader-epoch cache — asking again when the leader answers with an epoch it
// never saw; only a log without any leader epoch falls back to its high watermark. While
// fetching, a diverging epoch in a Fetch response (truncation on fetch, KIP-320/KIP-595) is
// handled by the same rule, so a history that changes under a running fetcher is caught too.
// Errors put a partition in backoff
// (replica.fetch.backoff.ms); FENCED_LEADER_EPOCH for our current epoch drops it until the next
// LeaderAndIsr; OFFSET_OUT_OF_RANGE resets the position with ListOffsets. Replication throttles,
// follower side (KIP-73): a throttled partition that is not in sync is left out of the fetch while
// follower.replication.throttled.rate is exceeded, and throttled data counts against that rate.

import type { Partition } from '../cluster/partition';
import { KafkaStorageError } from '../log/errors';
import { ErrorCode, errorName } from '../protocol/errors';
import { ApiKey } from '../protocol/messages/generated';
import type { FetchRequestInit } from '../protocol/messages/generated/FetchRequest';
import type { FetchResponse, FetchResponsePartitionData } from '../protocol/messages/generated/FetchResponse';
import type { ListOffsetsResponse } from '../protocol/messages/generated/ListOffsetsResponse';
import type { OffsetForLeaderEpochResponse } from '../protocol/messages/generated/OffsetForLeaderEpochResponse';
import { getLogger, Logger } from '../utils/logger';
import { BrokerChannel, BrokerEndPoint } from './broker-channel';
import { truncationState } from './truncation';
import { WakeableSleep } from '../utils/wakeable-sleep';

export interface ReplicaFetcherConfig {
  brokerId: number;
  brokerEpoch: () => number;
  fetchMaxBytes: number;
  fetchMinBytes: number;
  fetchWaitMaxMs: number;
  fetchResponseMaxBytes: number;
  fetchBackoffMs: number;
  socketTimeoutMs: number;
  /** This broker's follower-side replication quota, when it has one (read on every use). */
  followerQuota?: () => FollowerQuota | undefined;
}

/** The follower-side replication quota (Kafka's ReplicaQuota; ConfigManager's ReplicationQuota). */
export interface FollowerQuota {
  /** follower.replication.throttled.replicas names this broker's replica of the partition. */
  isThrottled(topic: string, partition: number): boolean;
  /** Throttled traffic is above follower.replication.throttled.rate. */
  isQuotaExceeded(): boolean;
  record(bytes: number): void;
}

export interface FetcherHost {
  getPartition(topic: string, partition: number): Partition | undefined;
}

export interface InitialFetchState {
  topic: string;
  partition: number;
  topicId: string | null;
  leader: BrokerEndPoint;
  currentLeaderEpoch: number;
  initOffset: bigint;
}

/** Replaced (never mutated) on every change, so a response can tell whether it is stale. */
export interface PartitionFetchState {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string | null;
  readonly fetchOffset: bigint;
  readonly currentLeaderEpoch: number;
  /** -1: none */
  readonly lastFetchedEpoch: number;
  readonly state: 'fetching' | 'truncating';
  /** ms timestamp until which the partition is backing off (0: ready) */
  readonly delayUntil: number;
  /**
   * The leader's high watermark in the last response for the partition (undefined: none yet).
   * Kafka's lag is max(0, this - fetchOffset); the replica is in sync when that lag is 0.
   */
  readonly leaderHighWatermark?: bigint;
}

const keyOf = (topic: string, partition: number) => `${topic}-${partition}`;

export const describeFetchState = (s: PartitionFetchState): string =>
  `FetchState(topicId=${s.topicId ?? 'None'}, fetchOffset=${s.fetchOffset}, currentLeaderEpoch=${s.currentLeaderEpoch}, state=${s.state === 'fetching' ? 'Fetching' : 'Truncating'}, lastFetchedEpoch=${s.lastFetchedEpoch >= 0 ? `Some(${s.lastFetchedEpoch})` : 'None'})`;

export class ReplicaFetcher {
  readonly name: string;
  private readonly log: Logger;
  private readonly states = new Map<string, PartitionFetchState>();
  private readonly channel: BrokerChannel;
  private running = false;
  private loop: Promise<void> | null = null;
  /** The loop's backoff, cut short when work arrives. */
  private readonly idle = new WakeableSleep();

  constructor(
    readonly fetcherId: number,
    readonly leader: BrokerEndPoint,
    private readonly cfg: ReplicaFetcherConfig,
    private readonly host: FetcherHost,
    /** A partition was dropped after an error; it waits for the next LeaderAndIsr. */
    private readonly onPartitionFailed: (key: string) => void,
  ) {
    this.name = `ReplicaFetcherThread-${fetcherId}-${leader.id}`;
    this.log = getLogger(
      'kafka.server.ReplicaFetcherThread',
      `[ReplicaFetcher replicaId=${cfg.brokerId}, leaderId=${leader.id}, fetcherId=${fetcherId}]`,
    );
    this.channel = new BrokerChannel(
      leader,
      `broker-${cfg.brokerId}-fetcher-${fetcherId}`,
      cfg.socketTimeoutMs,
      Math.max(5000, cfg.fetchBackoffMs * 2),
    );
  }

  get partitionCount(): number {
    return this.states.size;
  }

  partitionKeys(): string[] {
    return [...this.states.keys()];
  }

  fetchState(key: string): PartitionFetchState | undefined {
    return this.states.get(key);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.log.info('Starting');
    this.loop = this.run().catch((e: Error) => this.log.error(`Fetcher loop failed: ${e.stack}`));
  }

  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.log.info('Shutting down');
    this.running = false;
    this.channel.close();
    this.idle.wake();
    await this.loop;
    this.log.info('Shutdown completed');
  }

  /**
   * Adds partitions. A partition already here with the same leader epoch keeps its state;
   * otherwise it starts Truncating at `initOffset` (OffsetForLeaderEpoch for a log with leader
   * epochs, its high watermark for one without), then fetches.
   */
  addPartitions(initial: InitialFetchState[]): void {
    for (const i of initial) {
      const key = keyOf(i.topic, i.partition);
      const current = this.states.get(key);
      if (current && current.currentLeaderEpoch === i.currentLeaderEpoch) continue;
      const p = this.host.getPartition(i.topic, i.partition);
      const latestEpoch = p ? p.log.latestEpoch() : -1;
      this.states.set(key, {
        topic: i.topic,
        partition: i.partition,
        topicId: i.topicId,
        fetchOffset: i.initOffset,
        currentLeaderEpoch: i.currentLeaderEpoch,
        lastFetchedEpoch: latestEpoch,
        state: 'truncating',
        delayUntil: 0,
      });
    }
    this.idle.wake();
  }

  removePartitions(keys: Iterable<string>): string[] {
    const removed: string[] = [];
    for (const k of keys) if (this.states.delete(k)) removed.push(k);
    return removed;
  }

  /** Moves every partition out of this fetcher (a replacement fetcher takes them over). */
  takeStates(): PartitionFetchState[] {
    const all = [...this.states.values()];
    this.states.clear();
    return all;
  }

  restoreStates(states: PartitionFetchState[]): void {
    for (const s of states) this.states.set(keyOf(s.topic, s.partition), { ...s, delayUntil: 0 });
    this.idle.wake();
  }

  updateTopicId(key: string, topicId: string | null): void {
    const s = this.states.get(key);
    if (s && s.topicId !== topicId) this.states.set(key, { ...s, topicId });
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.maybeTruncate();
      if (!this.running) return;
      const now = Date.now();
      const ready: PartitionFetchState[] = [];
      let nextReady = Infinity;
      for (const s of this.states.values()) {
        if (s.delayUntil > now) {
          nextReady = Math.min(nextReady, s.delayUntil);
          continue;
        }
        if (s.state !== 'fetching') continue;
        if (!this.shouldFollowerThrottle(s)) ready.push(s);
      }
      if (ready.length === 0) {
        // A truncation that must ask again does so at once (Kafka's next doWork round).
        if ([...this.states.values()].some((s) => s.state === 'truncating' && s.delayUntil <= now)) continue;
        await this.idle.sleep(nextReady === Infinity ? this.cfg.fetchBackoffMs : nextReady - now);
        continue;
      }
      await this.fetchOnce(ready);
    }
  }

  /**
   * Kafka's shouldFollowerThrottle: a throttled partition that is not in sync (unknown lag counts
   * as not in sync) sits out while the follower quota is exceeded. When every partition sits out,
   * run() backs off for replica.fetch.backoff.ms instead of sending an empty fetch.
   */
  private shouldFollowerThrottle(s: PartitionFetchState): boolean {
    const quota = this.cfg.followerQuota?.();
    if (!quota) return false;
    const inSync = s.leaderHighWatermark !== undefined && s.leaderHighWatermark <= s.fetchOffset;
    return !inSync && quota.isThrottled(s.topic, s.partition) && quota.isQuotaExceeded();
  }

  /**
   * Kafka's maybeTruncate: Truncating partitions whose log has leader epochs ask the leader where
   * their latest epoch ends (OffsetForLeaderEpoch); those without any epoch truncate to the
   * offset they were added at (their high watermark).
   */
  private async maybeTruncate(): Promise<void> {
    const now = Date.now();
    const withEpochs: Array<{ state: PartitionFetchState; epoch: number }> = [];
    for (const [key, s] of [...this.states]) {
      if (s.state !== 'truncating' || s.delayUntil > now) continue;
      const p = this.host.getPartition(s.topic, s.partition);
      if (!p) {
        this.markPartitionFailed(key, 'the partition is not hosted');
        continue;
      }
      const epoch = p.log.latestEpoch();
      if (epoch >= 0) withEpochs.push({ state: s, epoch });
      else this.truncateToHighWatermark(key, s, p);
    }
    if (withEpochs.length > 0) await this.truncateToEpochEndOffsets(withEpochs);
  }

  private truncateToHighWatermark(key: string, s: PartitionFetchState, p: Partition): void {
    this.log.info(
      `Truncating partition ${key} with TruncationState(offset=${s.fetchOffset}, completed=true) due to local high watermark ${s.fetchOffset}`,
    );
    try {
      p.truncateTo(s.fetchOffset);
    } catch (e) {
      this.log.error(
        `Unexpected error occurred during truncation for ${key} at offset ${s.fetchOffset}: ${String(e)}`,
      );
      this.markPartitionFailed(key);
      return;
    }
    this.states.set(key, { ...s, state: 'fetching', lastFetchedEpoch: p.log.latestEpoch() });
  }

  /**
   * AbstractFetcherThread.truncateToEpochEndOffsets: one OffsetForLeaderEpoch request (as replica
   * `brokerId`, with each partition's current leader epoch for fencing) for the latest local
   * epochs; each answer truncates by getOffsetTruncationState. Errors back the partition off
   * (FENCED_LEADER_EPOCH for our current epoch drops it until the next LeaderAndIsr).
   */
  private async truncateToEpochEndOffsets(
    requested: Array<{ state: PartitionFetchState; epoch: number }>,
  ): Promise<void> {
    const byTopic = new Map<string, Array<{ state: PartitionFetchState; epoch: number }>>();
    for (const r of requested) {
      const t = byTopic.get(r.state.topic);
      if (t) t.push(r);
      else byTopic.set(r.state.topic, [r]);
    }
    let response: OffsetForLeaderEpochResponse;
    try {
      ({ response } = await this.channel.request<OffsetForLeaderEpochResponse>(
        ApiKey.OffsetForLeaderEpoch,
        () => ({
          replicaId: this.cfg.brokerId,
          topics: [...byTopic].map(([topic, rs]) => ({
            topic,
            partitions: rs.map((r) => ({
              partition: r.state.partition,
              currentLeaderEpoch: r.state.currentLeaderEpoch,
              leaderEpoch: r.epoch,
            })),
          })),
        }),
        4,
      ));
    } catch (e) {
      if (!this.running) return;
      this.log.warn(
        `Error when sending leader epoch request for partitions ${requested.map((r) => keyOf(r.state.topic, r.state.partition)).join(', ')}: ${(e as Error).message}`,
      );
      this.delayPartitions(requested.map((r) => keyOf(r.state.topic, r.state.partition)));
      return;
    }
    if (!this.running) return;
    const answers = new Map<string, OffsetForLeaderEpochResponse['topics'][number]['partitions'][number]>();
    for (const t of response.topics)
      for (const p of t.partitions) answers.set(keyOf(t.topic, p.partition), p);
    const withError: string[] = [];
    for (const { state: requestState } of requested) {
      const key = keyOf(requestState.topic, requestState.partition);
      // Only if nothing changed for the partition since the request went out.
      if (this.states.get(key) !== requestState) continue;
      const a = answers.get(key);
      if (!a) {
        withError.push(key);
        continue;
      }
      switch (a.errorCode) {
        case ErrorCode.NONE:
          this.truncateTo(key, requestState, { epoch: a.leaderEpoch, endOffset: a.endOffset }, true);
          break;
        case ErrorCode.FENCED_LEADER_EPOCH:
          if (this.onPartitionFenced(key, requestState.currentLeaderEpoch)) withError.push(key);
          break;
        default:
          this.log.info(
            `Retrying leaderEpoch request for partition ${key} as the leader reported an error: ${errorName(a.errorCode)}`,
          );
          withError.push(key);
      }
    }
    if (withError.length > 0) this.delayPartitions(withError);
  }

  private buildRequest(ready: PartitionFetchState[], version: number): FetchRequestInit {
    const byTopic = new Map<string, PartitionFetchState[]>();
    for (const s of ready) {
      const t = byTopic.get(s.topic);
      if (t) t.push(s);
      else byTopic.set(s.topic, [s]);
    }
    const brokerId = this.cfg.brokerId;
    return {
      clusterId: null,
      replicaId: brokerId,
      replicaState: { replicaId: brokerId, replicaEpoch: BigInt(this.cfg.brokerEpoch()) },
      maxWaitMs: this.cfg.fetchWaitMaxMs,
      minBytes: this.cfg.fetchMinBytes,
      maxBytes: this.cfg.fetchResponseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic.entries()].map(([topic, ss]) => ({
        topic,
        topicId: version >= 13 ? (ss[0].topicId ?? undefined) : undefined,
        partitions: ss.map((s) => ({
          partition: s.partition,
          currentLeaderEpoch: s.currentLeaderEpoch,
          fetchOffset: s.fetchOffset,
          lastFetchedEpoch: s.lastFetchedEpoch,
          logStartOffset: this.host.getPartition(s.topic, s.partition)?.log.logStartOffset ?? -1n,
          partitionMaxBytes: this.cfg.fetchMaxBytes,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  private async fetchOnce(ready: PartitionFetchState[]): Promise<void> {
    const canUseTopicIds = ready.every((s) => s.topicId !== null);
    let response: FetchResponse;
    let version: number;
    let release: () => void;
    try {
      ({ response, version, release } = await this.channel.request<FetchResponse>(
        ApiKey.Fetch,
        (v) => this.buildRequest(ready, v),
        canUseTopicIds ? 17 : 12,
      ));
    } catch (e) {
      if (!this.running) return;
      this.log.warn(
        `Error in response for fetch request (partitions ${ready.map((s) => keyOf(s.topic, s.partition)).join(', ')}): ${(e as Error).message}`,
      );
      this.delayPartitions(ready.map((s) => keyOf(s.topic, s.partition)));
      return;
    }
    // The records point into the response frame until they are appended: only then does the
    // frame go back to the pool.
    try {
      if (!this.running) return;
      if (response.errorCode !== ErrorCode.NONE) {
        this.log.warn(`Error in response for fetch request: ${errorName(response.errorCode)}`);
        this.delayPartitions(ready.map((s) => keyOf(s.topic, s.partition)));
        return;
      }
      await this.processResponse(ready, response, version);
    } finally {
      release();
    }
  }

  private async processResponse(
    requested: PartitionFetchState[],
    response: FetchResponse,
    version: number,
  ): Promise<void> {
    const byKey = new Map<string, FetchResponsePartitionData>();
    const nameById = new Map(requested.filter((s) => s.topicId).map((s) => [s.topicId!, s.topic]));
    for (const t of response.responses) {
      const topic = version >= 13 ? nameById.get(t.topicId) : t.topic;
      if (topic === undefined) continue;
      for (const p of t.partitions) byKey.set(keyOf(topic, p.partitionIndex), p);
    }
    const withError: string[] = [];
    const diverging: Array<{ key: string; epoch: number; endOffset: bigint }> = [];
    const outOfRange: PartitionFetchState[] = [];
    for (const requestState of requested) {
      const key = keyOf(requestState.topic, requestState.partition);
      const pd = byKey.get(key);
      if (!pd) continue;
      // Only if nothing changed for the partition since the request went out.
      const current = this.states.get(key);
      if (current !== requestState) continue;
      switch (pd.errorCode) {
        case ErrorCode.NONE:
          if (version >= 12 && pd.divergingEpoch.epoch >= 0) {
            diverging.push({ key, epoch: pd.divergingEpoch.epoch, endOffset: pd.divergingEpoch.endOffset });
            break;
          }
          this.processPartitionData(key, current, pd, withError);
          break;
        case ErrorCode.OFFSET_OUT_OF_RANGE:
          outOfRange.push(current);
          break;
        case ErrorCode.UNKNOWN_LEADER_EPOCH:
          this.log.debug(
            `Remote broker has a smaller leader epoch for partition ${key} than this replica's current leader epoch of ${current.currentLeaderEpoch}.`,
          );
          withError.push(key);
          break;
        case ErrorCode.FENCED_LEADER_EPOCH:
          if (this.onPartitionFenced(key, requestState.currentLeaderEpoch)) withError.push(key);
          break;
        case ErrorCode.NOT_LEADER_OR_FOLLOWER:
          this.log.debug(
            `Remote broker is not the leader for partition ${key}, which could indicate that the partition is being moved`,
          );
          withError.push(key);
          break;
        case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
          this.log.warn(
            `Received UNKNOWN_TOPIC_OR_PARTITION from the leader for partition ${key}. This error may be returned transiently when the partition is being created or deleted, but it is not expected to persist.`,
          );
          withError.push(key);
          break;
        case ErrorCode.UNKNOWN_TOPIC_ID:
          this.log.warn(
            `Received UNKNOWN_TOPIC_ID from the leader for partition ${key}. This error may be returned transiently when the partition is being created or deleted, but it is not expected to persist.`,
          );
          withError.push(key);
          break;
        case ErrorCode.INCONSISTENT_TOPIC_ID:
          this.log.warn(
            `Received INCONSISTENT_TOPIC_ID from the leader for partition ${key}. This error may be returned transiently when the partition is being created or deleted, but it is not expected to persist.`,
          );
          withError.push(key);
          break;
        default:
          this.log.error(
            `Error for partition ${key} at offset ${current.fetchOffset}: ${errorName(pd.errorCode)}`,
          );
          withError.push(key);
      }
    }
    for (const d of diverging) this.truncateOnDivergingEpoch(d.key, d.epoch, d.endOffset);
    for (const s of outOfRange)
      if (await this.handleOutOfRange(s)) withError.push(keyOf(s.topic, s.partition));
    if (withError.length > 0) this.delayPartitions(withError);
  }

  private processPartitionData(
    key: string,
    s: PartitionFetchState,
    pd: FetchResponsePartitionData,
    withError: string[],
  ): void {
    const p = this.host.getPartition(s.topic, s.partition);
    try {
      if (!p) throw new Error(`Partition ${key} is not hosted on this broker`);
      const log = p.log;
      if (s.fetchOffset !== log.logEndOffset)
        throw new Error(
          `Offset mismatch for partition ${key}: fetched offset = ${s.fetchOffset}, log end offset = ${log.logEndOffset}.`,
        );
      const records = pd.records ?? Buffer.alloc(0);
      const info = p.appendRecordsToFollower(records);
      p.updateFollowerHighWatermark(pd.highWatermark);
      p.maybeIncrementLogStartOffsetFromLeader(pd.logStartOffset);
      // Throttled traffic counts against the quota whether the replica is in sync or not.
      const quota = this.cfg.followerQuota?.();
      if (quota?.isThrottled(s.topic, s.partition)) quota.record(records.length);
      if (info.validBytes > 0) {
        const latest = log.latestEpoch();
        this.states.set(key, {
          ...s,
          fetchOffset: info.lastOffset + 1n,
          lastFetchedEpoch: latest >= 0 ? latest : s.lastFetchedEpoch,
          leaderHighWatermark: pd.highWatermark,
        });
      } else if (s.leaderHighWatermark !== pd.highWatermark)
        this.states.set(key, { ...s, leaderHighWatermark: pd.highWatermark });
    } catch (e) {
      const name = (e as { name?: string }).name;
      if (name === 'CorruptRecordException' || name === 'InvalidRecordException') {
        this.log.error(
          `Found invalid messages during fetch for partition ${key} offset ${s.fetchOffset}: ${(e as Error).message}`,
        );
        withError.push(key);
      } else if (e instanceof KafkaStorageError) {
        this.log.error(
          `Error while processing data for partition ${key} at offset ${s.fetchOffset}: ${e.message}`,
        );
        this.markPartitionFailed(key);
      } else {
        this.log.error(
          `Unexpected error occurred while processing data for partition ${key} at offset ${s.fetchOffset}: ${(e as Error).stack ?? String(e)}`,
        );
        this.markPartitionFailed(key);
      }
    }
  }

  /** The leader's history diverges from ours after (epoch, endOffset): truncate and go on. */
  private truncateOnDivergingEpoch(key: string, epoch: number, endOffset: bigint): void {
    const s = this.states.get(key);
    if (!s) return;
    this.truncateTo(key, s, { epoch, endOffset }, false);
  }

  /**
   * Truncates by the leader's (epoch, end offset) for our latest epoch, using our own epoch cache
   * (getOffsetTruncationState). An incomplete truncation (the leader named an epoch we never had)
   * stays Truncating after an OffsetForLeaderEpoch answer, so the next round asks again with our
   * new latest epoch; after a diverging epoch the next fetch carries that epoch instead.
   */
  private truncateTo(
    key: string,
    s: PartitionFetchState,
    leader: { epoch: number; endOffset: bigint },
    fromOffsetForLeaderEpoch: boolean,
  ): void {
    const p = this.host.getPartition(s.topic, s.partition);
    if (!p) return this.markPartitionFailed(key, 'the partition is not hosted');
    const log = p.log;
    const t = truncationState(leader, s.fetchOffset, log.logEndOffset, (e) => log.endOffsetForEpoch(e));
    this.log.info(
      `Truncating partition ${key} with TruncationState(offset=${t.offset}, completed=${t.truncationCompleted}) due to leader epoch and offset EpochEndOffset(errorCode=0, partition=${key}, leaderEpoch=${leader.epoch}, endOffset=${leader.endOffset})`,
    );
    const hw = log.highWatermark;
    try {
      p.truncateTo(t.offset);
    } catch (e) {
      this.log.error(
        `Unexpected error occurred during truncation for ${key} at offset ${t.offset}: ${String(e)}`,
      );
      return this.markPartitionFailed(key);
    }
    if (t.offset < hw) this.log.warn(`Truncating ${key} to offset ${t.offset} below high watermark ${hw}`);
    this.states.set(key, {
      ...s,
      fetchOffset: t.offset,
      state: fromOffsetForLeaderEpoch && !t.truncationCompleted ? 'truncating' : 'fetching',
      lastFetchedEpoch: log.latestEpoch(),
    });
  }

  /** Returns true when the partition should back off. */
  private onPartitionFenced(key: string, requestEpoch: number): boolean {
    const s = this.states.get(key);
    if (!s) return false;
    if (requestEpoch === s.currentLeaderEpoch) {
      this.log.info(
        `Partition ${key} has an older epoch (${s.currentLeaderEpoch}) than the current leader. Will await the new LeaderAndIsr state before resuming fetching.`,
      );
      this.markPartitionFailed(key);
      return false;
    }
    this.log.info(
      `Partition ${key} has a new epoch (${s.currentLeaderEpoch}) than the current leader. retry the partition in the next round`,
    );
    return true;
  }

  /**
   * OFFSET_OUT_OF_RANGE: the leader's log end below ours → truncate to it; else its log start
   * above our log end → start over empty at its log start; else keep fetching from our log end.
   */
  private async handleOutOfRange(s: PartitionFetchState): Promise<boolean> {
    const key = keyOf(s.topic, s.partition);
    try {
      const next = await this.fetchOffsetAndTruncate(s);
      if (this.states.get(key) !== s) return false;
      if (next === null) return false;
      this.states.set(key, next);
      this.log.info(
        `Current offset ${s.fetchOffset} for partition ${key} is out of range, which typically implies a leader change. Reset fetch offset to ${next.fetchOffset}`,
      );
      return false;
    } catch (e) {
      const code = (e as { errorCode?: number }).errorCode;
      if (code === ErrorCode.FENCED_LEADER_EPOCH) return this.onPartitionFenced(key, s.currentLeaderEpoch);
      if (
        code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ||
        code === ErrorCode.UNKNOWN_LEADER_EPOCH ||
        code === ErrorCode.NOT_LEADER_OR_FOLLOWER
      ) {
        this.log.info(`Could not fetch offset for ${key} due to error: ${errorName(code)}`);
        return true;
      }
      this.log.error(`Error getting offset for partition ${key}: ${(e as Error).message}`);
      return true;
    }
  }

  private async fetchOffsetAndTruncate(s: PartitionFetchState): Promise<PartitionFetchState | null> {
    const key = keyOf(s.topic, s.partition);
    const p = this.host.getPartition(s.topic, s.partition);
    if (!p) return null;
    const replicaEndOffset = p.log.logEndOffset;
    const leaderEndOffset = await this.listOffset(s, -1n);
    if (this.states.get(key) !== s) return null;
    if (leaderEndOffset < replicaEndOffset) {
      this.log.warn(
        `Reset fetch offset for partition ${key} from ${replicaEndOffset} to current leader ${this.leader.id}'s latest offset ${leaderEndOffset}`,
      );
      p.truncateTo(leaderEndOffset);
      return {
        ...s,
        fetchOffset: leaderEndOffset,
        state: 'fetching',
        lastFetchedEpoch: p.log.latestEpoch(),
        delayUntil: 0,
      };
    }
    const leaderStartOffset = await this.listOffset(s, -2n);
    if (this.states.get(key) !== s) return null;
    this.log.warn(
      `Reset fetch offset for partition ${key} from ${replicaEndOffset} to current leader ${this.leader.id}'s start offset ${leaderStartOffset}`,
    );
    let offsetToFetch = replicaEndOffset;
    if (leaderStartOffset > p.log.logEndOffset) {
      p.truncateFullyAndStartAt(leaderStartOffset);
      offsetToFetch = leaderStartOffset;
    }
    return {
      ...s,
      fetchOffset: offsetToFetch,
      state: 'fetching',
      lastFetchedEpoch: p.log.latestEpoch(),
      delayUntil: 0,
    };
  }

  /** ListOffsets as a replica (-1 latest = the leader's log end, -2 earliest). */
  private async listOffset(s: PartitionFetchState, timestamp: bigint): Promise<bigint> {
    const { response, version } = await this.channel.request<ListOffsetsResponse>(
      ApiKey.ListOffsets,
      () => ({
        replicaId: this.cfg.brokerId,
        isolationLevel: 0,
        topics: [
          {
            name: s.topic,
            partitions: [
              {
                partitionIndex: s.partition,
                currentLeaderEpoch: s.currentLeaderEpoch,
                timestamp,
                maxNumOffsets: 1,
              },
            ],
          },
        ],
      }),
      9,
    );
    const rp = response.topics
      .find((t) => t.name === s.topic)
      ?.partitions.find((p) => p.partitionIndex === s.partition);
    if (!rp) throw new Error(`No ListOffsets answer for ${keyOf(s.topic, s.partition)}`);
    if (rp.errorCode !== ErrorCode.NONE)
      throw Object.assign(new Error(errorName(rp.errorCode)), { errorCode: rp.errorCode });
    if (version === 0) return rp.oldStyleOffsets[0] ?? -1n;
    return rp.offset;
  }

  private delayPartitions(keys: string[]): void {
    const until = Date.now() + this.cfg.fetchBackoffMs;
    for (const k of keys) {
      const s = this.states.get(k);
      if (s) this.states.set(k, { ...s, delayUntil: until });
    }
  }

  private markPartitionFailed(key: string, why?: string): void {
    if (!this.states.delete(key)) return;
    this.log.warn(`Partition ${key} marked as failed${why ? ` (${why})` : ''}`);
    this.onPartitionFailed(key);
  }
}
