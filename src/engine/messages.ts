/**
 * The message catalogue: every message type that crosses a ring is declared here, once, with a named body
 * type, its reply type (for requests) and its msgpackr record structure (the key order of its body).
 * Bodies are plain immutable data; build them with the keys in the declared order so that msgpackr can
 * encode them as compact shared records. Replies carry domain results; failures travel as typed errors
 * (an `ERR_*` code and a message), and only the gateway maps them to HTTP statuses.
 *
 * The shared vocabulary of the engine (sides, order types, the order record, the account view, alert
 * rules) is declared here too, because it is what the messages carry.
 */
import type { BarRow, TradeRow } from '../actors/warehouse/tick-store/tick-store.js';

// -----------------------------------------------------------------------------------------------------
// Vocabulary.

/** The one encoding of a side, everywhere: orders, trades (the aggressor's side), book levels (bid = buy). */
export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop' | 'stop_limit';
export type TimeInForce = 'gtc' | 'day' | 'ioc' | 'fok';
export type OrderStatus = 'new' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'rejected';

export interface OrderHistoryEntry {
  status: OrderStatus | 'replaced' | 'triggered';
  at: number;
  reason: string | null;
  filled_qty: number;
}

/** An order as the API shows it (Alpaca-style field names). */
export interface OrderRecord {
  id: string;
  client_order_id: string;
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  time_in_force: TimeInForce;
  post_only: boolean;
  qty: number;
  filled_qty: number;
  filled_avg_price: number | null;
  limit_price: number | null;
  stop_price: number | null;
  status: OrderStatus;
  reject_reason: string | null;
  created_at: number;
  updated_at: number;
  history: OrderHistoryEntry[];
}

export interface PositionView {
  symbol: string;
  /** Signed: positive long, negative short. */
  qty: number;
  averagePrice: number;
  realizedPnl: number;
  feesPaid: number;
  markPrice: number | null;
  marketValue: number | null;
  unrealizedPnl: number | null;
}

export interface AccountView {
  account: string;
  cash: number;
  equity: number;
  realizedPnl: number;
  unrealizedPnl: number;
  feesPaid: number;
  positions: PositionView[];
}

export interface KillSwitchState {
  global: boolean;
  accounts: string[];
}

export type AlertCondition =
  | { kind: 'price_cross'; level: number; direction: 'above' | 'below' }
  | { kind: 'pct_move'; percent: number; window_ms: number }
  | { kind: 'volume_spike'; multiple: number; lookback: number; interval_ms: number };

export interface AlertRule {
  id: string;
  account: string;
  symbol: string;
  condition: AlertCondition;
  cooldown_ms: number;
  created_ms: number;
}

// -----------------------------------------------------------------------------------------------------
// Message types.

export const MessageType = {
  /** Liveness probe between actors; replies with the same body. */
  Ping: 1,
  /** A trade print from the market (M1 collector random walk -> M3 realtime). */
  Trade: 10,
  /** A completed OHLCV bar (M3 realtime -> subscribers). */
  Bar: 11,
  /** Ask an actor for its domain status; replies with an `ActorStatus`. */
  StatusRequest: 20,
  /** Order entry (gateway -> M7 execution): each replies once journaled and flushed. */
  SubmitOrder: 30,
  CancelOrder: 31,
  ReplaceOrder: 32,
  CancelAllOrders: 33,
  SetKillSwitch: 34,
  /** A lockstep participant (a strategy actor) has handled the market data through `throughMs` (-> M7). */
  MarketDataProcessed: 35,
  /** Reads of M7 execution's state. */
  OrderQuery: 40,
  OrdersQuery: 41,
  AccountQuery: 42,
  BookQuery: 43,
  KillSwitchQuery: 44,
  StateHashQuery: 45,
  /** Alert rules (gateway -> M3 realtime) and fired alerts (M3 -> gateway, for the `alerts` channel). */
  AddAlert: 50,
  RemoveAlert: 51,
  ListAlerts: 52,
  AlertFired: 53,
  /** A batch of market data (trades, quotes, L2 deltas) from the venue that produced it. */
  MarketDataBatch: 60,
  /** History queries for M2 warehouse. */
  TradesQuery: 61,
  BarsQuery: 62,
  SymbolsQuery: 63,
  /** Execution reports: orders and positions that changed (M7 -> gateway, for the private WS channels). */
  ExecutionReports: 70,
  /** Strategies (gateway -> M4 strategy): list, start, stop; and their updates (M4 -> gateway, `strategies` channel). */
  StrategyControl: 80,
  StrategyUpdate: 81,
  /** Test and diagnostics: the receiving handler throws (proves supervision end to end). */
  Crash: 90,
  /** Test and diagnostics: echo after an optional delay (proves request timeouts). */
  Echo: 91,
  /** Test and diagnostics: a batch of market data answered with what arrived (proves splitting). */
  BatchProbe: 92,
} as const;

