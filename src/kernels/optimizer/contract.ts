/**
 * The contract every portfolio-optimiser backend (TS reference, WASM, Rust) shares: the two numeric
 * problems the backends solve, their size bounds, their status codes and the algorithm constants the
 * compiled backends must agree on.
 *
 * The backends solve only the heavy, iterative part:
 *
 *   solveQp     a strictly convex quadratic program, by the Goldfarb-Idnani dual active-set method
 *               (src/kernels/optimizer/qp.ts);
 *   riskParity  Spinu's convex risk-budgeting problem, by damped Newton
 *               (src/kernels/optimizer/risk-parity.ts).
 *
 * Everything else (validation, building the program for each objective, scaling, the risk decomposition)
 * runs once in TypeScript, in src/kernels/optimizer/optimizer.ts, so all backends receive bit-identical inputs. Each
 * compiled backend performs the floating-point operations of the reference in the same order, so the
 * three give bit-identical results and take identical iterations.
 */
import { describeValue, kernelError } from '../errors.js';
import type { BackendName } from '../backend.js';

/**
 * Most assets one optimisation takes. The QP costs O(n^3) (about 0.2 s at 1,000 assets in the TS
 * reference) and its work arrays O(n^2) (a few 8 MB matrices at 1,000), so this bounds both.
 */
export const kAssetsMax = 1_000;

/**
 * The largest magnitude accepted for any input number (returns, covariances, bounds, rates): squares and
 * sums of n^2 products of such numbers stay far from overflow.
 */
export const kMagnitudeMax = 1e100;

/** Risk aversion is accepted in [kRiskAversionMin, kRiskAversionMax] (typical values are 1 to 10). */
export const kRiskAversionMin = 1e-6;
export const kRiskAversionMax = 1e6;

/** Risk budgets may differ by at most this factor (keeps Spinu's scaled budgets, min = 1, bounded). */
export const kRiskBudgetRatioMax = 1e6;

/** Most observations (rows) of a returns panel in a request. */
export const kObservationsMax = 100_000;

/** Most numbers in a returns panel (observations x assets): 2^24, 128 MiB of float64. */
export const kReturnsValuesMax = 2 ** 24;

/** Longest asset name in a request. */
export const kAssetNameLengthMax = 128;

/** Most inequality rows and equality rows a program may have: two per asset plus a few. */
export const kConstraintRowsMax = 2 * kAssetsMax + 8;

/**
 * Version of the algorithms (operation order, tolerances, status codes). The compiled backends report
 * the version they were built with; the facade refuses one that disagrees, since it would round
 * differently or stop at a different point.
 */
export const kOptimizerAlgorithmVersion = 2;

/**
 * Cholesky pivots must exceed this share of their diagonal entry: pivot j is the variance of asset j left
 * after regressing it on assets 0..j-1, so a smaller one means asset j is a combination of the others to
 * 1 part in 10^12 (a singular covariance, such as a sample covariance with fewer observations than
 * assets). See qp-linear-algebra.ts.
 */
export const kPivotRelativeMin = 1e-12;

/**
 * A constraint counts as violated when its slack is below -kFeasibilityTolerance times its scale
 * (|normal| * max(1, |x|_inf) + |right-hand side|); the rounding error of a slack is far smaller (about
 * sqrt(n) * 1.1e-16 of that scale), so rounding never makes the solver chase a satisfied constraint.
 */
export const kFeasibilityTolerance = 1e-12;

/**
 * A constraint is linearly dependent on the active ones when the part of its normal outside their span
 * (in the metric of the inverse Hessian) holds less than this share of its squared length: 1e-20 means a
 * relative size of 1e-10, far above the rounding level (1e-16) and far below any real independence.
 */
export const kDependenceTolerance = 1e-20;

/**
 * Spinu's damped Newton switches to full steps once the Newton decrement drops below
 * 0.95 * (3 - sqrt(5)) / 2 (Nesterov's quadratic-convergence region for self-concordant functions).
 */
export const kNewtonFullStepDecrement = 0.95 * ((3 - Math.sqrt(5)) / 2);

/**
 * Risk parity has converged when the Newton decrement is at most this times sqrt(sum of the scaled
 * budgets): the objective is then within 5e-19 (relative) of its minimum, and one last Newton step is taken.
 */
export const kNewtonDecrementTolerance = 1e-9;

/** Newton iterations before risk parity gives up (it needs 5-10 from its starting point). */
export const kRiskParityIterationsMax = 100;

