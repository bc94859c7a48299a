/**
 * The JSON edge of the optimiser: the request and response of `POST /api/v1/portfolio/optimize`, the
 * parser that turns an untrusted request body (whatever JSON.parse returned) into the typed inputs of
 * src/kernels/optimizer/optimizer.ts, and the handler that runs it (optimizePortfolio).
 * Every field is checked once, here: type, size (before any loop over it), finiteness and magnitude;
 * unknown keys are refused so that a misspelt option cannot be silently ignored.
 *
 * The gateway runs it off its own thread, on its compute pool (src/gateway/routes/compute-pool.ts): a dense
 * QP is O(n^3), up to seconds near the 1,000-asset bound, which must not stall the event loop.
 */
import type { BackendName } from '../../kernels/backend.js';
import { describeValue, kernelError, type KernelError } from '../../kernels/errors.js';
import {
  kAssetNameLengthMax,
  kAssetsMax,
  kMagnitudeMax,
  kObservationsMax,
  kReturnsValuesMax,
} from '../../kernels/optimizer/contract.js';
import {
  maximumSharpe,
  meanVariance,
  minimumVariance,
  riskParity,
  type MeanVarianceTarget,
  type PortfolioModel,
  type PortfolioObjective,
  type PortfolioOptimum,
  type RiskParityOptions,
  type WeightConstraints,
} from '../../kernels/optimizer/optimizer.js';
import { sampleMeans } from '../../kernels/optimizer/model.js';
import { covarianceMatrix, kRiskMetricsLambda, type CovarianceMethod } from '../../kernels/stats/stats.js';

/** The request body. Exactly one of `returns` and `covariance`. */
export interface PortfolioRequest {
  objective: PortfolioObjective;
  /**
   * T x N returns (one row per observation, T >= 2): the covariance (see covariance_method) and the sample
   * means are estimated from it.
   */
  returns?: number[][];
  /** With returns: 'sample' (default; divisor T - 1) or 'ewma' (RiskMetrics, zero mean; see docs/risk.md). */
  covariance_method?: CovarianceMethod;
  /** With covariance_method 'ewma': the decay in (0, 1), default 0.94. */
  ewma_lambda?: number;
  /** N x N covariance (symmetric). */
  covariance?: number[][];
  /** N expected returns; required with `covariance` for max_sharpe and mean_variance; overrides the sample means. */
  expected_returns?: number[];
  /** Default 0. Used by max_sharpe and by the reported Sharpe ratio. */
  risk_free_rate?: number;
  /** mean_variance only, exactly one of the two. */
  target_return?: number;
  risk_aversion?: number;
  /** risk_parity only: N positive risk budgets (normalised); default equal. */
  risk_budgets?: number[];
  constraints?: {
    /** Default true. */
    long_only?: boolean;
    min_weight?: number;
    max_weight?: number;
    /** N [lower, upper] pairs; null for no bound on that side. */
    bounds?: Array<[number | null, number | null]>;
    /** sum of the weights; default 1, must be > 0. */
    budget?: number;
  };
  /** N unique names, 1..128 characters; default "asset_0", "asset_1", ... */
  assets?: string[];
  /** Optimise with the nearest positive definite covariance when it is not positive definite. Default false. */
  repair_covariance?: boolean;
}

/** The response body. */
export interface PortfolioResponse {
  objective: PortfolioObjective;
  assets: string[];
  weights: number[];
  /** null without expected returns (covariance given alone). */
  expected_return: number | null;
  variance: number;
  volatility: number;
  /** (expected_return - risk_free_rate * sum(weights)) / volatility; null without expected returns. */
  sharpe: number | null;
  risk_free_rate: number;
  /** (Sigma w)_i / volatility. */
  marginal_contributions: number[];
  /** w_i (Sigma w)_i; they sum to the variance. */
  risk_contributions: number[];
  /** 100 * risk_contributions / variance; they sum to 100. */
  risk_contributions_percent: number[];
  iterations: number;
  converged: boolean;
  covariance_repaired: boolean;
  /** Which backend solved it: native, wasm or ts. */
  backend: string;
}

/** A request, checked and converted. */
export interface ParsedPortfolioRequest {
  objective: PortfolioObjective;
  model: PortfolioModel;
  assetNames: string[];
  constraints: WeightConstraints;
  /** For mean_variance only. */
  target: MeanVarianceTarget | null;
  riskBudgets: Float64Array | undefined;
  repairCovariance: boolean;
}

const objectives: readonly PortfolioObjective[] = ['min_variance', 'max_sharpe', 'mean_variance', 'risk_parity'];

