import {
  PARTITION_VALID_PREVIOUS_STATES,
  PartitionState,
  PartitionStateMachine,
} from '../../../src/controller/partition-state-machine';
import { Fixture, State } from './state-machine-fixture';

const t0 = { topic: 't', partition: 0 };
const st = (leader: number, isr: number[], leaderEpoch = 7, controllerEpoch = 4): State => ({
  leader,
  leaderEpoch,
  isr,
  controllerEpoch,
  leaderRecoveryState: 0,
});

function machine(f: Fixture, unclean = false) {
  const asked: string[] = [];
  const psm = new PartitionStateMachine({
    ...f.deps(),
    uncleanLeaderElectionEnabled: async (topic) => {
      asked.push(topic);
      return unclean;
    },
  });
  return { psm, asked };
}

describe('partition state machine: states and valid previous states (Kafka 3.9)', () => {
  test('the table', () => {
    expect(PARTITION_VALID_PREVIOUS_STATES).toEqual({
      NewPartition: ['NonExistentPartition'],
      OnlinePartition: ['NewPartition', 'OnlinePartition', 'OfflinePartition'],
      OfflinePartition: ['NewPartition', 'OnlinePartition', 'OfflinePartition'],
      NonExistentPartition: ['OfflinePartition'],
    });
  });

  const all: PartitionState[] = [
    'NewPartition',
    'OnlinePartition',
    'OfflinePartition',
    'NonExistentPartition',
  ];
  for (const from of all)
    for (const to of ['NewPartition', 'OfflinePartition', 'NonExistentPartition'] as PartitionState[]) {
      const valid = PARTITION_VALID_PREVIOUS_STATES[to].includes(from);
      test(`${from} → ${to} is ${valid ? 'applied' : 'refused and logged'}`, async () => {
        const f = new Fixture([1, 2]);
        f.addTopic('t', [[1, 2]], [st(1, [1, 2])]);
        f.ctx.putPartitionState(t0, from);
        await machine(f).psm.handleStateChanges([t0], to);
        expect(f.ctx.partitionState(t0)).toBe(valid ? to : from);
        if (valid) {
          expect(f.log('ERROR')).toEqual([]);
          expect(f.log('INFO')[0]).toMatch(new RegExp(`^Changed partition t-0 state from ${from} to ${to}`));
        } else
          expect(f.log('ERROR')).toEqual([
            `Controller 0 epoch 5 failed to change state for partition t-0 from ${from} to ${to}\n` +
              `java.lang.IllegalStateException: Partition t-0 should be in one of ${PARTITION_VALID_PREVIOUS_STATES[to].join(',')} states before moving to ${to} state. Instead it is in ${from} state`,
          ]);
        expect(f.sent).toEqual([]);
        expect(f.writes).toEqual([]);
      });
    }

  test('NonExistentPartition → OnlinePartition is refused', async () => {
    const f = new Fixture([1]);
    f.addTopic('t', [[1]]);
    const r = await machine(f).psm.handleStateChanges([t0], 'OnlinePartition', {
      kind: 'offline',
      allowUnclean: false,
    });
    expect(f.ctx.partitionState(t0)).toBe('NonExistentPartition');
    expect(r.get('t-0')).toEqual({ error: 'invalid state transition' });
    expect(f.writes).toEqual([]);
  });

  test('→ NewPartition logs the assigned replicas', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[2, 1]]);
    await machine(f).psm.handleStateChanges([t0], 'NewPartition');
    expect(f.log()).toEqual([
      'Changed partition t-0 state from NonExistentPartition to NewPartition with assigned replicas 2,1',
    ]);
  });
});

