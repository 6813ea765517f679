// The test harness and the embedded ZooKeeper against a real ZooKeeper (the system's install).

import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  findZooKeeperInstall,
  fourLetterWord,
  isZooKeeperReachable,
  startEmbeddedZooKeeper,
  type EmbeddedZooKeeper,
} from '../../src/zk/embedded-zookeeper';
import { REPO_ROOT, startBroker } from '../harness/broker';
import { runKcat, runProcess, runSamsa } from '../harness/cli';
import { startCluster } from '../harness/cluster';
import { freePort } from '../harness/ports';
import { isProcessAlive, makeTempDir, stopAll } from '../harness/processes';
import { waitFor } from '../harness/wait';
import { connectZk, type ZkClient } from '../harness/zk-client';
import { startTestZooKeeper, type TestZooKeeper } from '../harness/zookeeper';

const clients: ZkClient[] = [];
const extraZks: EmbeddedZooKeeper[] = [];

async function client(connectString: string): Promise<ZkClient> {
  const c = await connectZk(connectString);
  clients.push(c);
  return c;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.allSettled(extraZks.splice(0).map((z) => z.stop()));
});

afterAll(async () => {
  await stopAll();
});

describe('embedded ZooKeeper via the test harness', () => {
  let zk: TestZooKeeper;

  beforeAll(async () => {
    const t0 = Date.now();
    zk = await startTestZooKeeper();
    console.log(`ZooKeeper started in ${Date.now() - t0} ms on ${zk.connectString}`);
  });

  test('serves on a free port, in a temp dir', async () => {
    expect(zk.port).toBeGreaterThan(0);
    expect(zk.connectString).toBe(`127.0.0.1:${zk.port}`);
    expect(zk.dataDir.startsWith(fs.realpathSync(os.tmpdir())) || zk.dataDir.startsWith(os.tmpdir())).toBe(
      true,
    );
    expect(fs.existsSync(path.join(zk.dataDir, 'zoo.cfg'))).toBe(true);
    expect(isProcessAlive(zk.pid)).toBe(true);
    expect(await fourLetterWord('127.0.0.1', zk.port, 'ruok')).toBe('imok');
    expect(await fourLetterWord('127.0.0.1', zk.port, 'srvr')).toMatch(/Mode: standalone/);
    expect(await isZooKeeperReachable(zk.connectString)).toBe(true);
  });

  test('zk-client creates, reads back, lists and deletes znodes', async () => {
    const c = await client(zk.connectString);
    expect(await c.exists('/samsa-test')).toBe(false);
    expect(await c.getData('/samsa-test')).toBeNull();
    expect(await c.getChildren('/samsa-test')).toEqual([]);
    expect(await c.create('/samsa-test', '')).toBe('/samsa-test');
    await c.create('/samsa-test/b', JSON.stringify({ version: 1, x: [1, 2] }));
    await c.create('/samsa-test/a', Buffer.from([0, 1, 255]));
    expect(await c.exists('/samsa-test')).toBe(true);
    expect(await c.getJson('/samsa-test/b')).toEqual({ version: 1, x: [1, 2] });
    expect(await c.getData('/samsa-test/a')).toEqual(Buffer.from([0, 1, 255]));
    expect(await c.getData('/samsa-test')).toEqual(Buffer.alloc(0));
    expect(await c.getChildren('/samsa-test')).toEqual(['a', 'b']);
    await c.setData('/samsa-test/a', 'new');
    expect((await c.getData('/samsa-test/a'))?.toString()).toBe('new');
    const seq = await c.create('/samsa-test/s-', 'x', { sequential: true });
    expect(seq).toMatch(/^\/samsa-test\/s-\d{10}$/);
    await expect(c.create('/samsa-test/a', 'dup')).rejects.toThrow(/-110/);
    expect(await c.delete('/samsa-test/a')).toBe(true);
    expect(await c.delete('/samsa-test/a')).toBe(false);
    expect(await c.getChildren('/samsa-test')).toEqual(['b', path.basename(seq)]);
  });

  test('an ephemeral znode disappears when its session closes', async () => {
    const owner = await connectZk(zk.connectString);
    await owner.create('/eph', 'me', { ephemeral: true });
    const reader = await client(zk.connectString);
    expect(await reader.exists('/eph')).toBe(true);
    await owner.close();
    await waitFor(async () => !(await reader.exists('/eph')), {
      timeoutMs: 10_000,
      message: '/eph to vanish',
    });
    await expect(owner.exists('/eph')).rejects.toThrow(/after close/);
  });

  test('restart keeps the port and the znodes', async () => {
    const c1 = await client(zk.connectString);
    await c1.create('/survives', 'yes');
    await c1.close();
    const oldPid = zk.pid;
    await zk.restart({ kill: true });
    expect(zk.pid).not.toBe(oldPid);
    expect(isProcessAlive(oldPid)).toBe(false);
    const c2 = await client(zk.connectString);
    expect((await c2.getData('/survives'))?.toString()).toBe('yes');
  });

  test('two ZooKeepers at once on different ports', async () => {
    const other = await startTestZooKeeper();
    try {
      expect(other.port).not.toBe(zk.port);
      expect(other.dataDir).not.toBe(zk.dataDir);
      const [a, b] = await Promise.all([client(zk.connectString), client(other.connectString)]);
      await b.create('/only-in-other', '1');
      expect(await b.exists('/only-in-other')).toBe(true);
      expect(await a.exists('/only-in-other')).toBe(false);
      await b.close(); // before its server goes
    } finally {
      await other.stop();
    }
  });
});

