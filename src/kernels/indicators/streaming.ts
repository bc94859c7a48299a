/**
 * Streaming indicators: one object per series, `update(...)` per new point or bar, O(1) per update
 * (amortised for the moving windows, and O(period) for the CCI; see windows.ts). Feeding a
 * series point by point gives exactly the values (the same bits) of the batch function of the same name
 * in batch.ts, warm-up NaN included.
 *
 * `save()` returns a plain, JSON-safe object (non-finite numbers are written as strings, see
 * state.ts) holding everything the indicator needs to continue; `Class.restore(state)` builds an
 * indicator that continues exactly where the saved one was. A moving window saves its last two blocks of
 * raw points (at most 2 x period numbers) and recomputes its sums on restore.
 *
 * Multi-output indicators return one result object that is reused by every update (no allocation per
 * point); copy its fields to keep them.
 *
 * Each indicator is one `streamingIndicator` definition: how its parameters are checked, the parts of its
 * state (windows, smoothers, numbers; each part knows how to be created, saved and restored), and its
 * update step. The class, its constructor, `save` and `restore` are generated from that, once.
 *
 * Errors: a period that is not an integer in 1..kIndicatorPeriodMax throws KernelError
 * ERR_KERNEL_BAD_PERIOD; other bad parameters ERR_KERNEL_BAD_PARAM; `restore` of a malformed state, or of
 * a state saved by another indicator or version, ERR_KERNEL_BAD_STATE. `update` does not check its
 * arguments (it is the hot path): NaN and infinities follow the rules of the batch functions.
 */
import { describeValue, kernelError } from '../errors.js';
import * as formulas from './formulas.js';
import type { BollingerParams, MacdParams, StochasticParams } from './formulas.js';
import { macdLookback, zScoreValue } from './primitives.js';
import { kIndicatorStateVersion, readFinite, readInteger, readNumber, readPart, readState, saveNumber, type SavedNumber } from './state.js';
import { CciWindow, ExtremumWindow, MomentsWindow, ObvCore, RsiCore, SmaWindow, Smoother, WmaWindow, type BlockWindowState, type SmootherKind } from './windows.js';

/**
 * The longest period a streaming indicator (and the registry) accepts: TA-Lib's bound for its periods.
 * A moving window keeps up to a few times this many doubles (0.8 MB each).
 */
export const kIndicatorPeriodMax = 100_000;

/** The fields of an OHLCV bar an indicator reads; the engine's Bar message fits. */
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

/** The period field of a saved state. @throws KernelError ERR_KERNEL_BAD_STATE. */
function savedPeriod(record: Readonly<Record<string, unknown>>, key = 'period'): number {
  return readInteger(record, key, 1, kIndicatorPeriodMax, 'state');
}

// ---------------------------------------------------------------------------------------------------
// The generic streaming indicator

type StateRecord = Readonly<Record<string, unknown>>;

/** One part of an indicator's state: made from the parameters, saved as a plain value, restored from it. */
interface Part<Params, Value, Saved> {
  create(params: Params): Value;
  save(value: Value): Saved;
  /** @throws KernelError ERR_KERNEL_BAD_STATE naming `state.<key>`. */
  restore(record: StateRecord, key: string, params: Params): Value;
}

type Parts<Params> = Record<string, Part<Params, unknown, unknown>>;
type ValuesOf<Specs> = { -readonly [K in keyof Specs]: Specs[K] extends Part<never, infer Value, unknown> ? Value : never };
type SavedOf<Specs> = { [K in keyof Specs]: Specs[K] extends Part<never, unknown, infer Saved> ? Saved : never };

interface StreamingDefinition<Kind extends string, Args extends unknown[], Params extends object, Specs extends Parts<Params>> {
  readonly kind: Kind;
  /** Checks the constructor's arguments. @throws KernelError ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_PARAM. */
  params(...args: Args): Params;
  /** The constructor's arguments as a saved state holds them. @throws KernelError ERR_KERNEL_BAD_STATE. */
  savedArgs(record: StateRecord): Args;
  readonly parts: Specs;
}

