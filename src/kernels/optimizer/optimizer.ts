/**
 * Portfolio optimisation: minimum variance, maximum Sharpe ratio, mean-variance (for a target return or a
 * risk aversion) and risk parity, under long-only, per-asset bound and budget constraints, with the risk
 * decomposition of the result. docs/optimizer.md has the formulations, references and conventions.
 *
 *   import { minimumVariance, optimizePortfolio } from './kernels/optimizer/optimizer.js';
 *   const optimum = minimumVariance({ assets: 3, covariance }, { constraints: { maxWeight: 0.5 } });
 *   const reply = optimizePortfolio(JSON.parse(body));          // POST /api/v1/portfolio/optimize
 *
 * Three objectives are convex quadratic programs solved by the Goldfarb-Idnani dual active-set method
 * (qp.ts); risk parity is Spinu's convex problem solved by damped Newton
 * (risk-parity.ts). Those solvers run on the fastest backend that loaded (Rust, then
 * WASM, then the TS reference), unless OCTOPUS_KERNELS names one, exactly as the moving averages do
 * (src/kernels/index.ts). The three backends return bit-identical results after identical iterations.
 * Everything else here (checks, building the programs, the decomposition) is O(n^2) TypeScript.
 *
 * Errors are KernelErrors: ERR_KERNEL_BAD_INPUT (malformed, NaN, mismatched sizes), ERR_KERNEL_INPUT_TOO_LONG
 * (more than kAssetsMax assets), ERR_KERNEL_INFEASIBLE (no portfolio satisfies the constraints, a target
 * return above the highest achievable, no portfolio beating the risk-free rate), ERR_KERNEL_NOT_POSITIVE_DEFINITE
 * (a covariance that is not positive definite, unless repair is asked for), ERR_KERNEL_NO_CONVERGENCE (the
 * active-set solver hit its iteration bound: a broken invariant in practice).
 */
import type { BackendName } from '../backend.js';
import { describeValue, kernelError } from '../errors.js';
import {
  checkQuadraticProgram,
  kAssetsMax,
  kFeasibilityTolerance,
  kMagnitudeMax,
  kRiskAversionMax,
  kRiskAversionMin,
  kRiskBudgetRatioMax,
  kRiskParityIterationsMax,
  qpIterationsMax,
  qpStatus,
  toSolverProgram,
  type OptimizerBackend,
  type QpSolution,
  type QpStatus,
  type QuadraticProgram,
  type SolverProgram,
} from './contract.js';
import { getOptimizerBackend, selectOptimizerBackend, type OptimizerSelection } from './backends.js';
import { nearestPositiveDefinite } from '../stats/linalg.js';
import { decomposeRisk, maximumLinearValue } from './model.js';

export { kAssetsMax, kMagnitudeMax, kRiskAversionMax, kRiskAversionMin, kRiskBudgetRatioMax } from './contract.js';
export type { QpSolution, QuadraticProgram, SolverProgram } from './contract.js';

export type PortfolioObjective = 'min_variance' | 'max_sharpe' | 'mean_variance' | 'risk_parity';

/** What the optimisation is given about the assets. */
export interface PortfolioModel {
  readonly assets: number;
  /** n x n, row-major, symmetric (to 1e-10 relative) and positive definite. */
  readonly covariance: Float64Array;
  /** Expected returns (n): needed by max Sharpe and mean-variance; reported on for the others. */
  readonly expectedReturns?: Float64Array;
  /** Risk-free rate for the Sharpe ratio (and the max-Sharpe objective); default 0. */
  readonly riskFreeRate?: number;
}

/**
 * Constraints on the weights w. All apply together (their intersection):
 *   longOnly (default true)  w_i >= 0
 *   minWeight, maxWeight     minWeight <= w_i <= maxWeight for every asset
 *   bounds                   bounds[i][0] <= w_i <= bounds[i][1] (+-Infinity for none)
 *   budget (default 1)       sum(w) = budget, > 0
 */
export interface WeightConstraints {
  readonly longOnly?: boolean;
  readonly minWeight?: number;
  readonly maxWeight?: number;
  readonly bounds?: ReadonlyArray<readonly [number, number]>;
  readonly budget?: number;
}

