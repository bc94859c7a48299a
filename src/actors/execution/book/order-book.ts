/**
 * One instrument's limit order book and its matching: price-time priority, integer ticks and lots, stop
 * and stop-limit orders, gtc/day/ioc/fok, post-only, self-trade prevention, maker/taker fees, cancel,
 * replace, cancel-all and day expiry. A plain synchronous module: no I/O, no clock (timestamps are given),
 * no randomness, so the same calls always produce the same events (journal replay relies on it).
 *
 * Semantics, data structures and complexity: docs/matching.md. Event shapes: book-events.ts.
 *
 * Every mutating call returns the book's reused event list (valid until the next mutating call). A call
 * that throws (a malformed request, an unknown order id) changes nothing.
 */
import { assert } from '../../../engine/assert.js';
import { OctopusError } from '../../../engine/errors.js';
import { EventBuffer, truncate, type BookEvent } from './book-events.js';
import { describeValue, feeCashUnits, feeCentiBps, InstrumentGrid, type Instrument } from './instrument-grid.js';
import { checkAccount, checkLots, checkTickOrder, checkTicks, checkTimestamp, toTickOrder, toTickReplace } from './order-validation.js';
import {
  kSelfTradePreventions,
  type L2Level,
  type L2Snapshot,
  type L3Level,
  type L3Snapshot,
  type OrderReason,
  type OrderRequest,
  type OrderStatus,
  type OrderType,
  type OrderView,
  type ReplaceRequest,
  type SelfTradePrevention,
  type Side,
  type TickOrderRequest,
  type TickReplaceRequest,
  type TimeInForce,
  type TriggerGuard,
} from './order-types.js';
import { OrderIndex } from './order-index.js';
import { BookSide, NodeState, OrderNode, type PriceLevel } from './price-levels.js';
import { isTriggeredBy, StopBook } from './stop-book.js';

/**
 * A live order in a snapshot, as a tuple (compact; the field order is the snapshot format):
 * [orderId, account, side, orderType, timeInForce, postOnly, selfTradePrevention, priceTicks,
 *  stopPriceTicks, qtyLots, filledQtyLots, leavesQtyLots, timestamp, sequence, triggerPriceTicks, status]
 */
export type NodeTuple = [number, string, Side, OrderType, TimeInForce, boolean, SelfTradePrevention, number, number, number, number, number, number, number, number, OrderStatus];

/** Everything a book needs to continue exactly where it was: resting orders in priority order, stops in trigger order. */
export interface BookState {
  lastTradeTicks: number;
  sequence: number;
  /** Per side, levels best first, each level's orders head first. */
  bids: NodeTuple[];
  asks: NodeTuple[];
  /** The stop index exactly as stored (the next to trigger last). */
  buyStops: NodeTuple[];
  sellStops: NodeTuple[];
}

/** Id counters. A MatchingEngine shares one among its books so that ids are unique across symbols. */
export class IdSequence {
  lastOrderId = 0;
  lastTradeId = 0;
}

export interface OrderBookOptions {
  /** Fee charged to the resting side, in basis points of notional (0.01 bps grid, negative = rebate). Default 0. */
  makerFeeBps?: number;
  /** Fee charged to the aggressor. Default 0. */
  takerFeeBps?: number;
  /** Self-trade prevention for orders that do not choose one. Default cancel_newest. */
  selfTradePrevention?: SelfTradePrevention;
  /** Live orders (resting and pending stops) at most; beyond it new orders are rejected ERR_BOOK_FULL. Default 2^20. */
  maxOrders?: number;
  /** Price levels per side at most; an order that would open one more is canceled ERR_BOOK_TOO_MANY_LEVELS. Default 2^16. */
  maxLevels?: number;
  ids?: IdSequence;
}

const kDefaultMaxOrders = 2 ** 20;
const kDefaultMaxLevels = 2 ** 16;
const kMaxOrdersLimit = 2 ** 24;
const kMaxLevelsLimit = 2 ** 20;

function ascending(a: number, b: number): number {
  return a - b;
}

/**
 * Sorts a call's changed prices. They are few (one to a handful), where an insertion sort beats the
 * setup cost of Array.prototype.sort; a long sweep falls back to the native sort.
 */
function sortAscending(prices: number[]): void {
  if (prices.length > 32) {
    prices.sort(ascending);
    return;
  }
  for (let index = 1; index < prices.length; index++) {
    const price = prices[index]!;
    let into = index - 1;
    while (into >= 0 && prices[into]! > price) {
      prices[into + 1] = prices[into]!;
      into -= 1;
    }
    prices[into + 1] = price;
  }
}