export type MessageType = (typeof MessageType)[keyof typeof MessageType];

// -----------------------------------------------------------------------------------------------------
// Bodies and replies.

export interface Ping {
  nonce: number;
}

export interface Trade {
  symbol: string;
  price: number;
  qty: number;
  /** The aggressor's side. */
  side: Side;
  tradeId: number;
  /** Exchange timestamp, milliseconds since the Unix epoch. */
  timeMs: number;
}

export interface Quote {
  symbol: string;
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
  timeMs: number;
}

/** One price level's new total on one side of a book; qty 0 removes the level. */
export interface BookDelta {
  symbol: string;
  side: Side;
  price: number;
  qty: number;
  timeMs: number;
}

export interface Bar {
  symbol: string;
  intervalMs: number;
  /** Start of the bar, milliseconds since the Unix epoch. */
  startMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  vwap: number;
  trades: number;
  /** Streaming indicators over this interval's closes, NaN (null in JSON) during warm-up. */
  indicators?: { ema_20: number; rsi_14: number };
}

export interface StatusRequest {
  detail: boolean;
}

export interface ActorStatus {
  name: string;
  detail: Record<string, unknown>;
}

export interface Crash {
  reason: string;
}

export interface Echo {
  text: string;
  delayMs: number;
}

export interface SubmitOrder {
  account: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  qty: number;
  limitPrice?: number | undefined;
  stopPrice?: number | undefined;
  timeInForce: TimeInForce;
  postOnly: boolean;
}

/** `created` is false for an idempotent retry (the same client order id): the order it made first. */
export interface SubmitResult {
  order: OrderRecord;
  created: boolean;
}

export interface CancelOrder {
  account: string;
  orderId: number;
}

/** New total quantity (filled part included) and/or prices of an open order. */
export interface ReplaceOrder {
  account: string;
  orderId: number;
  qty?: number | undefined;
  limitPrice?: number | undefined;
  stopPrice?: number | undefined;
}

export interface CancelAllOrders {
  account: string;
}

export interface CanceledOrders {
  canceled: OrderRecord[];
}

/** Halts (cancels open orders, blocks new ones) or resumes one account, or everyone when `account` is unset. */
export interface SetKillSwitch {
  active: boolean;
  account?: string | undefined;
}

/** One order of `account`, by id or by client order id. */
export interface OrderQuery {
  account: string;
  orderId?: number | undefined;
  clientOrderId?: string | undefined;
}

export interface OrdersQuery {
  account: string;
  status: 'open' | 'closed' | 'all';
  limit: number;
  /** Only orders with a smaller id (older): the cursor of the next page. */
  beforeId?: number | undefined;
}

export interface AccountQuery {
  account: string;
}

export interface BookQuery {
  symbol: string;
  depth: number;
  level: 2 | 3;
}

/** L2: levels [price, qty, orders], best first. */
export interface L2Book {
  symbol: string;
  bids: [number, number, number][];
  asks: [number, number, number][];
}

/** L3: every resting order in priority order, owners stripped. */
export interface L3Book {
  symbol: string;
  bids: { price: number; orders: { order_id: number; qty: number }[] }[];
  asks: { price: number; orders: { order_id: number; qty: number }[] }[];
}

export interface StateHashQuery {
  full: boolean;
}

export interface StateHash {
  stateHash: string;
  journalSeq: number;
  /** With `full`: the hash a replay of the whole journal into a scratch engine reaches (must be equal). */
  replayStateHash?: string;
}

export interface AddAlert {
  account: string;
  symbol: string;
  condition: AlertCondition;
  cooldownMs?: number | undefined;
}

export interface RemoveAlert {
  account: string;
  id: string;
}

export interface ListAlerts {
  account: string;
}

export interface AlertFired {
  rule_id: string;
  account: string;
  symbol: string;
  kind: AlertCondition['kind'];
  message: string;
  price: number;
  time_ms: number;
}

/** Market data in decimals; order is kept within each list. */
export interface MarketDataBatch {
  trades: Trade[];
  quotes: Quote[];
  deltas: BookDelta[];
}

export interface PositionsReport {
  account: string;
  positions: PositionView[];
}

export interface ExecutionReports {
  /** Orders that changed, in the state they reached. */
  orders: OrderRecord[];
  positions: PositionsReport[];
}

export interface TradesQuery {
  symbol: string;
  fromMs: number;
  toMs: number;
  limit: number;
  /** Newest first (REST pages); `beforeTradeId`: of the trades at toMs, only those below it. */
  newestFirst?: boolean | undefined;
  beforeTradeId?: string | undefined;
}

