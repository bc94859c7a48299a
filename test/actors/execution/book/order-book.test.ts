/**
 * Matching rules, table-driven: each case builds a book with `setup` calls, runs one more call and
 * compares its whole event stream (summarized one line per event, see support.ts) with the expected one.
 * Instruments use tick 1 and lot 1 unless a case says otherwise, so ticks and lots read as prices and
 * quantities; order ids count from #1 in submission order.
 */
import { describe, expect, it } from 'vitest';
import type { BookEvent } from '../../../../src/actors/execution/book/book-events.js';
import type { Instrument } from '../../../../src/actors/execution/book/instrument-grid.js';
import { OrderBook, type OrderBookOptions } from '../../../../src/actors/execution/book/order-book.js';
import type { OrderRequest, ReplaceRequest, Side, TickOrderRequest, TickReplaceRequest } from '../../../../src/actors/execution/book/order-types.js';
import { OctopusError } from '../../../../src/engine/errors.js';
import { fingerprint, summarizeAll } from './support.js';

type Step =
  | { submit: OrderRequest; at?: number }
  | { cancel: number }
  | { replace: number; change: ReplaceRequest }
  | { expire: number }
  | { cancelAll: string };

interface Case {
  message: string;
  instrument?: Instrument;
  options?: OrderBookOptions;
  setup: Step[];
  act: Step;
  events: string[];
  after?: (book: OrderBook) => void;
}

const kInstrument: Instrument = { symbol: 'TEST', tickSize: 1, lotSize: 1 };

type Extra = Partial<OrderRequest>;
const limit = (account: string, side: Side, qty: number, price: number, extra: Extra = {}): Step => ({
  submit: { account, side, type: 'limit', qty, price, ...extra },
});
const market = (account: string, side: Side, qty: number, extra: Extra = {}): Step => ({ submit: { account, side, type: 'market', qty, ...extra } });
const stop = (account: string, side: Side, qty: number, stopPrice: number, extra: Extra = {}): Step => ({
  submit: { account, side, type: 'stop', qty, stopPrice, ...extra },
});
const stopLimit = (account: string, side: Side, qty: number, stopPrice: number, price: number): Step => ({
  submit: { account, side, type: 'stop_limit', qty, stopPrice, price },
});

function apply(book: OrderBook, step: Step): readonly BookEvent[] {
  if ('submit' in step) return book.submit(step.submit, step.at ?? 0);
  if ('cancel' in step) return book.cancel(step.cancel);
  if ('replace' in step) return book.replace(step.replace, step.change);
  if ('expire' in step) return book.expireDayOrders(step.expire);
  return book.cancelAll(step.cancelAll);
}

/** The two fills of a trade with zero fees, as lines. */
function fills(taker: number, maker: number, qty: number, price: number): string[] {
  return [`fill #${taker} taker ${qty}@${price} fee 0`, `fill #${maker} maker ${qty}@${price} fee 0`];
}

function trade(qty: number, price: number, side: Side, maker: number, taker: number): string[] {
  return [`trade ${qty}@${price} ${side} maker #${maker} taker #${taker}`, ...fills(taker, maker, qty, price)];
}

function l3Ids(book: OrderBook, side: 'bids' | 'asks', levelIndex = 0): number[] {
  return book.l3Snapshot()[side][levelIndex]?.orders.map((order) => order.orderId) ?? [];
}

