/**
 * The message catalogue: every message type that crosses a ring is declared here, once, with its body
 * type, its reply type (for requests) and its msgpackr record structure (the key order of its body).
 * Bodies are plain immutable data; build them with the keys in the declared order so that msgpackr can
 * encode them as compact shared records.
 */

export const MessageType = {
  /** Liveness probe between actors; replies with the same body. */
  Ping: 1,
  /** A trade print from the market (M1 collector -> M3 realtime). */
  Trade: 10,
  /** A completed OHLCV bar (M3 realtime -> subscribers). */
  Bar: 11,
  /** Ask an actor for its domain status; replies with an `ActorStatus`. */
  StatusRequest: 20,
  /** Ask the realtime actor for the latest bar of each symbol. */
  LatestBarsRequest: 21,
  /** Order entry: a state-changing command for M7 execution; replies once journaled and flushed. */
  ExecutionCommand: 30,
  /** Order entry: a read of orders, positions or the account from M7 execution. */
  ExecutionQuery: 31,
  /** Alert rules: add, remove or list (gateway -> M3 realtime). */
  AlertCommand: 40,
  /** An alert that fired (M3 realtime -> gateway, for the `alerts` channel). */
  AlertFired: 41,
  /** A batch of market data (trades, quotes, L2 deltas) from the venue that produced it. */
  MarketDataBatch: 50,
  /** A history query for the warehouse (M2). */
  HistoryQuery: 51,
  /** Execution reports: orders and positions that changed (M7 -> gateway, for the private WS channels). */
  ExecutionReports: 52,
  /** Test and diagnostics: the receiving handler throws (proves supervision end to end). */
  Crash: 90,
  /** Test and diagnostics: echo after an optional delay (proves request timeouts). */
  Echo: 91,
} as const;

export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export interface Ping {
  nonce: number;
}

export interface Trade {
  symbol: string;
  price: number;
  qty: number;
  /** 1 = buyer was the aggressor, -1 = seller. */
  side: number;
  tradeId: number;
  /** Exchange timestamp, milliseconds since the Unix epoch. */
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

export interface LatestBarsRequest {
  symbols: string[];
}

export interface LatestBars {
  bars: Bar[];
}

export interface Crash {
  reason: string;
}

export interface Echo {
  text: string;
  delayMs: number;
}

/** A command for the execution actor: `kind` names it, `command` carries it (see order-manager.ts). */
export interface ExecutionCommand {
  kind: 'submit' | 'cancel' | 'replace' | 'cancel_all' | 'kill_switch' | 'expire_day';
  command: Record<string, unknown>;
}

export interface ExecutionQuery {
  query: 'order' | 'by_client_id' | 'orders' | 'account' | 'kill_switch' | 'state_hash' | 'book' | 'book_l3';
  symbol?: string;
  depth?: number;
  account: string;
  orderId?: number;
  clientOrderId?: string;
  status?: 'open' | 'closed' | 'all';
  limit?: number;
}

export interface ExecutionResult {
  /** HTTP-style status for the gateway: 201 created, 200 otherwise. */
  status: number;
  result: unknown;
}

export interface AlertCommand {
  op: 'add' | 'remove' | 'list';
  account: string;
  symbol?: string;
  condition?: unknown;
  cooldownMs?: number;
  id?: string;
}

export interface AlertFired {
  rule_id: string;
  account: string;
  symbol: string;
  kind: string;
  message: string;
  price: number;
  time_ms: number;
}

/** Market data in decimals; `side` of a trade is the aggressor (1 buy, -1 sell); delta qty 0 removes a level. */
export interface MarketDataBatch {
  trades: Trade[];
  quotes: { symbol: string; bidPrice: number; bidQty: number; askPrice: number; askQty: number; timeMs: number }[];
  deltas: { symbol: string; side: 'bid' | 'ask'; price: number; qty: number; timeMs: number }[];
}

export interface ExecutionReports {
  /** Order records (see order-manager.ts OrderRecord) that changed. */
  orders: ({ account: string } & Record<string, unknown>)[];
  positions: { account: string; positions: unknown[] }[];
}

export interface HistoryQuery {
  kind: 'trades' | 'bars' | 'symbols';
  symbol?: string;
  fromMs?: number;
  toMs?: number;
  limit?: number;
  interval?: '1s' | '1m' | '5m' | '1h' | '1d';
}

/** Body and reply type of every message type; `never` reply means fire-and-forget. */
export interface MessageCatalogue {
  [MessageType.Ping]: { body: Ping; reply: Ping };
  [MessageType.Trade]: { body: Trade; reply: never };
  [MessageType.Bar]: { body: Bar; reply: never };
  [MessageType.StatusRequest]: { body: StatusRequest; reply: ActorStatus };
  [MessageType.LatestBarsRequest]: { body: LatestBarsRequest; reply: LatestBars };
  [MessageType.ExecutionCommand]: { body: ExecutionCommand; reply: ExecutionResult };
  [MessageType.ExecutionQuery]: { body: ExecutionQuery; reply: ExecutionResult };
  [MessageType.AlertCommand]: { body: AlertCommand; reply: ExecutionResult };
  [MessageType.AlertFired]: { body: AlertFired; reply: never };
  [MessageType.MarketDataBatch]: { body: MarketDataBatch; reply: never };
  [MessageType.HistoryQuery]: { body: HistoryQuery; reply: ExecutionResult };
  [MessageType.ExecutionReports]: { body: ExecutionReports; reply: never };
  [MessageType.Crash]: { body: Crash; reply: never };
  [MessageType.Echo]: { body: Echo; reply: Echo };
}

export type BodyOf<T extends MessageType> = MessageCatalogue[T]['body'];
export type ReplyOf<T extends MessageType> = MessageCatalogue[T]['reply'];

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
  ['symbols'],
  ['bars'],
  ['reason'],
  ['text', 'delayMs'],
  ['kind', 'command'],
  ['status', 'result'],
  ['rule_id', 'account', 'symbol', 'kind', 'message', 'price', 'time_ms'],
  ['trades', 'quotes', 'deltas'],
  ['symbol', 'bidPrice', 'bidQty', 'askPrice', 'askQty', 'timeMs'],
  ['symbol', 'side', 'price', 'qty', 'timeMs'],
];

const knownTypes = new Set<number>(Object.values(MessageType));

export function isMessageType(value: number): value is MessageType {
  return knownTypes.has(value);
}

export function messageTypeName(type: number): string {
  for (const [name, value] of Object.entries(MessageType)) if (value === type) return name;
  return `Unknown(${type})`;
}
