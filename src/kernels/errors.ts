/**
 * Typed errors for the numeric kernels (src/kernels, asm/, native/). `KernelError` is an `OctopusError`
 * from the one registry (src/engine/errors.ts, where the codes and their HTTP statuses are declared);
 * this module narrows the codes to the kernels' own and keeps the "expected X, was Y" factory.
 */
import { OctopusError } from '../engine/errors.js';

/** Every code a kernel can throw. Callers switch on `error.code`, never on the message. */
export const kernelErrorCodes = [
  /** The period is not an integer in 1..kPeriodMax. */
  'ERR_KERNEL_BAD_PERIOD',
  /** The input is not a Float64Array. */
  'ERR_KERNEL_BAD_INPUT',
  /** The input is longer than kInputLengthMax. */
  'ERR_KERNEL_INPUT_TOO_LONG',
  /** The caller's output array is not a Float64Array of the input's length. */
  'ERR_KERNEL_BAD_OUTPUT',
  /** The caller's output array shares memory with the input; the kernels read ahead, so this is refused. */
  'ERR_KERNEL_ALIASED_OUTPUT',
  /** OCTOPUS_KERNELS names no known backend. */
  'ERR_KERNEL_UNKNOWN_BACKEND',
  /** A backend was asked for (by name or by OCTOPUS_KERNELS) but is not built or failed to load. */
  'ERR_KERNEL_BACKEND_UNAVAILABLE',
  /** A compiled backend reported a failure the facade had already ruled out (a broken invariant). */
  'ERR_KERNEL_BACKEND_FAILED',
  /** Matrix or panel dimensions that are not positive integers, or an array whose length does not match them. */
  'ERR_KERNEL_BAD_DIMENSIONS',
  /** A NaN or an infinity where the statistics kernels need finite numbers. */
  'ERR_KERNEL_NOT_FINITE',
  /** An option out of its range (an unknown covariance method, a decay outside (0, 1), ...). */
  'ERR_KERNEL_BAD_OPTION',
  /** Fewer observations than the estimator needs (a sample covariance needs two). */
  'ERR_KERNEL_TOO_FEW_OBSERVATIONS',
  /** A matrix that must be symmetric is not (beyond a relative tolerance). */
  'ERR_KERNEL_NOT_SYMMETRIC',
  /** Cholesky met a pivot that is not positive; the message names the pivot index. */
  'ERR_KERNEL_NOT_POSITIVE_DEFINITE',
  /** An iterative method (Jacobi eigenvalues, Higham's projections) ran out of iterations. */
  'ERR_KERNEL_NO_CONVERGENCE',
  /** The indicator facade was asked for an indicator its registry does not hold. */
  'ERR_KERNEL_UNKNOWN_INDICATOR',
  /** An indicator parameter that is unknown, of the wrong type, out of its bounds, or inconsistent with another. */
  'ERR_KERNEL_BAD_PARAM',
  /** A saved streaming-indicator state that is malformed or belongs to another indicator or version. */
  'ERR_KERNEL_BAD_STATE',
  /** No portfolio satisfies the optimiser's constraints (bounds that cannot reach the budget, a target return above the highest achievable, ...). */
  'ERR_KERNEL_INFEASIBLE',
] as const;

export type KernelErrorCode = (typeof kernelErrorCodes)[number];

export class KernelError extends OctopusError {
  override readonly name = 'KernelError';
  declare readonly code: KernelErrorCode;

  constructor(code: KernelErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, `${code}: ${message}`, options);
  }
}

/**
 * The one way kernels build errors. `expected` and `was` are phrases, so the message always reads
 * "expected <expected>, was <was>".
 */
export function kernelError(
  code: KernelErrorCode,
  expected: string,
  was: string,
  options?: { cause?: unknown },
): KernelError {
  return new KernelError(code, `expected ${expected}, was ${was}`, options);
}

/** Renders a hostile value for a message without throwing (symbols, bigints and cycles included). */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') {
    const constructorName = (value as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof constructorName !== 'string' || constructorName === '') return 'an object';
    return `${/^[aeiou]/i.test(constructorName) ? 'an' : 'a'} ${constructorName}`;
  }
  return typeof value;
}
