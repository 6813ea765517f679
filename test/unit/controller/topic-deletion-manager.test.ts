import type { TopicPartition } from '../../../src/controller/controller-context';
import { PartitionStateMachine } from '../../../src/controller/partition-state-machine';
import { ReplicaStateMachine } from '../../../src/controller/replica-state-machine';
import { TopicDeletionManager } from '../../../src/controller/topic-deletion-manager';
import type { StopReplicaResponse } from '../../../src/protocol/messages/generated/StopReplicaResponse';
import type { Logger } from '../../../src/utils/logger';
import { Fixture, State } from './state-machine-fixture';

const st = (leader: number, isr: number[]): State => ({
  leader,
  leaderEpoch: 3,
  isr,
  controllerEpoch: 4,
  leaderRecoveryState: 0,
});
const quiet: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
  isDebugEnabled: () => false,
};

/** Topic `t`: partitions [1,2] and [2,1], all online, every state machine state initialized. */
function setup(live = [1, 2]) {
  const f = new Fixture(live);
  f.addTopic(
    't',
    [
      [1, 2],
      [2, 1],
    ],
    [st(1, [1, 2]), st(2, [2, 1])],
  );
  const responses: Array<[number, unknown, Array<TopicPartition & { deletePartition: boolean }>]> = [];
  const psm = new PartitionStateMachine({ ...f.deps(), uncleanLeaderElectionEnabled: async () => false });
  const rsm = new ReplicaStateMachine({
    ...f.deps(),
    // The controller handles responses as later events: queue them.
    onStopReplicaResponse: (b, r, parts) => responses.push([b, r, parts]),
  });
  psm.initializePartitionState();
  rsm.initializeReplicaState();
  const deletedZNodes: string[] = [];
  const metadataUpdates: TopicPartition[][] = [];
  const mgr = new TopicDeletionManager({
    ctx: f.ctx,
    partitionStateMachine: psm,
    replicaStateMachine: rsm,
    deleteTopicEnable: true,
    log: quiet,
    sendUpdateMetadata: (_brokers, parts) => metadataUpdates.push(parts),
    deleteTopicZNodes: async (topic) => void deletedZNodes.push(topic),
  });
  const drain = async () => {
    while (responses.length > 0) {
      const [b, r, parts] = responses.shift()!;
      await mgr.stopReplicaResponseReceived(b, r as StopReplicaResponse | null, parts);
    }
  };
  return { f, psm, rsm, mgr, drain, deletedZNodes, metadataUpdates };
}

const rep = (partition: number, replica: number) => ({ topic: 't', partition, replica });

test('every replica deleted: Offline → DeletionStarted → Successful → NonExistent, znodes removed, topic forgotten', async () => {
  const { f, mgr, drain, deletedZNodes, metadataUpdates } = setup();
  await mgr.enqueueTopicsForDeletion(['t']);
  expect(f.ctx.partitionState({ topic: 't', partition: 0 })).toBe('NonExistentPartition');
  expect(metadataUpdates).toEqual([
    [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ],
  ]);
  expect(f.ctx.replicaState(rep(0, 1))).toBe('ReplicaDeletionStarted');
  expect(f.stopReplicaTo(1)).toEqual(['t-0:false', 't-1:false', 't-0:true', 't-1:true']);
  expect(deletedZNodes).toEqual([]);
  await drain();
  expect(deletedZNodes).toEqual(['t']);
  expect(f.ctx.assignments.has('t')).toBe(false);
  expect(f.ctx.topicsToBeDeleted.size).toBe(0);
  expect(f.ctx.replicaStates.size).toBe(0);
  expect(f.log('INFO')).toContain(
    'Changed state of replica 2 for partition t-1 from ReplicaDeletionSuccessful to NonExistentReplica',
  );
});

test('a per-partition StopReplica error: that replica → ReplicaDeletionIneligible, the topic waits, then is retried', async () => {
  const { f, mgr, drain, deletedZNodes } = setup();
  f.stopReplicaResponse = (broker, body) => {
    const topics = body.topicStates as Array<{ partitionStates: Array<{ deletePartition: boolean }> }>;
    const deleting = topics.some((t) => t.partitionStates.some((p) => p.deletePartition));
    return {
      errorCode: 0,
      partitionErrors:
        broker === 2 && deleting
          ? [{ topicName: 't', partitionIndex: 0, errorCode: 56 /* KAFKA_STORAGE_ERROR */ }]
          : [],
    };
  };
  await mgr.enqueueTopicsForDeletion(['t']);
  await drain();
  // The failed replica was put back to OfflineReplica for a retry; the others are deleted.
  expect(f.ctx.replicaState(rep(0, 2))).toBe('OfflineReplica');
  expect(f.log('INFO')).toContain(
    'Changed state of replica 2 for partition t-0 from ReplicaDeletionStarted to ReplicaDeletionIneligible',
  );
  expect(f.ctx.replicaState(rep(0, 1))).toBe('ReplicaDeletionSuccessful');
  expect(f.ctx.replicaState(rep(1, 2))).toBe('ReplicaDeletionSuccessful');
  expect(f.ctx.topicsIneligibleForDeletion.has('t')).toBe(true);
  expect(deletedZNodes).toEqual([]);

  // Resumed (a broker hosting it started): only the failed replica is deleted again.
  f.stopReplicaResponse = () => ({ errorCode: 0, partitionErrors: [] });
  f.sent.length = 0;
  await mgr.resumeDeletionForTopics(['t']);
  expect(f.stopReplicaTo(2)).toEqual(['t-0:false', 't-0:true']);
  expect(f.stopReplicaTo(1)).toEqual([]);
  await drain();
  expect(deletedZNodes).toEqual(['t']);
});

test('a top-level StopReplica error fails every replica of the request', async () => {
  const { f, mgr, drain } = setup();
  f.stopReplicaResponse = (broker) => ({ errorCode: broker === 1 ? 11 : 0, partitionErrors: [] });
  await mgr.enqueueTopicsForDeletion(['t']);
  await drain();
  expect(f.ctx.replicaState(rep(0, 1))).toBe('OfflineReplica');
  expect(f.ctx.replicaState(rep(1, 1))).toBe('OfflineReplica');
  expect(f.ctx.replicaState(rep(0, 2))).toBe('ReplicaDeletionSuccessful');
});

test('a replica on a dead broker: ReplicaDeletionIneligible, the topic waits until the broker is back', async () => {
  const { f, rsm, mgr, drain, deletedZNodes } = setup([1]);
  await mgr.enqueueTopicsForDeletion(['t']);
  await drain();
  expect(f.ctx.replicaState(rep(0, 2))).toBe('OfflineReplica'); // Ineligible, then back for a retry
  expect(f.ctx.replicaState(rep(0, 1))).toBe('ReplicaDeletionSuccessful');
  expect(deletedZNodes).toEqual([]);
  // Broker 2 starts: its replicas go online, deletion resumes.
  f.addBroker(2);
  await rsm.handleStateChanges([rep(0, 2), rep(1, 2)], 'OnlineReplica');
  await mgr.resumeDeletionForTopics(['t']);
  await drain();
  expect(deletedZNodes).toEqual(['t']);
});
