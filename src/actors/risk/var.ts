/**
 * Value at Risk and Expected Shortfall of a portfolio of linear positions: the validated entry point the
 * gateway serves as POST /api/v1/risk/var (request shape and response below, methods and
 * conventions in docs/risk.md).
 *
 *   import { computeVar, computeVarAsync } from './actors/risk/var.js';
 *   const result = computeVar(body);                 // historical | parametric | monte_carlo, on this thread
 *   const result = await computeVarAsync(body);      // Monte Carlo spread over worker threads when large
 *
 * Both return the same bits for the same request (Monte Carlo paths are seeded per path, never per
 * thread). The covariance, Cholesky and Monte Carlo paths run on the fastest statistics backend
 * (Rust, WASM, TS; OCTOPUS_KERNELS forces one), which all give identical results.
 *
 * Errors: RiskError ERR_RISK_* for a bad request (src/kernels/errors.ts), KernelError
 * ERR_KERNEL_NOT_POSITIVE_DEFINITE when Monte Carlo needs a Cholesky factor of a covariance that is not
 * positive definite and "repair" was not asked for (the message names the failing pivot). Both carry an
 * HTTP status (httpStatus) and serialise with toJSON().
 *
 * The request: its JSON shape, its bounds, and the one function that turns an untrusted value into a
 * checked `VarRequest`. Validation happens here once; the kernels behind it (src/kernels/var/, stats/)
 * rely on the guarantees the types state.
 *
 *   {
 *     "positions": [1000000, -250000] | [{"asset": "AAPL", "market_value": 1e6} | {"asset": "MSFT", "quantity": 10, "price": 410.5}],
 *     "assets": ["AAPL", "MSFT"],                  optional; else positions[].asset, else "asset_0", ...
 *     "returns": [[0.01, -0.002], ...],            T x N simple daily returns, oldest first; or
 *     "prices": [[189.1, 410.2], ...],             (T + 1) x N prices, turned into simple returns
 *     "window": 500,                               optional: only the last 500 returns
 *     "method": "historical" | "parametric" | "monte_carlo",
 *     "confidence": 0.99,                          in (0, 1)
 *     "horizon_days": 10,                          integer in 1..250
 *     "covariance": "sample" | "ewma", "lambda": 0.94,          parametric and monte_carlo
 *     "age_decay": 0.98,                           historical: Boudoukh-Richardson-Whitelaw weights
 *     "historical_horizon": "sqrt_time" | "overlapping",        historical, default sqrt_time
 *     "paths": 100000, "seed": 42, "antithetic": true,          monte_carlo
 *     "distribution": "normal" | "student_t", "dof": 5,         monte_carlo
 *     "repair": false,                             factor the nearest PD covariance instead of failing
 *     "include_mean": false                        subtract the mean P&L (default: zero mean)
 *   }
 */
import type { BackendName } from '../../kernels/backend.js';
import {
  closeSharedVarWorkerPool,
  monteCarloEstimate,
  sharedVarWorkerPool,
  simulateSums,
  simulateSumsParallel,
  type MonteCarloInputs,
  type VarWorkerPool,
} from '../../kernels/var/monte-carlo.js';
import { columnMeans, historicalVar, parametricVar, type VarEstimate } from '../../kernels/var/reference.js';
import { nearestPositiveDefinite } from '../../kernels/stats/linalg.js';
import { cholesky, covarianceMatrix, statsKernels } from '../../kernels/stats/stats.js';

import { kRiskMetricsLambda, type CovarianceMethod } from '../../kernels/stats/contract.js';
import { describeValue, kernelError, KernelError, type RiskErrorCode } from '../../kernels/errors.js';

export { RiskError, riskErrorCodes, type RiskErrorCode } from '../../kernels/errors.js';
export { closeSharedVarWorkerPool, createVarWorkerPool, type VarWorkerPool } from '../../kernels/var/monte-carlo.js';
export { normalDensity, normalQuantile } from '../../kernels/var/reference.js';

