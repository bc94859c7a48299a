/**
 * Streaming indicators: one object per series, `update(...)` per new point or bar, O(1) per update
 * (amortised for the moving windows, and O(period) for the CCI; see indicators-windows.ts). Feeding a
 * series point by point gives exactly the values (the same bits) of the batch function of the same name
 * in indicators.ts, warm-up NaN included.
 *
 * `save()` returns a plain, JSON-safe object (non-finite numbers are written as strings, see
 * indicators-state.ts) holding everything the indicator needs to continue; `Class.restore(state)` builds an
 * indicator that continues exactly where the saved one was. A moving window saves its last two blocks of
 * raw points (at most 2 x period numbers) and recomputes its sums on restore.
 *
 * Multi-output indicators return one result object that is reused by every update (no allocation per
 * point); copy its fields to keep them.
 *
 * Errors: a period that is not an integer in 1..kIndicatorPeriodMax throws KernelError
 * ERR_KERNEL_BAD_PERIOD; other bad parameters ERR_KERNEL_BAD_PARAM; `restore` of a malformed state, or of
 * a state saved by another indicator or version, ERR_KERNEL_BAD_STATE. `update` does not check its
 * arguments (it is the hot path): NaN and infinities follow the rules of the batch functions.
 */
import { describeValue, kernelError } from '../errors.js';
import {
  demaValue,
  directionalIndex,
  directionalIndicator,
  donchianMiddle,
  minusDirectionalMovement,
  plusDirectionalMovement,
  stochasticK,
  stochasticLookback,
  temaValue,
  trueRange,
  typicalPrice,
  vwapValue,
  type BollingerParams,
  type MacdParams,
  type StochasticParams,
} from './formulas.js';
import { macdLookback, zScoreValue } from './primitives.js';
import {
  kIndicatorStateVersion,
  readFinite,
  readInteger,
  readNumber,
  readPart,
  readState,
  saveNumber,
  type SavedNumber,
} from './state.js';
import {
  CciWindow,
  ExtremumWindow,
  MomentsWindow,
  ObvCore,
  RsiCore,
  SmaWindow,
  Smoother,
  WmaWindow,
  type BlockWindowState,
  type SmootherState,
} from './windows.js';

/**
 * The longest period a streaming indicator (and the registry) accepts: TA-Lib's bound for its periods.
 * A moving window keeps up to a few times this many doubles (0.8 MB each).
 */
export const kIndicatorPeriodMax = 100_000;

/** One OHLCV bar; each indicator reads the fields it names. The engine's Bar message fits. */
export interface OhlcvBar {
  readonly open?: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume?: number;
}
export type BarOf<K extends 'high' | 'low' | 'close' | 'volume'> = { readonly [P in K]: number };

export interface MacdPoint {
  macd: number;
  signal: number;
  histogram: number;
}
export interface BandPoint {
  upper: number;
  middle: number;
  lower: number;
}
export interface StochasticPoint {
  k: number;
  d: number;
}
export interface AdxPoint {
  adx: number;
  plusDi: number;
  minusDi: number;
}

/** Every saved state carries these two fields; restore refuses a state of another kind or version. */
export interface SavedIndicatorHeader<Kind extends string> {
  kind: Kind;
  version: number;
}

/**
 * A streaming period: an integer in 1..kIndicatorPeriodMax.
 * @throws KernelError ERR_KERNEL_BAD_PERIOD naming the parameter.
 */
export function checkStreamingPeriod(value: unknown, name = 'period'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > kIndicatorPeriodMax) {
    throw kernelError('ERR_KERNEL_BAD_PERIOD', `${name} to be an integer in 1..${kIndicatorPeriodMax}`, describeValue(value));
  }
  return value;
}

function header<Kind extends string>(kind: Kind): SavedIndicatorHeader<Kind> {
  return { kind, version: kIndicatorStateVersion };
}

/** The period field of a saved state. @throws KernelError ERR_KERNEL_BAD_STATE. */
function savedPeriod(record: Readonly<Record<string, unknown>>, key = 'period'): number {
  return readInteger(record, key, 1, kIndicatorPeriodMax, 'state');
}