export class OrderBook {
  readonly symbol: string;
  readonly grid: InstrumentGrid;
  readonly maxOrders: number;
  readonly maxLevels: number;
  readonly makerFeeCentiBps: number;
  readonly takerFeeCentiBps: number;
  readonly selfTradePrevention: SelfTradePrevention;
  /** The id counters (shared with the other books of a MatchingEngine). */
  readonly ids: IdSequence;
  private readonly bids: BookSide;
  private readonly asks: BookSide;
  private readonly stops = new StopBook();
  /** Live orders (resting and pending stops) by id. */
  private readonly orders: OrderIndex;
  private readonly freeNodes: OrderNode[] = [];
  private readonly events: EventBuffer;
  /** Stops triggered during the current call, processed in order once the current aggressor is done. */
  private readonly triggerQueue: OrderNode[] = [];
  /** Prices of the levels changed during the current call, per side (deduplicated by PriceLevel.changedEpoch). */
  private readonly changedBids: number[] = [];
  private readonly changedAsks: number[] = [];
  private readonly scratchNodes: OrderNode[] = [];
  private readonly scratchOrder: TickOrderRequest = { account: '', side: 'buy', type: 'limit', qtyLots: 0 };
  private readonly scratchReplace: TickReplaceRequest = {};
  private lastTradeTicks = 0;
  private sequence = 0;
  private epoch = 0;
  private triggerGuard: TriggerGuard | null = null;

