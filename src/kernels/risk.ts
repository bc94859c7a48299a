/**
 * Value at Risk and Expected Shortfall of a portfolio of linear positions: the validated entry point the
 * gateway serves as POST /api/v1/risk/var (request shape in src/kernels/risk-request.ts, response below,
 * methods and conventions in docs/risk.md).
 *
 *   import { computeVar, computeVarAsync } from './kernels/risk.js';
 *   const result = computeVar(body);                 // historical | parametric | monte_carlo, on this thread
 *   const result = await computeVarAsync(body);      // Monte Carlo spread over worker threads when large
 *
 * Both return the same bits for the same request (Monte Carlo paths are seeded per path, never per
 * thread). The covariance, Cholesky and Monte Carlo paths run on the fastest statistics backend
 * (Rust, WASM, TS; OCTOPUS_KERNELS forces one), which all give identical results.
 *
 * Errors: RiskError ERR_RISK_* for a bad request (see risk-errors.ts), KernelError
 * ERR_KERNEL_NOT_POSITIVE_DEFINITE when Monte Carlo needs a Cholesky factor of a covariance that is not
 * positive definite and "repair" was not asked for (the message names the failing pivot). Both carry an
 * HTTP status (httpStatus) and serialise with toJSON().
 */
import type { BackendName } from './contract.js';
import { KernelError } from './errors.js';
import { parseVarRequest, type VarRequest } from './risk-request.js';
import {
  closeSharedVarWorkerPool,
  monteCarloEstimate,
  sharedVarWorkerPool,
  simulateSums,
  simulateSumsParallel,
  type MonteCarloInputs,
  type VarWorkerPool,
} from './risk-monte-carlo.js';
import { columnMeans, historicalVar, parametricVar, type VarEstimate } from './reference/risk.js';
import { nearestPositiveDefinite } from './reference/linalg.js';
import { cholesky, covarianceMatrix, statsKernels } from './stats.js';

export { parseVarRequest, kDofDefault, kDofMax, kHorizonDaysMax, kPathsDefault, kPathsMax, kRiskAssetsMax, kRiskValuesMax } from './risk-request.js';
export type { HistoricalHorizon, ShockDistribution, VarMethod, VarRequest } from './risk-request.js';
export { RiskError, riskErrorCodes, type RiskErrorCode } from './risk-errors.js';
export { closeSharedVarWorkerPool, createVarWorkerPool, type VarWorkerPool } from './risk-monte-carlo.js';
export { normalDensity, normalQuantile } from './reference/risk.js';

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
