import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LocalBook } from '../../../../src/actors/collector/venues/local-book.js';

describe('LocalBook', () => {
  it('sets, replaces and removes levels; removing an absent level is fine', () => {
    const book = new LocalBook(10);
    expect(book.set('buy', 100, 1)).toBe(true);
    expect(book.set('buy', 101, 2)).toBe(true);
    expect(book.set('buy', 100, 3)).toBe(true);
    expect(book.set('sell', 102, 1)).toBe(true);
    expect(book.set('sell', 103, 0), 'remove absent').toBe(true);
    expect(book.levels('buy')).toEqual([[101, 2], [100, 3]]);
    expect(book.set('buy', 101, 0)).toBe(true);
    expect(book.levels('buy')).toEqual([[100, 3]]);
    expect(book.levels('sell')).toEqual([[102, 1]]);
    book.clear();
    expect(book.size('buy') + book.size('sell')).toBe(0);
  });

  it('refuses a new level beyond the bound but still updates and removes existing ones', () => {
    const book = new LocalBook(2);
    expect(book.setAll('sell', [[1, 1], [2, 1]])).toBe(true);
    expect(book.set('sell', 3, 1), 'new level over the bound').toBe(false);
    expect(book.set('sell', 2, 5), 'existing level').toBe(true);
    expect(book.set('sell', 1, 0), 'removal').toBe(true);
    expect(book.set('sell', 3, 1), 'room again').toBe(true);
    expect(book.levels('sell')).toEqual([[2, 5], [3, 1]]);
  });

  it('rejects a non-positive or fractional bound', () => {
    for (const bound of [0, -1, 1.5, Number.NaN]) expect(() => new LocalBook(bound), String(bound)).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
  });

  it('property: matches a reference map after any sequence of updates, sorted by side', () => {
    const update = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 3 }));
    fc.assert(
      fc.property(fc.array(update, { maxLength: 200 }), (updates) => {
        const book = new LocalBook(1_000);
        const reference = { buy: new Map<number, number>(), sell: new Map<number, number>() };
        for (const [isBid, price, qty] of updates) {
          const side = isBid ? 'buy' : 'sell';
          book.set(side, price, qty);
          if (qty === 0) reference[side].delete(price);
          else reference[side].set(price, qty);
        }
        expect(book.levels('buy')).toEqual([...reference.buy].sort((left, right) => right[0] - left[0]));
        expect(book.levels('sell')).toEqual([...reference.sell].sort((left, right) => left[0] - right[0]));
      }),
    );
  });
});
