// openTickStoreFromEnvironment: QUESTDB_URL picks QuestDB, its absence (or an empty value) the embedded store.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { QuestdbTickStore } from '../../../../src/actors/warehouse/tick-store/questdb.js';
import { openTickStoreFromEnvironment } from '../../../../src/actors/warehouse/tick-store/factory.js';
import { questdbUrl } from '../../../support/questdb.js';

const dataDir = mkdtempSync(join(tmpdir(), 'octopus-ticks-factory-'));

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe('openTickStoreFromEnvironment', () => {
  it.each([
    { why: 'QUESTDB_URL unset', environment: {}, kind: 'lmdb' },
    { why: 'QUESTDB_URL empty', environment: { QUESTDB_URL: '  ' }, kind: 'lmdb' },
    { why: 'QUESTDB_URL set', environment: { QUESTDB_URL: questdbUrl() }, kind: 'questdb' },
  ])('$why gives the $kind store', async ({ environment, kind }) => {
    const tablePrefix = `wf_${randomUUID().replaceAll('-', '').slice(0, 10)}_`;
    const store = await openTickStoreFromEnvironment({ dataDir, environment, questdb: { tablePrefix } });
    try {
      expect(store.kind).toBe(kind);
    } finally {
      if (store instanceof QuestdbTickStore) await store.dropTables();
      await store.close();
    }
  });
});
