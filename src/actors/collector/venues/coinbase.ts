/**
 * Coinbase Advanced Trade public market data over one WebSocket: channels `level2`, `market_trades` and
 * `heartbeats`, normalised into venue events.
 *
 * Book synchronisation: every message on a connection carries `sequence_num`, which starts afresh per
 * connection and grows by exactly 1 per message across all channels. A level2 subscription starts with a
 * `snapshot` event per product and continues with `update` events (absolute quantities, 0 = remove).
 * Any break in `sequence_num` means a message was lost, and it may have been a level2 update: the books
 * are discarded and level2 is unsubscribed and subscribed again, which makes Coinbase send a fresh
 * snapshot. Until it arrives, updates for those products are dropped (counted).
 */
import { octopusError, type OctopusError } from '../../../engine/errors.js';
import { LocalBook, type BookSide } from './local-book.js';
import { ReconnectingSocket, defaultReconnectOptions, type ReconnectOptions } from './reconnecting-socket.js';
import {
  emptyVenueStats,
  parseCount,
  parseDecimal,
  parsePrice,
  type KlineEvent,
  type PriceLevel,
  type VenueEvent,
  type VenueStats,
} from './venue-events.js';

export type CoinbaseChannel = 'level2' | 'market_trades' | 'heartbeats' | 'candles';

export interface CoinbaseOptions {
  /** WebSocket URL, e.g. `wss://advanced-trade-ws.coinbase.com`. */
  wsUrl: string;
  /** Products as Coinbase spells them (`BTC-USD`). */
  productIds: readonly string[];
  /**
   * Channels to subscribe to. Default level2, market_trades and heartbeats (heartbeats keep quiet
   * products' connections alive); `candles` (5-minute bars) is opt-in.
   */
  channels?: readonly CoinbaseChannel[];
  /**
   * What `side` in market_trades means. Coinbase's Exchange feed documents it as the maker order's side
   * ("maker": BUY means a resting buy was hit, so the seller was the aggressor, side -1); set "taker" if
   * your feed reports the aggressor's side. Default "maker".
   */
  tradeSideIs?: 'maker' | 'taker';
  /** Levels per book side; a book growing beyond resynchronises. Default 10 000. */
  maxLevelsPerSide?: number;
  reconnect?: Partial<ReconnectOptions>;
  /** Receives every normalised event, synchronously, in connection order. */
  onEvent: (event: VenueEvent) => void;
  /** Receives expected failures (venue unreachable, venue error messages). */
  onError?: (error: OctopusError) => void;
}

/** Products per connection; Coinbase limits subscriptions per connection, and big books cost memory. */
const kMaxProducts = 100;
/** Updates accepted in one l2_data event; a snapshot of a deep book has a few tens of thousands. */
const kMaxUpdatesPerEvent = 100_000;
const kChannels: readonly CoinbaseChannel[] = ['level2', 'market_trades', 'heartbeats', 'candles'];
const kDefaultChannels: readonly CoinbaseChannel[] = ['level2', 'market_trades', 'heartbeats'];
/** Coinbase Advanced Trade candles are 5-minute bars. */
const kCandleIntervalMs = 300_000;

interface ProductState {
  productId: string;
  book: LocalBook;
  synced: boolean;
  /** `sequence_num` of the last l2_data message applied to this book. */
  sequence: number;
}

interface Level2Change {
  side: BookSide;
  price: number;
  qty: number;
}

