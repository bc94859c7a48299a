/**
 * The market-data warehouse: trades, quotes and bars behind one interface, with two implementations,
 * an embedded LMDB one (`lmdb-tick-store.ts`, the default) and a QuestDB one (`questdb-tick-store.ts`).
 * `tick-store-factory.ts` picks one from the environment. docs/warehouse.md has the contract.
 *
 * This module holds only the row shapes, the bounds and the edge validation, so that callers and both
 * implementations share them and neither implementation's dependencies leak into the other.
 */
import { octopusError } from '../../../engine/errors.js';
import type { Side } from '../../../engine/messages.js';

/** A trade print. `side` is the aggressor's. Unique per (symbol, tradeId). Stores encode the side as +1/-1. */
export interface TradeRow {
  readonly symbol: string;
  readonly price: number;
  readonly qty: number;
  readonly side: Side;
  readonly tradeId: string;
  readonly timeMs: number;
}

/** A top-of-book quote. Unique per (symbol, timeMs): a second quote in the same millisecond replaces it. */
export interface QuoteRow {
  readonly symbol: string;
  readonly bidPrice: number;
  readonly bidQty: number;
  readonly askPrice: number;
  readonly askQty: number;
  readonly timeMs: number;
}

/** An OHLCV bar covering [startMs, startMs + intervalMs). Unique per (symbol, intervalMs, startMs). */
export interface BarRow {
  readonly symbol: string;
  readonly intervalMs: number;
  readonly startMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly vwap: number;
  readonly trades: number;
}

/** Bar intervals, each dividing a UTC day, so epoch-aligned buckets are also calendar-aligned. */
export const kBarIntervalsMs = {
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '1h': 3_600_000,
  '1d': 86_400_000,
} as const;

export type BarInterval = keyof typeof kBarIntervalsMs;

export interface TradeQuery {
  /** Inclusive lower bound on `timeMs`. */
  readonly fromMs: number;
  /** Inclusive upper bound on `timeMs`. */
  readonly toMs: number;
  /** At most this many rows, the earliest first (the newest first with `newestFirst`); 1..kQueryLimitMax. */
  readonly limit: number;
  /** Newest first: the limit keeps the latest rows (REST `limit` queries; the earliest first otherwise). */
  readonly newestFirst?: boolean | undefined;
  /**
   * With newestFirst, for trades: of the trades at `toMs`, only those with a smaller tradeId (the cursor
   * of the next page, so trades sharing a millisecond are neither repeated nor skipped).
   */
  readonly beforeTradeId?: string | undefined;
}

export interface BarQuery extends TradeQuery {
  readonly interval: BarInterval;
}

export interface TickStoreStats {
  /** Rows acknowledged to callers (a retried duplicate counts again: it was acknowledged again). */
  readonly rowsWritten: number;
  /** Rows accepted but not yet acknowledged (always 0 for LMDB, whose writes are synchronous commits). */
  readonly backlogRows: number;
  /** Failed attempts to send a batch that were then retried. */
  readonly retries: number;
  /** Failures of any kind: failed sends and failed queries. */
  readonly errors: number;
  /** The last failure's message, for health pages; undefined when none happened. */
  readonly lastError: string | undefined;
}

/**
 * Every write resolves only when its rows are durable (LMDB: committed and flushed) or acknowledged by
 * the server (QuestDB: the HTTP request committed). Every method validates its input at the edge and
 * throws (rejects with) an `OctopusError` with an `ERR_WAREHOUSE_*` code.
 */
export interface TickStore {
  readonly kind: 'lmdb' | 'questdb';
  writeTrades(trades: readonly TradeRow[]): Promise<void>;
  writeQuotes(quotes: readonly QuoteRow[]): Promise<void>;
  writeBars(bars: readonly BarRow[]): Promise<void>;
  /** Resolves when every write accepted so far is durable and visible to the queries below. */
  flush(): Promise<void>;
  /** Trades with fromMs <= timeMs <= toMs, ordered by (timeMs, tradeId) (descending with newestFirst), at most `limit`. */
  trades(symbol: string, query: TradeQuery): Promise<TradeRow[]>;
  /** Bars computed from the stored trades, epoch-aligned buckets, empty buckets omitted, earliest first (newest with newestFirst). */
  bars(symbol: string, query: BarQuery): Promise<BarRow[]>;
  /** Every symbol with at least one stored trade, sorted, at most kQueryLimitMax. */
  symbols(): Promise<string[]>;
  stats(): TickStoreStats;
  /** Flushes what it can and releases resources; later calls reject with ERR_WAREHOUSE_CLOSED. */
  close(): Promise<void>;
}

