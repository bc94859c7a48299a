import { describe, expect, it } from 'vitest';
import { instantiateStrategy } from '../../../../src/actors/strategy/builtin/index.js';
import { barsOf, runBuiltin } from './support.js';

describe('pairs on the spread z-score', () => {
  it('shorts the rich leg and buys the cheap one, then flattens both when the spread reverts', () => {
    const a = [100, 101, 100, 101, 100, 101, 100, 110, 104, 101, 100, 101];
    const b = [100, 101, 100, 101, 100, 101, 100, 100, 100, 101, 100, 101];
    const { signals, run } = runBuiltin('pairs', { symbols: ['A', 'B'], period: 6, entry: 1.5, exit: 0.5, beta: 1 }, [barsOf('A', a), barsOf('B', b)]);
    expect(signals.slice(0, 2)).toEqual([[7, 'A', -0.5], [7, 'B', 0.5]]);
    expect(signals.slice(2).map((signal) => signal[2])).toEqual([0, 0]);
    // Both legs trade at the same time's closes.
    expect(run.fills.slice(0, 2).map((fill) => [fill.symbol, fill.side, fill.price])).toEqual([['A', 'sell', 110], ['B', 'buy', 100]]);
  });

  it('refuses one symbol or the same symbol twice', () => {
    for (const symbols of [['A'], ['A', 'A'], 'AB']) {
      expect(() => instantiateStrategy('pairs', { symbols }), JSON.stringify(symbols)).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_BAD_PARAMS' }));
    }
  });
});
