/**
 * Statistics for risk: returns, volatility, covariance and correlation matrices, Cholesky and nearest
 * positive definite repair. The heavy parts (the covariance's cross products and the Cholesky
 * factorisation) run on the fastest backend (Rust, then WASM, then the TS reference; OCTOPUS_KERNELS
 * forces one, as for the moving averages), and all three give bit-identical results. See docs/risk.md.
 *
 *   import { covarianceMatrix, cholesky } from './kernels/stats/stats.js';
 *   const covariance = covarianceMatrix(returns, assets, days, { method: 'ewma', lambda: 0.94 });
 *   const factor = cholesky(covariance, assets);            // throws ERR_KERNEL_NOT_POSITIVE_DEFINITE
 *   const repaired = cholesky(covariance, assets, { repair: true });
 *
 * Layouts: returns are `observations x assets`, row-major (returns[t * assets + i]); matrices are n x n,
 * row-major. Every function checks its arguments and throws KernelError with an ERR_KERNEL_* code.
 */
import { checkPanel, checkSquareMatrix, checkSymmetric, resolveCovarianceOptions, type CovarianceOptions } from './contract.js';
import { selectStatsBackend, type StatsBackend, type StatsKernelsChoice } from './backends.js';
import { nearestPositiveDefinite, notPositiveDefinite, resolveRepair, type CholeskyOptions } from './linalg.js';
import { correlationFromCovariance, finishCovariance, prepareCovariance } from './reference.js';

export type { CovarianceMethod, CovarianceOptions } from './contract.js';
export { kAssetsMax, kPanelValuesMax, kPivotRelativeMin, kRiskMetricsLambda } from './contract.js';
export type { CholeskyOptions, NearestPositiveDefiniteOptions, RepairMethod, SymmetricEigen } from './linalg.js';
export { nearestPositiveDefinite, symmetricEigen } from './linalg.js';
export type { EwmaVarianceOptions, RollingVolatilityOptions } from './reference.js';
export { correlationFromCovariance, ewmaVariance, logReturns, rollingVolatility, simpleReturns } from './reference.js';

/** The backend these functions run on, chosen once at import (see selectStatsBackend). */
export const statsKernels: StatsKernelsChoice = selectStatsBackend(process.env.OCTOPUS_KERNELS);

/**
 * Covariance matrix (N x N, row-major, exactly symmetric) of `observations x assets` returns.
 *   method 'sample' (default): demeaned, divisor T - 1 (needs T >= 2).
 *   method 'ewma': RiskMetrics, zero mean, weights lambda^(T-1-t) normalised to sum to one, lambda
 *   default 0.94 (see reference.ts prepareCovariance for the exact recipe).
 * `backend` is for tests and benches; callers leave it out.
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_BAD_DIMENSIONS, ERR_KERNEL_INPUT_TOO_LONG,
 *   ERR_KERNEL_NOT_FINITE, ERR_KERNEL_BAD_OPTION, ERR_KERNEL_TOO_FEW_OBSERVATIONS.
 */
export function covarianceMatrix(
  returns: Float64Array,
  assets: number,
  observations: number,
  options?: CovarianceOptions,
  backend: StatsBackend = statsKernels.backend,
): Float64Array {
  checkPanel(returns, assets, observations);
  const prepared = prepareCovariance(returns, assets, observations, resolveCovarianceOptions(options));
  const out = new Float64Array(assets * assets);
  backend.crossProducts(prepared.left, prepared.right, observations, assets, out);
  finishCovariance(out, assets, prepared);
  return out;
}

/**
 * Correlation matrix: the covariance (same options) scaled to a unit diagonal, clamped to [-1, 1].
 * @throws as covarianceMatrix; ERR_KERNEL_BAD_INPUT when an asset has zero variance.
 */
export function correlationMatrix(...args: Parameters<typeof covarianceMatrix>): Float64Array {
  return correlationFromCovariance(covarianceMatrix(...args), args[1]);
}

/**
 * Cholesky factor L (lower-triangular, row-major, zeros above the diagonal) of a symmetric positive
 * definite matrix, A = L L^T. A pivot must exceed 1e-12 x its diagonal entry (kPivotRelativeMin).
 * With `{ repair: true }` a matrix that fails is replaced by nearestPositiveDefinite(matrix, n) (Higham
 * 2002 alternating projections on the correlation, variances kept, eigenvalues floored at 1e-8) and
 * that is factored instead.
 * @throws KernelError ERR_KERNEL_NOT_POSITIVE_DEFINITE with the failing pivot index (without repair);
 *   ERR_KERNEL_BAD_INPUT, ERR_KERNEL_BAD_DIMENSIONS, ERR_KERNEL_NOT_FINITE, ERR_KERNEL_NOT_SYMMETRIC,
 *   ERR_KERNEL_BAD_OPTION; with repair, ERR_KERNEL_NO_CONVERGENCE in the (unlikely) event the
 *   projections do not converge.
 */
export function cholesky(
  matrix: Float64Array,
  n: number,
  options?: CholeskyOptions,
  backend: StatsBackend = statsKernels.backend,
): Float64Array {
  checkSquareMatrix(matrix, n);
  checkSymmetric(matrix, n);
  const repair = resolveRepair(options);
  const factor = new Float64Array(n * n);
  const failedPivot = backend.cholesky(matrix, n, factor);
  if (failedPivot < 0) return factor;
  if (!repair) throw notPositiveDefinite(matrix, n, factor, failedPivot);
  const repaired = nearestPositiveDefinite(matrix, n);
  factor.fill(0);
  const failedAgain = backend.cholesky(repaired, n, factor);
  if (failedAgain >= 0) throw notPositiveDefinite(repaired, n, factor, failedAgain);
  return factor;
}
