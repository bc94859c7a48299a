/**
 * Reference statistics for the risk kernels, in plain TypeScript: returns, rolling volatility, EWMA
 * variance, and covariance and correlation matrices of a panel of N assets x T observations.
 *
 * `crossProductsUnchecked` is the O(T N^2) heart of the covariance and defines it bit for bit: the WASM
 * (asm/risk.ts) and Rust (native/src/stats.rs) kernels compute every entry with the same operations in the
 * same order (a sum over t ascending, starting from +0), so all three agree to the last bit. The O(T N)
 * preparation (demeaning, EWMA weights) and the O(N^2) finish run in TS for every backend, once.
 *
 * Layout: a panel is row-major, `panel[t * assets + i]` (see src/kernels/stats/contract.ts).
 */
import { describeValue, kernelError } from '../errors.js';
import {
  checkLambda,
  checkPanel,
  kRiskMetricsLambda,
  resolveCovarianceOptions,
  type CovarianceOptions,
  type ResolvedCovarianceOptions,
} from './contract.js';

// ---------------------------------------------------------------------------------------------------
// Returns

/**
 * Simple returns r[t][i] = p[t+1][i] / p[t][i] - 1 of a price panel of `observations x assets`
 * (observations >= 2), giving (observations - 1) x assets values. A single series is assets = 1.
 * @throws KernelError as checkPanel, ERR_KERNEL_BAD_INPUT for a price that is not > 0,
 *   ERR_KERNEL_TOO_FEW_OBSERVATIONS for fewer than two prices.
 */
export function simpleReturns(prices: Float64Array, assets = 1): Float64Array {
  const observations = checkPrices(prices, assets);
  const returns = new Float64Array((observations - 1) * assets);
  for (let index = 0; index < returns.length; index++) returns[index] = prices[index + assets]! / prices[index]! - 1;
  return returns;
}

/**
 * Log returns r[t][i] = ln(p[t+1][i] / p[t][i]); layout and errors as simpleReturns. Uses Math.log, so this
 * is TS only (no compiled backend needs it).
 */
export function logReturns(prices: Float64Array, assets = 1): Float64Array {
  const observations = checkPrices(prices, assets);
  const returns = new Float64Array((observations - 1) * assets);
  for (let index = 0; index < returns.length; index++) returns[index] = Math.log(prices[index + assets]! / prices[index]!);
  return returns;
}

/** @returns the number of observations. */
function checkPrices(prices: Float64Array, assets: number): number {
  if (!(prices instanceof Float64Array)) throw kernelError('ERR_KERNEL_BAD_INPUT', 'prices to be a Float64Array', describeValue(prices));
  const observations = typeof assets === 'number' && assets >= 1 ? Math.floor(prices.length / assets) : Number.NaN;
  checkPanel(prices, assets, observations, 'prices');
  if (observations < 2) throw kernelError('ERR_KERNEL_TOO_FEW_OBSERVATIONS', 'at least 2 prices per asset', `${observations}`);
  for (let index = 0; index < prices.length; index++) {
    if (!(prices[index]! > 0)) {
      const row = Math.floor(index / assets);
      throw kernelError('ERR_KERNEL_BAD_INPUT', 'prices > 0', `${prices[index]} at [${row}][${index - row * assets}]`);
    }
  }
  return observations;
}

// ---------------------------------------------------------------------------------------------------
// Volatility

export interface RollingVolatilityOptions {
  /** Multiply by sqrt(periodsPerYear) to annualise (252 for daily data); default 1 (no scaling). */
  periodsPerYear?: number;
}

/**
 * Rolling volatility of one return series: out[t] is the sample standard deviation (demeaned, divisor
 * window - 1) of returns[t - window + 1 .. t], times sqrt(periodsPerYear). The first window - 1 outputs
 * are NaN (warm-up, as the moving averages). Each window is computed afresh with two passes (mean, then
 * squared deviations), so there is no drift and no catastrophic cancellation. O(T x window).
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_NOT_FINITE, ERR_KERNEL_BAD_PERIOD (window not an
 *   integer >= 2), ERR_KERNEL_BAD_OPTION (periodsPerYear not > 0).
 */