export type VarMethod = 'historical' | 'parametric' | 'monte_carlo';
export type ShockDistribution = 'normal' | 'student_t';
export type HistoricalHorizon = 'sqrt_time' | 'overlapping';

/** The longest horizon: one trading year. */
export const kHorizonDaysMax = 250;
/** The most Monte Carlo paths in one request. */
export const kPathsMax = 10_000_000;
export const kPathsDefault = 100_000;
export const kSeedDefault = 1;
/** Student-t degrees of freedom: default, and the largest accepted (beyond it the t is normal to print). */
export const kDofDefault = 5;
export const kDofMax = 1e6;
/** The most assets in one request, and the most return values (T x N), about 100 MB of JSON. */
export const kRiskAssetsMax = 2_000;
export const kRiskValuesMax = 4_000_000;
/** The most normals one Monte Carlo request may draw (paths x assets x days): about a minute of Rust on 2 cores. */
export const kMonteCarloWorkMax = 2e10;
/** Asset names are strings of 1..64 characters. */
const kAssetNameLengthMax = 64;

/** A checked request, with every default filled in. */
export interface VarRequest {
  readonly assets: readonly string[];
  /** Market value per asset (quantity x price for {quantity, price} positions); negative is short. */
  readonly positions: Float64Array;
  /** observations x assets simple returns, row-major, finite. */
  readonly returns: Float64Array;
  readonly observations: number;
  readonly method: VarMethod;
  readonly confidence: number;
  readonly horizonDays: number;
  readonly covariance: CovarianceMethod;
  readonly lambda: number;
  /** Boudoukh-Richardson-Whitelaw decay for historical scenarios, or null for equal weights. */
  readonly ageDecay: number | null;
  readonly historicalHorizon: HistoricalHorizon;
  readonly paths: number;
  readonly seed: number;
  readonly antithetic: boolean;
  readonly distribution: ShockDistribution;
  /** Student-t degrees of freedom; 0 for normal shocks. */
  readonly dof: number;
  readonly repair: boolean;
  readonly includeMean: boolean;
}

const kKnownFields = new Set([
  'positions', 'assets', 'returns', 'prices', 'window', 'method', 'confidence', 'horizon_days', 'covariance', 'lambda',
  'age_decay', 'historical_horizon', 'paths', 'seed', 'antithetic', 'distribution', 'dof', 'repair', 'include_mean',
]);

/** Fields that only mean something for some methods; giving them to another method is an error, not ignored. */
const kMethodFields: ReadonlyArray<readonly [string, readonly VarMethod[]]> = [
  ['covariance', ['parametric', 'monte_carlo']],
  ['lambda', ['parametric', 'monte_carlo']],
  ['include_mean', ['parametric', 'monte_carlo']],
  ['repair', ['monte_carlo']],
  ['age_decay', ['historical']],
  ['historical_horizon', ['historical']],
  ['paths', ['monte_carlo']],
  ['seed', ['monte_carlo']],
  ['antithetic', ['monte_carlo']],
  ['dof', ['monte_carlo']],
];

/** Throws for a bad value, described safely (describeValue). */
function fail(code: RiskErrorCode, expected: string, was: unknown): never {
  throw kernelError(code, expected, describeValue(was));
}

/** Throws with a ready-made description of what was found. */
function failAs(code: RiskErrorCode, expected: string, was: string): never {
  throw kernelError(code, expected, was);
}

function optionalEnum<T extends string>(value: unknown, allowed: readonly T[], fallback: T, field: string, code: RiskErrorCode): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(code, `${field} to be one of ${allowed.join(', ')}`, value);
  }
  return value as T;
}

function optionalBoolean(value: unknown, fallback: boolean, field: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail('ERR_RISK_BAD_REQUEST', `${field} to be a boolean`, value);
  return value;
}

