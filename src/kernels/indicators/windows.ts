/**
 * The building blocks of the indicators, one point at a time: moving windows (sum, weighted sum, moments,
 * maximum and minimum), the exponential smoothers (EMA and Wilder's), and the RSI's pair of smoothers.
 *
 * Each block is a small state machine with an `update(value)` that costs O(1) per point (amortised for
 * the block windows, see below) and whose arithmetic defines the results: the batch functions of the TS
 * reference run these same machines over the series, and the WASM and Rust kernels perform the same
 * floating-point operations in the same order, so batch, streaming and every backend agree to the bit.
 *
 * Block windows (van Herk / Gil-Werman). A moving window of `period` points is cut at multiples of
 * `period` from the first point, as the SMA of src/kernels/indicators/moving-average.ts does: every window is
 * either one whole block, or the suffix of the previous block plus the prefix of the current one. The
 * prefix is accumulated point by point; the suffixes of a block are computed once, right to left, when
 * the block completes (M. van Herk, Pattern Recognition Letters 13, 1992; J. Gil and M. Werman, IEEE PAMI
 * 15, 1993). An update therefore costs O(1) amortised: one step of the prefix and one of the block's
 * suffix pass, the suffix pass running all at once on every `period`-th point (O(period) on that one
 * update). No running sum is carried along the series, so there is no drift, and a NaN affects exactly
 * the windows that hold it. A window keeps two blocks of raw points (2 * period doubles); its saved state
 * is those raw points, and everything else is recomputed on restore.
 *
 * Exponential smoothers. e[i] = decay * e[i - 1] + alpha * x[i], seeded with the mean of the first `period`
 * points, evaluated in blocks of kEmaBlockLength points counted from the seed exactly as emaUnchecked in
 * moving-average.ts (see there for why): local[j] = decay * local[j - 1] + alpha * x, e = local[j] +
 * decay^(j + 1) * e[block start - 1]. The EMA has alpha = 2 / (period + 1); Wilder's smoothing ("running
 * moving average", J. W. Wilder, New Concepts in Technical Trading Systems, 1978) has alpha = 1 / period.
 * A non-finite input is a gap: NaN out, and the smoother warms up again on the next `period` finite
 * points. A smoothed value that stops being finite restarts it the same way (at the seed: from the next
 * point; otherwise at the end of its block), as the EMA kernel does.
 */
import { kEmaBlockLength } from '../contract.js';
import { describeValue } from '../errors.js';
import {
  badState,
  readBoolean,
  readInteger,
  readNumber,
  restoreNumbersInto,
  saveNumber,
  saveNumbers,
  type SavedNumber,
} from './state.js';

// ---------------------------------------------------------------------------------------------------
// Block windows

/** The saved state of a block window: the raw points of the previous block and of the current one. */
export interface BlockWindowState {
  period: number;
  /** Points of the current block so far (0 .. period - 1 of them). */
  block: SavedNumber[];
  /** The whole previous block, or [] while the first block is not complete. */
  previousBlock: SavedNumber[];
}

/**
 * The block structure shared by the moving windows. Subclasses say what a block's prefix accumulates,
 * what its suffix pass computes, and how a window combines them.
 */
abstract class BlockWindow {
  readonly period: number;
  protected block: Float64Array;
  protected previousBlock: Float64Array;
  protected position = 0;
  protected hasPreviousBlock = false;

  constructor(period: number) {
    this.period = period;
    this.block = new Float64Array(period);
    this.previousBlock = new Float64Array(period);
  }

  /** Adds a point; returns the window ending at it (NaN while the first window is incomplete). */
  update(value: number): number {
    const position = this.position;
    this.block[position] = value;
    this.addToPrefix(value, position);
    if (position < this.period - 1) {
      this.position = position + 1;
      return this.hasPreviousBlock ? this.straddlingWindow(position) : this.incompleteWindow();
    }
    const result = this.wholeBlockWindow();
    const finished = this.block;
    this.block = this.previousBlock;
    this.previousBlock = finished;
    this.hasPreviousBlock = true;
    this.position = 0;
    this.suffixPass(finished);
    this.resetPrefix();
    return result;
  }

