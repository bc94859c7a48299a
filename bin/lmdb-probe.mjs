#!/usr/bin/env node
// Opens each LMDB file given on the command line read-only and touches every named database (its first
// and last key), so that a damaged file crashes THIS process rather than the engine. The engine runs it
// before it opens its stores (src/store/lmdb-probe.ts): exit 0 = every file opened and read.
import { open } from 'lmdb';

for (const path of process.argv.slice(2)) {
  const root = open({ path, readOnly: true, compression: false, maxDbs: 64 });
  // Names first: opening a database while iterating the main one would end the iteration's transaction.
  const names = [...root.getKeys({ limit: 256 })].filter((key) => typeof key === 'string');
  for (const key of names) {
    try {
      const database = root.openDB({ name: key, encoding: 'binary' });
      for (const _ of database.getKeys({ limit: 1 })) break;
      for (const _ of database.getKeys({ limit: 1, reverse: true })) break;
    } catch {
      // A plain key of the main database, not a named database.
    }
  }
  root.close();
  process.stdout.write(`${path}: ${names.length} databases\n`);
}
