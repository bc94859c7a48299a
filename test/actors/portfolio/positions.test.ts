import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PositionBook, type Fill } from '../../../src/actors/portfolio/positions.js';

function fill(side: 'buy' | 'sell', qty: number, price: number, fee = 0, account = 'a', symbol = 'X'): Fill {
  return { account, symbol, side, price, qty, fee };
}

describe('PositionBook (average cost)', () => {
  const cases: Array<[string, Fill[], { qty: number; averagePrice: number; realizedPnl: number; cash: number }]> = [
    ['opening a long', [fill('buy', 10, 100)], { qty: 10, averagePrice: 100, realizedPnl: 0, cash: -1_000 }],
    ['adding to a long moves the average', [fill('buy', 10, 100), fill('buy', 30, 120)], { qty: 40, averagePrice: 115, realizedPnl: 0, cash: -4_600 }],
    ['a partial close realises against the average', [fill('buy', 10, 100), fill('sell', 4, 110)], { qty: 6, averagePrice: 100, realizedPnl: 40, cash: -560 }],
    ['a full close flattens', [fill('buy', 10, 100), fill('sell', 10, 90)], { qty: 0, averagePrice: 0, realizedPnl: -100, cash: -100 }],
    ['crossing zero opens the rest at the fill price', [fill('buy', 10, 100), fill('sell', 15, 110)], { qty: -5, averagePrice: 110, realizedPnl: 100, cash: 650 }],
    ['a short profits when the price falls', [fill('sell', 5, 50), fill('buy', 5, 40)], { qty: 0, averagePrice: 0, realizedPnl: 50, cash: 50 }],
    ['fees are paid in cash and realised', [fill('buy', 10, 100, 1.5), fill('sell', 10, 100, 1.5)], { qty: 0, averagePrice: 0, realizedPnl: -3, cash: -3 }],
  ];
  it.each(cases)('%s', (_name, fills, expected) => {
    const book = new PositionBook(0);
    for (const item of fills) book.apply(item);
    const view = book.view('a');
    expect(view.positions[0]).toMatchObject({ qty: expected.qty, realizedPnl: expected.realizedPnl });
    expect(view.positions[0]!.averagePrice).toBeCloseTo(expected.averagePrice, 9);
    expect(view.cash).toBeCloseTo(expected.cash, 9);
  });

  it('marks open positions to the last price', () => {
    const book = new PositionBook(10_000);
    book.apply(fill('buy', 10, 100));
    book.mark('X', 105);
    const view = book.view('a');
    expect(view.unrealizedPnl).toBeCloseTo(50, 9);
    expect(view.equity).toBeCloseTo(10_000 - 1_000 + 1_050, 9);
  });

  it.each([
    ['a NaN price', fill('buy', 1, Number.NaN)],
    ['a zero quantity', fill('buy', 0, 10)],
    ['a negative quantity', fill('sell', -3, 10)],
    ['an infinite fee', fill('buy', 1, 10, Number.POSITIVE_INFINITY)],
  ])('refuses %s and changes nothing', (_name, bad) => {
    const book = new PositionBook(100);
    expect(() => book.apply(bad)).toThrowError(expect.objectContaining({ code: 'ERR_INTERNAL' }));
    expect(book.view('a')).toMatchObject({ cash: 100, positions: [] });
  });

  it('conserves cash and quantity between two counterparties, and equity equals cash + marked value (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ buyer: fc.constantFrom('a', 'b', 'c'), seller: fc.constantFrom('a', 'b', 'c'), qty: fc.integer({ min: 1, max: 500 }), price: fc.integer({ min: 1, max: 20_000 }) }), {
          maxLength: 200,
        }),
        (trades) => {
          const book = new PositionBook(1_000_000);
          for (const trade of trades) {
            const price = trade.price / 100;
            book.apply({ account: trade.buyer, symbol: 'X', side: 'buy', qty: trade.qty, price, fee: 0 });
            book.apply({ account: trade.seller, symbol: 'X', side: 'sell', qty: trade.qty, price, fee: 0 });
          }
          const views = ['a', 'b', 'c'].map((account) => book.view(account));
          const totalQty = views.reduce((sum, view) => sum + (view.positions[0]?.qty ?? 0), 0);
          const totalCash = views.reduce((sum, view) => sum + view.cash, 0);
          expect(totalQty).toBe(0);
          expect(totalCash).toBeCloseTo(3_000_000, 4);
          // Zero-sum: total P&L across accounts is zero when all are marked at the same price.
          const totalPnl = views.reduce((sum, view) => sum + view.realizedPnl + view.unrealizedPnl, 0);
          expect(totalPnl).toBeCloseTo(0, 4);
        },
      ),
      { numRuns: 300 },
    );
  });
});
