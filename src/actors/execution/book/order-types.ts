/**
 * The vocabulary of the matching engine: sides, order types, time in force, self-trade prevention, order
 * statuses, reason codes, and the shapes of order entry and replace requests (decimal, at the boundary,
 * and in ticks/lots, inside).
 */
import type { ErrorCode } from '../../../engine/errors.js';
import type { OrderStatus, OrderType, Side, TimeInForce } from '../../../engine/messages.js';

// The vocabulary shared with the rest of the engine is declared once, in the message catalogue.
export type { OrderStatus, OrderType, Side, TimeInForce };
/** Which side of a would-be self trade is canceled; decided by the incoming (taker) order. */
export type SelfTradePrevention = 'cancel_newest' | 'cancel_oldest' | 'cancel_both' | 'none';
export type Liquidity = 'maker' | 'taker';

export const kSides: readonly Side[] = ['buy', 'sell'];
export const kOrderTypes: readonly OrderType[] = ['market', 'limit', 'stop', 'stop_limit'];
export const kTimesInForce: readonly TimeInForce[] = ['gtc', 'day', 'ioc', 'fok'];
export const kSelfTradePreventions: readonly SelfTradePrevention[] = ['cancel_newest', 'cancel_oldest', 'cancel_both', 'none'];

/**
 * Why an order was rejected or canceled by the engine (null on a status event means "asked for": a
 * cancel, a cancel-all, a replace down to the filled quantity, or day expiry). Every reason is a code of
 * the one error registry (src/engine/errors.ts).
 */
export type OrderReason = Extract<
  ErrorCode,
  | 'ERR_ORDER_POST_ONLY_WOULD_TAKE'
  | 'ERR_ORDER_FOK_UNFILLABLE'
  | 'ERR_ORDER_NO_LIQUIDITY'
  | 'ERR_ORDER_SELF_TRADE'
  | 'ERR_BOOK_FULL'
  | 'ERR_BOOK_TOO_MANY_LEVELS'
  // A triggered stop refused by the book's trigger guard (pre-trade risk at the moment it activates).
  | 'ERR_RISK_KILL_SWITCH'
  | 'ERR_RISK_PRICE_COLLAR'
  | 'ERR_RISK_MAX_NOTIONAL'
  | 'ERR_RISK_BUYING_POWER'
  | 'ERR_RISK_POSITION_LIMIT'
>;

/** An order as the outside world writes it: decimal price and quantity, converted once at entry. */
export interface OrderRequest {
  account: string;
  side: Side;
  type: OrderType;
  qty: number;
  /** Limit price: required for limit and stop_limit, absent otherwise. */
  price?: number;
  /** Market and stop orders only: the worst price they may trade at (see TickOrderRequest). */
  protectionPrice?: number;
  /** Trigger price: required for stop and stop_limit, absent otherwise. */
  stopPrice?: number;
  /** Default gtc. */
  timeInForce?: TimeInForce;
  /** Only for limit orders with gtc or day: rejected rather than allowed to take liquidity. */
  postOnly?: boolean;
  /** Default: the book's. */
  selfTradePrevention?: SelfTradePrevention;
}

/** The same order in ticks and lots (the simulated exchange's order flow enters here, unconverted). */
export interface TickOrderRequest {
  account: string;
  side: Side;
  type: OrderType;
  qtyLots: number;
  priceTicks?: number;
  stopPriceTicks?: number;
  /**
   * Market and stop orders only: the worst price they may trade at (a protected market order, as on
   * CME); what cannot fill within it is canceled ERR_ORDER_NO_LIQUIDITY. Unset: any price.
   */
  protectionPriceTicks?: number;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  selfTradePrevention?: SelfTradePrevention;
}

/** A replace: the new total quantity (filled part included) and/or the new limit or stop price. */
export interface ReplaceRequest {
  qty?: number;
  price?: number;
  stopPrice?: number;
}

export interface TickReplaceRequest {
  qtyLots?: number;
  priceTicks?: number;
  stopPriceTicks?: number;
}

/**
 * What a book asks before a triggered stop becomes active: null lets it go (with an optional protection
 * price for a stop market order), a reason cancels it. Must be deterministic (replay calls it again).
 */
export type TriggerGuard = (order: OrderView, triggerPriceTicks: number) => { reason: OrderReason } | { protectionPriceTicks: number } | null;

/** A live order as `OrderBook.order()` reports it (a copy). */
export interface OrderView {
  orderId: number;
  account: string;
  side: Side;
  orderType: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  selfTradePrevention: SelfTradePrevention;
  /** 0 for market and stop orders. */
  priceTicks: number;
  /** 0 for market and limit orders. */
  stopPriceTicks: number;
  qtyLots: number;
  filledQtyLots: number;
  leavesQtyLots: number;
  status: OrderStatus;
  /** Resting in the book, or a stop waiting for its trigger. */
  state: 'resting' | 'pending_stop';
  /** The timestamp given at entry (day expiry compares it). */
  timestamp: number;
}

export interface L2Level {
  priceTicks: number;
  qtyLots: number;
  orderCount: number;
}

/** Aggregated book, best level first on each side. */
export interface L2Snapshot {
  symbol: string;
  bids: L2Level[];
  asks: L2Level[];
}

export interface L3Order {
  orderId: number;
  /** Internal: strip before publishing an L3 view outside the engine. */
  account: string;
  leavesQtyLots: number;
}

export interface L3Level {
  priceTicks: number;
  /** In priority order: the next to trade first. */
  orders: L3Order[];
}

export interface L3Snapshot {
  symbol: string;
  bids: L3Level[];
  asks: L3Level[];
}
