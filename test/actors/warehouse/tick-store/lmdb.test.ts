// Runs the shared TickStore suite against the embedded LMDB store in a temp dir, plus what only LMDB has:
// data survives a close and reopen, and a closed store refuses calls.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { LmdbTickStore } from '../../../../src/actors/warehouse/tick-store/lmdb.js';
import { describeTickStore, expectCode, kBaseMs, makeTrades } from './tick-store.shared.js';

const sharedDir = mkdtempSync(join(tmpdir(), 'octopus-ticks-'));

describeTickStore('LMDB', {
  open: async () => new LmdbTickStore({ dataDir: sharedDir }),
  cleanup: async () => rmSync(sharedDir, { recursive: true, force: true }),
});

describe('LmdbTickStore', () => {
  it('keeps trades across close and reopen, and refuses calls once closed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-ticks-'));
    try {
      const trades = makeTrades('REOPEN', 50, 5, 1_000);
      const first = new LmdbTickStore({ dataDir });
      await first.writeTrades(trades);
      await first.close();
      await expectCode(first.writeTrades(trades), 'ERR_WAREHOUSE_CLOSED', 'write after close');
      const second = new LmdbTickStore({ dataDir });
      try {
        expect(await second.trades('REOPEN', { fromMs: 0, toMs: kBaseMs * 2, limit: 100 }), 'after reopen').toEqual(trades);
        expect(await second.symbols(), 'symbols after reopen').toEqual(['REOPEN']);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
