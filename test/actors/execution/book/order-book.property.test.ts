/**
 * Property tests of the matching engine: random sequences of orders (every type, time in force,
 * post-only, self-trade mode), cancels, replaces, cancel-alls and day expiries from a few accounts, on
 * books with small and large bounds. After every call the book must be uncrossed and internally
 * consistent, and the L2 deltas applied to a client-side copy must reproduce snapshot(); over the whole
 * run every order's fills must add up, every trade must have its two matching fills, quantities must be
 * conserved, and cash and positions settled from the fills must sum to zero. Replaying a sequence must
 * give the identical event stream.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookEvent, FillEvent, TradeEvent } from '../../../../src/actors/execution/book/book-events.js';
import { OrderBook, type OrderBookOptions } from '../../../../src/actors/execution/book/order-book.js';
import {
  kSelfTradePreventions,
  type OrderRequest,
  type OrderType,
  type ReplaceRequest,
  type SelfTradePrevention,
  type Side,
  type TimeInForce,
} from '../../../../src/actors/execution/book/order-types.js';
import { OctopusError } from '../../../../src/engine/errors.js';
import { copyEvents, fingerprint } from './support.js';

const kTickSize = 0.05;
const kLotSize = 0.1;
const kMidTicks = 100;
const kAccounts = ['alice', 'bob', 'carol', 'dave'];

type Command =
  | {
      kind: 'submit';
      account: number;
      side: Side;
      type: OrderType;
      timeInForce: TimeInForce;
      postOnly: boolean;
      selfTradePrevention: SelfTradePrevention | undefined;
      qtyLots: number;
      priceOffset: number;
      stopOffset: number;
    }
  | { kind: 'cancel'; pick: number }
  | { kind: 'replace'; pick: number; qtyLots: number | undefined; priceOffset: number | undefined }
  | { kind: 'cancelAll'; account: number }
  | { kind: 'expire' };

const submitCommand = fc.record({
  kind: fc.constant('submit' as const),
  account: fc.integer({ min: 0, max: kAccounts.length - 1 }),
  side: fc.constantFrom<Side>('buy', 'sell'),
  type: fc.constantFrom<OrderType>('limit', 'limit', 'limit', 'limit', 'market', 'stop', 'stop_limit'),
  timeInForce: fc.constantFrom<TimeInForce>('gtc', 'gtc', 'day', 'ioc', 'fok'),
  selfTradePrevention: fc.option(fc.constantFrom(...kSelfTradePreventions), { nil: undefined }),
  qtyLots: fc.integer({ min: 1, max: 12 }),
  priceOffset: fc.integer({ min: -6, max: 6 }),
  stopOffset: fc.integer({ min: -6, max: 6 }),
});

const command: fc.Arbitrary<Command> = fc.oneof(
  // Post-only on one order in ten.
  { weight: 12, arbitrary: fc.tuple(submitCommand, fc.integer({ min: 0, max: 9 })).map(([base, roll]) => ({ ...base, postOnly: roll === 0 })) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('replace' as const),
      pick: fc.nat(),
      qtyLots: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
      priceOffset: fc.option(fc.integer({ min: -6, max: 6 }), { nil: undefined }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancelAll' as const), account: fc.integer({ min: 0, max: kAccounts.length - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'expire' as const }) },
);

const bookOptions: fc.Arbitrary<OrderBookOptions> = fc.record({
  makerFeeBps: fc.constantFrom(0, -2.25, 1.5),
  takerFeeBps: fc.constantFrom(0, 3.5, 30.25),
  selfTradePrevention: fc.constantFrom(...kSelfTradePreventions),
  maxOrders: fc.constantFrom(6, 1_000),
  maxLevels: fc.constantFrom(3, 1_000),
});

const price = (offset: number): number => (kMidTicks + offset) * kTickSize;

function toRequest(command: Extract<Command, { kind: 'submit' }>): OrderRequest {
  const request: OrderRequest = {
    account: kAccounts[command.account]!,
    side: command.side,
    type: command.type,
    qty: command.qtyLots * kLotSize,
    timeInForce: command.timeInForce,
  };
  if (command.type === 'limit' || command.type === 'stop_limit') request.price = price(command.priceOffset);
  if (command.type === 'stop' || command.type === 'stop_limit') request.stopPrice = price(command.stopOffset);
  if (command.postOnly && command.type === 'limit' && (command.timeInForce === 'gtc' || command.timeInForce === 'day')) request.postOnly = true;
  if (command.selfTradePrevention !== undefined) request.selfTradePrevention = command.selfTradePrevention;
  return request;
}

const coverage = new Map<string, number>();
const count = (key: string): void => void coverage.set(key, (coverage.get(key) ?? 0) + 1);
function coverageKey(event: BookEvent): string {
  if (event.kind === 'status') return `${event.status}${event.reason === null ? '' : ` ${event.reason}`}`;
  if (event.kind === 'rejected' || event.kind === 'replace_rejected') return `${event.kind} ${event.reason}`;
  if (event.kind === 'replaced') return `replaced ${event.priorityKept ? 'kept' : 'lost'}`;
  return event.kind;
}
const kMustCover = [
  'trade',
  'triggered',
  'replaced kept',
  'replaced lost',
  'replace_rejected ERR_ORDER_POST_ONLY_WOULD_TAKE',
  'rejected ERR_ORDER_POST_ONLY_WOULD_TAKE',
  'rejected ERR_BOOK_FULL',
  'partially_filled',
  'filled',
  'canceled',
  'expired',
  'canceled ERR_ORDER_SELF_TRADE',
  'canceled ERR_ORDER_FOK_UNFILLABLE',
  'canceled ERR_ORDER_NO_LIQUIDITY',
  'canceled ERR_BOOK_TOO_MANY_LEVELS',
  'ERR_ORDER_UNKNOWN',
  'ERR_ORDER_BAD_REQUEST',
];

/** One call's outcome: its events (copied) or the code it threw. */
type Outcome = { events: BookEvent[] } | { error: string };

