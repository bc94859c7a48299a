/**
 * The QuestDB warehouse: writes over ILP/HTTP through a bounded retry buffer (`questdb-sink.ts`), reads
 * and DDL over the HTTP SQL endpoint (/exec). Chosen when QUESTDB_URL is set (`tick-store-factory.ts`).
 *
 * Tables (each name prefixed by `tablePrefix`) are WAL tables partitioned by day with DEDUP UPSERT KEYS,
 * so a request re-sent after a lost answer replaces its rows instead of adding them:
 *
 *   trades  symbol SYMBOL, price DOUBLE, qty DOUBLE, side LONG, trade_id VARCHAR, ts    KEYS(ts, symbol, trade_id)
 *   quotes  symbol SYMBOL, bid_price, bid_qty, ask_price, ask_qty DOUBLE, ts             KEYS(ts, symbol)
 *   bars    symbol SYMBOL, interval_ms LONG, open, high, low, close, volume, vwap DOUBLE, trades LONG, ts (bar start)
 *                                                                                       KEYS(ts, symbol, interval_ms)
 *
 * WAL tables apply a committed transaction a moment later, so a read may lag an acknowledged write.
 * `flush()` sends the buffer and then polls `wal_tables()` until every table's writer has applied what
 * the sequencer committed, bounded by `visibleTimeoutMs`.
 */
import { octopusError } from '../../../engine/errors.js';
import { QuestdbSink, type QuestdbSinkOptions } from './questdb-sink.js';
import { checkBarQuery, checkBars, checkQuotes, checkSymbol, checkTradeQuery, checkTrades, kQueryLimitMax, type BarQuery, type BarRow, type QuoteRow, type TickStore, type TickStoreStats, type TradeQuery, type TradeRow } from './tick-store.js';

export interface QuestdbTickStoreOptions extends Omit<QuestdbSinkOptions, 'ilpConfig'> {
  /** Base URL of QuestDB's HTTP server, e.g. `http://127.0.0.1:9000`; ILP and SQL both go there. */
  readonly url: string;
  /** Prepended to the table names (`<prefix>trades`); [A-Za-z0-9_], at most 32. Default ''. */
  readonly tablePrefix?: string;
  /** Time allowed for one SQL request. Default 10 000 ms. */
  readonly queryTimeoutMs?: number;
  /** Time `flush()` allows to send the buffer and for the rows to become visible. Default 30 000 ms. */
  readonly flushTimeoutMs?: number;
  /** Time `close()` allows to send what is buffered before rejecting it. Default 5 000 ms. */
  readonly closeTimeoutMs?: number;
}

interface ExecAnswer {
  columns?: Array<{ name: string }>;
  dataset?: unknown[][];
  error?: string;
}

type Row = Record<string, unknown>;

const kBarSampleUnits: Record<number, string> = { 1_000: '1s', 60_000: '1m', 300_000: '5m', 3_600_000: '1h', 86_400_000: '1d' };
const kVisiblePollMs = 25;

export class QuestdbTickStore implements TickStore {
  readonly kind = 'questdb' as const;
  private readonly url: string;
  private readonly tables: { trades: string; quotes: string; bars: string };
  private readonly queryTimeoutMs: number;
  private readonly flushTimeoutMs: number;
  private readonly closeTimeoutMs: number;
  private queryErrors = 0;
  private lastQueryError: string | undefined = undefined;
  private closed = false;

  private constructor(
    options: QuestdbTickStoreOptions,
    private readonly sink: QuestdbSink,
  ) {
    this.url = options.url.replace(/\/+$/, '');
    const prefix = options.tablePrefix ?? '';
    this.tables = { trades: `${prefix}trades`, quotes: `${prefix}quotes`, bars: `${prefix}bars` };
    this.queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
    this.flushTimeoutMs = options.flushTimeoutMs ?? 30_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 5_000;
  }