const requestKeys = [
  'objective',
  'returns',
  'covariance_method',
  'ewma_lambda',
  'covariance',
  'expected_returns',
  'risk_free_rate',
  'target_return',
  'risk_aversion',
  'risk_budgets',
  'constraints',
  'assets',
  'repair_covariance',
] as const;

const constraintKeys = ['long_only', 'min_weight', 'max_weight', 'bounds', 'budget'] as const;

/**
 * Checks an untrusted request body and converts it.
 * @throws KernelError ERR_KERNEL_BAD_INPUT for anything malformed (with the field's path in the message),
 *   ERR_KERNEL_INPUT_TOO_LONG for more than kAssetsMax assets, kObservationsMax observations or
 *   kReturnsValuesMax returns.
 */
export function parsePortfolioRequest(request: unknown): ParsedPortfolioRequest {
  const fields = readObject(request, 'the request', requestKeys);
  const objective = fields.objective;
  if (typeof objective !== 'string' || !(objectives as readonly string[]).includes(objective)) {
    throw badInput('objective', `one of ${objectives.join(', ')}`, describeValue(objective));
  }
  const model = readModel(fields, objective as PortfolioObjective);
  const n = model.assets;
  const riskFreeRate = fields.risk_free_rate === undefined ? undefined : readNumber(fields.risk_free_rate, 'risk_free_rate');
  const target = readTarget(fields, objective as PortfolioObjective);
  if (fields.risk_budgets !== undefined && objective !== 'risk_parity') {
    throw badInput('risk_budgets', 'no risk_budgets except for risk_parity', describeValue(fields.risk_budgets));
  }
  const riskBudgets = fields.risk_budgets === undefined ? undefined : readVector(fields.risk_budgets, n, 'risk_budgets');
  const repairCovariance = fields.repair_covariance ?? false;
  if (typeof repairCovariance !== 'boolean') throw badInput('repair_covariance', 'a boolean', describeValue(repairCovariance));
  return {
    objective: objective as PortfolioObjective,
    model: riskFreeRate === undefined ? model : { ...model, riskFreeRate },
    assetNames: readAssetNames(fields.assets, n),
    constraints: readConstraints(fields.constraints, n),
    target,
    riskBudgets,
    repairCovariance,
  };
}

function readModel(fields: Record<string, unknown>, objective: PortfolioObjective): PortfolioModel {
  const { returns, covariance } = fields;
  if ((returns === undefined) === (covariance === undefined)) {
    throw badInput('returns', 'exactly one of returns and covariance', returns === undefined ? 'neither' : 'both');
  }
  const { method, lambda } = readCovarianceMethod(fields, returns !== undefined);
  let model: PortfolioModel;
  if (returns !== undefined) {
    const { panel, assets, observations } = readReturns(returns);
    const covariance = covarianceMatrix(panel, assets, observations, { method, lambda });
    model = { assets, covariance, expectedReturns: sampleMeans(panel, assets, observations) };
  } else {
    const { matrix, n } = readSquareMatrix(covariance, 'covariance');
    model = { assets: n, covariance: matrix };
  }
  if (fields.expected_returns !== undefined) {
    model = { ...model, expectedReturns: readVector(fields.expected_returns, model.assets, 'expected_returns') };
  } else if (model.expectedReturns === undefined && (objective === 'max_sharpe' || objective === 'mean_variance')) {
    throw badInput('expected_returns', `expected_returns (or returns) for ${objective}`, 'missing');
  }
  return model;
}

function readCovarianceMethod(fields: Record<string, unknown>, hasReturns: boolean): { method: CovarianceMethod; lambda: number } {
  const { covariance_method: method = 'sample', ewma_lambda: lambda } = fields;
  if (!hasReturns && fields.covariance_method !== undefined) {
    throw badInput('covariance_method', 'no covariance_method without returns', describeValue(method));
  }
  if (method !== 'sample' && method !== 'ewma') throw badInput('covariance_method', "'sample' or 'ewma'", describeValue(method));
  if (lambda === undefined) return { method, lambda: kRiskMetricsLambda };
  if (method !== 'ewma') throw badInput('ewma_lambda', "no ewma_lambda except with covariance_method 'ewma'", describeValue(lambda));
  if (typeof lambda !== 'number' || !(lambda > 0 && lambda < 1)) throw badInput('ewma_lambda', 'a number in (0, 1)', describeValue(lambda));
  return { method, lambda };
}

