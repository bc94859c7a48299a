/**
 * M2 warehouse: stores the trades, quotes and bars that reach it in the tick store (embedded LMDB by
 * default, QuestDB when QUESTDB_URL is set) and answers history queries.
 *
 * Writes are batched (flush every `flushMs` or `batchRows`); while the store refuses (QuestDB down and its
 * retry buffer full) rows wait in a bounded buffer here, and what overflows it is counted as dropped and
 * reported on /health. A write is retried until the store takes it; nothing the store acknowledged is lost.
 */
import { Actor } from '../../engine/actor.js';
import { OctopusError } from '../../engine/errors.js';
import { MessageType, type Bar, type ExecutionResult, type HistoryQuery, type MarketDataBatch } from '../../engine/messages.js';
import { openTickStoreFromEnvironment } from './tick-store/factory.js';
import type { BarRow, QuoteRow, TickStore, TradeRow } from './tick-store/tick-store.js';

export interface WarehouseOptions {
  dataDir: string;
  /** QuestDB HTTP base URL; undefined = the embedded LMDB store. */
  questdbUrl?: string;
  flushMs?: number;
  batchRows?: number;
  /** Rows held here while the store refuses writes, at most. */
  bufferRowsMax?: number;
}

const kDefaultBufferRowsMax = 1_000_000;

export default class WarehouseActor extends Actor<WarehouseOptions> {
  private store!: TickStore;
  private trades: TradeRow[] = [];
  private quotes: QuoteRow[] = [];
  private bars: BarRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private dropped = 0;
  private lastDropWarningMs = Number.NEGATIVE_INFINITY;
  private writeFailures = 0;

  override async start(): Promise<void> {
    this.store = await openTickStore(this.options);
    this.logger.info({ kind: this.store.kind }, 'tick store open');
    this.on(MessageType.MarketDataBatch, (batch) => this.accept(batch));
    this.on(MessageType.Bar, (bar) => this.acceptBar(bar));
    this.on(MessageType.Trade, (trade) => this.accept({ trades: [trade], quotes: [], deltas: [] }));
    this.on(MessageType.HistoryQuery, async (query) => this.query(query), { concurrent: true });
    this.timer = setInterval(() => this.flushSoon(), this.options.flushMs ?? 200);
  }

  private accept(batch: MarketDataBatch): void {
    for (const trade of batch.trades) {
      this.trades.push({ symbol: trade.symbol, price: trade.price, qty: trade.qty, side: trade.side >= 0 ? 1 : -1, tradeId: String(trade.tradeId), timeMs: Math.round(trade.timeMs) });
    }
    for (const quote of batch.quotes) this.quotes.push({ ...quote, timeMs: Math.round(quote.timeMs) });
    this.bound();
    if (this.trades.length + this.quotes.length >= (this.options.batchRows ?? 5_000)) this.flushSoon();
  }

  private acceptBar(bar: Bar): void {
    this.bars.push(bar);
    this.bound();
  }

  /** Drops the oldest rows past the buffer bound (counted: they never reached the store). */
  private bound(): void {
    const max = this.options.bufferRowsMax ?? kDefaultBufferRowsMax;
    const excess = this.trades.length + this.quotes.length + this.bars.length - max;
    if (excess <= 0) return;
    const fromQuotes = Math.min(excess, this.quotes.length);
    this.quotes.splice(0, fromQuotes);
    this.trades.splice(0, Math.min(excess - fromQuotes, this.trades.length));
    this.dropped += excess;
    const nowMs = this.clock.nowMs();
    if (nowMs - this.lastDropWarningMs >= 1_000) {
      this.lastDropWarningMs = nowMs;
      this.logger.warn({ droppedRows: this.dropped, bufferRowsMax: max }, 'tick store refusing writes and the buffer is full: dropping the oldest rows');
    }
  }

  private flushSoon(): void {
    if (this.writing !== null) return;
    if (this.trades.length === 0 && this.quotes.length === 0 && this.bars.length === 0) return;
    const trades = this.trades.splice(0, 10_000);
    const quotes = this.quotes.splice(0, 10_000);
    const bars = this.bars.splice(0, 10_000);
    this.writing = (async () => {
      try {
        if (trades.length > 0) await this.store.writeTrades(trades);
        if (quotes.length > 0) await this.store.writeQuotes(quotes);
        if (bars.length > 0) await this.store.writeBars(bars);
      } catch (error) {
        // Put them back in front and retry on the next tick (writes are idempotent: dedup keys).
        this.writeFailures++;
        this.trades.unshift(...trades);
        this.quotes.unshift(...quotes);
        this.bars.unshift(...bars);
        this.logger.warn({ err: error }, 'tick store write failed; retrying');
      } finally {
        this.writing = null;
      }
    })();
  }

  private async query(query: HistoryQuery): Promise<ExecutionResult> {
    if (query.kind === 'symbols') return { status: 200, result: await this.store.symbols() };
    if (typeof query.symbol !== 'string') throw new OctopusError('ERR_HTTP_BAD_REQUEST', 'expected a symbol, was none');
    const range = { fromMs: query.fromMs ?? 0, toMs: query.toMs ?? Date.now(), limit: query.limit ?? 1_000 };
    if (query.kind === 'trades') return { status: 200, result: await this.store.trades(query.symbol, range) };
    return { status: 200, result: await this.store.bars(query.symbol, { ...range, interval: query.interval ?? '1m' }) };
  }

  override async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    for (let attempt = 0; attempt < 3 && (this.writing !== null || this.trades.length + this.quotes.length + this.bars.length > 0); attempt++) {
      await this.writing;
      this.flushSoon();
      await this.writing;
    }
    await this.store.close();
  }

  override status(): Record<string, unknown> {
    const stats = this.store.stats();
    return { kind: this.store.kind, ...stats, buffered_rows: this.trades.length + this.quotes.length + this.bars.length, dropped_rows: this.dropped, write_failures: this.writeFailures };
  }
}

function openTickStore(options: WarehouseOptions): Promise<TickStore> {
  return openTickStoreFromEnvironment({ dataDir: options.dataDir, environment: { QUESTDB_URL: options.questdbUrl ?? '' } });
}
