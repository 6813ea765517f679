import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  ensureZooKeeperInstalled,
  findJava,
  findZooKeeperInstall,
  fourLetterWord,
  isPortFree,
  isZooKeeperReachable,
  parseConnectString,
} from '../../../src/zk/embedded-zookeeper';

const quiet = { info: () => undefined, warn: () => undefined };
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-unit-zk-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function touch(p: string, mode = 0o644): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, '');
  fs.chmodSync(p, mode);
  return p;
}

describe('parseConnectString', () => {
  test('hosts, ports, IPv6 and chroot', () => {
    expect(parseConnectString('localhost:2181')).toEqual([{ host: 'localhost', port: 2181 }]);
    expect(parseConnectString('a:1,b,[::1]:3/kafka/x')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2181 },
      { host: '::1', port: 3 },
    ]);
    expect(parseConnectString(' a:1 , ')).toEqual([{ host: 'a', port: 1 }]);
  });
});

describe('findZooKeeperInstall', () => {
  test('Debian layout: zookeeper.jar plus jute and the log4j binding when present', () => {
    const lib = path.join(tmp, 'java');
    touch(path.join(lib, 'zookeeper.jar'));
    touch(path.join(lib, 'zookeeper-jute.jar'));
    touch(path.join(lib, 'log4j-1.2.jar'));
    fs.symlinkSync('zookeeper.jar', path.join(lib, 'zookeeper-3.8.4.jar'));
    const java = touch(path.join(tmp, 'jdk', 'bin', 'java'), 0o755);
    const install = findZooKeeperInstall({
      javaLibDir: lib,
      env: { JAVA_HOME: path.join(tmp, 'jdk'), PATH: '' },
    });
    expect(install).toEqual({
      java,
      classpath: [
        path.join(lib, 'zookeeper.jar'),
        path.join(lib, 'zookeeper-jute.jar'),
        path.join(lib, 'log4j-1.2.jar'),
      ].join(':'),
      version: '3.8.4',
    });
  });

  test('java from PATH when JAVA_HOME has none; null without java or without the jar', () => {
    const lib = path.join(tmp, 'java');
    touch(path.join(lib, 'zookeeper.jar'));
    touch(path.join(tmp, 'notexec', 'java'), 0o644);
    const java = touch(path.join(tmp, 'bin', 'java'), 0o755);
    const env = {
      JAVA_HOME: path.join(tmp, 'nojdk'),
      PATH: `${path.join(tmp, 'notexec')}:${path.join(tmp, 'bin')}`,
    };
    expect(findJava(env)).toBe(java);
    expect(findZooKeeperInstall({ javaLibDir: lib, env })).toEqual({
      java,
      classpath: path.join(lib, 'zookeeper.jar'),
    });
    expect(findZooKeeperInstall({ javaLibDir: lib, env: { PATH: '' } })).toBeNull();
    expect(findZooKeeperInstall({ javaLibDir: path.join(tmp, 'none'), env })).toBeNull();
  });

  test('ZOOKEEPER_HOME (Apache tarball) wins over the Debian layout', () => {
    const home = path.join(tmp, 'apache-zookeeper-3.8.4-bin');
    touch(path.join(home, 'lib', 'zookeeper-3.8.4.jar'));
    touch(path.join(home, 'lib', 'zookeeper-jute-3.8.4.jar'));
    touch(path.join(home, 'lib', 'logback-classic-1.2.13.jar'));
    touch(path.join(home, 'lib', 'README.txt'));
    const java = touch(path.join(tmp, 'bin', 'java'), 0o755);
    const install = findZooKeeperInstall({ env: { ZOOKEEPER_HOME: home, PATH: path.join(tmp, 'bin') } });
    expect(install?.java).toBe(java);
    expect(install?.version).toBe('3.8.4');
    expect(install?.classpath.split(':').map((p) => path.basename(p))).toEqual([
      'logback-classic-1.2.13.jar',
      'zookeeper-3.8.4.jar',
      'zookeeper-jute-3.8.4.jar',
    ]);
  });

  test('this machine has Debian ZooKeeper (CI installs it)', () => {
    const install = findZooKeeperInstall();
    expect(install).not.toBeNull();
    expect(install!.classpath.split(':')[0]).toBe('/usr/share/java/zookeeper.jar');
  });
});