export function rollingVolatility(returns: Float64Array, window: number, options?: RollingVolatilityOptions): Float64Array {
  checkPanel(returns, 1, Math.max(1, returns instanceof Float64Array ? returns.length : 1));
  if (typeof window !== 'number' || !Number.isSafeInteger(window) || window < 2) {
    throw kernelError('ERR_KERNEL_BAD_PERIOD', 'an integer window >= 2', describeValue(window));
  }
  const periodsPerYear = options?.periodsPerYear ?? 1;
  if (typeof periodsPerYear !== 'number' || !(periodsPerYear > 0 && periodsPerYear < Number.POSITIVE_INFINITY)) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'periodsPerYear > 0', describeValue(periodsPerYear));
  }
  const scale = Math.sqrt(periodsPerYear);
  const out = new Float64Array(returns.length).fill(Number.NaN);
  for (let end = window - 1; end < returns.length; end++) {
    const start = end - window + 1;
    let sum = 0;
    for (let t = start; t <= end; t++) sum += returns[t]!;
    const mean = sum / window;
    let squares = 0;
    for (let t = start; t <= end; t++) squares += (returns[t]! - mean) ** 2;
    out[end] = Math.sqrt(squares / (window - 1)) * scale;
  }
  return out;
}

export interface EwmaVarianceOptions {
  /** Decay in (0, 1); default 0.94 (RiskMetrics, daily). */
  lambda?: number;
}

/**
 * RiskMetrics EWMA variance of one return series, zero mean (RiskMetrics Technical Document, 4th ed.,
 * 1996, eq. 5.3): out[t] is the variance estimate after observing returns[0..t], the forecast for t + 1,
 *
 *   out[t] = sum_{s <= t} (1 - lambda) lambda^(t - s) r[s]^2 / (1 - lambda^(t + 1)),
 *
 * i.e. the exponential weights over the history seen so far, normalised to sum to one. Computed by the
 * recursion S[t] = lambda S[t-1] + (1 - lambda) r[t]^2 (S[-1] = 0), out[t] = S[t] / (1 - lambda^(t+1)),
 * so out[0] = r[0]^2 and, after many observations, out[t] ~ lambda out[t-1] + (1 - lambda) r[t]^2, the
 * RiskMetrics recursion. The last value equals the diagonal of covarianceMatrix({ method: 'ewma' }) on
 * the same returns (up to rounding).
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_NOT_FINITE, ERR_KERNEL_BAD_OPTION.
 */
export function ewmaVariance(returns: Float64Array, options?: EwmaVarianceOptions): Float64Array {
  checkPanel(returns, 1, Math.max(1, returns instanceof Float64Array ? returns.length : 1));
  const lambda = options?.lambda ?? kRiskMetricsLambda;
  checkLambda(lambda);
  const out = new Float64Array(returns.length);
  let smoothed = 0;
  let decayPower = 1;
  for (let t = 0; t < returns.length; t++) {
    smoothed = lambda * smoothed + (1 - lambda) * returns[t]! * returns[t]!;
    decayPower *= lambda;
    out[t] = smoothed / (1 - decayPower);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Covariance

/**
 * Covariance matrix (N x N, row-major, exactly symmetric) of a panel of `observations x assets` returns.
 * Sample: demeaned, divisor T - 1. EWMA: zero mean, weights lambda^(T-1-t) normalised to sum to one
 * (see prepareCovariance). This is the TS reference; src/kernels/stats/stats.ts runs the same on the fastest
 * backend.
 * @throws KernelError as checkPanel; ERR_KERNEL_BAD_OPTION; ERR_KERNEL_TOO_FEW_OBSERVATIONS (sample needs 2).
 */
export function covarianceMatrix(returns: Float64Array, assets: number, observations: number, options?: CovarianceOptions): Float64Array {
  checkPanel(returns, assets, observations);
  const prepared = prepareCovariance(returns, assets, observations, resolveCovarianceOptions(options));
  const out = new Float64Array(assets * assets);
  crossProductsUnchecked(prepared.left, prepared.right, observations, assets, out);
  finishCovariance(out, assets, prepared);
  return out;
}

/**
 * Correlation matrix: covariance (as covarianceMatrix with the same options) scaled to a unit diagonal,
 * rho_ij = c_ij / (sqrt(c_ii) sqrt(c_jj)), clamped to [-1, 1], diagonal exactly 1.
 * @throws as covarianceMatrix; ERR_KERNEL_BAD_INPUT when an asset has zero variance (no correlation).
 */
export function correlationMatrix(returns: Float64Array, assets: number, observations: number, options?: CovarianceOptions): Float64Array {
  return correlationFromCovariance(covarianceMatrix(returns, assets, observations, options), assets);
}

/** The correlation of a covariance matrix (see correlationMatrix). @throws ERR_KERNEL_BAD_INPUT on a zero variance. */
export function correlationFromCovariance(covariance: Float64Array, n: number): Float64Array {
  const deviations = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const variance = covariance[i * n + i]!;
    if (!(variance > 0)) throw kernelError('ERR_KERNEL_BAD_INPUT', 'every asset to have a positive variance', `${variance} for asset ${i}`);
    deviations[i] = Math.sqrt(variance);
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const value = i === j ? 1 : covariance[i * n + j]! / (deviations[i]! * deviations[j]!);
      out[i * n + j] = Math.min(1, Math.max(-1, value));
    }
  }
  return out;
}

