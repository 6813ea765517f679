// Controller fencing with ZooKeeper multi transactions, against a real ZooKeeper: every controller
// write is a multi whose first op checks /controller_epoch's zkVersion (Kafka's CheckOp), so a
// controller that has been replaced cannot change anything, not even between its own check and
// its write. Also the multi session itself: atomicity, per-op errors, chroot, and a new session
// after a lost connection.

import net from 'node:net';
import { KafkaZkClient } from '../../src/zk/kafka-zk-client';
import { ZkClient, ZkCode, ZkFencedError } from '../../src/zk/zk-client';
import { ZkMultiOpError, ZkMultiSession } from '../../src/zk/zk-multi-session';
import { ControllerEpochZNode, ZkPaths } from '../../src/zk/zk-data';
import { startTestZooKeeper, type TestZooKeeper } from '../harness';

jest.setTimeout(90_000);

let zk: TestZooKeeper;
const clients: ZkClient[] = [];

async function client(connect = zk.connectString): Promise<ZkClient> {
  const c = new ZkClient({ connect, sessionTimeoutMs: 6000, connectionTimeoutMs: 10_000 });
  await c.connect();
  clients.push(c);
  return c;
}

beforeAll(async () => {
  zk = await startTestZooKeeper();
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await zk?.stop();
});

const state = (leader: number, leaderEpoch: number, controllerEpoch: number) => ({
  leader,
  leaderEpoch,
  isr: [0, 1, 2],
  controllerEpoch,
  leaderRecoveryState: 0,
});

test('a deposed controller cannot write partition state, topic assignments or deletions', async () => {
  const old = new KafkaZkClient(await client());
  const successor = new KafkaZkClient(await client());
  await old.createTopLevelPaths();
  await old.zk.createRecursive(ZkPaths.controllerEpoch, ControllerEpochZNode.encode(1));
  const epoch1 = (await old.zk.exists(ZkPaths.controllerEpoch))!;
  const oldFence = { path: ZkPaths.controllerEpoch, version: epoch1.version };

  // While it is the controller, its fenced writes go through.
  await old.createPartitionState('t', 0, state(0, 0, 1), oldFence);
  const v1 = await old.updatePartitionState('t', 0, state(1, 1, 1), 0, oldFence);
  expect(v1).toBe(1);

  // Another broker wins the next election: /controller_epoch moves on.
  const stat = await successor.zk.setData(
    ZkPaths.controllerEpoch,
    ControllerEpochZNode.encode(2),
    epoch1.version,
  );
  const newFence = { path: ZkPaths.controllerEpoch, version: stat.version };

  // The old controller's write fails as a whole even with the right partition-state version...
  await expect(old.updatePartitionState('t', 0, state(0, 2, 1), v1, oldFence)).rejects.toBeInstanceOf(
    ZkFencedError,
  );
  // ...and so do its creations, assignment writes and deletions.
  await expect(old.createPartitionState('t', 1, state(0, 0, 1), oldFence)).rejects.toBeInstanceOf(
    ZkFencedError,
  );
  await old.zk.createRecursive(ZkPaths.topic('t'), '{}');
  await expect(
    old.setTopicAssignment(
      't',
      {
        partitions: new Map([[0, [9]]]),
        addingReplicas: new Map(),
        removingReplicas: new Map(),
        topicId: null,
      },
      -1,
      oldFence,
    ),
  ).rejects.toBeInstanceOf(ZkFencedError);
  await expect(old.deleteTopicZNodes('t', oldFence)).rejects.toBeInstanceOf(ZkFencedError);

  // Nothing changed: the successor still sees leader 1, epoch 1, and the topic is there.
  const s = await successor.getPartitionState('t', 0);
  expect(s).toMatchObject({ leader: 1, leaderEpoch: 1, controllerEpoch: 1, partitionEpoch: 1 });
  expect(await successor.getPartitionState('t', 1)).toBeNull();
  expect(await successor.topicExists('t')).toBe(true);

  // The successor's own fenced write works, and a stale partition version still fails on its own.
  expect(await successor.updatePartitionState('t', 0, state(2, 2, 2), 1, newFence)).toBe(2);
  const stale = successor.updatePartitionState('t', 0, state(0, 3, 2), 1, newFence);
  await expect(stale).rejects.toMatchObject({ code: ZkCode.BADVERSION });
  await expect(stale).rejects.not.toBeInstanceOf(ZkFencedError);
  await successor.deleteTopicZNodes('t', newFence);
  expect(await successor.topicExists('t')).toBe(false);
});