/** Runs the commands on a fresh book, checking the per-call properties; returns every call's outcome. */
function run(commands: readonly Command[], options: OrderBookOptions, audit: Audit | null): Outcome[] {
  const book = new OrderBook({ symbol: 'PROP', tickSize: kTickSize, lotSize: kLotSize }, options);
  const client = new ClientBook();
  const outcomes: Outcome[] = [];
  commands.forEach((command, index) => {
    const before = fingerprint(book);
    let events: readonly BookEvent[];
    try {
      events = call(book, command, index);
    } catch (error) {
      if (!(error instanceof OctopusError)) throw error;
      expect(fingerprint(book), `a call that threw ${error.code} changed nothing`).toBe(before);
      outcomes.push({ error: error.code });
      if (audit !== null) count(error.code);
      return;
    }
    const copied = copyEvents(events);
    outcomes.push({ events: copied });
    if (audit !== null) for (const event of copied) count(coverageKey(event));
    book.assertInvariants();
    client.apply(copied);
    expect(client.levels(), 'L2 deltas reproduce the snapshot').toEqual(book.snapshot());
    audit?.record(copied);
    // A stop still waiting has not been reached by any trade since it was entered, so not by the last one.
    const last = book.lastTradePriceTicks();
    for (const order of book.liveOrders()) {
      if (order.state !== 'pending_stop' || last === undefined) continue;
      expect(reaches(order.side, order.stopPriceTicks, last), `pending stop #${order.orderId} not reached by the last trade`).toBe(false);
    }
  });
  audit?.finish(book);
  return outcomes;
}

/** Whether a trade at `tradeTicks` reaches a stop: a buy stop at or above it, a sell stop at or below. */
function reaches(side: Side, stopTicks: number, tradeTicks: number): boolean {
  return side === 'buy' ? tradeTicks >= stopTicks : tradeTicks <= stopTicks;
}

