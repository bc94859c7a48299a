/**
 * The built-in simulated exchange: latent fair values follow correlated GARCH(1,1) paths with compound
 * Poisson jumps; simulated market makers quote around them with an inventory skew and takers arrive as a
 * Poisson process scaled by a U-shaped intraday seasonality. Their orders are matched in the project's own
 * order books (MatchingEngine), and the market data (trades, quotes, L2 deltas) is what those books report.
 *
 * Plain and synchronous: no clock, no I/O. All randomness comes from one SeededRandom, consumed in a fixed
 * order, so the same seed and config replay the same event stream exactly. The model and its parameters are
 * described in docs/market-data-sim.md.
 */
import { OctopusError } from '../../../engine/errors.js';
import { SeededRandom } from '../../../engine/random.js';
import { cholesky } from '../../../kernels/stats/linalg.js';
import type { BookEvent } from '../book/book-events.js';
import type { InstrumentGrid } from '../book/instrument-grid.js';
import { MatchingEngine } from '../book/matching-engine.js';
import type { OrderBook } from '../book/order-book.js';
import type { L2Snapshot, Side, TickOrderRequest } from '../book/order-types.js';
import type { MarketBookDelta, MarketEvent, MarketQuote, MarketTrade } from '../../collector/market-events.js';
import { resolveConfig, type ResolvedConfig, type SimulatedExchangeConfig, type SimulatedSymbol } from './simulated-universe.js';

export * from './simulated-universe.js';

/** The account of every simulated taker; makers are `sim-maker-<k>`. */
export const kTakerAccount = 'sim-taker';

/** Objects a pool keeps between steps; a burst beyond it is allocated and then left to the GC. */
const kPoolRetainMax = 16_384;

/** A pool of event objects, handed out in order and taken back all at once; it keeps at most kPoolRetainMax. */
class Pool<T> {
  private readonly items: T[] = [];
  private used = 0;
  constructor(private readonly create: () => T) {}
  take(): T {
    if (this.used === this.items.length) this.items.push(this.create());
    return this.items[this.used++]!;
  }
  reset(): void {
    this.used = 0;
    if (this.items.length > kPoolRetainMax) this.items.length = kPoolRetainMax;
  }
}

/** The exchange's whole evolving state, for a snapshot (its config is journaled in `sim_start`). */
export interface ExchangeState {
  nowMs: number;
  takerRatePerSecond: number;
  random: [number, number, number, number, number];
  logFair: number[];
  variance: number[];
  lastReturn: number[];
  quoteOrderIds: number[];
  quotePriceTicks: number[];
  inventoryLots: number[];
  lastQuote: number[];
}

export class SimulatedExchange {
  readonly engine: MatchingEngine;
  readonly config: ResolvedConfig;
  private readonly random: SeededRandom;
  private readonly books: OrderBook[];
  private readonly grids: InstrumentGrid[];
  private readonly symbolNames: string[];
  private readonly symbolIndex = new Map<string, number>();
  /** Lower-triangular Cholesky factor of the correlation matrix (row-major). */
  private readonly factor: Float64Array;
  private readonly logFair: Float64Array;
  private readonly logFairMin: Float64Array;
  private readonly logFairMax: Float64Array;
  private readonly variance: Float64Array;
  private readonly baseVariance: Float64Array;
  private readonly lastReturn: Float64Array;
  private readonly shocks: Float64Array;
  private readonly jumpProbability: number;
  /** Maker quote slots: [symbol][maker][side 0 bid, 1 ask][level] -> order id (0: none) and price. */
  private readonly quoteOrderIds: Float64Array;
  private readonly quotePriceTicks: Float64Array;
  /** Inventory in lots, [symbol][maker]. */
  private readonly inventoryLots: Float64Array;
  private readonly makerAccounts: string[];
  private readonly slotsPerSymbol: number;
  /** Last emitted quote per symbol: bid ticks, bid lots, ask ticks, ask lots. */
  private readonly lastQuote: Float64Array;
  private readonly request: TickOrderRequest = { account: '', side: 'buy', type: 'limit', qtyLots: 1, timeInForce: 'gtc' };
  private readonly output: MarketEvent[] = [];
  private readonly trades = new Pool<MarketTrade>(() => ({ kind: 'trade', symbol: '', price: 0, qty: 0, side: 'buy', tradeId: 0, timeMs: 0 }));
  private readonly quotes = new Pool<MarketQuote>(() => ({ kind: 'quote', symbol: '', bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, timeMs: 0 }));
  private readonly deltas = new Pool<MarketBookDelta>(() => ({ kind: 'book_delta', symbol: '', side: 'buy', price: 0, qty: 0, timeMs: 0 }));
  /** True when the engine came from the config (other participants may change the books between steps). */
  private readonly sharedEngine: boolean;
  private levelChanged = false;
  private nowMs: number;
  /** Mean taker orders per symbol per second; starts at the config's, changed by `setTakerRate`. */
  private takerRatePerSecond: number;
  private readonly onBookEvents: SimulatedExchangeConfig['onBookEvents'];