test('a multi is all or nothing, with the failing op reported', async () => {
  const c = await client();
  await c.createRecursive('/multi-test/existing', 'x');
  const attempt = c.multi([
    { type: 'create', path: '/multi-test/new', data: Buffer.from('n'), flags: 0 },
    { type: 'setData', path: '/multi-test/existing', data: Buffer.from('y'), version: -1 },
    { type: 'create', path: '/multi-test/existing', data: Buffer.alloc(0), flags: 0 },
  ]);
  await expect(attempt).rejects.toBeInstanceOf(ZkMultiOpError);
  await expect(attempt).rejects.toMatchObject({ code: ZkCode.NODEEXISTS, opIndex: 2 });
  expect(await c.exists('/multi-test/new')).toBeNull();
  expect((await c.getData('/multi-test/existing'))!.data.toString()).toBe('x');

  const ok = await c.multi([
    { type: 'check', path: '/multi-test/existing', version: 0 },
    { type: 'create', path: '/multi-test/new', data: Buffer.from('n'), flags: 0 },
    { type: 'setData', path: '/multi-test/existing', data: Buffer.from('y'), version: 0 },
    { type: 'delete', path: '/multi-test/new', version: 0 },
  ]);
  expect(ok.map((r) => r.type)).toEqual(['check', 'create', 'setData', 'delete']);
  expect(ok[1]).toEqual({ type: 'create', path: '/multi-test/new' });
  expect(ok[2]).toMatchObject({ type: 'setData', stat: { version: 1 } });
  expect((await c.getData('/multi-test/existing'))!.data.toString()).toBe('y');
  expect(await c.exists('/multi-test/new')).toBeNull();
});

test('fenced writes honour a chroot in zookeeper.connect', async () => {
  const root = await client();
  await root.createRecursive('/chroot-a');
  const c = await client(`${zk.connectString}/chroot-a`);
  await c.createRecursive('/controller_epoch', '5');
  const fence = { path: '/controller_epoch', version: 0 };
  await c.create('/x', 'fenced', 0, fence);
  expect((await root.getData('/chroot-a/x'))!.data.toString()).toBe('fenced');
  await c.setData('/controller_epoch', '6');
  await expect(c.setData('/x', 'late', -1, fence)).rejects.toBeInstanceOf(ZkFencedError);
  expect((await root.getData('/chroot-a/x'))!.data.toString()).toBe('fenced');
});

/** A TCP relay to ZooKeeper whose connections the test can cut, as a network failure would. */
async function relayTo(port: number): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut: () => sockets.forEach((s) => s.resetAndDestroy()),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

test('the multi session opens a new session after its connection is lost', async () => {
  const relay = await relayTo(zk.port);
  // A multi session of its own, through the relay.
  const c = new ZkMultiSession({
    connect: `127.0.0.1:${relay.port}`,
    sessionTimeoutMs: 6000,
    connectionTimeoutMs: 10_000,
  });
  try {
    await c.multi([{ type: 'create', path: '/cut-test', data: Buffer.from('0'), flags: 0 }]);
    await c.multi([{ type: 'setData', path: '/cut-test', data: Buffer.from('1'), version: -1 }]);
    relay.cut();
    // The cut may or may not be seen before the next call; either way a later one goes through.
    let version: number | null = null;
    const errors: string[] = [];
    const deadline = Date.now() + 30_000;
    while (version === null && Date.now() < deadline) {
      try {
        const r = await c.multi([
          { type: 'setData', path: '/cut-test', data: Buffer.from('2'), version: -1 },
        ]);
        version = (r[0] as { stat: { version: number } }).stat.version;
      } catch (e) {
        expect(e).toMatchObject({ code: ZkCode.CONNECTIONLOSS });
        errors.push((e as Error).message);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (version === null) throw new Error(`no multi after the cut: ${errors.slice(-3).join('; ')}`);
    expect(version).toBe(2);
  } finally {
    await c.close();
    await relay.close();
  }
});