function call(book: OrderBook, command: Command, index: number): readonly BookEvent[] {
  // Mostly a live order; one pick in four any id up to one past the last (often unknown or done).
  const pickId = (pick: number): number => {
    const live = book.liveOrders();
    if (pick % 4 === 0 || live.length === 0) return pick % (book.ids.lastOrderId + 2);
    return live[pick % live.length]!.orderId;
  };
  switch (command.kind) {
    case 'submit':
      return book.submit(toRequest(command), index);
    case 'cancel':
      return book.cancel(pickId(command.pick));
    case 'replace': {
      const change: ReplaceRequest = {};
      if (command.qtyLots !== undefined) change.qty = command.qtyLots * kLotSize;
      if (command.priceOffset !== undefined) change.price = price(command.priceOffset);
      return book.replace(pickId(command.pick), change);
    }
    case 'cancelAll':
      return book.cancelAll(kAccounts[command.account]!);
    case 'expire':
      return book.expireDayOrders(index - 5);
  }
}

/** A market-data client: keeps L2 from the level deltas only. */
class ClientBook {
  private readonly sides = { buy: new Map<number, { qtyLots: number; orderCount: number }>(), sell: new Map<number, { qtyLots: number; orderCount: number }>() };

  apply(events: readonly BookEvent[]): void {
    for (const event of events) {
      if (event.kind !== 'level') continue;
      const side = this.sides[event.side];
      if (event.qtyLots === 0) {
        expect(event.orderCount, 'an empty level has no orders').toBe(0);
        side.delete(event.priceTicks);
      } else {
        side.set(event.priceTicks, { qtyLots: event.qtyLots, orderCount: event.orderCount });
      }
    }
  }

  levels(): ReturnType<OrderBook['snapshot']> {
    const list = (side: 'buy' | 'sell'): Array<{ priceTicks: number; qtyLots: number; orderCount: number }> =>
      [...this.sides[side].entries()]
        .map(([priceTicks, level]) => ({ priceTicks, ...level }))
        .sort((a, b) => (side === 'buy' ? b.priceTicks - a.priceTicks : a.priceTicks - b.priceTicks));
    return { symbol: 'PROP', bids: list('buy'), asks: list('sell') };
  }
}

interface TrackedOrder {
  account: string;
  side: Side;
  orderType: OrderType;
  timeInForce: TimeInForce;
  stopTicks: number;
  limitTicks: number | null;
  selfTradePrevention: SelfTradePrevention;
  qtyLots: number;
  filledQtyLots: number;
  canceledQtyLots: number;
  done: boolean;
}

/** Whole-run bookkeeping: orders, trades, settlement. */
class Audit {
  private readonly orders = new Map<number, TrackedOrder>();
  private readonly cash = new Map<string, number>();
  private readonly positions = new Map<string, number>();
  private feesCollected = 0;
  private lastOrderId = 0;
  private lastTradeId = 0;
  trades = 0;

  constructor(
    private readonly makerFeeCentiBps: number,
    private readonly takerFeeCentiBps: number,
  ) {}

  record(events: readonly BookEvent[]): void {
    const immediate: number[] = [];
    for (let index = 0; index < events.length; index++) {
      const event = events[index]!;
      if (event.kind === 'trade') {
        this.checkTrade(event, events[index + 1], events[index + 2]);
        index += 2;
        continue;
      }
      this.recordOrderEvent(event);
      // Orders that start trading in this call (new non-stop orders, triggered stops) and may not rest.
      const starts = (event.kind === 'accepted' && event.orderType !== 'stop' && event.orderType !== 'stop_limit') || event.kind === 'triggered';
      if (starts && !this.mayRest(this.orders.get(event.orderId)!)) immediate.push(event.orderId);
    }
    for (const orderId of immediate) {
      const order = this.orders.get(orderId)!;
      expect(order.done, `#${orderId} (${order.orderType} ${order.timeInForce}) never rests`).toBe(true);
      if (order.timeInForce === 'fok') expect([0, order.qtyLots], `FOK #${orderId} all or nothing`).toContain(order.filledQtyLots);
    }
  }

  private mayRest(order: TrackedOrder): boolean {
    return (order.orderType === 'limit' || order.orderType === 'stop_limit') && (order.timeInForce === 'gtc' || order.timeInForce === 'day');
  }