/**
 * Checks an untrusted request (parsed JSON, or the same shape built in code; `returns` may also be a
 * row-major Float64Array) and fills in the defaults.
 * @throws RiskError with the ERR_RISK_* code of the first problem found, in the order of the fields above.
 */
export function parseVarRequest(input: unknown): VarRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('ERR_RISK_BAD_REQUEST', 'a JSON object', input);
  const body = input as Record<string, unknown>;
  for (const key of Object.keys(body)) {
    if (!kKnownFields.has(key)) failAs('ERR_RISK_BAD_REQUEST', `only the documented fields (${[...kKnownFields].join(', ')})`, `an unknown field ${JSON.stringify(key.slice(0, 40))}`);
  }
  if (body.method === undefined) fail('ERR_RISK_BAD_METHOD', 'method to be one of historical, parametric, monte_carlo', undefined);
  const method = optionalEnum(body.method, ['historical', 'parametric', 'monte_carlo'] as const, 'historical', 'method', 'ERR_RISK_BAD_METHOD');
  for (const [field, methods] of kMethodFields) {
    if (body[field] !== undefined && !methods.includes(method)) fail('ERR_RISK_BAD_METHOD', `${field} only with method ${methods.join(' or ')}`, method);
  }
  const { positions, assets } = parsePositions(body.positions, body.assets);
  const { returns, observations } = parseHistory(body, assets.length);
  const confidence = body.confidence;
  if (typeof confidence !== 'number' || !(confidence > 0 && confidence < 1)) fail('ERR_RISK_BAD_CONFIDENCE', 'confidence in (0, 1), e.g. 0.99', confidence);
  const horizonDays = body.horizon_days;
  if (typeof horizonDays !== 'number' || !Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > kHorizonDaysMax) {
    fail('ERR_RISK_BAD_HORIZON', `horizon_days an integer in 1..${kHorizonDaysMax}`, horizonDays);
  }
  const covariance = optionalEnum(body.covariance, ['sample', 'ewma'] as const, 'sample', 'covariance', 'ERR_RISK_BAD_REQUEST');
  const lambda = body.lambda ?? kRiskMetricsLambda;
  if (typeof lambda !== 'number' || !(lambda > 0 && lambda < 1)) fail('ERR_RISK_BAD_REQUEST', 'lambda in (0, 1)', lambda);
  const historical = parseHistoricalOptions(body, method, horizonDays, observations);
  const monteCarlo = parseMonteCarloOptions(body, method, assets.length, horizonDays);
  return Object.freeze({
    assets: Object.freeze(assets),
    positions,
    returns,
    observations,
    method,
    confidence,
    horizonDays,
    covariance,
    lambda,
    ...historical,
    ...monteCarlo,
    repair: optionalBoolean(body.repair, false, 'repair'),
    includeMean: optionalBoolean(body.include_mean, false, 'include_mean'),
  });
}

