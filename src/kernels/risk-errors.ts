/**
 * Typed errors of the VaR entry point (src/kernels/risk.ts). `RiskError` is an `OctopusError` from the
 * one registry (src/engine/errors.ts declares the codes and their HTTP statuses); this module narrows the
 * codes to the risk area and keeps the "expected X, was Y" factory. Errors from the kernels underneath
 * (ERR_KERNEL_NOT_POSITIVE_DEFINITE, ...) pass through as KernelError, unchanged.
 */
import { OctopusError } from '../engine/errors.js';

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

export class RiskError extends OctopusError {
  override readonly name = 'RiskError';
  declare readonly code: RiskErrorCode;

  constructor(code: RiskErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, `${code}: ${message}`, options);
  }
}

/** The one way the risk module builds errors: the message reads "expected <expected>, was <was>". */
export function riskError(code: RiskErrorCode, expected: string, was: string, options?: { cause?: unknown }): RiskError {
  return new RiskError(code, `expected ${expected}, was ${was}`, options);
}