  /** @throws OctopusError ERR_CONFIG_INVALID (bad config, correlation not positive definite), ERR_BOOK_BAD_CONFIG (bad tick or lot). */
  constructor(config: SimulatedExchangeConfig) {
    this.config = resolveConfig(config);
    this.onBookEvents = config.onBookEvents;
    const { symbols, makers, stepMs } = this.config;
    const n = symbols.length;
    this.random = new SeededRandom(this.config.seed);
    this.sharedEngine = config.engine !== undefined;
    this.engine = config.engine ?? new MatchingEngine();
    this.books = symbols.map((symbol) => this.openBook(symbol));
    this.grids = this.books.map((book) => book.grid);
    this.symbolNames = symbols.map((symbol) => symbol.symbol);
    this.symbolNames.forEach((name, index) => this.symbolIndex.set(name, index));
    try {
      this.factor = cholesky(this.config.correlation, n);
    } catch (error) {
      throw new OctopusError('ERR_CONFIG_INVALID', 'expected a positive definite correlation matrix, was not', { cause: error });
    }
    this.logFair = Float64Array.from(symbols, (symbol) => Math.log(symbol.startPrice));
    this.logFairMin = Float64Array.from(symbols, (symbol) => Math.log(10 * symbol.tickSize));
    this.logFairMax = Float64Array.from(this.grids, (grid, index) => Math.log((grid.maxPriceTicks / 2) * symbols[index]!.tickSize));
    this.baseVariance = Float64Array.from(symbols, (symbol) => (symbol.annualVolatility ** 2 * stepMs) / this.config.tradingMsPerYear);
    this.variance = Float64Array.from(this.baseVariance);
    this.lastReturn = new Float64Array(n);
    this.shocks = new Float64Array(n);
    this.jumpProbability = 1 - Math.exp(-(this.config.jumps.intensityPerHour * stepMs) / 3_600_000);
    this.slotsPerSymbol = makers.count * 2 * makers.levels;
    this.quoteOrderIds = new Float64Array(n * this.slotsPerSymbol);
    this.quotePriceTicks = new Float64Array(n * this.slotsPerSymbol);
    this.inventoryLots = new Float64Array(n * makers.count);
    this.makerAccounts = Array.from({ length: makers.count }, (_, maker) => `sim-maker-${maker}`);
    this.lastQuote = new Float64Array(n * 4);
    this.nowMs = this.config.startTimeMs;
    this.takerRatePerSecond = this.config.takers.ratePerSecond;
  }