/**
 * The base class of one streaming indicator, built from its definition (see the module comment): the
 * constructor checks the parameters and creates the parts as fields of the instance, `save` writes them,
 * `restoreAs` reads them. Each indicator extends it with its own `update`, so every update is its own
 * monomorphic code reading its parts straight from `this` (one shared generic update, or the parts in a
 * nested object, measured 5-12% slower per point).
 */
function streamingIndicator<Kind extends string, Args extends unknown[], Params extends object, Specs extends Parts<Params>>(
  definition: StreamingDefinition<Kind, Args, Params, Specs>,
) {
  const { kind, parts } = definition;
  const keys = Object.keys(parts);
  abstract class Streaming {
    readonly params: Readonly<Params>;

    constructor(...args: Args) {
      this.params = Object.freeze(definition.params(...args));
      for (const key of keys) (this as Record<string, unknown>)[key] = parts[key]!.create(this.params);
    }

    /** A JSON-safe copy of everything the indicator needs to continue. */
    save(): SavedIndicatorHeader<Kind> & Params & SavedOf<Specs> {
      const saved: Record<string, unknown> = { kind, version: kIndicatorStateVersion, ...this.params };
      for (const key of keys) saved[key] = parts[key]!.save((this as Record<string, unknown>)[key]);
      return saved as SavedIndicatorHeader<Kind> & Params & SavedOf<Specs>;
    }

    /**
     * An indicator of class `Class` that continues exactly where the saved one was.
     * @throws KernelError ERR_KERNEL_BAD_STATE.
     */
    static restoreAs<T extends Streaming>(Class: new (...args: Args) => T, saved: unknown): T {
      const record = readState(saved, kind);
      const stream = construct(() => new Class(...definition.savedArgs(record)));
      for (const key of keys) (stream as Record<string, unknown>)[key] = parts[key]!.restore(record, key, stream.params);
      return stream;
    }
  }
  return Streaming as Omit<typeof Streaming, 'prototype'> & (abstract new (...args: Args) => Streaming & ValuesOf<Specs>);
}

/** Builds an indicator from saved parameters, reporting a parameter error as a bad state. */
function construct<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw kernelError('ERR_KERNEL_BAD_STATE', 'saved parameters that are valid', String((error as Error).message), { cause: error });
  }
}

// Parts. A window, smoother or core restores into a fresh one from `state.<key>`; numbers are saved as
// SavedNumber.

interface Restorable {
  save(): unknown;
  restoredFrom(saved: StateRecord, label: string): this;
}

function part<Params, Value extends Restorable>(create: (params: Params) => Value): Part<Params, Value, ReturnType<Value['save']>> {
  return {
    create,
    save: (value) => value.save() as ReturnType<Value['save']>,
    restore: (record, key, params) => create(params).restoredFrom(readPart(record, key, 'state'), `state.${key}`),
  };
}

type PeriodOf<Params> = (params: Params) => number;
const periodOf = (params: { period: number }): number => params.period;

const smaPart = <Params>(period: PeriodOf<Params>) => part((params: Params) => new SmaWindow(period(params)));
const extremumPart = <Params>(period: PeriodOf<Params>, isMaximum: boolean) => part((params: Params) => new ExtremumWindow(period(params), isMaximum));
const momentsPart = part((params: { period: number }) => new MomentsWindow(params.period));
const wmaPart = part((params: { period: number }) => new WmaWindow(params.period));
const rsiPart = part((params: { period: number }) => new RsiCore(params.period));
const cciPart = part((params: { period: number }) => new CciWindow(params.period));
const obvPart = part(() => new ObvCore());
const smootherPart = (kind: SmootherKind) => part((params: { period: number }) => new Smoother(params.period, kind));