describe('partition state machine: → OnlinePartition', () => {
  test('New → Online: first live replica leads, live replicas form the ISR, epoch 0, LeaderAndIsr(isNew) to the ISR', async () => {
    const f = new Fixture([1, 3]);
    f.addTopic('t', [[2, 3, 1]]);
    f.ctx.putPartitionState(t0, 'NewPartition');
    await machine(f).psm.handleStateChanges([t0], 'OnlinePartition', {
      kind: 'offline',
      allowUnclean: false,
    });
    expect(f.ctx.partitionState(t0)).toBe('OnlinePartition');
    expect(f.znodes.get('t-0')).toEqual({
      leader: 3,
      leaderEpoch: 0,
      isr: [3, 1],
      controllerEpoch: 5,
      leaderRecoveryState: 0,
      partitionEpoch: 0,
    });
    expect(f.leaderAndIsrTo(3)).toEqual([{ tp: 't-0', leader: 3, leaderEpoch: 0, isr: [3, 1], isNew: true }]);
    expect(f.leaderAndIsrTo(1)).toEqual([{ tp: 't-0', leader: 3, leaderEpoch: 0, isr: [3, 1], isNew: true }]);
    expect(f.log('INFO')).toContain(
      'Changed partition t-0 from NewPartition to OnlinePartition with state LeaderAndIsr(leader=3, leaderEpoch=0, isrWithBrokerEpoch=[BrokerState(brokerId=3, brokerEpoch=-1), BrokerState(brokerId=1, brokerEpoch=-1)], leaderRecoveryState=RECOVERED, partitionEpoch=0)',
    );
  });

  test('New → Online with no live replica fails and stays New', async () => {
    const f = new Fixture([1]);
    f.addTopic('t', [[2, 3]]);
    f.ctx.putPartitionState(t0, 'NewPartition');
    const r = await machine(f).psm.handleStateChanges([t0], 'OnlinePartition', {
      kind: 'offline',
      allowUnclean: false,
    });
    expect(f.ctx.partitionState(t0)).toBe('NewPartition');
    expect(r.get('t-0')).toHaveProperty('error');
    expect(f.znodes.has('t-0')).toBe(false);
    expect(f.log('ERROR')[0]).toMatch(
      /^Controller 0 epoch 5 failed to change state for partition t-0 from NewPartition to OnlinePartition\n.*No assigned replica is alive\./,
    );
  });

  test('Offline → Online (clean): first live ISR member in assignment order, ISR ∩ live, epoch + 1', async () => {
    const f = new Fixture([2, 3]);
    f.addTopic('t', [[1, 2, 3]], [st(1, [3, 1, 2])]);
    f.ctx.putPartitionState(t0, 'OfflinePartition');
    const { psm, asked } = machine(f);
    await psm.handleStateChanges([t0], 'OnlinePartition', { kind: 'offline', allowUnclean: false });
    expect(f.ctx.partitionState(t0)).toBe('OnlinePartition');
    expect(f.writes).toEqual([
      {
        tp: 't-0',
        state: { leader: 2, leaderEpoch: 8, isr: [3, 2], controllerEpoch: 5, leaderRecoveryState: 0 },
      },
    ]);
    expect(asked).toEqual([]); // a live ISR member exists: the topic config is not consulted
    expect(f.leaderAndIsrTo(3)).toEqual([
      { tp: 't-0', leader: 2, leaderEpoch: 8, isr: [3, 2], isNew: false },
    ]);
    expect(f.log('INFO')).toContain(
      'Changed partition t-0 from OfflinePartition to OnlinePartition with state LeaderAndIsr(leader=2, leaderEpoch=8, isrWithBrokerEpoch=[BrokerState(brokerId=3, brokerEpoch=-1), BrokerState(brokerId=2, brokerEpoch=-1)], leaderRecoveryState=RECOVERED, partitionEpoch=4)',
    );
  });

  test('Offline → Online with no live ISR member: fails unless the topic allows unclean election', async () => {
    const f = new Fixture([2]);
    f.addTopic('t', [[1, 2]], [st(-1, [1])]);
    f.ctx.putPartitionState(t0, 'OfflinePartition');
    const clean = machine(f, false);
    const r = await clean.psm.handleStateChanges([t0], 'OnlinePartition', {
      kind: 'offline',
      allowUnclean: false,
    });
    expect(clean.asked).toEqual(['t']);
    expect(r.get('t-0')).toEqual({
      error:
        'Failed to elect leader for partition t-0 under strategy OfflinePartitionLeaderElectionStrategy(false)',
    });
    expect(f.ctx.partitionState(t0)).toBe('OfflinePartition');
    expect(f.writes).toEqual([]);
    expect(f.sent).toEqual([]);
    expect(f.log('ERROR')).toEqual([
      'Controller 0 epoch 5 failed to change state for partition t-0 from OfflinePartition to OnlinePartition\n' +
        'kafka.common.StateChangeFailedException: Failed to elect leader for partition t-0 under strategy OfflinePartitionLeaderElectionStrategy(false)',
    ]);

    await machine(f, true).psm.handleStateChanges([t0], 'OnlinePartition', {
      kind: 'offline',
      allowUnclean: false,
    });
    expect(f.ctx.partitionState(t0)).toBe('OnlinePartition');
    expect(f.writes).toEqual([
      {
        tp: 't-0',
        state: { leader: 2, leaderEpoch: 8, isr: [2], controllerEpoch: 5, leaderRecoveryState: 1 },
      },
    ]);
    expect(f.log('INFO').some((l) => l.includes('(unclean election)'))).toBe(true);
  });

  test('a concurrent write (BADVERSION) makes the election re-read and retry', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2]], [st(1, [1, 2])]);
    f.ctx.putPartitionState(t0, 'OnlinePartition');
    f.ctx.shuttingDownBrokerIds.add(1);
    f.badVersions = 1;
    await machine(f).psm.handleStateChanges([t0], 'OnlinePartition', { kind: 'controlledShutdown' });
    expect(f.writes).toEqual([
      {
        tp: 't-0',
        state: { leader: 2, leaderEpoch: 8, isr: [2], controllerEpoch: 5, leaderRecoveryState: 0 },
      },
    ]);
    expect(f.znodes.get('t-0')!.partitionEpoch).toBe(5);
    // The shutting-down broker is still sent the new state; the transition is logged once.
    expect(f.leaderAndIsrTo(1)).toEqual([{ tp: 't-0', leader: 2, leaderEpoch: 8, isr: [2], isNew: false }]);
    expect(
      f
        .log('INFO')
        .filter((l) => /Changed partition t-0 from OnlinePartition to OnlinePartition .*leader=2,/.test(l)),
    ).toHaveLength(1);
  });

  test('preferred: only the first replica, when live and in the ISR', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic(
      't',
      [
        [1, 2],
        [1, 2],
      ],
      [st(2, [2, 1]), st(2, [2])],
    );
    const t1 = { topic: 't', partition: 1 };
    f.ctx.putPartitionState(t0, 'OnlinePartition');
    f.ctx.putPartitionState(t1, 'OnlinePartition');
    const r = await machine(f).psm.handleStateChanges([t0, t1], 'OnlinePartition', { kind: 'preferred' });
    expect(f.znodes.get('t-0')!.leader).toBe(1);
    expect(f.znodes.get('t-1')!.leader).toBe(2);
    expect(r.get('t-1')).toEqual({
      error:
        'Failed to elect leader for partition t-1 under strategy PreferredReplicaPartitionLeaderElectionStrategy',
    });
  });

  test('a state znode written by a newer controller aborts the election', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic('t', [[1, 2]], [st(1, [1, 2], 7, 9)]);
    f.ctx.putPartitionState(t0, 'OnlinePartition');
    await machine(f).psm.handleStateChanges([t0], 'OnlinePartition', { kind: 'preferred' });
    expect(f.writes).toEqual([]);
    expect(f.log('ERROR')[0]).toMatch(
      /Aborted leader election for partition t-0 since the LeaderAndIsr path was already written by another controller/,
    );
  });

  test('startup: live leader → Online, dead leader → Offline (then elected), no state → New (then initialized)', async () => {
    const f = new Fixture([1, 2]);
    f.addTopic(
      't',
      [
        [1, 2],
        [3, 2],
        [2, 1],
      ],
      [st(1, [1, 2]), st(3, [3, 2]), null],
    );
    const psm = machine(f).psm;
    psm.initializePartitionState();
    expect(f.ctx.partitionState({ topic: 't', partition: 0 })).toBe('OnlinePartition');
    expect(f.ctx.partitionState({ topic: 't', partition: 1 })).toBe('OfflinePartition');
    expect(f.ctx.partitionState({ topic: 't', partition: 2 })).toBe('NewPartition');
    await psm.triggerOnlinePartitionStateChange();
    expect(f.ctx.partitionsInState('OnlinePartition').length).toBe(3);
    expect(f.znodes.get('t-1')!.leader).toBe(2);
    expect(f.znodes.get('t-2')!.leader).toBe(2);
  });

  test('topics queued for deletion are left alone by triggerOnlinePartitionStateChange', async () => {
    const f = new Fixture([2]);
    f.addTopic('t', [[1, 2]], [st(1, [1, 2])]);
    f.ctx.putPartitionState(t0, 'OfflinePartition');
    f.ctx.topicsToBeDeleted.add('t');
    await machine(f).psm.triggerOnlinePartitionStateChange();
    expect(f.ctx.partitionState(t0)).toBe('OfflinePartition');
    expect(f.writes).toEqual([]);
  });
});
