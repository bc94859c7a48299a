/**
 * The reference quadratic-program solver: the dual active-set method of Goldfarb and Idnani.
 *
 *   D. Goldfarb and A. Idnani, "A numerically stable dual method for solving strictly convex quadratic
 *   programs", Mathematical Programming 27 (1983) 1-33. (The method behind R's quadprog, whose Fortran
 *   solve.QP by B. A. Turlach follows the paper; this is a fresh implementation from the paper.)
 *
 * It solves  min 1/2 x'Hx + c'x  s.t.  Ex = e, Gx >= g, lower <= x <= upper  for a positive definite H
 * (see QuadraticProgram in contract.ts). The method starts at the unconstrained minimum
 * x = -H^-1 c, which is dual feasible, and keeps dual feasibility while it adds the most violated
 * constraint, one at a time, dropping active constraints whose multiplier would turn negative. Each step
 * either reaches primal feasibility for the added constraint (a full step: the constraint joins the active
 * set) or stops where an active multiplier reaches zero (a partial step: that constraint leaves). It ends
 * when no constraint is violated (optimal), or when a violated constraint can be reached neither by a
 * primal nor by a dual step (the dual is unbounded: infeasible). The active set never repeats, so the
 * method is finite.
 *
 * Why this method: it is exact in a finite number of steps (no barrier parameter, no tolerance on the
 * objective), its work per step is O(n^2), it needs only one Cholesky factorisation, and on portfolio
 * problems (a budget row, bounds that are mostly inactive or mostly at zero) it takes about as many steps
 * as there are active constraints. Its H must be positive definite, which a covariance matrix is unless it
 * is singular; singular ones are refused (or repaired by the caller).
 *
 * Numerics, following the paper: with H = LL' (L = U' from choleskyUpper) the solver keeps
 * J = L^-T Q and the upper triangular R of the QR factorisation of L^-1 N, where N holds the normals of
 * the q active constraints. For a constraint normal n_p, d = J'n_p; the primal step direction is
 * z = J2 d2 (J2: the last n - q columns of J) and the dual step direction is -r with r = R^-1 d1. Adding
 * a constraint rotates d2 onto its first entry with Givens rotations (applied to J's columns); dropping one
 * removes a column of R and restores its triangle with Givens rotations (applied to R's rows and J's
 * columns). J is stored transposed (`jt`, row j = column j of J), so every rotation and every z update
 * walks contiguous memory.
 *
 * The compiled backends (asm/optimizer.ts, native/src/optimizer_qp.rs) perform these operations in this
 * order, so all three take the same steps and return the same bits. Work arrays are allocated per call:
 * a solve is O(n^3), and its allocations are O(n^2).
 */
import {
  kDependenceTolerance,
  kFeasibilityTolerance,
  qpStatus,
  type QpSolution,
  type QpStatus,
  type SolverProgram,
} from './contract.js';
import { choleskyUpper, dot, invertLowerFromUpper } from './qp-linear-algebra.js';

/**
 * Everything one solve works on. Constraints are numbered as in QpSolution.multipliers: equalities
 * 0..meq-1, then lower bounds, upper bounds, lower shares and upper shares (n each), then the rows.
 */
interface QpState {
  readonly program: SolverProgram;
  readonly n: number;
  /** J', n x n: row j is column j of J. */
  readonly jt: Float64Array;
  /** R, upper triangular q x q, stored with row stride n. */
  readonly triangle: Float64Array;
  readonly x: Float64Array;
  /** d = J'n_p for the constraint being added. */
  readonly d: Float64Array;
  /** The primal step direction. */
  readonly z: Float64Array;
  /** R^-1 d1, the (negated) dual step direction of the active constraints. */
  readonly r: Float64Array;
  /** Multipliers of the active constraints, by position in `active`. */
  readonly u: Float64Array;
  /** Constraint number at each active position; equalities occupy the first positions for good. */
  readonly active: Int32Array;
  readonly isActive: Uint8Array;
  /** |G_k| for each inequality row, for the violation scale. */
  readonly rowNorms: Float64Array;
  /** |e_i - s 1| for each finite lower share s (NaN where there is none), and for the upper shares. */
  readonly lowerShareNorms: Float64Array;
  readonly upperShareNorms: Float64Array;
  /**
   * J'1, kept up to date: every Givens rotation of two rows of J' rotates the same two entries here, so the
   * normal of a share constraint, +-(e_i - s 1), costs d = +-(row i of J - s J'1) in O(n), not O(n^2).
   */
  readonly ones: Float64Array;
  q: number;
  iterations: number;
}

