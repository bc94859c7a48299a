/**
 * Reference implementations of the moving averages, in plain TypeScript.
 *
 * These functions define the results: the WASM kernel (asm/moving-average.ts) and the Rust kernel
 * (native/src/lib.rs) perform the same floating-point operations in the same order, so all three agree to
 * the last bit on every input (the tests allow 1e-12 relative). The compiled kernels are free to run
 * independent parts at the same time (SIMD lanes, interleaved loops), never to reorder the arithmetic of
 * one output. This is also the backend that runs when neither compiled kernel is built, so it is written
 * to be fast as well as clear.
 *
 * Conventions (those of TA-Lib, https://ta-lib.org/functions/): the output has the input's length; the
 * first `period - 1` outputs are NaN (warm-up); the EMA is seeded with the SMA of its first `period` points
 * and uses alpha = 2 / (period + 1). NaN and infinity rules are stated on each function and in
 * docs/kernels.md.
 */
import { checkArguments, kEmaBlockLength } from '../contract.js';

/**
 * Simple moving average: output[i] is the mean of input[i - period + 1 .. i].
 *
 * Non-finite inputs follow IEEE arithmetic inside the windows that contain them and never leak out of
 * them: a window holding a NaN (or both +Infinity and -Infinity) outputs NaN, a window holding +Infinity
 * outputs +Infinity, and the first window past the bad point is exact again. Accuracy does not decay
 * along the series: every output is a fresh sum of its own window, never a running sum carried for the
 * whole series (a running sum is poisoned for ever by one NaN and accumulates rounding error).
 *
 * @throws KernelError ERR_KERNEL_BAD_PERIOD when period is not an integer >= 1; ERR_KERNEL_BAD_INPUT,
 *   ERR_KERNEL_INPUT_TOO_LONG, ERR_KERNEL_BAD_OUTPUT, ERR_KERNEL_ALIASED_OUTPUT for bad arrays.
 */
export function sma(input: Float64Array, period: number, out?: Float64Array): Float64Array {
  const output = checkArguments(input, period, out);
  smaUnchecked(input, period, output);
  return output;
}

/**
 * Exponential moving average: ema[i] = alpha * input[i] + (1 - alpha) * ema[i - 1], alpha = 2 / (period + 1),
 * seeded at index period - 1 with the mean of the first `period` inputs.
 *
 * A non-finite input is a gap: its output is NaN and the EMA starts again, warming up on the next `period`
 * finite inputs (NaN outputs) and reseeding with their mean. Without this rule one bad tick would make
 * every later output NaN, because the EMA never forgets. Should the EMA itself overflow (inputs near
 * 1e308), it restarts the same way at the next block boundary.
 *
 * @throws the same errors as `sma`.
 */
export function ema(input: Float64Array, period: number, out?: Float64Array): Float64Array {
  const output = checkArguments(input, period, out);
  emaUnchecked(input, period, output);
  return output;
}

/**
 * SMA without argument checks, for callers that already ran `checkArguments`.
 *
 * Algorithm: the van Herk / Gil-Werman block decomposition (M. van Herk, "A fast algorithm for local
 * minimum and maximum filters on rectangular and octagonal kernels", Pattern Recognition Letters 13, 1992;
 * J. Gil and M. Werman, IEEE PAMI 15, 1993), applied to sums instead of maxima. Cut the series into blocks
 * of `period` points starting at index 0. A window either is exactly one block, whose sum is that block's
 * full prefix sum, or it straddles two neighbouring blocks, and its sum is
 *
 *     suffix sum of the left block from the window's first point  +  prefix sum of the right block
 *
 * Each output therefore costs two additions and a multiplication whatever the period, each is summed
 * afresh from at most `period` points (no drift along the series), and a NaN stays inside the windows that
 * hold it. The suffix sum for the window ending at `index` is parked in output[index] until the prefix pass
 * of that block adds its half, so no scratch memory is needed (hence out must not alias input).
 *
 * Bit-exact contract with the compiled kernels: prefix sums run left to right from 0, suffix sums right
 * to left from 0, the two halves are added, then multiplied by 1 / period. Multiplying by the reciprocal
 * rather than dividing can move a result by one ulp (a relative 1.1e-16); it is done because division is
 * the throughput limit of the SIMD kernels (a divide costs about eight times a multiply).
 */
export function smaUnchecked(input: Float64Array, period: number, output: Float64Array): void {
  const length = input.length;
  if (period > length) {
    output.fill(Number.NaN);
    return;
  }
  for (let blockStart = 0; blockStart < length; blockStart += period) {
    smaPrefixPass(input, period, output, blockStart);
    smaSuffixPass(input, period, output, blockStart);
  }
}

/** Completes the windows that end inside the block at blockStart (see smaUnchecked). */
function smaPrefixPass(input: Float64Array, period: number, output: Float64Array, blockStart: number): void {
  const length = input.length;
  const blockLast = blockStart + period - 1;
  const straddlingEnd = Math.min(blockLast, length);
  const reciprocal = 1 / period;
  let prefix = 0;
  let index = blockStart;
  if (blockStart === 0) {
    // Warm-up: windows ending before period - 1 are incomplete.
    for (; index < straddlingEnd; index++) {
      prefix += input[index]!;
      output[index] = Number.NaN;
    }
  } else {
    for (; index < straddlingEnd; index++) {
      prefix += input[index]!;
      output[index] = (output[index]! + prefix) * reciprocal;
    }
  }
  if (blockLast < length) {
    prefix += input[blockLast]!;
    output[blockLast] = prefix * reciprocal;
  }
}