  private order(orderId: number): TrackedOrder {
    const order = this.orders.get(orderId);
    expect(order, `order #${orderId} was accepted before its other events`).toBeDefined();
    expect(order!.done, `no events for order #${orderId} once it is done`).toBe(false);
    return order!;
  }

  private recordOrderEvent(event: BookEvent): void {
    switch (event.kind) {
      case 'accepted':
      case 'rejected': {
        expect(event.orderId, 'order ids are monotonic').toBe(this.lastOrderId + 1);
        this.lastOrderId = event.orderId;
        if (event.kind === 'rejected') return;
        const limited = event.orderType === 'limit' || event.orderType === 'stop_limit';
        this.orders.set(event.orderId, {
          account: event.account,
          side: event.side,
          orderType: event.orderType,
          timeInForce: event.timeInForce,
          stopTicks: event.stopPriceTicks,
          limitTicks: limited ? event.priceTicks : null,
          selfTradePrevention: event.selfTradePrevention,
          qtyLots: event.qtyLots,
          filledQtyLots: 0,
          canceledQtyLots: 0,
          done: false,
        });
        return;
      }
      case 'replaced': {
        const order = this.order(event.orderId);
        order.qtyLots = event.qtyLots;
        order.stopTicks = event.stopPriceTicks;
        if (order.limitTicks !== null) order.limitTicks = event.priceTicks;
        expect(event.leavesQtyLots, 'replace leaves = qty - filled').toBe(order.qtyLots - order.filledQtyLots);
        return;
      }
      case 'status': {
        const order = this.order(event.orderId);
        expect(event.filledQtyLots, `status of #${event.orderId} reports the sum of its fills`).toBe(order.filledQtyLots);
        if (event.status === 'partially_filled') {
          expect(event.leavesQtyLots).toBe(order.qtyLots - order.filledQtyLots);
          expect(order.filledQtyLots).toBeGreaterThan(0);
          return;
        }
        expect(event.leavesQtyLots).toBe(0);
        if (event.status === 'filled') expect(order.filledQtyLots, `#${event.orderId} filled completely`).toBe(order.qtyLots);
        else order.canceledQtyLots = order.qtyLots - order.filledQtyLots;
        order.done = true;
        return;
      }
      case 'fill':
        throw new Error(`expected every fill right after its trade, was a lone fill of #${event.orderId}`);
      case 'replace_rejected':
        this.order(event.orderId);
        return;
      case 'triggered': {
        const order = this.order(event.orderId);
        expect(reaches(order.side, order.stopTicks, event.triggerPriceTicks), `#${event.orderId} triggered by a trade that reaches it`).toBe(true);
        return;
      }
      case 'level':
        return;
    }
  }

  /** A trade is followed by the taker's fill, then the maker's: equal price and quantity, crossed ids. */
  private checkTrade(trade: TradeEvent, takerEvent: BookEvent | undefined, makerEvent: BookEvent | undefined): void {
    expect(takerEvent?.kind).toBe('fill');
    expect(makerEvent?.kind).toBe('fill');
    const takerFill = takerEvent as FillEvent;
    const makerFill = makerEvent as FillEvent;
    expect(trade.tradeId, 'trade ids are monotonic').toBe(this.lastTradeId + 1);
    this.lastTradeId = trade.tradeId;
    this.trades += 1;
    for (const [fill, orderId, counterOrderId, liquidity] of [
      [takerFill, trade.takerOrderId, trade.makerOrderId, 'taker'],
      [makerFill, trade.makerOrderId, trade.takerOrderId, 'maker'],
    ] as const) {
      expect([fill.tradeId, fill.orderId, fill.counterOrderId, fill.liquidity]).toEqual([trade.tradeId, orderId, counterOrderId, liquidity]);
      expect([fill.priceTicks, fill.qtyLots]).toEqual([trade.priceTicks, trade.qtyLots]);
      const order = this.order(fill.orderId);
      order.filledQtyLots += fill.qtyLots;
      expect(fill.filledQtyLots, `fill of #${fill.orderId} carries the sum of its fills`).toBe(order.filledQtyLots);
      expect(fill.leavesQtyLots).toBe(order.qtyLots - order.filledQtyLots);
      expect(order.side).toBe(fill.side);
      expect(fill.feeCashUnits).toBe(referenceFee(fill.priceTicks * fill.qtyLots, liquidity === 'maker' ? this.makerFeeCentiBps : this.takerFeeCentiBps));
      this.settle(fill);
    }
    const taker = this.orders.get(trade.takerOrderId)!;
    const maker = this.orders.get(trade.makerOrderId)!;
    expect(takerFill.side).toBe(trade.aggressorSide);
    expect(makerFill.side).not.toBe(trade.aggressorSide);
    // The maker trades at its own price; the taker never beyond its limit.
    expect(trade.priceTicks).toBe(maker.limitTicks);
    if (taker.limitTicks !== null) {
      expect(taker.side === 'buy' ? trade.priceTicks <= taker.limitTicks : trade.priceTicks >= taker.limitTicks, 'taker within its limit').toBe(true);
    }
    if (taker.selfTradePrevention !== 'none') expect(maker.account, 'no self trade unless the taker allows it').not.toBe(taker.account);
  }

