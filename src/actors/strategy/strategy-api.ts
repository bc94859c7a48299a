/**
 * The strategy API (M4): what a strategy file sees. A strategy is a class extending `Strategy`; the same
 * class runs in the backtester (simulated clock, simulated fills) and live in the strategy actor (the
 * engine's clock, orders through the execution actor's pre-trade risk and compliance). The host that runs
 * it (strategy-host.ts) is the same code in both places, so nothing in a strategy can tell them apart.
 *
 * A strategy file default-exports its class:
 *
 *   export default class MyStrategy extends Strategy<{ period: number }> {
 *     static readonly defaults = { period: 20 };
 *     private sma = this.ctx.indicators.sma(this.params.period);   // NOT here: ctx is set at onStart
 *     override onBar(bar: BarEvent): void { ... this.ctx.signal(bar.symbol, 1) ... }
 *   }
 *
 * Hooks run one at a time, in event order; a hook that throws stops the run (backtest) or the strategy
 * (live), with the error reported. Docs: docs/strategies.md.
 */
import type { Clock } from '../../engine/clock.js';
import type { Logger } from '../../engine/logger.js';
import {
  StreamingAdx,
  StreamingAtr,
  StreamingBollinger,
  StreamingDonchian,
  StreamingEma,
  StreamingMacd,
  StreamingRsi,
  StreamingSma,
  StreamingStandardDeviation,
  StreamingZScore,
} from '../../kernels/indicators/indicators.js';
import type { OrderStatus, OrderType, Side, TimeInForce } from '../execution/book/order-types.js';

export type { OrderStatus, OrderType, Side, TimeInForce };

