/**
 * Typed errors for the numeric kernels (src/kernels, asm/, native/) and the VaR requests they serve
 * (src/actors/risk/var.ts). Both classes are `OctopusError`s from the one registry (src/engine/errors.ts,
 * where the codes and their HTTP statuses are declared); this module narrows the codes to each area and
 * holds the one "expected X, was Y" factory for both.
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

/** Errors of the VaR request (ERR_RISK_*); the kernels underneath it throw KernelError, unchanged. */
export const riskErrorCodes = [
  /** The request is not an object, lacks a required field, has an unknown field or a field of the wrong type. */
  'ERR_RISK_BAD_REQUEST',
  /** Positions that are not finite numbers (or {market_value} / {quantity, price} objects), or do not match the assets. */
  'ERR_RISK_BAD_POSITIONS',
  /** Returns (or prices) that are not a T x N array of finite numbers matching the positions, or too few rows. */
  'ERR_RISK_BAD_RETURNS',
  /** A method other than historical, parametric, monte_carlo (or an option that does not apply to it). */
  'ERR_RISK_BAD_METHOD',
  /** A confidence level not strictly between 0 and 1. */
  'ERR_RISK_BAD_CONFIDENCE',
  /** A horizon that is not an integer number of days in 1..kHorizonDaysMax (or longer than the history allows). */
  'ERR_RISK_BAD_HORIZON',
  /** A path count that is not an integer >= 2. */
  'ERR_RISK_BAD_PATHS',
  /** More Monte Carlo paths than kPathsMax. */
  'ERR_RISK_TOO_MANY_PATHS',
  /** More data or work than the bounds allow (returns values, assets, paths x assets x days). */
  'ERR_RISK_TOO_LARGE',
  /** A distribution other than normal / student_t, or degrees of freedom outside (2, kDofMax]. */
  'ERR_RISK_BAD_DISTRIBUTION',
  /** A seed that is not an integer in 0..2^32 - 1. */
  'ERR_RISK_BAD_SEED',
] as const;

export type RiskErrorCode = (typeof riskErrorCodes)[number];

export class KernelError extends OctopusError {
  override readonly name = 'KernelError';
  declare readonly code: KernelErrorCode;
}

export class RiskError extends OctopusError {
  override readonly name = 'RiskError';
  declare readonly code: RiskErrorCode;
}

/**
 * The one way kernels and VaR requests build errors: a RiskError for an ERR_RISK_* code, else a
 * KernelError. `expected` and `was` are phrases, so the message always reads
 * "<code>: expected <expected>, was <was>".
 */
export function kernelError<Code extends KernelErrorCode | RiskErrorCode>(
  code: Code,
  expected: string,
  was: string,
  options?: { cause?: unknown },
): Code extends RiskErrorCode ? RiskError : KernelError {
  const message = `${code}: expected ${expected}, was ${was}`;
  const isRisk = (riskErrorCodes as readonly string[]).includes(code);
  return (isRisk ? new RiskError(code, message, options) : new KernelError(code, message, options)) as Code extends RiskErrorCode ? RiskError : KernelError;
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
