import { describe, expect, it } from 'vitest';
import { PositionSizer } from '../../../src/actors/strategy/sizing.js';

describe('position sizing', () => {
  it('all_in and equity_fraction scale the target; fixed gives quantities capped by the max position', () => {
    expect(new PositionSizer({ kind: 'all_in' }).equityFraction('A', -1)).toBe(-1);
    expect(new PositionSizer({ kind: 'equity_fraction', fraction: 0.25 }).equityFraction('A', 0.5)).toBe(0.125);
    expect(new PositionSizer({ kind: 'fixed', qty: 100 }, 150).fixedQty(1)).toBe(100);
    expect(new PositionSizer({ kind: 'fixed', qty: 100 }, 50).fixedQty(-1)).toBe(-50);
  });

  it('volatility targeting: σ* / σ̂ of the lookback returns, capped', () => {
    const sizer = new PositionSizer({ kind: 'vol_target', annualVolatility: 0.1, lookback: 4, maxFraction: 2, periodsPerYear: 252 });
    expect(sizer.equityFraction('A', 1)).toBe(0);
    for (const close of [100, 101, 100, 101, 100]) sizer.observe('A', close);
    const returns = [0.01, 100 / 101 - 1, 0.01, 100 / 101 - 1];
    const mean = returns.reduce((sum, value) => sum + value, 0) / 4;
    const sigma = Math.sqrt((returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / 3) * 252);
    expect(sizer.equityFraction('A', 1)).toBeCloseTo(0.1 / sigma, 12);
  });

  it('fractional Kelly: k × μ / σ², floored at 0 and capped', () => {
    const sizer = new PositionSizer({ kind: 'kelly', kellyFraction: 0.5, lookback: 3, maxFraction: 10 });
    for (const close of [100, 102, 103, 106]) sizer.observe('A', close);
    const returns = [0.02, 103 / 102 - 1, 106 / 103 - 1];
    const mean = returns.reduce((sum, value) => sum + value, 0) / 3;
    const variance = returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / 2;
    expect(sizer.equityFraction('A', 1)).toBeCloseTo(Math.min(10, (0.5 * mean) / variance), 9);
    const falling = new PositionSizer({ kind: 'kelly', kellyFraction: 0.5, lookback: 3, maxFraction: 1 });
    for (const close of [100, 98, 97, 95]) falling.observe('A', close);
    expect(falling.equityFraction('A', 1)).toBe(0);
  });

  it('refuses bad specs', () => {
    for (const spec of [{ kind: 'martingale' }, { kind: 'fixed', qty: 0 }, { kind: 'equity_fraction', fraction: -1 }, { kind: 'vol_target', annualVolatility: 0.1, lookback: 1, maxFraction: 1, periodsPerYear: 252 }]) {
      expect(() => new PositionSizer(spec as never), JSON.stringify(spec)).toThrow(expect.objectContaining({ code: 'ERR_BACKTEST_BAD_OPTION' }));
    }
  });
});