export type BarInterval = '1s' | '1m' | '5m' | '1h' | '1d';

export interface BarsQuery extends TradesQuery {
  interval: BarInterval;
}

export interface SymbolsQuery {
  venue?: string | undefined;
}

export interface MarketDataProcessed {
  actor: string;
  throughMs: number;
}

export interface StrategyControl {
  op: 'list' | 'start' | 'stop';
  name?: string | undefined;
}

/** One strategy as REST and the `strategies` channel show it. */
export interface StrategyStatus {
  name: string;
  strategy: string;
  account: string;
  state: 'running' | 'stopped' | 'failed';
  params: Record<string, unknown>;
  cash: number;
  equity: number;
  pnl: number;
  positions: Record<string, number>;
  fills: number;
  open_orders: number;
  signals: { symbol: string; target: number; time_ms: number }[];
  /** The newest fills (at most 100), oldest first. */
  recent_fills: { client_order_id: string; symbol: string; side: Side; price: number; qty: number; fee: number; time_ms: number }[];
  error: string | null;
  /** Venue time of the first market data the actor received (the simulated exchange's first step). */
  first_data_ms: number | null;
}

export interface StrategyUpdate {
  name: string;
  kind: 'signal' | 'fill' | 'state';
  data: Record<string, unknown>;
}

/** Body and reply type of every message type; `never` reply means fire-and-forget. */
export interface MessageCatalogue {
  [MessageType.Ping]: { body: Ping; reply: Ping };
  [MessageType.Trade]: { body: Trade; reply: never };
  [MessageType.Bar]: { body: Bar; reply: never };
  [MessageType.StatusRequest]: { body: StatusRequest; reply: ActorStatus };
  [MessageType.SubmitOrder]: { body: SubmitOrder; reply: SubmitResult };
  [MessageType.CancelOrder]: { body: CancelOrder; reply: OrderRecord };
  [MessageType.ReplaceOrder]: { body: ReplaceOrder; reply: OrderRecord };
  [MessageType.CancelAllOrders]: { body: CancelAllOrders; reply: CanceledOrders };
  [MessageType.SetKillSwitch]: { body: SetKillSwitch; reply: KillSwitchState };
  [MessageType.OrderQuery]: { body: OrderQuery; reply: OrderRecord };
  [MessageType.OrdersQuery]: { body: OrdersQuery; reply: OrderRecord[] };
  [MessageType.AccountQuery]: { body: AccountQuery; reply: AccountView };
  [MessageType.BookQuery]: { body: BookQuery; reply: L2Book | L3Book };
  [MessageType.KillSwitchQuery]: { body: AccountQuery; reply: KillSwitchState };
  [MessageType.StateHashQuery]: { body: StateHashQuery; reply: StateHash };
  [MessageType.AddAlert]: { body: AddAlert; reply: AlertRule };
  [MessageType.RemoveAlert]: { body: RemoveAlert; reply: AlertRule };
  [MessageType.ListAlerts]: { body: ListAlerts; reply: AlertRule[] };
  [MessageType.AlertFired]: { body: AlertFired; reply: never };
  [MessageType.MarketDataBatch]: { body: MarketDataBatch; reply: never };
  [MessageType.TradesQuery]: { body: TradesQuery; reply: TradeRow[] };
  [MessageType.BarsQuery]: { body: BarsQuery; reply: BarRow[] };
  [MessageType.SymbolsQuery]: { body: SymbolsQuery; reply: string[] };
  [MessageType.ExecutionReports]: { body: ExecutionReports; reply: never };
  [MessageType.MarketDataProcessed]: { body: MarketDataProcessed; reply: never };
  [MessageType.StrategyControl]: { body: StrategyControl; reply: StrategyStatus[] };
  [MessageType.StrategyUpdate]: { body: StrategyUpdate; reply: never };
  [MessageType.Crash]: { body: Crash; reply: never };
  [MessageType.Echo]: { body: Echo; reply: Echo };
  [MessageType.BatchProbe]: { body: MarketDataBatch; reply: never };
}

export type BodyOf<T extends MessageType> = MessageCatalogue[T]['body'];
export type ReplyOf<T extends MessageType> = MessageCatalogue[T]['reply'];

/** SubmitOrder as the gateway builds it (every key present, absent prices undefined). */
const kSubmitOrderKeys = ['account', 'clientOrderId', 'symbol', 'side', 'type', 'qty', 'limitPrice', 'stopPrice', 'timeInForce', 'postOnly'] satisfies (keyof SubmitOrder)[];