  private settle(fill: FillEvent): void {
    const notional = fill.priceTicks * fill.qtyLots;
    const cash = fill.side === 'buy' ? -notional - fill.feeCashUnits : notional - fill.feeCashUnits;
    this.cash.set(fill.account, (this.cash.get(fill.account) ?? 0) + cash);
    this.positions.set(fill.account, (this.positions.get(fill.account) ?? 0) + (fill.side === 'buy' ? fill.qtyLots : -fill.qtyLots));
    this.feesCollected += fill.feeCashUnits;
  }

  finish(book: OrderBook): void {
    const sum = (values: Iterable<number>): number => [...values].reduce((total, value) => total + value, 0);
    expect(sum(this.cash.values()) + this.feesCollected, 'cash changes + fees sum to zero').toBe(0);
    expect(sum(this.positions.values()), 'positions sum to zero').toBe(0);
    let ordered = 0;
    let accounted = 0;
    for (const [orderId, order] of this.orders) {
      const live = book.order(orderId);
      expect(live === undefined, `#${orderId} is live in the book exactly when not done`).toBe(order.done);
      const leaves = live?.leavesQtyLots ?? 0;
      if (live !== undefined) expect([live.qtyLots, live.filledQtyLots]).toEqual([order.qtyLots, order.filledQtyLots]);
      expect(leaves + order.filledQtyLots + order.canceledQtyLots, `#${orderId}: resting + filled + canceled == ordered`).toBe(order.qtyLots);
      ordered += order.qtyLots;
      accounted += leaves + order.filledQtyLots + order.canceledQtyLots;
    }
    expect(accounted).toBe(ordered);
    expect(book.liveOrderCount).toBe([...this.orders.values()].filter((order) => !order.done).length);
  }
}

function referenceFee(notional: number, centiBps: number): number {
  const product = BigInt(notional) * BigInt(centiBps);
  const quotient = product / 1_000_000n;
  return Number(product > 0n && product % 1_000_000n !== 0n ? quotient + 1n : quotient);
}

describe('OrderBook properties', () => {
  it('keeps every invariant over random order flow, and replays identically', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 160, size: 'max' }), bookOptions, (commands, options) => {
        const probe = new OrderBook({ symbol: 'PROP', tickSize: kTickSize, lotSize: kLotSize }, options);
        const audit = new Audit(probe.makerFeeCentiBps, probe.takerFeeCentiBps);
        const first = run(commands, options, audit);
        const second = run(commands, options, null);
        expect(second, 'the same input gives the identical event stream').toEqual(first);
      }),
      { numRuns: 300 },
    );
    // Guard against a generator that stops reaching some rule: every path must have been taken.
    const missing = kMustCover.filter((key) => (coverage.get(key) ?? 0) === 0);
    expect(missing, `paths never taken (coverage: ${JSON.stringify([...coverage])})`).toEqual([]);
  });
});