function parsePositions(value: unknown, assetsValue: unknown): { positions: Float64Array; assets: string[] } {
  if (!Array.isArray(value) || value.length === 0 || value.length > kRiskAssetsMax) {
    failAs('ERR_RISK_BAD_POSITIONS', `positions to be an array of 1..${kRiskAssetsMax} entries`, Array.isArray(value) ? `${value.length} entries` : describeValue(value));
  }
  const positions = new Float64Array(value.length);
  const names: (string | undefined)[] = [];
  value.forEach((entry: unknown, index) => {
    if (typeof entry === 'number') {
      if (!Number.isFinite(entry)) fail('ERR_RISK_BAD_POSITIONS', `positions[${index}] to be a finite market value`, entry);
      positions[index] = entry;
      names.push(undefined);
      return;
    }
    if (typeof entry !== 'object' || entry === null) fail('ERR_RISK_BAD_POSITIONS', `positions[${index}] to be a number or an object`, entry);
    const { asset, market_value: marketValue, quantity, price, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) failAs('ERR_RISK_BAD_POSITIONS', `positions[${index}] to hold only asset, market_value, quantity, price`, `field ${JSON.stringify(Object.keys(rest)[0])}`);
    if (asset !== undefined && typeof asset !== 'string') fail('ERR_RISK_BAD_POSITIONS', `positions[${index}].asset to be a string`, asset);
    if (marketValue !== undefined) {
      if (quantity !== undefined || price !== undefined) failAs('ERR_RISK_BAD_POSITIONS', `positions[${index}] to give market_value or quantity and price, not both`, 'both');
      if (typeof marketValue !== 'number' || !Number.isFinite(marketValue)) fail('ERR_RISK_BAD_POSITIONS', `positions[${index}].market_value to be finite`, marketValue);
      positions[index] = marketValue;
    } else {
      if (typeof quantity !== 'number' || !Number.isFinite(quantity)) fail('ERR_RISK_BAD_POSITIONS', `positions[${index}].quantity to be finite (or give market_value)`, quantity);
      if (typeof price !== 'number' || !(price > 0 && Number.isFinite(price))) fail('ERR_RISK_BAD_POSITIONS', `positions[${index}].price to be finite and > 0`, price);
      positions[index] = quantity * price;
      if (!Number.isFinite(positions[index]!)) fail('ERR_RISK_BAD_POSITIONS', `positions[${index}] quantity x price to be finite`, positions[index]);
    }
    names.push(asset as string | undefined);
  });
  return { positions, assets: resolveAssetNames(assetsValue, names) };
}

function resolveAssetNames(assetsValue: unknown, fromPositions: (string | undefined)[]): string[] {
  let assets: string[];
  if (assetsValue !== undefined) {
    if (!Array.isArray(assetsValue) || assetsValue.length !== fromPositions.length) {
      failAs('ERR_RISK_BAD_POSITIONS', `assets to be an array of ${fromPositions.length} names, one per position`, Array.isArray(assetsValue) ? `${assetsValue.length} names` : describeValue(assetsValue));
    }
    assets = assetsValue.map((name: unknown, index) => {
      const fromPosition = fromPositions[index];
      if (fromPosition !== undefined && fromPosition !== name) fail('ERR_RISK_BAD_POSITIONS', `assets[${index}] to equal positions[${index}].asset ${JSON.stringify(fromPosition)}`, name);
      return name as string;
    });
  } else {
    assets = fromPositions.map((name, index) => name ?? `asset_${index}`);
  }
  const seen = new Set<string>();
  assets.forEach((name, index) => {
    if (typeof name !== 'string' || name.length === 0 || name.length > kAssetNameLengthMax) {
      fail('ERR_RISK_BAD_POSITIONS', `asset ${index} to be named by a string of 1..${kAssetNameLengthMax} characters`, name);
    }
    if (seen.has(name)) fail('ERR_RISK_BAD_POSITIONS', 'unique asset names', JSON.stringify(name));
    seen.add(name);
  });
  return assets;
}

/** Reads returns (or prices), then applies `window`. */
function parseHistory(body: Record<string, unknown>, assets: number): { returns: Float64Array; observations: number } {
  let returns: Float64Array;
  if (body.returns !== undefined && body.prices !== undefined) failAs('ERR_RISK_BAD_RETURNS', 'returns or prices, not both', 'both');
  if (body.returns !== undefined) {
    returns = readMatrix(body.returns, assets, 'returns');
  } else if (body.prices !== undefined) {
    const prices = readMatrix(body.prices, assets, 'prices');
    const rows = prices.length / assets;
    if (rows < 3) failAs('ERR_RISK_BAD_RETURNS', 'at least 3 rows of prices', `${rows}`);
    returns = new Float64Array(prices.length - assets);
    for (let index = 0; index < returns.length; index++) {
      const before = prices[index]!;
      if (!(before > 0) || !(prices[index + assets]! > 0)) failAs('ERR_RISK_BAD_RETURNS', 'prices > 0', `a price <= 0 in column ${index % assets}`);
      returns[index] = prices[index + assets]! / before - 1;
    }
  } else {
    fail('ERR_RISK_BAD_RETURNS', 'returns (T x N) or prices ((T + 1) x N)', undefined);
  }
  let observations = returns.length / assets;
  if (body.window !== undefined) {
    const window = body.window;
    if (typeof window !== 'number' || !Number.isInteger(window) || window < 2) fail('ERR_RISK_BAD_RETURNS', 'window an integer >= 2', window);
    if (window > observations) fail('ERR_RISK_BAD_RETURNS', `window <= the ${observations} observations given`, window);
    returns = returns.subarray((observations - window) * assets);
    observations = window;
  }
  if (observations < 2) failAs('ERR_RISK_BAD_RETURNS', 'at least 2 observations', `${observations}`);
  return { returns, observations };
}