  save(): BlockWindowState {
    return {
      period: this.period,
      block: saveNumbers(this.block, 0, this.position),
      previousBlock: this.hasPreviousBlock ? saveNumbers(this.previousBlock, 0, this.period) : [],
    };
  }

  /**
   * Loads a saved state into this fresh window (of the same period) by replaying the saved points: the
   * suffix pass over the previous block, the prefix over the current one. Returns the window.
   * @throws KernelError ERR_KERNEL_BAD_STATE.
   */
  restoredFrom(state: Readonly<Record<string, unknown>>, label: string): this {
    const period = this.period;
    readInteger(state, 'period', period, period, label);
    const block = state.block;
    const previousBlock = state.previousBlock;
    if (!Array.isArray(block) || block.length >= period) {
      throw badState(`${label}.block to be an array of at most ${period - 1} numbers`, describeValue(block));
    }
    if (!Array.isArray(previousBlock) || (previousBlock.length !== 0 && previousBlock.length !== period)) {
      throw badState(`${label}.previousBlock to be an array of 0 or ${period} numbers`, describeValue(previousBlock));
    }
    this.hasPreviousBlock = previousBlock.length === period;
    if (this.hasPreviousBlock) {
      restoreNumbersInto(previousBlock, period, this.previousBlock, 0, `${label}.previousBlock`);
      this.suffixPass(this.previousBlock);
    }
    restoreNumbersInto(block, block.length, this.block, 0, `${label}.block`);
    this.resetPrefix();
    for (let position = 0; position < block.length; position++) this.addToPrefix(this.block[position]!, position);
    this.position = block.length;
    return this;
  }

  protected incompleteWindow(): number {
    return Number.NaN;
  }

  protected abstract addToPrefix(value: number, position: number): void;
  protected abstract resetPrefix(): void;
  /** Computes the suffixes of a completed block (right to left). */
  protected abstract suffixPass(block: Float64Array): void;
  /** The window that is exactly the block just completed. */
  protected abstract wholeBlockWindow(): number;
  /** The window ending at `position` (< period - 1) of this block: previous block's suffix + this prefix. */
  protected abstract straddlingWindow(position: number): number;
}

/**
 * Simple moving average, bit-identical to smaUnchecked (moving-average.ts): window sum = suffix + prefix,
 * times 1 / period.
 */
export class SmaWindow extends BlockWindow {
  private readonly reciprocal: number;
  private readonly suffix: Float64Array;
  private prefix = 0;

  constructor(period: number) {
    super(period);
    this.reciprocal = 1 / period;
    this.suffix = new Float64Array(period);
  }

  protected addToPrefix(value: number): void {
    this.prefix += value;
  }

  protected resetPrefix(): void {
    this.prefix = 0;
  }

  protected suffixPass(block: Float64Array): void {
    let sum = 0;
    for (let first = this.period - 1; first > 0; first--) {
      sum += block[first]!;
      this.suffix[first] = sum;
    }
  }

  protected wholeBlockWindow(): number {
    return this.prefix * this.reciprocal;
  }

  protected straddlingWindow(position: number): number {
    return (this.suffix[position + 1]! + this.prefix) * this.reciprocal;
  }
}

/**
 * Weighted moving average, weights 1 (oldest) .. period (newest), divided by period (period + 1) / 2.
 *
 * With t the position in a block: the previous block's part of a window holds its last m = period - 1 - r
 * points with weights 1..m, the weighted suffix W[j] = sum over t >= j of (t - j + 1) x[t], computed right to
 * left as S[j] = S[j + 1] + x[j], W[j] = W[j + 1] + S[j]. The current block's part holds positions 0..r with
 * weights m + 1 .. period: m * P[r] + Q[r], with P the prefix sum and Q[r] = sum of (t + 1) x[t]. Every term
 * is a sum of like-signed products, so nothing cancels:
 *
 *   wma = (W[r + 1] + (m * P[r] + Q[r])) * (1 / denominator),   or Q[period - 1] * (1 / denominator) for a
 *   whole block.
 */