/**
 * Solves `program` (already checked by checkQuadraticProgram) in at most `iterationsMax` active-set
 * changes. Never throws on numeric trouble: the status says what happened (optimal, infeasible,
 * notPositiveDefinite, iterationLimit), and x and the multipliers are those of the last step.
 */
export function solveQuadraticProgram(program: SolverProgram, iterationsMax: number): QpSolution {
  const n = program.variables;
  const constraints = program.equalityCount + 4 * n + program.inequalityCount;
  const x = new Float64Array(n);
  const multipliers = new Float64Array(constraints);
  const triangle = new Float64Array(n * n);
  if (choleskyUpper(program.hessian, null, n, triangle) >= 0) {
    return { status: qpStatus.notPositiveDefinite, x, multipliers, iterations: 0 };
  }
  const jt = new Float64Array(n * n);
  invertLowerFromUpper(triangle, n, jt);
  // The factor is no longer needed; its storage becomes R.
  triangle.fill(0);
  const state: QpState = {
    program,
    n,
    jt,
    triangle,
    x,
    d: new Float64Array(n),
    z: new Float64Array(n),
    r: new Float64Array(n),
    u: new Float64Array(n + 1),
    active: new Int32Array(n + 1),
    isActive: new Uint8Array(constraints),
    rowNorms: new Float64Array(program.inequalityCount),
    lowerShareNorms: shareNorms(program.lowerShare, n),
    upperShareNorms: shareNorms(program.upperShare, n),
    ones: new Float64Array(n),
    q: 0,
    iterations: 0,
  };
  for (let row = 0; row < program.inequalityCount; row++) {
    state.rowNorms[row] = Math.sqrt(dot(program.inequalityMatrix, row * n, program.inequalityMatrix, row * n, n));
  }
  for (let j = 0; j < n; j++) {
    let total = 0;
    for (let i = 0; i < n; i++) total += jt[j * n + i]!;
    state.ones[j] = total;
  }
  startAtUnconstrainedMinimum(state);
  const status = addEqualities(state, iterationsMax);
  const finalStatus = status === qpStatus.optimal ? addViolatedConstraints(state, iterationsMax) : status;
  for (let position = 0; position < state.q; position++) multipliers[state.active[position]!] = state.u[position]!;
  return { status: finalStatus, x, multipliers, iterations: state.iterations };
}

/** |e_i - s 1| = sqrt((1 - s)^2 + (n - 1) s^2) for each finite share s; NaN where there is none. */
function shareNorms(shares: Float64Array, n: number): Float64Array {
  const norms = new Float64Array(n);
  for (let index = 0; index < n; index++) {
    const share = shares[index]!;
    norms[index] = Number.isFinite(share) ? Math.sqrt((1 - share) * (1 - share) + (n - 1) * (share * share)) : Number.NaN;
  }
  return norms;
}

/** sum(x), in index order. */
function sumOf(x: Float64Array, n: number): number {
  let total = 0;
  for (let index = 0; index < n; index++) total += x[index]!;
  return total;
}

/** x = -H^-1 c = -J (J'c): first w = J'c (into d), then x -= column j of J times w[j], for j ascending. */
function startAtUnconstrainedMinimum(state: QpState): void {
  const { n, jt, x, d } = state;
  const linear = state.program.linear;
  for (let j = 0; j < n; j++) d[j] = dot(jt, j * n, linear, 0, n);
  x.fill(0);
  for (let j = 0; j < n; j++) {
    const weight = d[j]!;
    const rowJ = j * n;
    for (let i = 0; i < n; i++) x[i] = x[i]! - jt[rowJ + i]! * weight;
  }
}

/**
 * Adds the equalities one by one with full steps (their multipliers may take either sign). A dependent
 * equality (its normal inside the span of the earlier ones, or zero) makes the program infeasible or
 * redundant; both are reported as infeasible.
 */