function readTarget(fields: Record<string, unknown>, objective: PortfolioObjective): MeanVarianceTarget | null {
  const { target_return: targetReturn, risk_aversion: riskAversion } = fields;
  if (objective !== 'mean_variance') {
    if (targetReturn !== undefined) throw badInput('target_return', 'no target_return except for mean_variance', describeValue(targetReturn));
    if (riskAversion !== undefined) throw badInput('risk_aversion', 'no risk_aversion except for mean_variance', describeValue(riskAversion));
    return null;
  }
  if ((targetReturn === undefined) === (riskAversion === undefined)) {
    throw badInput('target_return', 'exactly one of target_return and risk_aversion for mean_variance', targetReturn === undefined ? 'neither' : 'both');
  }
  if (targetReturn !== undefined) return { targetReturn: readNumber(targetReturn, 'target_return') };
  return { riskAversion: readNumber(riskAversion, 'risk_aversion') };
}

function readReturns(value: unknown): { panel: Float64Array; assets: number; observations: number } {
  if (!Array.isArray(value)) throw badInput('returns', 'an array of observations (arrays of numbers)', describeValue(value));
  const observations = value.length;
  if (observations > kObservationsMax) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kObservationsMax} observations in returns`, `${observations}`);
  }
  if (observations < 2) throw badInput('returns', 'at least 2 observations', `${observations}`);
  const first: unknown = value[0];
  if (!Array.isArray(first)) throw badInput('returns[0]', 'an array of numbers', describeValue(first));
  const assets = checkAssetCount(first.length, 'returns[0]');
  if (observations * assets > kReturnsValuesMax) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kReturnsValuesMax} numbers in returns`, `${observations} x ${assets}`);
  }
  const panel = new Float64Array(observations * assets);
  for (let time = 0; time < observations; time++) {
    readRowInto(value[time], assets, `returns[${time}]`, panel, time * assets);
  }
  return { panel, assets, observations };
}

function readSquareMatrix(value: unknown, label: string): { matrix: Float64Array; n: number } {
  if (!Array.isArray(value)) throw badInput(label, 'an array of rows (arrays of numbers)', describeValue(value));
  const n = checkAssetCount(value.length, label);
  const matrix = new Float64Array(n * n);
  for (let row = 0; row < n; row++) readRowInto(value[row], n, `${label}[${row}]`, matrix, row * n);
  return { matrix, n };
}

function readVector(value: unknown, n: number, label: string): Float64Array {
  const vector = new Float64Array(n);
  readRowInto(value, n, label, vector, 0);
  return vector;
}

function readRowInto(value: unknown, length: number, label: string, target: Float64Array, offset: number): void {
  if (!Array.isArray(value)) throw badInput(label, `an array of ${length} numbers`, describeValue(value));
  if (value.length !== length) throw badInput(label, `${length} numbers`, `${value.length}`);
  for (let index = 0; index < length; index++) target[offset + index] = readNumber(value[index], `${label}[${index}]`);
}

function readNumber(value: unknown, label: string): number {
  if (typeof value !== 'number' || !(Math.abs(value) <= kMagnitudeMax)) {
    throw badInput(label, `a finite number within +-${kMagnitudeMax}`, describeValue(value));
  }
  return value;
}