/** Throws ERR_CONFIG_INVALID naming the first option out of bounds. */
function validateOptions(options: CoinbaseOptions): void {
  const invalid = (what: string, value: unknown): never => {
    throw octopusError('ERR_CONFIG_INVALID', `expected ${what}, was ${JSON.stringify(value)}`);
  };
  if (typeof options.wsUrl !== 'string' || !URL.canParse(options.wsUrl)) invalid('an absolute WebSocket URL', options.wsUrl);
  if (options.productIds.length === 0 || options.productIds.length > kMaxProducts) invalid(`1..${kMaxProducts} products`, options.productIds.length);
  for (const productId of options.productIds) if (!/^[A-Z0-9]{1,15}-[A-Z0-9]{1,15}$/.test(productId)) invalid('a product id such as BTC-USD', productId);
  const channels = options.channels ?? kDefaultChannels;
  if (channels.length === 0) invalid('at least one channel', channels);
  for (const channel of channels) if (!kChannels.includes(channel)) invalid(`a channel among ${kChannels.join(', ')}`, channel);
  if (options.tradeSideIs !== undefined && options.tradeSideIs !== 'maker' && options.tradeSideIs !== 'taker') invalid('tradeSideIs "maker" or "taker"', options.tradeSideIs);
}

export class CoinbaseAdapter {
  private readonly socket: ReconnectingSocket;
  private readonly channels: readonly CoinbaseChannel[];
  private readonly products = new Map<string, ProductState>();
  private readonly counters: VenueStats = emptyVenueStats();
  /** Latest candle per product, so that a candle is emitted as closed when the next one starts. */
  private readonly lastCandles = new Map<string, KlineEvent>();
  /** The next `sequence_num` expected on this connection; null before its first message. */
  private expectedSequence: number | null = null;

  /** Throws ERR_CONFIG_INVALID on bad options (see `CoinbaseOptions`). */
  constructor(private readonly options: CoinbaseOptions) {
    validateOptions(options);
    this.channels = [...(options.channels ?? kDefaultChannels)];
    for (const productId of options.productIds) {
      this.products.set(productId, { productId, book: new LocalBook(options.maxLevelsPerSide ?? 10_000), synced: false, sequence: 0 });
    }
    this.socket = new ReconnectingSocket({
      url: () => options.wsUrl,
      reconnect: { ...defaultReconnectOptions, ...options.reconnect },
      onOpen: () => this.onOpen(),
      onMessage: (text) => this.onMessage(text),
      onClose: () => this.unsyncAll(),
      onGiveUp: (error) => this.options.onError?.(error),
    });
  }

  start(): void {
    this.socket.start();
  }

  async stop(): Promise<void> {
    await this.socket.stop();
    this.unsyncAll();
  }

  stats(): VenueStats {
    return { ...this.counters };
  }

  /** The local book of `productId`, or undefined for an unknown product. `synced` is false while rebuilding. */
  book(productId: string): { synced: boolean; sequence: number; bids: PriceLevel[]; asks: PriceLevel[] } | undefined {
    const state = this.products.get(productId);
    if (state === undefined) return undefined;
    return { synced: state.synced, sequence: state.sequence, bids: state.book.levels('buy'), asks: state.book.levels('sell') };
  }

  private onOpen(): void {
    if (this.socket.openedCount > 1) this.counters.reconnects++;
    this.expectedSequence = null;
    this.unsyncAll();
    for (const channel of this.channels) this.sendSubscription('subscribe', channel);
  }

  private sendSubscription(type: 'subscribe' | 'unsubscribe', channel: CoinbaseChannel): void {
    // A false result means the connection just closed; onOpen subscribes again on the next one.
    this.socket.send(JSON.stringify({ type, product_ids: this.options.productIds, channel }));
  }

  private unsyncAll(): void {
    for (const state of this.products.values()) {
      state.synced = false;
      state.book.clear();
    }
  }

  /** Fresh level2 snapshots: unsubscribe and subscribe again (Coinbase answers a subscribe with a snapshot). */
  private resyncLevel2(): void {
    this.counters.resyncs++;
    this.unsyncAll();
    if (!this.channels.includes('level2')) return;
    this.sendSubscription('unsubscribe', 'level2');
    this.sendSubscription('subscribe', 'level2');
  }

