/**
 * The engine around the books: routing by symbol, ids unique across books, engine-wide cancel-all and
 * day expiry, bounds and typed errors.
 */
import { describe, expect, it } from 'vitest';
import { MatchingEngine } from '../../../../src/actors/execution/book/matching-engine.js';
import { summarizeAll } from './support.js';

function engineWithTwoBooks(): MatchingEngine {
  const engine = new MatchingEngine({ bookDefaults: { takerFeeBps: 10 } });
  engine.addBook({ symbol: 'AAA', tickSize: 0.01, lotSize: 1 });
  engine.addBook({ symbol: 'BBB', tickSize: 0.5, lotSize: 0.1 }, { takerFeeBps: 0 });
  return engine;
}

describe('MatchingEngine', () => {
  it('routes by symbol and shares one id sequence across its books', () => {
    const engine = engineWithTwoBooks();
    expect(engine.symbols()).toEqual(['AAA', 'BBB']);
    expect(summarizeAll(engine.submit('AAA', { account: 'a', side: 'buy', type: 'limit', qty: 1, price: 10.01 }, 0))).toEqual(['accepted #1', 'level buy 1001 1/1']);
    expect(summarizeAll(engine.submit('BBB', { account: 'a', side: 'sell', type: 'limit', qty: 0.5, price: 20.5 }, 0))).toEqual(['accepted #2', 'level sell 41 5/1']);
    expect(summarizeAll(engine.submitTicks('BBB', { account: 'b', side: 'buy', type: 'market', qtyLots: 5 }, 0))).toEqual([
      'accepted #3',
      'trade 5@41 buy maker #2 taker #3',
      'fill #3 taker 5@41 fee 0',
      'fill #2 maker 5@41 fee 0',
      '#2 filled 5/0',
      '#3 filled 5/0',
      'level sell 41 0/0',
    ]);
    expect(engine.ids).toEqual({ lastOrderId: 3, lastTradeId: 1 });
    expect(engine.book('AAA').takerFeeCentiBps, 'book defaults apply').toBe(1_000);
    expect(engine.book('BBB').takerFeeCentiBps, 'addBook options override them').toBe(0);
  });

  it('replaces and cancels through the symbol', () => {
    const engine = engineWithTwoBooks();
    engine.submit('AAA', { account: 'a', side: 'buy', type: 'limit', qty: 5, price: 10 }, 0);
    expect(summarizeAll(engine.replace('AAA', 1, { qty: 2 }))).toEqual(['replaced #1 2@1000 leaves 2 kept', 'level buy 1000 2/1']);
    expect(summarizeAll(engine.replaceTicks('AAA', 1, { priceTicks: 999 }))).toEqual(['replaced #1 2@999 leaves 2 lost', 'level buy 999 2/1', 'level buy 1000 0/0']);
    expect(summarizeAll(engine.cancel('AAA', 1))).toEqual(['#1 canceled 0/0', 'level buy 999 0/0']);
    expect(() => engine.cancel('BBB', 1)).toThrowError(expect.objectContaining({ code: 'ERR_ORDER_UNKNOWN' }));
  });

  it('cancels every order of an account in every book (the kill switch)', () => {
    const engine = engineWithTwoBooks();
    engine.submit('AAA', { account: 'k', side: 'buy', type: 'limit', qty: 1, price: 10 }, 0);
    engine.submit('BBB', { account: 'other', side: 'buy', type: 'limit', qty: 1, price: 10 }, 0);
    engine.submit('BBB', { account: 'k', side: 'sell', type: 'stop', qty: 1, stopPrice: 5 }, 0);
    const events = engine.cancelAll('k');
    expect(summarizeAll(events)).toEqual(['#1 canceled 0/0', 'level buy 1000 0/0', '#3 canceled 0/0']);
    expect(events.map((event) => event.symbol)).toEqual(['AAA', 'AAA', 'BBB']);
    expect(engine.book('BBB').liveOrderCount).toBe(1);
  });

  it('expires day orders in every book', () => {
    const engine = engineWithTwoBooks();
    engine.submit('AAA', { account: 'a', side: 'buy', type: 'limit', qty: 1, price: 10, timeInForce: 'day' }, 100);
    engine.submit('BBB', { account: 'a', side: 'buy', type: 'limit', qty: 1, price: 10, timeInForce: 'day' }, 100);
    engine.submit('BBB', { account: 'a', side: 'buy', type: 'limit', qty: 1, price: 9, timeInForce: 'day' }, 200);
    expect(summarizeAll(engine.expireDayOrders(150))).toEqual(['#1 expired 0/0', 'level buy 1000 0/0', '#2 expired 0/0', 'level buy 20 0/0']);
    expect(engine.book('BBB').liveOrders().map((order) => order.orderId)).toEqual([3]);
  });

  it.each([
    { message: 'an unknown symbol', call: (engine: MatchingEngine) => engine.submit('ZZZ', { account: 'a', side: 'buy', type: 'market', qty: 1 }, 0), code: 'ERR_BOOK_UNKNOWN_SYMBOL' },
    { message: 'a second book for a symbol', call: (engine: MatchingEngine) => engine.addBook({ symbol: 'AAA', tickSize: 1, lotSize: 1 }), code: 'ERR_BOOK_DUPLICATE_SYMBOL' },
    { message: 'a bad instrument', call: (engine: MatchingEngine) => engine.addBook({ symbol: 'CCC', tickSize: -1, lotSize: 1 }), code: 'ERR_BOOK_BAD_CONFIG' },
    { message: 'cancelAll of a malformed account', call: (engine: MatchingEngine) => engine.cancelAll(7 as unknown as string), code: 'ERR_ORDER_BAD_REQUEST' },
    { message: 'expiry at an infinite time', call: (engine: MatchingEngine) => engine.expireDayOrders(Number.POSITIVE_INFINITY), code: 'ERR_ORDER_BAD_REQUEST' },
  ])('rejects $message with $code', ({ call, code }) => {
    expect(() => call(engineWithTwoBooks())).toThrowError(expect.objectContaining({ code }));
  });

  it('bounds the number of books', () => {
    const engine = new MatchingEngine({ maxBooks: 1 });
    engine.addBook({ symbol: 'ONE', tickSize: 1, lotSize: 1 });
    expect(() => engine.addBook({ symbol: 'TWO', tickSize: 1, lotSize: 1 })).toThrowError(expect.objectContaining({ code: 'ERR_BOOK_TOO_MANY_BOOKS' }));
    expect(() => new MatchingEngine({ maxBooks: 0 })).toThrowError(expect.objectContaining({ code: 'ERR_BOOK_BAD_CONFIG' }));
  });
});
