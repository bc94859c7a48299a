/**
 * M1 collector: brings market data in from outside the engine's books.
 *   - a seeded random walk of trades (`--feed random-walk`), sent to the realtime actor;
 *   - replay of historical trades and quotes from a CSV file (`--replay FILE --replay-speed N|max`),
 *     validated (bad rows counted and dropped) and published like live data.
 * The simulated exchange is not here: it trades in the execution actor's books (see docs/orders.md).
 * When a target's inbox is full the collector holds the data and retries on its next tick
 * (backpressure), so nothing is silently dropped.
 */
import { Actor } from '../../engine/actor.js';
import { SendResult } from '../../engine/endpoint.js';
import { MessageType, type MarketDataBatch, type Trade } from '../../engine/messages.js';
import { replay } from './csv-replay.js';
import type { MarketEvent } from './market-events.js';
import { MarketDataValidator } from './market-data-validator.js';
import { RandomWalkFeed, defaultRandomWalkOptions } from './random-walk-feed.js';
import { BinanceAdapter } from './venues/binance.js';
import { CoinbaseAdapter } from './venues/coinbase.js';
import type { VenueEvent } from './venues/venue-events.js';

export interface VenueOptions {
  kind: 'binance' | 'coinbase';
  wsUrl: string;
  /** Binance only: the REST base for depth snapshots. */
  restUrl?: string;
  symbols: string[];
  subscribers: string[];
}

export interface CollectorOptions {
  symbols: string[];
  seed: number;
  /** Random-walk trades per second across all symbols; 0 disables the random walk. */
  tradesPerSecond: number;
  /** Where random-walk trades go. */
  target: string;
  /** Generation tick; trades for the tick are sent as one burst. */
  tickMs?: number;
  /** CSV replay: the file, its speed (1 = real time, 10 = ten times faster, Infinity = as fast as possible) and where batches go. */
  replay?: { file: string; speed: number; subscribers: string[] };
  /** A real venue's public market data (Binance spot or Coinbase Advanced Trade). */
  venue?: VenueOptions;
}

const kMaxTradesPerTick = 100_000;
const kReplayBatchMax = 1_000;

export default class CollectorActor extends Actor<CollectorOptions> {
  private feed!: RandomWalkFeed;
  private timer: NodeJS.Timeout | null = null;
  private held: Trade | null = null;
  private owed = 0;
  private tradesSent = 0;
  private backpressureTicks = 0;
  private lastTickMs = 0;
  private readonly replayAbort = new AbortController();
  private replayState: Record<string, unknown> = {};
  private venue: BinanceAdapter | CoinbaseAdapter | null = null;
  private venueTimer: NodeJS.Timeout | null = null;
  private venueBatch: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
  /** The venue books as last published (to turn a venue snapshot into deltas that clear stale levels). */
  private readonly venueBooks = new Map<string, { bids: Map<number, number>; asks: Map<number, number> }>();

