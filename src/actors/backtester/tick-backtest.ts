/**
 * The event-driven backtest over trades and quotes: the strategy's orders enter the project's real order
 * books (MatchingEngine, price-time priority, every order type), against liquidity that the tape implies.
 * The rule (docs/backtest.md, "Fill models: trades and quotes"):
 *
 *   quotes   the tape account rests the quote: a bid of bid_qty at bid_price and an ask of ask_qty at
 *            ask_price, replaced by each new quote.
 *   trades   a trade reveals the touch: after an aggressive buy of q at p the tape rests an ask of q at p
 *            and a bid of q at p - 1 tick (after a sell: a bid at p, an ask at p + 1 tick). Before that,
 *            the trade itself is sent as an IOC order of q at p on the aggressor's side, so strategy
 *            orders resting at p or better trade with it (the market traded through them).
 *
 * The tape's quotes only matter when the strategy's orders meet them, so they are refreshed lazily: on
 * every event while the strategy has live orders in that book, and otherwise just before the strategy
 * sends an order. The outcome equals refreshing them at every event, at a fraction of the cost. Prices
 * from the data are rounded to the book's tick. Fees are `feeRate` of notional on both sides (as maker
 * and taker), rounded up to the book's cash unit as the book does.
 */
import { SimulatedClock } from '../../engine/clock.js';
import { OctopusError } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import type { BookEvent } from '../execution/book/book-events.js';
import { MatchingEngine } from '../execution/book/matching-engine.js';
import type { OrderBook } from '../execution/book/order-book.js';
import type { TickOrderRequest } from '../execution/book/order-types.js';
import type { SizingSpec } from '../strategy/sizing.js';
import type { Strategy } from '../strategy/strategy-api.js';
import { StrategyHost, type OrderRouter, type RoutedOrder } from '../strategy/strategy-host.js';
import { backtestHost, type BacktestRun, type FillRecord } from './bar-backtest.js';
import type { TickColumns } from './tick-data.js';

export const kTapeAccount = 'tape';
/** The account that sends each trade of the data into the book as an aggressor. */
export const kTapeAggressorAccount = 'tape-aggressor';

export interface TickBacktestOptions {
  strategy: Strategy<object>;
  name?: string;
  ticks: TickColumns;
  cash: number;
  feeRate: number;
  tickSize?: number;
  lotSize?: number;
  sizing?: SizingSpec;
  maxPositionQty?: number;
  /** Trades are folded into bars of this interval for onBar; 0 = none. Default 60000. */
  barIntervalMs?: number;
  /** Equity is recorded at the end of each bucket of this length. Default barIntervalMs (or 60000). */
  equitySampleMs?: number;
  logger?: Logger;
}

interface TapeState {
  book: OrderBook;
  /** 0: nothing seen; 1: a trade; 2: a quote. */
  kind: number;
  bidTicks: number;
  bidLots: number;
  askTicks: number;
  askLots: number;
  bidOrderId: number;
  askOrderId: number;
  fresh: boolean;
  strategyOrders: number;
}

class TapeVenue implements OrderRouter {
  readonly resolvesAtFill = false;
  readonly sizingFeeRate: number;
  readonly engine: MatchingEngine;
  readonly fills: FillRecord[] = [];
  host!: StrategyHost;
  step = 0;
  ordersSent = 0;
  private readonly tapes = new Map<string, TapeState>();
  private readonly clientIds = new Map<number, string>();
  private readonly orderIds = new Map<string, { symbol: string; orderId: number; side: 'buy' | 'sell'; qty: number }>();
  private readonly request: TickOrderRequest = { account: kTapeAccount, side: 'buy', type: 'limit', qtyLots: 1, timeInForce: 'gtc' };

  constructor(
    private readonly clock: SimulatedClock,
    feeRate: number,
    private readonly tickSize: number,
    private readonly lotSize: number,
  ) {
    this.sizingFeeRate = feeRate;
    const bps = Math.round(feeRate * 1e6) / 100;
    this.engine = new MatchingEngine({ bookDefaults: { makerFeeBps: bps, takerFeeBps: bps, selfTradePrevention: 'cancel_newest' } });
  }