/** A T x N array of arrays of finite numbers (or a row-major Float64Array) as a Float64Array. */
function readMatrix(value: unknown, assets: number, field: string): Float64Array {
  if (value instanceof Float64Array) {
    if (value.length === 0 || value.length % assets !== 0) failAs('ERR_RISK_BAD_RETURNS', `${field} of T x ${assets} values`, `${value.length} values`);
    if (value.length > kRiskValuesMax) failAs('ERR_RISK_TOO_LARGE', `at most ${kRiskValuesMax} ${field} values`, `${value.length}`);
    for (let index = 0; index < value.length; index++) {
      if (!Number.isFinite(value[index]!)) failAs('ERR_RISK_BAD_RETURNS', `finite ${field}`, `${value[index]} at [${Math.floor(index / assets)}][${index % assets}]`);
    }
    return value;
  }
  if (!Array.isArray(value) || value.length === 0) fail('ERR_RISK_BAD_RETURNS', `${field} to be a non-empty array of rows`, value);
  if (value.length * assets > kRiskValuesMax) failAs('ERR_RISK_TOO_LARGE', `at most ${kRiskValuesMax} ${field} values`, `${value.length} x ${assets}`);
  const matrix = new Float64Array(value.length * assets);
  value.forEach((row: unknown, t) => {
    if (!Array.isArray(row) || row.length !== assets) {
      failAs('ERR_RISK_BAD_RETURNS', `${field}[${t}] to be an array of ${assets} numbers, one per position`, Array.isArray(row) ? `${row.length} numbers` : describeValue(row));
    }
    row.forEach((cell: unknown, i) => {
      if (typeof cell !== 'number' || !Number.isFinite(cell)) fail('ERR_RISK_BAD_RETURNS', `${field}[${t}][${i}] to be a finite number`, cell);
      matrix[t * assets + i] = cell;
    });
  });
  return matrix;
}

function parseHistoricalOptions(body: Record<string, unknown>, method: VarMethod, horizonDays: number, observations: number) {
  const historicalHorizon = optionalEnum(body.historical_horizon, ['sqrt_time', 'overlapping'] as const, 'sqrt_time', 'historical_horizon', 'ERR_RISK_BAD_REQUEST');
  let ageDecay: number | null = null;
  if (body.age_decay !== undefined) {
    ageDecay = body.age_decay as number;
    if (typeof ageDecay !== 'number' || !(ageDecay > 0 && ageDecay <= 1)) fail('ERR_RISK_BAD_REQUEST', 'age_decay in (0, 1]', ageDecay);
  }
  if (method === 'historical' && historicalHorizon === 'overlapping' && horizonDays > observations) {
    fail('ERR_RISK_BAD_HORIZON', `horizon_days <= the ${observations} observations for overlapping windows`, horizonDays);
  }
  return { ageDecay, historicalHorizon };
}

