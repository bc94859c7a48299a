/**
 * What a book reports. Every mutating call of an OrderBook returns the list of events it caused, in the
 * order they happened, with the L2 deltas of the levels it changed at the end.
 *
 * The list and the event objects are reused: they are valid until the next mutating call on the same
 * book. A caller that keeps events (a journal, a test) copies them. Each kind has its own pool of objects,
 * grown on demand and kept, so a book in steady state emits without allocating. All quantities are
 * integers: prices in ticks, quantities in lots, fees in cash units (see instrument-grid.ts).
 */
import type { OrderReason, Liquidity, OrderType, OrderView, SelfTradePrevention, Side, TimeInForce } from './order-types.js';
import type { OrderNode } from './price-levels.js';

/** The order passed entry checks and has status `new` (the transition to `new`). */
export interface AcceptedEvent extends Pick<OrderView, 'orderId' | 'account' | 'side' | 'orderType' | 'timeInForce' | 'postOnly' | 'selfTradePrevention' | 'priceTicks' | 'stopPriceTicks' | 'qtyLots'> {
  kind: 'accepted';
  symbol: string;
}

/** The order was refused at entry (the transition to `rejected`); it never became live. */
export interface RejectedEvent {
  kind: 'rejected';
  symbol: string;
  orderId: number;
  account: string;
  side: Side;
  reason: OrderReason;
}

/** A replace took effect. `priorityKept` is false when the order went to the back of its (new) level. */
export interface ReplacedEvent {
  kind: 'replaced';
  symbol: string;
  orderId: number;
  account: string;
  priceTicks: number;
  stopPriceTicks: number;
  qtyLots: number;
  leavesQtyLots: number;
  priorityKept: boolean;
}

/** A replace was refused; the order is unchanged. */
export interface ReplaceRejectedEvent {
  kind: 'replace_rejected';
  symbol: string;
  orderId: number;
  account: string;
  reason: OrderReason;
}

/** A stop order's trigger was reached; it now trades as a market (stop) or limit (stop_limit) order. */
export interface TriggeredEvent {
  kind: 'triggered';
  symbol: string;
  orderId: number;
  account: string;
  /** The trade price that reached the trigger (for a stop triggered at entry: the last trade price then). */
  triggerPriceTicks: number;
}

/** One match, for market data. */
export interface TradeEvent {
  kind: 'trade';
  symbol: string;
  tradeId: number;
  priceTicks: number;
  qtyLots: number;
  aggressorSide: Side;
  makerOrderId: number;
  takerOrderId: number;
}

/** One side of one match; every trade has exactly two, taker first. */
export interface FillEvent {
  kind: 'fill';
  symbol: string;
  tradeId: number;
  orderId: number;
  counterOrderId: number;
  account: string;
  side: Side;
  priceTicks: number;
  qtyLots: number;
  liquidity: Liquidity;
  /** Fee in cash units, rounded up (in the venue's favour); negative for a rebate. */
  feeCashUnits: number;
  /** The order's cumulative filled quantity after this fill. */
  filledQtyLots: number;
  leavesQtyLots: number;
}

/** A status transition after `new`: partially_filled, filled, canceled, expired. */
export interface StatusEvent {
  kind: 'status';
  symbol: string;
  orderId: number;
  account: string;
  status: 'partially_filled' | 'filled' | 'canceled' | 'expired';
  /** Why the engine canceled it; null when it was asked to (cancel, cancel-all, replace, expiry) or on fills. */
  reason: OrderReason | null;
  filledQtyLots: number;
  /** 0 once the order is done (filled, canceled, expired). */
  leavesQtyLots: number;
}

/** L2 delta: the level's state at the end of the call; qtyLots 0 (and orderCount 0) removes it. */
export interface LevelEvent {
  kind: 'level';
  symbol: string;
  side: Side;
  priceTicks: number;
  qtyLots: number;
  orderCount: number;
}