/** The constraints as the solvers see them. */
export interface ResolvedConstraints {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly budget: number;
}

export interface OptimizeOptions {
  readonly constraints?: WeightConstraints;
  /**
   * When the covariance is not positive definite, optimise with the nearest positive definite matrix
   * (Higham's alternating projections, src/kernels/stats/linalg.ts) instead of throwing; the result
   * then says covarianceRepaired and is decomposed with the repaired matrix. Default false.
   */
  readonly repairCovariance?: boolean;
  /** Run on this backend instead of the one chosen at import. */
  readonly backend?: BackendName;
}

export type MeanVarianceTarget = { readonly targetReturn: number } | { readonly riskAversion: number };

export interface RiskParityOptions extends OptimizeOptions {
  /** Risk budgets (n, positive; normalised to sum to 1); default equal (the ERC portfolio). */
  readonly riskBudgets?: Float64Array;
}

export interface PortfolioOptimum {
  readonly objective: PortfolioObjective;
  readonly backend: BackendName;
  readonly weights: Float64Array;
  /** mu'w, or null without expected returns. */
  readonly expectedReturn: number | null;
  readonly variance: number;
  readonly volatility: number;
  /** (mu'w - riskFreeRate * sum(w)) / volatility, or null without expected returns. */
  readonly sharpe: number | null;
  /** d volatility / d w_i = (Sw)_i / volatility. */
  readonly marginalContributions: Float64Array;
  /** w_i (Sw)_i; they sum to the variance. */
  readonly riskContributions: Float64Array;
  /** riskContributions / variance; they sum to 1. */
  readonly riskContributionShares: Float64Array;
  /** Active-set steps (QP objectives) or Newton iterations (risk parity). */
  readonly iterations: number;
  /** Always true for the QP objectives (they throw otherwise); false when risk parity hit its iteration bound. */
  readonly converged: boolean;
  readonly covarianceRepaired: boolean;
  /** The quadratic program that was solved, and its solution (null for risk parity): for diagnostics. */
  readonly program: SolverProgram | null;
  readonly solution: QpSolution | null;
}

/** The optimiser backend chosen at import (see the module comment). */
export const optimizer: OptimizerSelection = selectOptimizerBackend(process.env.OCTOPUS_KERNELS);

// ---------------------------------------------------------------------------------------------------
// The four objectives.

/**
 * Minimum variance: min w'Sw subject to the constraints.
 * @throws KernelError (see the module comment).
 */
export function minimumVariance(model: PortfolioModel, options: OptimizeOptions = {}): PortfolioOptimum {
  const n = checkModel(model, false);
  const constraints = resolveConstraints(options.constraints, n);
  return solveBudgetProgram('min_variance', model, options, constraints, new Float64Array(n), null);
}

/**
 * Mean-variance. With targetReturn: min w'Sw subject to mu'w >= targetReturn and the constraints (the
 * efficient portfolio for that return; a target below the minimum-variance portfolio's return gives that
 * portfolio). With riskAversion gamma: max mu'w - gamma/2 w'Sw, i.e. min 1/2 w'Sw - (1/gamma) mu'w.
 * @throws KernelError ERR_KERNEL_INFEASIBLE for a target above the highest return the constraints allow;
 *   the others of the module comment.
 */