  /**
   * Moves simulated time to `toMs` without trading: the engine was down (or held back) in between, and
   * the exchange does not trade while the engine is not running. Fair values and quotes stay where they
   * were; the next step continues from `toMs`.
   * @throws OctopusError ERR_CONFIG_INVALID when toMs is not finite or before the current time.
   */
  resume(toMs: number): void {
    if (typeof toMs !== 'number' || !Number.isFinite(toMs) || toMs < this.nowMs) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected a resume time >= ${this.nowMs}, was ${String(toMs)}`);
    }
    this.nowMs = toMs;
  }

  /** Changes the takers' intensity from the next step on (a restart with another --feed-rate). */
  setTakerRate(ratePerSecond: number): void {
    if (!(ratePerSecond >= 0 && ratePerSecond <= 100_000)) throw new OctopusError('ERR_CONFIG_INVALID', `expected a taker rate in [0, 100000], was ${ratePerSecond}`);
    this.takerRatePerSecond = ratePerSecond;
  }

  get takerRate(): number {
    return this.takerRatePerSecond;
  }

  exportState(): ExchangeState {
    return {
      nowMs: this.nowMs,
      takerRatePerSecond: this.takerRatePerSecond,
      random: this.random.exportState(),
      logFair: Array.from(this.logFair),
      variance: Array.from(this.variance),
      lastReturn: Array.from(this.lastReturn),
      quoteOrderIds: Array.from(this.quoteOrderIds),
      quotePriceTicks: Array.from(this.quotePriceTicks),
      inventoryLots: Array.from(this.inventoryLots),
      lastQuote: Array.from(this.lastQuote),
    };
  }

  /** Loads a state made by `exportState` on an exchange built from the same config. */
  importState(state: ExchangeState): void {
    const load = (target: Float64Array, source: number[], name: string): void => {
      if (source.length !== target.length) throw new OctopusError('ERR_STORE_CORRUPT', `expected ${target.length} values of ${name} in the exchange snapshot, was ${source.length}`);
      target.set(source);
    };
    this.nowMs = state.nowMs;
    this.takerRatePerSecond = state.takerRatePerSecond;
    this.random.importState(state.random);
    load(this.logFair, state.logFair, 'logFair');
    load(this.variance, state.variance, 'variance');
    load(this.lastReturn, state.lastReturn, 'lastReturn');
    load(this.quoteOrderIds, state.quoteOrderIds, 'quoteOrderIds');
    load(this.quotePriceTicks, state.quotePriceTicks, 'quotePriceTicks');
    load(this.inventoryLots, state.inventoryLots, 'inventoryLots');
    load(this.lastQuote, state.lastQuote, 'lastQuote');
  }

  /** Simulated time of the last step. */
  get timeMs(): number {
    return this.nowMs;
  }

  get symbols(): readonly string[] {
    return this.symbolNames;
  }

  /**
   * Advances simulated time step by step up to `untilMs` (the last step ends at or before it) and returns
   * the market data produced, in order. The list and its event objects are reused by the next call: copy
   * what you keep.
   * @throws OctopusError ERR_CONFIG_INVALID when untilMs is not finite, before the current time, or more than maxAdvanceMs ahead.
   */
  step(untilMs: number): readonly MarketEvent[] {
    if (typeof untilMs !== 'number' || !Number.isFinite(untilMs) || untilMs < this.nowMs || untilMs - this.nowMs > this.config.maxAdvanceMs) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected untilMs finite, in [${this.nowMs}, ${this.nowMs + this.config.maxAdvanceMs}], was ${String(untilMs)}`);
    }
    this.output.length = 0;
    this.trades.reset();
    this.quotes.reset();
    this.deltas.reset();
    const { stepMs } = this.config;
    while (this.nowMs + stepMs <= untilMs) {
      this.nowMs += stepMs;
      this.advanceFairValues();
      const season = this.seasonality(this.nowMs);
      for (let index = 0; index < this.books.length; index++) this.stepSymbol(index, season);
    }
    return this.output;
  }

  /** L2 snapshot of a symbol's book in decimals, best level first. @throws OctopusError ERR_BOOK_UNKNOWN_SYMBOL. */
  snapshot(symbol: string, depth: number = Number.POSITIVE_INFINITY): { symbol: string; bids: Array<{ price: number; qty: number }>; asks: Array<{ price: number; qty: number }> } {
    const book = this.engine.book(symbol);
    const ticks: L2Snapshot = book.snapshot(depth);
    const convert = (level: { priceTicks: number; qtyLots: number }): { price: number; qty: number } => ({
      price: book.grid.priceOf(level.priceTicks),
      qty: book.grid.qtyOf(level.qtyLots),
    });
    return { symbol, bids: ticks.bids.map(convert), asks: ticks.asks.map(convert) };
  }

  /** The latent fair value of a symbol (not observable on a real venue; for tests and research). */
  fairValue(symbol: string): number {
    const index = this.symbolIndex.get(symbol);
    if (index === undefined) throw new OctopusError('ERR_BOOK_UNKNOWN_SYMBOL', `expected a simulated symbol, was ${JSON.stringify(symbol)}`);
    return Math.exp(this.logFair[index]!);
  }

  /** The last step's log-returns of every fair value, in symbol order (a view, overwritten by the next step). */
  fairReturns(): Float64Array {
    return this.lastReturn;
  }

  /** Maker inventory in lots (for tests). */
  makerInventoryLots(symbol: string, maker: number): number {
    const index = this.symbolIndex.get(symbol) ?? -1;
    return this.inventoryLots[index * this.config.makers.count + maker] ?? Number.NaN;
  }

  /** U-shaped intraday seasonality, mean 1 over a session: (1 + a (2u - 1)^2) / (1 + a / 3). */
  seasonality(timeMs: number): number {
    const { sessionMs, seasonalityAmplitude: amplitude, startTimeMs } = this.config;
    const elapsed = (((timeMs - startTimeMs) % sessionMs) + sessionMs) % sessionMs;
    const centred = (2 * elapsed) / sessionMs - 1;
    return (1 + amplitude * centred * centred) / (1 + amplitude / 3);
  }

  private openBook(symbol: SimulatedSymbol): OrderBook {
    if (this.engine.hasBook(symbol.symbol)) return this.engine.book(symbol.symbol);
    return this.engine.addBook({ symbol: symbol.symbol, tickSize: symbol.tickSize, lotSize: symbol.lotSize }, { selfTradePrevention: 'cancel_newest' });
  }

  /**
   * One step of the latent paths: correlated shocks z = L·ε, diffusive return r = sqrt(h)·z with GARCH(1,1)
   * variance h' = ω + α r² + β h (ω = (1 - α - β)·base, so the long-run variance is the base), plus a
   * compound Poisson jump. Bollerslev (1986); Merton (1976).
   */
  private advanceFairValues(): void {
    const n = this.books.length;
    const { alpha, beta } = this.config.garch;
    const { meanLog, stdLog } = this.config.jumps;
    const shocks = this.shocks;
    for (let index = 0; index < n; index++) shocks[index] = this.random.nextNormal();
    for (let row = n - 1; row >= 0; row--) {
      let correlated = 0;
      const base = row * n;
      for (let column = 0; column <= row; column++) correlated += this.factor[base + column]! * shocks[column]!;
      const variance = this.variance[row]!;
      const diffusive = Math.sqrt(variance) * correlated;
      this.variance[row] = (1 - alpha - beta) * this.baseVariance[row]! + alpha * diffusive * diffusive + beta * variance;
      let jump = 0;
      if (this.jumpProbability > 0 && this.random.nextFloat() < this.jumpProbability) jump = meanLog + stdLog * this.random.nextNormal();
      const logReturn = diffusive - 0.5 * variance + jump;
      this.lastReturn[row] = logReturn;
      // Held between 10 ticks and half the book's price bound, so quotes stay valid after a crash or a run-up.
      this.logFair[row] = Math.min(Math.max(this.logFair[row]! + logReturn, this.logFairMin[row]!), this.logFairMax[row]!);
    }
  }

  private stepSymbol(index: number, season: number): void {
    this.levelChanged = false;
    this.requote(index);
    this.takeLiquidity(index, season);
    if (this.levelChanged) this.emitQuoteIfChanged(index);
  }

  /** Every maker's target quotes around the fair value, skewed against its inventory; moves those that differ. */
  private requote(index: number): void {
    const { makers } = this.config;
    const fairTicks = Math.exp(this.logFair[index]!) / this.config.symbols[index]!.tickSize;
    const maxTicks = this.grids[index]!.maxPriceTicks;
    for (let maker = 0; maker < makers.count; maker++) {
      const inventory = this.inventoryLots[index * makers.count + maker]!;
      const skew = Math.max(-makers.maxSkewTicks, Math.min(makers.maxSkewTicks, inventory * makers.inventorySkewTicksPerLot));
      const half = makers.halfSpreadTicks + maker / 2;
      const innerBid = Math.max(1, Math.floor(fairTicks - half - skew));
      const innerAsk = Math.max(innerBid + 1, Math.ceil(fairTicks + half - skew));
      const slotBase = index * this.slotsPerSymbol + maker * 2 * makers.levels;
      for (let level = 0; level < makers.levels; level++) {
        const offset = level * makers.levelSpacingTicks;
        this.moveQuote(index, maker, slotBase + level, 'buy', Math.max(1, innerBid - offset), level);
        this.moveQuote(index, maker, slotBase + makers.levels + level, 'sell', Math.min(maxTicks, innerAsk + offset), level);
      }
    }
  }

  private moveQuote(index: number, maker: number, slot: number, side: Side, targetTicks: number, level: number): void {
    const { makers } = this.config;
    const orderId = this.quoteOrderIds[slot]!;
    const refresh = this.random.nextFloat() < makers.refreshProbability;
    // On a shared engine another participant may have filled the quote in a call the exchange did not see.
    const live = orderId !== 0 && (!this.sharedEngine || this.books[index]!.hasOrder(orderId));
    if (live && this.quotePriceTicks[slot] === targetTicks && !refresh) return;
    if (live) this.cancelQuote(index, slot, orderId);
    const request = this.request;
    request.account = this.makerAccounts[maker]!;
    request.side = side;
    request.type = 'limit';
    request.timeInForce = 'gtc';
    request.priceTicks = targetTicks;
    request.qtyLots = this.random.nextInt(makers.minLots, makers.maxLots) * (level + 1);
    this.quotePriceTicks[slot] = targetTicks;
    this.absorb(index, this.books[index]!.submitTicks(request, this.nowMs), slot);
  }

  private cancelQuote(index: number, slot: number, orderId: number): void {
    this.quoteOrderIds[slot] = 0;
    try {
      this.absorb(index, this.books[index]!.cancel(orderId), -1);
    } catch (error) {
      // With a shared engine another participant may have filled the quote in a call we did not see.
      if (!(error instanceof OctopusError && error.code === 'ERR_ORDER_UNKNOWN')) throw error;
    }
  }

  /** Poisson arrivals at rate λ·seasonality·dt; each a market order or a marketable IOC limit. */
  private takeLiquidity(index: number, season: number): void {
    const { takers, stepMs } = this.config;
    const mean = (this.takerRatePerSecond * season * stepMs) / 1_000;
    const arrivals = this.poisson(mean);
    const book = this.books[index]!;
    for (let arrival = 0; arrival < arrivals; arrival++) {
      const bid = book.bestBidTicks();
      const ask = book.bestAskTicks();
      if (bid === undefined || ask === undefined) return;
      const fairTicks = Math.exp(this.logFair[index]!) / this.config.symbols[index]!.tickSize;
      const buyProbability = 0.5 + (takers.informedShare / 2) * Math.tanh(fairTicks - (bid + ask) / 2);
      const side: Side = this.random.nextFloat() < buyProbability ? 'buy' : 'sell';
      const request = this.request;
      request.account = kTakerAccount;
      request.side = side;
      request.qtyLots = Math.min(takers.maxLots, 1 + Math.floor(-Math.log(1 - this.random.nextFloat()) * (takers.meanLots - 1)));
      if (this.random.nextFloat() < takers.marketOrderShare) {
        request.type = 'market';
        request.priceTicks = undefined;
      } else {
        const slippage = this.random.nextInt(0, takers.maxSlippageTicks);
        request.type = 'limit';
        request.priceTicks = side === 'buy' ? Math.min(book.grid.maxPriceTicks, ask + slippage) : Math.max(1, bid - slippage);
      }
      request.timeInForce = 'ioc';
      this.absorb(index, book.submitTicks(request, this.nowMs), -1);
    }
  }

  /** Knuth's multiplication method; means here are small (a few per step). */
  private poisson(mean: number): number {
    if (mean <= 0) return 0;
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.random.nextFloat();
    while (product > limit && count < 1_000) {
      count += 1;
      product *= this.random.nextFloat();
    }
    return count;
  }

  /** Turns one book call's events into market data and maker bookkeeping. */
  private absorb(index: number, events: readonly BookEvent[], slot: number): void {
    this.onBookEvents?.(this.books[index]!, events, this.nowMs);
    const grid = this.grids[index]!;
    const symbol = this.symbolNames[index]!;
    for (const event of events) {
      switch (event.kind) {
        case 'accepted':
          if (slot >= 0) this.quoteOrderIds[slot] = event.orderId;
          break;
        case 'trade': {
          const trade = this.trades.take();
          trade.symbol = symbol;
          trade.price = grid.priceOf(event.priceTicks);
          trade.qty = grid.qtyOf(event.qtyLots);
          trade.side = event.aggressorSide;
          trade.tradeId = event.tradeId;
          trade.timeMs = this.nowMs;
          this.output.push(trade);
          break;
        }
        case 'fill':
          if (event.account !== kTakerAccount) this.makerFill(index, event.orderId, event.side, event.qtyLots, event.leavesQtyLots);
          break;
        case 'status':
          if (event.leavesQtyLots === 0 && event.account !== kTakerAccount) this.releaseSlot(index, event.orderId);
          break;
        case 'level': {
          const delta = this.deltas.take();
          delta.symbol = symbol;
          delta.side = event.side;
          delta.price = grid.priceOf(event.priceTicks);
          delta.qty = grid.qtyOf(event.qtyLots);
          delta.timeMs = this.nowMs;
          this.output.push(delta);
          this.levelChanged = true;
          break;
        }
        default:
          break;
      }
    }
  }

  private makerFill(index: number, orderId: number, side: Side, qtyLots: number, leavesQtyLots: number): void {
    const slotBase = index * this.slotsPerSymbol;
    const levels2 = 2 * this.config.makers.levels;
    for (let slot = slotBase; slot < slotBase + this.slotsPerSymbol; slot++) {
      if (this.quoteOrderIds[slot] !== orderId) continue;
      const maker = Math.floor((slot - slotBase) / levels2);
      this.inventoryLots[index * this.config.makers.count + maker]! += side === 'buy' ? qtyLots : -qtyLots;
      if (leavesQtyLots === 0) this.quoteOrderIds[slot] = 0;
      return;
    }
  }

  private releaseSlot(index: number, orderId: number): void {
    const slotBase = index * this.slotsPerSymbol;
    for (let slot = slotBase; slot < slotBase + this.slotsPerSymbol; slot++) {
      if (this.quoteOrderIds[slot] === orderId) this.quoteOrderIds[slot] = 0;
    }
  }

  /** Emits a quote when the best bid or ask (price or size) differs from the last one emitted. */
  private emitQuoteIfChanged(index: number): void {
    const top = this.books[index]!.snapshot(1);
    const bid = top.bids[0];
    const ask = top.asks[0];
    const last = index * 4;
    if (bid === undefined || ask === undefined) {
      this.lastQuote.fill(0, last, last + 4);
      return;
    }
    const quoteState = this.lastQuote;
    if (quoteState[last] === bid.priceTicks && quoteState[last + 1] === bid.qtyLots && quoteState[last + 2] === ask.priceTicks && quoteState[last + 3] === ask.qtyLots) return;
    quoteState[last] = bid.priceTicks;
    quoteState[last + 1] = bid.qtyLots;
    quoteState[last + 2] = ask.priceTicks;
    quoteState[last + 3] = ask.qtyLots;
    const grid = this.grids[index]!;
    const quote = this.quotes.take();
    quote.symbol = this.symbolNames[index]!;
    quote.bidPrice = grid.priceOf(bid.priceTicks);
    quote.bidQty = grid.qtyOf(bid.qtyLots);
    quote.askPrice = grid.priceOf(ask.priceTicks);
    quote.askQty = grid.qtyOf(ask.qtyLots);
    quote.timeMs = this.nowMs;
    this.output.push(quote);
  }
}