describe('ensureZooKeeperInstalled', () => {
  test('returns what is installed without running anything', async () => {
    const lib = path.join(tmp, 'java');
    touch(path.join(lib, 'zookeeper.jar'));
    touch(path.join(tmp, 'bin', 'java'), 0o755);
    const opts = { javaLibDir: lib, env: { PATH: path.join(tmp, 'bin') } };
    expect(await ensureZooKeeperInstalled(quiet, opts)).toEqual(findZooKeeperInstall(opts));
  });

  test('says exactly what to install when it may not install', async () => {
    touch(path.join(tmp, 'bin', 'java'), 0o755);
    const noJar = {
      javaLibDir: path.join(tmp, 'none'),
      env: { PATH: path.join(tmp, 'bin') },
      allowInstall: false,
    };
    await expect(ensureZooKeeperInstalled(quiet, noJar)).rejects.toThrow('sudo apt-get install -y zookeeper');
    const lib = path.join(tmp, 'java');
    touch(path.join(lib, 'zookeeper.jar'));
    // No apt-get on this PATH: no install attempt, just the hint.
    const noJava = { javaLibDir: lib, env: { PATH: path.join(tmp, 'empty') } };
    await expect(ensureZooKeeperInstalled(quiet, noJava)).rejects.toThrow(
      /Java is not installed[\s\S]*sudo apt-get install -y default-jre-headless/,
    );
  });

  test('runs apt-get install, then update and install again when the first install fails', async () => {
    if (process.getuid?.() !== 0) return; // only root installs
    // A fake apt-get that records its calls and "installs" the jar on the second install.
    const lib = path.join(tmp, 'java');
    const calls = path.join(tmp, 'calls');
    const bin = path.join(tmp, 'bin');
    touch(path.join(bin, 'java'), 0o755);
    fs.writeFileSync(
      path.join(bin, 'apt-get'),
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${calls}\n` +
        `if [ "$1" = install ] && /bin/grep -q update ${calls}; then /bin/mkdir -p ${lib} && : > ${lib}/zookeeper.jar; exit 0; fi\n` +
        `[ "$1" = update ] && exit 0\necho "E: Unable to locate package zookeeper" >&2; exit 100\n`,
    );
    fs.chmodSync(path.join(bin, 'apt-get'), 0o755);
    const install = await ensureZooKeeperInstalled(quiet, { javaLibDir: lib, env: { PATH: bin } });
    expect(install.classpath).toBe(path.join(lib, 'zookeeper.jar'));
    expect(fs.readFileSync(calls, 'utf8')).toBe(
      'noninteractive install -y zookeeper\nnoninteractive update\nnoninteractive install -y zookeeper\n',
    );
  });

  test('reports apt-get failures with its output', async () => {
    if (process.getuid?.() !== 0) return;
    const bin = path.join(tmp, 'bin');
    touch(path.join(bin, 'java'), 0o755);
    fs.writeFileSync(path.join(bin, 'apt-get'), '#!/bin/sh\necho "E: no network" >&2\nexit 100\n');
    fs.chmodSync(path.join(bin, 'apt-get'), 0o755);
    await expect(
      ensureZooKeeperInstalled(quiet, { javaLibDir: path.join(tmp, 'none'), env: { PATH: bin } }),
    ).rejects.toThrow(/apt-get install -y zookeeper failed \(exit code 100\)[\s\S]*E: no network/);
  });
});

describe('four-letter words and ports', () => {
  test('fourLetterWord returns the whole reply; isZooKeeperReachable is false when nothing listens', async () => {
    const server = net.createServer((s) => s.once('data', (b) => s.end(`got ${b.toString()}`)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      expect(await fourLetterWord('127.0.0.1', port, 'srvr')).toBe('got srvr');
      expect(await isZooKeeperReachable(`127.0.0.1:${port}/chroot`)).toBe(true);
      expect(await isPortFree(port)).toBe(false);
    } finally {
      await new Promise((r) => server.close(r));
    }
    expect(await isPortFree(port)).toBe(true);
    expect(await isZooKeeperReachable(`127.0.0.1:${port}`, 500)).toBe(false);
  });
});