  /** @throws OctopusError ERR_BOOK_BAD_CONFIG on a bad instrument or option. */
  constructor(instrument: Instrument, options: OrderBookOptions = {}) {
    this.grid = new InstrumentGrid(instrument);
    this.symbol = this.grid.symbol;
    this.maxOrders = checkBound(options.maxOrders, kDefaultMaxOrders, kMaxOrdersLimit, 'maxOrders');
    this.maxLevels = checkBound(options.maxLevels, kDefaultMaxLevels, kMaxLevelsLimit, 'maxLevels');
    this.orders = new OrderIndex(this.maxOrders);
    if (this.maxOrders * this.grid.maxQtyLots > Number.MAX_SAFE_INTEGER) {
      throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected maxOrders × maxQty in lots <= 2^53 (exact level totals), was ${this.maxOrders} × ${this.grid.maxQtyLots}`);
    }
    this.makerFeeCentiBps = feeCentiBps(options.makerFeeBps ?? 0, 'makerFeeBps');
    this.takerFeeCentiBps = feeCentiBps(options.takerFeeBps ?? 0, 'takerFeeBps');
    const selfTradePrevention = options.selfTradePrevention ?? 'cancel_newest';
    if (!kSelfTradePreventions.includes(selfTradePrevention)) {
      throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected selfTradePrevention ${kSelfTradePreventions.join('|')}, was ${describeValue(selfTradePrevention)}`);
    }
    this.selfTradePrevention = selfTradePrevention;
    this.ids = options.ids ?? new IdSequence();
    this.bids = new BookSide('buy', this.maxLevels);
    this.asks = new BookSide('sell', this.maxLevels);
    this.events = new EventBuffer(this.symbol);
  }

  // -------------------------------------------------------------------------------------------------
  // Boundary conversions.

  /** @throws OctopusError ERR_ORDER_BAD_PRICE, ERR_ORDER_BAD_TICK. */
  toTicks(price: number): number {
    return this.grid.toTicks(price);
  }

  /** @throws OctopusError ERR_ORDER_BAD_QTY, ERR_ORDER_BAD_LOT. */
  toLots(qty: number): number {
    return this.grid.toLots(qty);
  }

  // -------------------------------------------------------------------------------------------------
  // Mutating calls.

  /**
   * Enters a decimal order (converted to ticks and lots first).
   * @throws OctopusError ERR_ORDER_BAD_REQUEST, ERR_ORDER_BAD_PRICE, ERR_ORDER_BAD_TICK, ERR_ORDER_BAD_QTY,
   *   ERR_ORDER_BAD_LOT; the book is then unchanged.
   */
  submit(request: OrderRequest, timestamp: number): readonly BookEvent[] {
    return this.submitTicks(toTickOrder(request, this.grid, this.scratchOrder), timestamp);
  }

  /**
   * Enters an order in ticks and lots: accepted or rejected, then matched, rested or parked as a stop.
   * @throws OctopusError ERR_ORDER_BAD_REQUEST, ERR_ORDER_BAD_PRICE, ERR_ORDER_BAD_QTY; the book is then unchanged.
   */
  submitTicks(request: TickOrderRequest, timestamp: number): readonly BookEvent[] {
    checkTickOrder(request, this.grid);
    checkTimestamp(timestamp);
    this.begin();
    const orderId = ++this.ids.lastOrderId;
    const rejection = this.entryRejection(request);
    if (rejection !== null) {
      this.events.pushRejected(orderId, request.account, request.side, rejection);
      return this.finish();
    }
    const node = this.acquireNode(request, orderId, timestamp);
    this.events.pushAccepted(node);
    if (node.orderType === 'stop' || node.orderType === 'stop_limit') this.parkStop(node);
    else this.execute(node);
    this.drainTriggered();
    return this.finish();
  }

  /**
   * Cancels a live order (resting or pending stop).
   * @throws OctopusError ERR_ORDER_UNKNOWN when no live order has this id (never entered, or already done).
   */
  cancel(orderId: number): readonly BookEvent[] {
    const node = this.liveNode(orderId);
    this.begin();
    this.cancelLive(node, 'canceled', null);
    return this.finish();
  }

  /**
   * Replaces a live order's quantity (the new total, filled part included) and/or price. Keeps time
   * priority only when the price is unchanged and the quantity does not grow; otherwise the order leaves
   * its place and re-enters as if new (same id), and may trade. A quantity at or below the filled quantity
   * cancels the order.
   * @throws OctopusError ERR_ORDER_UNKNOWN, ERR_ORDER_BAD_REQUEST, ERR_ORDER_BAD_PRICE, ERR_ORDER_BAD_TICK,
   *   ERR_ORDER_BAD_QTY, ERR_ORDER_BAD_LOT; the book is then unchanged.
   */
  replace(orderId: number, change: ReplaceRequest): readonly BookEvent[] {
    const node = this.liveNode(orderId);
    return this.replaceNode(node, toTickReplace(change, this.grid, this.scratchReplace));
  }

  /** replace() in ticks and lots. @throws as replace(). */
  replaceTicks(orderId: number, change: TickReplaceRequest): readonly BookEvent[] {
    return this.replaceNode(this.liveNode(orderId), change);
  }

  /**
   * Cancels every live order of `account` (resting and pending stops), in order-id order: the kill switch.
   * @throws OctopusError ERR_ORDER_BAD_REQUEST on a malformed account.
   */
  cancelAll(account: string): readonly BookEvent[] {
    checkAccount(account);
    this.begin();
    const nodes = this.collectLive((node) => node.account === account);
    for (const node of nodes) this.cancelLive(node, 'canceled', null);
    nodes.length = 0;
    return this.finish();
  }

  /**
   * Expires every live day order (resting or pending stop) entered at or before `timestamp`.
   * @throws OctopusError ERR_ORDER_BAD_REQUEST on a timestamp that is not finite.
   */
  expireDayOrders(timestamp: number): readonly BookEvent[] {
    checkTimestamp(timestamp);
    this.begin();
    const nodes = this.collectLive((node) => node.timeInForce === 'day' && node.timestamp <= timestamp);
    for (const node of nodes) this.cancelLive(node, 'expired', null);
    nodes.length = 0;
    return this.finish();
  }

  // -------------------------------------------------------------------------------------------------
  // Queries (copies; they allocate and are not meant for the hot path).

  /** L2 view: the best `depth` levels of each side, best first. */
  snapshot(depth: number = Number.POSITIVE_INFINITY): L2Snapshot {
    if (typeof depth !== 'number' || Number.isNaN(depth) || depth < 0 || (Number.isFinite(depth) && !Number.isInteger(depth))) {
      throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a depth that is a whole number >= 0, was ${describeValue(depth)}`);
    }
    const levelsOf = (side: BookSide): L2Level[] => {
      const result: L2Level[] = [];
      for (let index = side.levels.length - 1; index >= 0 && result.length < depth; index--) {
        const level = side.levels[index]!;
        result.push({ priceTicks: level.priceTicks, qtyLots: level.qtyLots, orderCount: level.orderCount });
      }
      return result;
    };
    return { symbol: this.symbol, bids: levelsOf(this.bids), asks: levelsOf(this.asks) };
  }

  /** L3 view: every resting order, per level best first, in priority order. */
  l3Snapshot(): L3Snapshot {
    const levelsOf = (side: BookSide): L3Level[] => {
      const result: L3Level[] = [];
      for (let index = side.levels.length - 1; index >= 0; index--) {
        const level = side.levels[index]!;
        const orders = [];
        for (let node = level.head; node !== null; node = node.next) {
          orders.push({ orderId: node.orderId, account: node.account, leavesQtyLots: node.leavesQtyLots });
        }
        result.push({ priceTicks: level.priceTicks, orders });
      }
      return result;
    };
    return { symbol: this.symbol, bids: levelsOf(this.bids), asks: levelsOf(this.asks) };
  }

  order(orderId: number): OrderView | undefined {
    const node = this.orders.get(orderId);
    return node === undefined ? undefined : viewOf(node);
  }

  hasOrder(orderId: number): boolean {
    return this.orders.has(orderId);
  }

  /** Every live order (resting and pending stops), by order id. */
  liveOrders(): OrderView[] {
    return this.orders.collect([]).map(viewOf).sort((a, b) => a.orderId - b.orderId);
  }

  get liveOrderCount(): number {
    return this.orders.size;
  }

  bestBidTicks(): number | undefined {
    return this.bids.best()?.priceTicks;
  }

  bestAskTicks(): number | undefined {
    return this.asks.best()?.priceTicks;
  }

  /** The last trade's price; undefined before the first trade. */
  lastTradePriceTicks(): number | undefined {
    return this.lastTradeTicks === 0 ? undefined : this.lastTradeTicks;
  }

  /** The book's state for a snapshot (see BookState); O(live orders), allocates. */
  exportState(): BookState {
    const restingOf = (side: BookSide): NodeTuple[] => {
      const tuples: NodeTuple[] = [];
      for (let index = side.levels.length - 1; index >= 0; index--) {
        for (let node = side.levels[index]!.head; node !== null; node = node.next) tuples.push(tupleOf(node));
      }
      return tuples;
    };
    return {
      lastTradeTicks: this.lastTradeTicks,
      sequence: this.sequence,
      bids: restingOf(this.bids),
      asks: restingOf(this.asks),
      buyStops: this.stops.buys.map(tupleOf),
      sellStops: this.stops.sells.map(tupleOf),
    };
  }

  /**
   * Loads a state made by `exportState` into this (empty) book: afterwards every call behaves exactly as
   * it would have on the book that was exported.
   */
  importState(state: BookState): void {
    assert(this.orders.size === 0, `expected an empty book to import into, was ${this.orders.size} live orders`);
    this.lastTradeTicks = state.lastTradeTicks;
    this.sequence = state.sequence;
    for (const [tuples, side] of [[state.bids, this.bids], [state.asks, this.asks]] as const) {
      for (const tuple of tuples) {
        const node = this.nodeFromTuple(tuple);
        const level = side.levelAt(node.priceTicks);
        assert(level !== null, `expected room for level ${node.priceTicks} when importing, was none`);
        level.append(node);
        node.state = NodeState.Resting;
      }
    }
    for (const [tuples, stops] of [[state.buyStops, this.stops.buys], [state.sellStops, this.stops.sells]] as const) {
      for (const tuple of tuples) {
        const node = this.nodeFromTuple(tuple);
        node.state = NodeState.PendingStop;
        stops.push(node);
      }
    }
    this.assertInvariants();
  }

  private nodeFromTuple(tuple: NodeTuple): OrderNode {
    const node = this.freeNodes.pop() ?? new OrderNode();
    const fields = node as unknown as Record<(typeof kNodeFields)[number], unknown>;
    for (let index = 0; index < kNodeFields.length; index++) fields[kNodeFields[index]!] = tuple[index];
    this.orders.set(node.orderId, node);
    return node;
  }

  /**
   * Walks the whole book and throws on any broken invariant: level totals and counts, level order, node
   * links and states, the orders map, the stop index, an uncrossed book. O(orders); for tests and audits.
   */
  assertInvariants(): void {
    let counted = 0;
    for (const side of [this.bids, this.asks]) counted += checkSide(side, this.orders);
    for (const stops of [this.stops.buys, this.stops.sells]) {
      for (const node of stops) {
        invariant(node.state === NodeState.PendingStop, `stop ${node.orderId} is pending`);
        invariant(this.orders.get(node.orderId) === node, `stop ${node.orderId} is in the orders map`);
      }
    }
    invariant(counted + this.stops.size === this.orders.size, `orders map holds ${this.orders.size}, was ${counted} resting + ${this.stops.size} stops`);
    invariant(this.orders.size <= this.maxOrders, 'orders within maxOrders');
    const bid = this.bids.best();
    const ask = this.asks.best();
    if (bid !== undefined && ask !== undefined) invariant(bid.priceTicks < ask.priceTicks, `uncrossed book, was bid ${bid.priceTicks} >= ask ${ask.priceTicks}`);
  }

  // -------------------------------------------------------------------------------------------------
  // Entry.

  private entryRejection(request: TickOrderRequest): OrderReason | null {
    if (this.orders.size >= this.maxOrders) return 'ERR_BOOK_FULL';
    if (request.postOnly === true && this.wouldTake(request.side, request.priceTicks!)) return 'ERR_ORDER_POST_ONLY_WOULD_TAKE';
    return null;
  }

  private wouldTake(side: Side, priceTicks: number): boolean {
    const best = (side === 'buy' ? this.asks : this.bids).best();
    return best !== undefined && crosses(side, priceTicks, best.priceTicks);
  }

  private acquireNode(request: TickOrderRequest, orderId: number, timestamp: number): OrderNode {
    const node = this.freeNodes.pop() ?? new OrderNode();
    node.orderId = orderId;
    node.account = request.account;
    node.side = request.side;
    node.orderType = request.type;
    node.timeInForce = request.timeInForce ?? 'gtc';
    node.postOnly = request.postOnly === true;
    node.selfTradePrevention = request.selfTradePrevention ?? this.selfTradePrevention;
    node.priceTicks = request.priceTicks ?? request.protectionPriceTicks ?? 0;
    node.stopPriceTicks = request.stopPriceTicks ?? 0;
    node.qtyLots = request.qtyLots;
    node.filledQtyLots = 0;
    node.leavesQtyLots = request.qtyLots;
    node.timestamp = timestamp;
    node.sequence = ++this.sequence;
    node.triggerPriceTicks = 0;
    node.status = 'new';
    node.state = NodeState.Incoming;
    return node;
  }

  private releaseNode(node: OrderNode): void {
    node.state = NodeState.Free;
    node.level = null;
    node.previous = null;
    node.next = null;
    node.account = '';
    this.freeNodes.push(node);
  }

  /**
   * A new stop waits in the stop index, or triggers at once when the last trade already satisfies it
   * (a buy stop at or below the last price, a sell stop at or above it). Before the first trade nothing
   * triggers.
   */
  private parkStop(node: OrderNode): void {
    this.orders.set(node.orderId, node);
    if (this.lastTradeTicks !== 0 && isTriggeredBy(node, this.lastTradeTicks)) {
      node.state = NodeState.PendingStop;
      node.triggerPriceTicks = this.lastTradeTicks;
      this.triggerQueue.push(node);
    } else {
      this.stops.insert(node);
    }
  }

  /** Activates triggered stops in trigger order; their trades may trigger more (a cascade), queued behind. */
  private drainTriggered(): void {
    const queue = this.triggerQueue;
    for (let index = 0; index < queue.length; index++) {
      const node = queue[index]!;
      node.state = NodeState.Incoming;
      this.events.pushTriggered(node, node.triggerPriceTicks);
      const verdict = this.triggerGuard?.(viewOf(node), node.triggerPriceTicks) ?? null;
      if (verdict !== null && 'reason' in verdict) {
        this.endAggressor(node, 'canceled', verdict.reason);
        continue;
      }
      if (verdict !== null && node.orderType === 'stop') node.priceTicks = verdict.protectionPriceTicks;
      this.execute(node);
    }
    truncate(queue);
  }

  /** Installs the check a stop must pass when it triggers (pre-trade risk on the path a stop takes). */
  setTriggerGuard(guard: TriggerGuard | null): void {
    this.triggerGuard = guard;
  }

  // -------------------------------------------------------------------------------------------------
  // Matching.

  /** Runs an aggressor (new, triggered or re-entering after a replace) to its end state for this call. */
  private execute(taker: OrderNode): void {
    if (taker.timeInForce === 'fok' && !this.canFillCompletely(taker)) {
      this.endAggressor(taker, 'canceled', 'ERR_ORDER_FOK_UNFILLABLE');
      return;
    }
    const stopReason = this.match(taker);
    if (taker.leavesQtyLots === 0) this.endAggressor(taker, 'filled', null);
    else if (stopReason !== null) this.endAggressor(taker, 'canceled', stopReason);
    else if (!restsAfterMatching(taker)) this.endAggressor(taker, 'canceled', 'ERR_ORDER_NO_LIQUIDITY');
    else this.rest(taker);
  }

  private endAggressor(taker: OrderNode, status: 'filled' | 'canceled', reason: OrderReason | null): void {
    this.orders.delete(taker.orderId);
    this.finishNode(taker, status, reason);
  }

  /** Puts the remainder of a limit order at the back of its level. */
  private rest(node: OrderNode): void {
    const side = node.side === 'buy' ? this.bids : this.asks;
    const level = side.levelAt(node.priceTicks);
    if (level === null) {
      this.endAggressor(node, 'canceled', 'ERR_BOOK_TOO_MANY_LEVELS');
      return;
    }
    level.append(node);
    this.markChanged(level, node.side);
    node.state = NodeState.Resting;
    this.orders.set(node.orderId, node);
    if (node.filledQtyLots > 0 && node.status === 'new') {
      node.status = 'partially_filled';
      this.events.pushStatus(node, 'partially_filled', null, node.leavesQtyLots);
    }
  }

  /**
   * Matches `taker` against the opposite side, best level first, oldest order first.
   * @returns the reason matching was cut short by self-trade prevention, or null.
   */
  private match(taker: OrderNode): OrderReason | null {
    const opposite = taker.side === 'buy' ? this.asks : this.bids;
    const levels = opposite.levels;
    const limited = hasLimitPrice(taker);
    while (taker.leavesQtyLots > 0 && levels.length > 0) {
      const level = levels[levels.length - 1]!;
      if (limited && !crosses(taker.side, taker.priceTicks, level.priceTicks)) break;
      const stopReason = this.matchLevel(taker, level);
      if (level.orderCount === 0) opposite.remove(level);
      if (stopReason !== null) return stopReason;
    }
    return null;
  }

  private matchLevel(taker: OrderNode, level: PriceLevel): OrderReason | null {
    let maker = level.head;
    while (maker !== null && taker.leavesQtyLots > 0) {
      const next = maker.next;
      if (maker.account === taker.account && taker.selfTradePrevention !== 'none') {
        const mode = taker.selfTradePrevention;
        if (mode === 'cancel_newest') return 'ERR_ORDER_SELF_TRADE';
        this.cancelLive(maker, 'canceled', 'ERR_ORDER_SELF_TRADE', false);
        if (mode === 'cancel_both') return 'ERR_ORDER_SELF_TRADE';
      } else {
        this.fill(taker, maker, level);
      }
      maker = next;
    }
    return null;
  }

  private fill(taker: OrderNode, maker: OrderNode, level: PriceLevel): void {
    const qtyLots = taker.leavesQtyLots < maker.leavesQtyLots ? taker.leavesQtyLots : maker.leavesQtyLots;
    assert(qtyLots > 0, () => `expected a fill of at least one lot, was ${qtyLots} (taker ${taker.orderId}, maker ${maker.orderId})`);
    assert(level.qtyLots >= qtyLots, () => `expected level ${level.priceTicks} to hold the fill, was ${level.qtyLots} < ${qtyLots}`);
    const priceTicks = level.priceTicks;
    const tradeId = ++this.ids.lastTradeId;
    taker.leavesQtyLots -= qtyLots;
    taker.filledQtyLots += qtyLots;
    maker.leavesQtyLots -= qtyLots;
    maker.filledQtyLots += qtyLots;
    level.qtyLots -= qtyLots;
    this.markChanged(level, maker.side);
    const notional = priceTicks * qtyLots;
    const events = this.events;
    events.pushTrade(tradeId, priceTicks, qtyLots, taker, maker);
    events.pushFill(tradeId, taker, maker, priceTicks, qtyLots, 'taker', feeCashUnits(notional, this.takerFeeCentiBps));
    events.pushFill(tradeId, maker, taker, priceTicks, qtyLots, 'maker', feeCashUnits(notional, this.makerFeeCentiBps));
    this.lastTradeTicks = priceTicks;
    if (this.stops.size > 0) this.stops.collectTriggered(priceTicks, this.triggerQueue);
    if (maker.leavesQtyLots === 0) {
      level.remove(maker);
      this.orders.delete(maker.orderId);
      this.finishNode(maker, 'filled', null);
    } else if (maker.status === 'new') {
      maker.status = 'partially_filled';
      events.pushStatus(maker, 'partially_filled', null, maker.leavesQtyLots);
    }
  }

  /**
   * FOK pre-check, before anything is touched: is there enough quantity at acceptable prices? Own orders
   * count as matching would treat them: with `none` they trade; with `cancel_oldest` they would be
   * canceled and skipped (so they do not count, and matching goes on past them); with `cancel_newest` and
   * `cancel_both` matching would stop at the first one, so only what lies before it counts.
   */
  private canFillCompletely(taker: OrderNode): boolean {
    const levels = (taker.side === 'buy' ? this.asks : this.bids).levels;
    const limited = hasLimitPrice(taker);
    const mode = taker.selfTradePrevention;
    let needed = taker.leavesQtyLots;
    for (let index = levels.length - 1; index >= 0; index--) {
      const level = levels[index]!;
      if (limited && !crosses(taker.side, taker.priceTicks, level.priceTicks)) return false;
      if (mode === 'none') {
        needed -= level.qtyLots;
        if (needed <= 0) return true;
        continue;
      }
      for (let maker = level.head; maker !== null; maker = maker.next) {
        if (maker.account === taker.account) {
          if (mode === 'cancel_oldest') continue;
          return false;
        }
        needed -= maker.leavesQtyLots;
        if (needed <= 0) return true;
      }
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------------
  // Cancel, replace.

  /** @throws OctopusError ERR_ORDER_UNKNOWN. */
  private liveNode(orderId: number): OrderNode {
    const node = this.orders.get(orderId);
    if (node === undefined) {
      throw new OctopusError('ERR_ORDER_UNKNOWN', `expected the id of a live order in ${this.symbol}, was ${describeValue(orderId)}`);
    }
    return node;
  }

  /**
   * Takes a live order out (from its level or the stop index) and ends it. `removeEmptyLevel` is false
   * inside matching, where the matching loop removes the level it is walking once it is done with it.
   */
  private cancelLive(node: OrderNode, status: 'canceled' | 'expired', reason: OrderReason | null, removeEmptyLevel = true): void {
    if (node.state === NodeState.Resting) {
      const level = node.level!;
      this.markChanged(level, node.side);
      level.remove(node);
      if (removeEmptyLevel && level.orderCount === 0) (node.side === 'buy' ? this.bids : this.asks).remove(level);
    } else {
      this.stops.remove(node);
    }
    this.orders.delete(node.orderId);
    this.finishNode(node, status, reason);
  }

  /** Reports the terminal status and recycles the node. */
  private finishNode(node: OrderNode, status: 'filled' | 'canceled' | 'expired', reason: OrderReason | null): void {
    node.status = status;
    this.events.pushStatus(node, status, reason, 0);
    this.releaseNode(node);
  }

  private replaceNode(node: OrderNode, change: TickReplaceRequest): readonly BookEvent[] {
    const { qtyLots, priceTicks, stopPriceTicks } = this.checkReplace(node, change);
    this.begin();
    if (qtyLots <= node.filledQtyLots) this.cancelLive(node, 'canceled', null);
    else if (node.state === NodeState.PendingStop) this.replaceStop(node, qtyLots, priceTicks, stopPriceTicks);
    else this.replaceResting(node, qtyLots, priceTicks);
    this.drainTriggered();
    return this.finish();
  }

  /** @throws OctopusError as replace(); returns the order's values after the replace. */
  private checkReplace(node: OrderNode, change: TickReplaceRequest): { qtyLots: number; priceTicks: number; stopPriceTicks: number } {
    if (typeof change !== 'object' || change === null) {
      throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a replace object, was ${describeValue(change)}`);
    }
    if (change.qtyLots === undefined && change.priceTicks === undefined && change.stopPriceTicks === undefined) {
      throw new OctopusError('ERR_ORDER_BAD_REQUEST', 'expected a new quantity, price or stop price, was none');
    }
    if (change.qtyLots !== undefined) checkLots(change.qtyLots, this.grid);
    if (change.priceTicks !== undefined) {
      if (node.orderType !== 'limit' && node.orderType !== 'stop_limit') throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected no limit price for a ${node.orderType} order, was ${describeValue(change.priceTicks)}`);
      checkTicks(change.priceTicks, this.grid, 'a limit price');
    }
    if (change.stopPriceTicks !== undefined) {
      if (node.state !== NodeState.PendingStop) {
        throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a stop price only for an untriggered stop order, was ${describeValue(change.stopPriceTicks)}`);
      }
      checkTicks(change.stopPriceTicks, this.grid, 'a stop price');
    }
    return {
      qtyLots: change.qtyLots ?? node.qtyLots,
      priceTicks: change.priceTicks ?? node.priceTicks,
      stopPriceTicks: change.stopPriceTicks ?? node.stopPriceTicks,
    };
  }

  private replaceResting(node: OrderNode, qtyLots: number, priceTicks: number): void {
    const level = node.level!;
    if (priceTicks === node.priceTicks && qtyLots <= node.qtyLots) {
      const reduction = node.qtyLots - qtyLots;
      node.qtyLots = qtyLots;
      node.leavesQtyLots -= reduction;
      level.qtyLots -= reduction;
      this.markChanged(level, node.side);
      this.events.pushReplaced(node, true);
      return;
    }
    if (node.postOnly && priceTicks !== node.priceTicks && this.wouldTake(node.side, priceTicks)) {
      this.events.pushReplaceRejected(node, 'ERR_ORDER_POST_ONLY_WOULD_TAKE');
      return;
    }
    this.markChanged(level, node.side);
    level.remove(node);
    if (level.orderCount === 0) (node.side === 'buy' ? this.bids : this.asks).remove(level);
    node.state = NodeState.Incoming;
    node.priceTicks = priceTicks;
    node.qtyLots = qtyLots;
    node.leavesQtyLots = qtyLots - node.filledQtyLots;
    node.sequence = ++this.sequence;
    this.events.pushReplaced(node, false);
    this.execute(node);
  }

  private replaceStop(node: OrderNode, qtyLots: number, priceTicks: number, stopPriceTicks: number): void {
    const keep = priceTicks === node.priceTicks && stopPriceTicks === node.stopPriceTicks && qtyLots <= node.qtyLots;
    if (keep) {
      node.qtyLots = qtyLots;
      node.leavesQtyLots = qtyLots;
      this.events.pushReplaced(node, true);
      return;
    }
    this.stops.remove(node);
    node.priceTicks = priceTicks;
    node.stopPriceTicks = stopPriceTicks;
    node.qtyLots = qtyLots;
    node.leavesQtyLots = qtyLots;
    node.sequence = ++this.sequence;
    this.events.pushReplaced(node, false);
    this.parkStop(node);
  }

  private collectLive(wanted: (node: OrderNode) => boolean): OrderNode[] {
    const nodes = this.scratchNodes;
    nodes.length = 0;
    this.orders.collect(nodes);
    let kept = 0;
    for (const node of nodes) if (wanted(node)) nodes[kept++] = node;
    nodes.length = kept;
    nodes.sort((a, b) => a.orderId - b.orderId);
    return nodes;
  }

  // -------------------------------------------------------------------------------------------------
  // Per-call bookkeeping: events and L2 deltas.

  private begin(): void {
    this.events.clear();
    this.epoch += 1;
    truncate(this.changedBids);
    truncate(this.changedAsks);
  }

  /** Records that `level` changed in this call (once per level object and call). */
  private markChanged(level: PriceLevel, side: Side): void {
    if (level.changedEpoch === this.epoch) return;
    level.changedEpoch = this.epoch;
    (side === 'buy' ? this.changedBids : this.changedAsks).push(level.priceTicks);
  }

  /** Appends one L2 delta per changed price (its final state in this call), bids then asks, ascending price. */
  private finish(): readonly BookEvent[] {
    // Cheap invariants after every mutating call (the full walk is assertInvariants, for tests and imports).
    const bid = this.bids.best();
    const ask = this.asks.best();
    assert(bid === undefined || ask === undefined || bid.priceTicks < ask.priceTicks, () => `expected an uncrossed ${this.symbol} book, was bid ${bid!.priceTicks} >= ask ${ask!.priceTicks}`);
    assert(this.orders.size <= this.maxOrders, () => `expected at most ${this.maxOrders} live orders, was ${this.orders.size}`);
    this.pushLevelDeltas(this.bids, this.changedBids);
    this.pushLevelDeltas(this.asks, this.changedAsks);
    return this.events.list;
  }

  private pushLevelDeltas(side: BookSide, prices: number[]): void {
    if (prices.length === 0) return;
    sortAscending(prices);
    let previous = -1;
    for (const priceTicks of prices) {
      // A level removed and re-created at the same price within one call was recorded twice.
      if (priceTicks === previous) continue;
      previous = priceTicks;
      const level = side.find(priceTicks);
      this.events.pushLevel(side.side, priceTicks, level?.qtyLots ?? 0, level?.orderCount ?? 0);
    }
  }
}