const cases: Case[] = [
  // Limit orders, price-time priority.
  {
    message: 'a limit order on an empty book rests',
    setup: [],
    act: limit('m1', 'sell', 10, 101),
    events: ['accepted #1', 'level sell 101 10/1'],
  },
  {
    message: 'a crossing limit order trades at the resting price',
    setup: [limit('m1', 'sell', 10, 101)],
    act: limit('t', 'buy', 10, 103),
    events: ['accepted #2', ...trade(10, 101, 'buy', 1, 2), '#1 filled 10/0', '#2 filled 10/0', 'level sell 101 0/0'],
  },
  {
    message: 'within a level the oldest order trades first',
    setup: [limit('m1', 'sell', 5, 101), limit('m2', 'sell', 5, 101)],
    act: limit('t', 'buy', 7, 101),
    events: [
      'accepted #3',
      ...trade(5, 101, 'buy', 1, 3),
      '#1 filled 5/0',
      ...trade(2, 101, 'buy', 2, 3),
      '#2 partially_filled 2/3',
      '#3 filled 7/0',
      'level sell 101 3/1',
    ],
  },
  {
    message: 'the better price trades first, then the sweep goes on to the next level',
    setup: [limit('m1', 'sell', 5, 102), limit('m2', 'sell', 5, 101)],
    act: limit('t', 'buy', 8, 102),
    events: [
      'accepted #3',
      ...trade(5, 101, 'buy', 2, 3),
      '#2 filled 5/0',
      ...trade(3, 102, 'buy', 1, 3),
      '#1 partially_filled 3/2',
      '#3 filled 8/0',
      'level sell 101 0/0',
      'level sell 102 2/1',
    ],
  },
  {
    message: 'a partly filled limit order rests its remainder at its limit',
    setup: [limit('m1', 'sell', 4, 101)],
    act: limit('t', 'buy', 10, 101),
    events: ['accepted #2', ...trade(4, 101, 'buy', 1, 2), '#1 filled 4/0', '#2 partially_filled 4/6', 'level buy 101 6/1', 'level sell 101 0/0'],
    after: (book) => expect(book.order(2)).toMatchObject({ status: 'partially_filled', filledQtyLots: 4, leavesQtyLots: 6, state: 'resting' }),
  },
  {
    message: 'a sell order walks the bids from the highest down',
    setup: [limit('m1', 'buy', 2, 99), limit('m2', 'buy', 2, 100)],
    act: limit('t', 'sell', 3, 99),
    events: ['accepted #3', ...trade(2, 100, 'sell', 2, 3), '#2 filled 2/0', ...trade(1, 99, 'sell', 1, 3), '#1 partially_filled 1/1', '#3 filled 3/0', 'level buy 99 1/1', 'level buy 100 0/0'],
  },
  // Market orders.
  {
    message: 'a market order sweeps levels at any price',
    setup: [limit('m1', 'sell', 5, 101), limit('m2', 'sell', 5, 105)],
    act: market('t', 'buy', 7),
    events: ['accepted #3', ...trade(5, 101, 'buy', 1, 3), '#1 filled 5/0', ...trade(2, 105, 'buy', 2, 3), '#2 partially_filled 2/3', '#3 filled 7/0', 'level sell 101 0/0', 'level sell 105 3/1'],
  },
  {
    message: 'a market order on an empty side is canceled for lack of liquidity',
    setup: [limit('m1', 'buy', 5, 99)],
    act: market('t', 'buy', 3),
    events: ['accepted #2', '#2 canceled ERR_ORDER_NO_LIQUIDITY 0/0'],
  },
  {
    message: 'a market order larger than the book fills what there is and cancels the rest (it never rests)',
    setup: [limit('m1', 'sell', 2, 101)],
    act: market('t', 'buy', 5, { timeInForce: 'gtc' }),
    events: ['accepted #2', ...trade(2, 101, 'buy', 1, 2), '#1 filled 2/0', '#2 canceled ERR_ORDER_NO_LIQUIDITY 2/0', 'level sell 101 0/0'],
  },
  // IOC.
  {
    message: 'IOC fills what it can at its limit and cancels the rest',
    setup: [limit('m1', 'sell', 3, 101), limit('m2', 'sell', 3, 103)],
    act: limit('t', 'buy', 5, 102, { timeInForce: 'ioc' }),
    events: ['accepted #3', ...trade(3, 101, 'buy', 1, 3), '#1 filled 3/0', '#3 canceled ERR_ORDER_NO_LIQUIDITY 3/0', 'level sell 101 0/0'],
  },
  {
    message: 'IOC that does not cross is canceled and leaves the book alone',
    setup: [limit('m1', 'sell', 3, 101)],
    act: limit('t', 'buy', 5, 100, { timeInForce: 'ioc' }),
    events: ['accepted #2', '#2 canceled ERR_ORDER_NO_LIQUIDITY 0/0'],
  },
  // FOK.
  {
    message: 'FOK fills completely across levels',
    setup: [limit('m1', 'sell', 3, 101), limit('m2', 'sell', 3, 102)],
    act: limit('t', 'buy', 5, 102, { timeInForce: 'fok' }),
    events: ['accepted #3', ...trade(3, 101, 'buy', 1, 3), '#1 filled 3/0', ...trade(2, 102, 'buy', 2, 3), '#2 partially_filled 2/1', '#3 filled 5/0', 'level sell 101 0/0', 'level sell 102 1/1'],
  },
  {
    message: 'FOK without enough quantity is canceled without touching the book',
    setup: [limit('m1', 'sell', 3, 101), limit('m2', 'sell', 3, 102)],
    act: limit('t', 'buy', 7, 102, { timeInForce: 'fok' }),
    events: ['accepted #3', '#3 canceled ERR_ORDER_FOK_UNFILLABLE 0/0'],
  },
  {
    message: 'FOK that would need liquidity beyond its limit is canceled',
    setup: [limit('m1', 'sell', 3, 101), limit('m2', 'sell', 3, 103)],
    act: limit('t', 'buy', 5, 102, { timeInForce: 'fok' }),
    events: ['accepted #3', '#3 canceled ERR_ORDER_FOK_UNFILLABLE 0/0'],
  },
  {
    message: 'a market FOK takes any price but still all or nothing',
    setup: [limit('m1', 'sell', 3, 101), limit('m2', 'sell', 3, 103)],
    act: market('t', 'buy', 6, { timeInForce: 'fok' }),
    events: ['accepted #3', ...trade(3, 101, 'buy', 1, 3), '#1 filled 3/0', ...trade(3, 103, 'buy', 2, 3), '#2 filled 3/0', '#3 filled 6/0', 'level sell 101 0/0', 'level sell 103 0/0'],
  },
  {
    message: 'FOK with cancel_newest: liquidity behind an own order does not count',
    setup: [limit('t', 'sell', 3, 101), limit('m1', 'sell', 5, 101)],
    act: limit('t', 'buy', 4, 101, { timeInForce: 'fok' }),
    events: ['accepted #3', '#3 canceled ERR_ORDER_FOK_UNFILLABLE 0/0'],
  },
  {
    message: 'FOK with cancel_both: same, and the own order survives the failed check',
    setup: [limit('t', 'sell', 3, 101), limit('m1', 'sell', 5, 101)],
    act: limit('t', 'buy', 4, 101, { timeInForce: 'fok', selfTradePrevention: 'cancel_both' }),
    events: ['accepted #3', '#3 canceled ERR_ORDER_FOK_UNFILLABLE 0/0'],
    after: (book) => expect(book.hasOrder(1)).toBe(true),
  },
  {
    message: 'FOK with cancel_oldest skips own orders, and cancels the ones it meets when it fills',
    setup: [limit('t', 'sell', 3, 101), limit('m1', 'sell', 5, 101)],
    act: limit('t', 'buy', 4, 101, { timeInForce: 'fok', selfTradePrevention: 'cancel_oldest' }),
    events: ['accepted #3', '#1 canceled ERR_ORDER_SELF_TRADE 0/0', ...trade(4, 101, 'buy', 2, 3), '#2 partially_filled 4/1', '#3 filled 4/0', 'level sell 101 1/1'],
  },
  {
    message: 'FOK with cancel_oldest that cannot fill from others cancels nothing, not even the own order',
    setup: [limit('t', 'sell', 3, 101), limit('m1', 'sell', 5, 101)],
    act: limit('t', 'buy', 6, 101, { timeInForce: 'fok', selfTradePrevention: 'cancel_oldest' }),
    events: ['accepted #3', '#3 canceled ERR_ORDER_FOK_UNFILLABLE 0/0'],
    after: (book) => expect(l3Ids(book, 'asks')).toEqual([1, 2]),
  },
  {
    message: 'FOK with self-trade prevention none counts (and trades with) own orders',
    setup: [limit('t', 'sell', 3, 101), limit('m1', 'sell', 5, 101)],
    act: limit('t', 'buy', 8, 101, { timeInForce: 'fok', selfTradePrevention: 'none' }),
    events: ['accepted #3', ...trade(3, 101, 'buy', 1, 3), '#1 filled 3/0', ...trade(5, 101, 'buy', 2, 3), '#2 filled 5/0', '#3 filled 8/0', 'level sell 101 0/0'],
  },
  // Post-only.
  {
    message: 'a post-only order that does not cross rests',
    setup: [limit('m1', 'sell', 5, 101)],
    act: limit('p', 'buy', 5, 100, { postOnly: true }),
    events: ['accepted #2', 'level buy 100 5/1'],
  },
  {
    message: 'a post-only order that would take is rejected and the book is untouched',
    setup: [limit('m1', 'sell', 5, 101)],
    act: limit('p', 'buy', 5, 101, { postOnly: true }),
    events: ['rejected #2 ERR_ORDER_POST_ONLY_WOULD_TAKE'],
    after: (book) => {
      expect(book.hasOrder(2)).toBe(false);
      expect(book.snapshot().asks).toEqual([{ priceTicks: 101, qtyLots: 5, orderCount: 1 }]);
    },
  },
  // Stops.
  {
    message: 'a buy stop waits, triggers on a trade at its stop price and runs after the match that triggered it',
    setup: [limit('m1', 'sell', 2, 100), limit('m2', 'sell', 5, 101), stop('s', 'buy', 3, 100)],
    act: limit('t', 'buy', 2, 100),
    events: [
      'accepted #4',
      ...trade(2, 100, 'buy', 1, 4),
      '#1 filled 2/0',
      '#4 filled 2/0',
      'triggered #3 at 100',
      ...trade(3, 101, 'buy', 2, 3),
      '#2 partially_filled 3/2',
      '#3 filled 3/0',
      'level sell 100 0/0',
      'level sell 101 2/1',
    ],
  },
  {
    message: 'a sell stop triggers when the last trade is at or below its stop price',
    setup: [limit('m1', 'buy', 2, 100), limit('m2', 'buy', 5, 99), stop('s', 'sell', 3, 100)],
    act: limit('t', 'sell', 2, 100),
    events: [
      'accepted #4',
      ...trade(2, 100, 'sell', 1, 4),
      '#1 filled 2/0',
      '#4 filled 2/0',
      'triggered #3 at 100',
      ...trade(3, 99, 'sell', 2, 3),
      '#2 partially_filled 3/2',
      '#3 filled 3/0',
      'level buy 99 2/1',
      'level buy 100 0/0',
    ],
  },
  {
    message: 'a trade above a sell stop does not trigger it',
    setup: [limit('m1', 'buy', 2, 101), stop('s', 'sell', 3, 100)],
    act: limit('t', 'sell', 2, 101),
    events: ['accepted #3', ...trade(2, 101, 'sell', 1, 3), '#1 filled 2/0', '#3 filled 2/0', 'level buy 101 0/0'],
    after: (book) => expect(book.order(2)).toMatchObject({ state: 'pending_stop', status: 'new' }),
  },
  {
    message: 'a triggered stop-limit becomes a limit order and rests when not marketable',
    setup: [limit('m1', 'sell', 2, 100), stopLimit('s', 'buy', 3, 100, 100)],
    act: limit('t', 'buy', 2, 100),
    events: ['accepted #3', ...trade(2, 100, 'buy', 1, 3), '#1 filled 2/0', '#3 filled 2/0', 'triggered #2 at 100', 'level buy 100 3/1', 'level sell 100 0/0'],
    after: (book) => expect(book.order(2)).toMatchObject({ state: 'resting', orderType: 'stop_limit', priceTicks: 100 }),
  },
  {
    message: 'stops cascade: a triggered stop trades and triggers the next',
    setup: [limit('m1', 'sell', 1, 100), limit('m2', 'sell', 1, 101), limit('m3', 'sell', 1, 102), stop('s1', 'buy', 1, 100), stop('s2', 'buy', 1, 101)],
    act: limit('t', 'buy', 1, 100),
    events: [
      'accepted #6',
      ...trade(1, 100, 'buy', 1, 6),
      '#1 filled 1/0',
      '#6 filled 1/0',
      'triggered #4 at 100',
      ...trade(1, 101, 'buy', 2, 4),
      '#2 filled 1/0',
      '#4 filled 1/0',
      'triggered #5 at 101',
      ...trade(1, 102, 'buy', 3, 5),
      '#3 filled 1/0',
      '#5 filled 1/0',
      'level sell 100 0/0',
      'level sell 101 0/0',
      'level sell 102 0/0',
    ],
  },
  {
    message: 'stops triggered by one trade run nearest stop price first, equal stop prices in arrival order',
    setup: [limit('m1', 'sell', 1, 102), limit('m2', 'sell', 10, 105), stop('s1', 'buy', 1, 102), stop('s2', 'buy', 1, 101), stop('s3', 'buy', 1, 101)],
    act: limit('t', 'buy', 1, 102),
    events: [
      'accepted #6',
      ...trade(1, 102, 'buy', 1, 6),
      '#1 filled 1/0',
      '#6 filled 1/0',
      'triggered #4 at 102',
      ...trade(1, 105, 'buy', 2, 4),
      '#2 partially_filled 1/9',
      '#4 filled 1/0',
      'triggered #5 at 102',
      ...trade(1, 105, 'buy', 2, 5),
      '#5 filled 1/0',
      'triggered #3 at 102',
      ...trade(1, 105, 'buy', 2, 3),
      '#3 filled 1/0',
      'level sell 102 0/0',
      'level sell 105 7/1',
    ],
  },
  {
    message: 'a stop whose trigger the last trade already satisfies triggers at entry',
    setup: [limit('m1', 'sell', 1, 100), limit('t', 'buy', 1, 100), limit('m2', 'sell', 5, 101)],
    act: stop('s', 'buy', 2, 99),
    events: ['accepted #4', 'triggered #4 at 100', ...trade(2, 101, 'buy', 3, 4), '#3 partially_filled 2/3', '#4 filled 2/0', 'level sell 101 3/1'],
  },
  {
    message: 'before the first trade a stop only waits',
    setup: [limit('m1', 'sell', 5, 101)],
    act: stop('s', 'buy', 2, 99),
    events: ['accepted #2'],
    after: (book) => expect(book.order(2)).toMatchObject({ state: 'pending_stop', stopPriceTicks: 99 }),
  },
  {
    message: 'a triggered stop with FOK is all or nothing at trigger time',
    setup: [limit('m1', 'sell', 1, 100), limit('m2', 'sell', 2, 101), stop('s', 'buy', 3, 100, { timeInForce: 'fok' })],
    act: limit('t', 'buy', 1, 100),
    events: ['accepted #4', ...trade(1, 100, 'buy', 1, 4), '#1 filled 1/0', '#4 filled 1/0', 'triggered #3 at 100', '#3 canceled ERR_ORDER_FOK_UNFILLABLE 0/0', 'level sell 100 0/0'],
  },
  {
    message: 'a triggered stop-limit with IOC fills what it can at its limit and cancels the rest',
    setup: [limit('m1', 'sell', 1, 100), limit('m2', 'sell', 2, 101), limit('m3', 'sell', 5, 103), { submit: { account: 's', side: 'buy', type: 'stop_limit', qty: 4, stopPrice: 100, price: 101, timeInForce: 'ioc' } }],
    act: limit('t', 'buy', 1, 100),
    events: [
      'accepted #5',
      ...trade(1, 100, 'buy', 1, 5),
      '#1 filled 1/0',
      '#5 filled 1/0',
      'triggered #4 at 100',
      ...trade(2, 101, 'buy', 2, 4),
      '#2 filled 2/0',
      '#4 canceled ERR_ORDER_NO_LIQUIDITY 2/0',
      'level sell 100 0/0',
      'level sell 101 0/0',
    ],
  },
  {
    message: 'a day market order behaves as IOC',
    setup: [limit('m1', 'buy', 2, 99)],
    act: market('t', 'sell', 3, { timeInForce: 'day' }),
    events: ['accepted #2', ...trade(2, 99, 'sell', 1, 2), '#1 filled 2/0', '#2 canceled ERR_ORDER_NO_LIQUIDITY 2/0', 'level buy 99 0/0'],
  },
  {
    message: 'a day limit order rests like gtc until expiry',
    setup: [limit('m1', 'sell', 2, 101)],
    act: limit('d', 'buy', 3, 100, { timeInForce: 'day' }),
    events: ['accepted #2', 'level buy 100 3/1'],
    after: (book) => expect(book.order(2)).toMatchObject({ timeInForce: 'day', state: 'resting' }),
  },
  // Cancel.
  {
    message: 'cancel takes a resting order out of its level',
    setup: [limit('m1', 'sell', 5, 101), limit('m2', 'sell', 3, 101)],
    act: { cancel: 1 },
    events: ['#1 canceled 0/0', 'level sell 101 3/1'],
  },
  {
    message: 'cancel of a partly filled order reports its filled quantity',
    setup: [limit('m1', 'sell', 5, 101), limit('t', 'buy', 2, 101)],
    act: { cancel: 1 },
    events: ['#1 canceled 2/0', 'level sell 101 0/0'],
  },
  {
    message: 'cancel of a pending stop has no L2 effect',
    setup: [stop('s', 'buy', 2, 105)],
    act: { cancel: 1 },
    events: ['#1 canceled 0/0'],
  },
  // Replace.
  {
    message: 'replace to a smaller quantity keeps time priority',
    setup: [limit('m1', 'sell', 5, 101), limit('m2', 'sell', 5, 101)],
    act: { replace: 1, change: { qty: 3 } },
    events: ['replaced #1 3@101 leaves 3 kept', 'level sell 101 8/2'],
    after: (book) => expect(l3Ids(book, 'asks')).toEqual([1, 2]),
  },
  {
    message: 'replace to a larger quantity loses time priority',
    setup: [limit('m1', 'sell', 5, 101), limit('m2', 'sell', 5, 101)],
    act: { replace: 1, change: { qty: 6 } },
    events: ['replaced #1 6@101 leaves 6 lost', 'level sell 101 11/2'],
    after: (book) => expect(l3Ids(book, 'asks')).toEqual([2, 1]),
  },
  {
    message: 'replace to another price loses priority and moves the order',
    setup: [limit('m1', 'sell', 5, 101), limit('m2', 'sell', 5, 101)],
    act: { replace: 1, change: { price: 102 } },
    events: ['replaced #1 5@102 leaves 5 lost', 'level sell 101 5/1', 'level sell 102 5/1'],
  },
  {
    message: 'replace to a crossing price trades as the taker',
    options: { makerFeeBps: -1, takerFeeBps: 5 },
    setup: [limit('m1', 'sell', 5, 101), limit('b', 'buy', 3, 100)],
    act: { replace: 2, change: { price: 101 } },
    events: [
      'replaced #2 3@101 leaves 3 lost',
      'trade 3@101 buy maker #1 taker #2',
      'fill #2 taker 3@101 fee 1',
      'fill #1 maker 3@101 fee 0',
      '#1 partially_filled 3/2',
      '#2 filled 3/0',
      'level buy 100 0/0',
      'level sell 101 2/1',
    ],
  },
  {
    message: 'replace to a quantity at or below the filled quantity cancels the order',
    setup: [limit('m1', 'sell', 5, 101), limit('t', 'buy', 3, 101)],
    act: { replace: 1, change: { qty: 3 } },
    events: ['#1 canceled 3/0', 'level sell 101 0/0'],
  },
  {
    message: 'replace of a partly filled order counts the new quantity as the total, filled part included',
    setup: [limit('m1', 'sell', 5, 101), limit('t', 'buy', 3, 101)],
    act: { replace: 1, change: { qty: 4 } },
    events: ['replaced #1 4@101 leaves 1 kept', 'level sell 101 1/1'],
  },
  {
    message: 'a post-only replace that would take is refused and the order stays as it was',
    setup: [limit('m1', 'sell', 5, 101), limit('p', 'buy', 5, 100, { postOnly: true })],
    act: { replace: 2, change: { price: 101 } },
    events: ['replace_rejected #2 ERR_ORDER_POST_ONLY_WOULD_TAKE'],
    after: (book) => expect(book.order(2)).toMatchObject({ priceTicks: 100, qtyLots: 5, state: 'resting' }),
  },
  {
    message: 'replace of a stop to a trigger the last trade already reached triggers it',
    setup: [limit('m1', 'sell', 1, 100), limit('t', 'buy', 1, 100), limit('m2', 'sell', 5, 101), stop('s', 'buy', 2, 105)],
    act: { replace: 4, change: { stopPrice: 100 } },
    events: ['replaced #4 2@0 leaves 2 lost', 'triggered #4 at 100', ...trade(2, 101, 'buy', 3, 4), '#3 partially_filled 2/3', '#4 filled 2/0', 'level sell 101 3/1'],
  },
  {
    message: 'replace of a pending stop quantity down keeps its place',
    setup: [stop('s', 'buy', 4, 105)],
    act: { replace: 1, change: { qty: 2 } },
    events: ['replaced #1 2@0 leaves 2 kept'],
  },
  // Self-trade prevention.
  {
    message: 'cancel_newest (the default) cancels the incoming order and keeps the resting one',
    setup: [limit('a', 'sell', 5, 101)],
    act: limit('a', 'buy', 3, 101),
    events: ['accepted #2', '#2 canceled ERR_ORDER_SELF_TRADE 0/0'],
  },
  {
    message: 'cancel_newest after fills against others cancels only the remainder',
    setup: [limit('m1', 'sell', 2, 101), limit('a', 'sell', 5, 101)],
    act: limit('a', 'buy', 4, 101),
    events: ['accepted #3', ...trade(2, 101, 'buy', 1, 3), '#1 filled 2/0', '#3 canceled ERR_ORDER_SELF_TRADE 2/0', 'level sell 101 5/1'],
  },
  {
    message: 'cancel_oldest cancels the resting own order and matching goes on',
    setup: [limit('a', 'sell', 5, 101), limit('m1', 'sell', 5, 101)],
    act: limit('a', 'buy', 3, 101, { selfTradePrevention: 'cancel_oldest' }),
    events: ['accepted #3', '#1 canceled ERR_ORDER_SELF_TRADE 0/0', ...trade(3, 101, 'buy', 2, 3), '#2 partially_filled 3/2', '#3 filled 3/0', 'level sell 101 2/1'],
  },
  {
    message: 'cancel_both cancels both orders',
    setup: [limit('a', 'sell', 5, 101), limit('m1', 'sell', 5, 101)],
    act: limit('a', 'buy', 3, 101, { selfTradePrevention: 'cancel_both' }),
    events: ['accepted #3', '#1 canceled ERR_ORDER_SELF_TRADE 0/0', '#3 canceled ERR_ORDER_SELF_TRADE 0/0', 'level sell 101 5/1'],
  },
  {
    message: 'none lets an account trade with itself',
    setup: [limit('a', 'sell', 5, 101)],
    act: limit('a', 'buy', 3, 101, { selfTradePrevention: 'none' }),
    events: ['accepted #2', ...trade(3, 101, 'buy', 1, 2), '#1 partially_filled 3/2', '#2 filled 3/0', 'level sell 101 2/1'],
  },
  {
    message: "the book's default mode applies to orders that do not choose one",
    options: { selfTradePrevention: 'cancel_oldest' },
    setup: [limit('a', 'sell', 5, 101)],
    act: limit('a', 'buy', 3, 101),
    events: ['accepted #2', '#1 canceled ERR_ORDER_SELF_TRADE 0/0', 'level buy 101 3/1', 'level sell 101 0/0'],
  },
  // Fees.
  {
    message: 'fees in cash units: maker rebate and taker fee on notional, exact when it divides',
    instrument: { symbol: 'FEE', tickSize: 0.01, lotSize: 0.001 },
    options: { makerFeeBps: -2.5, takerFeeBps: 7.5 },
    setup: [limit('m1', 'sell', 1.5, 100)],
    act: limit('t', 'buy', 1.5, 100),
    // Notional 10000 ticks × 1500 lots = 15e6 cash units (0.00001 each = 150.00); 7.5 bps = 11250 units = 0.1125.
    events: [
      'accepted #2',
      'trade 1500@10000 buy maker #1 taker #2',
      'fill #2 taker 1500@10000 fee 11250',
      'fill #1 maker 1500@10000 fee -3750',
      '#1 filled 1500/0',
      '#2 filled 1500/0',
      'level sell 10000 0/0',
    ],
    after: (book) => {
      expect(book.grid.cashOf(11_250)).toBeCloseTo(0.1125, 12);
      expect(book.grid.cashOf(-3_750)).toBeCloseTo(-0.0375, 12);
    },
  },
  // Day orders.
  {
    message: 'expireDayOrders expires day orders (resting and stops) entered at or before the cutoff',
    setup: [
      { ...limit('a', 'buy', 1, 99, { timeInForce: 'day' }), at: 10 } as Step,
      { ...limit('b', 'buy', 1, 98), at: 10 } as Step,
      { ...stop('c', 'sell', 1, 90, { timeInForce: 'day' }), at: 20 } as Step,
      { ...limit('d', 'buy', 1, 97, { timeInForce: 'day' }), at: 30 } as Step,
    ],
    act: { expire: 20 },
    events: ['#1 expired 0/0', '#3 expired 0/0', 'level buy 99 0/0'],
    after: (book) => expect(book.liveOrders().map((order) => order.orderId)).toEqual([2, 4]),
  },
  // Cancel-all.
  {
    message: 'cancelAll cancels every live order of one account, resting and stops, in id order',
    setup: [limit('a', 'buy', 1, 99), limit('b', 'buy', 1, 99), stop('a', 'sell', 1, 90), limit('a', 'sell', 2, 105)],
    act: { cancelAll: 'a' },
    events: ['#1 canceled 0/0', '#3 canceled 0/0', '#4 canceled 0/0', 'level buy 99 1/1', 'level sell 105 0/0'],
  },
  // Bounds.
  {
    message: 'a full book rejects new orders',
    options: { maxOrders: 2 },
    setup: [limit('a', 'buy', 1, 99), stop('a', 'buy', 1, 110)],
    act: limit('b', 'sell', 1, 101),
    events: ['rejected #3 ERR_BOOK_FULL'],
  },
  {
    message: 'an order that would open a level beyond maxLevels is canceled',
    options: { maxLevels: 2 },
    setup: [limit('a', 'sell', 1, 101), limit('a', 'sell', 1, 102)],
    act: limit('a', 'sell', 1, 103),
    events: ['accepted #3', '#3 canceled ERR_BOOK_TOO_MANY_LEVELS 0/0'],
  },
  {
    message: 'maxLevels: the remainder that cannot rest is canceled after its fills',
    options: { maxLevels: 2 },
    setup: [limit('b', 'buy', 1, 98), limit('b', 'buy', 1, 99), limit('m', 'sell', 2, 100)],
    act: limit('t', 'buy', 5, 101),
    events: ['accepted #4', ...trade(2, 100, 'buy', 3, 4), '#3 filled 2/0', '#4 canceled ERR_BOOK_TOO_MANY_LEVELS 2/0', 'level sell 100 0/0'],
  },
];

