import { describe, expect, it } from 'vitest';
import { attribute } from '../../../src/actors/backtester/attribution.js';
import { runBarBacktest } from '../../../src/actors/backtester/bar-backtest.js';
import { allocateSeries } from '../../../src/actors/backtester/bar-data.js';
import { instantiateStrategy } from '../../../src/actors/strategy/builtin/index.js';
import { expectClose, shippedBars } from './support.js';

describe('P&L attribution', () => {
  it('by symbol and month sums to the equity change; by strategy per run', () => {
    const bars = shippedBars();
    const first = runBarBacktest({ strategy: instantiateStrategy('sma_cross', { fast: 10, slow: 30 }), series: [bars], fill: 'next_open', feeRate: 0.001, cash: 100_000 });
    const second = runBarBacktest({ strategy: instantiateStrategy('momentum', { lookback: 60 }), series: [bars], fill: 'market_on_close', feeRate: 0.001, cash: 100_000 });
    const result = attribute([{ name: 'sma', run: first }, { name: 'momentum', run: second }]);
    expectClose(result.by_strategy.sma!, first.equity.at(-1)! - 100_000, 'sma pnl', 1e-9);
    expectClose(result.by_strategy.momentum!, second.equity.at(-1)! - 100_000, 'momentum pnl', 1e-9);
    const total = first.equity.at(-1)! + second.equity.at(-1)! - 200_000;
    expectClose(Object.values(result.by_month).reduce((sum, value) => sum + value, 0), total, 'months', 1e-9);
    expectClose(result.by_symbol.FIXTURE!, total, 'symbol', 1e-9);
    expect(Object.keys(result.by_month)[0]).toMatch(/^2019-\d\d$/);
  });

  it('splits a pairs run by symbol', () => {
    const shipped = shippedBars();
    const other = allocateSeries('OTHER', shipped.length);
    other.time.set(shipped.time);
    for (let index = 0; index < shipped.length; index++) {
      const wobble = 1 + 0.03 * Math.sin(index / 7);
      for (const key of ['open', 'high', 'low', 'close'] as const) other[key][index] = shipped[key][index]! * wobble;
      other.volume[index] = 1;
    }
    const run = runBarBacktest({ strategy: instantiateStrategy('pairs', { symbols: ['FIXTURE', 'OTHER'], period: 20, entry: 1.5, exit: 0.3 }), series: [shipped, other], fill: 'market_on_close', feeRate: 0, cash: 100_000 });
    expect(run.fills.length).toBeGreaterThan(10);
    const result = attribute([{ name: 'pairs', run }]);
    expect(Object.keys(result.by_symbol).sort()).toEqual(['FIXTURE', 'OTHER']);
    expectClose(result.by_symbol.FIXTURE! + result.by_symbol.OTHER!, run.equity.at(-1)! - 100_000, 'pairs total', 1e-9);
  });
});