describe('stopping', () => {
  test('stop() ends the process and removes the temp dir', async () => {
    const zk = await startTestZooKeeper();
    const { pid, dataDir, port } = zk;
    expect(isProcessAlive(pid)).toBe(true);
    const t0 = Date.now();
    await zk.stop();
    console.log(`ZooKeeper stopped in ${Date.now() - t0} ms`);
    expect(isProcessAlive(pid)).toBe(false);
    expect(fs.existsSync(dataDir)).toBe(false);
    await expect(fourLetterWord('127.0.0.1', port, 'ruok', 500)).rejects.toThrow();
    expect(await isZooKeeperReachable(`127.0.0.1:${port}`, 500)).toBe(false);
    await zk.stop(); // idempotent
    expect(await zk.waitForExit()).toEqual({ code: expect.any(Number), signal: null });
  });

  test('the embedded ZooKeeper dies with its parent process, even on SIGKILL', async () => {
    const dir = makeTempDir('samsa-zk-orphan-');
    const script = `
      const { startEmbeddedZooKeeper } = require(${JSON.stringify(path.join(REPO_ROOT, 'src/zk/embedded-zookeeper'))});
      startEmbeddedZooKeeper({ dataDir: ${JSON.stringify(dir)}, stopGraceMs: 3000 }).then((zk) => {
        process.stdout.write(JSON.stringify({ pid: zk.pid, port: zk.port }) + '\\n');
        setInterval(() => undefined, 1000);
      }, (e) => { console.error(e); process.exit(3); });`;
    const parent = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    parent.stdout.on('data', (b: Buffer) => (out += b.toString()));
    parent.stderr.on('data', (b: Buffer) => (out += b.toString()));
    let child: { pid: number; port: number } | undefined;
    try {
      await waitFor(
        () => {
          const m = /^\{"pid".*\}$/m.exec(out);
          if (m) child = JSON.parse(m[0]) as { pid: number; port: number };
          return child !== undefined || parent.exitCode !== null;
        },
        { timeoutMs: 30_000, intervalMs: 50, message: `the parent to start ZooKeeper; output: ${out}` },
      );
      if (!child) throw new Error(`parent failed: ${out}`);
      expect(await fourLetterWord('127.0.0.1', child.port, 'ruok')).toBe('imok');
      parent.kill('SIGKILL');
      const zkPid = child.pid;
      await waitFor(() => !isProcessAlive(zkPid), {
        timeoutMs: 10_000,
        message: `ZooKeeper pid ${zkPid} to exit`,
      });
    } finally {
      parent.kill('SIGKILL');
      if (child && isProcessAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
    }
  });
});

describe('failures are clear', () => {
  test('an explicit port that is taken', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const dir = makeTempDir('samsa-zk-taken-');
      await expect(startEmbeddedZooKeeper({ dataDir: dir, port })).rejects.toThrow(
        `127.0.0.1:${port} is already in use`,
      );
    } finally {
      server.close();
    }
  });

  test('a port taken by another ZooKeeper', async () => {
    const zk = await startTestZooKeeper();
    const dir = makeTempDir('samsa-zk-taken2-');
    await expect(startEmbeddedZooKeeper({ dataDir: dir, port: zk.port })).rejects.toThrow(/already in use/);
    await zk.stop();
  });

  test('a data dir a running ZooKeeper uses', async () => {
    const zk = await startTestZooKeeper();
    await expect(startEmbeddedZooKeeper({ dataDir: zk.dataDir })).rejects.toThrow(
      `An embedded ZooKeeper (pid ${zk.pid}) is already running with data dir`,
    );
    await zk.stop();
  });

  test('a broken install exits early, with its output in the error', async () => {
    const install = findZooKeeperInstall();
    expect(install).not.toBeNull();
    const dir = makeTempDir('samsa-zk-broken-');
    const t0 = Date.now();
    const err = await startEmbeddedZooKeeper({
      dataDir: dir,
      install: { java: install!.java, classpath: '/nonexistent/zookeeper.jar' },
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/exited during startup with exit code 1/);
    expect(err?.message).toMatch(/QuorumPeerMain/);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  test('a missing java is reported as such', async () => {
    const dir = makeTempDir('samsa-zk-nojava-');
    await expect(
      startEmbeddedZooKeeper({
        dataDir: dir,
        install: { java: '/nonexistent/bin/java', classpath: 'x.jar' },
      }),
    ).rejects.toThrow(/exit code 127 \(\/nonexistent\/bin\/java could not be executed\)[\s\S]*not found/);
  });

  test('a startup timeout kills the process and says so', async () => {
    const install = findZooKeeperInstall()!;
    const dir = makeTempDir('samsa-zk-slow-');
    // A JVM that waits for a debugger before running anything never serves.
    const err = await startEmbeddedZooKeeper({
      dataDir: dir,
      install,
      startupTimeoutMs: 1500,
      jvmArgs: [
        `-agentlib:jdwp=transport=dt_socket,server=y,suspend=y,address=127.0.0.1:${await freePort()}`,
      ],
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/did not serve on 127\.0\.0\.1:\d+ within 1500 ms/);
    const pid = Number(/\(pid (\d+)\)/.exec(err?.message ?? '')?.[1]);
    expect(isProcessAlive(pid)).toBe(false);
  });
});

describe('Apache tarball layout (ZOOKEEPER_HOME)', () => {
  test('runs from $ZOOKEEPER_HOME/lib', async () => {
    const home = makeTempDir('samsa-zk-home-');
    fs.mkdirSync(path.join(home, 'lib'));
    // Debian's jars stand in for the tarball's; their manifests pull in the rest.
    for (const [from, to] of [
      ['zookeeper.jar', 'zookeeper-3.8.0.jar'],
      ['zookeeper-jute.jar', 'zookeeper-jute-3.8.0.jar'],
      ['slf4j-log4j12.jar', 'slf4j-log4j12-1.7.32.jar'],
      ['log4j-1.2.jar', 'log4j-1.2.17.jar'],
    ]) {
      fs.symlinkSync(path.join('/usr/share/java', from), path.join(home, 'lib', to));
    }
    const install = findZooKeeperInstall({ env: { ...process.env, ZOOKEEPER_HOME: home } });
    expect(install?.version).toBe('3.8.0');
    expect(install?.classpath.split(':').every((p) => p.startsWith(path.join(home, 'lib')))).toBe(true);
    const zk = await startEmbeddedZooKeeper({ dataDir: path.join(home, 'data'), install: install! });
    extraZks.push(zk);
    expect(await fourLetterWord('127.0.0.1', zk.port, 'ruok')).toBe('imok');
  });
});

// The broker-process machinery of the harness, exercised with a stand-in broker that takes the same
// command line, registers itself in the real ZooKeeper and prints Kafka's readiness line.
describe('broker processes (harness mechanics, with a stub broker)', () => {
  const STUB = path.join(REPO_ROOT, 'test', 'harness', 'fixtures', 'stub-broker.js');
  let zk: TestZooKeeper;

  beforeAll(async () => {
    zk = await startTestZooKeeper();
  });

  afterAll(async () => {
    await zk.stop();
  });

  test('ready, registered, SIGKILL then the registration expires, restart, stop', async () => {
    const t0 = Date.now();
    const broker = await startBroker({
      id: 7,
      zkConnect: zk.connectString,
      main: STUB,
      overrides: { 'x.y': 'z' },
    });
    console.log(`stub broker ready in ${Date.now() - t0} ms`);
    expect(broker.bootstrap).toBe(`127.0.0.1:${broker.port}`);
    expect(broker.output()).toMatch(/\[KafkaServer id=7\] started \(kafka\.server\.KafkaServer\)/);
    expect(isProcessAlive(broker.pid)).toBe(true);
    const props = fs.readFileSync(broker.configFile, 'utf8');
    expect(props).toContain(`listeners=PLAINTEXT://127.0.0.1:${broker.port}`);
    expect(props).toContain(`log.dirs=${broker.logDirs}`);
    expect(props).toContain('zookeeper.session.timeout.ms=6000');
    const c = await client(zk.connectString);
    expect(await c.getJson('/brokers/ids/7')).toMatchObject({ host: '127.0.0.1', port: broker.port });

    const firstPid = broker.pid;
    const killedAt = Date.now();
    await broker.kill9();
    expect(await broker.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isProcessAlive(firstPid)).toBe(false);
    await waitFor(async () => !(await c.exists('/brokers/ids/7')), {
      timeoutMs: 20_000,
      message: '/brokers/ids/7 to expire',
    });
    const expiredAfter = Date.now() - killedAt;
    console.log(`registration expired ${expiredAfter} ms after SIGKILL`);
    expect(expiredAfter).toBeGreaterThan(4_000);

    expect(await broker.restart()).toBe(broker);
    expect(broker.pid).not.toBe(firstPid);
    expect(await c.exists('/brokers/ids/7')).toBe(true);
    expect(broker.output()).toContain('restarting');

    expect(await broker.stop()).toBe(0);
    expect(await broker.stop()).toBe(0);
    await broker.destroy();
  });

  test('a broker that exits during startup fails with its output', async () => {
    const t0 = Date.now();
    await expect(
      startBroker({ id: 1, zkConnect: zk.connectString, main: STUB, overrides: { 'stub.mode': 'fail' } }),
    ).rejects.toThrow(/broker 1 on 127\.0\.0\.1:\d+ exited \(exit code 1\)[\s\S]*failing on purpose/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  test('a broker that never gets ready is killed after the timeout', async () => {
    const err = await startBroker({
      id: 2,
      zkConnect: zk.connectString,
      main: STUB,
      overrides: { 'stub.mode': 'hang' },
      readyTimeoutMs: 1500,
    }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/broker 2 on 127\.0\.0\.1:\d+ was not ready within 1500 ms/);
  });

  test('stop() escalates to SIGKILL after the grace period', async () => {
    const broker = await startBroker({
      id: 3,
      zkConnect: zk.connectString,
      main: STUB,
      overrides: { 'stub.mode': 'ignore-sigterm' },
      stopGraceMs: 500,
    });
    const pid = broker.pid;
    expect(await broker.stop()).toBeNull();
    expect(await broker.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(isProcessAlive(pid)).toBe(false);
  });

  test('a cluster of brokers started in parallel', async () => {
    const t0 = Date.now();
    const cluster = await startCluster({ brokers: 3, main: STUB });
    console.log(`ZooKeeper + 3 stub brokers ready in ${Date.now() - t0} ms`);
    try {
      expect(cluster.brokers.map((b) => b.id)).toEqual([0, 1, 2]);
      expect(cluster.bootstrap).toBe(cluster.brokers.map((b) => `127.0.0.1:${b.port}`).join(','));
      const c = await client(cluster.zk.connectString);
      expect(await c.getChildren('/brokers/ids')).toEqual(['0', '1', '2']);
      await c.close();
    } finally {
      await cluster.stop();
    }
    for (const b of cluster.brokers) expect(isProcessAlive(b.pid)).toBe(false);
    expect(fs.existsSync(cluster.zk.dataDir)).toBe(false);
  });
});

describe('running commands', () => {
  test('runKcat runs /usr/bin/kcat', async () => {
    const r = await runKcat(['-V']);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/kcat - Apache Kafka producer and consumer tool/);
  });

  test('runSamsa runs dist/cli/main.js', async () => {
    const r = await runSamsa(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('server-start');
  });

  test('runProcess feeds stdin and kills on timeout', async () => {
    const r = await runProcess('/bin/cat', [], { input: 'hello\n' });
    expect(r).toEqual({ code: 0, stdout: 'hello\n', stderr: '', timedOut: false });
    const t0 = Date.now();
    const slow = await runProcess('/bin/sleep', ['30'], { timeoutMs: 300 });
    expect(slow.timedOut).toBe(true);
    expect(slow.code).toBeNull();
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});

describe('a real broker (dist/cli/main.js)', () => {
  test('becomes ready, registers in ZooKeeper, and its registration expires after SIGKILL', async () => {
    const t0 = Date.now();
    const zk = await startTestZooKeeper();
    const t1 = Date.now();
    const broker = await startBroker({ id: 0, zkConnect: zk.connectString });
    console.log(`ZooKeeper in ${t1 - t0} ms + broker in ${Date.now() - t1} ms = ${Date.now() - t0} ms`);
    expect(broker.output()).toMatch(/\[KafkaServer id=0\] started \(kafka\.server\.KafkaServer\)/);
    const c = await client(zk.connectString);
    const registration = await c.getJson<{ endpoints: string[]; port: number }>('/brokers/ids/0');
    expect(registration?.endpoints).toEqual([`PLAINTEXT://127.0.0.1:${broker.port}`]);

    const pid = broker.pid;
    const killedAt = Date.now();
    await broker.kill9();
    expect(isProcessAlive(pid)).toBe(false);
    // zookeeper.session.timeout.ms=6000: the ephemeral znode outlives the process until the session expires.
    expect(await c.exists('/brokers/ids/0')).toBe(true);
    await waitFor(async () => !(await c.exists('/brokers/ids/0')), {
      timeoutMs: 20_000,
      message: '/brokers/ids/0 to disappear after SIGKILL',
    });
    console.log(`/brokers/ids/0 gone ${Date.now() - killedAt} ms after SIGKILL`);

    await broker.restart();
    expect(broker.port).toBe(registration?.port);
    await waitFor(() => c.exists('/brokers/ids/0'), { message: '/brokers/ids/0 after restart' });
  });
});
