/**
 * The event-driven backtest over bars. A simulated clock walks the bars' timeline; at each time t:
 *
 *   1. the clock reads t and due timers fire;
 *   2. open phase: orders waiting from before t are filled against bar t (fill model below);
 *   3. each symbol's bar t goes to the strategy (onBar), in series order;
 *   4. close phase (market_on_close): market orders sent during t fill at close t;
 *   5. equity is marked at the closes: cash + Σ position × close.
 *
 * Fill models (docs/backtest.md, "Fill models"), chosen per run:
 *   market_on_close  a market order sent on bar t fills at close[t]
 *   next_open        a market order sent on bar t fills at open[t+1]
 * and in both, limit and stop orders are checked from the next bar on (a buy limit fills when low <= limit
 * at min(open, limit); a buy stop when high >= stop at max(open, stop); sells mirror; a stop_limit becomes
 * a limit on the bar it triggers and may fill on it). Market and stop fills move by `slippageTicks` ticks
 * against the order. The fee is feeRate × |qty| × price per fill. A signal's quantity is resolved at the
 * fill price: fraction × equity / (price × (1 + feeRate)) - position, fractional units allowed; so the
 * default all-in signal buys cash / (price × (1 + fee)). A position open at the end stays open (reported
 * open) unless `closeAtEnd`, which sells it at the last close.
 */
import { SimulatedClock } from '../../engine/clock.js';
import { OctopusError } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import { pino } from 'pino';
import { PositionSizer, type SizingSpec } from '../strategy/sizing.js';
import { RegimeDetector } from '../strategy/regime.js';
import type { BarEvent, Strategy } from '../strategy/strategy-api.js';
import { StrategyHost, type OrderRouter, type RoutedOrder } from '../strategy/strategy-host.js';
import type { BarSeries } from './bar-data.js';

export type BarFillModel = 'market_on_close' | 'next_open';
export const kBarFillModels: readonly BarFillModel[] = ['market_on_close', 'next_open'];

export interface BarBacktestOptions {
  strategy: Strategy<object>;
  /** The strategy's instance name (client order ids start with it). Default "backtest". */
  name?: string;
  series: readonly BarSeries[];
  fill: BarFillModel;
  /** Fraction of notional per side (0.001 = 10 bps). */
  feeRate: number;
  slippageTicks?: number;
  tickSize?: number;
  cash: number;
  sizing?: SizingSpec;
  maxPositionQty?: number;
  closeAtEnd?: boolean;
  /** Run the regime detector over the bars (strategies read ctx.regime). Default false. */
  regime?: boolean;
  /** Steps [from, to) of the merged timeline only (walk-forward folds). Default all. */
  range?: { from: number; to: number };
  logger?: Logger;
  /** Called every `progressEvery` steps and at the end. */
  onProgress?: (done: number, total: number) => void;
}

export interface FillRecord {
  clientOrderId: string;
  symbol: string;
  side: 'buy' | 'sell';
  price: number;
  qty: number;
  fee: number;
  timeMs: number;
  /** Index of the timeline step it happened at. */
  step: number;
}

export interface BacktestRun {
  timesMs: Float64Array;
  equity: Float64Array;
  /** 1 where any position was open after the step's fills. */
  exposed: Uint8Array;
  fills: FillRecord[];
  initialCash: number;
  /** Close of each symbol at each step (NaN where the symbol had no bar), for marks and charts. */
  closes: Map<string, Float64Array>;
  finalPositions: Record<string, number>;
  ordersSent: number;
  signals: { symbol: string; target: number; timeMs: number }[];
}

interface Pending {
  order: RoutedOrder;
  step: number;
  triggered: boolean;
}

const kProgressEvery = 65_536;
const silentLogger = pino({ level: 'silent' });

/** The bars' common timeline: every distinct time, ascending. */
export function mergedTimeline(series: readonly BarSeries[]): Float64Array {
  if (series.length === 1) return series[0]!.time;
  const times = new Set<number>();
  for (const one of series) for (const time of one.time) times.add(time);
  return Float64Array.from([...times].sort((a, b) => a - b));
}

