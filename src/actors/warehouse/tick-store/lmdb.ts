/**
 * The embedded warehouse: trades, quotes and bars in one LMDB environment (`<dataDir>/ticks.lmdb`), the
 * default when no QuestDB is configured, so `npm start` needs no server.
 *
 * Layout (ordered-binary array keys, msgpack values):
 *
 *   trades   [symbol, timeMs, tradeId]      -> [price, qty, side +1 buy / -1 sell]
 *   quotes   [symbol, timeMs]               -> [bidPrice, bidQty, askPrice, askQty]
 *   bars     [symbol, intervalMs, startMs]  -> [open, high, low, close, volume, vwap, trades]
 *   symbols  symbol                         -> 1   (symbols with at least one trade)
 *
 * Keys sort by symbol, then time, so a range query is one cursor scan from [symbol, fromMs] to
 * [symbol, toMs + 1). Writing a key again overwrites it with the same value, which is what makes a
 * retried write idempotent: a trade is stored once per (symbol, tradeId, timeMs).
 *
 * Bars are aggregated from the trade scan at query time rather than maintained on write: writes stay one
 * put per trade, late and duplicate trades need no correction, and the scan stops one trade after the
 * last bar the limit allows. The cost is O(trades in the returned bars); a 1d bar over a busy symbol
 * scans the whole day, which is why the QuestDB store exists for heavy history.
 */
import { ensurePrivateDirectory, restrictToOwner } from '../../../store/file-modes.js';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';

import { octopusError } from '../../../engine/errors.js';
import { aggregateBars, aggregateBarsNewestFirst, type BarInput } from '../../realtime/bars.js';
import { checkBarQuery, checkBars, checkQuotes, checkSymbol, checkTradeQuery, checkTrades, kQueryLimitMax, type BarQuery, type BarRow, type QuoteRow, type TickStore, type TickStoreStats, type TradeQuery, type TradeRow } from './tick-store.js';

export interface LmdbTickStoreOptions {
  /** Directory holding `ticks.lmdb`; created if missing. */
  readonly dataDir: string;
  readonly fileName?: string;
  /** LMDB map size in bytes; the file grows up to it. Default 16 GiB (sparse). */
  readonly mapSizeBytes?: number;
}

type TradeKey = [string, number, string];
type TradeValue = [number, number, 1 | -1];

export class LmdbTickStore implements TickStore {
  readonly kind = 'lmdb' as const;
  private readonly root: RootDatabase;
  private readonly tradeDb: Database<TradeValue, TradeKey>;
  private readonly quoteDb: Database<number[], [string, number]>;
  private readonly barDb: Database<number[], [string, number, number]>;
  private readonly symbolDb: Database<number, string>;
  private closed = false;
  private rowsWritten = 0;
  private errors = 0;
  private lastError: string | undefined = undefined;

