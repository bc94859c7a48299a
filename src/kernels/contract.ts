/**
 * The contract every kernel backend (TS reference, WASM, Rust) shares: the argument checks done once at
 * the edge, the size bounds, and the algorithm constants the compiled backends must agree on.
 */
import type { BackendName } from './backend.js';
import { describeValue, kernelError } from './errors.js';

/**
 * The longest input a kernel accepts: 2^27 points, 1 GiB of float64. It keeps every index and every
 * `index + period` sum inside a signed 32-bit integer (the WASM and Rust kernels use i32/u32 indices) and
 * keeps input + output (2 GiB) inside the 4 GiB a wasm32 memory can address.
 */
export const kInputLengthMax = 2 ** 27;

/**
 * EMA block length: the recurrence is evaluated in blocks of this many points (see
 * indicators/moving-average.ts). The WASM and Rust kernels export the same constant and a test checks that
 * all three agree, because a different block length gives different rounding.
 */
export const kEmaBlockLength = 16;

/** The kernels every backend implements. Each writes into `out` when given, else allocates. */
export interface KernelBackend {
  readonly name: BackendName;
  /**
   * Simple moving average over `period` points. See docs/kernels.md for warm-up and NaN rules.
   * @throws KernelError ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG,
   *   ERR_KERNEL_BAD_OUTPUT, ERR_KERNEL_ALIASED_OUTPUT.
   */
  sma(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  /**
   * Exponential moving average, alpha = 2 / (period + 1), seeded with the SMA of the first `period` points.
   * @throws the same errors as `sma`.
   */
  ema(input: Float64Array, period: number, out?: Float64Array): Float64Array;
}

/**
 * Checks the arguments every kernel takes and returns the array to write into (the caller's `out`, or a
 * new one). Backends call this first, so the loops behind it may assume an integer period >= 1, an input of
 * at most kInputLengthMax points, and an output of the same length that does not overlap the input.
 * @throws KernelError with the codes listed on KernelBackend.sma.
 */
export function checkArguments(input: unknown, period: unknown, out: unknown): Float64Array {
  if (!(input instanceof Float64Array)) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', 'input to be a Float64Array', describeValue(input));
  }
  if (input.length > kInputLengthMax) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kInputLengthMax} points`, `${input.length}`);
  }
  checkPeriod(period);
  if (out === undefined) return new Float64Array(input.length);
  if (!(out instanceof Float64Array)) {
    throw kernelError('ERR_KERNEL_BAD_OUTPUT', 'out to be a Float64Array or undefined', describeValue(out));
  }
  if (out.length !== input.length) {
    throw kernelError('ERR_KERNEL_BAD_OUTPUT', `out.length to equal input.length ${input.length}`, `${out.length}`);
  }
  if (overlaps(input, out)) {
    throw kernelError('ERR_KERNEL_ALIASED_OUTPUT', 'out not to share memory with input', 'overlapping');
  }
  return out;
}

/**
 * Any safe integer >= 1 is a valid period; one longer than the series simply yields all NaN.
 * @throws KernelError ERR_KERNEL_BAD_PERIOD.
 */
export function checkPeriod(period: unknown): asserts period is number {
  if (typeof period !== 'number' || !Number.isSafeInteger(period) || period < 1) {
    throw kernelError('ERR_KERNEL_BAD_PERIOD', 'an integer period >= 1', describeValue(period));
  }
}

/** True when the two views share at least one byte of the same buffer. Empty views overlap nothing. */
export function overlaps(first: Float64Array, second: Float64Array): boolean {
  if (first.buffer !== second.buffer) return false;
  if (first.length === 0 || second.length === 0) return false;
  const firstEnd = first.byteOffset + first.byteLength;
  const secondEnd = second.byteOffset + second.byteLength;
  return first.byteOffset < secondEnd && second.byteOffset < firstEnd;
}
