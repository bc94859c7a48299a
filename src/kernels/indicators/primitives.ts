/**
 * The primitive kernels every indicator is built from, and their TypeScript implementations.
 *
 * The indicator functions (batch.ts) are compositions: a few primitives plus elementwise
 * formulas. A backend supplies the primitives; the WASM and Rust backends implement the ones that cost
 * the most and the facade (indicators.ts) takes the rest from here. Each compiled primitive
 * performs the floating-point operations of the TS one below in the same order, so the results are the
 * same on every backend.
 *
 * Preconditions (checked by the callers, batch.ts): every array is a
 * Float64Array of the same length, at most kInputLengthMax points; no output shares memory with an input
 * or with another output; every period is an integer >= 1 (it may exceed the length: all NaN); for macd,
 * fast < slow.
 */
import { emaUnchecked, smaUnchecked } from './moving-average.js';
import { cciFromWindow, ExtremumWindow, MomentsWindow, ObvCore, RsiCore, Smoother, WmaWindow } from './windows.js';

export interface IndicatorPrimitives {
  /** Simple moving average (moving-average.ts). */
  sma(input: Float64Array, period: number, output: Float64Array): void;
  /** Exponential moving average, alpha 2 / (period + 1) (moving-average.ts). */
  ema(input: Float64Array, period: number, output: Float64Array): void;
  /** Wilder's smoothing, alpha 1 / period, seeded with the mean of `period` points (Smoother). */
  wilder(input: Float64Array, period: number, output: Float64Array): void;
  /** Weighted moving average, weights 1..period (WmaWindow). */
  wma(input: Float64Array, period: number, output: Float64Array): void;
  /** Wilder's RSI (RsiCore). */
  rsi(input: Float64Array, period: number, output: Float64Array): void;
  /** Moving population standard deviation (MomentsWindow). */
  movingStd(input: Float64Array, period: number, output: Float64Array): void;
  /** (x - moving mean) / moving population standard deviation, 0 where the deviation is 0 (MomentsWindow). */
  zScore(input: Float64Array, period: number, output: Float64Array): void;
  /** Moving maximum, NaN where the window holds a NaN (ExtremumWindow). */
  highest(input: Float64Array, period: number, output: Float64Array): void;
  /** Moving minimum, NaN where the window holds a NaN (ExtremumWindow). */
  lowest(input: Float64Array, period: number, output: Float64Array): void;
  /** CCI of a typical-price series (CciWindow), O(period) per point. */
  cci(typicalPrice: Float64Array, period: number, output: Float64Array): void;
  /** On-balance volume (ObvCore). */
  obv(close: Float64Array, volume: Float64Array, output: Float64Array): void;
  /** MACD line, signal and histogram (tsPrimitives.macd). */
  macd(
    input: Float64Array,
    fastPeriod: number,
    slowPeriod: number,
    signalPeriod: number,
    line: Float64Array,
    signal: Float64Array,
    histogram: Float64Array,
  ): void;
  /** Bollinger bands about the SMA, `multiplier` population standard deviations wide (tsPrimitives.bollinger). */
  bollinger(
    input: Float64Array,
    period: number,
    multiplier: number,
    upper: Float64Array,
    middle: Float64Array,
    lower: Float64Array,
  ): void;
}

export type PrimitiveName = keyof IndicatorPrimitives;

export const primitiveNames: readonly PrimitiveName[] = Object.freeze([
  'sma',
  'ema',
  'wilder',
  'wma',
  'rsi',
  'movingStd',
  'zScore',
  'highest',
  'lowest',
  'cci',
  'obv',
  'macd',
  'bollinger',
]);

/** Index of the first output every part of a MACD defines: TA-Lib's slow - 1 + signal - 1. */
export function macdLookback(slowPeriod: number, signalPeriod: number): number {
  return slowPeriod - 1 + (signalPeriod - 1);
}

/** Runs a block window over the series; all NaN when the period is longer than the series. */
function runWindow(window: { update(value: number): number } | null, input: Float64Array, output: Float64Array): void {
  if (window === null) {
    output.fill(Number.NaN);
    return;
  }
  for (let index = 0; index < input.length; index++) output[index] = window.update(input[index]!);
}

/** True, having filled the output with NaN, when the period is longer than the series (all warm-up). */
function isAllWarmUp(input: Float64Array, period: number, output: Float64Array): boolean {
  if (period <= input.length) return false;
  output.fill(Number.NaN);
  return true;
}

