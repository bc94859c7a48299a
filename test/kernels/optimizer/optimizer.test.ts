/**
 * The portfolio optimiser on the TS reference backend: the QP solver against a published example and a
 * brute-force oracle, every objective against closed forms and published examples, a KKT checker on every
 * solution, the risk decomposition, and the typed errors for infeasible, non-positive-definite and
 * malformed inputs. Agreement of the compiled backends with this reference is in backends.test.ts;
 * the JSON edge is in test/actors/portfolio/optimize.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { KernelError } from '../../../src/kernels/errors.js';
import {
  maximumSharpe,
  meanVariance,
  minimumVariance,
  riskParity,
  solveQuadraticProgram,
  type PortfolioModel,
  type PortfolioOptimum,
  type QpSolution,
  type QuadraticProgram,
  type WeightConstraints,
} from '../../../src/kernels/optimizer/optimizer.js';
import { seededRandom } from '../support.js';

const ts = { backend: 'ts' } as const;

// ---------------------------------------------------------------------------------------------------
// Test-local helpers, independent of the solver's own linear algebra.

/** Solves A x = b (A n x n row-major) by Gaussian elimination with partial pivoting. */
function solveLinear(matrix: ArrayLike<number>, rhs: ArrayLike<number>, n: number): Float64Array {
  const a = Array.from({ length: n }, (_, row) => [...Array.from({ length: n }, (_, column) => matrix[row * n + column]!), rhs[row]!]);
  for (let column = 0; column < n; column++) {
    let pivot = column;
    for (let row = column + 1; row < n; row++) if (Math.abs(a[row]![column]!) > Math.abs(a[pivot]![column]!)) pivot = row;
    [a[column], a[pivot]] = [a[pivot]!, a[column]!];
    for (let row = column + 1; row < n; row++) {
      const factor = a[row]![column]! / a[column]![column]!;
      for (let k = column; k <= n; k++) a[row]![k] = a[row]![k]! - factor * a[column]![k]!;
    }
  }
  const x = new Float64Array(n);
  for (let row = n - 1; row >= 0; row--) {
    let sum = a[row]![n]!;
    for (let k = row + 1; k < n; k++) sum -= a[row]![k]! * x[k]!;
    x[row] = sum / a[row]![row]!;
  }
  return x;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let index = 0; index < values.length; index++) total += values[index]!;
  return total;
}

function scaled(values: ArrayLike<number>, factor: number): Float64Array {
  return Float64Array.from(values as ArrayLike<number>, (value) => value * factor);
}

/**
 * A random positive definite covariance from a factor model, S = B B' + D (k factors), in daily-return
 * units (volatilities around 1-3%), and expected returns around 0.05% a day.
 */
function randomModel(n: number, seed: number, factors = 3): { covariance: Float64Array; expectedReturns: Float64Array } {
  const random = seededRandom(seed);
  const loadings = Array.from({ length: n * factors }, () => (random() - 0.3) * 0.01);
  const covariance = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      let value = 0;
      for (let factor = 0; factor < factors; factor++) value += loadings[row * factors + factor]! * loadings[column * factors + factor]!;
      covariance[row * n + column] = value;
    }
  }
  for (let index = 0; index < n; index++) covariance[index * n + index] = covariance[index * n + index]! + (0.005 + 0.015 * random()) ** 2;
  for (let row = 0; row < n; row++) for (let column = 0; column < row; column++) covariance[row * n + column] = covariance[column * n + row]!;
  const expectedReturns = Float64Array.from({ length: n }, () => 0.0002 + 0.0008 * random());
  return { covariance, expectedReturns };
}

function matrixFrom(sigmas: number[], correlations: number[][]): Float64Array {
  const n = sigmas.length;
  const matrix = new Float64Array(n * n);
  for (let row = 0; row < n; row++) for (let column = 0; column < n; column++) matrix[row * n + column] = sigmas[row]! * sigmas[column]! * correlations[row]![column]!;
  return matrix;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label: string): void {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  for (let index = 0; index < expected.length; index++) {
    const difference = Math.abs(actual[index]! - expected[index]!);
    if (!(difference <= tolerance * Math.max(1, Math.abs(expected[index]!)))) {
      expect.fail(`${label}: index ${index}: expected ${expected[index]}, was ${actual[index]} (difference ${difference})`);
    }
  }
}

