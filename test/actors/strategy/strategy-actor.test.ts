/**
 * The Done-means test of issue 13: one strategy file, unchanged, trades live in the real engine (a real
 * process: the strategy actor, the execution actor with its simulated exchange, pre-trade risk, the
 * journal) and in the backtester's seeded simulated-exchange run, and gets the same fills.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runSimulatedBacktest } from '../../../src/actors/backtester/simulated-run.js';
import { loadStrategy } from '../../../src/actors/strategy/strategy-loader.js';
import { loadConfig } from '../../../src/config.js';
import type { ExecutionOptions } from '../../../src/actors/execution/execution-core.js';
import type { StrategyStatus } from '../../../src/engine/messages.js';
import { engineSpecs } from '../../../src/main.js';
import { addUsers, ApiClient } from '../../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../../support/engine-process.js';
import { eventually } from '../../support/eventually.js';

const strategyFile = new URL('../../fixtures/backtest/strategies/tick-reverter.ts', import.meta.url).pathname;
const kStepMs = 100;

let engine: EngineProcess | null = null;
afterEach(async () => {
  if (engine !== null) await engine.stop('SIGTERM');
  engine = null;
});

describe('a strategy file trades live and in a backtest with the same fills', () => {
  it('tick-reverter on the seeded simulated exchange: live fills equal the backtest fills', async () => {
    const args = ['--symbols', 'TCHA', '--seed', '20260601', '--feed-rate', '40', '--strategy', strategyFile, '--params', '{"period":15,"qty":5,"offset":0.01}'];
    const dataDir = temporaryDataDir();
    addUsers(dataDir, [['quant', 'trader', 'correct horse battery']]);
    engine = await startEngineProcess(args, 90_000, dataDir);
    const api = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('quant', 'correct horse battery');
    const live = await eventually(
      async () => {
        const response = await api.call('GET', '/api/v1/strategies/tick-reverter');
        expect(response.status).toBe(200);
        const status = response.json as StrategyStatus;
        expect(status.recent_fills.length).toBeGreaterThanOrEqual(8);
        return status;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    await api.call('POST', '/api/v1/strategies/tick-reverter/stop', {});
    expect(live.state).toBe('running');
    expect(live.account).toBe('strategy:tick-reverter');
    expect(live.first_data_ms).not.toBeNull();

    // The backtest: the same engine configuration, the exchange's start, a bit longer than live ran.
    const config = loadConfig([...args, '--data-dir', dataDir]);
    const execution = engineSpecs(config).find((spec) => spec.name === 'execution')!.options as ExecutionOptions;
    const lastFillMs = Math.max(...live.recent_fills.map((fill) => fill.time_ms));
    const result = await runSimulatedBacktest({
      execution,
      strategy: await loadStrategy(strategyFile, { period: 15, qty: 5, offset: 0.01 }),
      name: 'tick-reverter',
      startTimeMs: live.first_data_ms! - kStepMs,
      durationMs: lastFillMs - live.first_data_ms! + 5_000,
      barIntervalMs: config.barIntervalsMs[0]!,
    });
    const shape = (fill: { client_order_id?: string; clientOrderId?: string; side: string; price: number; qty: number; fee: number }) => ({
      id: fill.client_order_id ?? fill.clientOrderId,
      side: fill.side,
      price: fill.price,
      qty: fill.qty,
      fee: Number(fill.fee.toFixed(9)),
    });
    const liveFills = live.recent_fills.map(shape);
    expect(result.fills.length).toBeGreaterThanOrEqual(liveFills.length);
    expect(result.fills.slice(0, liveFills.length).map(shape)).toEqual(liveFills);
    // Both sides traded: limit buys rested and were filled by simulated takers, market sells took the bid.
    expect(new Set(liveFills.map((fill) => fill.side))).toEqual(new Set(['buy', 'sell']));
  });
});