// ---------------------------------------------------------------------------------------------------
// Single series in, one value out

export interface WindowIndicatorState<Kind extends string> extends SavedIndicatorHeader<Kind> {
  period: number;
  window: BlockWindowState;
}

/** Simple moving average; bit-identical to `sma`. */
export class StreamingSma {
  readonly period: number;
  private window: SmaWindow;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.window = new SmaWindow(period);
  }

  update(value: number): number {
    return this.window.update(value);
  }

  save(): WindowIndicatorState<'sma'> {
    return { ...header('sma'), period: this.period, window: this.window.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingSma {
    const record = readState(state, 'sma');
    const stream = new StreamingSma(savedPeriod(record));
    stream.window = SmaWindow.restore(readPart(record, 'window', 'state'), stream.period, 'state.window');
    return stream;
  }
}

/** Weighted moving average; bit-identical to `wma`. */
export class StreamingWma {
  readonly period: number;
  private window: WmaWindow;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.window = new WmaWindow(period);
  }

  update(value: number): number {
    return this.window.update(value);
  }

  save(): WindowIndicatorState<'wma'> {
    return { ...header('wma'), period: this.period, window: this.window.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingWma {
    const record = readState(state, 'wma');
    const stream = new StreamingWma(savedPeriod(record));
    stream.window = WmaWindow.restore(readPart(record, 'window', 'state'), stream.period, 'state.window');
    return stream;
  }
}

/** Moving population standard deviation; bit-identical to `standardDeviation`. */
export class StreamingStandardDeviation {
  readonly period: number;
  private window: MomentsWindow;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.window = new MomentsWindow(period);
  }

  update(value: number): number {
    return Math.sqrt(this.window.update(value));
  }

  save(): WindowIndicatorState<'stddev'> {
    return { ...header('stddev'), period: this.period, window: this.window.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingStandardDeviation {
    const record = readState(state, 'stddev');
    const stream = new StreamingStandardDeviation(savedPeriod(record));
    stream.window = MomentsWindow.restore(readPart(record, 'window', 'state'), stream.period, 'state.window');
    return stream;
  }
}

/** Moving z-score; bit-identical to `zScore`. */
export class StreamingZScore {
  readonly period: number;
  private window: MomentsWindow;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.window = new MomentsWindow(period);
  }

  update(value: number): number {
    const variance = this.window.update(value);
    return zScoreValue(this.window.deviation, variance);
  }

  save(): WindowIndicatorState<'zscore'> {
    return { ...header('zscore'), period: this.period, window: this.window.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingZScore {
    const record = readState(state, 'zscore');
    const stream = new StreamingZScore(savedPeriod(record));
    stream.window = MomentsWindow.restore(readPart(record, 'window', 'state'), stream.period, 'state.window');
    return stream;
  }
}

export interface SmootherIndicatorState<Kind extends string> extends SavedIndicatorHeader<Kind> {
  period: number;
  smoothers: SmootherState[];
}

/** Restores `count` EMA smoothers of one period from state.smoothers. @throws ERR_KERNEL_BAD_STATE. */
function restoreSmoothers(record: Readonly<Record<string, unknown>>, period: number, count: number): Smoother[] {
  const saved = record.smoothers;
  if (!Array.isArray(saved) || saved.length !== count) {
    throw kernelError('ERR_KERNEL_BAD_STATE', `state.smoothers to hold ${count} smoother states`, describeValue(saved));
  }
  return saved.map((part: unknown, index) => {
    const label = `state.smoothers[${index}]`;
    return Smoother.restore(readPart({ part }, 'part', label), period, 'ema', label);
  });
}

/** Exponential moving average; bit-identical to `ema`. */
export class StreamingEma {
  readonly period: number;
  private smoother: Smoother;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.smoother = new Smoother(period, 'ema');
  }

  update(value: number): number {
    return this.smoother.update(value);
  }

  save(): SmootherIndicatorState<'ema'> {
    return { ...header('ema'), period: this.period, smoothers: [this.smoother.save()] };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingEma {
    const record = readState(state, 'ema');
    const stream = new StreamingEma(savedPeriod(record));
    [stream.smoother] = restoreSmoothers(record, stream.period, 1) as [Smoother];
    return stream;
  }
}

/** Double EMA, 2 EMA - EMA(EMA); bit-identical to `dema`. */
export class StreamingDema {
  readonly period: number;
  private first: Smoother;
  private second: Smoother;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.first = new Smoother(period, 'ema');
    this.second = new Smoother(period, 'ema');
  }

  update(value: number): number {
    const first = this.first.update(value);
    return demaValue(first, this.second.update(first));
  }

  save(): SmootherIndicatorState<'dema'> {
    return { ...header('dema'), period: this.period, smoothers: [this.first.save(), this.second.save()] };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingDema {
    const record = readState(state, 'dema');
    const stream = new StreamingDema(savedPeriod(record));
    [stream.first, stream.second] = restoreSmoothers(record, stream.period, 2) as [Smoother, Smoother];
    return stream;
  }
}

/** Triple EMA, 3 EMA - 3 EMA(EMA) + EMA(EMA(EMA)); bit-identical to `tema`. */
export class StreamingTema {
  readonly period: number;
  private first: Smoother;
  private second: Smoother;
  private third: Smoother;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.first = new Smoother(period, 'ema');
    this.second = new Smoother(period, 'ema');
    this.third = new Smoother(period, 'ema');
  }

  update(value: number): number {
    const first = this.first.update(value);
    const second = this.second.update(first);
    return temaValue(first, second, this.third.update(second));
  }

  save(): SmootherIndicatorState<'tema'> {
    return {
      ...header('tema'),
      period: this.period,
      smoothers: [this.first.save(), this.second.save(), this.third.save()],
    };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingTema {
    const record = readState(state, 'tema');
    const stream = new StreamingTema(savedPeriod(record));
    [stream.first, stream.second, stream.third] = restoreSmoothers(record, stream.period, 3) as [Smoother, Smoother, Smoother];
    return stream;
  }
}

/** Wilder's RSI; bit-identical to `rsi`. */
export class StreamingRsi {
  readonly period: number;
  private core: RsiCore;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.core = new RsiCore(period);
  }

  update(close: number): number {
    return this.core.update(close);
  }

  save(): SavedIndicatorHeader<'rsi'> & { period: number; core: ReturnType<RsiCore['save']> } {
    return { ...header('rsi'), period: this.period, core: this.core.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingRsi {
    const record = readState(state, 'rsi');
    const stream = new StreamingRsi(savedPeriod(record));
    stream.core = RsiCore.restore(readPart(record, 'core', 'state'), stream.period, 'state.core');
    return stream;
  }
}

// ---------------------------------------------------------------------------------------------------
// Multi-output over one series

/** MACD line, signal and histogram; bit-identical to `macd`. */
export class StreamingMacd {
  readonly params: Readonly<MacdParams>;
  private fast: Smoother;
  private slow: Smoother;
  private signal: Smoother;
  /** Points seen, counted up to the lookback (the line is NaN before it, as in the batch). */
  private pointsSeen = 0;
  private readonly lookback: number;
  private readonly result: MacdPoint = { macd: Number.NaN, signal: Number.NaN, histogram: Number.NaN };

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_PARAM unless fastPeriod < slowPeriod. */
  constructor(params: MacdParams) {
    const fastPeriod = checkStreamingPeriod(params.fastPeriod, 'fastPeriod');
    const slowPeriod = checkStreamingPeriod(params.slowPeriod, 'slowPeriod');
    const signalPeriod = checkStreamingPeriod(params.signalPeriod, 'signalPeriod');
    if (fastPeriod >= slowPeriod) {
      throw kernelError('ERR_KERNEL_BAD_PARAM', `fastPeriod < slowPeriod ${slowPeriod}`, `${fastPeriod}`);
    }
    this.params = Object.freeze({ fastPeriod, slowPeriod, signalPeriod });
    this.fast = new Smoother(fastPeriod, 'ema');
    this.slow = new Smoother(slowPeriod, 'ema');
    this.signal = new Smoother(signalPeriod, 'ema');
    this.lookback = macdLookback(slowPeriod, signalPeriod);
  }

  /** The returned object is reused by the next update. */
  update(value: number): Readonly<MacdPoint> {
    const line = this.fast.update(value) - this.slow.update(value);
    const signal = this.signal.update(line);
    this.result.histogram = line - signal;
    this.result.signal = signal;
    this.result.macd = this.pointsSeen < this.lookback ? Number.NaN : line;
    if (this.pointsSeen < this.lookback) this.pointsSeen++;
    return this.result;
  }

  save(): SavedIndicatorHeader<'macd'> & MacdParams & { pointsSeen: number; smoothers: SmootherState[] } {
    return {
      ...header('macd'),
      ...this.params,
      pointsSeen: this.pointsSeen,
      smoothers: [this.fast.save(), this.slow.save(), this.signal.save()],
    };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingMacd {
    const record = readState(state, 'macd');
    const stream = construct(() =>
      new StreamingMacd({
        fastPeriod: savedPeriod(record, 'fastPeriod'),
        slowPeriod: savedPeriod(record, 'slowPeriod'),
        signalPeriod: savedPeriod(record, 'signalPeriod'),
      }),
    );
    stream.pointsSeen = readInteger(record, 'pointsSeen', 0, stream.lookback, 'state');
    const saved = record.smoothers;
    if (!Array.isArray(saved) || saved.length !== 3) {
      throw kernelError('ERR_KERNEL_BAD_STATE', 'state.smoothers to hold 3 smoother states', describeValue(saved));
    }
    const { fastPeriod, slowPeriod, signalPeriod } = stream.params;
    stream.fast = Smoother.restore(readPart({ part: saved[0] }, 'part', 'state.smoothers[0]'), fastPeriod, 'ema', 'state.smoothers[0]');
    stream.slow = Smoother.restore(readPart({ part: saved[1] }, 'part', 'state.smoothers[1]'), slowPeriod, 'ema', 'state.smoothers[1]');
    stream.signal = Smoother.restore(readPart({ part: saved[2] }, 'part', 'state.smoothers[2]'), signalPeriod, 'ema', 'state.smoothers[2]');
    return stream;
  }
}

/** Bollinger bands; bit-identical to `bollinger`. */
export class StreamingBollinger {
  readonly params: Readonly<BollingerParams>;
  private average: SmaWindow;
  private moments: MomentsWindow;
  private readonly result: BandPoint = { upper: Number.NaN, middle: Number.NaN, lower: Number.NaN };

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_PARAM for a multiplier not finite and >= 0. */
  constructor(params: BollingerParams) {
    const period = checkStreamingPeriod(params.period);
    const multiplier = params.multiplier;
    if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 0) {
      throw kernelError('ERR_KERNEL_BAD_PARAM', 'multiplier to be a finite number >= 0', describeValue(multiplier));
    }
    this.params = Object.freeze({ period, multiplier });
    this.average = new SmaWindow(period);
    this.moments = new MomentsWindow(period);
  }

  /** The returned object is reused by the next update. */
  update(value: number): Readonly<BandPoint> {
    const middle = this.average.update(value);
    const width = this.params.multiplier * Math.sqrt(this.moments.update(value));
    this.result.upper = middle + width;
    this.result.middle = middle;
    this.result.lower = middle - width;
    return this.result;
  }

  save(): SavedIndicatorHeader<'bollinger'> & BollingerParams & { window: BlockWindowState } {
    // Both windows hold the same points, so one of them is saved.
    return { ...header('bollinger'), ...this.params, window: this.average.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingBollinger {
    const record = readState(state, 'bollinger');
    const stream = construct(
      () => new StreamingBollinger({ period: savedPeriod(record), multiplier: readFinite(record, 'multiplier', 'state') }),
    );
    const window = readPart(record, 'window', 'state');
    stream.average = SmaWindow.restore(window, stream.params.period, 'state.window');
    stream.moments = MomentsWindow.restore(window, stream.params.period, 'state.window');
    return stream;
  }
}

// ---------------------------------------------------------------------------------------------------
// OHLCV bars

/** Average true range; bit-identical to `atr`. */
export class StreamingAtr {
  readonly period: number;
  private smoother: Smoother;
  private previousClose = Number.NaN;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.smoother = new Smoother(period, 'wilder');
  }

  update(bar: BarOf<'high' | 'low' | 'close'>): number {
    const range = trueRange(bar.high, bar.low, this.previousClose);
    this.previousClose = bar.close;
    return this.smoother.update(range);
  }

  save(): SavedIndicatorHeader<'atr'> & { period: number; previousClose: SavedNumber; smoother: SmootherState } {
    const smoother = this.smoother.save();
    return { ...header('atr'), period: this.period, previousClose: savedNumberOf(this.previousClose), smoother };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingAtr {
    const record = readState(state, 'atr');
    const stream = new StreamingAtr(savedPeriod(record));
    stream.previousClose = restoredNumberOf(record, 'previousClose');
    stream.smoother = Smoother.restore(readPart(record, 'smoother', 'state'), stream.period, 'wilder', 'state.smoother');
    return stream;
  }
}

/** ADX with +DI and -DI; bit-identical to `adx`. */
export class StreamingAdx {
  readonly period: number;
  private ranges: Smoother;
  private plusMoves: Smoother;
  private minusMoves: Smoother;
  private index: Smoother;
  private previousHigh = Number.NaN;
  private previousLow = Number.NaN;
  private previousClose = Number.NaN;
  private readonly result: AdxPoint = { adx: Number.NaN, plusDi: Number.NaN, minusDi: Number.NaN };

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.ranges = new Smoother(period, 'wilder');
    this.plusMoves = new Smoother(period, 'wilder');
    this.minusMoves = new Smoother(period, 'wilder');
    this.index = new Smoother(period, 'wilder');
  }

  /** The returned object is reused by the next update. */
  update(bar: BarOf<'high' | 'low' | 'close'>): Readonly<AdxPoint> {
    const { high, low } = bar;
    let range = trueRange(high, low, this.previousClose);
    let plus = plusDirectionalMovement(high, low, this.previousHigh, this.previousLow);
    let minus = minusDirectionalMovement(high, low, this.previousHigh, this.previousLow);
    if (range !== range || plus !== plus) {
      range = Number.NaN;
      plus = Number.NaN;
      minus = Number.NaN;
    }
    this.previousHigh = high;
    this.previousLow = low;
    this.previousClose = bar.close;
    const smoothedRange = this.ranges.update(range);
    const plusIndicator = directionalIndicator(this.plusMoves.update(plus), smoothedRange);
    const minusIndicator = directionalIndicator(this.minusMoves.update(minus), smoothedRange);
    this.result.adx = this.index.update(directionalIndex(plusIndicator, minusIndicator));
    this.result.plusDi = plusIndicator;
    this.result.minusDi = minusIndicator;
    return this.result;
  }

  save(): SavedIndicatorHeader<'adx'> & {
    period: number;
    previousHigh: SavedNumber;
    previousLow: SavedNumber;
    previousClose: SavedNumber;
    smoothers: SmootherState[];
  } {
    return {
      ...header('adx'),
      period: this.period,
      previousHigh: savedNumberOf(this.previousHigh),
      previousLow: savedNumberOf(this.previousLow),
      previousClose: savedNumberOf(this.previousClose),
      smoothers: [this.ranges.save(), this.plusMoves.save(), this.minusMoves.save(), this.index.save()],
    };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingAdx {
    const record = readState(state, 'adx');
    const stream = new StreamingAdx(savedPeriod(record));
    stream.previousHigh = restoredNumberOf(record, 'previousHigh');
    stream.previousLow = restoredNumberOf(record, 'previousLow');
    stream.previousClose = restoredNumberOf(record, 'previousClose');
    const saved = record.smoothers;
    if (!Array.isArray(saved) || saved.length !== 4) {
      throw kernelError('ERR_KERNEL_BAD_STATE', 'state.smoothers to hold 4 smoother states', describeValue(saved));
    }
    const smoothers = saved.map((part: unknown, index) => {
      const label = `state.smoothers[${index}]`;
      return Smoother.restore(readPart({ part }, 'part', label), stream.period, 'wilder', label);
    });
    [stream.ranges, stream.plusMoves, stream.minusMoves, stream.index] = smoothers as [Smoother, Smoother, Smoother, Smoother];
    return stream;
  }
}

/** Stochastic %K and %D; bit-identical to `stochastic`. */
export class StreamingStochastic {
  readonly params: Readonly<StochasticParams>;
  private highest: ExtremumWindow;
  private lowest: ExtremumWindow;
  private smoothedK: SmaWindow;
  private signal: SmaWindow;
  private barsSeen = 0;
  private readonly lookback: number;
  private readonly result: StochasticPoint = { k: Number.NaN, d: Number.NaN };

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(params: StochasticParams) {
    const kPeriod = checkStreamingPeriod(params.kPeriod, 'kPeriod');
    const kSmoothing = checkStreamingPeriod(params.kSmoothing, 'kSmoothing');
    const dPeriod = checkStreamingPeriod(params.dPeriod, 'dPeriod');
    this.params = Object.freeze({ kPeriod, kSmoothing, dPeriod });
    this.highest = new ExtremumWindow(kPeriod, true);
    this.lowest = new ExtremumWindow(kPeriod, false);
    this.smoothedK = new SmaWindow(kSmoothing);
    this.signal = new SmaWindow(dPeriod);
    this.lookback = stochasticLookback(this.params);
  }

  /** The returned object is reused by the next update. */
  update(bar: BarOf<'high' | 'low' | 'close'>): Readonly<StochasticPoint> {
    const fastK = stochasticK(bar.close, this.highest.update(bar.high), this.lowest.update(bar.low));
    const k = this.smoothedK.update(fastK);
    this.result.d = this.signal.update(k);
    this.result.k = this.barsSeen < this.lookback ? Number.NaN : k;
    if (this.barsSeen < this.lookback) this.barsSeen++;
    return this.result;
  }

  save(): SavedIndicatorHeader<'stochastic'> &
    StochasticParams & { barsSeen: number; highest: BlockWindowState; lowest: BlockWindowState; smoothedK: BlockWindowState; signal: BlockWindowState } {
    return {
      ...header('stochastic'),
      ...this.params,
      barsSeen: this.barsSeen,
      highest: this.highest.save(),
      lowest: this.lowest.save(),
      smoothedK: this.smoothedK.save(),
      signal: this.signal.save(),
    };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingStochastic {
    const record = readState(state, 'stochastic');
    const stream = new StreamingStochastic({
      kPeriod: savedPeriod(record, 'kPeriod'),
      kSmoothing: savedPeriod(record, 'kSmoothing'),
      dPeriod: savedPeriod(record, 'dPeriod'),
    });
    const { kPeriod, kSmoothing, dPeriod } = stream.params;
    stream.barsSeen = readInteger(record, 'barsSeen', 0, stream.lookback, 'state');
    stream.highest = ExtremumWindow.restore(readPart(record, 'highest', 'state'), kPeriod, true, 'state.highest');
    stream.lowest = ExtremumWindow.restore(readPart(record, 'lowest', 'state'), kPeriod, false, 'state.lowest');
    stream.smoothedK = SmaWindow.restore(readPart(record, 'smoothedK', 'state'), kSmoothing, 'state.smoothedK');
    stream.signal = SmaWindow.restore(readPart(record, 'signal', 'state'), dPeriod, 'state.signal');
    return stream;
  }
}

/** Commodity channel index; bit-identical to `cci`. O(period) per update (see CciWindow). */
export class StreamingCci {
  readonly period: number;
  private window: CciWindow;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.window = new CciWindow(period);
  }

  update(bar: BarOf<'high' | 'low' | 'close'>): number {
    return this.window.update(typicalPrice(bar.high, bar.low, bar.close));
  }

  save(): SavedIndicatorHeader<'cci'> & { period: number; window: ReturnType<CciWindow['save']> } {
    return { ...header('cci'), period: this.period, window: this.window.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingCci {
    const record = readState(state, 'cci');
    const stream = new StreamingCci(savedPeriod(record));
    stream.window = CciWindow.restore(readPart(record, 'window', 'state'), stream.period, 'state.window');
    return stream;
  }
}

/** On-balance volume; bit-identical to `obv`. */
export class StreamingObv {
  private core = new ObvCore();

  update(bar: BarOf<'close' | 'volume'>): number {
    return this.core.update(bar.close, bar.volume);
  }

  save(): SavedIndicatorHeader<'obv'> & { core: ReturnType<ObvCore['save']> } {
    return { ...header('obv'), core: this.core.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingObv {
    const record = readState(state, 'obv');
    const stream = new StreamingObv();
    stream.core = ObvCore.restore(readPart(record, 'core', 'state'), 'state.core');
    return stream;
  }
}

/** Rolling VWAP over `period` bars; bit-identical to `vwap`. */
export class StreamingVwap {
  readonly period: number;
  private priceVolume: SmaWindow;
  private volume: SmaWindow;

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.priceVolume = new SmaWindow(period);
    this.volume = new SmaWindow(period);
  }

  update(bar: BarOf<'high' | 'low' | 'close' | 'volume'>): number {
    const meanPriceVolume = this.priceVolume.update(typicalPrice(bar.high, bar.low, bar.close) * bar.volume);
    return vwapValue(meanPriceVolume, this.volume.update(bar.volume));
  }

  save(): SavedIndicatorHeader<'vwap'> & { period: number; priceVolume: BlockWindowState; volume: BlockWindowState } {
    return { ...header('vwap'), period: this.period, priceVolume: this.priceVolume.save(), volume: this.volume.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingVwap {
    const record = readState(state, 'vwap');
    const stream = new StreamingVwap(savedPeriod(record));
    stream.priceVolume = SmaWindow.restore(readPart(record, 'priceVolume', 'state'), stream.period, 'state.priceVolume');
    stream.volume = SmaWindow.restore(readPart(record, 'volume', 'state'), stream.period, 'state.volume');
    return stream;
  }
}

/** Donchian channels; bit-identical to `donchian`. */
export class StreamingDonchian {
  readonly period: number;
  private highest: ExtremumWindow;
  private lowest: ExtremumWindow;
  private readonly result: BandPoint = { upper: Number.NaN, middle: Number.NaN, lower: Number.NaN };

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  constructor(period: number) {
    this.period = checkStreamingPeriod(period);
    this.highest = new ExtremumWindow(period, true);
    this.lowest = new ExtremumWindow(period, false);
  }

  /** The returned object is reused by the next update. */
  update(bar: BarOf<'high' | 'low'>): Readonly<BandPoint> {
    const upper = this.highest.update(bar.high);
    const lower = this.lowest.update(bar.low);
    this.result.upper = upper;
    this.result.middle = donchianMiddle(upper, lower);
    this.result.lower = lower;
    return this.result;
  }

  save(): SavedIndicatorHeader<'donchian'> & { period: number; highest: BlockWindowState; lowest: BlockWindowState } {
    return { ...header('donchian'), period: this.period, highest: this.highest.save(), lowest: this.lowest.save() };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  static restore(state: unknown): StreamingDonchian {
    const record = readState(state, 'donchian');
    const stream = new StreamingDonchian(savedPeriod(record));
    stream.highest = ExtremumWindow.restore(readPart(record, 'highest', 'state'), stream.period, true, 'state.highest');
    stream.lowest = ExtremumWindow.restore(readPart(record, 'lowest', 'state'), stream.period, false, 'state.lowest');
    return stream;
  }
}

// ---------------------------------------------------------------------------------------------------

/** Builds an indicator from saved parameters, reporting a parameter error as a bad state. */
function construct<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw kernelError('ERR_KERNEL_BAD_STATE', 'saved parameters that are valid', String((error as Error).message), { cause: error });
  }
}

function savedNumberOf(value: number): SavedNumber {
  return saveNumber(value);
}

function restoredNumberOf(record: Readonly<Record<string, unknown>>, key: string): number {
  return readNumber(record, key, 'state');
}
