/**
 * The contract of the statistics and risk kernels (returns, volatility, covariance, Cholesky, Monte Carlo
 * paths): the argument checks done once at the edge, the size bounds, and the options every backend
 * shares. The TS reference, the WASM module (asm/risk.ts) and the Rust addon (native/src/risk.rs,
 * stats.rs, linalg.rs) all assume these checks have passed.
 *
 * Layouts. A panel of observations is a Float64Array of `observations x assets` values, row-major:
 * `panel[t * assets + i]` is asset i at time t (one row per day, as a price table reads). A matrix is a
 * Float64Array of `n x n` values, row-major: `matrix[i * n + j]`.
 */
import { kInputLengthMax } from '../contract.js';
import { describeValue, kernelError } from '../errors.js';

/**
 * The most assets a covariance or Cholesky accepts: an N x N matrix of 4096^2 float64 is 128 MiB, and
 * N^3/6 Cholesky flops stay in seconds. It also keeps every index inside a signed 32-bit integer.
 */
export const kAssetsMax = 4096;

/** The most values in a panel (observations x assets): 2^27, 1 GiB, as for the moving averages. */
export const kPanelValuesMax = kInputLengthMax;

/**
 * Cholesky refuses a pivot at or below this fraction of its diagonal entry. The pivot of row j equals
 * A[j][j] * (1 - R^2), where R^2 is the squared multiple correlation of variable j on the variables
 * before it; below 1e-12 the variable is a linear combination of the others to working precision, and
 * its column of L would be rounding noise. See docs/risk.md.
 */
export const kPivotRelativeMin = 1e-12;

/** Relative tolerance of the symmetry check on caller-supplied matrices: |a_ij - a_ji| <= tol * max(|a_ij|, |a_ji|). */
export const kSymmetryRelativeTolerance = 1e-10;

/** The RiskMetrics decay for daily data (J.P. Morgan/Reuters, RiskMetrics Technical Document, 4th ed., 1996, section 5.3). */
export const kRiskMetricsLambda = 0.94;

export type CovarianceMethod = 'sample' | 'ewma';

export interface CovarianceOptions {
  /**
   * 'sample' (default): the unbiased sample covariance, demeaned, divisor T - 1.
   * 'ewma': RiskMetrics exponentially weighted, zero mean, weights lambda^(T-1-t) normalised to sum to one.
   */
  method?: CovarianceMethod;
  /** EWMA decay in (0, 1); default kRiskMetricsLambda = 0.94. Ignored by 'sample'. */
  lambda?: number;
}

/** Checked covariance options with their defaults filled in. */
export interface ResolvedCovarianceOptions {
  method: CovarianceMethod;
  lambda: number;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/**
 * Checks a panel of `observations x assets` values (see the module comment).
 * @throws KernelError ERR_KERNEL_BAD_INPUT (not a Float64Array), ERR_KERNEL_BAD_DIMENSIONS (counts that
 *   are not integers >= 1, assets > kAssetsMax, or a length other than observations x assets),
 *   ERR_KERNEL_INPUT_TOO_LONG (more than kPanelValuesMax values), ERR_KERNEL_NOT_FINITE (NaN or infinity,
 *   with its position).
 */
export function checkPanel(panel: unknown, assets: unknown, observations: unknown, label = 'returns'): asserts panel is Float64Array {
  if (!(panel instanceof Float64Array)) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be a Float64Array`, describeValue(panel));
  }
  if (!isCount(assets) || assets > kAssetsMax) {
    throw kernelError('ERR_KERNEL_BAD_DIMENSIONS', `assets to be an integer in 1..${kAssetsMax}`, describeValue(assets));
  }
  if (!isCount(observations)) {
    throw kernelError('ERR_KERNEL_BAD_DIMENSIONS', 'observations to be an integer >= 1', describeValue(observations));
  }
  if (assets * observations > kPanelValuesMax) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kPanelValuesMax} values`, `${observations} x ${assets}`);
  }
  if (panel.length !== assets * observations) {
    throw kernelError(
      'ERR_KERNEL_BAD_DIMENSIONS',
      `${label}.length to be observations x assets = ${observations} x ${assets} = ${observations * assets}`,
      `${panel.length}`,
    );
  }
  checkFinite(panel, assets, label);
}

