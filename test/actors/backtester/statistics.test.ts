import { describe, expect, it } from 'vitest';
import { runBarBacktest } from '../../../src/actors/backtester/bar-backtest.js';
import { buildReport } from '../../../src/actors/backtester/report.js';
import {
  cagr,
  conditionalValueAtRisk,
  dailyEquity,
  dailyReturns,
  drawdown,
  percentile,
  sampleStd,
  sharpe,
  sortino,
} from '../../../src/actors/backtester/statistics.js';
import { instantiateStrategy } from '../../../src/actors/strategy/builtin/index.js';
import { expectClose, shippedBars, smaFixture } from './support.js';

describe('statistics equal empyrical on the same returns (fixture computed once with empyrical)', () => {
  const fixture = smaFixture();
  for (const reference of fixture.runs) {
    it(`${reference.fill}, fees ${reference.fees}`, () => {
      const returns = Float64Array.from(reference.returns);
      const expected = reference.statistics;
      expectClose(sharpe(returns), expected.sharpe!, 'sharpe', 1e-12);
      expectClose(sortino(returns), expected.sortino!, 'sortino', 1e-12);
      expectClose(cagr(returns), expected.cagr!, 'cagr', 1e-10);
      expectClose(sampleStd(returns) * Math.sqrt(252), expected.annual_volatility!, 'annual volatility', 1e-12);
      expectClose(percentile(returns, 5), expected.var_95!, 'var 95', 1e-12);
      expectClose(conditionalValueAtRisk(returns, 0.05), expected.cvar_95!, 'cvar 95', 1e-12);

      // The engine's own pipeline: its daily returns are vectorbt's, and its report carries the same numbers.
      const run = runBarBacktest({ strategy: instantiateStrategy('sma_cross', fixture.params), series: [shippedBars()], fill: reference.fill, feeRate: reference.fees, cash: fixture.cash });
      const engineReturns = dailyReturns(dailyEquity(run.timesMs, run.equity), run.initialCash);
      reference.returns.forEach((value, index) => expectClose(engineReturns[index]!, value, `return[${index}]`, 1e-9, 1e-6));
      const report = buildReport(run, { strategy: 'sma_cross', params: fixture.params, fill: reference.fill, fees: reference.fees });
      for (const key of ['sharpe', 'sortino', 'cagr', 'annual_volatility', 'max_drawdown', 'calmar', 'var_95', 'cvar_95', 'total_return'] as const) {
        expectClose(report[key]!, expected[key]!, `report ${key}`, 1e-8);
      }
    });
  }
});

describe('statistics: definitions on small cases', () => {
  it('drawdown counts the initial equity as the first peak and measures the longest underwater span', () => {
    const times = [0, 1, 2, 3, 4, 5].map((day) => day * 86_400_000);
    const result = drawdown(times, [90, 95, 110, 99, 88, 120], 100);
    expectClose(result.max, 88 / 110 - 1, 'max drawdown', 1e-15);
    expect(Array.from(result.series, (value) => Number(value.toFixed(6)))).toEqual([-0.1, -0.05, 0, -0.1, -0.2, 0]);
    expect(result.durationSteps).toBe(2);
  });

  it('daily equity keeps the last mark of each UTC day', () => {
    const hour = 3_600_000;
    expect(Array.from(dailyEquity([0, hour, 25 * hour, 26 * hour, 49 * hour], [1, 2, 3, 4, 5]))).toEqual([2, 4, 5]);
  });

  it('undefined statistics are null in a report, never NaN (no trades, flat equity)', () => {
    const bars = shippedBars();
    const run = runBarBacktest({ strategy: instantiateStrategy('sma_cross', { fast: 600, slow: 1_400 }), series: [bars], fill: 'next_open', feeRate: 0, cash: 1_000 });
    const report = buildReport(run, { strategy: 'sma_cross', params: {}, fill: 'next_open', fees: 0 });
    expect(report.trades).toBe(0);
    expect([report.sharpe, report.sortino, report.win_rate, report.profit_factor, report.calmar]).toEqual([null, null, null, null, null]);
    expect(report.max_drawdown).toBe(0);
    expect(JSON.stringify(report)).not.toMatch(/NaN|Infinity/);
  });
});
