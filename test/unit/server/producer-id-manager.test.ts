// Producer id blocks in /latest_producer_id_block (conditional writes, retries on conflict,
// prefetch at 90%) against an in-memory ZooKeeper, and InitProducerId's request checks.

import { initProducerIdHandler } from '../../../src/server/handlers/init-producer-id';
import {
  allocateProducerIdBlock,
  ProducerIdBlockZNode,
  ProducerIdManager,
} from '../../../src/server/producer-id-manager';
import { ErrorCode } from '../../../src/protocol/errors';
import type { InitProducerIdRequest } from '../../../src/protocol/messages/generated/InitProducerIdRequest';
import type { RequestContext } from '../../../src/server/api-handler';
import { Stat, ZkClient, ZkCode, ZkError } from '../../../src/zk/zk-client';
import { captureLogs } from '../log/helpers';

const PATH = '/latest_producer_id_block';

/** One znode's worth of ZooKeeper, with a hook to write behind the caller's back. */
class FakeZk {
  data: Buffer | null = Buffer.alloc(0);
  version = 0;
  writes = 0;
  beforeSet: (() => void) | null = null;

  private stat(): Stat {
    return {
      czxid: 1,
      mzxid: 1,
      version: this.version,
      cversion: 0,
      numChildren: 0,
      ephemeralOwner: '0',
      ctime: 0,
      mtime: 0,
    };
  }

  async getData(path: string): Promise<{ data: Buffer; stat: Stat } | null> {
    expect(path).toBe(PATH);
    return this.data === null ? null : { data: this.data, stat: this.stat() };
  }

  async setData(path: string, data: Buffer, version: number): Promise<Stat> {
    const hook = this.beforeSet;
    this.beforeSet = null;
    hook?.();
    if (this.data === null) throw new ZkError(ZkCode.NONODE, path);
    if (version !== -1 && version !== this.version) throw new ZkError(ZkCode.BADVERSION, path);
    this.data = Buffer.from(data);
    this.version++;
    this.writes++;
    return this.stat();
  }

  async create(path: string, data: Buffer): Promise<string> {
    if (this.data !== null) throw new ZkError(ZkCode.NODEEXISTS, path);
    this.data = Buffer.from(data);
    this.writes++;
    return path;
  }

  json(): unknown {
    return JSON.parse(this.data!.toString('utf8'));
  }

  asClient(): ZkClient {
    return this as unknown as ZkClient;
  }
}

let logs: ReturnType<typeof captureLogs>;
beforeEach(() => (logs = captureLogs()));
afterEach(() => logs.restore());

const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } as never;