  /**
   * Creates the tables if missing and opens the sender. Throws ERR_WAREHOUSE_BAD_CONFIG for a bad URL,
   * prefix or option, ERR_WAREHOUSE_UNAVAILABLE when QuestDB does not answer, ERR_WAREHOUSE_QUERY_FAILED
   * when it refuses the DDL.
   */
  static async open(options: QuestdbTickStoreOptions): Promise<QuestdbTickStore> {
    const prefix = options.tablePrefix ?? '';
    if (!/^[A-Za-z0-9_]{0,32}$/.test(prefix)) {
      throw octopusError('ERR_WAREHOUSE_BAD_CONFIG', `expected tablePrefix of at most 32 characters [A-Za-z0-9_], was ${JSON.stringify(prefix)}`);
    }
    let url: URL;
    try {
      url = new URL(options.url);
    } catch (error) {
      throw octopusError('ERR_WAREHOUSE_BAD_CONFIG', `expected QuestDB url like http://host:9000, was ${JSON.stringify(options.url)}`, error);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw octopusError('ERR_WAREHOUSE_BAD_CONFIG', `expected an http(s) QuestDB url, was ${url.protocol}`);
    }
    const schema = url.protocol === 'https:' ? 'https' : 'http';
    const port = url.port === '' ? (schema === 'https' ? '443' : '9000') : url.port;
    const sink = await QuestdbSink.open({ ...options, ilpConfig: `${schema}::addr=${url.hostname}:${port}` });
    const store = new QuestdbTickStore(options, sink);
    try {
      await store.createTables();
    } catch (error) {
      await sink.close(0);
      throw error;
    }
    return store;
  }

  async writeTrades(trades: readonly TradeRow[]): Promise<void> {
    this.checkOpen();
    checkTrades(trades);
    const table = this.tables.trades;
    return this.sink.push({
      rowCount: trades.length,
      encode: async (sender) => {
        for (const trade of trades) {
          await sender
            .table(table)
            .symbol('symbol', trade.symbol)
            .floatColumn('price', trade.price)
            .floatColumn('qty', trade.qty)
            .intColumn('side', trade.side === 'buy' ? 1 : -1)
            .stringColumn('trade_id', trade.tradeId)
            .at(trade.timeMs, 'ms');
        }
      },
    });
  }

  async writeQuotes(quotes: readonly QuoteRow[]): Promise<void> {
    this.checkOpen();
    checkQuotes(quotes);
    const table = this.tables.quotes;
    return this.sink.push({
      rowCount: quotes.length,
      encode: async (sender) => {
        for (const quote of quotes) {
          await sender
            .table(table)
            .symbol('symbol', quote.symbol)
            .floatColumn('bid_price', quote.bidPrice)
            .floatColumn('bid_qty', quote.bidQty)
            .floatColumn('ask_price', quote.askPrice)
            .floatColumn('ask_qty', quote.askQty)
            .at(quote.timeMs, 'ms');
        }
      },
    });
  }

  async writeBars(bars: readonly BarRow[]): Promise<void> {
    this.checkOpen();
    checkBars(bars);
    const table = this.tables.bars;
    return this.sink.push({
      rowCount: bars.length,
      encode: async (sender) => {
        for (const bar of bars) {
          await sender
            .table(table)
            .symbol('symbol', bar.symbol)
            .intColumn('interval_ms', bar.intervalMs)
            .floatColumn('open', bar.open)
            .floatColumn('high', bar.high)
            .floatColumn('low', bar.low)
            .floatColumn('close', bar.close)
            .floatColumn('volume', bar.volume)
            .floatColumn('vwap', bar.vwap)
            .intColumn('trades', bar.trades)
            .at(bar.startMs, 'ms');
        }
      },
    });
  }