export function meanVariance(model: PortfolioModel, target: MeanVarianceTarget, options: OptimizeOptions = {}): PortfolioOptimum {
  const n = checkModel(model, true);
  const expectedReturns = model.expectedReturns!;
  const constraints = resolveConstraints(options.constraints, n);
  if (typeof target !== 'object' || target === null) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', 'a target { targetReturn } or { riskAversion }', describeValue(target));
  }
  if ('targetReturn' in target) {
    const targetReturn = checkNumber(target.targetReturn, 'targetReturn');
    const highest = maximumLinearValue(expectedReturns, constraints.lower, constraints.upper, constraints.budget);
    // A target equal to the highest return is feasible, however the caller rounded it: allow rounding
    // error on the scale of the returns (the solver's own feasibility tolerance does the same).
    let largestReturn = 0;
    for (let index = 0; index < n; index++) largestReturn = Math.max(largestReturn, Math.abs(expectedReturns[index]!));
    if (targetReturn > highest + kFeasibilityTolerance * (Math.abs(highest) + largestReturn * constraints.budget)) {
      throw kernelError('ERR_KERNEL_INFEASIBLE', `targetReturn <= ${highest}, the highest expected return the constraints allow`, `${targetReturn}`);
    }
    const row = { matrix: Float64Array.from(expectedReturns), target: Float64Array.of(targetReturn) };
    return solveBudgetProgram('mean_variance', model, options, constraints, new Float64Array(n), row);
  }
  if ('riskAversion' in target) {
    const riskAversion = checkNumber(target.riskAversion, 'riskAversion');
    if (!(riskAversion >= kRiskAversionMin && riskAversion <= kRiskAversionMax)) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `riskAversion in [${kRiskAversionMin}, ${kRiskAversionMax}]`, `${riskAversion}`);
    }
    const linear = new Float64Array(n);
    for (let index = 0; index < n; index++) linear[index] = -expectedReturns[index]! / riskAversion;
    return solveBudgetProgram('mean_variance', model, options, constraints, linear, null);
  }
  throw kernelError('ERR_KERNEL_BAD_INPUT', 'a target { targetReturn } or { riskAversion }', 'neither');
}

/**
 * Maximum Sharpe ratio (the tangency portfolio): max (mu - rf)'w / sqrt(w'Sw) subject to the constraints.
 *
 * Solved as a convex QP by the standard change of variables y = w / kappa, kappa = sum(y) / budget > 0
 * (G. Cornuejols and R. Tutuncu, "Optimization Methods in Finance", Cambridge 2007, section 8.2):
 *
 *   min 1/2 y'Sy  s.t.  (mu - rf)'y = 1,  lower_i sum(y) / budget <= y_i <= upper_i sum(y) / budget,  sum(y) >= 0,
 *
 * then w = budget y / sum(y). Bounds of 0 and +-Infinity stay simple bounds on y; the others become the
 * program's relative bounds (shares lower_i / budget, upper_i / budget).
 * @throws KernelError ERR_KERNEL_INFEASIBLE when no portfolio within the constraints earns more than the
 *   risk-free rate, or when the supremum is only approached with unbounded weights; the others of the
 *   module comment.
 */
export function maximumSharpe(model: PortfolioModel, options: OptimizeOptions = {}): PortfolioOptimum {
  const n = checkModel(model, true);
  const constraints = resolveConstraints(options.constraints, n);
  const riskFreeRate = model.riskFreeRate ?? 0;
  const excess = new Float64Array(n);
  for (let index = 0; index < n; index++) excess[index] = model.expectedReturns![index]! - riskFreeRate;
  const best = maximumLinearValue(excess, constraints.lower, constraints.upper, constraints.budget);
  if (!(best > 0)) {
    throw kernelError(
      'ERR_KERNEL_INFEASIBLE',
      'some portfolio within the constraints to earn more than the risk-free rate',
      `a best expected excess return of ${best}`,
    );
  }
  const { program, solution, covariance, repaired, backend } = solveWithRepair(sharpeProgram(model.covariance, n, excess, constraints), options);
  const y = solution.x;
  let sum = 0;
  let magnitude = 0;
  for (let index = 0; index < n; index++) {
    sum += y[index]!;
    magnitude += Math.abs(y[index]!);
  }
  if (!(sum > 1e-12 * magnitude)) {
    throw kernelError(
      'ERR_KERNEL_INFEASIBLE',
      'a maximum Sharpe ratio attained by finite weights (add bounds, or lower the risk-free rate below the minimum-variance return)',
      `an optimum at sum(y) = ${sum}`,
    );
  }
  const weights = new Float64Array(n);
  for (let index = 0; index < n; index++) weights[index] = (constraints.budget * y[index]!) / sum;
  return finish('max_sharpe', model, covariance, weights, solution.iterations, true, repaired, backend, program, solution);
}

/**
 * Risk parity (risk budgeting): the long-only portfolio whose risk contributions are proportional to the
 * budgets (equal by default: the equal-risk-contribution portfolio), scaled to the budget. It is unique
 * (Maillard, Roncalli and Teiletche 2010), so bounds cannot be optimised over: they are checked.
 * @throws KernelError ERR_KERNEL_INFEASIBLE when that portfolio breaks a weight bound; the others of the
 *   module comment.
 */