  tape(symbol: string): TapeState {
    let state = this.tapes.get(symbol);
    if (state === undefined) {
      const book = this.engine.addBook({ symbol, tickSize: this.tickSize, lotSize: this.lotSize });
      state = { book, kind: 0, bidTicks: 0, bidLots: 0, askTicks: 0, askLots: 0, bidOrderId: 0, askOrderId: 0, fresh: true, strategyOrders: 0 };
      this.tapes.set(symbol, state);
    }
    return state;
  }

  onTrade(symbol: string, price: number, qty: number, buyAggressor: boolean): void {
    const state = this.tape(symbol);
    const grid = state.book.grid;
    const ticks = Math.max(1, Math.round(price / this.tickSize));
    const lots = Math.max(1, Math.round(qty / this.lotSize));
    state.kind = 1;
    state.bidTicks = buyAggressor ? Math.max(1, ticks - 1) : ticks;
    state.askTicks = buyAggressor ? ticks : Math.min(grid.maxPriceTicks, ticks + 1);
    state.bidLots = lots;
    state.askLots = lots;
    state.fresh = false;
    if (state.strategyOrders === 0) return;
    // The print itself: the new touch rests first, the side the aggressor meets with twice the traded
    // size; the aggressor then takes q at p from the best price on, so strategy orders at p or better
    // fill first (price, then time priority), the book prints the trade (which triggers stops), and the
    // touch of size q is left for triggered stops and later orders.
    if (buyAggressor) state.askLots = 2 * lots;
    else state.bidLots = 2 * lots;
    state.fresh = false;
    this.refreshQuotes(state);
    state.askLots = lots;
    state.bidLots = lots;
    const request = this.request;
    request.account = kTapeAggressorAccount;
    request.side = buyAggressor ? 'buy' : 'sell';
    request.type = 'limit';
    request.priceTicks = ticks;
    request.qtyLots = lots;
    request.timeInForce = 'ioc';
    this.absorb(state, state.book.submitTicks(request, this.clock.nowMs()));
    request.account = kTapeAccount;
  }

  onQuote(symbol: string, bidPrice: number, bidQty: number, askPrice: number, askQty: number): void {
    const state = this.tape(symbol);
    state.kind = 2;
    state.bidTicks = Math.max(1, Math.round(bidPrice / this.tickSize));
    state.askTicks = Math.max(state.bidTicks + 1, Math.round(askPrice / this.tickSize));
    state.bidLots = Math.max(1, Math.round(bidQty / this.lotSize));
    state.askLots = Math.max(1, Math.round(askQty / this.lotSize));
    state.fresh = false;
    if (state.strategyOrders > 0) this.refreshQuotes(state);
  }

  roundQty(_symbol: string, qty: number): number {
    const lots = Math.floor(qty / this.lotSize + 1e-9);
    return lots * this.lotSize;
  }

  submit(order: RoutedOrder): void {
    this.ordersSent++;
    const state = this.tape(order.symbol);
    this.refreshQuotes(state);
    let events: readonly BookEvent[];
    try {
      events = state.book.submit(
        {
          account: order.account,
          side: order.side,
          type: order.type,
          qty: order.qty,
          ...(order.limitPrice === undefined ? {} : { price: order.limitPrice }),
          ...(order.stopPrice === undefined ? {} : { stopPrice: order.stopPrice }),
          timeInForce: order.timeInForce,
        },
        this.clock.nowMs(),
      );
    } catch (error) {
      const code = error instanceof OctopusError ? error.code : 'ERR_INTERNAL';
      this.host.orderUpdate({ clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, status: 'rejected', qty: order.qty, filledQty: 0, avgPrice: null, reason: code, timeMs: this.clock.nowMs() });
      return;
    }
    const accepted = events.find((event) => event.kind === 'accepted' || event.kind === 'rejected')!;
    this.clientIds.set(accepted.orderId, order.clientOrderId);
    this.orderIds.set(order.clientOrderId, { symbol: order.symbol, orderId: accepted.orderId, side: order.side, qty: order.qty });
    if (accepted.kind === 'accepted') state.strategyOrders++;
    this.absorb(state, events);
  }

