import type { TopicPartition } from '../../../src/controller/controller-context';
import {
  REPLICA_VALID_PREVIOUS_STATES,
  ReplicaState,
  ReplicaStateMachine,
} from '../../../src/controller/replica-state-machine';
import { Fixture, State } from './state-machine-fixture';

const st = (leader: number, isr: number[], leaderEpoch = 7): State => ({
  leader,
  leaderEpoch,
  isr,
  controllerEpoch: 4,
  leaderRecoveryState: 0,
});
const r = (replica: number, partition = 0) => ({ topic: 't', partition, replica });

function machine(f: Fixture) {
  const responses: Array<{
    broker: number;
    response: unknown;
    partitions: Array<TopicPartition & { deletePartition: boolean }>;
  }> = [];
  const rsm = new ReplicaStateMachine({
    ...f.deps(),
    onStopReplicaResponse: (broker, response, partitions) => responses.push({ broker, response, partitions }),
  });
  return { rsm, responses };
}

const ALL: ReplicaState[] = [
  'NewReplica',
  'OnlineReplica',
  'OfflineReplica',
  'ReplicaDeletionStarted',
  'ReplicaDeletionSuccessful',
  'ReplicaDeletionIneligible',
  'NonExistentReplica',
];

describe('replica state machine: states and valid previous states (Kafka 3.9)', () => {
  test('the table', () => {
    expect(REPLICA_VALID_PREVIOUS_STATES).toEqual({
      NewReplica: ['NonExistentReplica'],
      OnlineReplica: ['NewReplica', 'OnlineReplica', 'OfflineReplica', 'ReplicaDeletionIneligible'],
      OfflineReplica: ['NewReplica', 'OnlineReplica', 'OfflineReplica', 'ReplicaDeletionIneligible'],
      ReplicaDeletionStarted: ['OfflineReplica'],
      ReplicaDeletionSuccessful: ['ReplicaDeletionStarted'],
      ReplicaDeletionIneligible: ['OfflineReplica', 'ReplicaDeletionStarted'],
      NonExistentReplica: ['ReplicaDeletionSuccessful'],
    });
  });

  for (const from of ALL)
    for (const to of ALL) {
      const valid = REPLICA_VALID_PREVIOUS_STATES[to].includes(from);
      test(`${from} → ${to} is ${valid ? 'applied' : 'refused and logged'}`, async () => {
        const f = new Fixture([1, 2]);
        f.addTopic('t', [[1, 2]], [st(1, [1, 2])]);
        if (from !== 'NonExistentReplica') f.ctx.putReplicaState(r(2), from);
        await machine(f).rsm.handleStateChanges([r(2)], to);
        expect(f.ctx.replicaState(r(2))).toBe(valid ? to : from);
        if (valid) {
          expect(f.log('ERROR')).toEqual([]);
          expect(f.log('INFO')).toContain(
            `Changed state of replica 2 for partition t-0 from ${from} to ${to}`,
          );
        } else {
          expect(f.log('ERROR')).toEqual([
            `Controller 0 epoch 5 initiated state change of replica 2 for partition t-0 from ${from} to ${to} failed\n` +
              `java.lang.IllegalStateException: Replica [Topic=t,Partition=0,Replica=2] should be in the ${REPLICA_VALID_PREVIOUS_STATES[to].join(',')} states before moving to ${to} state. Instead it is in ${from} state`,
          ]);
          expect(f.sent).toEqual([]);
          expect(f.writes).toEqual([]);
        }
      });
    }
});

