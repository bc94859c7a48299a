/**
 * The decimal boundary: prices and quantities to ticks and lots (float noise accepted, off-grid values
 * rejected), back to the exact decimals, and the integer fee arithmetic against a BigInt reference.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecimalGrid, describeValue, feeCashUnits, feeCentiBps, InstrumentGrid } from '../../../../src/actors/execution/book/instrument-grid.js';

describe('InstrumentGrid.toTicks / toLots', () => {
  const cases: Array<{ message: string; tickSize: number; price: number; ticks?: number; code?: string }> = [
    { message: '101.13 on a 0.01 grid (101.13 / 0.01 is 10112.999999999998)', tickSize: 0.01, price: 101.13, ticks: 10_113 },
    { message: '0.1 + 0.2 on a 0.1 grid', tickSize: 0.1, price: 0.1 + 0.2, ticks: 3 },
    { message: '1.15 on a 0.05 grid', tickSize: 0.05, price: 1.15, ticks: 23 },
    { message: '100 on a 25 grid', tickSize: 25, price: 100, ticks: 4 },
    { message: '0.00003 on a 0.00001 grid', tickSize: 0.00001, price: 0.00003, ticks: 3 },
    { message: '67123.45 on a 0.01 grid', tickSize: 0.01, price: 67_123.45, ticks: 6_712_345 },
    { message: '100.005 is off a 0.01 grid', tickSize: 0.01, price: 100.005, code: 'ERR_ORDER_BAD_TICK' },
    { message: '1.17 is off a 0.05 grid', tickSize: 0.05, price: 1.17, code: 'ERR_ORDER_BAD_TICK' },
    { message: '110 is off a 25 grid', tickSize: 25, price: 110, code: 'ERR_ORDER_BAD_TICK' },
    { message: '101.1300001 is off a 0.01 grid', tickSize: 0.01, price: 101.130_000_1, code: 'ERR_ORDER_BAD_TICK' },
    { message: 'NaN', tickSize: 0.01, price: Number.NaN, code: 'ERR_ORDER_BAD_PRICE' },
    { message: '-Infinity', tickSize: 0.01, price: Number.NEGATIVE_INFINITY, code: 'ERR_ORDER_BAD_PRICE' },
    { message: '-0', tickSize: 0.01, price: -0, code: 'ERR_ORDER_BAD_PRICE' },
    { message: 'above the default bound', tickSize: 1, price: 2 ** 26 + 1, code: 'ERR_ORDER_BAD_PRICE' },
    { message: 'a tiny positive price rounding to zero ticks', tickSize: 0.01, price: 1e-15, code: 'ERR_ORDER_BAD_PRICE' },
  ];
  for (const { message, tickSize, price, ticks, code } of cases) {
    it(message, () => {
      const grid = new InstrumentGrid({ symbol: 'G', tickSize, lotSize: 1 });
      if (code === undefined) expect(grid.toTicks(price)).toBe(ticks);
      else expect(() => grid.toTicks(price)).toThrowError(expect.objectContaining({ code }));
    });
  }

  it('checks quantities on the lot grid with their own codes', () => {
    const grid = new InstrumentGrid({ symbol: 'G', tickSize: 0.01, lotSize: 0.001, maxQty: 1_000 });
    expect(grid.toLots(1.234)).toBe(1_234);
    expect(() => grid.toLots(1.2345)).toThrowError(expect.objectContaining({ code: 'ERR_ORDER_BAD_LOT' }));
    expect(() => grid.toLots(1_000.001)).toThrowError(expect.objectContaining({ code: 'ERR_ORDER_BAD_QTY' }));
    expect(() => grid.toLots(0)).toThrowError(expect.objectContaining({ code: 'ERR_ORDER_BAD_QTY' }));
  });

  it('priceOf gives back the exact decimal (the double that parsing the decimal gives)', () => {
    const grid = new InstrumentGrid({ symbol: 'G', tickSize: 0.01, lotSize: 0.1 });
    expect(grid.priceOf(10_113)).toBe(101.13);
    expect(grid.qtyOf(3)).toBe(0.3);
    expect(grid.cashOf(1)).toBe(0.001);
  });

  it('round-trips every tick count on assorted grids (property)', () => {
    const steps = [0.01, 0.05, 0.5, 1, 25, 0.00001, 0.125, 0.0001];
    fc.assert(
      fc.property(fc.constantFrom(...steps), fc.integer({ min: 1, max: 2 ** 26 }), (tickSize, ticks) => {
        const grid = new InstrumentGrid({ symbol: 'G', tickSize, lotSize: 1 });
        const price = grid.priceOf(ticks);
        expect(grid.toTicks(price)).toBe(ticks);
        // The decimal string of the price parses back to the same double.
        expect(Number(price.toFixed(grid.price.decimalPlaces))).toBe(price);
      }),
    );
  });
});

describe('DecimalGrid configuration', () => {
  it.each([0, -0.01, Number.NaN, Number.POSITIVE_INFINITY, 1 / 3, 1e-13])('rejects step %s with ERR_BOOK_BAD_CONFIG', (step) => {
    expect(() => new DecimalGrid(step, 'price')).toThrowError(expect.objectContaining({ code: 'ERR_BOOK_BAD_CONFIG' }));
  });

  it('holds the step as an exact fraction', () => {
    const grid = new DecimalGrid(0.05, 'price');
    expect([grid.stepUnits, grid.decimalPlaces]).toEqual([5, 2]);
  });
});

describe('fees', () => {
  const reference = (notional: number, centiBps: number): number => {
    // ceil(notional × centiBps / 10^6) with BigInt: floor division rounds toward zero, so adjust.
    const product = BigInt(notional) * BigInt(centiBps);
    const quotient = product / 1_000_000n;
    const ceil = product > 0n && product % 1_000_000n !== 0n ? quotient + 1n : quotient;
    return Number(ceil);
  };

  it.each([
    { notional: 101_130, centiBps: 500, fee: 51 },
    { notional: 101_130, centiBps: -100, fee: -10 },
    { notional: 303, centiBps: -100, fee: 0 },
    { notional: 0, centiBps: 500, fee: 0 },
    { notional: 15_000_000, centiBps: 750, fee: 11_250 },
    { notional: 2 ** 53 - 1, centiBps: 100_000, fee: reference(2 ** 53 - 1, 100_000) },
  ])('fee on $notional at $centiBps centi-bps is $fee cash units', ({ notional, centiBps, fee }) => {
    expect(Object.is(feeCashUnits(notional, centiBps), fee)).toBe(true);
  });

  it('matches the BigInt reference exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: -100_000, max: 100_000 }), (notional, centiBps) => {
        expect(feeCashUnits(notional, centiBps)).toBe(reference(notional, centiBps));
      }),
    );
  });

  it('takes fees on the 0.01 bps grid', () => {
    expect(feeCentiBps(2.5, 'fee')).toBe(250);
    expect(feeCentiBps(-0.01, 'fee')).toBe(-1);
    expect(Object.is(feeCentiBps(-0, 'fee'), 0)).toBe(true);
    expect(() => feeCentiBps(0.001, 'fee')).toThrowError(expect.objectContaining({ code: 'ERR_BOOK_BAD_CONFIG' }));
  });
});

describe('describeValue', () => {
  it.each([
    { value: -0, text: '-0' },
    { value: 'x'.repeat(50), text: `"${'x'.repeat(40)}..."` },
    { value: null, text: 'null' },
    { value: [1], text: 'an array' },
    { value: undefined, text: 'undefined' },
  ])('describes $text', ({ value, text }) => {
    expect(describeValue(value)).toBe(text);
  });
});