/**
 * Checks an n x n matrix: a Float64Array of n^2 finite values, 1 <= n <= kAssetsMax.
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_BAD_DIMENSIONS, ERR_KERNEL_NOT_FINITE.
 */
export function checkSquareMatrix(matrix: unknown, n: unknown, label = 'matrix'): asserts matrix is Float64Array {
  if (!(matrix instanceof Float64Array)) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be a Float64Array`, describeValue(matrix));
  }
  if (!isCount(n) || n > kAssetsMax) {
    throw kernelError('ERR_KERNEL_BAD_DIMENSIONS', `n to be an integer in 1..${kAssetsMax}`, describeValue(n));
  }
  if (matrix.length !== n * n) {
    throw kernelError('ERR_KERNEL_BAD_DIMENSIONS', `${label}.length to be n x n = ${n * n}`, `${matrix.length}`);
  }
  checkFinite(matrix, n, label);
}

/**
 * Checks that a square matrix is symmetric within kSymmetryRelativeTolerance (the kernels read only its
 * lower triangle, so an asymmetric input would be silently half-ignored).
 * @throws KernelError ERR_KERNEL_NOT_SYMMETRIC naming the first offending pair.
 */
export function checkSymmetric(matrix: Float64Array, n: number, label = 'matrix'): void {
  for (let row = 1; row < n; row++) {
    for (let column = 0; column < row; column++) {
      const lower = matrix[row * n + column]!;
      const upper = matrix[column * n + row]!;
      if (Math.abs(lower - upper) > kSymmetryRelativeTolerance * Math.max(Math.abs(lower), Math.abs(upper))) {
        throw kernelError(
          'ERR_KERNEL_NOT_SYMMETRIC',
          `a symmetric ${label} (relative tolerance ${kSymmetryRelativeTolerance})`,
          `[${row}][${column}] = ${lower} but [${column}][${row}] = ${upper}`,
        );
      }
    }
  }
}

/** @throws KernelError ERR_KERNEL_NOT_FINITE at the first NaN or infinity, as [row][column]. */
export function checkFinite(values: Float64Array, columns: number, label: string): void {
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (value - value !== 0) {
      const row = Math.floor(index / columns);
      throw kernelError('ERR_KERNEL_NOT_FINITE', `finite ${label}`, `${value} at [${row}][${index - row * columns}]`);
    }
  }
}

/**
 * An EWMA decay: a number strictly between 0 and 1.
 * @throws KernelError ERR_KERNEL_BAD_OPTION.
 */
export function checkLambda(lambda: unknown): asserts lambda is number {
  if (typeof lambda !== 'number' || !(lambda > 0 && lambda < 1)) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'lambda in (0, 1)', describeValue(lambda));
  }
}

/**
 * Fills in and checks covariance options.
 * @throws KernelError ERR_KERNEL_BAD_OPTION for an options value that is not an object, an unknown method
 *   or a lambda outside (0, 1).
 */
export function resolveCovarianceOptions(options: unknown): ResolvedCovarianceOptions {
  if (options === undefined) return { method: 'sample', lambda: kRiskMetricsLambda };
  if (typeof options !== 'object' || options === null) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'options to be an object or undefined', describeValue(options));
  }
  const { method = 'sample', lambda = kRiskMetricsLambda } = options as { method?: unknown; lambda?: unknown };
  if (method !== 'sample' && method !== 'ewma') {
    throw kernelError('ERR_KERNEL_BAD_OPTION', "method 'sample' or 'ewma'", describeValue(method));
  }
  checkLambda(lambda);
  return { method, lambda };
}
