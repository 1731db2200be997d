/**
 * Synchronous writes to the process's stderr (fd 2). process.stderr is asynchronous when it is a pipe on macOS (and on
 * Windows), so a message written just before process.exit(), such as a refusal to start or a crash report, could be
 * lost there. The plugin writes everything through this sink instead, which also keeps log lines, panic text and
 * the exit in order.
 */
import * as fs from 'node:fs';
import type { LineSink } from './hclog';

/** How long a write may keep retrying a full non-blocking pipe (go-plugin drains it continuously). */
const RETRY_MS = 1000;

export function syncStderr(fd = 2): LineSink {
  return {
    write(text: string) {
      writeAllSync(fd, Buffer.from(text, 'utf8'));
    },
  };
}

export function writeAllSync(fd: number, bytes: Buffer): void {
  let offset = 0;
  let deadline: number | undefined;
  while (offset < bytes.length) {
    try {
      offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      deadline ??= Date.now() + RETRY_MS;
      if (Date.now() > deadline) throw err;
    }
  }
}
