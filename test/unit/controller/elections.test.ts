import { reassignmentState } from '../../../src/controller/kafka-controller';
import {
  controlledShutdownPartitionLeaderElection,
  offlinePartitionLeaderElection,
  preferredReplicaPartitionLeaderElection,
} from '../../../src/controller/partition-leader-election';

const live = (ids: number[]) => (id: number) => ids.includes(id);

describe("Kafka's leader election rules", () => {
  test('offline: first live ISR member in assignment order; ISR keeps only live members', () => {
    expect(offlinePartitionLeaderElection([1, 2, 3], [3, 2, 1], live([2, 3]), false, 0)).toEqual({
      leader: 2,
      isr: [3, 2],
      leaderRecoveryState: 0,
    });
  });

  test('offline: no live ISR member → no leader unless unclean election is allowed', () => {
    expect(offlinePartitionLeaderElection([1, 2, 3], [1], live([2, 3]), false, 0)).toBeNull();
    expect(offlinePartitionLeaderElection([1, 2, 3], [1], live([3, 2]), true, 0)).toEqual({
      leader: 2,
      isr: [2],
      leaderRecoveryState: 1,
    });
  });

  test('preferred: only the first assigned replica, when live and in the ISR', () => {
    expect(preferredReplicaPartitionLeaderElection([2, 1], [1, 2], live([1, 2]), 0)).toEqual({
      leader: 2,
      isr: [1, 2],
      leaderRecoveryState: 0,
    });
    expect(preferredReplicaPartitionLeaderElection([2, 1], [1], live([1, 2]), 0)).toBeNull();
    expect(preferredReplicaPartitionLeaderElection([2, 1], [1, 2], live([1]), 0)).toBeNull();
  });

  test('controlled shutdown: leadership leaves the shutting-down broker, which leaves the ISR', () => {
    expect(
      controlledShutdownPartitionLeaderElection([1, 2, 3], [1, 2, 3], live([1, 2, 3]), new Set([1]), 0),
    ).toEqual({
      leader: 2,
      isr: [2, 3],
      leaderRecoveryState: 0,
    });
    expect(controlledShutdownPartitionLeaderElection([1, 2], [1], live([1, 2]), new Set([1]), 0)).toBeNull();
  });
});

describe('reassignment state (RS = distinct(T ++ O), AR = RS − O, RR = RS − T)', () => {
  test('moving [1,2,3] to [3,4,5]', () => {
    expect(reassignmentState([1, 2, 3], [3, 4, 5])).toEqual({
      replicas: [3, 4, 5, 1, 2],
      addingReplicas: [4, 5],
      removingReplicas: [1, 2],
    });
  });
  test('overlapping target reorders, as in Kafka', () => {
    expect(reassignmentState([1, 2, 3], [3, 4, 2])).toEqual({
      replicas: [3, 4, 2, 1],
      addingReplicas: [4],
      removingReplicas: [1],
    });
  });
  test('cancel: the target is the origin, nothing is added or removed', () => {
    expect(reassignmentState([1, 2, 3], [1, 2, 3])).toEqual({
      replicas: [1, 2, 3],
      addingReplicas: [],
      removingReplicas: [],
    });
  });
});
