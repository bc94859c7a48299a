import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BarAggregator, aggregateBars, aggregateBarsNewestFirst } from '../../../src/actors/realtime/bars.js';
import type { Bar, Trade } from '../../../src/engine/messages.js';

function trade(symbol: string, price: number, qty: number, timeMs: number): Trade {
  return { symbol, price, qty, side: 'buy', tradeId: 0, timeMs };
}

describe('BarAggregator', () => {
  it('builds OHLCV, VWAP and trade count, and emits a bar when the next interval starts', () => {
    const bars: Bar[] = [];
    const aggregator = new BarAggregator(1_000, (bar) => bars.push(bar));
    aggregator.add(trade('A', 10, 1, 1_000));
    aggregator.add(trade('A', 12, 3, 1_200));
    aggregator.add(trade('A', 9, 2, 1_999));
    expect(bars).toEqual([]);
    aggregator.add(trade('A', 11, 1, 2_000));
    expect(bars).toEqual([
      { symbol: 'A', intervalMs: 1_000, startMs: 1_000, open: 10, high: 12, low: 9, close: 9, volume: 6, vwap: (10 + 36 + 18) / 6, trades: 3 },
    ]);
  });

  it('closes quiet symbols on time and keeps symbols apart', () => {
    const bars: Bar[] = [];
    const aggregator = new BarAggregator(500, (bar) => bars.push(bar));
    aggregator.add(trade('A', 1, 1, 100));
    aggregator.add(trade('B', 2, 1, 450));
    aggregator.closeDue(499);
    expect(bars).toHaveLength(0);
    aggregator.closeDue(500);
    expect(bars.map((bar) => bar.symbol).sort()).toEqual(['A', 'B']);
    expect(bars.find((bar) => bar.symbol === 'B')?.close).toBe(2);
  });

  it('folds a late trade into the open bar instead of reopening a closed one', () => {
    const bars: Bar[] = [];
    const aggregator = new BarAggregator(1_000, (bar) => bars.push(bar));
    aggregator.add(trade('A', 10, 1, 5_100));
    aggregator.add(trade('A', 8, 1, 4_900));
    aggregator.closeDue(6_000);
    expect(bars).toHaveLength(1);
    expect(bars[0]).toMatchObject({ startMs: 5_000, low: 8, close: 8, volume: 2, trades: 2 });
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects interval %s with ERR_CONFIG_INVALID', (intervalMs) => {
    expect(() => new BarAggregator(intervalMs, () => {})).toThrowError(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });
});

describe('aggregateBarsNewestFirst', () => {
  it('gives the same bars as the forward fold, newest first, over a backwards scan (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ price: fc.integer({ min: 1, max: 10_000 }), qty: fc.integer({ min: 1, max: 100 }), gapMs: fc.integer({ min: 0, max: 2_500 }) }), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), (rows, limit) => {
        let timeMs = 1_700_000_000_000;
        const trades = rows.map((row) => ({ price: row.price / 100, qty: row.qty, timeMs: (timeMs += row.gapMs) }));
        const forward = aggregateBars('X', 1_000, trades, Number.MAX_SAFE_INTEGER).reverse().slice(0, limit);
        const backward = aggregateBarsNewestFirst('X', 1_000, [...trades].reverse(), limit);
        expect(backward.length).toBe(forward.length);
        backward.forEach((bar, index) => {
          const expected = forward[index]!;
          expect({ ...bar, vwap: 0 }).toEqual({ ...expected, vwap: 0 });
          expect(bar.vwap).toBeCloseTo(expected.vwap, 9);
        });
      }),
      { numRuns: 300 },
    );
  });
});
