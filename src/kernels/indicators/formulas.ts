/**
 * The elementwise formulas of the indicators and their parameter and output types, shared by the batch
 * compositions (batch.ts) and the streaming classes (streaming.ts), so that both compute
 * every value with the same operations in the same order.
 */
import { pickMaximum } from './windows.js';

export interface MacdParams {
  fastPeriod: number;
  slowPeriod: number;
  signalPeriod: number;
}
export interface MacdOutputs {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
}
export interface BollingerParams {
  period: number;
  /** Band half-width in population standard deviations, finite and >= 0. */
  multiplier: number;
}
export interface BandOutputs {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
}
export interface StochasticParams {
  /** Fast %K look-back (TA-Lib fastK_Period). */
  kPeriod: number;
  /** SMA smoothing of %K (TA-Lib slowK_Period); 1 gives the fast stochastic. */
  kSmoothing: number;
  /** SMA of the smoothed %K that makes %D (TA-Lib slowD_Period). */
  dPeriod: number;
}
export interface StochasticOutputs {
  k: Float64Array;
  d: Float64Array;
}
export interface AdxOutputs {
  adx: Float64Array;
  plusDi: Float64Array;
  minusDi: Float64Array;
}

/** Typical price (high + low + close) / 3, as TA-Lib's TYPPRICE. */
export function typicalPrice(high: number, low: number, close: number): number {
  return (high + low + close) / 3;
}

/**
 * Wilder's true range: the largest of high - low, |high - previous close|, |low - previous close|. NaN
 * (a gap) when any of the three is not finite, including on the first bar, which has no previous close.
 */
export function trueRange(high: number, low: number, previousClose: number): number {
  const range = high - low;
  const upGap = Math.abs(high - previousClose);
  const downGap = Math.abs(low - previousClose);
  if (!Number.isFinite(range) || !Number.isFinite(upGap) || !Number.isFinite(downGap)) return Number.NaN;
  return pickMaximum(pickMaximum(range, upGap), downGap);
}

/**
 * Wilder's directional movement of one bar: +DM = high - previous high when that exceeds previous low -
 * low and is positive, else 0; -DM the same the other way round. NaN when either move is not finite.
 */
export function plusDirectionalMovement(high: number, low: number, previousHigh: number, previousLow: number): number {
  const up = high - previousHigh;
  const down = previousLow - low;
  if (!Number.isFinite(up) || !Number.isFinite(down)) return Number.NaN;
  return up > down && up > 0 ? up : 0;
}

export function minusDirectionalMovement(high: number, low: number, previousHigh: number, previousLow: number): number {
  const up = high - previousHigh;
  const down = previousLow - low;
  if (!Number.isFinite(up) || !Number.isFinite(down)) return Number.NaN;
  return down > up && down > 0 ? down : 0;
}

/** +DI or -DI from the smoothed movement and the smoothed true range; 0 where the range is 0 (TA-Lib). */
export function directionalIndicator(smoothedMovement: number, smoothedRange: number): number {
  return smoothedRange === 0 ? 0 : 100 * (smoothedMovement / smoothedRange);
}

/** DX = 100 |+DI - -DI| / (+DI + -DI); 0 where both are 0 (TA-Lib). */
export function directionalIndex(plusIndicator: number, minusIndicator: number): number {
  const sum = plusIndicator + minusIndicator;
  return sum === 0 ? 0 : 100 * (Math.abs(plusIndicator - minusIndicator) / sum);
}

/**
 * Fast %K = 100 (close - lowest low) / (highest high - lowest low) (G. Lane). A flat window (highest =
 * lowest) gives 50, the middle of the range; TA-Lib gives 0 there.
 */
export function stochasticK(close: number, highest: number, lowest: number): number {
  const range = highest - lowest;
  return range === 0 ? 50 : 100 * ((close - lowest) / range);
}

/** DEMA = 2 EMA - EMA(EMA) (P. Mulloy, 1994), in TA-Lib's order of operations. */
export function demaValue(ema1: number, ema2: number): number {
  return 2 * ema1 - ema2;
}

/** TEMA = 3 EMA - 3 EMA(EMA) + EMA(EMA(EMA)) (P. Mulloy, 1994), in TA-Lib's order of operations. */
export function temaValue(ema1: number, ema2: number, ema3: number): number {
  return 3 * ema1 - 3 * ema2 + ema3;
}

/** Index of the first %K and %D: TA-Lib's STOCH lookback fastK - 1 + slowK - 1 + slowD - 1. */
export function stochasticLookback({ kPeriod, kSmoothing, dPeriod }: StochasticParams): number {
  return kPeriod - 1 + (kSmoothing - 1) + (dPeriod - 1);
}

/** The middle Donchian line: the mean of the upper and lower channels. */
export function donchianMiddle(upper: number, lower: number): number {
  return (upper + lower) / 2;
}

/** Rolling VWAP from the window means of price x volume and of volume (NaN where the volume sums to 0). */
export function vwapValue(meanPriceVolume: number, meanVolume: number): number {
  return meanPriceVolume / meanVolume;
}

