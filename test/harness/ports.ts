import * as net from 'net';

/** A port that was free a moment ago: binds :0 on `host`, reads the port, closes. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const addr = server.address();
      if (!addr || typeof addr === 'string') {
        server.close();
        reject(new Error(`cannot read the port bound on ${host}`));
        return;
      }
      server.close(() => resolve(addr.port));
    });
  });
}