export function riskParity(model: PortfolioModel, options: RiskParityOptions = {}): PortfolioOptimum {
  const n = checkModel(model, false);
  const constraints = resolveConstraints(options.constraints, n);
  const budgets = scaledRiskBudgets(options.riskBudgets, n);
  const backend = chooseBackend(options.backend);
  let covariance = model.covariance;
  let repaired = false;
  let result = backend.riskParity(covariance, n, budgets, kRiskParityIterationsMax);
  if (result.status === qpStatus.notPositiveDefinite && options.repairCovariance === true) {
    covariance = repairedCovariance(covariance, n);
    repaired = true;
    result = backend.riskParity(covariance, n, budgets, kRiskParityIterationsMax);
  }
  if (result.status === qpStatus.notPositiveDefinite) throw notPositiveDefinite(repaired);
  let sum = 0;
  for (let index = 0; index < n; index++) sum += result.x[index]!;
  const weights = new Float64Array(n);
  for (let index = 0; index < n; index++) weights[index] = (constraints.budget * result.x[index]!) / sum;
  const slack = 1e-9 * constraints.budget;
  for (let index = 0; index < n; index++) {
    const weight = weights[index]!;
    if (weight < constraints.lower[index]! - slack || weight > constraints.upper[index]! + slack) {
      throw kernelError(
        'ERR_KERNEL_INFEASIBLE',
        `the risk parity weight of asset ${index} within [${constraints.lower[index]}, ${constraints.upper[index]}] (the risk parity portfolio is unique, so bounds cannot move it)`,
        `${weight}`,
      );
    }
  }
  const converged = result.status === qpStatus.optimal;
  return finish('risk_parity', model, covariance, weights, result.iterations, converged, repaired, backend.name, null, null);
}

/**
 * Solves a quadratic program (see QuadraticProgram) on the chosen backend.
 * @throws KernelError ERR_KERNEL_BAD_INPUT / ERR_KERNEL_INPUT_TOO_LONG for a malformed program,
 *   ERR_KERNEL_NOT_POSITIVE_DEFINITE for a Hessian that is not, ERR_KERNEL_INFEASIBLE, ERR_KERNEL_NO_CONVERGENCE.
 */
export function solveQuadraticProgram(program: QuadraticProgram, options: { backend?: BackendName } = {}): QpSolution {
  checkQuadraticProgram(program);
  const solution = chooseBackend(options.backend).solveQp(toSolverProgram(program), qpIterationsMax(program));
  throwForStatus(solution.status, false);
  return solution;
}

// ---------------------------------------------------------------------------------------------------
// Building and solving the programs.

/**
 * min 1/2 w'Sw + linear'w  s.t.  sum(w) = budget, bounds, and optionally one row  row.matrix'w >= row.target.
 */
function solveBudgetProgram(
  objective: PortfolioObjective,
  model: PortfolioModel,
  options: OptimizeOptions,
  constraints: ResolvedConstraints,
  linear: Float64Array,
  row: { matrix: Float64Array; target: Float64Array } | null,
): PortfolioOptimum {
  const n = model.assets;
  const program: SolverProgram = {
    variables: n,
    hessian: model.covariance,
    linear,
    equalityCount: 1,
    equalityMatrix: new Float64Array(n).fill(1),
    equalityTarget: Float64Array.of(constraints.budget),
    inequalityCount: row === null ? 0 : 1,
    inequalityMatrix: row === null ? new Float64Array(0) : row.matrix,
    inequalityTarget: row === null ? new Float64Array(0) : row.target,
    lower: constraints.lower,
    upper: constraints.upper,
    lowerShare: new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    upperShare: new Float64Array(n).fill(Number.POSITIVE_INFINITY),
  };
  const solved = solveWithRepair(program, options);
  const { solution } = solved;
  return finish(objective, model, solved.covariance, Float64Array.from(solution.x), solution.iterations, true, solved.repaired, solved.backend, solved.program, solution);
}