function checkAssetCount(count: number, label: string): number {
  if (count > kAssetsMax) throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kAssetsMax} assets in ${label}`, `${count}`);
  if (count < 1) throw badInput(label, 'at least 1 asset', `${count}`);
  return count;
}

function readAssetNames(value: unknown, n: number): string[] {
  if (value === undefined) return Array.from({ length: n }, (_, index) => `asset_${index}`);
  if (!Array.isArray(value) || value.length !== n) {
    throw badInput('assets', `an array of ${n} names`, Array.isArray(value) ? `${value.length} names` : describeValue(value));
  }
  const seen = new Set<string>();
  return value.map((name: unknown, index) => {
    if (typeof name !== 'string' || name.length < 1 || name.length > kAssetNameLengthMax) {
      throw badInput(`assets[${index}]`, `a name of 1..${kAssetNameLengthMax} characters`, describeValue(name));
    }
    if (seen.has(name)) throw badInput(`assets[${index}]`, 'unique names', `a repeat of ${JSON.stringify(name)}`);
    seen.add(name);
    return name;
  });
}

function readConstraints(value: unknown, n: number): WeightConstraints {
  if (value === undefined) return {};
  const fields = readObject(value, 'constraints', constraintKeys);
  const longOnly = fields.long_only;
  if (longOnly !== undefined && typeof longOnly !== 'boolean') throw badInput('constraints.long_only', 'a boolean', describeValue(longOnly));
  const constraints: { -readonly [K in keyof WeightConstraints]: WeightConstraints[K] } = {};
  if (longOnly !== undefined) constraints.longOnly = longOnly;
  if (fields.min_weight !== undefined) constraints.minWeight = readNumber(fields.min_weight, 'constraints.min_weight');
  if (fields.max_weight !== undefined) constraints.maxWeight = readNumber(fields.max_weight, 'constraints.max_weight');
  if (fields.budget !== undefined) constraints.budget = readNumber(fields.budget, 'constraints.budget');
  if (fields.bounds !== undefined) constraints.bounds = readBounds(fields.bounds, n);
  return constraints;
}

function readBounds(value: unknown, n: number): Array<[number, number]> {
  if (!Array.isArray(value) || value.length !== n) {
    throw badInput('constraints.bounds', `an array of ${n} [lower, upper] pairs`, Array.isArray(value) ? `${value.length} pairs` : describeValue(value));
  }
  const bounds: Array<[number, number]> = [];
  for (let index = 0; index < n; index++) {
    const pair: unknown = value[index];
    const label = `constraints.bounds[${index}]`;
    if (!Array.isArray(pair) || pair.length !== 2) throw badInput(label, 'a [lower, upper] pair (null for none)', describeValue(pair));
    const lower = pair[0] === null ? Number.NEGATIVE_INFINITY : readNumber(pair[0], `${label}[0]`);
    const upper = pair[1] === null ? Number.POSITIVE_INFINITY : readNumber(pair[1], `${label}[1]`);
    bounds.push([lower, upper]);
  }
  return bounds;
}

/**
 * The own properties of a plain object, refusing arrays, null, other prototypes and keys outside `allowed`.
 * Reads every property once (a getter cannot answer twice differently).
 */
function readObject(value: unknown, label: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badInput(label, 'a JSON object', Array.isArray(value) ? 'an array' : describeValue(value));
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw badInput(label, 'a plain JSON object', describeValue(value));
  const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw badInput(label, `only the keys ${allowed.join(', ')}`, `a key ${JSON.stringify(key.slice(0, 40))}`);
    fields[key] = (value as Record<string, unknown>)[key];
  }
  return fields;
}

/** ERR_KERNEL_BAD_INPUT reading "expected <path>: <expected>, was <was>"; `was` is already a description. */
function badInput(path: string, expected: string, was: string): KernelError {
  return kernelError('ERR_KERNEL_BAD_INPUT', `${path}: ${expected}`, was);
}

// ---------------------------------------------------------------------------------------------------
// Optimising

/**
 * The handler behind POST /api/v1/portfolio/optimize: checks an untrusted request body (see
 * PortfolioRequest), optimises, and returns the response body (PortfolioResponse).
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG for a malformed request; the
 *   optimisation errors of the module comment. Each carries its HTTP status (httpStatus).
 */
export function optimizePortfolio(request: unknown, options: { backend?: BackendName } = {}): PortfolioResponse {
  const parsed = parsePortfolioRequest(request);
  const optimizeOptions: RiskParityOptions = {
    constraints: parsed.constraints,
    repairCovariance: parsed.repairCovariance,
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    ...(parsed.riskBudgets === undefined ? {} : { riskBudgets: parsed.riskBudgets }),
  };
  let optimum: PortfolioOptimum;
  switch (parsed.objective) {
    case 'min_variance':
      optimum = minimumVariance(parsed.model, optimizeOptions);
      break;
    case 'max_sharpe':
      optimum = maximumSharpe(parsed.model, optimizeOptions);
      break;
    case 'mean_variance':
      optimum = meanVariance(parsed.model, parsed.target!, optimizeOptions);
      break;
    case 'risk_parity':
      optimum = riskParity(parsed.model, optimizeOptions);
      break;
  }
  return {
    objective: optimum.objective,
    assets: parsed.assetNames,
    weights: Array.from(optimum.weights),
    expected_return: optimum.expectedReturn,
    variance: optimum.variance,
    volatility: optimum.volatility,
    sharpe: optimum.sharpe,
    risk_free_rate: parsed.model.riskFreeRate ?? 0,
    marginal_contributions: Array.from(optimum.marginalContributions),
    risk_contributions: Array.from(optimum.riskContributions),
    risk_contributions_percent: Array.from(optimum.riskContributionShares, (share) => 100 * share),
    iterations: optimum.iterations,
    converged: optimum.converged,
    covariance_repaired: optimum.covarianceRepaired,
    backend: optimum.backend,
  };
}
