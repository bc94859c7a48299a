// Indicator kernels for WebAssembly (AssemblyScript, compiled by scripts/build-asm.mjs): the primitives of
// src/kernels/indicators/primitives.ts.
//
// Every output is computed with exactly the floating-point operations of the TypeScript reference, in
// the same order, so the results match it bit for bit; read src/kernels/indicators/windows.ts
// for the algorithms (block windows, smoothers, RSI, CCI, OBV) and primitives.ts for MACD and
// Bollinger, which reuse the SMA and EMA kernels of moving-average.ts. native/src/indicators_kernels.rs
// is the same code in Rust.
//
// Memory layout (one wasm32 linear memory, exported as `memory`; the JS side owns the regions):
//
//   0                 heapStart
//   | static data      | array 0: capacity f64 | skew | array 1 | skew | ... | array count - 1 |
//   | (decay powers)   |                       |      |         |      |     |                 |
//
// `reserve(points, count)` grows the memory so that `count` arrays of `points` f64 fit, each starting
// kAliasSkewBytes further past a 4 KiB boundary than the one before (so the CPU's 4K-aliasing check does
// not stall loads of one array behind stores to another; see moving-average.ts), and returns 0 when it
// cannot. `arrayStart(k)` is where array k starts. The JS side copies inputs into some arrays, calls a
// kernel with their pointers (plus scratch arrays where a kernel needs one), and copies outputs back.

import { ema, sma } from './moving-average';
import { isFiniteValue, readAt, writeAt } from './shared/memory';

/** Longest series: 2^27 points, as kInputLengthMax in src/kernels/contract.ts. */
const kInputLengthMax: i32 = 1 << 27;
/** EMA block length; must equal kEmaBlockLength in src/kernels/contract.ts. */
const kBlockLength: i32 = 16;
/** The version of these exports; src/kernels/indicators/compiled-primitives.ts refuses a module that reports another. */
const kAbiVersion: i32 = 1;
const kArraysMax: i32 = 8;
const kPageBytes: usize = 65536;
const kAliasSkewBytes: usize = 2048 + 64;

/** decay^(j + 1) for the smoothers of one call. */
const powers: usize = memory.data(kBlockLength * 8, 16);

let capacityPoints: i32 = 0;
let arrayCount: i32 = 0;

@inline function heapStart(): usize {
  return (__heap_base + 4095) & ~(<usize>4095);
}

@inline function arrayStride(capacity: i32): usize {
  return ((<usize>capacity << 3) + 4095 & ~(<usize>4095)) + kAliasSkewBytes;
}

export function version(): i32 {
  return kAbiVersion;
}

/** Makes room for `count` arrays of `points` f64. Returns 1, or 0 if too large or memory cannot grow. */
export function reserve(points: i32, count: i32): i32 {
  if (points < 0 || points > kInputLengthMax || count < 1 || count > kArraysMax) return 0;
  if (points <= capacityPoints && count <= arrayCount) return 1;
  const capacity: i32 = max(points, capacityPoints);
  const arrays: i32 = max(count, arrayCount);
  const bytesNeeded: u64 = <u64>heapStart() + <u64>arrayStride(capacity) * <u64>arrays;
  if (bytesNeeded > (<u64>1 << 32)) return 0;
  const pagesNeeded: i32 = <i32>((bytesNeeded + <u64>kPageBytes - 1) / <u64>kPageBytes);
  const pagesNow: i32 = memory.size();
  if (pagesNeeded > pagesNow && memory.grow(pagesNeeded - pagesNow) < 0) return 0;
  capacityPoints = capacity;
  arrayCount = arrays;
  return 1;
}

export function arrayStart(index: i32): usize {
  assert(index >= 0);
  assert(index < arrayCount);
  return heapStart() + arrayStride(capacityPoints) * <usize>index;
}

function fillNaN(outputPointer: usize, from: i32, to: i32): void {
  for (let index: i32 = from; index < to; index++) writeAt(outputPointer, index, NaN);
}