/** The max-Sharpe program in y (see maximumSharpe). */
function sharpeProgram(covariance: Float64Array, n: number, excess: Float64Array, constraints: ResolvedConstraints): SolverProgram {
  const lower = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const upper = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  const lowerShare = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const upperShare = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  let everyLowerIsZero = true;
  for (let index = 0; index < n; index++) {
    const lowerWeight = constraints.lower[index]!;
    const upperWeight = constraints.upper[index]!;
    if (lowerWeight !== 0) everyLowerIsZero = false;
    if (lowerWeight === 0) lower[index] = 0;
    else if (lowerWeight !== Number.NEGATIVE_INFINITY) lowerShare[index] = lowerWeight / constraints.budget;
    if (upperWeight === 0) upper[index] = 0;
    else if (upperWeight !== Number.POSITIVE_INFINITY) upperShare[index] = upperWeight / constraints.budget;
  }
  // kappa >= 0, i.e. sum(y) >= 0; implied by y >= 0 when every lower bound is 0.
  const rows = everyLowerIsZero ? 0 : 1;
  return {
    variables: n,
    hessian: covariance,
    linear: new Float64Array(n),
    equalityCount: 1,
    equalityMatrix: Float64Array.from(excess),
    equalityTarget: Float64Array.of(1),
    inequalityCount: rows,
    inequalityMatrix: new Float64Array(rows * n).fill(1),
    inequalityTarget: new Float64Array(rows),
    lower,
    upper,
    lowerShare,
    upperShare,
  };
}

interface SolvedProgram {
  /** The program that was solved: `program`, or a copy with the repaired covariance. */
  program: SolverProgram;
  solution: QpSolution;
  /** The covariance the solution is optimal for (the repaired one after a repair). */
  covariance: Float64Array;
  repaired: boolean;
  backend: BackendName;
}

function solveWithRepair(program: SolverProgram, options: OptimizeOptions): SolvedProgram {
  const backend = chooseBackend(options.backend);
  let solution = backend.solveQp(program, qpIterationsMax(program));
  if (solution.status === qpStatus.notPositiveDefinite && options.repairCovariance === true) {
    const covariance = repairedCovariance(program.hessian, program.variables);
    const repairedProgram = { ...program, hessian: covariance };
    solution = backend.solveQp(repairedProgram, qpIterationsMax(repairedProgram));
    throwForStatus(solution.status, true);
    return { program: repairedProgram, solution, covariance, repaired: true, backend: backend.name };
  }
  throwForStatus(solution.status, false);
  return { program, solution, covariance: program.hessian, repaired: false, backend: backend.name };
}

function repairedCovariance(covariance: Float64Array, n: number): Float64Array {
  try {
    return nearestPositiveDefinite(covariance, n);
  } catch (error) {
    throw kernelError('ERR_KERNEL_NOT_POSITIVE_DEFINITE', 'a covariance that can be repaired', `one the repair failed on (${String(error)})`, {
      cause: error,
    });
  }
}

function throwForStatus(status: QpStatus, repaired: boolean): void {
  if (status === qpStatus.optimal) return;
  if (status === qpStatus.notPositiveDefinite) throw notPositiveDefinite(repaired);
  if (status === qpStatus.infeasible) {
    throw kernelError('ERR_KERNEL_INFEASIBLE', 'constraints that some portfolio satisfies', 'a program whose constraints no point satisfies');
  }
  throw kernelError('ERR_KERNEL_NO_CONVERGENCE', 'the active-set solver to finish within its iteration bound', 'still stepping');
}

function notPositiveDefinite(repaired: boolean): Error {
  return kernelError(
    'ERR_KERNEL_NOT_POSITIVE_DEFINITE',
    'a positive definite covariance (every Cholesky pivot > 1e-12 x its diagonal entry)',
    repaired ? 'not positive definite even after repair' : 'a singular or indefinite one (set repair_covariance to optimise with the nearest positive definite matrix)',
  );
}

function chooseBackend(name: BackendName | undefined): OptimizerBackend {
  return name === undefined ? optimizer.backend : getOptimizerBackend(name);
}

