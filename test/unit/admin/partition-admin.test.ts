import { enforcedBrokerMetadata, newPartitionsAssignment } from '../../../src/admin/partition-admin';
import { AdminOperationError } from '../../../src/admin/replica-assignment';

const brokers = (ids: number[]) => ids.map((id) => ({ id, rack: null }));
const existing = (lists: number[][]) => new Map(lists.map((r, i) => [i, r]));
const failure = (fn: () => unknown): [number, string] => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AdminOperationError);
    return [(e as AdminOperationError).errorCode, (e as Error).message];
  }
  throw new Error('expected an error');
};

describe('CreatePartitions placement (AdminZkClient.createNewPartitionsAssignment)', () => {
  test('continues the layout from the broker of partition 0’s first replica', () => {
    const a = newPartitionsAssignment(
      't',
      existing([
        [2, 1],
        [3, 2],
        [1, 3],
      ]),
      brokers([1, 2, 3]),
      5,
      null,
    );
    expect(Object.fromEntries(a)).toEqual({ 3: [2, 3], 4: [3, 1] });
  });

  test('counts: lower and equal are refused', () => {
    const e = existing([[1], [1], [1]]);
    expect(failure(() => newPartitionsAssignment('t', e, brokers([1]), 2, null))).toEqual([
      37,
      'Topic currently has 3 partitions, which is higher than the requested 2.',
    ]);
    expect(failure(() => newPartitionsAssignment('t', e, brokers([1]), 3, null))).toEqual([
      37,
      'Topic already has 3 partitions.',
    ]);
  });

  test('manual assignments: known brokers, one per new partition, no duplicates, same RF', () => {
    const e = existing([[1, 2]]);
    const b = brokers([1, 2, 3]);
    expect(
      Object.fromEntries(
        newPartitionsAssignment('t', e, b, 3, [
          [3, 1],
          [2, 3],
        ]),
      ),
    ).toEqual({
      1: [3, 1],
      2: [2, 3],
    });
    expect(failure(() => newPartitionsAssignment('t', e, b, 2, [[1, 7]]))).toEqual([
      39,
      'Unknown broker(s) in replica assignment: 7.',
    ]);
    expect(failure(() => newPartitionsAssignment('t', e, b, 3, [[1, 2]]))).toEqual([
      39,
      'Increasing the number of partitions by 2 but 1 assignments provided.',
    ]);
    expect(failure(() => newPartitionsAssignment('t', e, b, 2, [[2, 2]]))).toEqual([
      39,
      'Duplicate brokers not allowed in replica assignment: 2, 2 for partition id 1.',
    ]);
    expect(failure(() => newPartitionsAssignment('t', e, b, 3, [[1], [1, 2, 3]]))).toEqual([
      39,
      'Inconsistent replication factor between partitions, partition 0 has 2 while partitions [1, 2] have replication factors [1, 3], respectively.',
    ]);
  });

  test('brokers sorted by id; some with and some without racks is refused', () => {
    const reg = (id: number, rack: string | null) => ({
      id,
      rack,
      endpoints: [],
      jmxPort: -1,
      timestamp: '0',
      features: {},
    });
    expect(enforcedBrokerMetadata([reg(3, null), reg(1, null)]).map((b) => b.id)).toEqual([1, 3]);
    expect(() => enforcedBrokerMetadata([reg(1, 'a'), reg(2, null)])).toThrow(
      'Not all brokers have rack information. Add --disable-rack-aware in command line to make replica assignment without rack information.',
    );
  });
});