/** Largest `limit` a query accepts, and the most rows one write call may carry. */
export const kQueryLimitMax = 10_000;
export const kWriteBatchRowsMax = 10_000;
export const kSymbolLengthMax = 64;
export const kTradeIdLengthMax = 64;
/** 9999-12-31T23:59:59.999Z: timestamps beyond it are typos, and QuestDB refuses them anyway. */
export const kTimeMsMax = 253_402_300_799_999;

// Symbols and trade ids end up inside SQL string literals and LMDB keys; a narrow alphabet makes
// injection impossible rather than merely escaped.
const kSymbolPattern = /^[A-Za-z0-9._:/-]+$/;
const kTradeIdPattern = /^[A-Za-z0-9._:-]+$/;

/** Throws ERR_WAREHOUSE_BAD_SYMBOL unless `symbol` is 1..64 characters of [A-Za-z0-9._:/-]. */
export function checkSymbol(symbol: unknown): asserts symbol is string {
  if (typeof symbol !== 'string' || symbol.length === 0 || symbol.length > kSymbolLengthMax || !kSymbolPattern.test(symbol)) {
    throw octopusError(
      'ERR_WAREHOUSE_BAD_SYMBOL',
      `expected a symbol of 1..${kSymbolLengthMax} characters [A-Za-z0-9._:/-], was ${describe(symbol)}`,
    );
  }
}

function checkPositive(code: 'ERR_WAREHOUSE_BAD_PRICE' | 'ERR_WAREHOUSE_BAD_QTY', name: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw octopusError(code, `expected ${name} to be a finite number > 0, was ${describe(value)}`);
  }
}

/** Throws ERR_WAREHOUSE_BAD_TIME unless `timeMs` is an integer in [0, kTimeMsMax]. */
export function checkTimeMs(name: string, timeMs: unknown): asserts timeMs is number {
  if (typeof timeMs !== 'number' || !Number.isInteger(timeMs) || timeMs < 0 || timeMs > kTimeMsMax) {
    throw octopusError('ERR_WAREHOUSE_BAD_TIME', `expected ${name} to be an integer in [0, ${kTimeMsMax}], was ${describe(timeMs)}`);
  }
}

function checkRow(row: unknown): asserts row is Record<string, unknown> {
  if (typeof row !== 'object' || row === null) {
    throw octopusError('ERR_WAREHOUSE_BAD_ROW', `expected a row object, was ${describe(row)}`);
  }
}

function checkBatch(rows: unknown): asserts rows is readonly unknown[] {
  if (!Array.isArray(rows)) {
    throw octopusError('ERR_WAREHOUSE_BAD_ROW', `expected an array of rows, was ${describe(rows)}`);
  }
  if (rows.length > kWriteBatchRowsMax) {
    throw octopusError('ERR_WAREHOUSE_BATCH_TOO_LARGE', `expected at most ${kWriteBatchRowsMax} rows per write, was ${rows.length}`);
  }
}

/** Validates a whole batch before any row is written, so a bad row rejects the batch and writes nothing. */
export function checkTrades(trades: unknown): asserts trades is readonly TradeRow[] {
  checkBatch(trades);
  for (const trade of trades) {
    checkRow(trade);
    checkSymbol(trade['symbol']);
    checkPositive('ERR_WAREHOUSE_BAD_PRICE', 'price', trade['price']);
    checkPositive('ERR_WAREHOUSE_BAD_QTY', 'qty', trade['qty']);
    if (trade['side'] !== 'buy' && trade['side'] !== 'sell') {
      throw octopusError('ERR_WAREHOUSE_BAD_ROW', `expected side buy or sell, was ${describe(trade['side'])}`);
    }
    const tradeId = trade['tradeId'];
    if (typeof tradeId !== 'string' || tradeId.length === 0 || tradeId.length > kTradeIdLengthMax || !kTradeIdPattern.test(tradeId)) {
      throw octopusError(
        'ERR_WAREHOUSE_BAD_ROW',
        `expected tradeId of 1..${kTradeIdLengthMax} characters [A-Za-z0-9._:-], was ${describe(tradeId)}`,
      );
    }
    checkTimeMs('timeMs', trade['timeMs']);
  }
}

