/**
 * M1 collector: brings market data in from outside the engine's books.
 *   - a seeded random walk of trades (`--feed random-walk`), sent to the realtime actor;
 *   - replay of historical trades and quotes from a CSV file (`--replay FILE --replay-speed N|max`),
 *     validated (bad rows counted and dropped) and published like live data;
 *   - a real venue's public feed (Binance, Coinbase).
 * The simulated exchange is not here: it trades in the execution actor's books (see docs/orders.md).
 *
 * Backpressure (docs/runtime.md): nothing is dropped between actors. While a subscriber is behind (the
 * endpoint's outbox is congested), the random walk generates nothing (the trades it owes are capped), the
 * replay holds its file, and a venue feed is held in memory up to a bound; past it the venue connection
 * is closed and reopened once the subscribers caught up, so the books resynchronise from a fresh snapshot
 * instead of going on with a hole (a venue cannot be slowed down). Each of these is counted.
 */
import { Actor } from '../../engine/actor.js';
import { SendResult } from '../../engine/endpoint.js';
import { MessageType, marketEventCount, splitMarketData, type MarketDataBatch, type Side, type Trade } from '../../engine/messages.js';
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
/** Venue events held while the subscribers are behind; beyond it the venue is disconnected (see above). */
const kVenueHoldMax = 1_000_000;

export default class CollectorActor extends Actor<CollectorOptions> {
  private feed!: RandomWalkFeed;
  private timer: NodeJS.Timeout | null = null;
  private owed = 0;
  private tradesSent = 0;
  private backpressureTicks = 0;
  private replayHolds = 0;
  private venueDisconnects = 0;
  private lastTickMs = 0;
  private readonly replayAbort = new AbortController();
  private replayState: Record<string, unknown> = {};
  private venue: BinanceAdapter | CoinbaseAdapter | null = null;
  private venueHeld = false;
  private venueTimer: NodeJS.Timeout | null = null;
  private venueBatch: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
  private undelivered = 0;
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

  private get congested(): boolean {
    return this.context.endpoint.isCongested();
  }

  private tick(): void {
    const nowMs = this.clock.nowMs();
    // Trades owed since the last tick, from the elapsed time, so the rate holds even when timers are late.
    this.owed = Math.min(kMaxTradesPerTick, this.owed + ((nowMs - this.lastTickMs) * this.options.tradesPerSecond) / 1_000);
    this.lastTickMs = nowMs;
    if (this.congested) {
      // Held back: generate nothing now; what is owed stays capped, so a long stall does not become a burst.
      this.backpressureTicks++;
      this.owed = Math.min(this.owed, this.options.tradesPerSecond);
      return;
    }
    while (this.owed >= 1) {
      this.deliver(this.options.target, this.feed.next(nowMs));
      this.owed -= 1;
      this.tradesSent++;
    }
  }

  private deliver(target: string, trade: Trade): void {
    if (this.send(target, MessageType.Trade, trade) !== SendResult.Ok) this.undelivered++;
  }

  private publish(subscribers: readonly string[], batch: MarketDataBatch): void {
    const pieces = splitMarketData(batch);
    for (const subscriber of subscribers) {
      for (const piece of pieces) if (this.send(subscriber, MessageType.MarketDataBatch, piece) !== SendResult.Ok) this.undelivered++;
    }
  }

  private startReplay(options: NonNullable<CollectorOptions['replay']>): void {
    const validator = new MarketDataValidator({ symbols: this.options.symbols });
    let batch: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
    const flush = (): void => {
      if (marketEventCount(batch) === 0) return;
      this.publish(options.subscribers, batch);
      batch = { trades: [], quotes: [], deltas: [] };
    };
    const onEvent = (event: MarketEvent): Promise<void> | undefined => {
      if (event.kind === 'trade') {
        batch.trades.push({ symbol: event.symbol, price: event.price, qty: event.qty, side: event.side, tradeId: event.tradeId, timeMs: event.timeMs });
      } else if (event.kind === 'quote') {
        batch.quotes.push({ symbol: event.symbol, bidPrice: event.bidPrice, bidQty: event.bidQty, askPrice: event.askPrice, askQty: event.askQty, timeMs: event.timeMs });
      }
      // At real speed every event goes out at once; as fast as possible, in batches.
      if (Number.isFinite(options.speed) || marketEventCount(batch) >= kReplayBatchMax) flush();
      // Backpressure: the replay holds its file until the subscribers have caught up.
      const congestion = this.context.endpoint.congestion();
      if (congestion === null) return undefined;
      this.replayHolds++;
      return congestion;
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
    this.connectVenue(options);
    // Venue messages are batched: one message per 50 ms to each subscriber, unless they are behind.
    this.venueTimer = setInterval(() => this.flushVenue(options), 50);
  }

  private connectVenue(options: VenueOptions): void {
    const onEvent = (event: VenueEvent): void => this.onVenueEvent(event);
    const onError = (error: unknown): void => this.logger.warn({ err: error, venue: options.kind }, 'venue error');
    this.venue =
      options.kind === 'binance'
        ? new BinanceAdapter({ wsBaseUrl: options.wsUrl, restBaseUrl: options.restUrl ?? '', symbols: options.symbols, onEvent, onError })
        : new CoinbaseAdapter({ wsUrl: options.wsUrl, productIds: options.symbols, onEvent, onError });
    this.venue.start();
  }

  private flushVenue(options: VenueOptions): void {
    const held = marketEventCount(this.venueBatch);
    if (this.congested) {
      this.backpressureTicks++;
      if (held > kVenueHoldMax && !this.venueHeld) {
        // Too much held: stop reading the venue; reconnecting later resynchronises every book.
        this.venueHeld = true;
        this.venueDisconnects++;
        this.logger.warn({ held, venue: options.kind }, 'subscribers behind and the venue buffer full: disconnecting the venue until they catch up');
        this.venueBatch = { trades: [], quotes: [], deltas: [] };
        this.venueBooks.clear();
        this.venue?.stop().catch((error: unknown) => this.logger.warn({ err: error }, 'venue stop failed'));
      }
      return;
    }
    if (this.venueHeld) {
      this.venueHeld = false;
      this.connectVenue(options);
      return;
    }
    if (held === 0) return;
    const batch = this.venueBatch;
    this.venueBatch = { trades: [], quotes: [], deltas: [] };
    this.publish(options.subscribers, batch);
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
    const sides: Array<[Side, Map<number, number>, [number, number][]]> = [
      ['buy', book.bids, event.bids],
      ['sell', book.asks, event.asks],
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
      replay_holds: this.replayHolds,
      venue_disconnects_for_backpressure: this.venueDisconnects,
      undelivered: this.undelivered,
      replay: this.replayState,
      venue: this.venue === null ? null : { kind: this.options.venue?.kind, ...this.venue.stats() },
    };
  }
}
