/**
 * The strategy host: runs one strategy instance and gives it its context (clock, indicators, its own
 * positions and cash, orders, signals, timers, logger). The backtester and the live strategy actor both
 * drive strategies through this class and differ only in the `OrderRouter` they plug in (simulated fills,
 * or ExecutionCommand messages to the execution actor), which is what makes a strategy file behave the
 * same in a backtest and live.
 *
 * Driving order, per event: `advanceTo(time)` (due timers fire), then the event (`bar`, `trade`,
 * `quote`), then whatever the router reports (`orderUpdate`, `fill`). Positions and cash are this
 * strategy's own ledger, settled from its fills: cash -= signed qty × price + fee.
 */
import { OctopusError } from '../../engine/errors.js';
import type { Clock } from '../../engine/clock.js';
import type { Logger } from '../../engine/logger.js';
import type { Trade } from '../../engine/messages.js';
import { BarAggregator } from '../realtime/bars.js';
import { PositionSizer } from './sizing.js';
import {
  streamingIndicators,
  type BarEvent,
  type FillReport,
  type OrderSpec,
  type OrderUpdate,
  type QuoteTick,
  type Regime,
  type Side,
  type Strategy,
  type StrategyContext,
  type TimeInForce,
  type TradeTick,
} from './strategy-api.js';
import type { OrderType } from '../execution/book/order-types.js';

export interface RoutedOrder {
  clientOrderId: string;
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  /** NaN when `targetFraction` is set. */
  qty: number;
  limitPrice?: number;
  stopPrice?: number;
  timeInForce: TimeInForce;
  /** A signal order in a bar run: the signed fraction of equity to hold, turned into a quantity at the fill price. */
  targetFraction?: number;
}

export interface OrderRouter {
  /** True when signal orders are sized at the fill price (bar fill models), false when sized now from the last price. */
  readonly resolvesAtFill: boolean;
  /** Fee rate (fraction of notional) that sizing divides by: quantity = fraction × equity / (price × (1 + rate)). */
  readonly sizingFeeRate: number;
  /** Rounds a quantity down to what the venue accepts (its lot grid); identity for fractional bar runs. */
  roundQty(symbol: string, qty: number): number;
  submit(order: RoutedOrder): void;
  cancel(clientOrderId: string): void;
  replace(clientOrderId: string, change: { qty?: number; limitPrice?: number; stopPrice?: number }): void;
}

export interface SignalRecord {
  symbol: string;
  target: number;
  timeMs: number;
}

export interface HostOptions {
  name: string;
  account: string;
  clock: Clock;
  logger: Logger;
  router: OrderRouter;
  sizer: PositionSizer;
  startingCash: number;
  /** Trades are folded into bars of this interval (ms) and delivered to onBar; 0 = no bars from trades. */
  barIntervalMs?: number;
  maxOpenOrders?: number;
  maxTimers?: number;
  /** Signals kept for reports: at least the newest this many, at most twice as many. */
  maxSignalsKept?: number;
}

interface OpenOrder {
  update: OrderUpdate;
  /** Signed quantity still to fill (for signal arithmetic). */
  signedLeaves: number;
  notional: number;
}

interface Timer {
  name: string;
  atMs: number;
  intervalMs: number;
}

const kClientIdPattern = /^[A-Za-z0-9_.:-]{1,48}$/;
const kDoneStatuses = new Set(['filled', 'canceled', 'expired', 'rejected']);

export class StrategyHost {
  readonly strategy: Strategy<object>;
  readonly context: StrategyContext;
  readonly fills: FillReport[] = [];
  readonly signals: SignalRecord[] = [];
  private readonly options: Required<Omit<HostOptions, 'barIntervalMs'>> & { barIntervalMs: number };
  private cashBalance: number;
  private readonly positions = new Map<string, number>();
  private readonly lastPrices = new Map<string, number>();
  private readonly targets = new Map<string, number>();
  private readonly regimes = new Map<string, Regime>();
  private readonly open = new Map<string, OpenOrder>();
  private readonly timers: Timer[] = [];
  private readonly aggregator: BarAggregator | null;
  private readonly scratchTrade: Trade = { symbol: '', price: 0, qty: 0, side: 'buy', tradeId: 0, timeMs: 0 };
  private sequence = 0;
  private started = false;
  feesPaid = 0;