class BarBroker implements OrderRouter {
  readonly resolvesAtFill = true;
  readonly sizingFeeRate: number;
  readonly pending: Pending[] = [];
  readonly fills: FillRecord[] = [];
  host!: StrategyHost;
  step = 0;
  ordersSent = 0;
  private readonly slippage: number;

  constructor(
    private readonly clock: SimulatedClock,
    private readonly feeRate: number,
    slippageTicks: number,
    tickSize: number,
  ) {
    this.sizingFeeRate = feeRate;
    this.slippage = slippageTicks * tickSize;
  }

  roundQty(_symbol: string, qty: number): number {
    return qty;
  }

  submit(order: RoutedOrder): void {
    this.ordersSent++;
    this.pending.push({ order, step: this.step, triggered: order.type !== 'stop' && order.type !== 'stop_limit' });
  }

  cancel(clientOrderId: string): void {
    const index = this.pending.findIndex((pending) => pending.order.clientOrderId === clientOrderId);
    if (index < 0) return;
    const [pending] = this.pending.splice(index, 1);
    this.report(pending!.order, 'canceled', null);
  }

  replace(clientOrderId: string, change: { qty?: number; limitPrice?: number; stopPrice?: number }): void {
    const pending = this.pending.find((candidate) => candidate.order.clientOrderId === clientOrderId);
    if (pending === undefined) return;
    const order = pending.order;
    if (change.qty !== undefined && order.targetFraction === undefined) order.qty = change.qty;
    if (change.limitPrice !== undefined && order.limitPrice !== undefined) order.limitPrice = change.limitPrice;
    if (change.stopPrice !== undefined && order.stopPrice !== undefined) order.stopPrice = change.stopPrice;
  }

  /** Open phase for one symbol's bar: next-open market orders, then limit and stop orders. */
  openPhase(symbol: string, bar: BarEvent, nextOpen: boolean): void {
    for (let index = 0; index < this.pending.length; ) {
      const pending = this.pending[index]!;
      const price = pending.order.symbol === symbol && pending.step < this.step ? this.priceOnBar(pending, bar, nextOpen) : Number.NaN;
      if (Number.isNaN(price)) {
        index++;
        continue;
      }
      this.pending.splice(index, 1);
      this.execute(pending.order, price);
    }
  }

  /** Close phase: market orders of `symbol` fill at its close. */
  closePhase(symbol: string, close: number): void {
    for (let index = 0; index < this.pending.length; ) {
      const pending = this.pending[index]!;
      if (pending.order.symbol !== symbol || pending.order.type !== 'market') {
        index++;
        continue;
      }
      this.pending.splice(index, 1);
      this.execute(pending.order, this.slip(pending.order, close));
    }
  }

  /** The fill price on this bar, or NaN when the order does not fill on it. */
  private priceOnBar(pending: Pending, bar: BarEvent, nextOpen: boolean): number {
    const order = pending.order;
    const buy = order.side === 'buy';
    if (order.type === 'market') return nextOpen ? this.slip(order, bar.open) : Number.NaN;
    if (!pending.triggered) {
      const stop = order.stopPrice!;
      if (buy ? bar.high < stop : bar.low > stop) return Number.NaN;
      pending.triggered = true;
      const triggerPrice = buy ? Math.max(bar.open, stop) : Math.min(bar.open, stop);
      if (order.type === 'stop') return this.slip(order, triggerPrice);
    }
    const limit = order.limitPrice!;
    if (buy ? bar.low > limit : bar.high < limit) return Number.NaN;
    return buy ? Math.min(bar.open, limit) : Math.max(bar.open, limit);
  }

  private slip(order: RoutedOrder, price: number): number {
    if (this.slippage === 0) return price;
    return order.side === 'buy' ? price + this.slippage : Math.max(Number.MIN_VALUE, price - this.slippage);
  }