  override start(): void {
    this.feed = new RandomWalkFeed({ ...defaultRandomWalkOptions, symbols: this.options.symbols, seed: this.options.seed });
    if (this.options.replay !== undefined) this.startReplay(this.options.replay);
    if (this.options.venue !== undefined) this.startVenue(this.options.venue);
    if (this.options.tradesPerSecond <= 0) return;
    const tickMs = this.options.tickMs ?? 10;
    this.lastTickMs = this.clock.nowMs();
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  private tick(): void {
    const nowMs = this.clock.nowMs();
    // Trades owed since the last tick, from the elapsed time, so the rate holds even when timers are late.
    this.owed = Math.min(kMaxTradesPerTick, this.owed + ((nowMs - this.lastTickMs) * this.options.tradesPerSecond) / 1_000);
    this.lastTickMs = nowMs;
    while (this.owed >= 1) {
      const trade = this.held ?? this.feed.next(nowMs);
      const result = this.send(this.options.target, MessageType.Trade, trade);
      if (result === SendResult.Full) {
        this.held = trade;
        this.backpressureTicks++;
        return;
      }
      // A dead-letter result means the target is gone for good: the trade is counted there, not retried.
      this.held = null;
      this.owed -= 1;
      this.tradesSent++;
    }
  }

  private startReplay(options: NonNullable<CollectorOptions['replay']>): void {
    const validator = new MarketDataValidator({ symbols: this.options.symbols });
    let batch: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
    const flush = (): void => {
      if (batch.trades.length + batch.quotes.length === 0) return;
      for (const subscriber of options.subscribers) {
        // Replay waits for room rather than dropping: the inbox drains within milliseconds.
        while (this.send(subscriber, MessageType.MarketDataBatch, batch) === SendResult.Full) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      }
      batch = { trades: [], quotes: [], deltas: [] };
    };
    const onEvent = (event: MarketEvent): void => {
      if (event.kind === 'trade') {
        batch.trades.push({ symbol: event.symbol, price: event.price, qty: event.qty, side: event.side === 'buy' ? 1 : -1, tradeId: event.tradeId, timeMs: event.timeMs });
      } else if (event.kind === 'quote') {
        batch.quotes.push({ symbol: event.symbol, bidPrice: event.bidPrice, bidQty: event.bidQty, askPrice: event.askPrice, askQty: event.askQty, timeMs: event.timeMs });
      }
      // At real speed every event goes out at once; as fast as possible, in batches.
      if (Number.isFinite(options.speed) || batch.trades.length + batch.quotes.length >= kReplayBatchMax) flush();
    };
    this.replayState = { file: options.file, speed: options.speed, state: 'running' };
    replay(options.file, options.speed, onEvent, { validator, signal: this.replayAbort.signal }).then(
      (stats) => {
        flush();
        this.replayState = { ...this.replayState, state: 'done', ...stats, rejected: validator.stats() };
        this.logger.info({ stats, rejected: validator.stats() }, 'replay finished');
      },
      (error: unknown) => {
        if (this.replayAbort.signal.aborted) return;
        this.replayState = { ...this.replayState, state: 'failed', error: String(error) };
        this.logger.error({ err: error }, 'replay failed');
      },
    );
  }

  private startVenue(options: VenueOptions): void {
    const onEvent = (event: VenueEvent): void => this.onVenueEvent(event);
    const onError = (error: unknown): void => this.logger.warn({ err: error, venue: options.kind }, 'venue error');
    this.venue =
      options.kind === 'binance'
        ? new BinanceAdapter({ wsBaseUrl: options.wsUrl, restBaseUrl: options.restUrl ?? '', symbols: options.symbols, onEvent, onError })
        : new CoinbaseAdapter({ wsUrl: options.wsUrl, productIds: options.symbols, onEvent, onError });
    this.venue.start();
    // Venue messages are batched: one message per 50 ms to each subscriber.
    this.venueTimer = setInterval(() => {
      const batch = this.venueBatch;
      if (batch.trades.length + batch.deltas.length === 0) return;
      this.venueBatch = { trades: [], quotes: [], deltas: [] };
      for (const subscriber of options.subscribers) {
        if (this.send(subscriber, MessageType.MarketDataBatch, batch) !== SendResult.Ok) this.backpressureTicks++;
      }
    }, 50);
  }

  private onVenueEvent(event: VenueEvent): void {
    const timeMs = event.type === 'trade' ? event.timeMs : event.type === 'book' ? event.timeMs || this.clock.nowMs() : 0;
    if (event.type === 'trade') {
      this.venueBatch.trades.push({ symbol: event.symbol, price: event.price, qty: event.qty, side: event.side, tradeId: event.tradeId, timeMs: event.timeMs });
      return;
    }
    if (event.type !== 'book') return;
    let book = this.venueBooks.get(event.symbol);
    if (book === undefined) this.venueBooks.set(event.symbol, (book = { bids: new Map(), asks: new Map() }));
    const sides: Array<['bid' | 'ask', Map<number, number>, [number, number][]]> = [
      ['bid', book.bids, event.bids],
      ['ask', book.asks, event.asks],
    ];
    for (const [side, levels, updates] of sides) {
      if (event.snapshot) {
        // A snapshot replaces the book: levels it lacks are removed downstream too.
        const keep = new Set(updates.map(([price]) => price));
        for (const price of levels.keys()) {
          if (!keep.has(price)) this.venueBatch.deltas.push({ symbol: event.symbol, side, price, qty: 0, timeMs });
        }
        levels.clear();
      }
      for (const [price, qty] of updates) {
        if (qty > 0) levels.set(price, qty);
        else levels.delete(price);
        this.venueBatch.deltas.push({ symbol: event.symbol, side, price, qty, timeMs });
      }
    }
  }

  override async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.venueTimer !== null) clearInterval(this.venueTimer);
    this.venueTimer = null;
    this.replayAbort.abort();
    await this.venue?.stop();
  }

  override status(): Record<string, unknown> {
    return {
      trades_sent: this.tradesSent,
      backpressure_ticks: this.backpressureTicks,
      holding: this.held !== null,
      replay: this.replayState,
      venue: this.venue === null ? null : { kind: this.options.venue?.kind, ...this.venue.stats() },
    };
  }
}