/** Smoothers of the given periods, saved as one array. */
function smoothersPart<Params>(kind: SmootherKind, periods: (params: Params) => readonly number[]): Part<Params, Smoother[], unknown[]> {
  return {
    create: (params) => periods(params).map((period) => new Smoother(period, kind)),
    save: (smoothers) => smoothers.map((smoother) => smoother.save()),
    restore(record, key, params) {
      const list = periods(params);
      const saved = record[key];
      if (!Array.isArray(saved) || saved.length !== list.length) {
        throw kernelError('ERR_KERNEL_BAD_STATE', `state.${key} to hold ${list.length} smoother states`, describeValue(saved));
      }
      return saved.map((state: unknown, index) => {
        const label = `state.${key}[${index}]`;
        return new Smoother(list[index]!, kind).restoredFrom(readPart({ state }, 'state', label), label);
      });
    },
  };
}

/** Bollinger's mean and deviation windows hold the same points, so one is saved and both restore from it. */
const bandsPart: Part<BollingerParams, { average: SmaWindow; moments: MomentsWindow }, BlockWindowState> = {
  create: (params) => ({ average: new SmaWindow(params.period), moments: new MomentsWindow(params.period) }),
  save: (window) => window.average.save(),
  restore(record, key, params) {
    const saved = readPart(record, key, 'state');
    const label = `state.${key}`;
    return { average: new SmaWindow(params.period).restoredFrom(saved, label), moments: new MomentsWindow(params.period).restoredFrom(saved, label) };
  },
};

/** A double, NaN at first. */
const numberPart: Part<unknown, number, SavedNumber> = {
  create: () => Number.NaN,
  save: saveNumber,
  restore: (record, key) => readNumber(record, key, 'state'),
};

/** A count of points seen, up to the lookback, from which the outputs are defined. */
function counterPart<Params>(lookback: (params: Params) => number): Part<Params, number, number> {
  return { create: () => 0, save: (count) => count, restore: (record, key, params) => readInteger(record, key, 0, lookback(params), 'state') };
}

/** The arguments of a single-period indicator. */
const period = {
  params: (value: number) => ({ period: checkStreamingPeriod(value) }),
  savedArgs: (record: StateRecord): [number] => [savedPeriod(record)],
};

const repeat = <T>(count: number, value: T): T[] => Array.from({ length: count }, () => value);

// ---------------------------------------------------------------------------------------------------
// Single series in, one value out

const emaSmoothers = (count: number) => smoothersPart('ema', (params: { period: number }) => repeat(count, params.period));

/** Simple moving average; bit-identical to `sma`. */
export class StreamingSma extends streamingIndicator({ kind: 'sma', ...period, parts: { window: smaPart(periodOf) } }) {
  static restore = (state: unknown): StreamingSma => StreamingSma.restoreAs(StreamingSma, state);

  update(value: number): number {
    return this.window.update(value);
  }
}

/** Weighted moving average; bit-identical to `wma`. */
export class StreamingWma extends streamingIndicator({ kind: 'wma', ...period, parts: { window: wmaPart } }) {
  static restore = (state: unknown): StreamingWma => StreamingWma.restoreAs(StreamingWma, state);

  update(value: number): number {
    return this.window.update(value);
  }
}

/** Moving population standard deviation; bit-identical to `standardDeviation`. */
export class StreamingStandardDeviation extends streamingIndicator({ kind: 'stddev', ...period, parts: { window: momentsPart } }) {
  static restore = (state: unknown): StreamingStandardDeviation => StreamingStandardDeviation.restoreAs(StreamingStandardDeviation, state);

  update(value: number): number {
    return Math.sqrt(this.window.update(value));
  }
}

/** Moving z-score; bit-identical to `zScore`. */
export class StreamingZScore extends streamingIndicator({ kind: 'zscore', ...period, parts: { window: momentsPart } }) {
  static restore = (state: unknown): StreamingZScore => StreamingZScore.restoreAs(StreamingZScore, state);

  update(value: number): number {
    const variance = this.window.update(value);
    return zScoreValue(this.window.deviation, variance);
  }
}

/** Exponential moving average; bit-identical to `ema`. */
export class StreamingEma extends streamingIndicator({ kind: 'ema', ...period, parts: { smoothers: emaSmoothers(1) } }) {
  static restore = (state: unknown): StreamingEma => StreamingEma.restoreAs(StreamingEma, state);
  update(value: number): number {
    return this.smoothers[0]!.update(value);
  }
}