export type BookEvent =
  | AcceptedEvent
  | RejectedEvent
  | ReplacedEvent
  | ReplaceRejectedEvent
  | TriggeredEvent
  | TradeEvent
  | FillEvent
  | StatusEvent
  | LevelEvent;

/**
 * Empties an array in place. `array.length = 0` is a runtime call in V8 and was 13 % of the matching
 * bench's profile; a pop loop over the few elements of a call's lists is inlined and far cheaper.
 */
export function truncate(array: unknown[]): void {
  while (array.length > 0) array.pop();
}

/**
 * A pool of event objects of one kind, handed out in order and taken back all at once. It keeps at most
 * `retainMax` objects between resets: a burst beyond it is allocated and then left to the GC.
 */
export class Pool<T> {
  private readonly items: T[] = [];
  private used = 0;

  constructor(
    private readonly create: () => T,
    private readonly retainMax = Number.POSITIVE_INFINITY,
  ) {}

  take(): T {
    if (this.used === this.items.length) this.items.push(this.create());
    return this.items[this.used++]!;
  }

  reset(): void {
    this.used = 0;
    if (this.items.length > this.retainMax) this.items.length = this.retainMax;
  }
}

/** The events of one call, built from pooled objects. */
export class EventBuffer {
  readonly list: BookEvent[] = [];
  private readonly accepted = new Pool<AcceptedEvent>(() => ({
    kind: 'accepted', symbol: '', orderId: 0, account: '', side: 'buy', orderType: 'limit', timeInForce: 'gtc',
    postOnly: false, selfTradePrevention: 'none', priceTicks: 0, stopPriceTicks: 0, qtyLots: 0,
  }));
  private readonly rejected = new Pool<RejectedEvent>(() => ({
    kind: 'rejected', symbol: '', orderId: 0, account: '', side: 'buy', reason: 'ERR_BOOK_FULL',
  }));
  private readonly replaced = new Pool<ReplacedEvent>(() => ({
    kind: 'replaced', symbol: '', orderId: 0, account: '', priceTicks: 0, stopPriceTicks: 0, qtyLots: 0, leavesQtyLots: 0, priorityKept: false,
  }));
  private readonly replaceRejected = new Pool<ReplaceRejectedEvent>(() => ({
    kind: 'replace_rejected', symbol: '', orderId: 0, account: '', reason: 'ERR_BOOK_FULL',
  }));
  private readonly triggered = new Pool<TriggeredEvent>(() => ({ kind: 'triggered', symbol: '', orderId: 0, account: '', triggerPriceTicks: 0 }));
  private readonly trades = new Pool<TradeEvent>(() => ({
    kind: 'trade', symbol: '', tradeId: 0, priceTicks: 0, qtyLots: 0, aggressorSide: 'buy', makerOrderId: 0, takerOrderId: 0,
  }));
  private readonly fills = new Pool<FillEvent>(() => ({
    kind: 'fill', symbol: '', tradeId: 0, orderId: 0, counterOrderId: 0, account: '', side: 'buy', priceTicks: 0, qtyLots: 0,
    liquidity: 'maker', feeCashUnits: 0, filledQtyLots: 0, leavesQtyLots: 0,
  }));
  private readonly statuses = new Pool<StatusEvent>(() => ({
    kind: 'status', symbol: '', orderId: 0, account: '', status: 'filled', reason: null, filledQtyLots: 0, leavesQtyLots: 0,
  }));
  private readonly levels = new Pool<LevelEvent>(() => ({ kind: 'level', symbol: '', side: 'buy', priceTicks: 0, qtyLots: 0, orderCount: 0 }));

  constructor(private readonly symbol: string) {}

  /** Starts a call: the previous call's events become invalid. */
  clear(): void {
    truncate(this.list);
    this.accepted.reset();
    this.rejected.reset();
    this.replaced.reset();
    this.replaceRejected.reset();
    this.triggered.reset();
    this.trades.reset();
    this.fills.reset();
    this.statuses.reset();
    this.levels.reset();
  }