/** One OHLCV bar; `timeMs` is the bar's start (the CSV's time column). */
export interface BarEvent {
  symbol: string;
  timeMs: number;
  /** The bar's length in ms (0 when unknown, as for CSV bars). */
  intervalMs: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface TradeTick {
  symbol: string;
  timeMs: number;
  price: number;
  qty: number;
  /** The aggressor. */
  side: Side;
}

export interface QuoteTick {
  symbol: string;
  timeMs: number;
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
}

/** An order as a strategy writes it. */
export interface OrderSpec {
  symbol: string;
  side: Side;
  qty: number;
  /** Default market. */
  type?: OrderType;
  limitPrice?: number;
  stopPrice?: number;
  /** Default gtc. */
  timeInForce?: TimeInForce;
}

export interface OrderUpdate {
  /** The id `submit` returned: `<strategy>-<n>`, identical in backtests and live. */
  clientOrderId: string;
  symbol: string;
  side: Side;
  status: OrderStatus;
  qty: number;
  filledQty: number;
  /** Average fill price so far, null before the first fill. */
  avgPrice: number | null;
  /** Why the order was rejected or canceled by the venue (an ERR_ code), else null. */
  reason: string | null;
  timeMs: number;
}

export interface FillReport {
  clientOrderId: string;
  symbol: string;
  side: Side;
  price: number;
  qty: number;
  /** In quote currency. */
  fee: number;
  timeMs: number;
}

/** Streaming indicators from the kernel facade (O(1) per update, bit-identical to the batch kernels). */
export interface IndicatorFactory {
  sma(period: number): StreamingSma;
  ema(period: number): StreamingEma;
  rsi(period: number): StreamingRsi;
  stddev(period: number): StreamingStandardDeviation;
  zscore(period: number): StreamingZScore;
  atr(period: number): StreamingAtr;
  adx(period: number): StreamingAdx;
  donchian(period: number): StreamingDonchian;
  bollinger(period: number, deviations: number): StreamingBollinger;
  macd(fast: number, slow: number, signal: number): StreamingMacd;
}

export const streamingIndicators: IndicatorFactory = {
  sma: (period) => new StreamingSma(period),
  ema: (period) => new StreamingEma(period),
  rsi: (period) => new StreamingRsi(period),
  stddev: (period) => new StreamingStandardDeviation(period),
  zscore: (period) => new StreamingZScore(period),
  atr: (period) => new StreamingAtr(period),
  adx: (period) => new StreamingAdx(period),
  donchian: (period) => new StreamingDonchian(period),
  bollinger: (period, deviations) => new StreamingBollinger({ period, multiplier: deviations }),
  macd: (fast, slow, signal) => new StreamingMacd({ fastPeriod: fast, slowPeriod: slow, signalPeriod: signal }),
};

/** The market regime (regime.ts) of a symbol, as strategies read it. */
export interface Regime {
  symbol: string;
  volatility: 'low' | 'normal' | 'high' | 'unknown';
  trend: 'up' | 'down' | 'range' | 'unknown';
  /** Percentile (0..1) of the current realised volatility among its recent history; NaN during warm-up. */
  volatilityPercentile: number;
  adx: number;
  timeMs: number;
}

export interface StrategyContext {
  /** The strategy's instance name (its orders' client ids start with it). */
  readonly name: string;
  /** The account it trades under (its own: `strategy:<name>`). */
  readonly account: string;
  readonly clock: Clock;
  readonly indicators: IndicatorFactory;
  readonly logger: Logger;
  /** Signed position (units) in `symbol`, from this strategy's own fills. */
  position(symbol: string): number;
  cash(): number;
  /** Cash plus positions marked at their last price. */
  equity(): number;
  /** Last trade or close seen for `symbol`; NaN before any. */
  lastPrice(symbol: string): number;
  /** The latest regime of `symbol` (undefined before the detector has one). */
  regime(symbol: string): Regime | undefined;
  /**
   * Sends an order; returns its client order id. Rejections arrive as an order update.
   * @throws OctopusError ERR_STRATEGY_BAD_ORDER (malformed), ERR_STRATEGY_TOO_MANY_ORDERS (open orders at the bound).
   */
  submit(order: OrderSpec): string;
  /** @throws OctopusError ERR_STRATEGY_UNKNOWN_ORDER when the order is not open. */
  cancel(clientOrderId: string): void;
  /** @throws OctopusError ERR_STRATEGY_UNKNOWN_ORDER, ERR_STRATEGY_BAD_ORDER. */
  replace(clientOrderId: string, change: { qty?: number; limitPrice?: number; stopPrice?: number }): void;
  /**
   * States a target exposure for `symbol` in [-1, 1] (1 = fully long as the run's sizing defines it, 0 =
   * flat); the host turns a change of target into an order (docs/strategies.md, "Signals and sizing").
   * @throws OctopusError ERR_STRATEGY_BAD_ORDER when target is not finite or outside [-1, 1].
   */
  signal(symbol: string, target: number): void;
  /** Calls `onTimer(name)` once at `atMs` (clock time); replaces a timer of the same name. @throws ERR_STRATEGY_TOO_MANY_TIMERS. */
  setTimer(name: string, atMs: number): void;
  /** Calls `onTimer(name)` every `intervalMs` from now on. @throws ERR_STRATEGY_TOO_MANY_TIMERS. */
  setInterval(name: string, intervalMs: number): void;
  cancelTimer(name: string): void;
}

/**
 * The base class of every strategy. `ctx` is available from `onStart` on (not in the constructor or in
 * field initialisers). Parameters are the defaults merged with what the run gives.
 */
export abstract class Strategy<Params extends object = Record<string, unknown>> {
  /** Set by the host before onStart. */
  ctx!: StrategyContext;

  constructor(readonly params: Params) {}

  onStart(): void {}
  onBar(_bar: BarEvent): void {}
  onTrade(_trade: TradeTick): void {}
  onQuote(_quote: QuoteTick): void {}
  onOrderUpdate(_update: OrderUpdate): void {}
  onFill(_fill: FillReport): void {}
  onTimer(_name: string): void {}
  onStop(): void {}
}

/** What a strategy module exports: the class, with optional defaults and a parameter check. */
export interface StrategyClass<Params extends object = Record<string, unknown>> {
  new (params: Params): Strategy<Params>;
  /** Default parameters, merged under the given ones. */
  readonly defaults?: Partial<Params>;
  /** Throws OctopusError ERR_STRATEGY_BAD_PARAMS on bad parameters (called with the merged ones). */
  validate?(params: Params): void;
}