  execute(order: RoutedOrder, price: number): void {
    const host = this.host;
    let signedQty: number;
    if (order.targetFraction === undefined) {
      signedQty = order.side === 'buy' ? order.qty : -order.qty;
    } else if (order.targetFraction === 0) {
      signedQty = -host.position(order.symbol);
    } else {
      // Equity at the fill price: the symbol's last mark is replaced by this price.
      const position = host.position(order.symbol);
      const last = host.lastPrice(order.symbol);
      const equity = host.equity() + (position === 0 ? 0 : position * (price - last));
      signedQty = (order.targetFraction * equity) / (price * (1 + this.feeRate)) - position;
    }
    if (Math.abs(signedQty) <= 1e-12 * Math.max(1, Math.abs(host.position(order.symbol)))) {
      this.report(order, 'canceled', null);
      return;
    }
    const qty = Math.abs(signedQty);
    const side = signedQty > 0 ? 'buy' : 'sell';
    const fee = qty * price * this.feeRate;
    const timeMs = this.clock.nowMs();
    this.fills.push({ clientOrderId: order.clientOrderId, symbol: order.symbol, side, price, qty, fee, timeMs, step: this.step });
    host.fill({ clientOrderId: order.clientOrderId, symbol: order.symbol, side, price, qty, fee, timeMs });
    host.orderUpdate({ clientOrderId: order.clientOrderId, symbol: order.symbol, side, status: 'filled', qty, filledQty: qty, avgPrice: price, reason: null, timeMs });
  }

  private report(order: RoutedOrder, status: 'canceled', reason: string | null): void {
    const qty = Number.isNaN(order.qty) ? 0 : order.qty;
    this.host.orderUpdate({ clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, status, qty, filledQty: 0, avgPrice: null, reason, timeMs: this.clock.nowMs() });
  }
}

/** The host of a backtest: the run's strategy, name (account `strategy:<name>`), sizing and cash. */
export function backtestHost(
  options: Pick<BarBacktestOptions, 'strategy' | 'name' | 'logger' | 'sizing' | 'maxPositionQty' | 'cash'>,
  clock: SimulatedClock,
  router: OrderRouter,
  barIntervalMs: number,
): StrategyHost {
  const name = options.name ?? 'backtest';
  return new StrategyHost(options.strategy, {
    name,
    account: `strategy:${name}`,
    clock,
    logger: options.logger ?? silentLogger,
    router,
    sizer: new PositionSizer(options.sizing ?? { kind: 'all_in' }, options.maxPositionQty),
    startingCash: options.cash,
    barIntervalMs,
  });
}

/**
 * Runs a strategy over bars.
 * @throws OctopusError ERR_BACKTEST_BAD_OPTION on a bad option; whatever the strategy throws.
 */
export function runBarBacktest(options: BarBacktestOptions): BacktestRun {
  checkOptions(options);
  const timeline = mergedTimeline(options.series);
  const from = options.range?.from ?? 0;
  const to = options.range?.to ?? timeline.length;
  const clock = new SimulatedClock(from < to ? timeline[from]! : 0);
  const broker = new BarBroker(clock, options.feeRate, options.slippageTicks ?? 0, options.tickSize ?? 0.01);
  const host = backtestHost(options, clock, broker, 0);
  broker.host = host;
  const steps = Math.max(0, to - from);
  const run: BacktestRun = {
    timesMs: timeline.subarray(from, to),
    equity: new Float64Array(steps),
    exposed: new Uint8Array(steps),
    fills: broker.fills,
    initialCash: options.cash,
    closes: new Map(options.series.map((series) => [series.symbol, new Float64Array(steps).fill(Number.NaN)])),
    finalPositions: {},
    ordersSent: 0,
    signals: host.signals,
  };
  host.start();
  walkTimeline(options, timeline, from, to, clock, broker, host, run);
  host.stop();
  run.ordersSent = broker.ordersSent;
  for (const [symbol, qty] of host.openPositions()) if (qty !== 0) run.finalPositions[symbol] = qty;
  return run;
}

