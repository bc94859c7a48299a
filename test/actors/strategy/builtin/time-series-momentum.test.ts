import { describe, expect, it } from 'vitest';
import { barsOf, runBuiltin } from './support.js';

describe('time-series momentum', () => {
  it('holds the sign of the lookback return; flat on negative without allowShort', () => {
    const closes = [10, 11, 12, 13, 12, 11, 10, 9, 10, 11, 12];
    const { signals } = runBuiltin('momentum', { lookback: 3 }, [barsOf('A', closes)]);
    // t3: 13/10 > 1 -> long; t5: 11/12 < 1 -> flat; t9: 11/10 > 1 -> long again.
    expect(signals).toEqual([[3, 'A', 1], [5, 'A', 0], [9, 'A', 1]]);
  });

  it('goes short with allowShort', () => {
    const { signals } = runBuiltin('momentum', { lookback: 2, allowShort: true }, [barsOf('A', [10, 9, 8, 7])]);
    expect(signals).toEqual([[2, 'A', -1]]);
  });
});