  cancel(clientOrderId: string): void {
    const known = this.orderIds.get(clientOrderId);
    if (known === undefined) return;
    const state = this.tape(known.symbol);
    if (state.book.hasOrder(known.orderId)) this.absorb(state, state.book.cancel(known.orderId));
  }

  replace(clientOrderId: string, change: { qty?: number; limitPrice?: number; stopPrice?: number }): void {
    const known = this.orderIds.get(clientOrderId);
    if (known === undefined) return;
    const state = this.tape(known.symbol);
    if (!state.book.hasOrder(known.orderId)) return;
    this.refreshQuotes(state);
    const events = state.book.replace(known.orderId, {
      ...(change.qty === undefined ? {} : { qty: change.qty }),
      ...(change.limitPrice === undefined ? {} : { price: change.limitPrice }),
      ...(change.stopPrice === undefined ? {} : { stopPrice: change.stopPrice }),
    });
    this.absorb(state, events);
  }

  private clearQuotes(state: TapeState): void {
    for (const orderId of [state.bidOrderId, state.askOrderId]) {
      if (orderId !== 0 && state.book.hasOrder(orderId)) this.absorb(state, state.book.cancel(orderId));
    }
    state.bidOrderId = 0;
    state.askOrderId = 0;
  }

  /** Rests the tape's quotes of the last event (once per event: `fresh` marks them done). */
  private refreshQuotes(state: TapeState): void {
    if (state.fresh || state.kind === 0) return;
    state.fresh = true;
    this.clearQuotes(state);
    const request = this.request;
    request.type = 'limit';
    request.timeInForce = 'gtc';
    for (const side of ['buy', 'sell'] as const) {
      request.side = side;
      request.priceTicks = side === 'buy' ? state.bidTicks : state.askTicks;
      request.qtyLots = side === 'buy' ? state.bidLots : state.askLots;
      const events = state.book.submitTicks(request, this.clock.nowMs());
      const accepted = events[0];
      const orderId = accepted?.kind === 'accepted' ? accepted.orderId : 0;
      this.absorb(state, events);
      if (orderId !== 0 && state.book.hasOrder(orderId)) {
        if (side === 'buy') state.bidOrderId = orderId;
        else state.askOrderId = orderId;
      }
    }
  }

  /** Reports the strategy's fills and status changes to the host. */
  private absorb(state: TapeState, events: readonly BookEvent[]): void {
    const grid = state.book.grid;
    for (const event of events) {
      if (event.kind !== 'fill' && event.kind !== 'status' && event.kind !== 'rejected') continue;
      if (event.account === kTapeAccount || event.account === kTapeAggressorAccount) continue;
      const clientOrderId = this.clientIds.get(event.orderId);
      if (clientOrderId === undefined) continue;
      const timeMs = this.clock.nowMs();
      if (event.kind === 'fill') {
        const fill = { clientOrderId, symbol: state.book.symbol, side: event.side, price: grid.priceOf(event.priceTicks), qty: grid.qtyOf(event.qtyLots), fee: grid.cashOf(event.feeCashUnits), timeMs };
        this.fills.push({ ...fill, step: this.step });
        this.host.fill(fill);
        continue;
      }
      const known = this.orderIds.get(clientOrderId)!;
      const status = event.kind === 'rejected' ? 'rejected' : event.status;
      const done = status !== 'partially_filled';
      if (done && event.kind !== 'rejected') state.strategyOrders--;
      if (done) {
        this.clientIds.delete(event.orderId);
        this.orderIds.delete(clientOrderId);
      }
      const filledQty = event.kind === 'rejected' ? 0 : grid.qtyOf(event.filledQtyLots);
      this.host.orderUpdate({ clientOrderId, symbol: state.book.symbol, side: known.side, status, qty: known.qty, filledQty, avgPrice: null, reason: event.reason, timeMs });
    }
  }
}

/**
 * Runs a strategy over trades and quotes through the matching engine.
 * @throws OctopusError ERR_BACKTEST_BAD_OPTION; whatever the strategy throws.
 */