function addEqualities(state: QpState, iterationsMax: number): QpStatus {
  for (let constraint = 0; constraint < state.program.equalityCount; constraint++) {
    if (state.iterations >= iterationsMax) return qpStatus.iterationLimit;
    const independentSquare = computeDirections(state, constraint);
    if (independentSquare < 0) return qpStatus.infeasible;
    const step = -slackOf(state, constraint) / independentSquare;
    takePrimalStep(state, step);
    updateMultipliers(state, step);
    addConstraint(state, constraint, step);
  }
  return qpStatus.optimal;
}

/** The main loop of the dual method: step 1 (pick a violated constraint) and step 2 (reach it). */
function addViolatedConstraints(state: QpState, iterationsMax: number): QpStatus {
  const meq = state.program.equalityCount;
  for (;;) {
    const constraint = mostViolated(state);
    if (constraint < 0) return qpStatus.optimal;
    let addedMultiplier = 0;
    for (;;) {
      if (state.iterations >= iterationsMax) return qpStatus.iterationLimit;
      const independentSquare = computeDirections(state, constraint);
      // Partial (dual) step: the largest step keeping every active inequality multiplier >= 0.
      let dualStep = Number.POSITIVE_INFINITY;
      let blocking = -1;
      for (let position = meq; position < state.q; position++) {
        const direction = state.r[position]!;
        if (direction > 0) {
          const ratio = state.u[position]! / direction;
          if (ratio < dualStep) {
            dualStep = ratio;
            blocking = position;
          }
        }
      }
      // Full (primal) step: the step that makes the added constraint hold with equality.
      const slack = slackOf(state, constraint);
      const fullStep = independentSquare < 0 ? Number.POSITIVE_INFINITY : slack < 0 ? -slack / independentSquare : 0;
      if (fullStep === Number.POSITIVE_INFINITY && dualStep === Number.POSITIVE_INFINITY) return qpStatus.infeasible;
      if (fullStep === Number.POSITIVE_INFINITY) {
        updateMultipliers(state, dualStep);
        addedMultiplier += dualStep;
        dropConstraint(state, blocking);
        continue;
      }
      const step = fullStep <= dualStep ? fullStep : dualStep;
      takePrimalStep(state, step);
      updateMultipliers(state, step);
      addedMultiplier += step;
      if (fullStep <= dualStep) {
        addConstraint(state, constraint, addedMultiplier);
        break;
      }
      dropConstraint(state, blocking);
    }
  }
}

/**
 * The inactive inequality with the largest scaled violation (ties: the lowest number), or -1 when every
 * one holds to kFeasibilityTolerance (see there for the scale).
 */
function mostViolated(state: QpState): number {
  const { program, n, x, isActive, rowNorms } = state;
  const meq = program.equalityCount;
  let largest = 0;
  for (let index = 0; index < n; index++) {
    const magnitude = Math.abs(x[index]!);
    if (magnitude > largest) largest = magnitude;
  }
  const xScale = largest > 1 ? largest : 1;
  let worst = -1;
  let worstViolation = 0;
  const consider = (constraint: number, slack: number, scale: number): void => {
    if (slack < -kFeasibilityTolerance * scale) {
      const violation = -slack / scale;
      if (violation > worstViolation) {
        worstViolation = violation;
        worst = constraint;
      }
    }
  };
  for (let index = 0; index < n; index++) {
    const bound = program.lower[index]!;
    const constraint = meq + index;
    if (bound !== Number.NEGATIVE_INFINITY && isActive[constraint] === 0) {
      consider(constraint, x[index]! - bound, xScale + Math.abs(bound));
    }
  }
  for (let index = 0; index < n; index++) {
    const bound = program.upper[index]!;
    const constraint = meq + n + index;
    if (bound !== Number.POSITIVE_INFINITY && isActive[constraint] === 0) {
      consider(constraint, bound - x[index]!, xScale + Math.abs(bound));
    }
  }
  const total = sumOf(x, n);
  for (let index = 0; index < n; index++) {
    const share = program.lowerShare[index]!;
    const constraint = meq + 2 * n + index;
    if (share !== Number.NEGATIVE_INFINITY && isActive[constraint] === 0) {
      consider(constraint, x[index]! - share * total, state.lowerShareNorms[index]! * xScale);
    }
  }
  for (let index = 0; index < n; index++) {
    const share = program.upperShare[index]!;
    const constraint = meq + 3 * n + index;
    if (share !== Number.POSITIVE_INFINITY && isActive[constraint] === 0) {
      consider(constraint, share * total - x[index]!, state.upperShareNorms[index]! * xScale);
    }
  }
  for (let row = 0; row < program.inequalityCount; row++) {
    const constraint = meq + 4 * n + row;
    if (isActive[constraint] === 0) {
      const target = program.inequalityTarget[row]!;
      consider(constraint, slackOf(state, constraint), rowNorms[row]! * xScale + Math.abs(target));
    }
  }
  return worst;
}