/** Double EMA, 2 EMA - EMA(EMA); bit-identical to `dema`. */
export class StreamingDema extends streamingIndicator({ kind: 'dema', ...period, parts: { smoothers: emaSmoothers(2) } }) {
  static restore = (state: unknown): StreamingDema => StreamingDema.restoreAs(StreamingDema, state);

  update(value: number): number {
    const [first, second] = this.smoothers as [Smoother, Smoother];
    const once = first.update(value);
    return formulas.demaValue(once, second.update(once));
  }
}

/** Triple EMA, 3 EMA - 3 EMA(EMA) + EMA(EMA(EMA)); bit-identical to `tema`. */
export class StreamingTema extends streamingIndicator({ kind: 'tema', ...period, parts: { smoothers: emaSmoothers(3) } }) {
  static restore = (state: unknown): StreamingTema => StreamingTema.restoreAs(StreamingTema, state);

  update(value: number): number {
    const [first, second, third] = this.smoothers as [Smoother, Smoother, Smoother];
    const once = first.update(value);
    const twice = second.update(once);
    return formulas.temaValue(once, twice, third.update(twice));
  }
}

/** Wilder's RSI; bit-identical to `rsi`. */
export class StreamingRsi extends streamingIndicator({ kind: 'rsi', ...period, parts: { core: rsiPart } }) {
  static restore = (state: unknown): StreamingRsi => StreamingRsi.restoreAs(StreamingRsi, state);

  update(close: number): number {
    return this.core.update(close);
  }
}

// ---------------------------------------------------------------------------------------------------
// Multi-output over one series

const macd = streamingIndicator({
  kind: 'macd',
  params(params: MacdParams): MacdParams {
    const fastPeriod = checkStreamingPeriod(params.fastPeriod, 'fastPeriod');
    const slowPeriod = checkStreamingPeriod(params.slowPeriod, 'slowPeriod');
    const signalPeriod = checkStreamingPeriod(params.signalPeriod, 'signalPeriod');
    if (fastPeriod >= slowPeriod) throw kernelError('ERR_KERNEL_BAD_PARAM', `fastPeriod < slowPeriod ${slowPeriod}`, `${fastPeriod}`);
    return { fastPeriod, slowPeriod, signalPeriod };
  },
  savedArgs: (record): [MacdParams] => [
    { fastPeriod: savedPeriod(record, 'fastPeriod'), slowPeriod: savedPeriod(record, 'slowPeriod'), signalPeriod: savedPeriod(record, 'signalPeriod') },
  ],
  parts: {
    /** Points seen, counted up to the lookback (the line is NaN before it, as in the batch). */
    pointsSeen: counterPart((params: MacdParams) => macdLookback(params.slowPeriod, params.signalPeriod)),
    smoothers: smoothersPart('ema', (params: MacdParams) => [params.fastPeriod, params.slowPeriod, params.signalPeriod]),
  },
});

/** MACD line, signal and histogram; bit-identical to `macd`. */
export class StreamingMacd extends macd {
  static restore = (state: unknown): StreamingMacd => StreamingMacd.restoreAs(StreamingMacd, state);
  private readonly lookback = macdLookback(this.params.slowPeriod, this.params.signalPeriod);
  private readonly result: MacdPoint = { macd: Number.NaN, signal: Number.NaN, histogram: Number.NaN };

  /** The returned object is reused by the next update. */
  update(value: number): Readonly<MacdPoint> {
    const smoothers = this.smoothers;
    const line = smoothers[0]!.update(value) - smoothers[1]!.update(value);
    const signal = smoothers[2]!.update(line);
    this.result.histogram = line - signal;
    this.result.signal = signal;
    this.result.macd = this.pointsSeen < this.lookback ? Number.NaN : line;
    if (this.pointsSeen < this.lookback) this.pointsSeen++;
    return this.result;
  }
}