  pushAccepted(node: OrderNode): void {
    const event = this.accepted.take();
    event.symbol = this.symbol;
    event.orderId = node.orderId;
    event.account = node.account;
    event.side = node.side;
    event.orderType = node.orderType;
    event.timeInForce = node.timeInForce;
    event.postOnly = node.postOnly;
    event.selfTradePrevention = node.selfTradePrevention;
    event.priceTicks = node.priceTicks;
    event.stopPriceTicks = node.stopPriceTicks;
    event.qtyLots = node.qtyLots;
    this.list.push(event);
  }

  pushRejected(orderId: number, account: string, side: Side, reason: OrderReason): void {
    const event = this.rejected.take();
    event.symbol = this.symbol;
    event.orderId = orderId;
    event.account = account;
    event.side = side;
    event.reason = reason;
    this.list.push(event);
  }

  pushReplaced(node: OrderNode, priorityKept: boolean): void {
    const event = this.replaced.take();
    event.symbol = this.symbol;
    event.orderId = node.orderId;
    event.account = node.account;
    event.priceTicks = node.priceTicks;
    event.stopPriceTicks = node.stopPriceTicks;
    event.qtyLots = node.qtyLots;
    event.leavesQtyLots = node.leavesQtyLots;
    event.priorityKept = priorityKept;
    this.list.push(event);
  }

  pushReplaceRejected(node: OrderNode, reason: OrderReason): void {
    const event = this.replaceRejected.take();
    event.symbol = this.symbol;
    event.orderId = node.orderId;
    event.account = node.account;
    event.reason = reason;
    this.list.push(event);
  }

  pushTriggered(node: OrderNode, triggerPriceTicks: number): void {
    const event = this.triggered.take();
    event.symbol = this.symbol;
    event.orderId = node.orderId;
    event.account = node.account;
    event.triggerPriceTicks = triggerPriceTicks;
    this.list.push(event);
  }

  pushTrade(tradeId: number, priceTicks: number, qtyLots: number, taker: OrderNode, maker: OrderNode): void {
    const event = this.trades.take();
    event.symbol = this.symbol;
    event.tradeId = tradeId;
    event.priceTicks = priceTicks;
    event.qtyLots = qtyLots;
    event.aggressorSide = taker.side;
    event.makerOrderId = maker.orderId;
    event.takerOrderId = taker.orderId;
    this.list.push(event);
  }

  /** Call after the node's filled and leaves quantities were updated. */
  pushFill(tradeId: number, node: OrderNode, counter: OrderNode, priceTicks: number, qtyLots: number, liquidity: Liquidity, feeCashUnits: number): void {
    const event = this.fills.take();
    event.symbol = this.symbol;
    event.tradeId = tradeId;
    event.orderId = node.orderId;
    event.counterOrderId = counter.orderId;
    event.account = node.account;
    event.side = node.side;
    event.priceTicks = priceTicks;
    event.qtyLots = qtyLots;
    event.liquidity = liquidity;
    event.feeCashUnits = feeCashUnits;
    event.filledQtyLots = node.filledQtyLots;
    event.leavesQtyLots = node.leavesQtyLots;
    this.list.push(event);
  }

  pushStatus(node: OrderNode, status: StatusEvent['status'], reason: OrderReason | null, leavesQtyLots: number): void {
    const event = this.statuses.take();
    event.symbol = this.symbol;
    event.orderId = node.orderId;
    event.account = node.account;
    event.status = status;
    event.reason = reason;
    event.filledQtyLots = node.filledQtyLots;
    event.leavesQtyLots = leavesQtyLots;
    this.list.push(event);
  }

  pushLevel(side: Side, priceTicks: number, qtyLots: number, orderCount: number): void {
    const event = this.levels.take();
    event.symbol = this.symbol;
    event.side = side;
    event.priceTicks = priceTicks;
    event.qtyLots = qtyLots;
    event.orderCount = orderCount;
    this.list.push(event);
  }
}