describe('/latest_producer_id_block', () => {
  test('the first block is 0..999, then each block follows the one in the znode', async () => {
    const zk = new FakeZk();
    expect(await allocateProducerIdBlock(zk.asClient(), 2, quiet)).toEqual({
      assignedBrokerId: 2,
      firstProducerId: 0n,
      size: 1000n,
    });
    expect(zk.data!.toString()).toBe('{"version":1,"broker":2,"block_start":"0","block_end":"999"}');
    await allocateProducerIdBlock(zk.asClient(), 0, quiet);
    expect(zk.json()).toEqual({ version: 1, broker: 0, block_start: '1000', block_end: '1999' });
  });

  test('a conflicting write by another broker makes us read again and take the next block', async () => {
    const zk = new FakeZk();
    zk.data = ProducerIdBlockZNode.encode({ assignedBrokerId: 1, firstProducerId: 5000n, size: 1000n });
    zk.beforeSet = () => {
      zk.data = ProducerIdBlockZNode.encode({ assignedBrokerId: 1, firstProducerId: 6000n, size: 1000n });
      zk.version++;
    };
    const b = await allocateProducerIdBlock(zk.asClient(), 3, quiet);
    expect(b.firstProducerId).toBe(7000n);
    expect(zk.json()).toEqual({ version: 1, broker: 3, block_start: '7000', block_end: '7999' });
  });

  test('an empty znode, or one holding "null", means no block was handed out yet', async () => {
    const zk = new FakeZk();
    zk.data = Buffer.from('null');
    expect((await allocateProducerIdBlock(zk.asClient(), 1, quiet)).firstProducerId).toBe(0n);
    expect(zk.json()).toEqual({ version: 1, broker: 1, block_start: '0', block_end: '999' });
  });

  test('a missing znode is created', async () => {
    const zk = new FakeZk();
    zk.data = null;
    expect((await allocateProducerIdBlock(zk.asClient(), 1, quiet)).firstProducerId).toBe(0n);
    expect(zk.json()).toEqual({ version: 1, broker: 1, block_start: '0', block_end: '999' });
  });

  test('ids are handed out in order; the next block is prefetched at 90%', async () => {
    const zk = new FakeZk();
    const m = new ProducerIdManager(0, zk.asClient());
    expect(zk.writes).toBe(0); // nothing reserved before the first request
    const ids: bigint[] = [];
    for (let i = 0; i < 900; i++) ids.push(await m.generateProducerId());
    expect(ids[0]).toBe(0n);
    expect(ids[899]).toBe(899n);
    expect(zk.writes).toBe(1);
    ids.push(await m.generateProducerId()); // 900: triggers the prefetch
    await new Promise((r) => setImmediate(r));
    expect(zk.writes).toBe(2);
    expect(zk.json()).toMatchObject({ block_start: '1000' });
    for (let i = 0; i < 99; i++) ids.push(await m.generateProducerId());
    expect(await m.generateProducerId()).toBe(1000n);
    expect(new Set(ids).size).toBe(1000);
  });

  test('concurrent requests share one block', async () => {
    const zk = new FakeZk();
    const m = new ProducerIdManager(0, zk.asClient());
    const ids = await Promise.all(Array.from({ length: 20 }, () => m.generateProducerId()));
    expect(new Set(ids).size).toBe(20);
    expect(zk.writes).toBe(1);
  });
});

describe('InitProducerId', () => {
  const ctx = { apiVersion: 4 } as RequestContext;
  const req = (r: Partial<InitProducerIdRequest>): InitProducerIdRequest => ({
    transactionalId: null,
    transactionTimeoutMs: 60000,
    producerId: -1n,
    producerEpoch: -1,
    ...r,
  });
  let next = 41n;
  const handler = initProducerIdHandler({ generateProducerId: async () => next++ });

  test('an idempotent producer always gets a new id with epoch 0', async () => {
    expect(await handler.handle(req({}), ctx)).toEqual({
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      producerId: 41n,
      producerEpoch: 0,
    });
    expect(await handler.handle(req({ producerId: 41n, producerEpoch: 0 }), ctx)).toMatchObject({
      producerId: 42n,
      producerEpoch: 0,
    });
  });

  test('request checks', async () => {
    const err = (code: number) => ({
      throttleTimeMs: 0,
      errorCode: code,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect(await handler.handle(req({ producerId: 5n }), ctx)).toEqual(err(ErrorCode.INVALID_REQUEST));
    expect(await handler.handle(req({ producerEpoch: 1 }), ctx)).toEqual(err(ErrorCode.INVALID_REQUEST));
    expect(await handler.handle(req({ transactionalId: '' }), ctx)).toEqual(err(ErrorCode.INVALID_REQUEST));
    expect(await handler.handle(req({ transactionalId: 't', transactionTimeoutMs: 0 }), ctx)).toEqual(
      err(ErrorCode.INVALID_TRANSACTION_TIMEOUT),
    );
    expect(await handler.handle(req({ transactionalId: 't', transactionTimeoutMs: 900001 }), ctx)).toEqual(
      err(ErrorCode.INVALID_TRANSACTION_TIMEOUT),
    );
    expect(await handler.handle(req({ transactionalId: 't' }), ctx)).toEqual(err(ErrorCode.NOT_COORDINATOR));
  });

  test('no producer id available: COORDINATOR_LOAD_IN_PROGRESS', async () => {
    const failing = initProducerIdHandler({
      generateProducerId: () => Promise.reject(new Error('zk down')),
    });
    expect(await failing.handle(req({}), ctx)).toMatchObject({
      errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
      producerId: -1n,
    });
  });
});
