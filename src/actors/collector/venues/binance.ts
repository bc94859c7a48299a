/**
 * Binance spot public market data: combined streams over one WebSocket (`/stream?streams=...`) and the
 * REST depth snapshot (`GET /api/v3/depth`), normalised into venue events.
 *
 * The local order book follows Binance's "How to manage a local order book correctly" (spot API docs,
 * diff. depth stream):
 *   1. open the `<symbol>@depth@100ms` stream and buffer its events;
 *   2. GET /api/v3/depth?symbol=..&limit=1000; if its lastUpdateId is older than the first buffered
 *      event's U, fetch it again;
 *   3. drop buffered events with u <= lastUpdateId;
 *   4. the first applied event must have U <= lastUpdateId + 1 <= u;
 *   5. each later event must have U == previous u + 1, otherwise the book has a gap: discard it and
 *      restart from step 2 (a resync);
 *   6. quantities are absolute; qty 0 removes the level (removing an unknown level is normal).
 * Binance puts the whole stream list in the URL, so "resubscribe" is "reconnect with the same URL".
 */
import { octopusError, type OctopusError } from '../../../engine/errors.js';
import { LocalBook } from './local-book.js';
import {
  ReconnectingSocket,
  backoffDelayMs,
  defaultReconnectOptions,
  type ReconnectOptions,
} from './reconnecting-socket.js';
import {
  emptyVenueStats,
  parseCount,
  parseDecimal,
  parseLevelPairs,
  parsePrice,
  type PriceLevel,
  type VenueEvent,
  type VenueStats,
} from './venue-events.js';

/** Binance kline intervals with a fixed length. `1M` (calendar month) is not supported. */
export const binanceKlineIntervalsMs: Readonly<Record<string, number>> = {
  '1s': 1_000,
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '3d': 259_200_000,
  '1w': 604_800_000,
};

export interface BinanceOptions {
  /** WebSocket base, e.g. `wss://stream.binance.com:9443`; the adapter appends `/stream?streams=...`. */
  wsBaseUrl: string;
  /** REST base, e.g. `https://api.binance.com`; the adapter appends `/api/v3/depth?...`. */
  restBaseUrl: string;
  /** Symbols as Binance spells them (`BTCUSDT`); case is normalised. */
  symbols: readonly string[];
  /** Subscribe to `<symbol>@trade`. Default true. */
  trades?: boolean;
  /** Subscribe to `<symbol>@depth@100ms` and keep a local book. Default true. */
  depth?: boolean;
  /** Kline intervals (`1m`, `5m`, ...) to subscribe to; default none. */
  klineIntervals?: readonly string[];
  /** `limit` of the REST snapshot: 5..5000. Default 1000. */
  depthSnapshotLimit?: number;
  /** Depth events buffered per symbol while a snapshot is fetched; the oldest is dropped beyond. Default 1000. */
  maxBufferedDepthEvents?: number;
  /** Levels per book side; a book growing beyond resynchronises. Default 10 000. */
  maxLevelsPerSide?: number;
  /** Timeout of one REST snapshot request. Default 10 s. */
  requestTimeoutMs?: number;
  /** Snapshot attempts per sync before the connection is restarted. Default 5. */
  maxSnapshotAttempts?: number;
  reconnect?: Partial<ReconnectOptions>;
  /** Receives every normalised event, synchronously, in venue order per stream. */
  onEvent: (event: VenueEvent) => void;
  /** Receives expected failures (snapshot failed, venue unreachable); the adapter keeps going unless it gave up. */
  onError?: (error: OctopusError) => void;
}

/** Binance allows at most 1024 streams per connection. */
const kMaxStreams = 1024;
/** Snapshot bodies beyond this are refused (5000 levels a side is about 250 kB). */
const kMaxSnapshotBytes = 4 * 1024 * 1024;
/** A depth event carries at most this many changed levels per side (Binance sends up to 1000). */
const kMaxDepthLevelsPerEvent = 5_000;