function crosses(side: Side, limitTicks: number, oppositeTicks: number): boolean {
  return side === 'buy' ? oppositeTicks <= limitTicks : oppositeTicks >= limitTicks;
}

/**
 * Limit and stop-limit orders have a limit; market and (triggered) stop orders take any price unless they
 * carry a protection price, which then bounds them like a limit (priceTicks 0 = none).
 */
function hasLimitPrice(node: OrderNode): boolean {
  return node.priceTicks > 0;
}

/** Only limit and stop-limit gtc/day orders rest; ioc and fok remainders, market and stop orders never do. */
function restsAfterMatching(node: OrderNode): boolean {
  return (node.orderType === 'limit' || node.orderType === 'stop_limit') && (node.timeInForce === 'gtc' || node.timeInForce === 'day');
}

function checkBound(value: number | undefined, fallback: number, limit: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1 || value > limit) {
    throw new OctopusError('ERR_BOOK_BAD_CONFIG', `expected ${name} a whole number from 1 to ${limit}, was ${describeValue(value)}`);
  }
  return value;
}

/** The order of a NodeTuple's fields (the snapshot format). */
const kNodeFields = [
  'orderId', 'account', 'side', 'orderType', 'timeInForce', 'postOnly', 'selfTradePrevention', 'priceTicks',
  'stopPriceTicks', 'qtyLots', 'filledQtyLots', 'leavesQtyLots', 'timestamp', 'sequence', 'triggerPriceTicks', 'status',
] as const satisfies readonly (keyof OrderNode)[];