describe('OrderBook matching', () => {
  for (const testCase of cases) {
    it(testCase.message, () => {
      const book = new OrderBook(testCase.instrument ?? kInstrument, testCase.options);
      for (const step of testCase.setup) {
        apply(book, step);
        book.assertInvariants();
      }
      expect(summarizeAll(apply(book, testCase.act))).toEqual(testCase.events);
      book.assertInvariants();
      testCase.after?.(book);
    });
  }
});

describe('OrderBook decimal boundary', () => {
  it('accepts float-noisy prices on the grid and reports exact decimals back', () => {
    const book = new OrderBook({ symbol: 'DEC', tickSize: 0.01, lotSize: 0.1 });
    book.submit({ account: 'a', side: 'sell', type: 'limit', qty: 0.1 + 0.2, price: 101.13 }, 0);
    const level = book.snapshot().asks[0]!;
    expect(level).toEqual({ priceTicks: 10_113, qtyLots: 3, orderCount: 1 });
    expect(book.grid.priceOf(level.priceTicks)).toBe(101.13);
    expect(book.grid.qtyOf(level.qtyLots)).toBe(0.3);
  });
});

describe('OrderBook snapshots', () => {
  it('snapshot(depth) aggregates levels best first; l3Snapshot lists orders in priority order', () => {
    const book = new OrderBook(kInstrument);
    for (const step of [limit('a', 'buy', 1, 97), limit('b', 'buy', 2, 99), limit('c', 'buy', 3, 99), limit('d', 'sell', 4, 101), limit('e', 'sell', 5, 103)]) apply(book, step);
    expect(book.snapshot(1)).toEqual({ symbol: 'TEST', bids: [{ priceTicks: 99, qtyLots: 5, orderCount: 2 }], asks: [{ priceTicks: 101, qtyLots: 4, orderCount: 1 }] });
    expect(book.snapshot().bids.map((level) => level.priceTicks)).toEqual([99, 97]);
    expect(book.snapshot(0)).toEqual({ symbol: 'TEST', bids: [], asks: [] });
    expect(book.l3Snapshot().bids[0]).toEqual({
      priceTicks: 99,
      orders: [
        { orderId: 2, account: 'b', leavesQtyLots: 2 },
        { orderId: 3, account: 'c', leavesQtyLots: 3 },
      ],
    });
    expect([book.bestBidTicks(), book.bestAskTicks(), book.lastTradePriceTicks()]).toEqual([99, 101, undefined]);
    expect(() => book.snapshot(-1)).toThrowError(expect.objectContaining({ code: 'ERR_ORDER_BAD_REQUEST' }));
  });

  it('reuses event objects: a returned list is only valid until the next call', () => {
    const book = new OrderBook(kInstrument);
    const first = book.submit({ account: 'a', side: 'buy', type: 'limit', qty: 1, price: 99 }, 0);
    const firstEvent = first[0];
    const second = book.submit({ account: 'a', side: 'buy', type: 'limit', qty: 1, price: 98 }, 0);
    expect(second).toBe(first);
    expect(second[0]).toBe(firstEvent);
    expect(second[0]).toMatchObject({ kind: 'accepted', orderId: 2 });
  });
});