interface DepthEvent {
  firstUpdateId: number;
  finalUpdateId: number;
  timeMs: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

interface DepthSnapshot {
  lastUpdateId: number;
  bids: PriceLevel[];
  asks: PriceLevel[];
}

type DepthPhase = 'buffering' | 'synced';

interface DepthState {
  symbol: string;
  book: LocalBook;
  phase: DepthPhase;
  buffer: DepthEvent[];
  /** The update id the book reflects (`lastUpdateId`, then each applied `u`). */
  lastUpdateId: number;
  /** False until the first event after the snapshot is applied (it follows the looser rule 4). */
  firstApplied: boolean;
  snapshotInFlight: boolean;
  snapshotAttempts: number;
  /** Bumped on every resync and reconnect, so that a late snapshot for an old attempt is ignored. */
  generation: number;
}

interface ResolvedBinanceOptions {
  symbols: string[];
  trades: boolean;
  depth: boolean;
  klineIntervals: string[];
  depthSnapshotLimit: number;
  maxBufferedDepthEvents: number;
  maxLevelsPerSide: number;
  requestTimeoutMs: number;
  maxSnapshotAttempts: number;
  reconnect: ReconnectOptions;
}

/** Throws ERR_CONFIG_INVALID naming the first option out of bounds. */
function resolveOptions(options: BinanceOptions): ResolvedBinanceOptions {
  const invalid = (what: string, value: unknown): never => {
    throw octopusError('ERR_CONFIG_INVALID', `expected ${what}, was ${JSON.stringify(value)}`);
  };
  for (const base of [options.wsBaseUrl, options.restBaseUrl]) {
    if (typeof base !== 'string' || !URL.canParse(base)) invalid('an absolute base URL', base);
  }
  const symbols = options.symbols.map((symbol) => symbol.toUpperCase());
  if (symbols.length === 0) invalid('at least one symbol', symbols);
  for (const symbol of symbols) if (!/^[A-Z0-9]{2,20}$/.test(symbol)) invalid('a Binance symbol such as BTCUSDT', symbol);
  const klineIntervals = [...(options.klineIntervals ?? [])];
  for (const interval of klineIntervals) if (binanceKlineIntervalsMs[interval] === undefined) invalid('a fixed-length kline interval', interval);
  const resolved: ResolvedBinanceOptions = {
    symbols,
    trades: options.trades ?? true,
    depth: options.depth ?? true,
    klineIntervals,
    depthSnapshotLimit: options.depthSnapshotLimit ?? 1_000,
    maxBufferedDepthEvents: options.maxBufferedDepthEvents ?? 1_000,
    maxLevelsPerSide: options.maxLevelsPerSide ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    maxSnapshotAttempts: options.maxSnapshotAttempts ?? 5,
    reconnect: { ...defaultReconnectOptions, ...options.reconnect },
  };
  const { depthSnapshotLimit: limit, maxBufferedDepthEvents, maxSnapshotAttempts, requestTimeoutMs } = resolved;
  if (!Number.isSafeInteger(limit) || limit < 5 || limit > 5_000) invalid('depthSnapshotLimit in [5, 5000]', limit);
  if (!Number.isSafeInteger(maxBufferedDepthEvents) || maxBufferedDepthEvents < 1) invalid('maxBufferedDepthEvents >= 1', maxBufferedDepthEvents);
  if (!Number.isSafeInteger(maxSnapshotAttempts) || maxSnapshotAttempts < 1) invalid('maxSnapshotAttempts >= 1', maxSnapshotAttempts);
  if (!(requestTimeoutMs > 0) || !Number.isFinite(requestTimeoutMs)) invalid('requestTimeoutMs > 0', requestTimeoutMs);
  const streamCount = symbols.length * ((resolved.trades ? 1 : 0) + (resolved.depth ? 1 : 0) + klineIntervals.length);
  if (streamCount === 0 || streamCount > kMaxStreams) invalid(`between 1 and ${kMaxStreams} streams`, streamCount);
  return resolved;
}

export class BinanceAdapter {
  private readonly options: ResolvedBinanceOptions;
  private readonly socket: ReconnectingSocket;
  private readonly depthStates = new Map<string, DepthState>();
  private readonly counters: VenueStats = emptyVenueStats();
  private readonly timers = new Set<NodeJS.Timeout>();
  private running = false;

  /** Throws ERR_CONFIG_INVALID on bad options (see `BinanceOptions`). */
  constructor(private readonly callbacks: BinanceOptions) {
    this.options = resolveOptions(callbacks);
    for (const symbol of this.options.symbols) {
      this.depthStates.set(symbol, {
        symbol,
        book: new LocalBook(this.options.maxLevelsPerSide),
        phase: 'buffering',
        buffer: [],
        lastUpdateId: 0,
        firstApplied: false,
        snapshotInFlight: false,
        snapshotAttempts: 0,
        generation: 0,
      });
    }
    this.socket = new ReconnectingSocket({
      url: () => this.streamUrl(),
      reconnect: this.options.reconnect,
      onOpen: () => this.onOpen(),
      onMessage: (text) => this.onMessage(text),
      onClose: () => this.resetDepth(),
      onGiveUp: (error) => this.report(error),
    });
  }

