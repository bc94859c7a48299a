// QuestDB goes down in the middle of a stream of writes and comes back: every acknowledged trade must be
// stored exactly once. The test runs its OWN QuestDB (scripts/questdb.sh on other ports, its own data
// dir), so stopping it never touches the shared server the other tests use.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isOctopusError } from '../../../../src/engine/errors.js';
import { QuestdbTickStore } from '../../../../src/actors/warehouse/tick-store/questdb.js';
import type { TradeRow } from '../../../../src/actors/warehouse/tick-store/tick-store.js';
import { eventually } from '../../../support/eventually.js';
import { kBaseMs } from './tick-store.shared.js';

const run = promisify(execFile);
const kScriptPath = fileURLToPath(new URL('../../../../scripts/questdb.sh', import.meta.url));
// Ports away from the shared server's 9000/8812/9009/9003.
const kHttpPort = 9150;
const dataDir = mkdtempSync(join(tmpdir(), 'octopus-questdb-restart-'));
const environment: NodeJS.ProcessEnv = {
  ...process.env,
  QUESTDB_DATA_DIR: dataDir,
  QUESTDB_HTTP_PORT: String(kHttpPort),
  QUESTDB_PG_PORT: '8862',
  QUESTDB_ILP_TCP_PORT: '9159',
  QUESTDB_HEALTH_PORT: '9153',
  QUESTDB_HEAP_MAX: '512m',
  QUESTDB_WAIT_TIMEOUT_SECONDS: '60',
};

async function script(step: 'fetch' | 'start' | 'wait' | 'stop'): Promise<void> {
  await run('bash', [kScriptPath, step], { env: environment, timeout: 90_000 });
}

async function countRows(symbol: string): Promise<{ rows: number; distinct: number }> {
  const url = `http://127.0.0.1:${kHttpPort}/exec?query=${encodeURIComponent(
    `select count() rows, count_distinct(trade_id) ids from "restart_trades" where symbol = '${symbol}'`,
  )}`;
  const body = (await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json()) as { dataset: number[][] };
  return { rows: body.dataset[0]![0]!, distinct: body.dataset[0]![1]! };
}

beforeAll(async () => {
  await script('fetch');
  await script('start');
  await script('wait');
});

afterAll(async () => {
  await script('stop');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('QuestdbTickStore across a QuestDB restart', () => {
  it('stores every acknowledged trade exactly once, and refuses with backpressure rather than dropping', async () => {
    const store = await QuestdbTickStore.open({
      url: `http://127.0.0.1:${kHttpPort}`,
      tablePrefix: 'restart_',
      flushIntervalMs: 10,
      bufferRowsMax: 2_000,
      retryDelayMsMax: 250,
      requestTimeoutMs: 2_000,
      flushTimeoutMs: 30_000,
    });
    const acknowledged: TradeRow[] = [];
    const unexpected: unknown[] = [];
    let refused = 0;
    let writing = true;
    let sequence = 0;
    const inFlight = new Set<Promise<void>>();

    // The producer: a batch of 20 trades every 5 ms, not awaiting acknowledgements, like a collector.
    const producer = (async () => {
      while (writing) {
        const batch = Array.from({ length: 20 }, (): TradeRow => {
          sequence += 1;
          return { symbol: 'RS', price: 100 + (sequence % 7), qty: 1, side: 'buy', tradeId: `s${sequence}`, timeMs: kBaseMs + sequence };
        });
        const write = store.writeTrades(batch).then(
          () => {
            acknowledged.push(...batch);
          },
          (error: unknown) => {
            if (isOctopusError(error) && error.code === 'ERR_WAREHOUSE_BACKPRESSURE') refused += 1;
            else unexpected.push(error);
          },
        );
        inFlight.add(write);
        void write.finally(() => inFlight.delete(write));
        // Pacing the producer, not waiting for a condition.
        await delay(5);
      }
    })();

    try {
      await eventually(() => expect(acknowledged.length, 'acknowledged before the stop').toBeGreaterThan(300), { timeoutMs: 20_000, intervalMs: 20 });
      await script('stop');
      const acknowledgedAtStop = acknowledged.length;
      await eventually(() => expect(refused, 'writes refused while down').toBeGreaterThan(0), { timeoutMs: 20_000, intervalMs: 20 });
      expect(store.stats().backlogRows, 'the buffer holds what was accepted while down').toBeGreaterThan(0);
      await script('start');
      await script('wait');
      await eventually(() => expect(acknowledged.length, 'acknowledged after the restart').toBeGreaterThan(acknowledgedAtStop + 300), {
        timeoutMs: 30_000,
        intervalMs: 20,
      });
    } finally {
      writing = false;
      await producer;
      await Promise.all([...inFlight]);
    }
    await store.flush();

    expect(unexpected, 'no write failed except by backpressure').toEqual([]);
    expect(store.stats().backlogRows, 'nothing left buffered').toBe(0);
    expect(store.stats().retries, 'sends were retried while down').toBeGreaterThan(0);
    const counted = await countRows('RS');
    expect(counted, 'every acknowledged trade exactly once').toEqual({ rows: acknowledged.length, distinct: acknowledged.length });
    await store.close();
  });
});