function parseMonteCarloOptions(body: Record<string, unknown>, method: VarMethod, assets: number, horizonDays: number) {
  const paths = body.paths ?? kPathsDefault;
  if (typeof paths !== 'number' || !Number.isInteger(paths) || paths < 2) fail('ERR_RISK_BAD_PATHS', 'paths an integer >= 2', paths);
  if (paths > kPathsMax) fail('ERR_RISK_TOO_MANY_PATHS', `at most ${kPathsMax} paths`, paths);
  const seed = body.seed ?? kSeedDefault;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) fail('ERR_RISK_BAD_SEED', 'seed an integer in 0..4294967295', seed);
  const distribution = optionalEnum(body.distribution, ['normal', 'student_t'] as const, 'normal', 'distribution', 'ERR_RISK_BAD_DISTRIBUTION');
  if (distribution === 'student_t' && method !== 'monte_carlo') {
    fail('ERR_RISK_BAD_DISTRIBUTION', 'distribution student_t only with method monte_carlo (parametric is delta-normal)', method);
  }
  let dof = 0;
  if (body.dof !== undefined && distribution !== 'student_t') fail('ERR_RISK_BAD_DISTRIBUTION', 'dof only with distribution student_t', body.dof);
  if (distribution === 'student_t') {
    dof = (body.dof ?? kDofDefault) as number;
    if (typeof dof !== 'number' || !(dof > 2 && dof <= kDofMax)) fail('ERR_RISK_BAD_DISTRIBUTION', `dof in (2, ${kDofMax}] (the t must have a variance)`, dof);
  }
  if (method === 'monte_carlo' && paths * assets * horizonDays > kMonteCarloWorkMax) {
    failAs('ERR_RISK_TOO_LARGE', `paths x assets x horizon_days <= ${kMonteCarloWorkMax}`, `${paths} x ${assets} x ${horizonDays}`);
  }
  return { paths, seed, antithetic: optionalBoolean(body.antithetic, true, 'antithetic'), distribution, dof };
}

// ---------------------------------------------------------------------------------------------------
// Computing

/** One position's share of the VaR (Euler allocation) and its sensitivity. */
export interface VarComponent {
  asset: string;
  /** x_i dVaR/dx_i, in money; the components sum to `var`. */
  component_var: number;
  /** dVaR/dx_i: VaR change per unit of market value added to this position. */
  marginal_var: number;
}

/** The response of POST /api/v1/risk/var. */
export interface VarResponse {
  /** Value at Risk: a loss, positive when money is at risk, in the positions' currency. */
  var: number;
  /** Expected Shortfall (CVaR) at the same confidence and horizon. */
  es: number;
  components: VarComponent[];
  method: VarRequest['method'];
  confidence: number;
  horizon_days: number;
  /** Return observations used (after `window`). */
  observations: number;
  /** The statistics backend that ran the heavy kernels. */
  backend: BackendName;
  /** Parametric and Monte Carlo: how the covariance was estimated. */
  covariance?: 'sample' | 'ewma';
  /** True when the covariance was not positive definite and was repaired (request "repair": true). */
  repaired?: boolean;
  /** Historical: how the horizon was reached. */
  historical_horizon?: 'sqrt_time' | 'overlapping';
  /** Monte Carlo only. */
  paths?: number;
  seed?: number;
  antithetic?: boolean;
  distribution?: 'normal' | 'student_t';
  dof?: number;
  /** Monte Carlo: standard error of the VaR estimate (order-statistic spread; docs/risk.md). */
  standard_error?: number;
}

/**
 * VaR and ES on this thread (Monte Carlo included, however large: prefer computeVarAsync for big runs).
 * @throws RiskError (ERR_RISK_*) for a bad request; KernelError ERR_KERNEL_NOT_POSITIVE_DEFINITE for a
 *   covariance Monte Carlo cannot factor without repair; ERR_KERNEL_NO_CONVERGENCE if a repair fails.
 */
export function computeVar(input: unknown): VarResponse {
  const request = parseVarRequest(input);
  if (request.method !== 'monte_carlo') return respond(request, estimateClosedForm(request), {});
  const prepared = prepareMonteCarlo(request);
  const estimate = monteCarloEstimate(prepared.inputs, simulateSums(prepared.inputs));
  return respond(request, estimate, { repaired: prepared.repaired, standard_error: estimate.standardError });
}