  /** The combined-stream URL, e.g. `wss://host/stream?streams=btcusdt@trade/btcusdt@depth@100ms`. */
  streamUrl(): string {
    const streams: string[] = [];
    for (const symbol of this.options.symbols) {
      const lower = symbol.toLowerCase();
      if (this.options.trades) streams.push(`${lower}@trade`);
      if (this.options.depth) streams.push(`${lower}@depth@100ms`);
      for (const interval of this.options.klineIntervals) streams.push(`${lower}@kline_${interval}`);
    }
    return `${this.callbacks.wsBaseUrl.replace(/\/+$/, '')}/stream?streams=${streams.join('/')}`;
  }

  start(): void {
    this.running = true;
    this.socket.start();
  }

  /** Closes the connection and cancels pending snapshot retries; in-flight snapshots are ignored. */
  async stop(): Promise<void> {
    this.running = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.resetDepth();
    await this.socket.stop();
  }

  stats(): VenueStats {
    return { ...this.counters };
  }

  /** The local book of `symbol`, or undefined for an unknown symbol. `synced` is false while rebuilding. */
  book(symbol: string): { synced: boolean; lastUpdateId: number; bids: PriceLevel[]; asks: PriceLevel[] } | undefined {
    const state = this.depthStates.get(symbol.toUpperCase());
    if (state === undefined) return undefined;
    return { synced: state.phase === 'synced', lastUpdateId: state.lastUpdateId, bids: state.book.levels('buy'), asks: state.book.levels('sell') };
  }

  private onOpen(): void {
    if (this.socket.openedCount > 1) this.counters.reconnects++;
  }

  /** Every connection starts a new sync: updates missed while disconnected cannot be recovered. */
  private resetDepth(): void {
    for (const state of this.depthStates.values()) this.restartSync(state);
  }

  private restartSync(state: DepthState): void {
    state.phase = 'buffering';
    state.buffer = [];
    state.book.clear();
    state.lastUpdateId = 0;
    state.firstApplied = false;
    state.snapshotInFlight = false;
    state.snapshotAttempts = 0;
    state.generation++;
  }

  private onMessage(text: string): void {
    this.counters.messages++;
    let envelope: unknown;
    try {
      envelope = JSON.parse(text);
    } catch {
      this.counters.invalid++;
      return;
    }
    if (typeof envelope !== 'object' || envelope === null) {
      this.counters.invalid++;
      return;
    }
    const { stream, data } = envelope as { stream?: unknown; data?: unknown };
    if (typeof stream !== 'string' || typeof data !== 'object' || data === null) {
      this.counters.invalid++;
      return;
    }
    const record = data as Record<string, unknown>;
    if (record.e === 'trade') this.onTrade(record);
    else if (record.e === 'kline') this.onKline(record);
    else if (record.e === 'depthUpdate') this.onDepthMessage(record);
    else this.counters.invalid++;
  }

  private onTrade(data: Record<string, unknown>): void {
    const price = parsePrice(data.p);
    const qty = parseDecimal(data.q);
    const tradeId = parseCount(data.t);
    const timeMs = parseCount(data.T);
    const symbol = typeof data.s === 'string' ? data.s : undefined;
    if (price === undefined || qty === undefined || qty <= 0 || tradeId === undefined || timeMs === undefined || symbol === undefined || typeof data.m !== 'boolean') {
      this.counters.invalid++;
      return;
    }
    this.counters.trades++;
    // `m` is "is the buyer the market maker": a maker buyer means the seller was the aggressor.
    this.emit({ type: 'trade', venue: 'binance', symbol, price, qty, side: data.m ? 'sell' : 'buy', tradeId, timeMs });
  }

