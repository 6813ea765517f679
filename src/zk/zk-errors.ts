// ZooKeeper's return codes and the error carrying one, shared by both ZooKeeper connections.

/** ZooKeeper return codes (zookeeper.h). */
export const ZkCode = {
  OK: 0,
  CONNECTIONLOSS: -4,
  OPERATIONTIMEOUT: -7,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  CLOSING: -116,
} as const;

const CODE_NAMES = new Map<number, string>(Object.entries(ZkCode).map(([k, v]) => [v, k]));

export class ZkError extends Error {
  constructor(
    readonly code: number,
    readonly path: string,
    message?: string,
  ) {
    super(`KeeperErrorCode = ${CODE_NAMES.get(code) ?? code} for ${path}${message ? ` (${message})` : ''}`);
  }
  get isNoNode(): boolean {
    return this.code === ZkCode.NONODE;
  }
  get isNodeExists(): boolean {
    return this.code === ZkCode.NODEEXISTS;
  }
  get isBadVersion(): boolean {
    return this.code === ZkCode.BADVERSION;
  }
}
