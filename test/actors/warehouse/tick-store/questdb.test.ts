// Runs the shared TickStore suite against the real QuestDB that test/global-setup.ts provides, in tables
// with a per-run prefix, plus what only the QuestDB store has: backpressure and typed config errors.
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { isOctopusError } from '../../../../src/engine/errors.js';
import { QuestdbTickStore } from '../../../../src/actors/warehouse/tick-store/questdb.js';
import { questdbUrl } from '../../../support/questdb.js';
import { describeTickStore, expectCode, makeTrades } from './tick-store.shared.js';

function uniquePrefix(): string {
  return `wh_${randomUUID().replaceAll('-', '').slice(0, 10)}_`;
}

const tablePrefix = uniquePrefix();
let dropper: QuestdbTickStore | undefined;

describeTickStore('QuestDB', {
  open: async () => QuestdbTickStore.open({ url: questdbUrl(), tablePrefix, flushIntervalMs: 10 }),
  cleanup: async () => {
    dropper = await QuestdbTickStore.open({ url: questdbUrl(), tablePrefix });
    await dropper.dropTables();
    await dropper.close();
  },
});

describe('QuestdbTickStore', () => {
  it('rejects with ERR_WAREHOUSE_BACKPRESSURE when the buffer is full, keeping what it accepted', async () => {
    const prefix = uniquePrefix();
    // A long interval and large batch size keep the first batch buffered while the second arrives.
    const store = await QuestdbTickStore.open({ url: questdbUrl(), tablePrefix: prefix, bufferRowsMax: 100, batchRowsMax: 1_000, flushIntervalMs: 60_000 });
    try {
      const first = makeTrades('BP', 80, 1, 1_000);
      const accepted = store.writeTrades(first);
      expect(store.stats().backlogRows, 'the accepted batch is buffered').toBe(80);
      await expectCode(store.writeTrades(makeTrades('BP', 30, 2, 1_000)), 'ERR_WAREHOUSE_BACKPRESSURE', 'a batch that does not fit');
      await expectCode(store.writeTrades(makeTrades('BP', 101, 3, 1_000)), 'ERR_WAREHOUSE_BATCH_TOO_LARGE', 'a batch larger than the buffer');
      await store.flush();
      await accepted;
      expect(store.stats().backlogRows, 'empty after flush').toBe(0);
      const stored = await store.trades('BP', { fromMs: 0, toMs: 2 * first[79]!.timeMs, limit: 1_000 });
      expect(stored, 'only the accepted batch is stored').toEqual(first);
    } finally {
      await store.dropTables();
      await store.close();
    }
  });

  it('refuses bad configuration and an unreachable server with typed errors', async () => {
    const cases = [
      { why: 'a prefix with SQL in it', options: { url: questdbUrl(), tablePrefix: 'x"; drop' }, code: 'ERR_WAREHOUSE_BAD_CONFIG' },
      { why: 'not a url', options: { url: 'not a url' }, code: 'ERR_WAREHOUSE_BAD_CONFIG' },
      { why: 'a zero buffer', options: { url: questdbUrl(), bufferRowsMax: 0 }, code: 'ERR_WAREHOUSE_BAD_CONFIG' },
      { why: 'nothing listening', options: { url: 'http://127.0.0.1:1', queryTimeoutMs: 2_000 }, code: 'ERR_WAREHOUSE_UNAVAILABLE' },
    ];
    for (const { why, options, code } of cases) {
      const error = await QuestdbTickStore.open(options).then(
        async (store) => {
          await store.close();
          return undefined;
        },
        (caught: unknown) => caught,
      );
      expect(isOctopusError(error) ? error.code : error, why).toBe(code);
    }
  });
});
