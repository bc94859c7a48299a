import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalGrid } from '../../../src/actors/execution/book/instrument-grid.js';
import { WireFormat, decimalString, rfc3339 } from '../../../src/gateway/wire/format.js';
import { decodePageToken, encodePageToken } from '../../../src/gateway/wire/page-token.js';

/** The exact decimal of steps x (stepUnits / 10^places), by integer arithmetic. */
function exactDecimal(steps: number, stepUnits: number, places: number): string {
  const units = BigInt(steps) * BigInt(stepUnits);
  if (places === 0) return units.toString();
  const text = units.toString().padStart(places + 1, '0');
  return `${text.slice(0, -places)}.${text.slice(-places)}`;
}

describe('decimalString', () => {
  it.each([
    [101.13, 2, '101.13'],
    [999999.9800000001, 2, '999999.98'],
    [0.1 + 0.2, 2, '0.30'],
    [-0.001, 2, '0.00'],
    [-0, 2, '0.00'],
    [-4, 0, '-4'],
    [50000.5, 8, '50000.50000000'],
    [1e15, 2, '1000000000000000.00'],
  ])('prints %s with %i places as %s', (value, places, expected) => {
    expect(decimalString(value, places)).toBe(expected);
  });

  it('refuses what it cannot print exactly (a bug upstream, not input)', () => {
    expect(() => decimalString(Number.NaN, 2)).toThrow();
    expect(() => decimalString(Number.POSITIVE_INFINITY, 2)).toThrow();
    expect(() => decimalString(1e22, 2)).toThrow();
  });

  it('prints every grid value exactly: the decimal of its whole number of steps (property)', () => {
    const steps = [0.01, 0.05, 0.5, 1, 25, 0.001, 0.00001, 0.00000001];
    fc.assert(
      fc.property(fc.constantFrom(...steps), fc.integer({ min: 1, max: 2 ** 26 }), (step, count) => {
        const grid = new DecimalGrid(step, 'price');
        expect(decimalString(grid.fromSteps(count), grid.decimalPlaces)).toBe(exactDecimal(count, grid.stepUnits, grid.decimalPlaces));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('WireFormat', () => {
  const wire = new WireFormat([
    { symbol: 'TCHA', tickSize: 0.01, lotSize: 1 },
    { symbol: 'BTC', tickSize: 0.5, lotSize: 0.001 },
    { symbol: 'BTCUSDT', tickSize: null, lotSize: null, venue: 'binance' },
  ]);

  it('uses each instrument\'s decimals, and money the largest price + quantity decimals', () => {
    expect(wire.price('TCHA', 101.1)).toBe('101.10');
    expect(wire.qty('BTC', 0.1 + 0.2)).toBe('0.300');
    expect(wire.price('BTC', 43000.5)).toBe('43000.5');
    expect(wire.price('BTCUSDT', 50000.5)).toBe('50000.50000000');
    expect(wire.moneyDecimals).toBe(4);
    expect(wire.money(999999.9800000001)).toBe('999999.9800');
    expect(wire.instruments()).toEqual([
      { symbol: 'TCHA', tick_size: '0.01', lot_size: '1', price_decimals: 2, qty_decimals: 0, tradable: true, venue: null },
      { symbol: 'BTC', tick_size: '0.5', lot_size: '0.001', price_decimals: 1, qty_decimals: 3, tradable: true, venue: null },
      { symbol: 'BTCUSDT', tick_size: null, lot_size: null, price_decimals: 8, qty_decimals: 8, tradable: false, venue: 'binance' },
    ]);
  });

  it('writes trades with RFC-3339 and whole epoch ms, levels as [price, qty]', () => {
    expect(wire.trade({ symbol: 'TCHA', price: 101.13, qty: 3, side: 'sell', tradeId: 9, timeMs: 1_732_540_000_123.7 })).toEqual({
      symbol: 'TCHA',
      trade_id: '9',
      price: '101.13',
      qty: '3',
      side: 'sell',
      time: '2024-11-25T13:06:40.123Z',
      time_ms: 1_732_540_000_123,
    });
    expect(wire.levels('TCHA', [[101, 4, 2], [100.5, 9, 1]])).toEqual([['101.00', '4'], ['100.50', '9']]);
    expect(rfc3339(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});

describe('page tokens', () => {
  it('round-trips a cursor', () => {
    const token = encodePageToken({ to: 1_732_540_000_123, before_id: 'T-9' });
    expect(decodePageToken(token, { to: 'integer', before_id: 'string' })).toEqual({ to: 1_732_540_000_123, before_id: 'T-9' });
  });

  it.each([
    ['not base64url', 'a b'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['an array', encodePageToken({}).replace(/.*/, Buffer.from('[1]').toString('base64url'))],
    ['a missing field', encodePageToken({ to: 1 })],
    ['a negative integer', encodePageToken({ to: -1, before_id: 'x' })],
    ['a string for an integer', encodePageToken({ to: '1', before_id: 'x' })],
    ['too long', 'A'.repeat(600)],
  ])('refuses %s with ERR_HTTP_BAD_REQUEST', (_name, token) => {
    expect(() => decodePageToken(token, { to: 'integer', before_id: 'string' })).toThrowError(expect.objectContaining({ code: 'ERR_HTTP_BAD_REQUEST' }));
  });
});