const bollinger = streamingIndicator({
  kind: 'bollinger',
  params(params: BollingerParams): BollingerParams {
    const period = checkStreamingPeriod(params.period);
    const multiplier = params.multiplier;
    if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 0) {
      throw kernelError('ERR_KERNEL_BAD_PARAM', 'multiplier to be a finite number >= 0', describeValue(multiplier));
    }
    return { period, multiplier };
  },
  savedArgs: (record): [BollingerParams] => [{ period: savedPeriod(record), multiplier: readFinite(record, 'multiplier', 'state') }],
  parts: { window: bandsPart },
});

/** Bollinger bands; bit-identical to `bollinger`. */
export class StreamingBollinger extends bollinger {
  static restore = (state: unknown): StreamingBollinger => StreamingBollinger.restoreAs(StreamingBollinger, state);
  private readonly result: BandPoint = { upper: Number.NaN, middle: Number.NaN, lower: Number.NaN };

  /** The returned object is reused by the next update. */
  update(value: number): Readonly<BandPoint> {
    const middle = this.window.average.update(value);
    const width = this.params.multiplier * Math.sqrt(this.window.moments.update(value));
    this.result.upper = middle + width;
    this.result.middle = middle;
    this.result.lower = middle - width;
    return this.result;
  }
}

// ---------------------------------------------------------------------------------------------------
// OHLCV bars

type Hlc = BarOf<'high' | 'low' | 'close'>;

/** Average true range; bit-identical to `atr`. */
export class StreamingAtr extends streamingIndicator({ kind: 'atr', ...period, parts: { previousClose: numberPart, smoother: smootherPart('wilder') } }) {
  static restore = (state: unknown): StreamingAtr => StreamingAtr.restoreAs(StreamingAtr, state);

  update(bar: Hlc): number {
    const range = formulas.trueRange(bar.high, bar.low, this.previousClose);
    this.previousClose = bar.close;
    return this.smoother.update(range);
  }
}

const adx = streamingIndicator({
  kind: 'adx',
  ...period,
  parts: {
    previousHigh: numberPart,
    previousLow: numberPart,
    previousClose: numberPart,
    /** True range, +DM, -DM and DX, each smoothed by Wilder's smoothing. */
    smoothers: smoothersPart('wilder', (params: { period: number }) => repeat(4, params.period)),
  },
});

/** ADX with +DI and -DI; bit-identical to `adx`. */
export class StreamingAdx extends adx {
  static restore = (state: unknown): StreamingAdx => StreamingAdx.restoreAs(StreamingAdx, state);
  private readonly result: AdxPoint = { adx: Number.NaN, plusDi: Number.NaN, minusDi: Number.NaN };

  /** The returned object is reused by the next update. */
  update(bar: Hlc): Readonly<AdxPoint> {
    const { high, low } = bar;
    const state = this;
    const [ranges, plusMoves, minusMoves, index] = state.smoothers as [Smoother, Smoother, Smoother, Smoother];
    let range = formulas.trueRange(high, low, state.previousClose);
    let plus = formulas.plusDirectionalMovement(high, low, state.previousHigh, state.previousLow);
    let minus = formulas.minusDirectionalMovement(high, low, state.previousHigh, state.previousLow);
    if (range !== range || plus !== plus) {
      range = Number.NaN;
      plus = Number.NaN;
      minus = Number.NaN;
    }
    state.previousHigh = high;
    state.previousLow = low;
    state.previousClose = bar.close;
    const smoothedRange = ranges.update(range);
    const plusIndicator = formulas.directionalIndicator(plusMoves.update(plus), smoothedRange);
    const minusIndicator = formulas.directionalIndicator(minusMoves.update(minus), smoothedRange);
    this.result.adx = index.update(formulas.directionalIndex(plusIndicator, minusIndicator));
    this.result.plusDi = plusIndicator;
    this.result.minusDi = minusIndicator;
    return this.result;
  }
}