function buildPowers(decay: f64): void {
  let power: f64 = 1.0;
  for (let offset: i32 = 0; offset < kBlockLength; offset++) {
    power *= decay;
    writeAt(powers, offset, power);
  }
}

function checkSeries(length: i32, period: i32): void {
  assert(length >= 0);
  assert(length <= kInputLengthMax);
  assert(period >= 1);
}

// ---------------------------------------------------------------------------------------------------
// Smoothing

/** Wilder's smoothing, as Smoother('wilder') in the reference. */
export function wilder(inputPointer: usize, outputPointer: usize, length: i32, period: i32): void {
  checkSeries(length, period);
  const alpha: f64 = 1.0 / <f64>period;
  const decay: f64 = 1.0 - alpha;
  buildPowers(decay);
  let isSeeded = false;
  let runLength: i32 = 0;
  let runSum: f64 = 0.0;
  let previous: f64 = 0.0;
  let local: f64 = 0.0;
  let offset: i32 = 0;
  for (let index: i32 = 0; index < length; index++) {
    const value = readAt(inputPointer, index);
    if (!isFiniteValue(value)) {
      isSeeded = false;
      runLength = 0;
      runSum = 0.0;
      writeAt(outputPointer, index, NaN);
      continue;
    }
    if (!isSeeded) {
      runSum += value;
      runLength++;
      if (runLength < period) {
        writeAt(outputPointer, index, NaN);
        continue;
      }
      const seed = runSum / <f64>period;
      runLength = 0;
      runSum = 0.0;
      if (isFiniteValue(seed)) {
        isSeeded = true;
        previous = seed;
        local = 0.0;
        offset = 0;
      }
      writeAt(outputPointer, index, seed);
      continue;
    }
    local = decay * local + alpha * value;
    const smoothed = local + readAt(powers, offset) * previous;
    offset++;
    if (offset == kBlockLength) {
      previous = smoothed;
      local = 0.0;
      offset = 0;
      if (!isFiniteValue(smoothed)) isSeeded = false;
    }
    writeAt(outputPointer, index, smoothed);
  }
}

@inline function rsiFromAverages(averageGain: f64, averageLoss: f64): f64 {
  const total = averageGain + averageLoss;
  return total == 0.0 ? 50.0 : 100.0 * (averageGain / total);
}

/** Wilder's RSI, as RsiCore in the reference. */
export function rsi(inputPointer: usize, outputPointer: usize, length: i32, period: i32): void {
  checkSeries(length, period);
  const alpha: f64 = 1.0 / <f64>period;
  const decay: f64 = 1.0 - alpha;
  buildPowers(decay);
  let previousClose: f64 = NaN;
  let isSeeded = false;
  let runLength: i32 = 0;
  let runGain: f64 = 0.0;
  let runLoss: f64 = 0.0;
  let previousGain: f64 = 0.0;
  let previousLoss: f64 = 0.0;
  let localGain: f64 = 0.0;
  let localLoss: f64 = 0.0;
  let offset: i32 = 0;
  for (let index: i32 = 0; index < length; index++) {
    const close = readAt(inputPointer, index);
    const change = close - previousClose;
    previousClose = close;
    if (!isFiniteValue(change)) {
      isSeeded = false;
      runLength = 0;
      runGain = 0.0;
      runLoss = 0.0;
      writeAt(outputPointer, index, NaN);
      continue;
    }
    const gain: f64 = change > 0.0 ? change : 0.0;
    const loss: f64 = change < 0.0 ? -change : 0.0;
    if (!isSeeded) {
      runGain += gain;
      runLoss += loss;
      runLength++;
      if (runLength < period) {
        writeAt(outputPointer, index, NaN);
        continue;
      }
      const averageGain = runGain / <f64>period;
      const averageLoss = runLoss / <f64>period;
      runLength = 0;
      runGain = 0.0;
      runLoss = 0.0;
      if (isFiniteValue(averageGain) && isFiniteValue(averageLoss)) {
        isSeeded = true;
        previousGain = averageGain;
        previousLoss = averageLoss;
        localGain = 0.0;
        localLoss = 0.0;
        offset = 0;
      }
      writeAt(outputPointer, index, rsiFromAverages(averageGain, averageLoss));
      continue;
    }
    localGain = decay * localGain + alpha * gain;
    localLoss = decay * localLoss + alpha * loss;
    const power = readAt(powers, offset);
    const averageGain = localGain + power * previousGain;
    const averageLoss = localLoss + power * previousLoss;
    offset++;
    if (offset == kBlockLength) {
      previousGain = averageGain;
      previousLoss = averageLoss;
      localGain = 0.0;
      localLoss = 0.0;
      offset = 0;
      if (!isFiniteValue(averageGain) || !isFiniteValue(averageLoss)) isSeeded = false;
    }
    writeAt(outputPointer, index, rsiFromAverages(averageGain, averageLoss));
  }
}

