/**
 * The engine's local state in LMDB (`<data-dir>/state.lmdb`): users, API keys and server secrets for now;
 * the order journal and audit chain join it. LMDB allows several processes on one environment, so the
 * CLI (`octopus user add`) can write while the engine runs.
 */
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { ensurePrivateDirectory, restrictToOwner } from './file-modes.js';

export interface StateStore {
  readonly root: RootDatabase;
  /** The data dir the store's file is in (owner-only, 0700; the file and its lock file are 0600). */
  readonly directory: string;
  /** A named sub-database holding msgpack values keyed by string. */
  database<V>(name: string): Database<V, string>;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) `<dataDir>/<fileName>`; each owner of durable state has its own file.
 * `readOnly` (tools such as `octopus audit verify`) opens an existing file without writing anything.
 */
export function openStateStore(dataDir: string, fileName = 'state.lmdb', options: { readOnly?: boolean } = {}): StateStore {
  const path = join(dataDir, fileName);
  const readOnly = options.readOnly === true;
  if (!readOnly) ensurePrivateDirectory(dataDir);
  const root = open({ path, compression: false, maxDbs: 32, readOnly });
  if (!readOnly) restrictToOwner([path, `${path}-lock`]);
  const databases = new Map<string, Database<unknown, string>>();
  return {
    root,
    directory: dataDir,
    database<V>(name: string): Database<V, string> {
      let database = databases.get(name);
      if (database === undefined) {
        database = root.openDB<unknown, string>({ name, encoding: 'msgpack' });
        databases.set(name, database);
      }
      return database as Database<V, string>;
    },
    async close() {
      await root.close();
    },
  };
}