  private onKline(data: Record<string, unknown>): void {
    const kline = data.k as Record<string, unknown> | undefined;
    if (typeof kline !== 'object' || kline === null) {
      this.counters.invalid++;
      return;
    }
    const intervalMs = typeof kline.i === 'string' ? binanceKlineIntervalsMs[kline.i] : undefined;
    const startMs = parseCount(kline.t);
    const trades = parseCount(kline.n);
    const open = parsePrice(kline.o);
    const high = parsePrice(kline.h);
    const low = parsePrice(kline.l);
    const close = parsePrice(kline.c);
    const volume = parseDecimal(kline.v);
    const symbol = typeof kline.s === 'string' ? kline.s : undefined;
    if (intervalMs === undefined || startMs === undefined || trades === undefined || open === undefined || high === undefined ||
      low === undefined || close === undefined || volume === undefined || symbol === undefined || typeof kline.x !== 'boolean' ||
      low > high) {
      this.counters.invalid++;
      return;
    }
    this.counters.klines++;
    this.emit({ type: 'kline', venue: 'binance', symbol, intervalMs, startMs, open, high, low, close, volume, trades, closed: kline.x });
  }

  private onDepthMessage(data: Record<string, unknown>): void {
    const symbol = typeof data.s === 'string' ? data.s : '';
    const state = this.depthStates.get(symbol);
    const firstUpdateId = parseCount(data.U);
    const finalUpdateId = parseCount(data.u);
    if (state === undefined || firstUpdateId === undefined || finalUpdateId === undefined || firstUpdateId > finalUpdateId) {
      // Without usable ids the event cannot be placed; the next event's U reveals the gap if it mattered.
      this.counters.invalid++;
      return;
    }
    const bids = parseLevelPairs(data.b, kMaxDepthLevelsPerEvent);
    const asks = parseLevelPairs(data.a, kMaxDepthLevelsPerEvent);
    const timeMs = parseCount(data.E) ?? 0;
    if (bids === undefined || asks === undefined) {
      // The ids are sound but the content is not: the book would silently miss this update, so rebuild it.
      this.counters.invalid++;
      if (state.phase === 'synced') this.resync(state, null);
      return;
    }
    this.onDepthEvent(state, { firstUpdateId, finalUpdateId, timeMs, bids, asks });
  }

  private onDepthEvent(state: DepthState, event: DepthEvent): void {
    if (state.phase === 'synced') {
      this.applyOrResync(state, event);
      return;
    }
    if (state.buffer.length >= this.options.maxBufferedDepthEvents) {
      state.buffer.shift();
      this.counters.dropped++;
    }
    state.buffer.push(event);
    if (!state.snapshotInFlight) this.requestSnapshot(state);
  }

  /** Rules 4 and 5: apply `event` if it continues the book, else count a gap and resync. */
  private applyOrResync(state: DepthState, event: DepthEvent): void {
    if (event.finalUpdateId <= state.lastUpdateId) {
      this.counters.dropped++;
      return;
    }
    const next = state.lastUpdateId + 1;
    const continues = state.firstApplied ? event.firstUpdateId === next : event.firstUpdateId <= next && next <= event.finalUpdateId;
    if (!continues) {
      this.counters.gaps++;
      this.resync(state, event);
      return;
    }
    if (!state.book.setAll('buy', event.bids) || !state.book.setAll('sell', event.asks)) {
      this.resync(state, event);
      return;
    }
    state.lastUpdateId = event.finalUpdateId;
    state.firstApplied = true;
    this.counters.bookUpdates++;
    this.emit({ type: 'book', venue: 'binance', symbol: state.symbol, snapshot: false, bids: event.bids, asks: event.asks, sequence: event.finalUpdateId, timeMs: event.timeMs });
  }

  /** Discards the book and starts again from the snapshot, keeping `event` (newer than the book) buffered. */
  private resync(state: DepthState, event: DepthEvent | null): void {
    this.counters.resyncs++;
    this.restartSync(state);
    if (event !== null) this.onDepthEvent(state, event);
  }

  private requestSnapshot(state: DepthState): void {
    state.snapshotInFlight = true;
    const generation = state.generation;
    this.fetchSnapshot(state.symbol).then(
      (snapshot) => {
        if (state.generation === generation && this.running) this.onSnapshot(state, snapshot);
      },
      (error: unknown) => {
        if (state.generation === generation && this.running) this.onSnapshotFailed(state, error);
      },
    ).catch((error: unknown) => {
      // A throw inside the handlers above is a broken invariant in this adapter: report it, never swallow it.
      this.report(octopusError('ERR_INTERNAL', `expected the snapshot handler to succeed, was ${String(error)}`, error));
    });
  }

