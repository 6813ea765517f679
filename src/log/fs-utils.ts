// Small file-system helpers shared by the log layer: crash-safe small-file writes (tmp + fsync +
// rename + directory fsync, as Kafka does for checkpoints and metadata files) and fsyncs that run
// on the libuv thread pool so the event loop never waits on the disk.

import * as fs from 'fs';
import * as path from 'path';

export function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** fsync a directory so a create/rename/delete inside it survives a crash. Missing dir = no-op. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes `data` to `file` atomically: `<file>.tmp`, fsync, rename over `file`, fsync the parent. */
export function writeFileAtomically(file: string, data: string | Buffer, sync = true): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    if (sync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (sync) fsyncDir(path.dirname(file));
}

/**
 * fsync `file` on the thread pool through a private descriptor (fsync works on the inode, so any
 * descriptor will do). Using our own fd means a concurrent close of the owner's fd cannot make us
 * sync a recycled descriptor. A file that vanished meanwhile (deleted segment) needs no flush.
 */
export function fsyncPathAsync(file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.open(file, 'r', (openErr, fd) => {
      if (openErr) return isNotFound(openErr) ? resolve() : reject(openErr);
      fs.fsync(fd, (syncErr) => {
        fs.close(fd, () => (syncErr ? reject(syncErr) : resolve()));
      });
    });
  });
}

/** Deletes a file; returns false if it did not exist. */
export function deleteFileIfExists(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}
