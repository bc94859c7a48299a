// aggregateBars against a direct per-bucket computation, on generated trades (property test), plus edge cases.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { aggregateBars } from '../../../src/actors/realtime/bars.js';
import { kBarIntervalsMs } from '../../../src/actors/warehouse/tick-store/tick-store.js';

interface Input {
  price: number;
  qty: number;
  timeMs: number;
}

function direct(trades: Input[], intervalMs: number): Array<{ startMs: number; open: number; close: number; high: number; low: number; trades: number }> {
  const starts = [...new Set(trades.map((trade) => Math.floor(trade.timeMs / intervalMs) * intervalMs))];
  return starts.map((startMs) => {
    const inside = trades.filter((trade) => trade.timeMs >= startMs && trade.timeMs < startMs + intervalMs);
    const prices = inside.map((trade) => trade.price);
    return { startMs, open: prices[0]!, close: prices[prices.length - 1]!, high: Math.max(...prices), low: Math.min(...prices), trades: inside.length };
  });
}

describe('aggregateBars', () => {
  it('matches a per-bucket computation for any sorted trades, interval and limit', () => {
    const trade = fc.record({
      price: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
      qty: fc.double({ min: 0.001, max: 1e3, noNaN: true }),
      timeMs: fc.integer({ min: 0, max: 3 * 86_400_000 }),
    });
    fc.assert(
      fc.property(fc.array(trade, { maxLength: 200 }), fc.constantFrom(...Object.values(kBarIntervalsMs)), fc.integer({ min: 1, max: 50 }), (trades, intervalMs, limit) => {
        const sorted = [...trades].sort((left, right) => left.timeMs - right.timeMs);
        const bars = aggregateBars('S', intervalMs, sorted, limit);
        const expected = direct(sorted, intervalMs).slice(0, limit);
        expect(bars.map(({ startMs, open, close, high, low, trades: count }) => ({ startMs, open, close, high, low, trades: count }))).toEqual(expected);
        for (const bar of bars) {
          expect(bar.vwap).toBeGreaterThanOrEqual(bar.low * (1 - 1e-12));
          expect(bar.vwap).toBeLessThanOrEqual(bar.high * (1 + 1e-12));
        }
      }),
    );
  });

  it.each([
    { why: 'no trades, no bars', trades: [], limit: 5, starts: [] },
    { why: 'a trade on a bucket edge starts the next bar', trades: [{ price: 1, qty: 1, timeMs: 59_999 }, { price: 2, qty: 1, timeMs: 60_000 }], limit: 5, starts: [0, 60_000] },
    { why: 'limit stops at the first bars', trades: [{ price: 1, qty: 1, timeMs: 0 }, { price: 2, qty: 1, timeMs: 60_000 }, { price: 3, qty: 1, timeMs: 120_000 }], limit: 2, starts: [0, 60_000] },
  ])('$why', ({ trades, limit, starts }) => {
    expect(aggregateBars('S', 60_000, trades, limit).map((bar) => bar.startMs)).toEqual(starts);
  });

  it('stops reading one trade past the last bar the limit allows', () => {
    let read = 0;
    function* trades(): Generator<Input> {
      for (let index = 0; index < 1_000; index++) {
        read += 1;
        yield { price: 1, qty: 1, timeMs: index * 1_000 };
      }
    }
    expect(aggregateBars('S', 60_000, trades(), 1)).toHaveLength(1);
    expect(read, 'trades read for one 1m bar of 1 s trades').toBe(61);
  });
});