/**
 * As computeVar, but a large Monte Carlo run is spread over worker threads (`options.pool`, else the
 * shared pool with one thread per core). Identical results to computeVar.
 * @throws (rejects with) the same errors as computeVar.
 */
export async function computeVarAsync(input: unknown, options: { pool?: VarWorkerPool } = {}): Promise<VarResponse> {
  const request = parseVarRequest(input);
  if (request.method !== 'monte_carlo') return respond(request, estimateClosedForm(request), {});
  const prepared = prepareMonteCarlo(request);
  const sums = await simulateSumsParallel(prepared.inputs, options.pool ?? sharedVarWorkerPool());
  const estimate = monteCarloEstimate(prepared.inputs, sums);
  return respond(request, estimate, { repaired: prepared.repaired, standard_error: estimate.standardError });
}

/** Ends the shared worker pool (engine shutdown). */
export async function closeRiskWorkers(): Promise<void> {
  await closeSharedVarWorkerPool();
}

function estimateClosedForm(request: VarRequest): VarEstimate {
  if (request.method === 'historical') return historicalVar(request);
  const covariance = covarianceMatrix(request.returns, request.assets.length, request.observations, {
    method: request.covariance,
    lambda: request.lambda,
  });
  const means = request.includeMean ? columnMeans(request.returns, request.assets.length, request.observations) : null;
  return parametricVar({ positions: request.positions, covariance, means, confidence: request.confidence, horizonDays: request.horizonDays });
}

/** Covariance, its Cholesky factor (repaired if asked and needed) and the simulation inputs. */
function prepareMonteCarlo(request: VarRequest): { inputs: MonteCarloInputs; repaired: boolean } {
  const assets = request.assets.length;
  const covariance = covarianceMatrix(request.returns, assets, request.observations, { method: request.covariance, lambda: request.lambda });
  let factor: Float64Array;
  let repaired = false;
  try {
    factor = cholesky(covariance, assets);
  } catch (error) {
    if (!(error instanceof KernelError) || error.code !== 'ERR_KERNEL_NOT_POSITIVE_DEFINITE' || !request.repair) throw error;
    factor = cholesky(nearestPositiveDefinite(covariance, assets), assets);
    repaired = true;
  }
  const inputs: MonteCarloInputs = {
    positions: request.positions,
    factor,
    means: request.includeMean ? columnMeans(request.returns, assets, request.observations) : null,
    confidence: request.confidence,
    horizonDays: request.horizonDays,
    paths: request.paths,
    seed: request.seed,
    antithetic: request.antithetic,
    dof: request.dof,
  };
  return { inputs, repaired };
}

function respond(request: VarRequest, estimate: VarEstimate, extra: { repaired?: boolean; standard_error?: number }): VarResponse {
  const response: VarResponse = {
    var: estimate.valueAtRisk,
    es: estimate.expectedShortfall,
    components: request.assets.map((asset, index) => ({
      asset,
      component_var: estimate.componentVar[index]!,
      marginal_var: estimate.marginalVar[index]!,
    })),
    method: request.method,
    confidence: request.confidence,
    horizon_days: request.horizonDays,
    observations: request.observations,
    backend: statsKernels.backend.name,
  };
  if (request.method === 'historical') {
    response.historical_horizon = request.historicalHorizon;
  } else {
    response.covariance = request.covariance;
  }
  if (request.method === 'monte_carlo') {
    response.repaired = extra.repaired ?? false;
    response.paths = request.paths;
    response.seed = request.seed;
    response.antithetic = request.antithetic;
    response.distribution = request.distribution;
    if (request.distribution === 'student_t') response.dof = request.dof;
    response.standard_error = extra.standard_error!;
  }
  return response;
}