/**
 * Risk parity's line search (used while the decrement exceeds kNewtonFullStepDecrement) stops once the
 * slope along the Newton direction is within this share of the slope at the start (lambda^2), or after
 * kLineSearchStepsMax one-dimensional Newton/bisection steps.
 */
export const kLineSearchSlopeTolerance = 1e-2;
export const kLineSearchStepsMax = 50;

/** What a backend's solve ended with. */
export const qpStatus = {
  optimal: 0,
  /** No point satisfies the constraints (the dual is unbounded), or the equalities are dependent. */
  infeasible: 1,
  /** The Hessian is not positive definite (a Cholesky pivot failed kPivotRelativeMin). */
  notPositiveDefinite: 2,
  /** iterationsMax steps without reaching the optimum (or, for risk parity, the tolerance). */
  iterationLimit: 3,
} as const;

export type QpStatus = (typeof qpStatus)[keyof typeof qpStatus];

/**
 * A strictly convex quadratic program:
 *
 *   minimise    1/2 x'Hx + c'x
 *   subject to  E x  = e                                     (equalityCount rows)
 *               G x >= g                                     (inequalityCount rows)
 *               lower <= x <= upper                          (entries may be -Infinity / +Infinity: none)
 *               lowerShare_i sum(x) <= x_i <= upperShare_i sum(x)   (optional; +-Infinity: none)
 *
 * Matrices are row-major. H must be symmetric; only its upper triangle is read.
 *
 * The relative bounds ("shares") are rows e_i - s 1 of G in disguise. The max-Sharpe program has one per
 * bounded asset (see maximumSharpe), and their structure lets the solver evaluate them in O(n) per step
 * instead of O(n^2) (it keeps J'1 up to date under its rotations; see qp.ts).
 */
export interface QuadraticProgram {
  readonly variables: number;
  readonly hessian: Float64Array;
  readonly linear: Float64Array;
  readonly equalityCount: number;
  readonly equalityMatrix: Float64Array;
  readonly equalityTarget: Float64Array;
  readonly inequalityCount: number;
  readonly inequalityMatrix: Float64Array;
  readonly inequalityTarget: Float64Array;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly lowerShare?: Float64Array;
  readonly upperShare?: Float64Array;
}

/** A program as the backends take it: the relative bounds always present (+-Infinity for none). */
export interface SolverProgram extends QuadraticProgram {
  readonly lowerShare: Float64Array;
  readonly upperShare: Float64Array;
}

/** The program with absent relative bounds filled in as none. */
export function toSolverProgram(program: QuadraticProgram): SolverProgram {
  const n = program.variables;
  return {
    ...program,
    lowerShare: program.lowerShare ?? new Float64Array(n).fill(Number.NEGATIVE_INFINITY),
    upperShare: program.upperShare ?? new Float64Array(n).fill(Number.POSITIVE_INFINITY),
  };
}

/**
 * The solver's answer. `multipliers` has one entry per constraint, in the order: equalities, lower
 * bounds (n), upper bounds (n), lower shares (n), upper shares (n), inequality rows; inactive
 * constraints have 0. At the optimum (the Karush-Kuhn-Tucker conditions)
 *
 *   H x + c = E' l_eq + l_lower - l_upper + sum_i l_lowerShare_i (e_i - lowerShare_i 1)
 *             + sum_i l_upperShare_i (upperShare_i 1 - e_i) + G' l_rows,
 *
 * with every inequality multiplier >= 0.
 */
export interface QpSolution {
  readonly status: QpStatus;
  readonly x: Float64Array;
  readonly multipliers: Float64Array;
  /** Active-set changes: each constraint added or dropped counts one. */
  readonly iterations: number;
}

export interface RiskParitySolution {
  readonly status: QpStatus;
  /** The minimiser of 1/2 x'Sx - sum b_i ln x_i (positive); the weights are x / sum(x). */
  readonly x: Float64Array;
  readonly iterations: number;
}

/** The two solvers every backend implements. Inputs have passed checkQuadraticProgram / checkRiskParity. */
export interface OptimizerBackend {
  readonly name: BackendName;
  solveQp(program: SolverProgram, iterationsMax: number): QpSolution;
  /**
   * Minimises 1/2 x'Sx - sum b_i ln x_i over x > 0 for the covariance S (n x n) and budgets b, which must
   * be scaled so that min b = 1 (that makes the objective standard self-concordant).
   */
  riskParity(covariance: Float64Array, assets: number, budgets: Float64Array, iterationsMax: number): RiskParitySolution;
}