/** The TypeScript primitives: the reference for every backend, and the fallback for what one lacks. */
export const tsPrimitives: IndicatorPrimitives = Object.freeze<IndicatorPrimitives>({
  sma: smaUnchecked,
  ema: emaUnchecked,
  wilder: (input, period, output) => runWindow(new Smoother(period, 'wilder'), input, output),
  wma: (input, period, output) => runWindow(period > input.length ? null : new WmaWindow(period), input, output),
  rsi: (input, period, output) => runWindow(new RsiCore(period), input, output),
  movingStd(input, period, output) {
    if (isAllWarmUp(input, period, output)) return;
    const window = new MomentsWindow(period);
    for (let index = 0; index < input.length; index++) output[index] = Math.sqrt(window.update(input[index]!));
  },
  // Written out rather than sharing a loop with movingStd through a callback: the callback measured 1.7x
  // slower here (V8 did not inline it).
  zScore(input, period, output) {
    if (isAllWarmUp(input, period, output)) return;
    const window = new MomentsWindow(period);
    for (let index = 0; index < input.length; index++) {
      const variance = window.update(input[index]!);
      output[index] = zScoreValue(window.deviation, variance);
    }
  },
  highest: (input, period, output) => runWindow(period > input.length ? null : new ExtremumWindow(period, true), input, output),
  lowest: (input, period, output) => runWindow(period > input.length ? null : new ExtremumWindow(period, false), input, output),
  cci: cciBatch,
  obv(close, volume, output) {
    const core = new ObvCore();
    for (let index = 0; index < close.length; index++) output[index] = core.update(close[index]!, volume[index]!);
  },
  /**
   * MACD (G. Appel, 1979) on top of an EMA kernel: line = EMA(fast) - EMA(slow), signal = EMA(line, signal),
   * histogram = line - signal. Each EMA is seeded with the mean of its own first `period` points (as
   * StockCharts computes it; TA-Lib seeds the fast EMA later, at slow - 1, which moves its first values a
   * little). The line is NaN before the signal's first value, as in TA-Lib (lookback slow - 1 + signal - 1).
   * The signal EMA sees the line's leading NaN as a gap, so it seeds on the line's first `signal` values.
   * The histogram output serves as scratch for the slow EMA, so no memory is allocated.
   */
  macd(input, fastPeriod, slowPeriod, signalPeriod, line, signal, histogram) {
    const length = input.length;
    emaUnchecked(input, fastPeriod, line);
    emaUnchecked(input, slowPeriod, histogram);
    for (let index = 0; index < length; index++) line[index] = line[index]! - histogram[index]!;
    emaUnchecked(line, signalPeriod, signal);
    for (let index = 0; index < length; index++) histogram[index] = line[index]! - signal[index]!;
    line.fill(Number.NaN, 0, Math.min(length, macdLookback(slowPeriod, signalPeriod)));
  },
  /**
   * Bollinger bands (J. Bollinger, Bollinger on Bollinger Bands, 2001): middle = SMA, upper and lower =
   * middle +- multiplier * population standard deviation (the deviation TA-Lib's BBANDS and StockCharts
   * use). The upper output serves as scratch for the deviation.
   */
  bollinger(input, period, multiplier, upper, middle, lower) {
    smaUnchecked(input, period, middle);
    tsPrimitives.movingStd(input, period, upper);
    for (let index = 0; index < input.length; index++) {
      const width = multiplier * upper[index]!;
      upper[index] = middle[index]! + width;
      lower[index] = middle[index]! - width;
    }
  },
});

/**
 * The z-score from a point's deviation from its window mean and the window's variance: deviation /
 * sqrt(variance), and 0 where the standard deviation is 0 (every point of the window equal), where the
 * ratio has no value and the point is as far from the mean as can be: not at all.
 */
export function zScoreValue(deviation: number, variance: number): number {
  const standardDeviation = Math.sqrt(variance);
  return standardDeviation === 0 ? 0 : deviation / standardDeviation;
}

/** CCI over a whole series: per window, the sum oldest first, the mean, the absolute deviations (as CciWindow in windows.ts). */
function cciBatch(typicalPrice: Float64Array, period: number, output: Float64Array): void {
  const length = typicalPrice.length;
  if (period > length) {
    output.fill(Number.NaN);
    return;
  }
  output.fill(Number.NaN, 0, period - 1);
  for (let last = period - 1; last < length; last++) {
    const first = last - period + 1;
    let sum = 0;
    for (let index = first; index <= last; index++) sum += typicalPrice[index]!;
    const mean = sum / period;
    let deviationSum = 0;
    for (let index = first; index <= last; index++) deviationSum += Math.abs(typicalPrice[index]! - mean);
    output[last] = cciFromWindow(typicalPrice[last]!, mean, deviationSum, period);
  }
}