function walkTimeline(options: BarBacktestOptions, timeline: Float64Array, from: number, to: number, clock: SimulatedClock, broker: BarBroker, host: StrategyHost, run: BacktestRun): void {
  const series = options.series;
  const cursors = series.map((one) => lowerBound(one.time, timeline[from] ?? 0));
  const closes = series.map((one) => run.closes.get(one.symbol)!);
  const nextOpen = options.fill === 'next_open';
  const regime = options.regime === true ? new RegimeDetector() : null;
  for (let step = from; step < to; step++) {
    const timeMs = timeline[step]!;
    const index = step - from;
    broker.step = index;
    clock.set(timeMs);
    host.advanceTo(timeMs);
    for (let which = 0; which < series.length; which++) {
      const one = series[which]!;
      const cursor = cursors[which]!;
      if (cursor >= one.length || one.time[cursor] !== timeMs) continue;
      const bar: BarEvent = { symbol: one.symbol, timeMs, intervalMs: 0, open: one.open[cursor]!, high: one.high[cursor]!, low: one.low[cursor]!, close: one.close[cursor]!, volume: one.volume[cursor]! };
      if (broker.pending.length > 0) broker.openPhase(one.symbol, bar, nextOpen);
      if (regime !== null) {
        const state = regime.update(bar);
        if (state !== null) host.setRegime(state);
      }
      host.bar(bar);
      closes[which]![index] = bar.close;
    }
    for (let which = 0; which < series.length; which++) {
      const one = series[which]!;
      const cursor = cursors[which]!;
      if (cursor >= one.length || one.time[cursor] !== timeMs) continue;
      if (!nextOpen && broker.pending.length > 0) broker.closePhase(one.symbol, one.close[cursor]!);
      cursors[which] = cursor + 1;
    }
    if (options.closeAtEnd === true && step === to - 1) closeEverything(broker, host);
    run.equity[index] = host.equity();
    run.exposed[index] = anyPosition(host) ? 1 : 0;
    if (options.onProgress !== undefined && (index + 1) % kProgressEvery === 0) options.onProgress(index + 1, to - from);
  }
  options.onProgress?.(to - from, to - from);
}

function closeEverything(broker: BarBroker, host: StrategyHost): void {
  for (const [symbol, qty] of host.openPositions()) {
    if (qty === 0) continue;
    const order = host.context.submit({ symbol, side: qty > 0 ? 'sell' : 'buy', qty: Math.abs(qty) });
    const pending = broker.pending.findIndex((candidate) => candidate.order.clientOrderId === order);
    const [taken] = broker.pending.splice(pending, 1);
    broker.execute(taken!.order, host.lastPrice(symbol));
  }
}

function anyPosition(host: StrategyHost): boolean {
  for (const qty of host.openPositions().values()) if (qty !== 0) return true;
  return false;
}

function lowerBound(times: Float64Array, value: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (times[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function checkOptions(options: BarBacktestOptions): void {
  const fail = (message: string): never => {
    throw new OctopusError('ERR_BACKTEST_BAD_OPTION', message);
  };
  if (!kBarFillModels.includes(options.fill)) fail(`expected fill ${kBarFillModels.join(' or ')}, was ${JSON.stringify(options.fill)}`);
  if (!(options.feeRate >= 0 && options.feeRate < 1)) fail(`expected fees a fraction in [0, 1), was ${options.feeRate}`);
  if (!(options.cash > 0 && Number.isFinite(options.cash))) fail(`expected cash a finite number > 0, was ${options.cash}`);
  const slippage = options.slippageTicks ?? 0;
  if (!(slippage >= 0 && Number.isFinite(slippage))) fail(`expected slippage ticks a finite number >= 0, was ${slippage}`);
  const tick = options.tickSize ?? 0.01;
  if (!(tick > 0 && Number.isFinite(tick))) fail(`expected a tick size > 0, was ${tick}`);
  if (options.series.length === 0 || options.series.length > 1_000) fail(`expected 1 to 1000 bar series, was ${options.series.length}`);
  if (new Set(options.series.map((series) => series.symbol)).size !== options.series.length) fail('expected one series per symbol, was a repeated symbol');
}
