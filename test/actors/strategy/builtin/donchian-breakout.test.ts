import { describe, expect, it } from 'vitest';
import { barsOf, runBuiltin } from './support.js';

describe('Donchian breakout', () => {
  it('enters above the previous highs and leaves below the previous exit-window lows', () => {
    // High = close + 0.5: the 3-bar channel before bar 3 tops at 10.5; bar 3 closes at 11.
    const closes = [10, 10, 10, 11, 11.2, 11.1, 9, 9];
    const { signals } = runBuiltin('donchian_breakout', { period: 3, exitPeriod: 2 }, [barsOf('A', closes)]);
    expect(signals).toEqual([[3, 'A', 1], [6, 'A', 0]]);
  });
});
