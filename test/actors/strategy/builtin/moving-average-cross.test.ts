import { describe, expect, it } from 'vitest';
import { instantiateStrategy } from '../../../../src/actors/strategy/builtin/index.js';
import { barsOf, runBuiltin } from './support.js';

describe('SMA / EMA crossover', () => {
  it('enters on the up cross and exits on the down cross (sma_cross, fast 2 / slow 3)', () => {
    // fast/slow: t2 10/10 (defined), t3 up cross (fast 10.5 > slow 10.33), t6 down cross.
    const closes = [10, 10, 10, 11, 12, 8, 6, 6, 6];
    const { signals } = runBuiltin('sma_cross', { fast: 2, slow: 3 }, [barsOf('A', closes)]);
    expect(signals).toEqual([[3, 'A', 1], [5, 'A', 0]]);
  });

  it('does not enter a regime already in place when the slow average first becomes defined', () => {
    // Rising from the start: fast > slow on the first bar where slow is defined, and it stays so.
    const { signals } = runBuiltin('sma_cross', { fast: 2, slow: 3 }, [barsOf('A', [1, 2, 3, 4, 5, 6, 7])]);
    expect(signals).toEqual([]);
  });

  it('ema_cross and allowShort: the down cross goes short', () => {
    const closes = [10, 10, 10, 10, 12, 14, 16, 12, 8, 6, 5, 5];
    const { signals } = runBuiltin('ema_cross', { fast: 2, slow: 4, allowShort: true }, [barsOf('A', closes)]);
    expect(signals.map((signal) => signal[2])).toEqual([1, -1]);
  });

  const refusals: [Record<string, unknown>, string][] = [
    [{ fast: 30, slow: 10 }, 'fast >= slow'],
    [{ fast: 0, slow: 10 }, 'fast 0'],
    [{ fast: 2.5, slow: 10 }, 'fractional period'],
    [{ fast: 2, slow: 10, source: 'quotes' }, 'unknown source'],
    [{ fast: 2, slow: 10, allowShort: 'yes' }, 'non-boolean allowShort'],
  ];
  for (const [params, what] of refusals) {
    it(`refuses ${what} with ERR_STRATEGY_BAD_PARAMS`, () => {
      expect(() => instantiateStrategy('sma_cross', params)).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_BAD_PARAMS' }));
    });
  }
});