  /** Rules 2 and 3, then replays what is left of the buffer through rules 4 and 5. */
  private onSnapshot(state: DepthState, snapshot: DepthSnapshot): void {
    const first = state.buffer[0];
    if (first !== undefined && snapshot.lastUpdateId < first.firstUpdateId - 1) {
      // The snapshot predates everything buffered (the buffer head may be lost): fetch a newer one.
      this.onSnapshotFailed(state, octopusError('ERR_VENUE_SNAPSHOT_FAILED', `expected snapshot lastUpdateId >= ${first.firstUpdateId - 1}, was ${snapshot.lastUpdateId}`));
      return;
    }
    state.book.clear();
    if (!state.book.setAll('buy', snapshot.bids) || !state.book.setAll('sell', snapshot.asks)) {
      this.onSnapshotFailed(state, octopusError('ERR_VENUE_SNAPSHOT_FAILED', `expected at most ${this.options.maxLevelsPerSide} levels a side, was more`));
      return;
    }
    state.snapshotInFlight = false;
    state.snapshotAttempts = 0;
    state.phase = 'synced';
    state.lastUpdateId = snapshot.lastUpdateId;
    state.firstApplied = false;
    this.counters.snapshots++;
    this.emit({ type: 'book', venue: 'binance', symbol: state.symbol, snapshot: true, bids: state.book.levels('buy'), asks: state.book.levels('sell'), sequence: snapshot.lastUpdateId, timeMs: 0 });
    const buffered = state.buffer;
    state.buffer = [];
    const generation = state.generation;
    for (const event of buffered) {
      // A gap inside the buffer starts a new sync (new generation) that re-buffers the rest.
      if (state.generation !== generation) this.onDepthEvent(state, event);
      else this.applyOrResync(state, event);
    }
  }

  private onSnapshotFailed(state: DepthState, error: unknown): void {
    state.snapshotAttempts++;
    if (state.snapshotAttempts >= this.options.maxSnapshotAttempts) {
      this.report(octopusError('ERR_VENUE_SNAPSHOT_FAILED', `expected a usable ${state.symbol} depth snapshot within ${this.options.maxSnapshotAttempts} attempts, was ${String(error)}`, error));
      // Starting over with a fresh connection is the documented recovery; it also resets every book.
      this.socket.restart();
      return;
    }
    const generation = state.generation;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (state.generation === generation && this.running) this.requestSnapshot(state);
    }, backoffDelayMs(state.snapshotAttempts - 1, this.options.reconnect, Math.random));
    this.timers.add(timer);
  }

  /** GET /api/v3/depth. Throws ERR_VENUE_SNAPSHOT_FAILED on a network error, bad status or malformed body. */
  private async fetchSnapshot(symbol: string): Promise<DepthSnapshot> {
    const url = `${this.callbacks.restBaseUrl.replace(/\/+$/, '')}/api/v3/depth?symbol=${symbol}&limit=${this.options.depthSnapshotLimit}`;
    let text: string;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.options.requestTimeoutMs) });
      text = await response.text();
      if (!response.ok) throw octopusError('ERR_VENUE_SNAPSHOT_FAILED', `expected HTTP 200 from ${url}, was ${response.status}`);
    } catch (error) {
      throw octopusError('ERR_VENUE_SNAPSHOT_FAILED', `expected a depth snapshot from ${url}, was ${String(error)}`, error);
    }
    if (text.length > kMaxSnapshotBytes) throw octopusError('ERR_VENUE_SNAPSHOT_FAILED', `expected at most ${kMaxSnapshotBytes} bytes, was ${text.length}`);
    let body: { lastUpdateId?: unknown; bids?: unknown; asks?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch (error) {
      this.counters.invalid++;
      throw octopusError('ERR_VENUE_SNAPSHOT_FAILED', 'expected a JSON depth snapshot, was malformed', error);
    }
    const lastUpdateId = parseCount(body?.lastUpdateId);
    const bids = parseLevelPairs(body?.bids, this.options.maxLevelsPerSide);
    const asks = parseLevelPairs(body?.asks, this.options.maxLevelsPerSide);
    if (lastUpdateId === undefined || bids === undefined || asks === undefined) {
      this.counters.invalid++;
      throw octopusError('ERR_VENUE_SNAPSHOT_FAILED', 'expected {lastUpdateId, bids, asks} with decimal string levels, was malformed');
    }
    return { lastUpdateId, bids, asks };
  }

  private emit(event: VenueEvent): void {
    this.callbacks.onEvent(event);
  }

  private report(error: OctopusError): void {
    this.callbacks.onError?.(error);
  }
}
