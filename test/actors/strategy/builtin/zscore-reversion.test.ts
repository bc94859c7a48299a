import { describe, expect, it } from 'vitest';
import { instantiateStrategy } from '../../../../src/actors/strategy/builtin/index.js';
import { barsOf, runBuiltin } from './support.js';

describe('z-score mean reversion', () => {
  it('buys a drop below -entry and exits once |z| < exit', () => {
    const closes = [10, 10.1, 9.9, 10, 10.1, 9.9, 10, 8, 8.5, 9.6, 10, 10.1, 9.9, 10];
    const { signals } = runBuiltin('zscore_reversion', { period: 5, entry: 1.5, exit: 0.5 }, [barsOf('A', closes)]);
    expect(signals[0]).toEqual([7, 'A', 1]);
    expect(signals[1]![2]).toBe(0);
    expect(signals[1]![0]).toBeGreaterThan(7);
  });

  it('refuses exit >= entry', () => {
    expect(() => instantiateStrategy('zscore_reversion', { entry: 1, exit: 1 })).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_BAD_PARAMS' }));
  });
});