// ---------------------------------------------------------------------------------------------------
// Hostile inputs: a typed error, and nothing changes (not even the order id counter).

interface HostileCase {
  message: string;
  call: (book: OrderBook) => unknown;
  code: string;
}

const order = (overrides: Record<string, unknown>): OrderRequest =>
  ({ account: 'h', side: 'buy', type: 'limit', qty: 1, price: 100, ...overrides }) as unknown as OrderRequest;
const tickOrder = (overrides: Record<string, unknown>): TickOrderRequest =>
  ({ account: 'h', side: 'buy', type: 'limit', qtyLots: 1, priceTicks: 10_000, ...overrides }) as unknown as TickOrderRequest;

const hostileCases: HostileCase[] = [
  { message: 'NaN price', call: (book) => book.submit(order({ price: Number.NaN }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'infinite price', call: (book) => book.submit(order({ price: Number.POSITIVE_INFINITY }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'negative price', call: (book) => book.submit(order({ price: -100 }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'zero price', call: (book) => book.submit(order({ price: 0 }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'price as a string', call: (book) => book.submit(order({ price: '100' }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'off-tick price', call: (book) => book.submit(order({ price: 100.005 }), 0), code: 'ERR_ORDER_BAD_TICK' },
  { message: 'price below one tick', call: (book) => book.submit(order({ price: 0.004 }), 0), code: 'ERR_ORDER_BAD_TICK' },
  { message: 'huge price', call: (book) => book.submit(order({ price: 1e300 }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'price above maxPrice', call: (book) => book.submit(order({ price: 10_000.01 }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'off-tick stop price', call: (book) => book.submit(order({ type: 'stop', price: undefined, stopPrice: 99.999 }), 0), code: 'ERR_ORDER_BAD_TICK' },
  { message: 'NaN quantity', call: (book) => book.submit(order({ qty: Number.NaN }), 0), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'zero quantity', call: (book) => book.submit(order({ qty: 0 }), 0), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'negative quantity', call: (book) => book.submit(order({ qty: -5 }), 0), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'off-lot quantity', call: (book) => book.submit(order({ qty: 1.5 }), 0), code: 'ERR_ORDER_BAD_LOT' },
  { message: 'huge quantity', call: (book) => book.submit(order({ qty: 1e15 }), 0), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'unknown side', call: (book) => book.submit(order({ side: 'up' }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'unknown type', call: (book) => book.submit(order({ type: 'iceberg' }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'unknown time in force', call: (book) => book.submit(order({ timeInForce: 'gtd' }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'unknown self-trade mode', call: (book) => book.submit(order({ selfTradePrevention: 'maybe' }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'limit order without a price', call: (book) => book.submit(order({ price: undefined }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'market order with a price', call: (book) => book.submit(order({ type: 'market' }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'stop order without a stop price', call: (book) => book.submit(order({ type: 'stop', price: undefined }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'limit order with a stop price', call: (book) => book.submit(order({ stopPrice: 99 }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'post-only market order', call: (book) => book.submit(order({ type: 'market', price: undefined, postOnly: true }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'post-only IOC', call: (book) => book.submit(order({ timeInForce: 'ioc', postOnly: true }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'postOnly not a boolean', call: (book) => book.submit(order({ postOnly: 'yes' }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'empty account', call: (book) => book.submit(order({ account: '' }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'account not a string', call: (book) => book.submit(order({ account: 42 }), 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'NaN timestamp', call: (book) => book.submit(order({}), Number.NaN), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'null request', call: (book) => book.submit(null as unknown as OrderRequest, 0), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'fractional ticks', call: (book) => book.submitTicks(tickOrder({ priceTicks: 100.5 }), 0), code: 'ERR_ORDER_BAD_PRICE' },
  { message: 'negative lots', call: (book) => book.submitTicks(tickOrder({ qtyLots: -1 }), 0), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'lots beyond 2^53', call: (book) => book.submitTicks(tickOrder({ qtyLots: 2 ** 60 }), 0), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'cancel of an unknown id', call: (book) => book.cancel(999), code: 'ERR_ORDER_UNKNOWN' },
  { message: 'cancel of a filled order', call: (book) => book.cancel(1), code: 'ERR_ORDER_UNKNOWN' },
  { message: 'cancel of NaN', call: (book) => book.cancel(Number.NaN), code: 'ERR_ORDER_UNKNOWN' },
  { message: 'replace of an unknown id', call: (book) => book.replace(999, { qty: 1 }), code: 'ERR_ORDER_UNKNOWN' },
  { message: 'replace with nothing to change', call: (book) => book.replace(3, {}), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'replace with a NaN quantity', call: (book) => book.replace(3, { qty: Number.NaN }), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'replace with an off-tick price', call: (book) => book.replace(3, { price: 99.991 }), code: 'ERR_ORDER_BAD_TICK' },
  { message: 'replace of a resting limit order with a stop price', call: (book) => book.replace(3, { stopPrice: 99 }), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'replace of a stop (market) order with a limit price', call: (book) => book.replace(4, { price: 99 }), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'replaceTicks with zero lots', call: (book) => book.replaceTicks(3, { qtyLots: 0 }), code: 'ERR_ORDER_BAD_QTY' },
  { message: 'cancelAll of an empty account', call: (book) => book.cancelAll(''), code: 'ERR_ORDER_BAD_REQUEST' },
  { message: 'expireDayOrders at NaN', call: (book) => book.expireDayOrders(Number.NaN), code: 'ERR_ORDER_BAD_REQUEST' },
];

describe('OrderBook hostile inputs', () => {
  /** A book with a filled order (#1, #2), a resting order (#3) and a pending stop (#4). */
  function seeded(): OrderBook {
    const book = new OrderBook({ symbol: 'H', tickSize: 0.01, lotSize: 1, maxPrice: 10_000 });
    book.submit({ account: 'x', side: 'sell', type: 'limit', qty: 1, price: 100 }, 0);
    book.submit({ account: 'y', side: 'buy', type: 'limit', qty: 1, price: 100 }, 0);
    book.submit({ account: 'x', side: 'buy', type: 'limit', qty: 3, price: 99.5 }, 0);
    book.submit({ account: 'x', side: 'buy', type: 'stop', qty: 3, stopPrice: 120 }, 0);
    return book;
  }

  for (const { message, call, code } of hostileCases) {
    it(`${message}: ${code}, and no state change`, () => {
      const book = seeded();
      const before = fingerprint(book);
      let thrown: unknown;
      try {
        call(book);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, 'throws an OctopusError').toBeInstanceOf(OctopusError);
      expect((thrown as OctopusError).code).toBe(code);
      expect((thrown as OctopusError).message).toMatch(/expected .*, was /);
      expect(fingerprint(book)).toBe(before);
      book.assertInvariants();
    });
  }
});

describe('OrderBook configuration', () => {
  const bad: Array<{ message: string; instrument: Instrument; options?: OrderBookOptions }> = [
    { message: 'zero tick size', instrument: { symbol: 'X', tickSize: 0, lotSize: 1 } },
    { message: 'NaN lot size', instrument: { symbol: 'X', tickSize: 1, lotSize: Number.NaN } },
    { message: 'a tick size that is no finite decimal', instrument: { symbol: 'X', tickSize: 1 / 3, lotSize: 1 } },
    { message: 'an empty symbol', instrument: { symbol: '', tickSize: 1, lotSize: 1 } },
    { message: 'maxPrice off its grid', instrument: { symbol: 'X', tickSize: 0.5, lotSize: 1, maxPrice: 100.25 } },
    { message: 'notional beyond 2^53', instrument: { symbol: 'X', tickSize: 0.01, lotSize: 0.00001, maxPrice: 1e9, maxQty: 1e5 } },
    { message: 'a fee off the 0.01 bps grid', instrument: kInstrument, options: { takerFeeBps: 1.234 } },
    { message: 'a fee beyond 1000 bps', instrument: kInstrument, options: { makerFeeBps: -1_001 } },
    { message: 'maxOrders 0', instrument: kInstrument, options: { maxOrders: 0 } },
    { message: 'fractional maxLevels', instrument: kInstrument, options: { maxLevels: 2.5 } },
    { message: 'an unknown self-trade mode', instrument: kInstrument, options: { selfTradePrevention: 'never' as never } },
    { message: 'maxOrders × maxQty beyond 2^53', instrument: { symbol: 'X', tickSize: 1, lotSize: 1, maxPrice: 1, maxQty: 2 ** 40 }, options: { maxOrders: 2 ** 20 } },
  ];
  for (const { message, instrument, options } of bad) {
    it(`rejects ${message} with ERR_BOOK_BAD_CONFIG`, () => {
      expect(() => new OrderBook(instrument, options)).toThrowError(expect.objectContaining({ code: 'ERR_BOOK_BAD_CONFIG' }));
    });
  }
});

describe('OrderBook replaceTicks', () => {
  it('takes ticks and lots directly', () => {
    const book = new OrderBook(kInstrument);
    book.submit({ account: 'a', side: 'buy', type: 'limit', qty: 2, price: 99 }, 0);
    const change: TickReplaceRequest = { qtyLots: 5, priceTicks: 98 };
    expect(summarizeAll(book.replaceTicks(1, change))).toEqual(['replaced #1 5@98 leaves 5 lost', 'level buy 98 5/1', 'level buy 99 0/0']);
  });
});