  private onMessage(text: string): void {
    this.counters.messages++;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.counters.invalid++;
      return;
    }
    if (typeof message !== 'object' || message === null) {
      this.counters.invalid++;
      return;
    }
    const record = message as Record<string, unknown>;
    if (record.type === 'error') {
      this.counters.invalid++;
      this.options.onError?.(octopusError('ERR_CONFIG_INVALID', `expected Coinbase to accept the subscription, was error ${JSON.stringify(record.message ?? '')}`));
      return;
    }
    const sequence = parseCount(record.sequence_num);
    if (sequence === undefined || !Array.isArray(record.events)) {
      this.counters.invalid++;
      return;
    }
    this.checkSequence(sequence);
    if (record.channel === 'l2_data') this.onLevel2(record.events, sequence);
    else if (record.channel === 'market_trades') this.onMarketTrades(record.events);
    else if (record.channel === 'heartbeats') this.counters.heartbeats++;
    else if (record.channel === 'candles') this.onCandles(record.events);
    else if (record.channel !== 'subscriptions') this.counters.invalid++;
  }

  /** A break in `sequence_num` (forward or backward) may have lost a level2 update: rebuild the books. */
  private checkSequence(sequence: number): void {
    const expected = this.expectedSequence;
    this.expectedSequence = sequence + 1;
    if (expected === null || sequence === expected) return;
    this.counters.gaps++;
    this.resyncLevel2();
  }

  private onLevel2(events: unknown[], sequence: number): void {
    for (const event of events) {
      const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
      const state = typeof record.product_id === 'string' ? this.products.get(record.product_id) : undefined;
      const changes = parseLevel2Changes(record.updates);
      const isSnapshot = record.type === 'snapshot';
      if (state === undefined || changes === undefined || (!isSnapshot && record.type !== 'update')) {
        this.counters.invalid++;
        // A bad update for a product we track leaves its book unknown, so rebuild it.
        if (state !== undefined && state.synced && !isSnapshot) this.resyncLevel2();
        continue;
      }
      if (isSnapshot) this.applySnapshot(state, changes, sequence);
      else this.applyUpdate(state, changes, sequence);
    }
  }

  private applySnapshot(state: ProductState, changes: Level2Change[], sequence: number): void {
    state.book.clear();
    if (!this.applyChanges(state, changes)) return;
    state.synced = true;
    state.sequence = sequence;
    this.counters.snapshots++;
    this.options.onEvent({ type: 'book', venue: 'coinbase', symbol: state.productId, snapshot: true, bids: state.book.levels('buy'), asks: state.book.levels('sell'), sequence, timeMs: 0 });
  }

  private applyUpdate(state: ProductState, changes: Level2Change[], sequence: number): void {
    if (!state.synced) {
      this.counters.dropped++;
      return;
    }
    if (!this.applyChanges(state, changes)) return;
    state.sequence = sequence;
    this.counters.bookUpdates++;
    const bids: PriceLevel[] = [];
    const asks: PriceLevel[] = [];
    for (const change of changes) (change.side === 'buy' ? bids : asks).push([change.price, change.qty]);
    this.options.onEvent({ type: 'book', venue: 'coinbase', symbol: state.productId, snapshot: false, bids, asks, sequence, timeMs: 0 });
  }

  /** Applies changes; on a full book it resynchronises and returns false. */
  private applyChanges(state: ProductState, changes: Level2Change[]): boolean {
    for (const change of changes) {
      if (!state.book.set(change.side, change.price, change.qty)) {
        this.resyncLevel2();
        return false;
      }
    }
    return true;
  }

  private onMarketTrades(events: unknown[]): void {
    for (const event of events) {
      const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
      // A snapshot repeats recent history on every (re)subscription; only live updates are new trades.
      if (record.type === 'snapshot') continue;
      if (record.type !== 'update' || !Array.isArray(record.trades)) {
        this.counters.invalid++;
        continue;
      }
      for (const trade of record.trades) this.onTrade(trade);
    }
  }

  private onCandles(events: unknown[]): void {
    for (const event of events) {
      const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
      if (!Array.isArray(record.candles)) {
        this.counters.invalid++;
        continue;
      }
      for (const candle of record.candles) this.onCandle(candle);
    }
  }

  /**
   * Coinbase sends the forming candle repeatedly and never says when it closes: a candle counts as closed
   * when one with a later start arrives for the product, and is then emitted once more with `closed`.
   * The channel carries no trade count, so `trades` is 0.
   */
  private onCandle(candle: unknown): void {
    const record = (typeof candle === 'object' && candle !== null ? candle : {}) as Record<string, unknown>;
    const startSeconds = typeof record.start === 'string' && /^\d{1,12}$/.test(record.start) ? Number(record.start) : undefined;
    const [open, high, low, close] = [parsePrice(record.open), parsePrice(record.high), parsePrice(record.low), parsePrice(record.close)];
    const volume = parseDecimal(record.volume);
    const symbol = typeof record.product_id === 'string' && this.products.has(record.product_id) ? record.product_id : undefined;
    if (startSeconds === undefined || open === undefined || high === undefined || low === undefined || close === undefined ||
      volume === undefined || symbol === undefined || low > high) {
      this.counters.invalid++;
      return;
    }
    const startMs = startSeconds * 1_000;
    const previous = this.lastCandles.get(symbol);
    if (previous !== undefined && startMs < previous.startMs) {
      // A replayed older candle (the subscription snapshot after a reconnect) is already known.
      this.counters.dropped++;
      return;
    }
    if (previous !== undefined && startMs > previous.startMs) this.emitKline({ ...previous, closed: true });
    const kline: KlineEvent = { type: 'kline', venue: 'coinbase', symbol, intervalMs: kCandleIntervalMs, startMs, open, high, low, close, volume, trades: 0, closed: false };
    this.lastCandles.set(symbol, kline);
    this.emitKline(kline);
  }

  private emitKline(kline: KlineEvent): void {
    this.counters.klines++;
    this.options.onEvent(kline);
  }

  private onTrade(trade: unknown): void {
    const record = (typeof trade === 'object' && trade !== null ? trade : {}) as Record<string, unknown>;
    const price = parsePrice(record.price);
    const qty = parseDecimal(record.size);
    const tradeId = typeof record.trade_id === 'string' && /^\d{1,15}$/.test(record.trade_id) ? Number(record.trade_id) : undefined;
    const timeMs = typeof record.time === 'string' ? Date.parse(record.time) : Number.NaN;
    const productId = typeof record.product_id === 'string' && this.products.has(record.product_id) ? record.product_id : undefined;
    const venueSide = record.side === 'BUY' ? 1 : record.side === 'SELL' ? -1 : 0;
    if (price === undefined || qty === undefined || qty <= 0 || tradeId === undefined || !Number.isFinite(timeMs) || productId === undefined || venueSide === 0) {
      this.counters.invalid++;
      return;
    }
    this.counters.trades++;
    const aggressor = (this.options.tradeSideIs ?? 'maker') === 'maker' ? -venueSide : venueSide;
    const side = aggressor > 0 ? 'buy' : 'sell';
    this.options.onEvent({ type: 'trade', venue: 'coinbase', symbol: productId, price, qty, side, tradeId, timeMs });
  }
}

/** Parses `[{side: "bid"|"offer", price_level, new_quantity}, ...]`; undefined if any entry is malformed. */
function parseLevel2Changes(value: unknown): Level2Change[] | undefined {
  if (!Array.isArray(value) || value.length > kMaxUpdatesPerEvent) return undefined;
  const changes: Level2Change[] = [];
  for (const update of value) {
    if (typeof update !== 'object' || update === null) return undefined;
    const record = update as Record<string, unknown>;
    const side = record.side === 'bid' ? 'buy' : record.side === 'offer' ? 'sell' : undefined;
    const price = parsePrice(record.price_level);
    const qty = parseDecimal(record.new_quantity);
    if (side === undefined || price === undefined || qty === undefined) return undefined;
    changes.push({ side, price, qty });
  }
  return changes;
}