function finish(
  objective: PortfolioObjective,
  model: PortfolioModel,
  covariance: Float64Array,
  weights: Float64Array,
  iterations: number,
  converged: boolean,
  covarianceRepaired: boolean,
  backend: BackendName,
  program: SolverProgram | null,
  solution: QpSolution | null,
): PortfolioOptimum {
  const n = model.assets;
  const decomposition = decomposeRisk(covariance, n, weights);
  let expectedReturn: number | null = null;
  let sharpe: number | null = null;
  if (model.expectedReturns !== undefined) {
    let total = 0;
    let invested = 0;
    for (let index = 0; index < n; index++) {
      total += model.expectedReturns[index]! * weights[index]!;
      invested += weights[index]!;
    }
    expectedReturn = total;
    sharpe = (total - (model.riskFreeRate ?? 0) * invested) / decomposition.volatility;
  }
  return {
    objective,
    backend,
    weights,
    expectedReturn,
    variance: decomposition.variance,
    volatility: decomposition.volatility,
    sharpe,
    marginalContributions: decomposition.marginalContributions,
    riskContributions: decomposition.riskContributions,
    riskContributionShares: decomposition.riskContributionShares,
    iterations,
    converged,
    covarianceRepaired,
    program,
    solution,
  };
}

// ---------------------------------------------------------------------------------------------------
// Checks of the typed inputs.

/**
 * Checks the model: sizes, finite numbers within kMagnitudeMax, a symmetric covariance, expected returns
 * when `needsReturns`. Returns n.
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG.
 */
function checkModel(model: PortfolioModel, needsReturns: boolean): number {
  if (typeof model !== 'object' || model === null) throw kernelError('ERR_KERNEL_BAD_INPUT', 'a portfolio model object', describeValue(model));
  const n = model.assets;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw kernelError('ERR_KERNEL_BAD_INPUT', 'assets to be an integer >= 1', describeValue(n));
  if (n > kAssetsMax) throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kAssetsMax} assets`, `${n}`);
  checkVector(model.covariance, n * n, 'covariance');
  for (let row = 0; row < n; row++) {
    for (let column = row + 1; column < n; column++) {
      const upper = model.covariance[row * n + column]!;
      const lower = model.covariance[column * n + row]!;
      if (Math.abs(upper - lower) > 1e-10 * Math.max(Math.abs(upper), Math.abs(lower))) {
        throw kernelError('ERR_KERNEL_BAD_INPUT', 'a symmetric covariance (to 1e-10 relative)', `[${row}][${column}] = ${upper} but [${column}][${row}] = ${lower}`);
      }
    }
  }
  if (model.expectedReturns !== undefined) checkVector(model.expectedReturns, n, 'expectedReturns');
  else if (needsReturns) throw kernelError('ERR_KERNEL_BAD_INPUT', 'expected returns for this objective', 'none');
  if (model.riskFreeRate !== undefined) checkNumber(model.riskFreeRate, 'riskFreeRate');
  return n;
}

function checkVector(values: unknown, length: number, label: string): asserts values is Float64Array {
  if (!(values instanceof Float64Array)) throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be a Float64Array`, describeValue(values));
  if (values.length !== length) throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} of length ${length}`, `${values.length}`);
  for (let index = 0; index < length; index++) {
    const value = values[index]!;
    if (!(Math.abs(value) <= kMagnitudeMax)) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `finite numbers within +-${kMagnitudeMax} in ${label}`, `${value} at index ${index}`);
    }
  }
}

function checkNumber(value: unknown, label: string): number {
  if (typeof value !== 'number' || !(Math.abs(value) <= kMagnitudeMax)) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be a finite number within +-${kMagnitudeMax}`, describeValue(value));
  }
  return value;
}

/**
 * The weight constraints as per-asset bounds and a budget (see WeightConstraints).
 * @throws KernelError ERR_KERNEL_BAD_INPUT for malformed constraints; ERR_KERNEL_INFEASIBLE when an asset's
 *   lower bound exceeds its upper bound or the bounds cannot add up to the budget.
 */
