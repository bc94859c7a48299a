/**
 * A damaged LMDB file (a torn meta page, a root that points nowhere) can make the native binding read
 * out of bounds and kill the process with SIGSEGV, without a message. Before the engine opens its stores,
 * each existing file is opened in a child process (bin/lmdb-probe.mjs) that reads every named database's
 * ends; if the child dies or fails, the engine refuses to start with a typed error naming the file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OctopusError } from '../engine/errors.js';

const kProbe = fileURLToPath(new URL('../../bin/lmdb-probe.mjs', import.meta.url));
const kProbeTimeoutMs = 30_000;

/** The engine's LMDB files, by owner. */
export const kLmdbFiles = ['state.lmdb', 'execution.lmdb', 'ticks.lmdb'] as const;

/**
 * Probes the LMDB files of a data dir that exist.
 * @throws OctopusError ERR_STORE_UNREADABLE naming the first file that could not be opened and read.
 */
export function probeLmdbFiles(dataDir: string, files: readonly string[] = kLmdbFiles): void {
  const paths = files.map((file) => join(dataDir, file)).filter((path) => existsSync(path));
  if (paths.length === 0) return;
  // One child for all files (a node start costs ~100 ms); it prints each file it got through.
  const result = spawnSync(process.execPath, [kProbe, ...paths], { encoding: 'utf8', timeout: kProbeTimeoutMs });
  if (result.status === 0) return;
  const done = new Set(result.stdout.split('\n').map((line) => line.slice(0, line.lastIndexOf(':'))));
  const damaged = paths.find((path) => !done.has(path)) ?? paths[0]!;
  const how =
    result.signal !== null ? `the reader died with ${result.signal}` : result.error !== undefined ? result.error.message : `exit code ${result.status}: ${result.stderr.trim().split('\n').slice(-1)[0] ?? ''}`;
  throw new OctopusError('ERR_STORE_UNREADABLE', `expected ${damaged} to be a readable LMDB file, was damaged (${how}): restore it from a backup, or start with a new --data-dir`);
}