  constructor(strategy: Strategy<object>, options: HostOptions) {
    if (!kClientIdPattern.test(options.name)) throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected a strategy name of [A-Za-z0-9_.:-]{1,48}, was ${JSON.stringify(options.name)}`);
    this.options = { maxOpenOrders: 1_000, maxTimers: 64, maxSignalsKept: 10_000, barIntervalMs: 0, ...options };
    this.strategy = strategy;
    this.cashBalance = options.startingCash;
    this.aggregator = this.options.barIntervalMs > 0 ? new BarAggregator(this.options.barIntervalMs, (bar) => this.bar({ symbol: bar.symbol, timeMs: bar.startMs, intervalMs: bar.intervalMs, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume })) : null;
    this.context = this.createContext();
    strategy.ctx = this.context;
  }

  get name(): string {
    return this.options.name;
  }

  get cash(): number {
    return this.cashBalance;
  }

  position(symbol: string): number {
    return this.positions.get(symbol) ?? 0;
  }

  openPositions(): Map<string, number> {
    return this.positions;
  }

  lastPrice(symbol: string): number {
    return this.lastPrices.get(symbol) ?? Number.NaN;
  }

  /** Symbols with a last price. */
  pricedSymbols(): IterableIterator<string> {
    return this.lastPrices.keys();
  }

  /** Cash plus every position marked at its last price. */
  equity(): number {
    let equity = this.cashBalance;
    for (const [symbol, qty] of this.positions) if (qty !== 0) equity += qty * (this.lastPrices.get(symbol) ?? 0);
    return equity;
  }

  openOrderCount(): number {
    return this.open.size;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.strategy.onStart();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.strategy.onStop();
  }

  /** Fires every timer due at or before `timeMs`, earliest first. The clock must already read `timeMs`. */
  advanceTo(timeMs: number): void {
    this.aggregator?.closeDue(timeMs);
    while (this.timers.length > 0) {
      let first = 0;
      for (let index = 1; index < this.timers.length; index++) if (this.timers[index]!.atMs < this.timers[first]!.atMs) first = index;
      const timer = this.timers[first]!;
      if (timer.atMs > timeMs) return;
      if (timer.intervalMs > 0) timer.atMs += timer.intervalMs;
      else this.timers.splice(first, 1);
      this.strategy.onTimer(timer.name);
    }
  }

  bar(bar: BarEvent): void {
    this.lastPrices.set(bar.symbol, bar.close);
    this.options.sizer.observe(bar.symbol, bar.close);
    this.strategy.onBar(bar);
  }

  trade(trade: TradeTick): void {
    this.lastPrices.set(trade.symbol, trade.price);
    if (this.aggregator !== null) {
      const scratch = this.scratchTrade;
      scratch.symbol = trade.symbol;
      scratch.price = trade.price;
      scratch.qty = trade.qty;
      scratch.timeMs = trade.timeMs;
      this.aggregator.add(scratch);
    }
    this.strategy.onTrade(trade);
  }

  quote(quote: QuoteTick): void {
    this.strategy.onQuote(quote);
  }

  setRegime(regime: Regime): void {
    if (this.regimes.size < 10_000 || this.regimes.has(regime.symbol)) this.regimes.set(regime.symbol, regime);
  }

  /** A status change reported by the venue. Unknown ids (another strategy's) are ignored. */
  orderUpdate(update: OrderUpdate): void {
    const order = this.open.get(update.clientOrderId);
    if (order === undefined) return;
    order.update = update;
    if (kDoneStatuses.has(update.status)) this.open.delete(update.clientOrderId);
    this.strategy.onOrderUpdate(update);
  }

  /** A fill reported by the venue: settles the ledger, then calls onFill. */
  fill(fill: FillReport): void {
    const signed = fill.side === 'buy' ? fill.qty : -fill.qty;
    this.cashBalance -= signed * fill.price + fill.fee;
    this.feesPaid += fill.fee;
    const position = (this.positions.get(fill.symbol) ?? 0) + signed;
    this.positions.set(fill.symbol, Math.abs(position) < 1e-12 ? 0 : position);
    this.lastPrices.set(fill.symbol, fill.price);
    const order = this.open.get(fill.clientOrderId);
    if (order !== undefined) order.signedLeaves -= signed;
    this.fills.push(fill);
    this.strategy.onFill(fill);
  }

  /** Emits the bar being built from trades, if any (end of a run). */
  flushBars(): void {
    this.aggregator?.closeDue(Number.POSITIVE_INFINITY);
  }

  private createContext(): StrategyContext {
    const host = this;
    const { name, account, clock, logger } = this.options;
    return {
      name,
      account,
      clock,
      logger,
      indicators: streamingIndicators,
      position: (symbol) => host.position(symbol),
      cash: () => host.cashBalance,
      equity: () => host.equity(),
      lastPrice: (symbol) => host.lastPrice(symbol),
      regime: (symbol) => host.regimes.get(symbol),
      submit: (order) => host.submit(order),
      cancel: (clientOrderId) => host.cancel(clientOrderId),
      replace: (clientOrderId, change) => host.replace(clientOrderId, change),
      signal: (symbol, target) => host.signal(symbol, target),
      setTimer: (timerName, atMs) => host.addTimer(timerName, atMs, 0),
      setInterval: (timerName, intervalMs) => {
        if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected a finite interval > 0 ms, was ${intervalMs}`);
        host.addTimer(timerName, clock.nowMs() + intervalMs, intervalMs);
      },
      cancelTimer: (timerName) => {
        const index = host.timers.findIndex((timer) => timer.name === timerName);
        if (index >= 0) host.timers.splice(index, 1);
      },
    };
  }

  private addTimer(name: string, atMs: number, intervalMs: number): void {
    if (!Number.isFinite(atMs)) throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected a finite timer time, was ${atMs}`);
    const existing = this.timers.find((timer) => timer.name === name);
    if (existing !== undefined) {
      existing.atMs = atMs;
      existing.intervalMs = intervalMs;
      return;
    }
    if (this.timers.length >= this.options.maxTimers) throw new OctopusError('ERR_STRATEGY_TOO_MANY_TIMERS', `expected at most ${this.options.maxTimers} timers, was one more`);
    this.timers.push({ name, atMs, intervalMs });
  }

  private submit(spec: OrderSpec): string {
    const order = this.checkOrder(spec);
    this.route(order);
    return order.clientOrderId;
  }

  private checkOrder(spec: OrderSpec): RoutedOrder {
    if (typeof spec !== 'object' || spec === null) throw new OctopusError('ERR_STRATEGY_BAD_ORDER', `expected an order object, was ${String(spec)}`);
    const type = spec.type ?? 'market';
    if (typeof spec.symbol !== 'string' || spec.symbol === '') throw new OctopusError('ERR_STRATEGY_BAD_ORDER', `expected a symbol, was ${JSON.stringify(spec.symbol)}`);
    if (spec.side !== 'buy' && spec.side !== 'sell') throw new OctopusError('ERR_STRATEGY_BAD_ORDER', `expected side buy or sell, was ${JSON.stringify(spec.side)}`);
    if (!(spec.qty > 0) || !Number.isFinite(spec.qty)) throw new OctopusError('ERR_STRATEGY_BAD_ORDER', `expected a finite qty > 0, was ${spec.qty}`);
    const needsLimit = type === 'limit' || type === 'stop_limit';
    const needsStop = type === 'stop' || type === 'stop_limit';
    if (needsLimit !== (spec.limitPrice !== undefined) || needsStop !== (spec.stopPrice !== undefined)) {
      throw new OctopusError('ERR_STRATEGY_BAD_ORDER', `expected limitPrice ${needsLimit ? 'set' : 'unset'} and stopPrice ${needsStop ? 'set' : 'unset'} for a ${type} order, was not`);
    }
    return {
      clientOrderId: `${this.options.name}-${this.sequence + 1}`,
      account: this.options.account,
      symbol: spec.symbol,
      side: spec.side,
      type,
      qty: spec.qty,
      ...(spec.limitPrice === undefined ? {} : { limitPrice: spec.limitPrice }),
      ...(spec.stopPrice === undefined ? {} : { stopPrice: spec.stopPrice }),
      timeInForce: spec.timeInForce ?? 'gtc',
    };
  }

  /** Registers the order as open and hands it to the router (which may report on it at once). */
  private route(order: RoutedOrder): void {
    if (this.open.size >= this.options.maxOpenOrders) {
      throw new OctopusError('ERR_STRATEGY_TOO_MANY_ORDERS', `expected at most ${this.options.maxOpenOrders} open orders, was one more`);
    }
    this.sequence++;
    const signed = Number.isNaN(order.qty) ? 0 : order.side === 'buy' ? order.qty : -order.qty;
    this.open.set(order.clientOrderId, {
      update: { clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, status: 'new', qty: order.qty, filledQty: 0, avgPrice: null, reason: null, timeMs: this.options.clock.nowMs() },
      signedLeaves: signed,
      notional: 0,
    });
    this.options.router.submit(order);
  }

  private cancel(clientOrderId: string): void {
    if (!this.open.has(clientOrderId)) throw new OctopusError('ERR_STRATEGY_UNKNOWN_ORDER', `expected an open order id, was ${JSON.stringify(clientOrderId)}`);
    this.options.router.cancel(clientOrderId);
  }

  private replace(clientOrderId: string, change: { qty?: number; limitPrice?: number; stopPrice?: number }): void {
    if (!this.open.has(clientOrderId)) throw new OctopusError('ERR_STRATEGY_UNKNOWN_ORDER', `expected an open order id, was ${JSON.stringify(clientOrderId)}`);
    for (const value of [change.qty, change.limitPrice, change.stopPrice]) {
      if (value !== undefined && !(value > 0 && Number.isFinite(value))) throw new OctopusError('ERR_STRATEGY_BAD_ORDER', `expected replace values finite and > 0, was ${value}`);
    }
    this.options.router.replace(clientOrderId, change);
  }

  /** Signed quantity of this symbol's open orders not yet filled. */
  private pendingQty(symbol: string): number {
    let pending = 0;
    for (const order of this.open.values()) if (order.update.symbol === symbol) pending += order.signedLeaves;
    return pending;
  }

  private signal(symbol: string, target: number): void {
    if (typeof target !== 'number' || !Number.isFinite(target) || target < -1 || target > 1) {
      throw new OctopusError('ERR_STRATEGY_BAD_ORDER', `expected a signal target in [-1, 1], was ${String(target)}`);
    }
    // -0 (a negated flat target) is flat.
    target += 0;
    const previous = this.targets.get(symbol) ?? 0;
    if (target === previous) return;
    this.targets.set(symbol, target);
    this.signals.push({ symbol, target, timeMs: this.options.clock.nowMs() });
    // Trimmed in one go at twice the bound, so keeping the newest costs O(1) per signal on average.
    if (this.signals.length >= 2 * this.options.maxSignalsKept) this.signals.splice(0, this.signals.length - this.options.maxSignalsKept);
    const { router, sizer } = this.options;
    if (router.resolvesAtFill && sizer.isFractional) {
      const base = this.checkOrder({ symbol, side: target > previous ? 'buy' : 'sell', qty: 1 });
      this.route({ ...base, qty: Number.NaN, targetFraction: sizer.equityFraction(symbol, target) });
      return;
    }
    const desired = target === 0 ? 0 : sizer.isFractional ? this.fractionalQty(symbol, sizer.equityFraction(symbol, target)) : sizer.fixedQty(target);
    const delta = desired - this.position(symbol) - this.pendingQty(symbol);
    const qty = router.roundQty(symbol, Math.abs(delta));
    if (qty > 0) this.route(this.checkOrder({ symbol, side: delta > 0 ? 'buy' : 'sell', qty }));
  }

  private fractionalQty(symbol: string, fraction: number): number {
    const price = this.lastPrice(symbol);
    if (!(price > 0)) return this.position(symbol);
    const qty = (fraction * this.equity()) / (price * (1 + this.options.router.sizingFeeRate));
    return this.options.sizer.capQty(Math.sign(qty) * this.options.router.roundQty(symbol, Math.abs(qty)));
  }
}
