import { assignReplicasToBrokers, rackAlternatedBrokerList } from '../../../src/admin/replica-assignment';

const ids = (list: number[]) => list.map((id) => ({ id, rack: null }));
const asObject = (m: Map<number, number[]>) => Object.fromEntries(m);

describe("Kafka's replica placement", () => {
  test('rack-unaware: 5 brokers, 10 partitions, RF 3, start=shift=0 (AdminUtils example)', () => {
    const a = assignReplicasToBrokers(ids([0, 1, 2, 3, 4]), 10, 3, { fixedStartIndex: 0 });
    expect(asObject(a)).toEqual({
      0: [0, 1, 2],
      1: [1, 2, 3],
      2: [2, 3, 4],
      3: [3, 4, 0],
      4: [4, 0, 1],
      5: [0, 2, 3],
      6: [1, 3, 4],
      7: [2, 4, 0],
      8: [3, 0, 1],
      9: [4, 1, 2],
    });
  });

  test('rack-aware: racks alternate and every partition spans racks', () => {
    const brokers = [
      { id: 0, rack: 'rack1' },
      { id: 1, rack: 'rack3' },
      { id: 2, rack: 'rack3' },
      { id: 3, rack: 'rack2' },
      { id: 4, rack: 'rack2' },
      { id: 5, rack: 'rack1' },
    ];
    expect(rackAlternatedBrokerList(brokers)).toEqual([0, 3, 1, 5, 4, 2]);
    const a = assignReplicasToBrokers(brokers, 7, 3, { fixedStartIndex: 0 });
    expect(asObject(a)).toEqual({
      0: [0, 3, 1],
      1: [3, 1, 5],
      2: [1, 5, 4],
      3: [5, 4, 2],
      4: [4, 2, 0],
      5: [2, 0, 3],
      6: [0, 4, 2],
    });
  });

  test('CreatePartitions continues the pattern from a start partition', () => {
    const a = assignReplicasToBrokers(ids([1, 2, 3]), 2, 2, { fixedStartIndex: 1, startPartitionId: 3 });
    expect(asObject(a)).toEqual({ 3: [2, 3], 4: [3, 1] });
  });

  test("errors carry Kafka's codes and messages", () => {
    expect(() => assignReplicasToBrokers(ids([0]), 0, 1)).toThrow(
      'Number of partitions must be larger than 0.',
    );
    expect(() => assignReplicasToBrokers(ids([0]), 1, 0)).toThrow(
      'Replication factor must be larger than 0.',
    );
    expect(() => assignReplicasToBrokers(ids([0]), 1, 3)).toThrow(
      'Replication factor: 3 larger than available brokers: 1.',
    );
    expect(() =>
      assignReplicasToBrokers(
        [
          { id: 0, rack: 'a' },
          { id: 1, rack: null },
        ],
        1,
        1,
      ),
    ).toThrow('Not all brokers have rack information for replica rack aware assignment.');
  });

  test('random start still spreads leaders evenly', () => {
    const a = assignReplicasToBrokers(ids([0, 1, 2]), 6, 2);
    const leaders = [...a.values()].map((r) => r[0]);
    for (const b of [0, 1, 2]) expect(leaders.filter((l) => l === b)).toHaveLength(2);
    for (const r of a.values()) expect(new Set(r).size).toBe(2);
  });
});