/** Slack of constraint k at the current x: (normal . x) - right-hand side; >= 0 when it holds. */
function slackOf(state: QpState, constraint: number): number {
  const { program, n, x } = state;
  const meq = program.equalityCount;
  if (constraint < meq) return dot(program.equalityMatrix, constraint * n, x, 0, n) - program.equalityTarget[constraint]!;
  if (constraint < meq + n) return x[constraint - meq]! - program.lower[constraint - meq]!;
  if (constraint < meq + 2 * n) return program.upper[constraint - meq - n]! - x[constraint - meq - n]!;
  if (constraint < meq + 3 * n) {
    const index = constraint - meq - 2 * n;
    return x[index]! - program.lowerShare[index]! * sumOf(x, n);
  }
  if (constraint < meq + 4 * n) {
    const index = constraint - meq - 3 * n;
    return program.upperShare[index]! * sumOf(x, n) - x[index]!;
  }
  const row = constraint - meq - 4 * n;
  return dot(program.inequalityMatrix, row * n, x, 0, n) - program.inequalityTarget[row]!;
}

/**
 * For the normal n_p of `constraint`: d = J'n_p, z = J2 d2 and r = R^-1 d1. Returns |d2|^2 (which equals
 * n_p'z, the rate at which a step along z changes the slack), or -1 when the normal depends on the active
 * ones (|d2|^2 <= kDependenceTolerance |d|^2): then no primal step can reach the constraint.
 */
function computeDirections(state: QpState, constraint: number): number {
  const { program, n, jt, d, z, r, triangle, q } = state;
  const meq = program.equalityCount;
  if (constraint < meq) {
    for (let j = 0; j < n; j++) d[j] = dot(jt, j * n, program.equalityMatrix, constraint * n, n);
  } else if (constraint < meq + n) {
    const index = constraint - meq;
    for (let j = 0; j < n; j++) d[j] = jt[j * n + index]!;
  } else if (constraint < meq + 2 * n) {
    const index = constraint - meq - n;
    for (let j = 0; j < n; j++) d[j] = -jt[j * n + index]!;
  } else if (constraint < meq + 3 * n) {
    const index = constraint - meq - 2 * n;
    const share = program.lowerShare[index]!;
    for (let j = 0; j < n; j++) d[j] = jt[j * n + index]! - share * state.ones[j]!;
  } else if (constraint < meq + 4 * n) {
    const index = constraint - meq - 3 * n;
    const share = program.upperShare[index]!;
    for (let j = 0; j < n; j++) d[j] = share * state.ones[j]! - jt[j * n + index]!;
  } else {
    const row = constraint - meq - 4 * n;
    for (let j = 0; j < n; j++) d[j] = dot(jt, j * n, program.inequalityMatrix, row * n, n);
  }
  z.fill(0);
  for (let j = q; j < n; j++) {
    const weight = d[j]!;
    const rowJ = j * n;
    for (let i = 0; i < n; i++) z[i] = z[i]! + jt[rowJ + i]! * weight;
  }
  for (let k = q - 1; k >= 0; k--) {
    let sum = d[k]!;
    for (let l = k + 1; l < q; l++) sum = sum - triangle[k * n + l]! * r[l]!;
    r[k] = sum / triangle[k * n + k]!;
  }
  let total = 0;
  for (let j = 0; j < n; j++) total += d[j]! * d[j]!;
  let independent = 0;
  for (let j = q; j < n; j++) independent += d[j]! * d[j]!;
  return independent > kDependenceTolerance * total ? independent : -1;
}