/**
 * Parks, for each window that starts inside this block and ends inside the next one, the sum of its points
 * in this block, at output[window end]. Needs the whole block, so a final partial block has nothing to do.
 */
function smaSuffixPass(input: Float64Array, period: number, output: Float64Array, blockStart: number): void {
  const length = input.length;
  const blockLast = blockStart + period - 1;
  if (blockLast + 1 >= length) return;
  // The window starting at `first` ends at first + period - 1, which must exist.
  const storedFirstMax = Math.min(blockLast, length - period);
  let suffix = 0;
  let first = blockLast;
  for (; first > storedFirstMax; first--) suffix += input[first]!;
  for (; first > blockStart; first--) {
    suffix += input[first]!;
    output[first + period - 1] = suffix;
  }
}

/**
 * decay^(j + 1) for j in 0..kEmaBlockLength-1, rebuilt per call by repeated multiplication (the compiled
 * kernels build theirs the same way, so the bits match). Module-level so no call allocates.
 */
const decayPowers = new Float64Array(kEmaBlockLength);

/**
 * EMA without argument checks, for callers that already ran `checkArguments`.
 *
 * Algorithm: the recurrence e[i] = decay * e[i - 1] + alpha * x[i] is evaluated in blocks of
 * kEmaBlockLength points counted from the seed. Inside a block, a local EMA started from zero,
 *
 *     local[j] = decay * local[j - 1] + alpha * x[start + j],   local[-1] = 0,
 *
 * depends only on the block's own inputs; the carried state enters once per point as
 *
 *     e[start + j] = local[j] + decay^(j + 1) * e[start - 1].
 *
 * Mathematically this is the same EMA (it unrolls the recurrence; see the chunked scan of a first-order
 * linear recurrence in G. E. Blelloch, "Prefix Sums and Their Applications", CMU-CS-90-190, 1990, and the
 * look-ahead of P. M. Kogge and H. S. Stone, IEEE Trans. Computers 22(8), 1973). The point is speed: the
 * local EMAs of different blocks are independent, so the compiled kernels run several blocks at once in
 * SIMD lanes, whereas the textbook loop is one long chain of dependent multiply-adds. Every coefficient is
 * positive and they sum to one, so the rounding error stays a few ulps and does not grow along the series.
 */
export function emaUnchecked(input: Float64Array, period: number, output: Float64Array): void {
  const length = input.length;
  const alpha = 2 / (period + 1);
  const decay = 1 - alpha;
  let power = 1;
  for (let offset = 0; offset < kEmaBlockLength; offset++) {
    power *= decay;
    decayPowers[offset] = power;
  }
  let index = 0;
  while (index < length) {
    const seedIndex = emaWarmUp(input, period, output, index);
    if (seedIndex === length) return;
    index = emaSeeded(input, output, seedIndex, alpha, decay);
  }
}

/**
 * Writes NaN while warming up from `from`, restarting at every non-finite input, and writes the seed (the
 * mean of `period` consecutive finite inputs, summed left to right) at its index. Returns that index, or
 * input.length when the series ends first.
 */
function emaWarmUp(input: Float64Array, period: number, output: Float64Array, from: number): number {
  const length = input.length;
  let runLength = 0;
  let runSum = 0;
  for (let index = from; index < length; index++) {
    const value = input[index]!;
    if (!Number.isFinite(value)) {
      runLength = 0;
      runSum = 0;
      output[index] = Number.NaN;
      continue;
    }
    runSum += value;
    runLength++;
    if (runLength === period) {
      output[index] = runSum / period;
      return index;
    }
    output[index] = Number.NaN;
  }
  return length;
}

/**
 * Runs the blocked recurrence from the seed at output[seedIndex] until the series ends (returns
 * input.length) or a gap or overflow restarts the warm-up (returns the index to warm up from).
 */
function emaSeeded(input: Float64Array, output: Float64Array, seedIndex: number, alpha: number, decay: number): number {
  const length = input.length;
  let previous = output[seedIndex]!;
  if (!Number.isFinite(previous)) return seedIndex + 1;
  let blockStart = seedIndex + 1;
  while (blockStart < length) {
    const blockEnd = Math.min(blockStart + kEmaBlockLength, length);
    let local = 0;
    for (let index = blockStart; index < blockEnd; index++) {
      const value = input[index]!;
      if (!Number.isFinite(value)) {
        output[index] = Number.NaN;
        return index + 1;
      }
      local = decay * local + alpha * value;
      output[index] = local + decayPowers[index - blockStart]! * previous;
    }
    previous = output[blockEnd - 1]!;
    if (!Number.isFinite(previous)) return blockEnd;
    blockStart = blockEnd;
  }
  return length;
}
