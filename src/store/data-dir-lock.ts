/**
 * One engine per data dir. LMDB lets several processes share an environment (the CLI writes users while
 * the engine runs), so it cannot stop a second engine from replaying the same journal and handing out the
 * same order ids. This lock does.
 *
 * The lock is a listening Unix socket in Linux's abstract namespace, named after the data dir's device
 * and inode: binding it is atomic, a second bind fails with EADDRINUSE, and the kernel releases it when
 * the process ends however it ends (SIGKILL, a crash), so there is no stale lock to judge and no race
 * between two engines taking over one. `<data-dir>/octopus.lock` records who holds it (pid, start time),
 * for the error message and for operators; it is not what excludes.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { OctopusError } from '../engine/errors.js';

export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * The abstract socket name of a data dir: the same directory through any path or symlink. Elsewhere than
 * Linux (no abstract namespace) a socket file in the data dir stands in; one left by a crash must then be
 * removed by hand (the error names it), which is safe where guessing that it is stale would not be.
 */
function lockName(dataDir: string): string {
  if (process.platform !== 'linux') return join(dataDir, 'octopus.sock');
  const { dev, ino } = statSync(dataDir);
  return `\0octopus-data-dir-${createHash('sha256').update(`${dev}:${ino}`).digest('hex').slice(0, 32)}`;
}

function holderOf(path: string): string {
  try {
    const holder = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; started?: unknown };
    return typeof holder.pid === 'number' ? `pid ${holder.pid}, started ${String(holder.started)}` : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Takes the data dir for this process; release it at shutdown (the kernel does if the process dies).
 * @throws (rejects) OctopusError ERR_CONFIG_DATA_DIR_IN_USE when another engine holds it.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, 'octopus.lock');
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(new OctopusError('ERR_CONFIG_DATA_DIR_IN_USE', `expected ${dataDir} to be free, was in use by another engine (${holderOf(path)}): stop it first or use another --data-dir`));
      } else {
        reject(error);
      }
    });
    server.listen({ path: lockName(dataDir), exclusive: true }, () => resolve());
  });
  // The lock must not keep the process alive on its own, and nobody ever connects to it.
  server.unref();
  server.on('connection', (socket) => socket.destroy());
  writeFileSync(path, `${JSON.stringify({ pid: process.pid, started: new Date().toISOString() })}\n`, { mode: 0o600 });
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      try {
        unlinkSync(path);
      } catch {
        // Already gone: nothing to tidy.
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