/** The operands of the cross products, and how to finish them. */
export interface PreparedCovariance {
  /** T x N; the left factor of every product. */
  left: Float64Array;
  /** T x N; the right factor (the same array as left for the sample covariance). */
  right: Float64Array;
  /** Divide every cross product by this (T - 1 for sample; 1 for EWMA, whose weights are in `left`). */
  divisor: number;
}

/**
 * The O(T N) preparation, always in TS so every backend sees the same operands:
 *   sample: d[t][i] = r[t][i] - mean_i (mean_i = (sum_t r[t][i]) / T, t ascending); left = right = d;
 *           cov = (sum_t d[t][i] d[t][j]) / (T - 1).
 *   ewma:   w_t = lambda^(T-1-t) / sum_s lambda^(T-1-s) (powers by repeated multiplication, the sum over s
 *           ascending); left[t][i] = w_t r[t][i], right = r; cov = sum_t (w_t r[t][i]) r[t][j]. The
 *           normalisation makes sum w_t = 1, i.e. (1 - lambda) lambda^(T-1-t) / (1 - lambda^T).
 * @throws KernelError ERR_KERNEL_TOO_FEW_OBSERVATIONS when a sample covariance has fewer than 2 observations.
 */
export function prepareCovariance(
  returns: Float64Array,
  assets: number,
  observations: number,
  options: ResolvedCovarianceOptions,
): PreparedCovariance {
  if (options.method === 'sample') {
    if (observations < 2) {
      throw kernelError('ERR_KERNEL_TOO_FEW_OBSERVATIONS', 'at least 2 observations for a sample covariance', `${observations}`);
    }
    const means = new Float64Array(assets);
    for (let t = 0; t < observations; t++) for (let i = 0; i < assets; i++) means[i] = means[i]! + returns[t * assets + i]!;
    for (let i = 0; i < assets; i++) means[i] = means[i]! / observations;
    const demeaned = new Float64Array(returns.length);
    for (let t = 0; t < observations; t++) for (let i = 0; i < assets; i++) demeaned[t * assets + i] = returns[t * assets + i]! - means[i]!;
    return { left: demeaned, right: demeaned, divisor: observations - 1 };
  }
  const weights = ewmaWeights(observations, options.lambda);
  const left = new Float64Array(returns.length);
  for (let t = 0; t < observations; t++) for (let i = 0; i < assets; i++) left[t * assets + i] = weights[t]! * returns[t * assets + i]!;
  return { left, right: returns, divisor: 1 };
}

/** w_t = lambda^(T-1-t) / sum_s lambda^(T-1-s), t = 0..T-1 (most recent last, heaviest). */
export function ewmaWeights(observations: number, lambda: number): Float64Array {
  const weights = new Float64Array(observations);
  let power = 1;
  for (let t = observations - 1; t >= 0; t--) {
    weights[t] = power;
    power *= lambda;
  }
  let total = 0;
  for (let t = 0; t < observations; t++) total += weights[t]!;
  for (let t = 0; t < observations; t++) weights[t] = weights[t]! / total;
  return weights;
}

/** Divides by the divisor (when it is not 1). The cross products are already mirrored. */
export function finishCovariance(out: Float64Array, assets: number, prepared: PreparedCovariance): void {
  if (prepared.divisor === 1) return;
  for (let index = 0; index < assets * assets; index++) out[index] = out[index]! / prepared.divisor;
}

/**
 * out[i][j] = sum_{t = 0..T-1} left[t][i] * right[t][j] for j >= i, summed with t ascending from +0, then
 * mirrored to out[j][i]. `out` is overwritten. The loop runs t outermost (rank-one updates of the upper
 * triangle, contiguous rows) but every entry still sees its terms in t order, which is what fixes the
 * result; the compiled kernels tile the same loops for cache and lanes.
 */
export function crossProductsUnchecked(left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array): void {
  out.fill(0);
  for (let t = 0; t < observations; t++) {
    const rowBase = t * assets;
    for (let i = 0; i < assets; i++) {
      const factor = left[rowBase + i]!;
      const outBase = i * assets;
      for (let j = i; j < assets; j++) out[outBase + j] = out[outBase + j]! + factor * right[rowBase + j]!;
    }
  }
  mirrorUpper(out, assets);
}

/** Copies the upper triangle onto the lower one. */
export function mirrorUpper(out: Float64Array, assets: number): void {
  for (let i = 1; i < assets; i++) for (let j = 0; j < i; j++) out[i * assets + j] = out[j * assets + i]!;
}