export function checkQuotes(quotes: unknown): asserts quotes is readonly QuoteRow[] {
  checkBatch(quotes);
  for (const quote of quotes) {
    checkRow(quote);
    checkSymbol(quote['symbol']);
    checkPositive('ERR_WAREHOUSE_BAD_PRICE', 'bidPrice', quote['bidPrice']);
    checkPositive('ERR_WAREHOUSE_BAD_QTY', 'bidQty', quote['bidQty']);
    checkPositive('ERR_WAREHOUSE_BAD_PRICE', 'askPrice', quote['askPrice']);
    checkPositive('ERR_WAREHOUSE_BAD_QTY', 'askQty', quote['askQty']);
    checkTimeMs('timeMs', quote['timeMs']);
  }
}

export function checkBars(bars: unknown): asserts bars is readonly BarRow[] {
  checkBatch(bars);
  const intervals = new Set<unknown>(Object.values(kBarIntervalsMs));
  for (const bar of bars) {
    checkRow(bar);
    checkSymbol(bar['symbol']);
    if (!intervals.has(bar['intervalMs'])) {
      throw octopusError('ERR_WAREHOUSE_BAD_INTERVAL', `expected intervalMs one of ${[...intervals].join(', ')}, was ${describe(bar['intervalMs'])}`);
    }
    checkTimeMs('startMs', bar['startMs']);
    for (const name of ['open', 'high', 'low', 'close', 'vwap'] as const) {
      checkPositive('ERR_WAREHOUSE_BAD_PRICE', name, bar[name]);
    }
    checkPositive('ERR_WAREHOUSE_BAD_QTY', 'volume', bar['volume']);
    const trades = bar['trades'];
    if (typeof trades !== 'number' || !Number.isSafeInteger(trades) || trades < 1) {
      throw octopusError('ERR_WAREHOUSE_BAD_ROW', `expected trades to be an integer >= 1, was ${describe(trades)}`);
    }
  }
}

/** Throws ERR_WAREHOUSE_BAD_TIME / _BAD_RANGE / _BAD_LIMIT for a bad range or limit. */
export function checkTradeQuery(query: unknown): asserts query is TradeQuery {
  checkRow(query);
  checkTimeMs('fromMs', query['fromMs']);
  checkTimeMs('toMs', query['toMs']);
  if (query['fromMs'] > query['toMs']) {
    throw octopusError('ERR_WAREHOUSE_BAD_RANGE', `expected fromMs <= toMs, was ${query['fromMs']} > ${query['toMs']}`);
  }
  const limit = query['limit'];
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > kQueryLimitMax) {
    throw octopusError('ERR_WAREHOUSE_BAD_LIMIT', `expected limit to be an integer in [1, ${kQueryLimitMax}], was ${describe(limit)}`);
  }
  const before = query['beforeTradeId'];
  if (before !== undefined && (query['newestFirst'] !== true || typeof before !== 'string' || before.length === 0 || before.length > kTradeIdLengthMax || !kTradeIdPattern.test(before))) {
    throw octopusError('ERR_WAREHOUSE_BAD_ROW', `expected beforeTradeId (with newestFirst) of 1..${kTradeIdLengthMax} characters [A-Za-z0-9._:-], was ${describe(before)}`);
  }
}

/** As checkTradeQuery, plus ERR_WAREHOUSE_BAD_INTERVAL; returns the interval in milliseconds. */
export function checkBarQuery(query: unknown): number {
  checkTradeQuery(query);
  const interval = (query as unknown as Record<string, unknown>)['interval'];
  if (typeof interval !== 'string' || !Object.hasOwn(kBarIntervalsMs, interval)) {
    throw octopusError('ERR_WAREHOUSE_BAD_INTERVAL', `expected interval one of ${Object.keys(kBarIntervalsMs).join(', ')}, was ${describe(interval)}`);
  }
  return kBarIntervalsMs[interval as BarInterval];
}

/** Start of the epoch-aligned bucket of `intervalMs` holding `timeMs`. */

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return Array.isArray(value) ? 'an array' : typeof value;
}