// ---------------------------------------------------------------------------------------------------
// Block windows (the scratch arrays hold the previous block's suffixes, `period` values each)

/** Weighted moving average, as WmaWindow in the reference. */
export function wma(inputPointer: usize, outputPointer: usize, length: i32, period: i32, scratchPointer: usize): void {
  checkSeries(length, period);
  if (period > length) {
    fillNaN(outputPointer, 0, length);
    return;
  }
  const reciprocal: f64 = 1.0 / ((<f64>period * (<f64>period + 1.0)) / 2.0);
  let hasPreviousBlock = false;
  for (let blockStart: i32 = 0; blockStart < length; blockStart += period) {
    const blockEnd: i32 = min(blockStart + period, length);
    let prefix: f64 = 0.0;
    let prefixWeighted: f64 = 0.0;
    for (let index: i32 = blockStart; index < blockEnd; index++) {
      const position: i32 = index - blockStart;
      const value = readAt(inputPointer, index);
      prefix += value;
      prefixWeighted += <f64>(position + 1) * value;
      let result: f64 = NaN;
      if (position == period - 1) {
        result = prefixWeighted * reciprocal;
      } else if (hasPreviousBlock) {
        const olderCount = <f64>(period - 1 - position);
        result = (readAt(scratchPointer, position + 1) + (olderCount * prefix + prefixWeighted)) * reciprocal;
      }
      writeAt(outputPointer, index, result);
    }
    if (blockEnd - blockStart == period) {
      let sum: f64 = 0.0;
      let weighted: f64 = 0.0;
      for (let first: i32 = period - 1; first > 0; first--) {
        sum += readAt(inputPointer, blockStart + first);
        weighted += sum;
        writeAt(scratchPointer, first, weighted);
      }
      hasPreviousBlock = true;
    }
  }
}

@inline function zScoreValue(deviation: f64, variance: f64): f64 {
  const standardDeviation = sqrt<f64>(variance);
  return standardDeviation == 0.0 ? 0.0 : deviation / standardDeviation;
}

/**
 * Moving standard deviation (isZScore false) or z-score, as MomentsWindow in the reference: every sum of a
 * window about the first point of the block holding its last point, the previous block's suffix sums
 * (computed when that point is known) included.
 */