/** Constraints a program has in all: equalities, 2n bounds, 2n shares, inequality rows. */
export function constraintCount(program: QuadraticProgram): number {
  return program.equalityCount + 4 * program.variables + program.inequalityCount;
}

/**
 * The iteration budget of a QP: the dual active-set method adds or drops one constraint per step and
 * never revisits an active set, so a few passes over all constraints is ample; the bound only stops a
 * solver that cycles through rounding.
 */
export function qpIterationsMax(program: QuadraticProgram): number {
  return 10 * (constraintCount(program) + program.variables) + 100;
}

/**
 * Checks a program before any backend sees it, so the loops behind it may assume consistent sizes,
 * finite matrices and vectors, and bounds that are not NaN with lower <= upper.
 * @throws KernelError ERR_KERNEL_BAD_INPUT (shape, NaN, infinity where none is allowed, lower > upper),
 *   ERR_KERNEL_INPUT_TOO_LONG (more than kAssetsMax variables or kConstraintRowsMax rows).
 */
export function checkQuadraticProgram(program: QuadraticProgram): void {
  if (typeof program !== 'object' || program === null) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', 'a quadratic program object', describeValue(program));
  }
  const n = checkCount(program.variables, 'variables', 1, kAssetsMax);
  const equalities = checkCount(program.equalityCount, 'equalityCount', 0, kConstraintRowsMax);
  const inequalities = checkCount(program.inequalityCount, 'inequalityCount', 0, kConstraintRowsMax);
  checkFiniteArray(program.hessian, n * n, 'hessian');
  checkFiniteArray(program.linear, n, 'linear');
  checkFiniteArray(program.equalityMatrix, equalities * n, 'equalityMatrix');
  checkFiniteArray(program.equalityTarget, equalities, 'equalityTarget');
  checkFiniteArray(program.inequalityMatrix, inequalities * n, 'inequalityMatrix');
  checkFiniteArray(program.inequalityTarget, inequalities, 'inequalityTarget');
  checkArray(program.lower, n, 'lower');
  checkArray(program.upper, n, 'upper');
  for (let index = 0; index < n; index++) {
    const lower = program.lower[index]!;
    const upper = program.upper[index]!;
    if (!(lower <= upper) || lower === Number.POSITIVE_INFINITY || upper === Number.NEGATIVE_INFINITY) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `lower[${index}] <= upper[${index}], neither NaN nor an infinity on the wrong side`, `${lower} and ${upper}`);
    }
  }
  for (const [label, shares, wrongSide] of [
    ['lowerShare', program.lowerShare, Number.POSITIVE_INFINITY],
    ['upperShare', program.upperShare, Number.NEGATIVE_INFINITY],
  ] as const) {
    if (shares === undefined) continue;
    checkArray(shares, n, label);
    for (let index = 0; index < n; index++) {
      const share = shares[index]!;
      if (Number.isNaN(share) || share === wrongSide) {
        throw kernelError('ERR_KERNEL_BAD_INPUT', `${label}[${index}] to be a number or ${-wrongSide}`, `${share}`);
      }
    }
  }
}

/**
 * Checks the risk-parity inputs: an n x n finite covariance and n finite budgets >= 1 (scaled).
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG.
 */
export function checkRiskParity(covariance: Float64Array, assets: number, budgets: Float64Array): void {
  const n = checkCount(assets, 'assets', 1, kAssetsMax);
  checkFiniteArray(covariance, n * n, 'covariance');
  checkFiniteArray(budgets, n, 'budgets');
  for (let index = 0; index < n; index++) {
    if (!(budgets[index]! >= 1)) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `scaled budgets >= 1 (budget[${index}])`, `${budgets[index]}`);
    }
  }
}

function checkCount(value: unknown, label: string, minimum: number, maximum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be an integer >= ${minimum}`, describeValue(value));
  }
  if (value > maximum) throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `${label} <= ${maximum}`, `${value}`);
  return value;
}

function checkArray(array: unknown, length: number, label: string): asserts array is Float64Array {
  if (!(array instanceof Float64Array)) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be a Float64Array`, describeValue(array));
  }
  if (array.length !== length) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `${label}.length ${length}`, `${array.length}`);
  }
}

function checkFiniteArray(array: unknown, length: number, label: string): void {
  checkArray(array, length, label);
  for (let index = 0; index < length; index++) {
    if (!Number.isFinite(array[index])) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `finite numbers in ${label}`, `${array[index]} at index ${index}`);
    }
  }
}