describe('replica state machine: transitions', () => {
  test('→ OfflineReplica of the only ISR member that leads: StopReplica(delete=false), leader -1, ISR kept, epoch bumped once', async () => {
    const f = new Fixture([2]);
    f.addTopic('t', [[1, 2]], [st(1, [1])]);
    f.ctx.putReplicaState(r(1), 'OnlineReplica');
    await machine(f).rsm.handleStateChanges([r(1)], 'OfflineReplica');
    expect(f.writes).toEqual([
      {
        tp: 't-0',
        state: { leader: -1, leaderEpoch: 8, isr: [1], controllerEpoch: 5, leaderRecoveryState: 0 },
      },
    ]);
    // Broker 1 is dead: no requests to it; the other replica gets the new state.
    expect(f.stopReplicaTo(1)).toEqual([]);
    expect(f.leaderAndIsrTo(2)).toEqual([{ tp: 't-0', leader: -1, leaderEpoch: 8, isr: [1], isNew: false }]);
    expect(f.log('INFO')).toContain(
      'Partition t-0 state changed to (Leader:-1,ISR:1,LeaderRecoveryState:RECOVERED,LeaderEpoch:8,ZkVersion:4,ControllerEpoch:5) after removing replica 1 from the ISR as part of transition to OfflineReplica',
    );
  });

  test('→ OfflineReplica of a live follower: StopReplica(delete=false) to it, ISR without it, leader kept', async () => {
    const f = new Fixture([1, 2, 3]);
    f.addTopic('t', [[1, 2, 3]], [st(1, [1, 2, 3])]);
    f.ctx.putReplicaState(r(2), 'OnlineReplica');
    await machine(f).rsm.handleStateChanges([r(2)], 'OfflineReplica');
    expect(f.stopReplicaTo(2)).toEqual(['t-0:false']);
    expect(f.znodes.get('t-0')).toMatchObject({ leader: 1, leaderEpoch: 8, isr: [1, 3] });
    expect(f.leaderAndIsrTo(1)).toEqual([
      { tp: 't-0', leader: 1, leaderEpoch: 8, isr: [1, 3], isNew: false },
    ]);
    expect(f.leaderAndIsrTo(2)).toEqual([]);
  });

  test('→ OfflineReplica of a replica not in the ISR writes nothing, and topics being deleted get no LeaderAndIsr', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2]], [st(1, [1])]);
    f.ctx.topicsToBeDeleted.add('t');
    f.ctx.putReplicaState(r(2), 'OnlineReplica');
    await machine(f).rsm.handleStateChanges([r(2)], 'OfflineReplica');
    expect(f.writes).toEqual([]);
    expect(f.leaderAndIsrTo(1)).toEqual([]);
    expect(f.ctx.replicaState(r(2))).toBe('OfflineReplica');
  });

  test('→ ReplicaDeletionStarted: StopReplica(delete=true), the response reaches the deletion callback', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2]], [st(1, [1, 2])]);
    f.ctx.putReplicaState(r(2), 'OfflineReplica');
    f.stopReplicaResponse = () => ({
      errorCode: 0,
      partitionErrors: [{ topicName: 't', partitionIndex: 0, errorCode: 56 }],
    });
    const { rsm, responses } = machine(f);
    await rsm.handleStateChanges([r(2)], 'ReplicaDeletionStarted');
    expect(f.stopReplicaTo(2)).toEqual(['t-0:true']);
    expect(responses).toEqual([
      {
        broker: 2,
        response: { errorCode: 0, partitionErrors: [{ topicName: 't', partitionIndex: 0, errorCode: 56 }] },
        partitions: [{ topic: 't', partition: 0, deletePartition: true }],
      },
    ]);
  });

  test('StopReplica(delete=false) responses are not fed back', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2]], [st(1, [1, 2])]);
    f.ctx.putReplicaState(r(2), 'OnlineReplica');
    const { rsm, responses } = machine(f);
    await rsm.handleStateChanges([r(2)], 'OfflineReplica');
    expect(responses).toEqual([]);
  });

  test('→ NonExistentReplica drops the replica from the assignment and forgets its state', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2]], [st(1, [1, 2])]);
    f.ctx.putReplicaState(r(2), 'ReplicaDeletionSuccessful');
    await machine(f).rsm.handleStateChanges([r(2)], 'NonExistentReplica');
    expect(f.ctx.assignment('t', 0)!.replicas).toEqual([1]);
    expect(f.ctx.replicaStates.size).toBe(0);
  });

  test('→ NewReplica sends LeaderAndIsr(isNew) to the replica, but not when it is the leader', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2]], [st(1, [1])]);
    await machine(f).rsm.handleStateChanges([r(1), r(2)], 'NewReplica');
    expect(f.leaderAndIsrTo(2)).toEqual([{ tp: 't-0', leader: 1, leaderEpoch: 7, isr: [1], isNew: true }]);
    expect(f.leaderAndIsrTo(1)).toEqual([]);
    expect(f.ctx.replicaState(r(1))).toBe('NonExistentReplica');
    expect(f.log('ERROR')[0]).toMatch(
      /cannot be moved to NewReplica state as it is being requested to become leader/,
    );
  });

  test('NewReplica → OnlineReplica sends nothing; OfflineReplica → OnlineReplica sends the current state', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic(
      't',
      [
        [1, 2],
        [1, 2],
      ],
      [st(1, [1, 2]), st(1, [1, 2])],
    );
    f.ctx.putReplicaState(r(2, 0), 'NewReplica');
    f.ctx.putReplicaState(r(2, 1), 'OfflineReplica');
    await machine(f).rsm.handleStateChanges([r(2, 0), r(2, 1)], 'OnlineReplica');
    expect(f.leaderAndIsrTo(2)).toEqual([
      { tp: 't-1', leader: 1, leaderEpoch: 7, isr: [1, 2], isNew: false },
    ]);
  });

  test('startup: live replicas Online (with their LeaderAndIsr), dead ones Ineligible then Offline (out of the ISR)', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2, 3]], [st(3, [3, 1, 2])]);
    await machine(f).rsm.startup();
    expect(f.ctx.replicaState(r(1))).toBe('OnlineReplica');
    expect(f.ctx.replicaState(r(3))).toBe('OfflineReplica');
    expect(f.log('INFO')).toContain(
      'Changed state of replica 3 for partition t-0 from ReplicaDeletionIneligible to OfflineReplica',
    );
    expect(f.znodes.get('t-0')).toMatchObject({ leader: -1, isr: [1, 2], leaderEpoch: 8 });
  });
});
