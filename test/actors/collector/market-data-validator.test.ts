/**
 * The market-data validator: a table of hostile inputs, each rejected for its reason and counted;
 * sequences and timestamps per symbol; the bounded quarantine.
 */
import { describe, expect, it } from 'vitest';
import { MarketDataValidator, type RejectReason } from '../../../src/actors/collector/market-data-validator.js';
import type { OctopusError } from '../../../src/engine/errors.js';

const trade = { kind: 'trade', symbol: 'AAA', price: 10.5, qty: 3, side: 'buy', tradeId: 1, timeMs: 1_000 };
const quote = { kind: 'quote', symbol: 'AAA', bidPrice: 10.4, bidQty: 5, askPrice: 10.5, askQty: 7, timeMs: 1_000 };
const delta = { kind: 'book_delta', symbol: 'AAA', side: 'buy', price: 10.4, qty: 0, timeMs: 1_000 };

const hostile: Array<[string, unknown, RejectReason]> = [
  ['null', null, 'malformed'],
  ['a number', 42, 'malformed'],
  ['a string', 'trade', 'malformed'],
  ['an array', [trade], 'malformed'],
  ['no kind', { ...trade, kind: undefined }, 'unknown_kind'],
  ['kind "order"', { ...trade, kind: 'order' }, 'unknown_kind'],
  ['symbol not a string', { ...trade, symbol: 7 }, 'malformed'],
  ['unknown symbol', { ...trade, symbol: 'ZZZ' }, 'unknown_symbol'],
  ['prototype-named symbol', { ...trade, symbol: '__proto__' }, 'unknown_symbol'],
  ['NaN price', { ...trade, price: Number.NaN }, 'bad_price'],
  ['infinite price', { ...trade, price: Number.POSITIVE_INFINITY }, 'bad_price'],
  ['zero price', { ...trade, price: 0 }, 'bad_price'],
  ['negative price', { ...trade, price: -1 }, 'bad_price'],
  ['string price', { ...trade, price: '10.5' }, 'bad_price'],
  ['zero trade qty', { ...trade, qty: 0 }, 'bad_qty'],
  ['negative trade qty', { ...trade, qty: -3 }, 'bad_qty'],
  ['NaN trade qty', { ...trade, qty: Number.NaN }, 'bad_qty'],
  ['side "long"', { ...trade, side: 'long' }, 'bad_side'],
  ['fractional tradeId', { ...trade, tradeId: 1.5 }, 'malformed'],
  ['NaN time', { ...trade, timeMs: Number.NaN }, 'bad_time'],
  ['negative time', { ...trade, timeMs: -5 }, 'bad_time'],
  ['string time', { ...trade, timeMs: '1000' }, 'bad_time'],
  ['negative sequence', { ...trade, sequence: -1 }, 'malformed'],
  ['fractional sequence', { ...trade, sequence: 1.5 }, 'malformed'],
  ['crossed quote', { ...quote, bidPrice: 10.6 }, 'crossed_quote'],
  ['locked quote', { ...quote, bidPrice: 10.5 }, 'crossed_quote'],
  ['zero bid', { ...quote, bidPrice: 0 }, 'bad_price'],
  ['infinite ask', { ...quote, askPrice: Number.POSITIVE_INFINITY }, 'bad_price'],
  ['zero bid qty', { ...quote, bidQty: 0 }, 'bad_qty'],
  ['negative ask qty', { ...quote, askQty: -1 }, 'bad_qty'],
  ['delta side "bid" (a book side is named by its orders: buy or sell)', { ...delta, side: 'bid' }, 'bad_side'],
  ['delta negative qty', { ...delta, qty: -1 }, 'bad_qty'],
  ['delta NaN qty', { ...delta, qty: Number.NaN }, 'bad_qty'],
  ['delta zero price', { ...delta, price: 0 }, 'bad_price'],
];

describe('MarketDataValidator', () => {
  it.each(hostile)('rejects %s', (_, input, reason) => {
    const validator = new MarketDataValidator({ symbols: ['AAA'] });
    expect(validator.check(input), 'the reason').toBe(reason);
    const stats = validator.stats();
    expect(stats.byReason[reason], 'counted under its reason').toBe(1);
    expect(stats.rejected).toBe(1);
    expect(stats.accepted).toBe(0);
    expect(validator.quarantined().map((entry) => entry.reason)).toEqual([reason]);
  });

  it.each([
    ['a trade', trade],
    ['a quote', quote],
    ['a delta removing a level (qty 0)', delta],
    ['a trade with a sequence', { ...trade, sequence: 0 }],
  ])('accepts %s', (_, input) => {
    const validator = new MarketDataValidator({ symbols: ['AAA'] });
    expect(validator.accept(input)).toBe(true);
    expect(validator.stats().accepted).toBe(1);
  });

  it('rejects time going backwards and repeated sequence numbers, per symbol', () => {
    const validator = new MarketDataValidator({ symbols: ['AAA', 'BBB'] });
    const steps: Array<[string, unknown, RejectReason | null]> = [
      ['first', { ...trade, timeMs: 100, sequence: 1 }, null],
      ['same time, next sequence', { ...trade, timeMs: 100, sequence: 2 }, null],
      ['time backwards', { ...trade, timeMs: 99, sequence: 3 }, 'out_of_sequence'],
      ['sequence repeated', { ...quote, timeMs: 101, sequence: 2 }, 'out_of_sequence'],
      ['another symbol has its own clock', { ...trade, symbol: 'BBB', timeMs: 5, sequence: 1 }, null],
      ['a gap in sequence is fine', { ...delta, timeMs: 102, sequence: 10 }, null],
      ['a rejected event does not advance the clock', { ...trade, timeMs: 102, sequence: 11 }, null],
      ['no sequence: time only', { ...trade, timeMs: 102 }, null],
    ];
    for (const [message, input, reason] of steps) expect(validator.check(input), message).toBe(reason);
    expect(validator.stats()).toEqual({
      accepted: 6,
      rejected: 2,
      byReason: { malformed: 0, unknown_kind: 0, unknown_symbol: 0, bad_price: 0, bad_qty: 0, bad_side: 0, bad_time: 0, crossed_quote: 0, out_of_sequence: 2 },
    });
  });

  it('keeps only the newest rejects in its quarantine, as copies', () => {
    const validator = new MarketDataValidator({ symbols: ['AAA'], quarantineCapacity: 4 });
    const inputs = Array.from({ length: 10 }, (_, index) => ({ ...trade, price: -index }));
    for (const input of inputs) validator.check(input);
    const kept = validator.quarantined();
    expect(kept.map((entry) => (entry.input as { price: number }).price)).toEqual([-6, -7, -8, -9]);
    inputs[9]!.price = 5;
    expect((kept[3]!.input as { price: number }).price, 'a copy, not the caller object').toBe(-9);
  });

  it.each([
    ['quarantine not a power of two', { symbols: [], quarantineCapacity: 3 }],
    ['zero maxSymbols', { symbols: [], maxSymbols: 0 }],
    ['too many symbols', { symbols: ['A', 'B'], maxSymbols: 1 }],
    ['empty symbol', { symbols: [''] }],
  ])('rejects options with %s', (_, options) => {
    expect(() => new MarketDataValidator(options)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }) as OctopusError);
  });
});
