/**
 * CSV replay through a real engine process: validated rows reach the warehouse (history REST) and the
 * live bars; bad rows are dropped, not stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

let engine: EngineProcess;
let viewer: ApiClient;
const startMs = Date.UTC(2024, 2, 1, 14, 30);

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['viewer', 'viewer', 'viewer-password']]);
  const lines = ['time_ms,symbol,price,qty,side'];
  for (let index = 0; index < 120; index++) lines.push(`${startMs + index * 1_000},TCHA,${(100 + index / 100).toFixed(2)},${1 + (index % 5)},${index % 2 === 0 ? 'buy' : 'sell'}`);
  lines.push(`${startMs + 200_000},TCHA,-5,1,buy`); // a negative price: dropped
  lines.push(`${startMs + 201_000},NOPE,10,1,buy`); // an unknown symbol: dropped
  lines.push(`${startMs + 202_000},TCHA,NaN,1,buy`); // not a number: dropped
  const file = join(dataDir, 'trades.csv');
  writeFileSync(file, lines.join('\n') + '\n');
  engine = await startEngineProcess(['--symbols', 'TCHA', '--feed-rate', '0', '--replay', file, '--replay-speed', 'max'], 60_000, dataDir);
  viewer = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('viewer', 'viewer-password');
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('CSV replay (real engine process)', () => {
  it('stores every valid row and none of the bad ones', async () => {
    const range = `from=${startMs}&to=${startMs + 300_000}`;
    const trades = await eventually(
      async () => {
        const response = await viewer.call('GET', `/api/v1/market/TCHA/trades?${range}&limit=1000`);
        expect(response.json.trades).toHaveLength(120);
        return response.json.trades;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // Newest first: the first row of the CSV is the last one here.
    expect(trades.at(-1)).toMatchObject({ symbol: 'TCHA', price: '100.00', qty: '1', side: 'buy', time_ms: startMs, time: new Date(startMs).toISOString() });
    expect(trades.every((trade: { price: string }) => Number(trade.price) > 0)).toBe(true);
    const bars = await viewer.call('GET', `/api/v1/market/TCHA/bars?interval=1m&${range}`);
    expect(bars.json.bars).toHaveLength(2);
    expect(bars.json.bars.at(-1)).toMatchObject({ open: '100.00', close: '100.59', trade_count: 60 });
  });
});