export class WmaWindow extends BlockWindow {
  private readonly reciprocal: number;
  private readonly suffixWeighted: Float64Array;
  private prefix = 0;
  private prefixWeighted = 0;

  constructor(period: number) {
    super(period);
    this.reciprocal = 1 / ((period * (period + 1)) / 2);
    this.suffixWeighted = new Float64Array(period);
  }

  protected addToPrefix(value: number, position: number): void {
    this.prefix += value;
    this.prefixWeighted += (position + 1) * value;
  }

  protected resetPrefix(): void {
    this.prefix = 0;
    this.prefixWeighted = 0;
  }

  protected suffixPass(block: Float64Array): void {
    let sum = 0;
    let weighted = 0;
    for (let first = this.period - 1; first > 0; first--) {
      sum += block[first]!;
      weighted += sum;
      this.suffixWeighted[first] = weighted;
    }
  }

  protected wholeBlockWindow(): number {
    return this.prefixWeighted * this.reciprocal;
  }

  protected straddlingWindow(position: number): number {
    const olderCount = this.period - 1 - position;
    return (this.suffixWeighted[position + 1]! + (olderCount * this.prefix + this.prefixWeighted)) * this.reciprocal;
  }
}

/**
 * Moving mean and population variance, for the rolling standard deviation, the z-score and the Bollinger
 * bands.
 *
 * E[x^2] - E[x]^2 loses about log10((level / deviation)^2) digits: 8 of them for prices near 50,000 that
 * move by 5. So every sum of a window is taken about a centre inside the window: the first point c of
 * the block that holds the window's last point. Both halves of a straddling window use it: the block's
 * prefix sums of u = x - c and u^2, and the previous block's suffix sums of the same u and u^2, which are
 * therefore computed when the block's first point (its centre) arrives, not when the previous block
 * completes. Then
 *
 *   T1 = S1 + P1,  T2 = S2 + P2,  mean = T1 / period,  variance = T2 / period - mean^2 (clamped at 0)
 *
 * and the rounding error is relative to the spread of the window, not to its level. A NaN or an infinity
 * in a window makes its variance NaN; since the centre lies in every window that uses it, no other window
 * is touched.
 *
 * `update` returns the variance; `deviation` is then the newest point minus the window mean.
 */
export class MomentsWindow extends BlockWindow {
  /** The newest point minus the mean of the window ending at it (NaN during warm-up). */
  deviation = Number.NaN;
  private readonly reciprocal: number;
  private readonly suffix1: Float64Array;
  private readonly suffix2: Float64Array;
  /** The previous block's suffixes wait for this block's first point, their centre. */
  private hasPendingSuffixes = false;
  private centre = 0;
  private prefix1 = 0;
  private prefix2 = 0;
  private shifted = 0;

  constructor(period: number) {
    super(period);
    this.reciprocal = 1 / period;
    this.suffix1 = new Float64Array(period);
    this.suffix2 = new Float64Array(period);
  }

  protected addToPrefix(value: number, position: number): void {
    if (position === 0) {
      this.centre = value;
      if (this.hasPendingSuffixes) this.centredSuffixPass(value);
    }
    const shifted = value - this.centre;
    this.shifted = shifted;
    this.prefix1 += shifted;
    this.prefix2 += shifted * shifted;
  }

  protected resetPrefix(): void {
    this.prefix1 = 0;
    this.prefix2 = 0;
  }

  protected suffixPass(): void {
    this.hasPendingSuffixes = true;
  }

  /** The previous block's suffix sums about `centre`, right to left. */
  private centredSuffixPass(centre: number): void {
    const block = this.previousBlock;
    let sum1 = 0;
    let sum2 = 0;
    for (let first = this.period - 1; first > 0; first--) {
      const shifted = block[first]! - centre;
      sum1 += shifted;
      sum2 += shifted * shifted;
      this.suffix1[first] = sum1;
      this.suffix2[first] = sum2;
    }
    this.hasPendingSuffixes = false;
  }

  protected override incompleteWindow(): number {
    this.deviation = Number.NaN;
    return Number.NaN;
  }