/** x += step z; then active bounds are set exactly to their bound (z is zero there up to rounding). */
function takePrimalStep(state: QpState, step: number): void {
  const { x, z, n } = state;
  for (let i = 0; i < n; i++) x[i] = x[i]! + step * z[i]!;
  snapActiveBounds(state);
}

function snapActiveBounds(state: QpState): void {
  const { program, n, x, active, q } = state;
  const meq = program.equalityCount;
  for (let position = meq; position < q; position++) {
    const constraint = active[position]!;
    if (constraint < meq + n) x[constraint - meq] = program.lower[constraint - meq]!;
    else if (constraint < meq + 2 * n) x[constraint - meq - n] = program.upper[constraint - meq - n]!;
  }
}

/** u -= step r for every active constraint. */
function updateMultipliers(state: QpState, step: number): void {
  const { u, r, q } = state;
  for (let position = 0; position < q; position++) u[position] = u[position]! - step * r[position]!;
}

/**
 * Makes `constraint` active with multiplier `multiplier`: Givens rotations zero d[n-1] .. d[q+1] into
 * d[q] (rotating the matching columns of J), and d[0..q] becomes column q of R.
 */
function addConstraint(state: QpState, constraint: number, multiplier: number): void {
  const { n, jt, d, triangle, q } = state;
  for (let j = n - 1; j > q; j--) {
    const first = d[j - 1]!;
    const second = d[j]!;
    if (second === 0) continue;
    const hypotenuse = Math.sqrt(first * first + second * second);
    const cosine = first / hypotenuse;
    const sine = second / hypotenuse;
    d[j - 1] = hypotenuse;
    d[j] = 0;
    rotateRows(jt, (j - 1) * n, j * n, 0, n, cosine, sine);
    rotateRows(state.ones, j - 1, j, 0, 1, cosine, sine);
  }
  for (let k = 0; k <= q; k++) triangle[k * n + q] = d[k]!;
  state.active[q] = constraint;
  state.u[q] = multiplier;
  state.isActive[constraint] = 1;
  state.q = q + 1;
  state.iterations++;
  snapActiveBounds(state);
}

/**
 * Removes the active constraint at `position`: R loses that column, which leaves it upper Hessenberg from
 * there on; Givens rotations on neighbouring rows of R (and the matching columns of J) restore the triangle.
 */
function dropConstraint(state: QpState, position: number): void {
  const { n, jt, triangle, active, u, q } = state;
  state.isActive[active[position]!] = 0;
  for (let column = position; column < q - 1; column++) {
    active[column] = active[column + 1]!;
    u[column] = u[column + 1]!;
    for (let row = 0; row <= column + 1; row++) triangle[row * n + column] = triangle[row * n + column + 1]!;
  }
  for (let column = position; column < q - 1; column++) {
    const first = triangle[column * n + column]!;
    const second = triangle[(column + 1) * n + column]!;
    if (second === 0) continue;
    const hypotenuse = Math.sqrt(first * first + second * second);
    const cosine = first / hypotenuse;
    const sine = second / hypotenuse;
    triangle[column * n + column] = hypotenuse;
    triangle[(column + 1) * n + column] = 0;
    rotateRows(triangle, column * n, (column + 1) * n, column + 1, q - 1, cosine, sine);
    rotateRows(jt, column * n, (column + 1) * n, 0, n, cosine, sine);
    rotateRows(state.ones, column, column + 1, 0, 1, cosine, sine);
  }
  state.q = q - 1;
  state.iterations++;
}

/**
 * Applies the rotation [c s; -s c] to entries from..to-1 of the rows starting at firstRow and secondRow:
 * (a, b) becomes (c a + s b, c b - s a).
 */
function rotateRows(
  matrix: Float64Array,
  firstRow: number,
  secondRow: number,
  from: number,
  to: number,
  cosine: number,
  sine: number,
): void {
  for (let index = from; index < to; index++) {
    const first = matrix[firstRow + index]!;
    const second = matrix[secondRow + index]!;
    matrix[firstRow + index] = cosine * first + sine * second;
    matrix[secondRow + index] = cosine * second - sine * first;
  }
}