/** OrderRecord in the order the order manager builds it. */
const kOrderRecordKeys = [
  'id', 'client_order_id', 'account', 'symbol', 'side', 'type', 'time_in_force', 'post_only', 'qty', 'filled_qty',
  'filled_avg_price', 'limit_price', 'stop_price', 'status', 'reject_reason', 'created_at', 'updated_at', 'history',
] satisfies (keyof OrderRecord)[];

/**
 * msgpackr shared record structures, in a fixed order that every thread builds identically. Append
 * only: an index is a wire identifier.
 */
export const recordStructures: readonly (readonly string[])[] = [
  ['symbol', 'price', 'qty', 'side', 'tradeId', 'timeMs'],
  ['symbol', 'intervalMs', 'startMs', 'open', 'high', 'low', 'close', 'volume', 'vwap', 'trades'],
  ['nonce'],
  ['detail'],
  ['name', 'detail'],
  ['reason'],
  ['text', 'delayMs'],
  ['rule_id', 'account', 'symbol', 'kind', 'message', 'price', 'time_ms'],
  ['trades', 'quotes', 'deltas'],
  ['symbol', 'bidPrice', 'bidQty', 'askPrice', 'askQty', 'timeMs'],
  ['symbol', 'side', 'price', 'qty', 'timeMs'],
  ['orders', 'positions'],
  // The order path (each order crosses two rings as a command, a reply and a report): a shared structure
  // is decoded by a reader msgpackr compiles once, about 6x faster than a shape defined in every message.
  // Key order is the order the objects are built in (test/engine/codec.test.ts checks real ones).
  kSubmitOrderKeys,
  ['order', 'created'] satisfies (keyof SubmitResult)[],
  kOrderRecordKeys,
  ['status', 'at', 'reason', 'filled_qty'] satisfies (keyof OrderHistoryEntry)[],
  ['account', 'positions'] satisfies (keyof PositionsReport)[],
  ['symbol', 'qty', 'averagePrice', 'realizedPnl', 'feesPaid', 'markPrice', 'marketValue', 'unrealizedPnl'] satisfies (keyof PositionView)[],
  ['account', 'orderId'] satisfies (keyof CancelOrder)[],
  ['code', 'message'],
];

const knownTypes = new Set<number>(Object.values(MessageType));

export function isMessageType(value: number): value is MessageType {
  return knownTypes.has(value);
}

export function messageTypeName(type: number): string {
  for (const [name, value] of Object.entries(MessageType)) if (value === type) return name;
  return `Unknown(${type})`;
}

// -----------------------------------------------------------------------------------------------------
// Splitting: streams of market data and reports go out in pieces that fit a ring record, in order.

/** Events per market-data message: about 40 bytes each encoded, so a piece stays under a 60 KiB record. */
export const kMarketEventsPerMessage = 1_024;

export function marketEventCount(batch: MarketDataBatch): number {
  return batch.trades.length + batch.quotes.length + batch.deltas.length;
}

/**
 * Cuts a batch into pieces of at most `maxEvents` events, keeping the order of each list (trades, then
 * quotes, then deltas fill the pieces in turn). A batch that already fits is returned as is. A piece that
 * still encodes larger than a ring record (very long symbols) is fragmented by the endpoint.
 */
export function splitMarketData(batch: MarketDataBatch, maxEvents = kMarketEventsPerMessage): MarketDataBatch[] {
  if (marketEventCount(batch) <= maxEvents) return [batch];
  const pieces: MarketDataBatch[] = [];
  let piece: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
  let room = maxEvents;
  const take = <K extends keyof MarketDataBatch>(key: K): void => {
    const list = batch[key];
    for (let start = 0; start < list.length; ) {
      if (room === 0) {
        pieces.push(piece);
        piece = { trades: [], quotes: [], deltas: [] };
        room = maxEvents;
      }
      const count = Math.min(room, list.length - start);
      (piece[key] as unknown[]).push(...list.slice(start, start + count));
      start += count;
      room -= count;
    }
  };
  take('trades');
  take('quotes');
  take('deltas');
  if (marketEventCount(piece) > 0) pieces.push(piece);
  return pieces;
}

/** Orders per report message (an order record with its history is up to a few hundred bytes). */
export const kReportOrdersPerMessage = 128;

/** Cuts execution reports into pieces of at most `maxOrders` orders; positions ride with the last piece. */
export function splitReports(reports: ExecutionReports, maxOrders = kReportOrdersPerMessage): ExecutionReports[] {
  if (reports.orders.length <= maxOrders) return [reports];
  const pieces: ExecutionReports[] = [];
  for (let start = 0; start < reports.orders.length; start += maxOrders) {
    pieces.push({ orders: reports.orders.slice(start, start + maxOrders), positions: [] });
  }
  pieces[pieces.length - 1]!.positions = reports.positions;
  return pieces;
}