  protected wholeBlockWindow(): number {
    return this.finish(this.prefix1, this.prefix2);
  }

  protected straddlingWindow(position: number): number {
    return this.finish(this.suffix1[position + 1]! + this.prefix1, this.suffix2[position + 1]! + this.prefix2);
  }

  private finish(total1: number, total2: number): number {
    const mean = total1 * this.reciprocal;
    let variance = total2 * this.reciprocal - mean * mean;
    // Rounding can take a zero variance just below zero; NaN stays NaN (NaN < 0 is false).
    if (variance < 0) variance = 0;
    this.deviation = this.shifted - mean;
    return variance;
  }
}

/**
 * The maximum (or minimum) of a moving window. NaN wins: a window that holds a NaN gives NaN. Signed zeros
 * are normalised to +0 (`+ 0`), so the result does not depend on the order of comparisons and every
 * backend, whatever its algorithm, gives the same bits.
 */
export class ExtremumWindow extends BlockWindow {
  readonly isMaximum: boolean;
  private readonly suffix: Float64Array;
  private prefix = Number.NaN;

  constructor(period: number, isMaximum: boolean) {
    super(period);
    this.isMaximum = isMaximum;
    this.suffix = new Float64Array(period);
  }

  protected addToPrefix(value: number, position: number): void {
    this.prefix = position === 0 ? value : this.combine(this.prefix, value);
  }

  protected resetPrefix(): void {
    this.prefix = Number.NaN;
  }

  protected suffixPass(block: Float64Array): void {
    let extreme = block[this.period - 1]!;
    for (let first = this.period - 1; first > 0; first--) {
      extreme = this.combine(extreme, block[first]!);
      this.suffix[first] = extreme;
    }
  }

  protected wholeBlockWindow(): number {
    return this.prefix + 0;
  }

  protected straddlingWindow(position: number): number {
    return this.combine(this.suffix[position + 1]!, this.prefix) + 0;
  }

  private combine(kept: number, candidate: number): number {
    return this.isMaximum ? pickMaximum(kept, candidate) : pickMinimum(kept, candidate);
  }
}

/** The larger of the two, NaN if either is NaN (a NaN `kept` stays; a NaN `candidate` is taken). */
export function pickMaximum(kept: number, candidate: number): number {
  return candidate > kept || candidate !== candidate ? candidate : kept;
}

/** The smaller of the two, NaN if either is NaN. */
export function pickMinimum(kept: number, candidate: number): number {
  return candidate < kept || candidate !== candidate ? candidate : kept;
}

// ---------------------------------------------------------------------------------------------------
// Exponential smoothers

export type SmootherKind = 'ema' | 'wilder';

/** The saved state of a smoother. */
export interface SmootherState {
  period: number;
  isSeeded: boolean;
  /** Warm-up: finite points summed so far, and their sum. */
  runLength: number;
  runSum: SavedNumber;
  /** Seeded: the value before the current block, the block's local recurrence, and the position in it. */
  previous: SavedNumber;
  local: SavedNumber;
  offset: number;
}

/** alpha for each smoother: the EMA's 2 / (period + 1), Wilder's 1 / period. */
export function smootherAlpha(kind: SmootherKind, period: number): number {
  return kind === 'ema' ? 2 / (period + 1) : 1 / period;
}

/** decay^(j + 1) for j < kEmaBlockLength, by repeated multiplication (as every backend builds it). */
export function decayPowers(decay: number): Float64Array {
  const powers = new Float64Array(kEmaBlockLength);
  let power = 1;
  for (let offset = 0; offset < kEmaBlockLength; offset++) {
    power *= decay;
    powers[offset] = power;
  }
  return powers;
}

/**
 * The EMA (bit-identical to emaUnchecked in moving-average.ts) or Wilder's smoothing, one point at a time.
 * See the module comment for the blocked recurrence and the gap rules.
 */
export class Smoother {
  readonly period: number;
  readonly kind: SmootherKind;
  private readonly alpha: number;
  private readonly decay: number;
  private readonly powers: Float64Array;
  private isSeeded = false;
  private runLength = 0;
  private runSum = 0;
  private previous = 0;
  private local = 0;
  private offset = 0;