export function resolveConstraints(constraints: WeightConstraints | undefined, n: number): ResolvedConstraints {
  const given = constraints ?? {};
  if (typeof given !== 'object' || given === null) throw kernelError('ERR_KERNEL_BAD_INPUT', 'constraints to be an object', describeValue(given));
  const longOnly = given.longOnly ?? true;
  if (typeof longOnly !== 'boolean') throw kernelError('ERR_KERNEL_BAD_INPUT', 'longOnly to be a boolean', describeValue(longOnly));
  const budget = checkNumber(given.budget ?? 1, 'budget');
  if (!(budget > 0)) throw kernelError('ERR_KERNEL_BAD_INPUT', 'a budget > 0', `${budget}`);
  const lower = new Float64Array(n).fill(longOnly ? 0 : Number.NEGATIVE_INFINITY);
  const upper = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  if (given.minWeight !== undefined) {
    const minWeight = checkNumber(given.minWeight, 'minWeight');
    for (let index = 0; index < n; index++) lower[index] = Math.max(lower[index]!, minWeight);
  }
  if (given.maxWeight !== undefined) {
    const maxWeight = checkNumber(given.maxWeight, 'maxWeight');
    for (let index = 0; index < n; index++) upper[index] = Math.min(upper[index]!, maxWeight);
  }
  if (given.bounds !== undefined) applyBounds(given.bounds, n, lower, upper);
  let lowerSum = 0;
  let upperSum = 0;
  for (let index = 0; index < n; index++) {
    if (!(lower[index]! <= upper[index]!)) {
      throw kernelError('ERR_KERNEL_INFEASIBLE', `a lower weight bound <= the upper one for asset ${index}`, `[${lower[index]}, ${upper[index]}]`);
    }
    lowerSum += lower[index]!;
    upperSum += upper[index]!;
  }
  if (!(lowerSum <= budget && budget <= upperSum)) {
    throw kernelError('ERR_KERNEL_INFEASIBLE', `weight bounds that can add up to the budget ${budget}`, `lower bounds summing to ${lowerSum} and upper bounds to ${upperSum}`);
  }
  return { lower, upper, budget };
}

function applyBounds(bounds: unknown, n: number, lower: Float64Array, upper: Float64Array): void {
  if (!Array.isArray(bounds) || bounds.length !== n) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `bounds to be an array of ${n} [lower, upper] pairs`, Array.isArray(bounds) ? `${bounds.length} pairs` : describeValue(bounds));
  }
  for (let index = 0; index < n; index++) {
    const pair: unknown = bounds[index];
    if (!Array.isArray(pair) || pair.length !== 2) throw kernelError('ERR_KERNEL_BAD_INPUT', `bounds[${index}] to be a [lower, upper] pair`, describeValue(pair));
    const [low, high] = pair as unknown[];
    if (typeof low !== 'number' || !(low === Number.NEGATIVE_INFINITY || Math.abs(low) <= kMagnitudeMax)) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `bounds[${index}][0] to be a finite number or -Infinity`, describeValue(low));
    }
    if (typeof high !== 'number' || !(high === Number.POSITIVE_INFINITY || Math.abs(high) <= kMagnitudeMax)) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `bounds[${index}][1] to be a finite number or +Infinity`, describeValue(high));
    }
    lower[index] = Math.max(lower[index]!, low);
    upper[index] = Math.min(upper[index]!, high);
  }
}

/**
 * The risk budgets scaled so that the smallest is 1 (Spinu's objective is then standard self-concordant);
 * equal budgets give all ones.
 * @throws KernelError ERR_KERNEL_BAD_INPUT for budgets that are not n positive finite numbers within
 *   kRiskBudgetRatioMax of each other.
 */
function scaledRiskBudgets(riskBudgets: Float64Array | undefined, n: number): Float64Array {
  if (riskBudgets === undefined) return new Float64Array(n).fill(1);
  checkVector(riskBudgets, n, 'riskBudgets');
  let smallest = Number.POSITIVE_INFINITY;
  let largest = 0;
  for (let index = 0; index < n; index++) {
    const budget = riskBudgets[index]!;
    if (!(budget > 0)) throw kernelError('ERR_KERNEL_BAD_INPUT', 'risk budgets > 0', `${budget} at index ${index}`);
    smallest = Math.min(smallest, budget);
    largest = Math.max(largest, budget);
  }
  if (largest > kRiskBudgetRatioMax * smallest) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `risk budgets within a factor ${kRiskBudgetRatioMax} of each other`, `${smallest} to ${largest}`);
  }
  const scaled = new Float64Array(n);
  for (let index = 0; index < n; index++) scaled[index] = riskBudgets[index]! / smallest;
  return scaled;
}