function tupleOf(node: OrderNode): NodeTuple {
  return kNodeFields.map((field) => node[field]) as NodeTuple;
}

function viewOf(node: OrderNode): OrderView {
  return {
    orderId: node.orderId,
    account: node.account,
    side: node.side,
    orderType: node.orderType,
    timeInForce: node.timeInForce,
    postOnly: node.postOnly,
    selfTradePrevention: node.selfTradePrevention,
    priceTicks: node.priceTicks,
    stopPriceTicks: node.stopPriceTicks,
    qtyLots: node.qtyLots,
    filledQtyLots: node.filledQtyLots,
    leavesQtyLots: node.leavesQtyLots,
    status: node.status,
    state: node.state === NodeState.Resting ? 'resting' : 'pending_stop',
    timestamp: node.timestamp,
  };
}

function invariant(condition: boolean, message: string): void {
  assert(condition, `expected ${message}`);
}

/** @returns the number of resting orders on the side. */
function checkSide(side: BookSide, orders: OrderIndex): number {
  let count = 0;
  let previousPrice = Number.NaN;
  for (const level of side.levels) {
    const ordered = side.side === 'buy' ? level.priceTicks > previousPrice : level.priceTicks < previousPrice;
    invariant(Number.isNaN(previousPrice) || ordered, `${side.side} levels sorted worst to best at ${level.priceTicks}`);
    previousPrice = level.priceTicks;
    invariant(level.orderCount > 0, `no empty level, was ${side.side} ${level.priceTicks}`);
    let qtyLots = 0;
    let orderCount = 0;
    let previous: OrderNode | null = null;
    for (let node = level.head; node !== null; node = node.next) {
      invariant(node.previous === previous, `node ${node.orderId} linked back`);
      invariant(node.level === level && node.state === NodeState.Resting && node.side === side.side, `node ${node.orderId} resting on its level`);
      invariant(node.priceTicks === level.priceTicks, `node ${node.orderId} at its level's price`);
      invariant(node.leavesQtyLots > 0 && node.filledQtyLots + node.leavesQtyLots === node.qtyLots, `node ${node.orderId} quantities`);
      invariant(orders.get(node.orderId) === node, `node ${node.orderId} in the orders map`);
      qtyLots += node.leavesQtyLots;
      orderCount += 1;
      previous = node;
    }
    invariant(level.tail === previous, `level ${level.priceTicks} tail`);
    invariant(level.qtyLots === qtyLots && level.orderCount === orderCount, `level ${level.priceTicks} totals ${qtyLots}/${orderCount}, was ${level.qtyLots}/${level.orderCount}`);
    count += orderCount;
  }
  return count;
}