const stochastic = streamingIndicator({
  kind: 'stochastic',
  params: (params: StochasticParams): StochasticParams => ({
    kPeriod: checkStreamingPeriod(params.kPeriod, 'kPeriod'),
    kSmoothing: checkStreamingPeriod(params.kSmoothing, 'kSmoothing'),
    dPeriod: checkStreamingPeriod(params.dPeriod, 'dPeriod'),
  }),
  savedArgs: (record): [StochasticParams] => [
    { kPeriod: savedPeriod(record, 'kPeriod'), kSmoothing: savedPeriod(record, 'kSmoothing'), dPeriod: savedPeriod(record, 'dPeriod') },
  ],
  parts: {
    barsSeen: counterPart(formulas.stochasticLookback),
    highest: extremumPart((params: StochasticParams) => params.kPeriod, true),
    lowest: extremumPart((params: StochasticParams) => params.kPeriod, false),
    smoothedK: smaPart((params: StochasticParams) => params.kSmoothing),
    signal: smaPart((params: StochasticParams) => params.dPeriod),
  },
});

/** Stochastic %K and %D; bit-identical to `stochastic`. */
export class StreamingStochastic extends stochastic {
  static restore = (state: unknown): StreamingStochastic => StreamingStochastic.restoreAs(StreamingStochastic, state);
  private readonly lookback = formulas.stochasticLookback(this.params);
  private readonly result: StochasticPoint = { k: Number.NaN, d: Number.NaN };

  /** The returned object is reused by the next update. */
  update(bar: Hlc): Readonly<StochasticPoint> {
    const state = this;
    const fastK = formulas.stochasticK(bar.close, state.highest.update(bar.high), state.lowest.update(bar.low));
    const k = state.smoothedK.update(fastK);
    this.result.d = state.signal.update(k);
    this.result.k = state.barsSeen < this.lookback ? Number.NaN : k;
    if (state.barsSeen < this.lookback) state.barsSeen++;
    return this.result;
  }
}

/** Commodity channel index; bit-identical to `cci`. O(period) per update (see CciWindow). */
export class StreamingCci extends streamingIndicator({ kind: 'cci', ...period, parts: { window: cciPart } }) {
  static restore = (state: unknown): StreamingCci => StreamingCci.restoreAs(StreamingCci, state);

  update(bar: Hlc): number {
    return this.window.update(formulas.typicalPrice(bar.high, bar.low, bar.close));
  }
}

const obv = streamingIndicator({
  kind: 'obv',
  params: () => ({}),
  savedArgs: (): [] => [],
  parts: { core: obvPart },
});

/** On-balance volume; bit-identical to `obv`. */
export class StreamingObv extends obv {
  static restore = (state: unknown): StreamingObv => StreamingObv.restoreAs(StreamingObv, state);

  update(bar: BarOf<'close' | 'volume'>): number {
    return this.core.update(bar.close, bar.volume);
  }
}

/** Rolling VWAP over `period` bars; bit-identical to `vwap`. */
export class StreamingVwap extends streamingIndicator({ kind: 'vwap', ...period, parts: { priceVolume: smaPart(periodOf), volume: smaPart(periodOf) } }) {
  static restore = (state: unknown): StreamingVwap => StreamingVwap.restoreAs(StreamingVwap, state);

  update(bar: BarOf<'high' | 'low' | 'close' | 'volume'>): number {
    const meanPriceVolume = this.priceVolume.update(formulas.typicalPrice(bar.high, bar.low, bar.close) * bar.volume);
    return formulas.vwapValue(meanPriceVolume, this.volume.update(bar.volume));
  }
}

/** Donchian channels; bit-identical to `donchian`. */
export class StreamingDonchian extends streamingIndicator({ kind: 'donchian', ...period, parts: { highest: extremumPart(periodOf, true), lowest: extremumPart(periodOf, false) } }) {
  static restore = (state: unknown): StreamingDonchian => StreamingDonchian.restoreAs(StreamingDonchian, state);
  private readonly result: BandPoint = { upper: Number.NaN, middle: Number.NaN, lower: Number.NaN };

  /** The returned object is reused by the next update. */
  update(bar: BarOf<'high' | 'low'>): Readonly<BandPoint> {
    const upper = this.highest.update(bar.high);
    const lower = this.lowest.update(bar.low);
    this.result.upper = upper;
    this.result.middle = formulas.donchianMiddle(upper, lower);
    this.result.lower = lower;
    return this.result;
  }
}
