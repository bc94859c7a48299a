/**
 * M2 warehouse: stores the trades, quotes and bars that reach it in the tick store (embedded LMDB by
 * default, QuestDB when QUESTDB_URL is set) and answers history queries.
 *
 * Writes are batched (flush every `flushMs` or `batchRows`). While the store refuses writes (QuestDB down
 * and its retry buffer full), rows wait in a bounded buffer here; once that is full the actor stops taking
 * market data from its inbox (the handler holds it until the buffer drains), so the producers slow down:
 * rows are never dropped. A write is retried until the store takes it; nothing the store acknowledged is
 * lost.
 */
import { Actor } from '../../engine/actor.js';
import { OctopusError } from '../../engine/errors.js';
import { MessageType, type Bar, type MarketDataBatch } from '../../engine/messages.js';
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
/** How often a held inbox re-checks the buffer. */
const kHoldPollMs = 20;

export default class WarehouseActor extends Actor<WarehouseOptions> {
  private store!: TickStore;
  private trades: TradeRow[] = [];
  private quotes: QuoteRow[] = [];
  private bars: BarRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private holds = 0;
  private writeFailures = 0;

  override async start(): Promise<void> {
    this.store = await openTickStore(this.options);
    this.logger.info({ kind: this.store.kind }, 'tick store open');
    this.on(MessageType.MarketDataBatch, (batch) => this.accept(batch));
    this.on(MessageType.Bar, (bar) => this.acceptBar(bar));
    this.on(MessageType.Trade, (trade) => this.accept({ trades: [trade], quotes: [], deltas: [] }));
    this.on(MessageType.TradesQuery, (query) => this.store.trades(this.symbolOf(query.symbol), { fromMs: query.fromMs, toMs: query.toMs, limit: query.limit, newestFirst: query.newestFirst, beforeTradeId: query.beforeTradeId }), { concurrent: true });
    this.on(MessageType.BarsQuery, (query) => this.store.bars(this.symbolOf(query.symbol), { fromMs: query.fromMs, toMs: query.toMs, limit: query.limit, interval: query.interval, newestFirst: query.newestFirst }), { concurrent: true });
    this.on(MessageType.SymbolsQuery, () => this.store.symbols(), { concurrent: true });
    this.timer = setInterval(() => this.flushSoon(), this.options.flushMs ?? 200);
  }

  private symbolOf(symbol: unknown): string {
    if (typeof symbol !== 'string' || symbol === '') throw new OctopusError('ERR_WAREHOUSE_BAD_SYMBOL', `expected a symbol, was ${JSON.stringify(symbol)}`);
    return symbol;
  }

  private get bufferedRows(): number {
    return this.trades.length + this.quotes.length + this.bars.length;
  }

  private accept(batch: MarketDataBatch): Promise<void> | undefined {
    for (const trade of batch.trades) {
      this.trades.push({ symbol: trade.symbol, price: trade.price, qty: trade.qty, side: trade.side, tradeId: String(trade.tradeId), timeMs: Math.round(trade.timeMs) });
    }
    for (const quote of batch.quotes) this.quotes.push({ ...quote, timeMs: Math.round(quote.timeMs) });
    if (this.trades.length + this.quotes.length >= (this.options.batchRows ?? 5_000)) this.flushSoon();
    return this.holdWhileFull();
  }

  private acceptBar(bar: Bar): Promise<void> | undefined {
    this.bars.push(bar);
    return this.holdWhileFull();
  }

  /**
   * Undefined while the buffer has room; once it is full, a promise that resolves when writes have drained
   * it below the bound again. The handler returns it, so the inbox is held meanwhile (backpressure).
   */
  private holdWhileFull(): Promise<void> | undefined {
    const max = this.options.bufferRowsMax ?? kDefaultBufferRowsMax;
    if (this.bufferedRows < max) return undefined;
    this.holds++;
    this.logger.warn({ bufferedRows: this.bufferedRows, bufferRowsMax: max }, 'tick store behind and the buffer full: holding market data upstream');
    return new Promise<void>((resolve) => {
      const poll = (): void => {
        this.flushSoon();
        if (this.bufferedRows < max) resolve();
        else setTimeout(poll, kHoldPollMs);
      };
      setTimeout(poll, kHoldPollMs);
    });
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
    return { kind: this.store.kind, ...stats, buffered_rows: this.bufferedRows, backpressure_holds: this.holds, write_failures: this.writeFailures };
  }
}

function openTickStore(options: WarehouseOptions): Promise<TickStore> {
  return openTickStoreFromEnvironment({ dataDir: options.dataDir, environment: { QUESTDB_URL: options.questdbUrl ?? '' } });
}
