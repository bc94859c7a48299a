/**
 * Owner-only permissions for the data dir and the files in it: the state store holds password hashes,
 * the wrapped API key secrets and the journal, so no other local user may list or read them.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';

/** Creates `directory` (and its parents) if needed and narrows it to 0700 if it was wider. */
export function ensurePrivateDirectory(directory: string): void {
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  if ((statSync(directory).mode & 0o077) !== 0) chmodSync(directory, 0o700);
}

/** Narrows each existing file to 0600 (LMDB creates its files 0644 under the usual umask). */
export function restrictToOwner(paths: readonly string[]): void {
  for (const path of paths) {
    if (existsSync(path) && (statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  }
}
