import { describe, expect, it } from 'vitest';
import { instantiateStrategy } from '../../../../src/actors/strategy/builtin/index.js';
import { barsOf, runBuiltin } from './support.js';

describe('signal fusion', () => {
  it('one member: its signals pass through (weight 1)', () => {
    const closes = [10, 10, 10, 11, 12, 8, 6, 6, 6];
    const alone = runBuiltin('sma_cross', { fast: 2, slow: 3 }, [barsOf('A', closes)]).signals;
    const fused = runBuiltin('fusion', { members: [{ strategy: 'sma_cross', params: { fast: 2, slow: 3 } }], lookback: 5, step: 0.5 }, [barsOf('A', closes)]).signals;
    expect(fused).toEqual(alone);
  });

  it('two members with no track record are averaged with equal weights, rounded to the step', () => {
    // momentum(1) is long from bar 1 on a rising series; sma_cross never enters (regime already in place).
    const fused = runBuiltin('fusion', { members: [{ strategy: 'momentum', params: { lookback: 1 } }, { strategy: 'sma_cross', params: { fast: 2, slow: 3 } }], lookback: 50, step: 0.25 }, [barsOf('A', [1, 2, 3, 4, 5])]).signals;
    expect(fused[0]).toEqual([1, 'A', 0.5]);
  });

  it('weights follow recent risk-adjusted performance: a losing member loses its say', () => {
    // A rising, noisy series: long momentum earns, short-allowed reversion that shorts rallies loses.
    const closes = Array.from({ length: 80 }, (_, index) => 100 + index + (index % 3 === 0 ? 2 : 0));
    const members = [{ strategy: 'momentum', params: { lookback: 2 } }, { strategy: 'momentum', params: { lookback: 2, allowShort: true } }];
    const { signals } = runBuiltin('fusion', { members, lookback: 10, step: 0.1 }, [barsOf('A', closes)]);
    expect(signals.at(-1)![2]).toBeCloseTo(1, 9);
  });

  it('members may not send orders; fusion of fusion is refused', () => {
    expect(() => instantiateStrategy('fusion', { members: [{ strategy: 'fusion' }] })).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_BAD_PARAMS' }));
    expect(() => instantiateStrategy('fusion', { members: [] })).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_BAD_PARAMS' }));
  });
});
