import { describe, expect, it } from 'vitest';
import { monteCarlo } from '../../../src/actors/backtester/monte-carlo.js';
import { mean } from '../../../src/actors/backtester/statistics.js';
import { SeededRandom } from '../../../src/engine/random.js';

function tradeReturns(count: number, seed: number): Float64Array {
  const random = new SeededRandom(seed);
  return Float64Array.from({ length: count }, () => 0.002 + 0.03 * random.nextNormal());
}

describe('Monte Carlo: trade bootstrap converges to its analytic mean', () => {
  const returns = tradeReturns(40, 7);
  const analytic = 100_000 * (1 + mean(returns)) ** returns.length;
  for (const [paths, seed] of [[2_000, 1], [20_000, 2], [200_000, 3]] as const) {
    it(`${paths} paths: |mean - cash × (1 + r̄)^n| within 3 standard errors`, () => {
      const result = monteCarlo(returns, 100_000, { method: 'trades', paths, seed });
      const error = Math.abs(result.final_equity.mean - analytic);
      expect(error).toBeLessThanOrEqual(3 * result.final_equity.standard_error);
      // The standard error shrinks like 1 / √paths (same returns, so the spread is stable).
      expect(result.final_equity.standard_error * Math.sqrt(paths)).toBeGreaterThan(0.8 * 100_000 * 0.15);
    });
  }

  it('the standard error falls by ~√10 for 10× the paths', () => {
    const small = monteCarlo(returns, 100_000, { method: 'trades', paths: 10_000, seed: 11 });
    const large = monteCarlo(returns, 100_000, { method: 'trades', paths: 100_000, seed: 12 });
    expect(small.final_equity.standard_error / large.final_equity.standard_error).toBeGreaterThan(2.8);
    expect(small.final_equity.standard_error / large.final_equity.standard_error).toBeLessThan(3.5);
  });
});

describe('Monte Carlo: block bootstrap of daily returns', () => {
  const daily = tradeReturns(500, 5).map((value) => value / 3);

  it('mean log growth equals N × mean(ln(1 + r)) within 3 standard errors', () => {
    const result = monteCarlo(daily, 100_000, { method: 'block', paths: 20_000, seed: 9, blockLength: 10 });
    const logs = result.finals.map((value) => Math.log(value / 100_000));
    const analytic = daily.reduce((sum, value) => sum + Math.log1p(value), 0);
    const standardError = Math.sqrt(logs.reduce((sum, value) => sum + (value - mean(logs)) ** 2, 0) / (logs.length - 1)) / Math.sqrt(logs.length);
    expect(Math.abs(mean(logs) - analytic)).toBeLessThanOrEqual(3 * standardError);
  });

  it('is seeded: the same seed gives the same paths, bands are ordered, drawdowns are <= 0', () => {
    const first = monteCarlo(daily, 1_000, { method: 'block', paths: 500, seed: 4 });
    const again = monteCarlo(daily, 1_000, { method: 'block', paths: 500, seed: 4 });
    expect(Array.from(again.finals)).toEqual(Array.from(first.finals));
    const bands = first.final_equity;
    expect(bands.p5 <= bands.p25 && bands.p25 <= bands.p50 && bands.p50 <= bands.p75 && bands.p75 <= bands.p95).toBe(true);
    expect(first.max_drawdown.p95).toBeLessThanOrEqual(0);
    expect(first.max_drawdown.p5).toBeLessThan(0);
  });

  it('refuses bad specs', () => {
    for (const spec of [{ method: 'block' as const, paths: 1, seed: 1 }, { method: 'bootstrap' as 'block', paths: 10, seed: 1 }, { method: 'block' as const, paths: 10, seed: 1, blockLength: 0 }]) {
      expect(() => monteCarlo(daily, 1, spec), JSON.stringify(spec)).toThrow(expect.objectContaining({ code: 'ERR_BACKTEST_BAD_OPTION' }));
    }
    expect(() => monteCarlo([], 1, { method: 'trades', paths: 10, seed: 1 })).toThrow(expect.objectContaining({ code: 'ERR_BACKTEST_BAD_OPTION' }));
  });
});