  constructor(options: LmdbTickStoreOptions) {
    ensurePrivateDirectory(options.dataDir);
    const path = join(options.dataDir, options.fileName ?? 'ticks.lmdb');
    this.root = open({ path, compression: false, maxDbs: 8, mapSize: options.mapSizeBytes ?? 16 * 1024 ** 3 });
    restrictToOwner([path, `${path}-lock`]);
    this.tradeDb = this.root.openDB<TradeValue, TradeKey>({ name: 'trades', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    this.quoteDb = this.root.openDB<number[], [string, number]>({ name: 'quotes', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    this.barDb = this.root.openDB<number[], [string, number, number]>({ name: 'bars', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    this.symbolDb = this.root.openDB<number, string>({ name: 'symbols', encoding: 'msgpack' });
  }

  async writeTrades(trades: readonly TradeRow[]): Promise<void> {
    this.checkOpen();
    checkTrades(trades);
    await this.commit(trades.length, () => {
      for (const trade of trades) {
        this.tradeDb.put([trade.symbol, trade.timeMs, trade.tradeId], [trade.price, trade.qty, trade.side === 'buy' ? 1 : -1]);
        if (this.symbolDb.get(trade.symbol) === undefined) this.symbolDb.put(trade.symbol, 1);
      }
    });
  }

  async writeQuotes(quotes: readonly QuoteRow[]): Promise<void> {
    this.checkOpen();
    checkQuotes(quotes);
    await this.commit(quotes.length, () => {
      for (const quote of quotes) {
        this.quoteDb.put([quote.symbol, quote.timeMs], [quote.bidPrice, quote.bidQty, quote.askPrice, quote.askQty]);
      }
    });
  }

  async writeBars(bars: readonly BarRow[]): Promise<void> {
    this.checkOpen();
    checkBars(bars);
    await this.commit(bars.length, () => {
      for (const bar of bars) {
        this.barDb.put([bar.symbol, bar.intervalMs, bar.startMs], [bar.open, bar.high, bar.low, bar.close, bar.volume, bar.vwap, bar.trades]);
      }
    });
  }

  /** Every write already resolved durable; this waits for any still in flight. */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.root.flushed;
  }

  async trades(symbol: string, query: TradeQuery): Promise<TradeRow[]> {
    this.checkOpen();
    checkSymbol(symbol);
    checkTradeQuery(query);
    const rows: TradeRow[] = [];
    const scan = query.newestFirst === true ? this.scanTradesBackwards(symbol, query.fromMs, query.toMs, query.beforeTradeId) : this.scanTrades(symbol, query.fromMs, query.toMs, query.limit);
    for (const trade of scan) {
      rows.push(trade);
      if (rows.length === query.limit) break;
    }
    return rows;
  }

  async bars(symbol: string, query: BarQuery): Promise<BarRow[]> {
    this.checkOpen();
    checkSymbol(symbol);
    const intervalMs = checkBarQuery(query);
    // The first bucket may start before fromMs; like QuestDB's WHERE before SAMPLE BY, only trades in
    // [fromMs, toMs] count, so a bar at the edge covers part of its bucket.
    if (query.newestFirst === true) return aggregateBarsNewestFirst(symbol, intervalMs, this.scanTradesBackwards(symbol, query.fromMs, query.toMs, undefined), query.limit);
    return aggregateBars(symbol, intervalMs, this.scanTrades(symbol, query.fromMs, query.toMs, undefined), query.limit);
  }

  async symbols(): Promise<string[]> {
    this.checkOpen();
    return [...this.symbolDb.getKeys({ limit: kQueryLimitMax })];
  }

  stats(): TickStoreStats {
    return { rowsWritten: this.rowsWritten, backlogRows: 0, retries: 0, errors: this.errors, lastError: this.lastError };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  private *scanTrades(symbol: string, fromMs: number, toMs: number, limit: number | undefined): Generator<TradeRow & BarInput> {
    const range = this.tradeDb.getRange({ start: [symbol, fromMs], end: [symbol, toMs + 1], ...(limit === undefined ? {} : { limit }) });
    for (const { key, value } of range) {
      const [, timeMs, tradeId] = key;
      const [price, qty, side] = value;
      yield { symbol, price, qty, side: side === 1 ? 'buy' : 'sell', tradeId, timeMs };
    }
  }

  /** Trades from toMs down to fromMs; with `beforeTradeId`, those at toMs only below it. */
  private *scanTradesBackwards(symbol: string, fromMs: number, toMs: number, beforeTradeId: string | undefined): Generator<TradeRow & BarInput> {
    // A reverse range starts at `start` inclusive: [symbol, toMs + 1] sorts after every key at toMs.
    const start: TradeKey | [string, number] = beforeTradeId === undefined ? [symbol, toMs + 1] : [symbol, toMs, beforeTradeId];
    for (const { key, value } of this.tradeDb.getRange({ start: start as TradeKey, end: [symbol, fromMs] as unknown as TradeKey, reverse: true })) {
      const [, timeMs, tradeId] = key;
      if (beforeTradeId !== undefined && timeMs === toMs && tradeId >= beforeTradeId) continue;
      const [price, qty, side] = value;
      yield { symbol, price, qty, side: side === 1 ? 'buy' : 'sell', tradeId, timeMs };
    }
  }

  /** Runs `write` in one transaction and resolves when it is committed and flushed to disk. */
  private async commit(rowCount: number, write: () => void): Promise<void> {
    if (rowCount === 0) return;
    try {
      await this.root.transaction(write);
      await this.root.flushed;
    } catch (error) {
      this.errors += 1;
      this.lastError = error instanceof Error ? error.message : String(error);
      throw octopusError('ERR_WAREHOUSE_UNAVAILABLE', `expected the LMDB commit of ${rowCount} rows to succeed, was ${this.lastError}`, error);
    }
    this.rowsWritten += rowCount;
  }

  private checkOpen(): void {
    if (this.closed) throw octopusError('ERR_WAREHOUSE_CLOSED', 'expected an open tick store, was closed');
  }
}