  /**
   * Sends the buffer, then waits until QuestDB has applied every committed transaction of the three
   * tables, so the queries see every acknowledged row. Throws ERR_WAREHOUSE_UNAVAILABLE after
   * `flushTimeoutMs` (the rows stay buffered and keep being retried).
   */
  async flush(): Promise<void> {
    this.checkOpen();
    const deadlineMs = performance.now() + this.flushTimeoutMs;
    await this.sink.flush(this.flushTimeoutMs);
    const names = Object.values(this.tables).map(quoteString).join(', ');
    while (true) {
      const rows = await this.query(`SELECT name, writerTxn, sequencerTxn, suspended FROM wal_tables() WHERE name IN (${names})`);
      const lagging = rows.filter((row) => Number(row['writerTxn']) < Number(row['sequencerTxn']));
      if (lagging.length === 0) return;
      if (performance.now() > deadlineMs || lagging.some((row) => row['suspended'] === true)) {
        throw octopusError('ERR_WAREHOUSE_UNAVAILABLE', `expected QuestDB to apply its WAL within ${this.flushTimeoutMs} ms, was lagging: ${JSON.stringify(lagging)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, kVisiblePollMs));
    }
  }

  async trades(symbol: string, query: TradeQuery): Promise<TradeRow[]> {
    this.checkOpen();
    checkSymbol(symbol);
    checkTradeQuery(query);
    // Milliseconds are computed on the server: microsecond timestamps exceed 2^53 and would round in JSON.
    const rows = await this.query(
      `SELECT price, qty, side, trade_id, cast(ts AS long) / 1000 time_ms FROM ${quoteName(this.tables.trades)} ` +
        `WHERE symbol = ${quoteString(symbol)} AND ${timeRange(query)}${beforeTrade(query)} ` +
        `ORDER BY ${query.newestFirst === true ? 'ts DESC, trade_id DESC' : 'ts, trade_id'} LIMIT ${query.limit}`,
    );
    return rows.map((row) => ({
      symbol,
      price: row['price'] as number,
      qty: row['qty'] as number,
      side: row['side'] === 1 ? 'buy' : 'sell',
      tradeId: row['trade_id'] as string,
      timeMs: row['time_ms'] as number,
    }));
  }

  async bars(symbol: string, query: BarQuery): Promise<BarRow[]> {
    this.checkOpen();
    checkSymbol(symbol);
    const intervalMs = checkBarQuery(query);
    const unit = kBarSampleUnits[intervalMs];
    if (unit === undefined) throw new Error(`invariant: interval ${intervalMs} ms has no SAMPLE BY unit`);
    // The explicit ORDER BY around SAMPLE BY matters: QuestDB 9.3 runs SAMPLE BY as a parallel GROUP BY,
    // and a LIMIT straight after it kept the latest buckets, not the earliest (found by the shared suite).
    const rows = await this.query(
      `SELECT * FROM (SELECT cast(ts AS long) / 1000 start_ms, first(price) open, max(price) high, min(price) low, ` +
        `last(price) close, sum(qty) volume, sum(price * qty) / sum(qty) vwap, count() trades FROM ${quoteName(this.tables.trades)} ` +
        `WHERE symbol = ${quoteString(symbol)} AND ${timeRange(query)} SAMPLE BY ${unit} ALIGN TO CALENDAR) ` +
        `ORDER BY start_ms${query.newestFirst === true ? ' DESC' : ''} LIMIT ${query.limit}`,
    );
    return rows.map((row) => ({
      symbol,
      intervalMs,
      startMs: row['start_ms'] as number,
      open: row['open'] as number,
      high: row['high'] as number,
      low: row['low'] as number,
      close: row['close'] as number,
      volume: row['volume'] as number,
      vwap: row['vwap'] as number,
      trades: row['trades'] as number,
    }));
  }

  async symbols(): Promise<string[]> {
    this.checkOpen();
    const rows = await this.query(`SELECT DISTINCT symbol FROM ${quoteName(this.tables.trades)} ORDER BY symbol LIMIT ${kQueryLimitMax}`);
    return rows.map((row) => row['symbol'] as string).sort();
  }

  stats(): TickStoreStats {
    const sink = this.sink.stats();
    return {
      rowsWritten: sink.rowsWritten,
      backlogRows: sink.backlogRows,
      retries: sink.retries,
      errors: sink.errors + this.queryErrors,
      lastError: this.lastQueryError ?? sink.lastError,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sink.close(this.closeTimeoutMs);
  }

  /** Drops the three tables; for tests and tooling, never called by the engine. */
  async dropTables(): Promise<void> {
    for (const table of Object.values(this.tables)) await this.query(`DROP TABLE IF EXISTS ${quoteName(table)}`);
  }

  private async createTables(): Promise<void> {
    const { trades, quotes, bars } = this.tables;
    await this.query(
      `CREATE TABLE IF NOT EXISTS ${quoteName(trades)} (symbol SYMBOL, price DOUBLE, qty DOUBLE, side LONG, trade_id VARCHAR, ts TIMESTAMP) ` +
        'TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, symbol, trade_id)',
    );
    await this.query(
      `CREATE TABLE IF NOT EXISTS ${quoteName(quotes)} (symbol SYMBOL, bid_price DOUBLE, bid_qty DOUBLE, ask_price DOUBLE, ask_qty DOUBLE, ts TIMESTAMP) ` +
        'TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, symbol)',
    );
    await this.query(
      `CREATE TABLE IF NOT EXISTS ${quoteName(bars)} (symbol SYMBOL, interval_ms LONG, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, ` +
        'volume DOUBLE, vwap DOUBLE, trades LONG, ts TIMESTAMP) TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, symbol, interval_ms)',
    );
  }

  /** One SQL statement over /exec; rows as objects. Throws ERR_WAREHOUSE_UNAVAILABLE or _QUERY_FAILED. */
  private async query(sql: string): Promise<Row[]> {
    const endpoint = new URL(`${this.url}/exec`);
    endpoint.searchParams.set('query', sql);
    endpoint.searchParams.set('limit', String(kQueryLimitMax));
    let response: Response;
    let body: ExecAnswer;
    try {
      response = await fetch(endpoint, { signal: AbortSignal.timeout(this.queryTimeoutMs) });
      body = (await response.json()) as ExecAnswer;
    } catch (error) {
      throw this.queryFailure('ERR_WAREHOUSE_UNAVAILABLE', `expected QuestDB at ${this.url} to answer, was ${String(error)}`, error);
    }
    if (!response.ok || body.error !== undefined) {
      throw this.queryFailure('ERR_WAREHOUSE_QUERY_FAILED', `expected \`${sql}\` to succeed, was HTTP ${response.status}: ${body.error ?? 'no error text'}`);
    }
    const names = (body.columns ?? []).map((column) => column.name);
    return (body.dataset ?? []).map((values) => Object.fromEntries(names.map((name, index) => [name, values[index]])));
  }

  private queryFailure(code: 'ERR_WAREHOUSE_UNAVAILABLE' | 'ERR_WAREHOUSE_QUERY_FAILED', message: string, cause?: unknown): Error {
    this.queryErrors += 1;
    this.lastQueryError = message;
    return octopusError(code, message, cause);
  }

  private checkOpen(): void {
    if (this.closed) throw octopusError('ERR_WAREHOUSE_CLOSED', 'expected an open tick store, was closed');
  }
}

/** `ts BETWEEN` inclusive bounds as exact microsecond literals (bigint: ms * 1000 can exceed 2^53). */
/** The page cursor: of the trades at toMs, only those before the last one returned (checked by checkTradeQuery). */
function beforeTrade(query: TradeQuery): string {
  if (query.beforeTradeId === undefined) return '';
  const toUs = BigInt(query.toMs) * 1000n;
  return ` AND (ts < ${toUs} OR trade_id < ${quoteString(query.beforeTradeId)})`;
}

function timeRange(query: TradeQuery): string {
  const fromUs = BigInt(query.fromMs) * 1000n;
  const toUs = BigInt(query.toMs) * 1000n + 999n;
  return `ts BETWEEN cast(${fromUs} AS timestamp) AND cast(${toUs} AS timestamp)`;
}

/** Symbols are validated to [A-Za-z0-9._:/-]; quoting is the second line of defence. */
function quoteString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
