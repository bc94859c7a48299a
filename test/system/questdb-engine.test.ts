/**
 * The engine with QuestDB as its tick store (the real server that .ci/run or the vitest global setup
 * starts): the simulated market's trades are written over ILP and read back over SQL by the history routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';
import { questdbQuery, questdbUrl } from '../support/questdb.js';

let engine: EngineProcess;
let viewer: ApiClient;

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['viewer', 'viewer', 'viewer-password']]);
  engine = await startEngineProcess(['--symbols', 'HLTA', '--feed-rate', '200', '--questdb-url', questdbUrl()], 60_000, dataDir);
  viewer = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('viewer', 'viewer-password');
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('engine on QuestDB', () => {
  it('stores the live trades in QuestDB and serves trades and bars from it', async () => {
    const health = (await (await fetch(`http://127.0.0.1:${engine.port}/health`)).json()) as { actors: Record<string, { state: string }> };
    expect(health.actors.warehouse?.state).toBe('running');
    const fromMs = Date.now() - 60_000;
    const trades = await eventually(
      async () => {
        const response = await viewer.call('GET', `/api/v1/market/HLTA/trades?from=${fromMs}&limit=100`);
        expect(response.status).toBe(200);
        expect(response.json.trades.length).toBeGreaterThan(2);
        return response.json.trades;
      },
      { timeoutMs: 45_000, intervalMs: 500 },
    );
    expect(trades[0]).toMatchObject({ symbol: 'HLTA', price: expect.stringMatching(/^\d+\.\d{2}$/), qty: expect.stringMatching(/^\d+$/) });
    // They really are in QuestDB (not in the embedded store).
    const rows = await questdbQuery(`select count() as n from trades where symbol = 'HLTA' and ts >= ${fromMs * 1000}`);
    expect(Number(rows[0]!.n)).toBeGreaterThan(2);
    const bars = await viewer.call('GET', `/api/v1/market/HLTA/bars?interval=1s&from=${fromMs}`);
    expect(bars.status).toBe(200);
    expect(bars.json.bars.length).toBeGreaterThan(0);
  });
});