function moments(
  inputPointer: usize,
  outputPointer: usize,
  length: i32,
  period: i32,
  isZScore: bool,
  suffix1Pointer: usize,
  suffix2Pointer: usize,
): void {
  checkSeries(length, period);
  if (period > length) {
    fillNaN(outputPointer, 0, length);
    return;
  }
  const reciprocal: f64 = 1.0 / <f64>period;
  for (let blockStart: i32 = 0; blockStart < length; blockStart += period) {
    const blockEnd: i32 = min(blockStart + period, length);
    const centre = readAt(inputPointer, blockStart);
    const hasPreviousBlock = blockStart >= period;
    if (hasPreviousBlock) {
      const previous: i32 = blockStart - period;
      let sum1: f64 = 0.0;
      let sum2: f64 = 0.0;
      for (let first: i32 = period - 1; first > 0; first--) {
        const shifted = readAt(inputPointer, previous + first) - centre;
        sum1 += shifted;
        sum2 += shifted * shifted;
        writeAt(suffix1Pointer, first, sum1);
        writeAt(suffix2Pointer, first, sum2);
      }
    }
    let prefix1: f64 = 0.0;
    let prefix2: f64 = 0.0;
    for (let index: i32 = blockStart; index < blockEnd; index++) {
      const position: i32 = index - blockStart;
      const shifted = readAt(inputPointer, index) - centre;
      prefix1 += shifted;
      prefix2 += shifted * shifted;
      let total1: f64 = 0.0;
      let total2: f64 = 0.0;
      if (position == period - 1) {
        total1 = prefix1;
        total2 = prefix2;
      } else if (hasPreviousBlock) {
        total1 = readAt(suffix1Pointer, position + 1) + prefix1;
        total2 = readAt(suffix2Pointer, position + 1) + prefix2;
      } else {
        writeAt(outputPointer, index, NaN);
        continue;
      }
      const mean = total1 * reciprocal;
      let variance = total2 * reciprocal - mean * mean;
      if (variance < 0.0) variance = 0.0;
      writeAt(outputPointer, index, isZScore ? zScoreValue(shifted - mean, variance) : sqrt<f64>(variance));
    }
  }
}

export function movingStd(inputPointer: usize, outputPointer: usize, length: i32, period: i32, suffix1Pointer: usize, suffix2Pointer: usize): void {
  moments(inputPointer, outputPointer, length, period, false, suffix1Pointer, suffix2Pointer);
}

export function zScore(inputPointer: usize, outputPointer: usize, length: i32, period: i32, suffix1Pointer: usize, suffix2Pointer: usize): void {
  moments(inputPointer, outputPointer, length, period, true, suffix1Pointer, suffix2Pointer);
}

/** The larger (isMaximum) or smaller of the two, NaN if either is NaN, as pickMaximum / pickMinimum. */
@inline function pick(kept: f64, candidate: f64, isMaximum: bool): f64 {
  const isBetter = isMaximum ? candidate > kept : candidate < kept;
  return isBetter || candidate != candidate ? candidate : kept;
}

/** Moving maximum or minimum, as ExtremumWindow: NaN wins, signed zeros become +0. */
function extremum(inputPointer: usize, outputPointer: usize, length: i32, period: i32, isMaximum: bool, scratchPointer: usize): void {
  checkSeries(length, period);
  if (period > length) {
    fillNaN(outputPointer, 0, length);
    return;
  }
  let hasPreviousBlock = false;
  for (let blockStart: i32 = 0; blockStart < length; blockStart += period) {
    const blockEnd: i32 = min(blockStart + period, length);
    let prefix = readAt(inputPointer, blockStart);
    for (let index: i32 = blockStart; index < blockEnd; index++) {
      const position: i32 = index - blockStart;
      if (position > 0) prefix = pick(prefix, readAt(inputPointer, index), isMaximum);
      let result: f64 = NaN;
      if (position == period - 1) {
        result = prefix + 0.0;
      } else if (hasPreviousBlock) {
        result = pick(readAt(scratchPointer, position + 1), prefix, isMaximum) + 0.0;
      }
      writeAt(outputPointer, index, result);
    }
    if (blockEnd - blockStart == period) {
      let extreme = readAt(inputPointer, blockStart + period - 1);
      for (let first: i32 = period - 1; first > 0; first--) {
        extreme = pick(extreme, readAt(inputPointer, blockStart + first), isMaximum);
        writeAt(scratchPointer, first, extreme);
      }
      hasPreviousBlock = true;
    }
  }
}

export function highest(inputPointer: usize, outputPointer: usize, length: i32, period: i32, scratchPointer: usize): void {
  extremum(inputPointer, outputPointer, length, period, true, scratchPointer);
}

export function lowest(inputPointer: usize, outputPointer: usize, length: i32, period: i32, scratchPointer: usize): void {
  extremum(inputPointer, outputPointer, length, period, false, scratchPointer);
}

// ---------------------------------------------------------------------------------------------------
// CCI, OBV