export function runTickBacktest(options: TickBacktestOptions): BacktestRun {
  if (!(options.cash > 0)) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected cash > 0, was ${options.cash}`);
  if (!(options.feeRate >= 0 && options.feeRate < 0.1)) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected fees a fraction in [0, 0.1), was ${options.feeRate}`);
  const ticks = options.ticks;
  const clock = new SimulatedClock(ticks.length > 0 ? ticks.time[0]! : 0);
  const venue = new TapeVenue(clock, options.feeRate, options.tickSize ?? 0.01, options.lotSize ?? 1);
  const barIntervalMs = options.barIntervalMs ?? 60_000;
  const host = backtestHost(options, clock, venue, barIntervalMs);
  venue.host = host;
  const sampleMs = options.equitySampleMs ?? (barIntervalMs > 0 ? barIntervalMs : 60_000);
  const samples: Samples = { times: [], equity: [], exposed: [], closes: new Map() };
  const trade = { symbol: '', timeMs: 0, price: 0, qty: 0, side: 'buy' as 'buy' | 'sell' };
  const quote = { symbol: '', timeMs: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0 };
  host.start();
  for (let index = 0; index < ticks.length; index++) {
    const timeMs = ticks.time[index]!;
    const symbol = ticks.symbols[ticks.symbol[index]!]!;
    if (index > 0 && Math.floor(timeMs / sampleMs) !== Math.floor(ticks.time[index - 1]! / sampleMs)) recordSample(host, ticks.time[index - 1]!, samples);
    venue.step = samples.times.length;
    clock.set(timeMs);
    host.advanceTo(timeMs);
    if (ticks.kind[index] === 0) {
      const buy = ticks.side[index]! > 0;
      venue.onTrade(symbol, ticks.price[index]!, ticks.qty[index]!, buy);
      trade.symbol = symbol;
      trade.timeMs = timeMs;
      trade.price = ticks.price[index]!;
      trade.qty = ticks.qty[index]!;
      trade.side = buy ? 'buy' : 'sell';
      host.trade({ ...trade });
    } else {
      venue.onQuote(symbol, ticks.price[index]!, ticks.qty[index]!, ticks.askPrice[index]!, ticks.askQty[index]!);
      quote.symbol = symbol;
      quote.timeMs = timeMs;
      quote.bidPrice = ticks.price[index]!;
      quote.bidQty = ticks.qty[index]!;
      quote.askPrice = ticks.askPrice[index]!;
      quote.askQty = ticks.askQty[index]!;
      host.quote({ ...quote });
    }
  }
  host.flushBars();
  if (ticks.length > 0) recordSample(host, ticks.time[ticks.length - 1]!, samples);
  host.stop();
  const finalPositions: Record<string, number> = {};
  for (const [symbol, qty] of host.openPositions()) if (qty !== 0) finalPositions[symbol] = qty;
  return {
    timesMs: Float64Array.from(samples.times),
    equity: Float64Array.from(samples.equity),
    exposed: Uint8Array.from(samples.exposed),
    fills: venue.fills,
    initialCash: options.cash,
    closes: new Map([...samples.closes].map(([symbol, closes]) => [symbol, Float64Array.from(closes)])),
    finalPositions,
    ordersSent: venue.ordersSent,
    signals: host.signals,
  };
}

interface Samples {
  times: number[];
  equity: number[];
  exposed: number[];
  closes: Map<string, number[]>;
}

/** Equity, exposure and each symbol's last price at the end of a sampling bucket. */
function recordSample(host: StrategyHost, timeMs: number, samples: Samples): void {
  samples.times.push(timeMs);
  samples.equity.push(host.equity());
  let open = 0;
  for (const qty of host.openPositions().values()) if (qty !== 0) open = 1;
  samples.exposed.push(open);
  for (const symbol of host.pricedSymbols()) {
    let closes = samples.closes.get(symbol);
    if (closes === undefined) samples.closes.set(symbol, (closes = new Array<number>(samples.times.length - 1).fill(Number.NaN)));
    closes.push(host.lastPrice(symbol));
  }
}