  constructor(period: number, kind: SmootherKind) {
    this.period = period;
    this.kind = kind;
    this.alpha = smootherAlpha(kind, period);
    this.decay = 1 - this.alpha;
    this.powers = decayPowers(this.decay);
  }

  update(value: number): number {
    if (!Number.isFinite(value)) {
      this.restart();
      return Number.NaN;
    }
    if (!this.isSeeded) return this.warmUp(value);
    this.local = this.decay * this.local + this.alpha * value;
    const smoothed = this.local + this.powers[this.offset]! * this.previous;
    this.offset++;
    if (this.offset === kEmaBlockLength) {
      this.previous = smoothed;
      this.local = 0;
      this.offset = 0;
      if (!Number.isFinite(smoothed)) this.restart();
    }
    return smoothed;
  }

  save(): SmootherState {
    return {
      period: this.period,
      isSeeded: this.isSeeded,
      runLength: this.runLength,
      runSum: saveNumber(this.runSum),
      previous: saveNumber(this.previous),
      local: saveNumber(this.local),
      offset: this.offset,
    };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  restoredFrom(state: Readonly<Record<string, unknown>>, label: string): this {
    const period = this.period;
    readInteger(state, 'period', period, period, label);
    this.isSeeded = readBoolean(state, 'isSeeded', label);
    this.runLength = readInteger(state, 'runLength', 0, period - 1, label);
    this.runSum = readNumber(state, 'runSum', label);
    this.previous = readNumber(state, 'previous', label);
    this.local = readNumber(state, 'local', label);
    this.offset = readInteger(state, 'offset', 0, kEmaBlockLength - 1, label);
    return this;
  }

  private warmUp(value: number): number {
    this.runSum += value;
    this.runLength++;
    if (this.runLength < this.period) return Number.NaN;
    const seed = this.runSum / this.period;
    this.runLength = 0;
    this.runSum = 0;
    if (Number.isFinite(seed)) {
      this.isSeeded = true;
      this.previous = seed;
      this.local = 0;
      this.offset = 0;
    }
    return seed;
  }

  private restart(): void {
    this.isSeeded = false;
    this.runLength = 0;
    this.runSum = 0;
    this.previous = 0;
    this.local = 0;
    this.offset = 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// RSI

/**
 * RSI from Wilder's average gain and average loss: 100 * gain / (gain + loss), the form TA-Lib uses
 * (ta_RSI.c), which needs no division by a zero loss. A window without any change (gain + loss = 0) gives
 * 50, the neutral value; TA-Lib gives 0 there, which would read as "oversold" on a flat series.
 */
export function rsiFromAverages(averageGain: number, averageLoss: number): number {
  const total = averageGain + averageLoss;
  return total === 0 ? 50 : 100 * (averageGain / total);
}

/** The saved state of the RSI's smoothers. */
export interface RsiCoreState {
  period: number;
  previousClose: SavedNumber;
  isSeeded: boolean;
  runLength: number;
  runGain: SavedNumber;
  runLoss: SavedNumber;
  previousGain: SavedNumber;
  previousLoss: SavedNumber;
  localGain: SavedNumber;
  localLoss: SavedNumber;
  offset: number;
}

/**
 * Wilder's RSI: the changes close[i] - close[i - 1] split into gains and losses, each smoothed by Wilder's
 * smoothing (alpha = 1 / period) seeded with the mean of the first `period` of them, as in the worked
 * example of New Concepts in Technical Trading Systems (1978). The two smoothers share their control: a
 * non-finite change (or close) is a gap for both, and if either average stops being finite both restart,
 * so the gain and the loss always cover the same points.
 */
export class RsiCore {
  readonly period: number;
  private readonly alpha: number;
  private readonly decay: number;
  private readonly powers: Float64Array;
  private previousClose = Number.NaN;
  private isSeeded = false;
  private runLength = 0;
  private runGain = 0;
  private runLoss = 0;
  private previousGain = 0;
  private previousLoss = 0;
  private localGain = 0;
  private localLoss = 0;
  private offset = 0;

  constructor(period: number) {
    this.period = period;
    this.alpha = smootherAlpha('wilder', period);
    this.decay = 1 - this.alpha;
    this.powers = decayPowers(this.decay);
  }

  update(close: number): number {
    const change = close - this.previousClose;
    this.previousClose = close;
    if (!Number.isFinite(change)) {
      this.restart();
      return Number.NaN;
    }
    const gain = change > 0 ? change : 0;
    const loss = change < 0 ? -change : 0;
    if (!this.isSeeded) return this.warmUp(gain, loss);
    this.localGain = this.decay * this.localGain + this.alpha * gain;
    this.localLoss = this.decay * this.localLoss + this.alpha * loss;
    const power = this.powers[this.offset]!;
    const averageGain = this.localGain + power * this.previousGain;
    const averageLoss = this.localLoss + power * this.previousLoss;
    this.offset++;
    if (this.offset === kEmaBlockLength) {
      this.previousGain = averageGain;
      this.previousLoss = averageLoss;
      this.localGain = 0;
      this.localLoss = 0;
      this.offset = 0;
      if (!Number.isFinite(averageGain) || !Number.isFinite(averageLoss)) this.restart();
    }
    return rsiFromAverages(averageGain, averageLoss);
  }

  save(): RsiCoreState {
    return {
      period: this.period,
      previousClose: saveNumber(this.previousClose),
      isSeeded: this.isSeeded,
      runLength: this.runLength,
      runGain: saveNumber(this.runGain),
      runLoss: saveNumber(this.runLoss),
      previousGain: saveNumber(this.previousGain),
      previousLoss: saveNumber(this.previousLoss),
      localGain: saveNumber(this.localGain),
      localLoss: saveNumber(this.localLoss),
      offset: this.offset,
    };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  restoredFrom(state: Readonly<Record<string, unknown>>, label: string): this {
    const period = this.period;
    readInteger(state, 'period', period, period, label);
    this.previousClose = readNumber(state, 'previousClose', label);
    this.isSeeded = readBoolean(state, 'isSeeded', label);
    this.runLength = readInteger(state, 'runLength', 0, period - 1, label);
    this.runGain = readNumber(state, 'runGain', label);
    this.runLoss = readNumber(state, 'runLoss', label);
    this.previousGain = readNumber(state, 'previousGain', label);
    this.previousLoss = readNumber(state, 'previousLoss', label);
    this.localGain = readNumber(state, 'localGain', label);
    this.localLoss = readNumber(state, 'localLoss', label);
    this.offset = readInteger(state, 'offset', 0, kEmaBlockLength - 1, label);
    return this;
  }

  private warmUp(gain: number, loss: number): number {
    this.runGain += gain;
    this.runLoss += loss;
    this.runLength++;
    if (this.runLength < this.period) return Number.NaN;
    const averageGain = this.runGain / this.period;
    const averageLoss = this.runLoss / this.period;
    this.runLength = 0;
    this.runGain = 0;
    this.runLoss = 0;
    if (Number.isFinite(averageGain) && Number.isFinite(averageLoss)) {
      this.isSeeded = true;
      this.previousGain = averageGain;
      this.previousLoss = averageLoss;
      this.localGain = 0;
      this.localLoss = 0;
      this.offset = 0;
    }
    return rsiFromAverages(averageGain, averageLoss);
  }

  private restart(): void {
    this.isSeeded = false;
    this.runLength = 0;
    this.runGain = 0;
    this.runLoss = 0;
    this.previousGain = 0;
    this.previousLoss = 0;
    this.localGain = 0;
    this.localLoss = 0;
    this.offset = 0;
  }
}

// ---------------------------------------------------------------------------------------------------
// CCI

/** The constant Lambert chose so that 70-80% of CCI values fall within +-100 (Commodities, 1980). */
export const kCciConstant = 0.015;

/**
 * CCI of the newest typical price given its window's sum and sum of absolute deviations, as TA-Lib's
 * ta_CCI.c: (tp - mean) / (0.015 * meanDeviation), and 0 where either the numerator or the mean
 * deviation is 0 (a flat window).
 */
export function cciFromWindow(typicalPrice: number, mean: number, deviationSum: number, period: number): number {
  const numerator = typicalPrice - mean;
  return numerator !== 0 && deviationSum !== 0 ? numerator / (kCciConstant * (deviationSum / period)) : 0;
}

/**
 * The CCI's window: the mean absolute deviation about the window's own mean changes with every point
 * of the window, so no O(1) update exists; each update costs O(period), as in TA-Lib. The window is a
 * ring of the last `period` typical prices, summed oldest first (the batch order).
 */
export class CciWindow {
  readonly period: number;
  private readonly ring: Float64Array;
  private count = 0;
  private head = 0;

  constructor(period: number) {
    this.period = period;
    this.ring = new Float64Array(period);
  }

  update(typicalPrice: number): number {
    const period = this.period;
    this.ring[this.head] = typicalPrice;
    this.head = this.head + 1 === period ? 0 : this.head + 1;
    if (this.count < period) this.count++;
    if (this.count < period) return Number.NaN;
    // head is now the oldest point.
    let sum = 0;
    for (let index = this.head; index < period; index++) sum += this.ring[index]!;
    for (let index = 0; index < this.head; index++) sum += this.ring[index]!;
    const mean = sum / period;
    let deviationSum = 0;
    for (let index = this.head; index < period; index++) deviationSum += Math.abs(this.ring[index]! - mean);
    for (let index = 0; index < this.head; index++) deviationSum += Math.abs(this.ring[index]! - mean);
    return cciFromWindow(typicalPrice, mean, deviationSum, period);
  }

  /** The last min(count, period) typical prices, oldest first. */
  save(): { period: number; window: SavedNumber[] } {
    const window: SavedNumber[] = [];
    const oldest = this.count < this.period ? 0 : this.head;
    for (let step = 0; step < this.count; step++) window.push(saveNumber(this.ring[(oldest + step) % this.period]!));
    return { period: this.period, window };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  restoredFrom(state: Readonly<Record<string, unknown>>, label: string): this {
    const period = this.period;
    readInteger(state, 'period', period, period, label);
    const saved = state.window;
    const count = Array.isArray(saved) ? Math.min(saved.length, period) : 0;
    restoreNumbersInto(saved, count, this.ring, 0, `${label}.window`);
    this.count = count;
    this.head = count === period ? 0 : count;
    return this;
  }
}

// ---------------------------------------------------------------------------------------------------
// OBV

/**
 * On-balance volume (J. Granville, 1963), as TA-Lib's ta_OBV.c: the first bar's value is its volume; then
 * the volume is added on an up close, subtracted on a down close, and the total kept on an unchanged one.
 * A bar whose close or volume is not finite is a gap (NaN), and the total starts again at the next bar,
 * as at the first; so does a total that overflows.
 */
export class ObvCore {
  private isStarted = false;
  private previousClose = Number.NaN;
  private total = 0;

  update(close: number, volume: number): number {
    if (!Number.isFinite(close) || !Number.isFinite(volume)) {
      this.isStarted = false;
      return Number.NaN;
    }
    if (!this.isStarted) {
      this.isStarted = true;
      this.previousClose = close;
      this.total = volume;
      return volume;
    }
    if (close > this.previousClose) this.total += volume;
    else if (close < this.previousClose) this.total -= volume;
    this.previousClose = close;
    if (!Number.isFinite(this.total)) {
      this.isStarted = false;
      return Number.NaN;
    }
    return this.total;
  }

  save(): { isStarted: boolean; previousClose: SavedNumber; total: SavedNumber } {
    return { isStarted: this.isStarted, previousClose: saveNumber(this.previousClose), total: saveNumber(this.total) };
  }

  /** @throws KernelError ERR_KERNEL_BAD_STATE. */
  restoredFrom(state: Readonly<Record<string, unknown>>, label: string): this {
    this.isStarted = readBoolean(state, 'isStarted', label);
    this.previousClose = readNumber(state, 'previousClose', label);
    this.total = readNumber(state, 'total', label);
    return this;
  }
}