function expectKernelError(run: () => unknown, code: string, pattern?: RegExp): KernelError {
  let thrown: unknown;
  try {
    run();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${code}`).toBeInstanceOf(KernelError);
  expect((thrown as KernelError).code).toBe(code);
  if (pattern !== undefined) expect((thrown as KernelError).message).toMatch(pattern);
  return thrown as KernelError;
}

// ---------------------------------------------------------------------------------------------------
// The KKT checker: the optimality conditions of a convex QP, from the program and the solution alone.

/**
 * Checks the Karush-Kuhn-Tucker conditions of `solution` for `program` (see QpSolution for the sign
 * convention), each to `tolerance` relative to the size of the terms involved:
 *   stationarity      Hx + c - E'l_eq - l_lower + l_upper - sum of the share normals' terms - G'l_rows = 0
 *   primal feasible   Ex = e, Gx >= g, lower <= x <= upper, lowerShare sum(x) <= x <= upperShare sum(x)
 *   dual feasible     every inequality multiplier >= 0
 *   complementary     multiplier * slack = 0 for every inequality
 */
function checkKkt(program: QuadraticProgram, solution: QpSolution, label: string, tolerance = 1e-9): void {
  const { variables: n, equalityCount: meq, inequalityCount: rows } = program;
  const { x, multipliers } = solution;
  const residual = new Float64Array(n);
  const magnitude = new Float64Array(n);
  let xScale = 1;
  for (let index = 0; index < n; index++) xScale = Math.max(xScale, Math.abs(x[index]!));
  for (let row = 0; row < n; row++) {
    let value = program.linear[row]!;
    let size = Math.abs(value);
    for (let column = 0; column < n; column++) {
      value += program.hessian[row * n + column]! * x[column]!;
      size += Math.abs(program.hessian[row * n + column]! * x[column]!);
    }
    residual[row] = value;
    magnitude[row] = size;
  }
  const subtractNormal = (normal: (index: number) => number, multiplier: number): void => {
    for (let index = 0; index < n; index++) {
      residual[index] = residual[index]! - multiplier * normal(index);
      magnitude[index] = magnitude[index]! + Math.abs(multiplier * normal(index));
    }
  };
  let largestMultiplier = 0;
  for (const multiplier of multipliers) largestMultiplier = Math.max(largestMultiplier, Math.abs(multiplier));
  const checkSlack = (slack: number, scale: number, multiplier: number, what: string, isEquality: boolean): void => {
    const feasibility = tolerance * Math.max(1, scale);
    if (isEquality) {
      if (!(Math.abs(slack) <= feasibility)) expect.fail(`${label}: ${what}: expected to hold with equality, slack ${slack}`);
      return;
    }
    if (!(slack >= -feasibility)) expect.fail(`${label}: ${what}: expected to hold, slack ${slack}`);
    if (!(multiplier >= -tolerance * Math.max(1, largestMultiplier))) expect.fail(`${label}: ${what}: expected a multiplier >= 0, was ${multiplier}`);
    if (!(Math.abs(multiplier * slack) <= tolerance * Math.max(1, largestMultiplier) * Math.max(1, scale))) {
      expect.fail(`${label}: ${what}: expected complementary slackness, multiplier ${multiplier} x slack ${slack}`);
    }
  };
  for (let row = 0; row < meq; row++) {
    const normal = (index: number) => program.equalityMatrix[row * n + index]!;
    let value = -program.equalityTarget[row]!;
    let scale = Math.abs(program.equalityTarget[row]!);
    for (let index = 0; index < n; index++) {
      value += normal(index) * x[index]!;
      scale += Math.abs(normal(index) * x[index]!);
    }
    checkSlack(value, scale, multipliers[row]!, `equality ${row}`, true);
    subtractNormal(normal, multipliers[row]!);
  }
  for (let index = 0; index < n; index++) {
    const lowerMultiplier = multipliers[meq + index]!;
    const upperMultiplier = multipliers[meq + n + index]!;
    const lower = program.lower[index]!;
    const upper = program.upper[index]!;
    if (lower !== Number.NEGATIVE_INFINITY) checkSlack(x[index]! - lower, xScale + Math.abs(lower), lowerMultiplier, `lower bound ${index}`, false);
    else expect(lowerMultiplier, `${label}: multiplier of an absent lower bound`).toBe(0);
    if (upper !== Number.POSITIVE_INFINITY) checkSlack(upper - x[index]!, xScale + Math.abs(upper), upperMultiplier, `upper bound ${index}`, false);
    else expect(upperMultiplier, `${label}: multiplier of an absent upper bound`).toBe(0);
    subtractNormal((other) => (other === index ? 1 : 0), lowerMultiplier);
    subtractNormal((other) => (other === index ? -1 : 0), upperMultiplier);
  }
  // Relative bounds: normals e_i - s 1 (lower share s) and s 1 - e_i (upper share s), right-hand side 0.
  for (const [shares, offset, sign, absent] of [
    [program.lowerShare, meq + 2 * n, 1, Number.NEGATIVE_INFINITY],
    [program.upperShare, meq + 3 * n, -1, Number.POSITIVE_INFINITY],
  ] as const) {
    for (let index = 0; index < n; index++) {
      const share = shares?.[index] ?? absent;
      const multiplier = multipliers[offset + index]!;
      if (share === absent) {
        expect(multiplier, `${label}: multiplier of an absent share`).toBe(0);
        continue;
      }
      const normal = (other: number) => sign * ((other === index ? 1 : 0) - share);
      let value = 0;
      let scale = 0;
      for (let other = 0; other < n; other++) {
        value += normal(other) * x[other]!;
        scale += Math.abs(normal(other) * x[other]!);
      }
      checkSlack(value, scale, multiplier, `${sign > 0 ? 'lower' : 'upper'} share ${index}`, false);
      subtractNormal(normal, multiplier);
    }
  }
  for (let row = 0; row < rows; row++) {
    const normal = (index: number) => program.inequalityMatrix[row * n + index]!;
    const multiplier = multipliers[meq + 4 * n + row]!;
    let value = -program.inequalityTarget[row]!;
    let scale = Math.abs(program.inequalityTarget[row]!);
    for (let index = 0; index < n; index++) {
      value += normal(index) * x[index]!;
      scale += Math.abs(normal(index) * x[index]!);
    }
    checkSlack(value, scale, multiplier, `row ${row}`, false);
    subtractNormal(normal, multiplier);
  }
  for (let index = 0; index < n; index++) {
    if (!(Math.abs(residual[index]!) <= tolerance * Math.max(magnitude[index]!, 1e-300))) {
      expect.fail(`${label}: stationarity ${index}: residual ${residual[index]} against terms of size ${magnitude[index]}`);
    }
  }
}

/** The KKT conditions of an optimum's program, plus the decomposition identities. */
function checkOptimum(optimum: PortfolioOptimum, budget: number, label: string): void {
  if (optimum.program !== null) checkKkt(optimum.program, optimum.solution!, label);
  expect(Math.abs(sum(optimum.weights) - budget), `${label}: budget`).toBeLessThanOrEqual(1e-12 * Math.max(1, budget) * optimum.weights.length);
  expect(Math.abs(sum(optimum.riskContributions) - optimum.variance), `${label}: contributions sum to the variance`).toBeLessThanOrEqual(1e-15 * optimum.variance);
  expect(Math.abs(sum(optimum.riskContributionShares) - 1), `${label}: shares sum to 1`).toBeLessThanOrEqual(1e-12);
  expect(optimum.volatility).toBeCloseTo(Math.sqrt(optimum.variance), 15);
}

// ---------------------------------------------------------------------------------------------------
// The QP solver.

describe('solveQuadraticProgram (reference)', () => {
  it('solves the solve.QP example of R quadprog (Turlach and Weingessel, quadprog documentation)', () => {
    // min -(0,5,0)'b + 1/2 b'b  s.t.  -4b1 - 3b2 >= -8,  2b1 + b2 >= 2,  -2b2 + b3 >= 0.
    // Published: solution (0.4761905, 1.0476190, 2.0952381), value -2.380952, Lagrangian (0, 0.2380952, 2.0952381).
    const program: QuadraticProgram = {
      variables: 3,
      hessian: Float64Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1),
      linear: Float64Array.of(0, -5, 0),
      equalityCount: 0,
      equalityMatrix: new Float64Array(0),
      equalityTarget: new Float64Array(0),
      inequalityCount: 3,
      inequalityMatrix: Float64Array.of(-4, -3, 0, 2, 1, 0, 0, -2, 1),
      inequalityTarget: Float64Array.of(-8, 2, 0),
      lower: new Float64Array(3).fill(Number.NEGATIVE_INFINITY),
      upper: new Float64Array(3).fill(Number.POSITIVE_INFINITY),
    };
    const solution = solveQuadraticProgram(program, ts);
    expectClose(solution.x, [10 / 21, 22 / 21, 44 / 21], 1e-14, 'solution');
    expectClose(solution.multipliers.subarray(12), [0, 5 / 21, 44 / 21], 1e-14, "Lagrangian");
    const x = solution.x;
    const value = 0.5 * (x[0]! ** 2 + x[1]! ** 2 + x[2]! ** 2) - 5 * x[1]!;
    expect(value).toBeCloseTo(-2.380952, 6);
    checkKkt(program, solution, 'quadprog example');
  });

  it('agrees with a brute-force active-set enumeration on random small programs (bounds, shares, a row)', () => {
    for (let seed = 1; seed <= 80; seed++) {
      const program = randomProgram(1 + (seed % 4), seed);
      const solution = solveQuadraticProgram(program, ts);
      checkKkt(program, solution, `seed ${seed}`);
      expectClose(solution.x, bruteForce(program), 1e-9, `seed ${seed}`);
    }
  });

  const infeasible: { message: string; program: QuadraticProgram; pattern: RegExp }[] = [
    {
      message: 'x >= 1 and -x >= 0',
      program: smallProgram({ inequalityMatrix: [[1], [-1]], inequalityTarget: [1, 0] }),
      pattern: /no point satisfies/,
    },
    {
      message: 'a row that contradicts a bound',
      program: smallProgram({ inequalityMatrix: [[1]], inequalityTarget: [2], upper: [1] }),
      pattern: /no point satisfies/,
    },
    {
      message: 'two parallel equalities with different targets',
      program: smallProgram({ variables: 2, equalityMatrix: [[1, 1], [2, 2]], equalityTarget: [1, 3] }),
      pattern: /no point satisfies/,
    },
    {
      message: 'an equality of zeros',
      program: smallProgram({ variables: 2, equalityMatrix: [[0, 0]], equalityTarget: [1] }),
      pattern: /no point satisfies/,
    },
  ];
  for (const { message, program, pattern } of infeasible) {
    it(`throws ERR_KERNEL_INFEASIBLE for ${message}`, () => {
      expectKernelError(() => solveQuadraticProgram(program, ts), 'ERR_KERNEL_INFEASIBLE', pattern);
    });
  }

  const malformed: { message: string; program: unknown; code: string }[] = [
    { message: 'not an object', program: null, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'zero variables', program: { ...smallProgram({}), variables: 0 }, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'fractional variables', program: { ...smallProgram({}), variables: 1.5 }, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'too many variables', program: { ...smallProgram({}), variables: 1001 }, code: 'ERR_KERNEL_INPUT_TOO_LONG' },
    { message: 'a Hessian of the wrong length', program: { ...smallProgram({}), hessian: new Float64Array(2) }, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a NaN in the Hessian', program: { ...smallProgram({}), hessian: Float64Array.of(Number.NaN) }, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'an infinite linear term', program: { ...smallProgram({}), linear: Float64Array.of(Number.POSITIVE_INFINITY) }, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a plain array for the Hessian', program: { ...smallProgram({}), hessian: [1] }, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a NaN bound', program: smallProgram({ lower: [Number.NaN] }), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'lower above upper', program: smallProgram({ lower: [1], upper: [0] }), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a lower bound of +Infinity', program: smallProgram({ lower: [Number.POSITIVE_INFINITY] }), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a negative row count', program: { ...smallProgram({}), inequalityCount: -1 }, code: 'ERR_KERNEL_BAD_INPUT' },
  ];
  for (const { message, program, code } of malformed) {
    it(`throws ${code} for ${message}`, () => {
      expectKernelError(() => solveQuadraticProgram(program as QuadraticProgram, ts), code);
    });
  }

  it('throws ERR_KERNEL_NOT_POSITIVE_DEFINITE for a singular Hessian', () => {
    const program = smallProgram({ variables: 2, hessian: [1, 1, 1, 1] });
    expectKernelError(() => solveQuadraticProgram(program, ts), 'ERR_KERNEL_NOT_POSITIVE_DEFINITE');
  });
});

interface SmallProgramShape {
  variables?: number;
  hessian?: number[];
  linear?: number[];
  equalityMatrix?: number[][];
  equalityTarget?: number[];
  inequalityMatrix?: number[][];
  inequalityTarget?: number[];
  lower?: number[];
  upper?: number[];
}

function smallProgram(shape: SmallProgramShape): QuadraticProgram {
  const n = shape.variables ?? 1;
  const identity = Array.from({ length: n * n }, (_, index) => (index % (n + 1) === 0 ? 1 : 0));
  return {
    variables: n,
    hessian: Float64Array.from(shape.hessian ?? identity),
    linear: Float64Array.from(shape.linear ?? new Array<number>(n).fill(0)),
    equalityCount: shape.equalityMatrix?.length ?? 0,
    equalityMatrix: Float64Array.from((shape.equalityMatrix ?? []).flat()),
    equalityTarget: Float64Array.from(shape.equalityTarget ?? []),
    inequalityCount: shape.inequalityMatrix?.length ?? 0,
    inequalityMatrix: Float64Array.from((shape.inequalityMatrix ?? []).flat()),
    inequalityTarget: Float64Array.from(shape.inequalityTarget ?? []),
    lower: Float64Array.from(shape.lower ?? new Array<number>(n).fill(Number.NEGATIVE_INFINITY)),
    upper: Float64Array.from(shape.upper ?? new Array<number>(n).fill(Number.POSITIVE_INFINITY)),
  };
}

/**
 * A random feasible program: budget equality, random bounds and relative bounds (shares) around a
 * feasible point, one random row.
 */
function randomProgram(n: number, seed: number): QuadraticProgram {
  const random = seededRandom(seed);
  const { covariance } = randomModel(n, seed + 1000, 2);
  const point = Array.from({ length: n }, () => random() - 0.3);
  const lower = point.map((value) => (random() < 0.3 ? Number.NEGATIVE_INFINITY : value - random() * 0.5));
  const upper = point.map((value) => (random() < 0.3 ? Number.POSITIVE_INFINITY : value + random() * 0.5));
  const row = Array.from({ length: n }, () => random() - 0.5);
  const rowValue = row.reduce((total, value, index) => total + value * point[index]!, 0);
  const total = sum(point);
  // Shares only around a point whose weights sum to something positive (else the point would break them).
  const hasShares = total > 0.2;
  const lowerShare = Float64Array.from(point, (value) => (!hasShares || random() < 0.7 ? Number.NEGATIVE_INFINITY : value / total - random() * 0.3));
  const upperShare = Float64Array.from(point, (value) => (!hasShares || random() < 0.7 ? Number.POSITIVE_INFINITY : value / total + random() * 0.3));
  const program = smallProgram({
    variables: n,
    hessian: Array.from(covariance, (value) => value * 1e4),
    linear: Array.from({ length: n }, () => (random() - 0.5) * 4),
    equalityMatrix: [new Array<number>(n).fill(1)],
    equalityTarget: [sum(point)],
    inequalityMatrix: [row],
    inequalityTarget: [rowValue - random() * 0.2],
    lower,
    upper,
  });
  return { ...program, lowerShare, upperShare };
}

/**
 * The oracle: tries every subset of the inequality constraints as the active set, solves the equality-
 * constrained QP for it (a KKT linear system), and returns the point that is primal and dual feasible.
 * Exponential; for n <= 4.
 */
function bruteForce(program: QuadraticProgram): Float64Array {
  const n = program.variables;
  type Normal = { normal: number[]; target: number; isEquality: boolean };
  const constraints: Normal[] = [];
  for (let row = 0; row < program.equalityCount; row++) {
    constraints.push({ normal: Array.from(program.equalityMatrix.subarray(row * n, (row + 1) * n)), target: program.equalityTarget[row]!, isEquality: true });
  }
  for (let index = 0; index < n; index++) {
    const unit = Array.from({ length: n }, (_, other) => (other === index ? 1 : 0));
    if (program.lower[index] !== Number.NEGATIVE_INFINITY) constraints.push({ normal: unit, target: program.lower[index]!, isEquality: false });
    if (program.upper[index] !== Number.POSITIVE_INFINITY) constraints.push({ normal: unit.map((value) => -value), target: -program.upper[index]!, isEquality: false });
  }
  for (let index = 0; index < n; index++) {
    const lowerShare = program.lowerShare?.[index] ?? Number.NEGATIVE_INFINITY;
    const upperShare = program.upperShare?.[index] ?? Number.POSITIVE_INFINITY;
    const unit = (other: number) => (other === index ? 1 : 0);
    if (lowerShare !== Number.NEGATIVE_INFINITY) constraints.push({ normal: Array.from({ length: n }, (_, other) => unit(other) - lowerShare), target: 0, isEquality: false });
    if (upperShare !== Number.POSITIVE_INFINITY) constraints.push({ normal: Array.from({ length: n }, (_, other) => upperShare - unit(other)), target: 0, isEquality: false });
  }
  for (let row = 0; row < program.inequalityCount; row++) {
    constraints.push({ normal: Array.from(program.inequalityMatrix.subarray(row * n, (row + 1) * n)), target: program.inequalityTarget[row]!, isEquality: false });
  }
  const inequalities = constraints.map((constraint, index) => index).filter((index) => !constraints[index]!.isEquality);
  const equalities = constraints.map((constraint, index) => index).filter((index) => constraints[index]!.isEquality);
  for (let mask = 0; mask < 1 << inequalities.length; mask++) {
    const active = [...equalities, ...inequalities.filter((_, bit) => (mask & (1 << bit)) !== 0)];
    if (active.length > n) continue;
    const size = n + active.length;
    const matrix = new Float64Array(size * size);
    const rhs = new Float64Array(size);
    for (let row = 0; row < n; row++) {
      for (let column = 0; column < n; column++) matrix[row * size + column] = program.hessian[row * n + column]!;
      rhs[row] = -program.linear[row]!;
      active.forEach((constraint, position) => {
        matrix[row * size + n + position] = -constraints[constraint]!.normal[row]!;
        matrix[(n + position) * size + row] = constraints[constraint]!.normal[row]!;
      });
    }
    active.forEach((constraint, position) => {
      rhs[n + position] = constraints[constraint]!.target;
    });
    const solution = solveLinear(matrix, rhs, size);
    if (!solution.every(Number.isFinite)) continue;
    const x = solution.subarray(0, n);
    const feasible = constraints.every((constraint) => {
      const value = constraint.normal.reduce((total, weight, index) => total + weight * x[index]!, 0) - constraint.target;
      return constraint.isEquality ? Math.abs(value) <= 1e-9 : value >= -1e-9;
    });
    const dualFeasible = active.every((constraint, position) => constraints[constraint]!.isEquality || solution[n + position]! >= -1e-9);
    if (feasible && dualFeasible) return Float64Array.from(x);
  }
  throw new Error('brute force found no optimum');
}

// ---------------------------------------------------------------------------------------------------
// The objectives against closed forms and published examples.

describe('objectives: published examples', () => {
  // Bodie, Kane and Marcus, "Investments" (10th ed., McGraw-Hill 2014), chapter 7, Table 7.1: a bond fund D
  // (E(r) 8%, sigma 12%) and a stock fund E (E(r) 13%, sigma 20%), correlation 0.3 (covariance 72 in %^2),
  // risk-free rate 5%. Published: minimum-variance portfolio w_D = 0.82, w_E = 0.18, E(r) 8.90%,
  // sigma 11.45%; optimal risky portfolio w_D = 0.40, w_E = 0.60, E(r) 11%, sigma 14.2%, Sharpe 0.42.
  const model: PortfolioModel = {
    assets: 2,
    covariance: Float64Array.of(0.0144, 0.0072, 0.0072, 0.04),
    expectedReturns: Float64Array.of(0.08, 0.13),
    riskFreeRate: 0.05,
  };

  it('minimum variance: the two-asset closed form w_D = (s_E^2 - c) / (s_D^2 + s_E^2 - 2c) = 0.82', () => {
    const optimum = minimumVariance(model, ts);
    expectClose(optimum.weights, [0.82, 0.18], 1e-15, 'weights');
    expect(optimum.expectedReturn).toBeCloseTo(0.089, 15);
    expect(optimum.volatility).toBeCloseTo(0.1145, 4);
    checkOptimum(optimum, 1, 'BKM minimum variance');
  });

  it('maximum Sharpe: the optimal risky portfolio 0.40 / 0.60, E(r) 11%, sigma 14.2%, Sharpe 0.42', () => {
    const optimum = maximumSharpe(model, ts);
    expectClose(optimum.weights, [0.4, 0.6], 1e-15, 'weights');
    expect(optimum.expectedReturn).toBeCloseTo(0.11, 15);
    expect(optimum.volatility).toBeCloseTo(0.142, 3);
    expect(optimum.sharpe).toBeCloseTo(0.42, 2);
    checkOptimum(optimum, 1, 'BKM max Sharpe');
  });

  it('risk parity: the four-asset example of Maillard, Roncalli and Teiletche (2010): 38.4%, 19.2%, 24.3%, 18.2%', () => {
    // Volatilities 10%, 20%, 30%, 40%; correlation 0.8 between assets 1 and 2, -0.5 between 3 and 4, else 0.
    const covariance = matrixFrom([0.1, 0.2, 0.3, 0.4], [
      [1, 0.8, 0, 0],
      [0.8, 1, 0, 0],
      [0, 0, 1, -0.5],
      [0, 0, -0.5, 1],
    ]);
    const optimum = riskParity({ assets: 4, covariance }, ts);
    expectClose(optimum.weights, [0.384, 0.192, 0.243, 0.182], 5e-4, 'weights');
    expectClose(optimum.riskContributionShares, [0.25, 0.25, 0.25, 0.25], 1e-12, 'equal risk contributions');
    expect(optimum.converged).toBe(true);
    checkOptimum(optimum, 1, 'MRT risk parity');
  });
});

describe('objectives: closed forms (no binding inequality)', () => {
  const n = 12;
  const { covariance, expectedReturns } = randomModel(n, 42);
  const ones = new Float64Array(n).fill(1);
  const inverseOnes = solveLinear(covariance, ones, n);
  const inverseReturns = solveLinear(covariance, expectedReturns, n);
  const a = sum(inverseOnes);
  const b = sum(inverseReturns);
  const c = expectedReturns.reduce((total, value, index) => total + value * inverseReturns[index]!, 0);
  const model: PortfolioModel = { assets: n, covariance, expectedReturns };
  const free: WeightConstraints = { longOnly: false };

  it("unconstrained minimum variance is S^-1 1 / (1'S^-1 1) (Merton 1972)", () => {
    const optimum = minimumVariance(model, { ...ts, constraints: free });
    expectClose(optimum.weights, scaled(inverseOnes, 1 / a), 1e-10, 'weights');
    checkOptimum(optimum, 1, 'unconstrained minimum variance');
  });

  it('the budget scales the unconstrained minimum-variance portfolio', () => {
    const optimum = minimumVariance(model, { ...ts, constraints: { longOnly: false, budget: 2.5 } });
    expectClose(optimum.weights, scaled(inverseOnes, 2.5 / a), 1e-10, 'weights');
    checkOptimum(optimum, 2.5, 'budget 2.5');
  });

  it("the tangency portfolio is S^-1 (mu - rf) / 1'S^-1 (mu - rf)", () => {
    const riskFreeRate = 0.0001;
    const excess = Float64Array.from(expectedReturns, (value) => value - riskFreeRate);
    const inverseExcess = solveLinear(covariance, excess, n);
    const optimum = maximumSharpe({ ...model, riskFreeRate }, { ...ts, constraints: free });
    expectClose(optimum.weights, scaled(inverseExcess, 1 / sum(inverseExcess)), 1e-10, 'weights');
    checkOptimum(optimum, 1, 'tangency');
  });

  it('the efficient portfolio for a target return is ((C - Bm) S^-1 1 + (Am - B) S^-1 mu) / (AC - B^2) (Merton 1972)', () => {
    const target = (b / a) * 1.5;
    const determinant = a * c - b * b;
    const expected = Float64Array.from({ length: n }, (_, index) => ((c - b * target) * inverseOnes[index]! + (a * target - b) * inverseReturns[index]!) / determinant);
    const optimum = meanVariance(model, { targetReturn: target }, { ...ts, constraints: free });
    expectClose(optimum.weights, expected, 1e-9, 'weights');
    expect(optimum.expectedReturn).toBeCloseTo(target, 12);
    checkOptimum(optimum, 1, 'target return');
  });

  it('a target equal to the highest achievable return is feasible and gives that portfolio', () => {
    const model3: PortfolioModel = { assets: 3, covariance: matrixFrom([0.1, 0.2, 0.3], [[1, 0.2, 0.1], [0.2, 1, 0.3], [0.1, 0.3, 1]]), expectedReturns: Float64Array.of(0.1, 0.2, 0.3) };
    // Caps of 0.5: the highest return is 0.5 x 0.3 + 0.5 x 0.2 = 0.25 (which rounds to 0.25 here, and
    // 0.1 x 0.7 to 0.06999999999999999 in the one-asset case below).
    const optimum = meanVariance(model3, { targetReturn: 0.25 }, { ...ts, constraints: { maxWeight: 0.5 } });
    expectClose(optimum.weights, [0, 0.5, 0.5], 1e-12, 'weights');
    checkOptimum(optimum, 1, 'target at the maximum');
    const single = meanVariance({ assets: 1, covariance: Float64Array.of(0.04), expectedReturns: Float64Array.of(0.1) }, { targetReturn: 0.07 }, { ...ts, constraints: { budget: 0.7 } });
    expect(single.weights[0]).toBe(0.7);
  });

  it('a target below the minimum-variance return gives the minimum-variance portfolio', () => {
    const optimum = meanVariance(model, { targetReturn: (b / a) * 0.5 }, { ...ts, constraints: free });
    expectClose(optimum.weights, scaled(inverseOnes, 1 / a), 1e-10, 'weights');
  });

  it("risk aversion gamma gives S^-1 mu / gamma + ((1 - 1'S^-1 mu / gamma) / 1'S^-1 1) S^-1 1", () => {
    const gamma = 4;
    const expected = Float64Array.from({ length: n }, (_, index) => inverseReturns[index]! / gamma + ((1 - b / gamma) / a) * inverseOnes[index]!);
    const optimum = meanVariance(model, { riskAversion: gamma }, { ...ts, constraints: free });
    expectClose(optimum.weights, expected, 1e-9, 'weights');
    checkOptimum(optimum, 1, 'risk aversion');
  });

  it('risk parity with a diagonal covariance gives w_i proportional to 1 / sigma_i', () => {
    const sigmas = [0.05, 0.1, 0.2, 0.4, 0.8];
    const optimum = riskParity({ assets: 5, covariance: matrixFrom(sigmas, sigmas.map((_, row) => sigmas.map((__, column) => (row === column ? 1 : 0)))) }, ts);
    const inverse = sigmas.map((sigma) => 1 / sigma);
    expectClose(optimum.weights, scaled(inverse, 1 / sum(inverse)), 1e-14, 'weights');
  });

  it('risk parity with a constant correlation also gives w_i proportional to 1 / sigma_i (Maillard et al. 2010)', () => {
    const sigmas = [0.05, 0.1, 0.2, 0.4];
    const optimum = riskParity({ assets: 4, covariance: matrixFrom(sigmas, sigmas.map((_, row) => sigmas.map((__, column) => (row === column ? 1 : 0.4)))) }, ts);
    const inverse = sigmas.map((sigma) => 1 / sigma);
    expectClose(optimum.weights, scaled(inverse, 1 / sum(inverse)), 1e-12, 'weights');
  });

  it('risk budgets with a diagonal covariance give w_i proportional to sqrt(b_i) / sigma_i', () => {
    const sigmas = [0.1, 0.2, 0.3];
    const budgets = Float64Array.of(0.5, 0.3, 0.2);
    const optimum = riskParity({ assets: 3, covariance: matrixFrom(sigmas, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]) }, { ...ts, riskBudgets: budgets });
    const raw = sigmas.map((sigma, index) => Math.sqrt(budgets[index]!) / sigma);
    expectClose(optimum.weights, scaled(raw, 1 / sum(raw)), 1e-13, 'weights');
    expectClose(optimum.riskContributionShares, budgets, 1e-12, 'shares equal the budgets');
  });
});

describe('objectives: KKT conditions on random constrained problems', () => {
  const sizes = [1, 2, 3, 7, 20, 60, 150];
  for (const n of sizes) {
    it(`n = ${n}: every objective under long-only, bounds and budgets`, () => {
      for (let seed = 1; seed <= (n > 50 ? 2 : 6); seed++) {
        const { covariance, expectedReturns } = randomModel(n, 100 * n + seed);
        const model: PortfolioModel = { assets: n, covariance, expectedReturns, riskFreeRate: 0.0001 };
        const cap = Math.min(1, 2.5 / n);
        const cases: { label: string; budget: number; run: () => PortfolioOptimum }[] = [
          { label: 'min variance, long only', budget: 1, run: () => minimumVariance(model, ts) },
          { label: 'min variance, capped', budget: 1, run: () => minimumVariance(model, { ...ts, constraints: { maxWeight: cap } }) },
          { label: 'min variance, long-short in [-0.3, 0.8], budget 0.8', budget: 0.8, run: () => minimumVariance(model, { ...ts, constraints: { longOnly: false, minWeight: -0.3, maxWeight: 0.8, budget: 0.8 } }) },
          { label: 'max Sharpe, long only', budget: 1, run: () => maximumSharpe(model, ts) },
          { label: 'max Sharpe, capped', budget: 1, run: () => maximumSharpe(model, { ...ts, constraints: { maxWeight: cap } }) },
          { label: 'max Sharpe, floors and caps', budget: 1, run: () => maximumSharpe(model, { ...ts, constraints: { minWeight: 0.2 / n, maxWeight: cap } }) },
          { label: 'max Sharpe, long-short', budget: 1, run: () => maximumSharpe(model, { ...ts, constraints: { longOnly: false, minWeight: -0.2, maxWeight: Math.max(0.6, 1 / n) } }) },
          { label: 'mean-variance, risk aversion 5', budget: 1, run: () => meanVariance(model, { riskAversion: 5 }, { ...ts, constraints: { maxWeight: cap } }) },
          { label: 'mean-variance, target', budget: 1, run: () => meanVariance(model, { targetReturn: sum(expectedReturns) / n }, { ...ts, constraints: { maxWeight: cap } }) },
        ];
        for (const { label, budget, run } of cases) checkOptimum(run(), budget, `n ${n} seed ${seed}: ${label}`);
      }
    });
  }

  it('the maximum Sharpe ratio beats 2,000 random feasible portfolios and every frontier point', () => {
    const n = 8;
    const { covariance, expectedReturns } = randomModel(n, 7);
    const model: PortfolioModel = { assets: n, covariance, expectedReturns, riskFreeRate: 0.0002 };
    const constraints: WeightConstraints = { maxWeight: 0.3 };
    const best = maximumSharpe(model, { ...ts, constraints });
    const random = seededRandom(8);
    for (let trial = 0; trial < 2000; trial++) {
      const raw = Array.from({ length: n }, () => random() ** 3);
      const weights = scaled(raw, 1 / sum(raw));
      if (weights.some((weight) => weight > 0.3)) continue;
      const decomposition = riskOf(covariance, weights);
      const sharpe = (weights.reduce((total, weight, index) => total + weight * expectedReturns[index]!, 0) - 0.0002) / Math.sqrt(decomposition);
      expect(sharpe).toBeLessThanOrEqual(best.sharpe! + 1e-12);
    }
    const lowest = minimumVariance(model, { ...ts, constraints }).expectedReturn!;
    const highest = expectedReturns.slice().sort().reverse().slice(0, 3).reduce((total, value, index) => total + (index < 3 ? 0.3 * value : 0), 0) + 0.1 * expectedReturns.slice().sort().reverse()[3]!;
    for (let step = 0; step < 20; step++) {
      const target = lowest + ((highest - lowest) * step) / 20;
      const point = meanVariance(model, { targetReturn: target }, { ...ts, constraints });
      expect(point.sharpe!).toBeLessThanOrEqual(best.sharpe! + 1e-12);
    }
    // And the tangency portfolio is the frontier portfolio for its own return.
    const same = meanVariance(model, { targetReturn: best.expectedReturn! }, { ...ts, constraints });
    expectClose(same.weights, best.weights, 1e-8, 'tangency on the frontier');
  });
});

function riskOf(covariance: Float64Array, weights: Float64Array): number {
  const n = weights.length;
  let variance = 0;
  for (let row = 0; row < n; row++) for (let column = 0; column < n; column++) variance += weights[row]! * covariance[row * n + column]! * weights[column]!;
  return variance;
}

describe('the risk decomposition', () => {
  it('is the Euler decomposition: marginal (Sw)_i / sigma, contribution w_i (Sw)_i, shares of the variance', () => {
    const covariance = Float64Array.of(0.04, 0.006, 0.006, 0.09);
    const optimum = minimumVariance({ assets: 2, covariance, expectedReturns: Float64Array.of(0.05, 0.1), riskFreeRate: 0.01 }, ts);
    const [first, second] = optimum.weights as unknown as [number, number];
    const product = [0.04 * first + 0.006 * second, 0.006 * first + 0.09 * second];
    const variance = first * product[0]! + second * product[1]!;
    expect(optimum.variance).toBeCloseTo(variance, 16);
    expectClose(optimum.marginalContributions, product.map((value) => value / Math.sqrt(variance)), 1e-14, 'marginal');
    expectClose(optimum.riskContributions, [first * product[0]!, second * product[1]!], 1e-14, 'contributions');
    expect(optimum.sharpe).toBeCloseTo((0.05 * first + 0.1 * second - 0.01) / Math.sqrt(variance), 14);
    // At the unconstrained-by-bounds minimum variance every marginal contribution is equal (stationarity).
    expect(optimum.marginalContributions[0]).toBeCloseTo(optimum.marginalContributions[1]!, 14);
  });

  it('reports no expected return or Sharpe ratio without expected returns', () => {
    const optimum = riskParity({ assets: 2, covariance: Float64Array.of(0.04, 0, 0, 0.09) }, ts);
    expect(optimum.expectedReturn).toBeNull();
    expect(optimum.sharpe).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------------
// Typed errors.

describe('infeasible constraints give ERR_KERNEL_INFEASIBLE', () => {
  const { covariance, expectedReturns } = randomModel(3, 5);
  const model: PortfolioModel = { assets: 3, covariance, expectedReturns };
  const cases: { message: string; run: () => unknown; pattern: RegExp }[] = [
    { message: 'caps that cannot reach the budget', run: () => minimumVariance(model, { ...ts, constraints: { maxWeight: 0.3 } }), pattern: /add up to the budget 1, was lower bounds summing to 0 and upper bounds to 0\.(9|8999)/ },
    { message: 'floors above the budget', run: () => minimumVariance(model, { ...ts, constraints: { minWeight: 0.5 } }), pattern: /add up to the budget/ },
    { message: 'an asset with lower > upper', run: () => minimumVariance(model, { ...ts, constraints: { bounds: [[0, 1], [0.6, 0.4], [0, 1]] } }), pattern: /lower weight bound <= the upper one for asset 1/ },
    { message: 'min_weight above max_weight', run: () => maximumSharpe(model, { ...ts, constraints: { minWeight: 0.4, maxWeight: 0.3 } }), pattern: /asset 0/ },
    {
      message: 'a target return above the highest achievable',
      run: () => meanVariance(model, { targetReturn: Math.max(...expectedReturns) * 1.01 }, ts),
      pattern: /targetReturn <= .*the highest expected return the constraints allow/,
    },
    {
      message: 'a target return above the highest achievable under caps',
      run: () => meanVariance(model, { targetReturn: Math.max(...expectedReturns) * 0.999 }, { ...ts, constraints: { maxWeight: 0.5 } }),
      pattern: /the highest expected return/,
    },
    {
      message: 'max Sharpe when no asset beats the risk-free rate (long only)',
      run: () => maximumSharpe({ ...model, riskFreeRate: 0.01 }, ts),
      pattern: /earn more than the risk-free rate/,
    },
    {
      message: 'max Sharpe long-short without bounds above the minimum-variance return (no finite optimum)',
      run: () => maximumSharpe({ ...model, riskFreeRate: Math.max(...expectedReturns) * 0.999 }, { ...ts, constraints: { longOnly: false } }),
      pattern: /attained by finite weights/,
    },
    {
      message: 'risk parity whose unique portfolio breaks a cap',
      run: () => riskParity({ assets: 3, covariance: matrixFrom([0.1, 0.2, 0.3], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]) }, { ...ts, constraints: { maxWeight: 0.5 } }),
      pattern: /risk parity weight of asset 0 within \[0, 0\.5\]/,
    },
  ];
  for (const { message, run, pattern } of cases) {
    it(message, () => {
      const error = expectKernelError(run, 'ERR_KERNEL_INFEASIBLE', pattern);
      expect(error.httpStatus).toBe(422);
    });
  }
});

describe('covariances that are not positive definite', () => {
  // Five observations of eight assets: the sample covariance has rank 4.
  const random = seededRandom(3);
  const n = 8;
  const observations = 5;
  const returns = Array.from({ length: observations }, () => Array.from({ length: n }, () => (random() - 0.5) * 0.02));
  const singular = new Float64Array(n * n);
  const means = Array.from({ length: n }, (_, asset) => returns.reduce((total, row) => total + row[asset]!, 0) / observations);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      singular[row * n + column] = returns.reduce((total, values) => total + (values[row]! - means[row]!) * (values[column]! - means[column]!), 0) / (observations - 1);
    }
  }
  const indefinite = Float64Array.of(1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1);
  const cases: { message: string; model: PortfolioModel }[] = [
    { message: 'a sample covariance with fewer observations than assets', model: { assets: n, covariance: singular, expectedReturns: new Float64Array(n).fill(0.001) } },
    { message: 'an indefinite matrix (correlations 0.9, 0.9, -0.9)', model: { assets: 3, covariance: indefinite, expectedReturns: Float64Array.of(0.1, 0.2, 0.3) } },
    { message: 'an asset with zero variance', model: { assets: 2, covariance: Float64Array.of(0.04, 0, 0, 0), expectedReturns: Float64Array.of(0.1, 0.05) } },
  ];
  for (const { message, model } of cases) {
    for (const [objective, run] of [
      ['min variance', (options: object) => minimumVariance(model, { ...ts, ...options })],
      ['max Sharpe', (options: object) => maximumSharpe(model, { ...ts, ...options })],
      ['risk parity', (options: object) => riskParity(model, { ...ts, ...options })],
    ] as const) {
      it(`${objective}: ${message} gives ERR_KERNEL_NOT_POSITIVE_DEFINITE`, () => {
        const error = expectKernelError(() => run({}), 'ERR_KERNEL_NOT_POSITIVE_DEFINITE', /repair_covariance/);
        expect(error.httpStatus).toBe(422);
      });
    }
  }

  it('with repairCovariance, optimises with the nearest positive definite matrix and says so', () => {
    const model = cases[0]!.model;
    for (const optimum of [minimumVariance(model, { ...ts, repairCovariance: true }), riskParity(model, { ...ts, repairCovariance: true })]) {
      expect(optimum.covarianceRepaired).toBe(true);
      checkOptimum(optimum, 1, `repaired ${optimum.objective}`);
    }
    expect(minimumVariance(randomModel(3, 1) && { assets: 2, covariance: Float64Array.of(1, 0, 0, 1) }, ts).covarianceRepaired).toBe(false);
  });
});

describe('malformed typed inputs give ERR_KERNEL_BAD_INPUT', () => {
  const covariance = Float64Array.of(0.04, 0.01, 0.01, 0.09);
  const expectedReturns = Float64Array.of(0.05, 0.08);
  const good: PortfolioModel = { assets: 2, covariance, expectedReturns };
  const cases: { message: string; run: () => unknown; code?: string }[] = [
    { message: 'a null model', run: () => minimumVariance(null as unknown as PortfolioModel, ts) },
    { message: 'zero assets', run: () => minimumVariance({ ...good, assets: 0 }, ts) },
    { message: 'assets not an integer', run: () => minimumVariance({ ...good, assets: 2.5 }, ts) },
    { message: 'too many assets', run: () => minimumVariance({ ...good, assets: 1001 }, ts), code: 'ERR_KERNEL_INPUT_TOO_LONG' },
    { message: 'a covariance of the wrong size', run: () => minimumVariance({ ...good, covariance: new Float64Array(3) }, ts) },
    { message: 'a covariance as a plain array', run: () => minimumVariance({ ...good, covariance: [0.04, 0, 0, 0.09] as unknown as Float64Array }, ts) },
    { message: 'a NaN in the covariance', run: () => minimumVariance({ ...good, covariance: Float64Array.of(0.04, Number.NaN, Number.NaN, 0.09) }, ts) },
    { message: 'an infinite covariance entry', run: () => minimumVariance({ ...good, covariance: Float64Array.of(Number.POSITIVE_INFINITY, 0, 0, 1) }, ts) },
    { message: 'a covariance entry beyond 1e100', run: () => minimumVariance({ ...good, covariance: Float64Array.of(1e101, 0, 0, 1) }, ts) },
    { message: 'an asymmetric covariance', run: () => minimumVariance({ ...good, covariance: Float64Array.of(0.04, 0.01, 0.02, 0.09) }, ts) },
    { message: 'expected returns of the wrong length', run: () => maximumSharpe({ ...good, expectedReturns: Float64Array.of(0.1) }, ts) },
    { message: 'a NaN expected return', run: () => maximumSharpe({ ...good, expectedReturns: Float64Array.of(0.1, Number.NaN) }, ts) },
    { message: 'max Sharpe without expected returns', run: () => maximumSharpe({ assets: 2, covariance }, ts) },
    { message: 'mean-variance without expected returns', run: () => meanVariance({ assets: 2, covariance }, { riskAversion: 2 }, ts) },
    { message: 'a NaN risk-free rate', run: () => maximumSharpe({ ...good, riskFreeRate: Number.NaN }, ts) },
    { message: 'risk aversion 0', run: () => meanVariance(good, { riskAversion: 0 }, ts) },
    { message: 'risk aversion beyond 1e6', run: () => meanVariance(good, { riskAversion: 1e7 }, ts) },
    { message: 'a NaN target return', run: () => meanVariance(good, { targetReturn: Number.NaN }, ts) },
    { message: 'no target at all', run: () => meanVariance(good, {} as { riskAversion: number }, ts) },
    { message: 'a budget of 0', run: () => minimumVariance(good, { ...ts, constraints: { budget: 0 } }) },
    { message: 'a negative budget', run: () => minimumVariance(good, { ...ts, constraints: { budget: -1 } }) },
    { message: 'longOnly not a boolean', run: () => minimumVariance(good, { ...ts, constraints: { longOnly: 'yes' as unknown as boolean } }) },
    { message: 'a NaN maxWeight', run: () => minimumVariance(good, { ...ts, constraints: { maxWeight: Number.NaN } }) },
    { message: 'bounds of the wrong length', run: () => minimumVariance(good, { ...ts, constraints: { bounds: [[0, 1]] } }) },
    { message: 'a bound that is not a pair', run: () => minimumVariance(good, { ...ts, constraints: { bounds: [[0, 1], [0] as unknown as [number, number]] } }) },
    { message: 'a lower bound of +Infinity', run: () => minimumVariance(good, { ...ts, constraints: { bounds: [[0, 1], [Number.POSITIVE_INFINITY, 1]] } }) },
    { message: 'zero risk budgets', run: () => riskParity(good, { ...ts, riskBudgets: Float64Array.of(0, 1) }) },
    { message: 'risk budgets more than 1e6 apart', run: () => riskParity(good, { ...ts, riskBudgets: Float64Array.of(1e-7, 1) }) },
    { message: 'an unknown backend', run: () => minimumVariance(good, { backend: 'gpu' as 'ts' }), code: 'ERR_KERNEL_UNKNOWN_BACKEND' },
  ];
  for (const { message, run, code = 'ERR_KERNEL_BAD_INPUT' } of cases) {
    it(`${code} for ${message}`, () => {
      expectKernelError(run, code);
    });
  }
});