/** CCI of a typical-price series, as cciBatch: O(period) per point, sums oldest first. */
export function cci(inputPointer: usize, outputPointer: usize, length: i32, period: i32): void {
  checkSeries(length, period);
  if (period > length) {
    fillNaN(outputPointer, 0, length);
    return;
  }
  fillNaN(outputPointer, 0, period - 1);
  const count = <f64>period;
  for (let last: i32 = period - 1; last < length; last++) {
    const first: i32 = last - period + 1;
    let sum: f64 = 0.0;
    for (let index: i32 = first; index <= last; index++) sum += readAt(inputPointer, index);
    const mean = sum / count;
    let deviationSum: f64 = 0.0;
    for (let index: i32 = first; index <= last; index++) deviationSum += abs<f64>(readAt(inputPointer, index) - mean);
    const numerator = readAt(inputPointer, last) - mean;
    writeAt(outputPointer, last, numerator != 0.0 && deviationSum != 0.0 ? numerator / (0.015 * (deviationSum / count)) : 0.0);
  }
}

/** On-balance volume, as ObvCore. */
export function obv(closePointer: usize, volumePointer: usize, outputPointer: usize, length: i32): void {
  checkSeries(length, 1);
  let isStarted = false;
  let previousClose: f64 = NaN;
  let total: f64 = 0.0;
  for (let index: i32 = 0; index < length; index++) {
    const price = readAt(closePointer, index);
    const amount = readAt(volumePointer, index);
    if (!isFiniteValue(price) || !isFiniteValue(amount)) {
      isStarted = false;
      writeAt(outputPointer, index, NaN);
      continue;
    }
    if (!isStarted) {
      isStarted = true;
      previousClose = price;
      total = amount;
      writeAt(outputPointer, index, amount);
      continue;
    }
    if (price > previousClose) total += amount;
    else if (price < previousClose) total -= amount;
    previousClose = price;
    if (!isFiniteValue(total)) {
      isStarted = false;
      writeAt(outputPointer, index, NaN);
      continue;
    }
    writeAt(outputPointer, index, total);
  }
}

// ---------------------------------------------------------------------------------------------------
// Compositions run here in one call

/** MACD, as macdWith: three EMA kernel calls and two elementwise passes, the histogram as scratch. */
export function macd(
  inputPointer: usize,
  linePointer: usize,
  signalPointer: usize,
  histogramPointer: usize,
  length: i32,
  fastPeriod: i32,
  slowPeriod: i32,
  signalPeriod: i32,
): void {
  checkSeries(length, fastPeriod);
  assert(fastPeriod < slowPeriod);
  assert(signalPeriod >= 1);
  ema(inputPointer, linePointer, length, fastPeriod);
  ema(inputPointer, histogramPointer, length, slowPeriod);
  for (let index: i32 = 0; index < length; index++) {
    writeAt(linePointer, index, readAt(linePointer, index) - readAt(histogramPointer, index));
  }
  ema(linePointer, signalPointer, length, signalPeriod);
  for (let index: i32 = 0; index < length; index++) {
    writeAt(histogramPointer, index, readAt(linePointer, index) - readAt(signalPointer, index));
  }
  fillNaN(linePointer, 0, min(length, slowPeriod - 1 + (signalPeriod - 1)));
}

/** Bollinger bands, as bollingerWith: SMA kernel, moving deviation into `upper`, then the bands. */
export function bollinger(
  inputPointer: usize,
  upperPointer: usize,
  middlePointer: usize,
  lowerPointer: usize,
  length: i32,
  period: i32,
  multiplier: f64,
  suffix1Pointer: usize,
  suffix2Pointer: usize,
): void {
  checkSeries(length, period);
  sma(inputPointer, middlePointer, length, period);
  moments(inputPointer, upperPointer, length, period, false, suffix1Pointer, suffix2Pointer);
  for (let index: i32 = 0; index < length; index++) {
    const width = multiplier * readAt(upperPointer, index);
    const middle = readAt(middlePointer, index);
    writeAt(upperPointer, index, middle + width);
    writeAt(lowerPointer, index, middle - width);
  }
}
