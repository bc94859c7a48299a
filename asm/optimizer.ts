// The portfolio optimiser's solvers for WebAssembly (AssemblyScript, compiled with SIMD by
// scripts/build-asm.mjs): the Goldfarb-Idnani QP solver and Spinu's risk-parity Newton method.
//
// A port of src/kernels/optimizer/qp-linear-algebra.ts, qp.ts and optimizer-risk-parity.ts (read them for
// the methods and their references): the same steps, tie-breaks and floating-point operations in the same
// order, so the results match the TypeScript reference bit for bit and the iterations are identical. Only
// scheduling differs: loops that update independent entries of a row (Cholesky and inverse updates, the
// primal direction, Givens rotations) run two entries at a time in f64x2 lanes, which changes no entry's
// arithmetic. Sums (dot products) stay sequential.
//
// Memory (one wasm32 linear memory, exported as `memory`; the JS side, src/kernels/optimizer/backends.ts,
// owns the layout):
//
//   0            heapStart()
//   | static data | inputs (program or covariance) | outputs (x, multipliers) | scratch (work arrays) |
//
// The JS side asks for the scratch size (qpScratchBytes, riskParityScratchBytes), grows the memory with
// reserve(bytes), copies the inputs in, calls a solver with explicit pointers, and copies the outputs out.
// Every region starts on a 16-byte boundary.

import { addressOf, readAt, writeAt } from './shared/memory';

/** kOptimizerAlgorithmVersion in src/kernels/optimizer/contract.ts; the facade refuses a mismatch. */
const kAlgorithmVersion: i32 = 2;
const kAssetsMax: i32 = 1000;
const kConstraintRowsMax: i32 = 2 * kAssetsMax + 8;
const kPivotRelativeMin: f64 = 1e-12;
const kFeasibilityTolerance: f64 = 1e-12;
const kDependenceTolerance: f64 = 1e-20;
const kNewtonDecrementTolerance: f64 = 1e-9;
const kLineSearchSlopeTolerance: f64 = 1e-2;
const kLineSearchStepsMax: i32 = 50;

const kStatusOptimal: i32 = 0;
const kStatusInfeasible: i32 = 1;
const kStatusNotPositiveDefinite: i32 = 2;
const kStatusIterationLimit: i32 = 3;
const kPageBytes: usize = 65536;

export function version(): i32 {
  return kAlgorithmVersion;
}

export function heapStart(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Grows the memory so that heapStart() + bytes fits. Returns 1, or 0 when it cannot. */
export function reserve(bytes: usize): i32 {
  const needed: usize = heapStart() + bytes;
  const pagesNeeded: i32 = <i32>((needed + kPageBytes - 1) / kPageBytes);
  const pagesNow: i32 = memory.size();
  if (pagesNeeded > pagesNow && memory.grow(pagesNeeded - pagesNow) < 0) return 0;
  return 1;
}

@inline function align16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

@inline function f64Bytes(count: i32): usize {
  return align16(<usize>count << 3);
}

// ---------------------------------------------------------------------------------------------------
// Row kernels (independent entries, two per f64x2).

/** target[i] = target[i] - multiplier * source[i] for i in 0..count-1. */
function axpyNegative(target: usize, source: usize, count: i32, multiplier: f64): void {
  const lanes = f64x2.splat(multiplier);
  let index: i32 = 0;
  for (; index + 2 <= count; index += 2) {
    v128.store(addressOf(target, index), f64x2.sub(v128.load(addressOf(target, index)), f64x2.mul(lanes, v128.load(addressOf(source, index)))));
  }
  for (; index < count; index++) writeAt(target, index, readAt(target, index) - multiplier * readAt(source, index));
}

/** target[i] = target[i] + source[i] * weight. */
function axpy(target: usize, source: usize, count: i32, weight: f64): void {
  const lanes = f64x2.splat(weight);
  let index: i32 = 0;
  for (; index + 2 <= count; index += 2) {
    v128.store(addressOf(target, index), f64x2.add(v128.load(addressOf(target, index)), f64x2.mul(v128.load(addressOf(source, index)), lanes)));
  }
  for (; index < count; index++) writeAt(target, index, readAt(target, index) + readAt(source, index) * weight);
}

/** values[i] = values[i] / divisor. */
function divideAll(values: usize, count: i32, divisor: f64): void {
  const lanes = f64x2.splat(divisor);
  let index: i32 = 0;
  for (; index + 2 <= count; index += 2) v128.store(addressOf(values, index), f64x2.div(v128.load(addressOf(values, index)), lanes));
  for (; index < count; index++) writeAt(values, index, readAt(values, index) / divisor);
}

/** (a, b) = (c a + s b, c b - s a) for entries 0..count-1 of two rows. */
function rotateRows(first: usize, second: usize, count: i32, cosine: f64, sine: f64): void {
  const c = f64x2.splat(cosine);
  const s = f64x2.splat(sine);
  let index: i32 = 0;
  for (; index + 2 <= count; index += 2) {
    const a = v128.load(addressOf(first, index));
    const b = v128.load(addressOf(second, index));
    v128.store(addressOf(first, index), f64x2.add(f64x2.mul(c, a), f64x2.mul(s, b)));
    v128.store(addressOf(second, index), f64x2.sub(f64x2.mul(c, b), f64x2.mul(s, a)));
  }
  for (; index < count; index++) {
    const a = readAt(first, index);
    const b = readAt(second, index);
    writeAt(first, index, cosine * a + sine * b);
    writeAt(second, index, cosine * b - sine * a);
  }
}

/** sum_i first[i] * second[i], from 0 in ascending order. */
function dot(first: usize, second: usize, count: i32): f64 {
  let sum: f64 = 0.0;
  for (let index: i32 = 0; index < count; index++) sum += readAt(first, index) * readAt(second, index);
  return sum;
}

/** product[row] = dot(row of the n x n matrix, vector), four rows at a time (four independent sums). */
function multiplyMatrixVector(matrix: usize, n: i32, vector: usize, product: usize): void {
  multiplyRowsVector(matrix, n, n, vector, product);
}

/** product[row] = dot(row of the rows x n matrix, vector), four rows at a time. */
function multiplyRowsVector(matrix: usize, rows: i32, n: i32, vector: usize, product: usize): void {
  let row: i32 = 0;
  for (; row + 4 <= rows; row += 4) dotFour(matrix, n, row, vector, product);
  for (; row < rows; row++) writeAt(product, row, dot(addressOf(matrix, row * n), vector, n));
}

/** product[row + k] = dot(row + k of the n-column matrix, vector) for k = 0..3, interleaved. */
@inline function dotFour(matrix: usize, n: i32, row: i32, vector: usize, product: usize): void {
  const first = addressOf(matrix, row * n);
  const second = addressOf(matrix, (row + 1) * n);
  const third = addressOf(matrix, (row + 2) * n);
  const fourth = addressOf(matrix, (row + 3) * n);
  let sum0: f64 = 0.0;
  let sum1: f64 = 0.0;
  let sum2: f64 = 0.0;
  let sum3: f64 = 0.0;
  for (let index: i32 = 0; index < n; index++) {
    const value = readAt(vector, index);
    sum0 += readAt(first, index) * value;
    sum1 += readAt(second, index) * value;
    sum2 += readAt(third, index) * value;
    sum3 += readAt(fourth, index) * value;
  }
  writeAt(product, row, sum0);
  writeAt(product, row + 1, sum1);
  writeAt(product, row + 2, sum2);
  writeAt(product, row + 3, sum3);
}

// ---------------------------------------------------------------------------------------------------
// Cholesky and friends (qp-linear-algebra.ts).

/** As choleskyUpper; addend 0 means none. Returns -1 or the failing pivot. */
function choleskyUpper(matrix: usize, addend: usize, n: i32, factor: usize): i32 {
  for (let row: i32 = 0; row < n; row++) {
    const start = row * n;
    memory.copy(addressOf(factor, start + row), addressOf(matrix, start + row), <usize>(n - row) << 3);
    if (addend != 0) writeAt(factor, start + row, readAt(factor, start + row) + readAt(addend, row));
  }
  for (let j: i32 = 0; j < n; j++) {
    const rowJ = j * n;
    const diagonal = addend == 0 ? readAt(matrix, rowJ + j) : readAt(matrix, rowJ + j) + readAt(addend, j);
    const pivot = readAt(factor, rowJ + j);
    if (!(pivot > kPivotRelativeMin * diagonal)) return j;
    const root = Math.sqrt(pivot);
    writeAt(factor, rowJ + j, root);
    divideAll(addressOf(factor, rowJ + j + 1), n - j - 1, root);
    for (let k: i32 = j + 1; k < n; k++) {
      axpyNegative(addressOf(factor, k * n + k), addressOf(factor, rowJ + k), n - k, readAt(factor, rowJ + k));
    }
  }
  return -1;
}

/** As invertLowerFromUpper. */
function invertLowerFromUpper(factor: usize, n: i32, inverse: usize): void {
  memory.fill(inverse, 0, <usize>(n * n) << 3);
  for (let index: i32 = 0; index < n; index++) writeAt(inverse, index * n + index, 1.0);
  for (let j: i32 = 0; j < n; j++) {
    const rowJ = j * n;
    divideAll(addressOf(inverse, rowJ), j + 1, readAt(factor, rowJ + j));
    for (let i: i32 = j + 1; i < n; i++) {
      axpyNegative(addressOf(inverse, i * n), addressOf(inverse, rowJ), j + 1, readAt(factor, rowJ + i));
    }
  }
}

/** As solveWithFactor, in place (`solution` holds the right-hand side on entry). */
function solveWithFactor(factor: usize, n: i32, solution: usize): void {
  for (let j: i32 = 0; j < n; j++) {
    const rowJ = j * n;
    const value = readAt(solution, j) / readAt(factor, rowJ + j);
    writeAt(solution, j, value);
    axpyNegative(addressOf(solution, j + 1), addressOf(factor, rowJ + j + 1), n - j - 1, value);
  }
  for (let i: i32 = n - 1; i >= 0; i--) {
    const rowI = i * n;
    let sum = readAt(solution, i);
    for (let j: i32 = i + 1; j < n; j++) sum = sum - readAt(factor, rowI + j) * readAt(solution, j);
    writeAt(solution, i, sum / readAt(factor, rowI + i));
  }
}

// ---------------------------------------------------------------------------------------------------
// The QP solver (qp.ts). The program and the work arrays live in these globals during a solve.

let qpN: i32 = 0;
let qpMeq: i32 = 0;
let qpRows: i32 = 0;
let qpHessian: usize = 0;
let qpLinear: usize = 0;
let qpEqualityMatrix: usize = 0;
let qpEqualityTarget: usize = 0;
let qpInequalityMatrix: usize = 0;
let qpInequalityTarget: usize = 0;
let qpLower: usize = 0;
let qpUpper: usize = 0;
let qpLowerShare: usize = 0;
let qpUpperShare: usize = 0;
let qpLowerShareNorms: usize = 0;
let qpUpperShareNorms: usize = 0;
let qpOnes: usize = 0;
let qpX: usize = 0;
let qpJt: usize = 0;
let qpTriangle: usize = 0;
let qpD: usize = 0;
let qpZ: usize = 0;
let qpR: usize = 0;
let qpU: usize = 0;
let qpRowNorms: usize = 0;
let qpRowProducts: usize = 0;
let qpActive: usize = 0;
let qpIsActive: usize = 0;
let qpQ: i32 = 0;
let qpIterations: i32 = 0;

/** Bytes of scratch solveQp needs for these sizes. */
export function qpScratchBytes(n: i32, meq: i32, rows: i32): usize {
  const constraints = meq + 4 * n + rows;
  return 2 * f64Bytes(n * n) + 6 * f64Bytes(n) + f64Bytes(n + 1) + 2 * f64Bytes(rows) + align16(<usize>(n + 1) << 2) + align16(<usize>constraints);
}

/** Iterations of the last solveQp or riskParity. */
export function lastIterations(): i32 {
  return qpIterations;
}

/**
 * Solves the program at the given pointers (layouts as QuadraticProgram) into x and multipliers, using
 * `scratch` (qpScratchBytes bytes). Returns the status (0 optimal, 1 infeasible, 2 not positive definite,
 * 3 iteration limit); lastIterations() gives the iterations.
 */
export function solveQp(
  n: i32,
  meq: i32,
  rows: i32,
  iterationsMax: i32,
  hessian: usize,
  linear: usize,
  equalityMatrix: usize,
  equalityTarget: usize,
  inequalityMatrix: usize,
  inequalityTarget: usize,
  lower: usize,
  upper: usize,
  lowerShare: usize,
  upperShare: usize,
  x: usize,
  multipliers: usize,
  scratch: usize,
): i32 {
  assert(n >= 1 && n <= kAssetsMax);
  assert(meq >= 0 && meq <= kConstraintRowsMax);
  assert(rows >= 0 && rows <= kConstraintRowsMax);
  qpN = n;
  qpMeq = meq;
  qpRows = rows;
  qpHessian = hessian;
  qpLinear = linear;
  qpEqualityMatrix = equalityMatrix;
  qpEqualityTarget = equalityTarget;
  qpInequalityMatrix = inequalityMatrix;
  qpInequalityTarget = inequalityTarget;
  qpLower = lower;
  qpUpper = upper;
  qpLowerShare = lowerShare;
  qpUpperShare = upperShare;
  qpX = x;
  const constraints = meq + 4 * n + rows;
  qpJt = scratch;
  qpTriangle = qpJt + f64Bytes(n * n);
  qpD = qpTriangle + f64Bytes(n * n);
  qpZ = qpD + f64Bytes(n);
  qpR = qpZ + f64Bytes(n);
  qpU = qpR + f64Bytes(n);
  qpRowNorms = qpU + f64Bytes(n + 1);
  qpRowProducts = qpRowNorms + f64Bytes(rows);
  qpActive = qpRowProducts + f64Bytes(rows);
  qpIsActive = qpActive + align16(<usize>(n + 1) << 2);
  qpLowerShareNorms = qpIsActive + align16(<usize>constraints);
  qpUpperShareNorms = qpLowerShareNorms + f64Bytes(n);
  qpOnes = qpUpperShareNorms + f64Bytes(n);
  memory.fill(x, 0, <usize>n << 3);
  memory.fill(multipliers, 0, <usize>constraints << 3);
  memory.fill(qpU, 0, <usize>(n + 1) << 3);
  memory.fill(qpIsActive, 0, <usize>constraints);
  qpQ = 0;
  qpIterations = 0;
  if (choleskyUpper(hessian, 0, n, qpTriangle) >= 0) return kStatusNotPositiveDefinite;
  invertLowerFromUpper(qpTriangle, n, qpJt);
  memory.fill(qpTriangle, 0, <usize>(n * n) << 3);
  for (let row: i32 = 0; row < rows; row++) {
    writeAt(qpRowNorms, row, Math.sqrt(dot(addressOf(inequalityMatrix, row * n), addressOf(inequalityMatrix, row * n), n)));
  }
  shareNorms(lowerShare, n, qpLowerShareNorms);
  shareNorms(upperShare, n, qpUpperShareNorms);
  for (let j: i32 = 0; j < n; j++) {
    let total: f64 = 0.0;
    for (let i: i32 = 0; i < n; i++) total += readAt(qpJt, j * n + i);
    writeAt(qpOnes, j, total);
  }
  startAtUnconstrainedMinimum();
  let status = addEqualities(iterationsMax);
  if (status == kStatusOptimal) status = addViolatedConstraints(iterationsMax);
  for (let position: i32 = 0; position < qpQ; position++) writeAt(multipliers, activeAt(position), readAt(qpU, position));
  return status;
}

/** |e_i - s 1| for each finite share s (NaN where none), as shareNorms in the reference. */
function shareNorms(shares: usize, n: i32, norms: usize): void {
  for (let index: i32 = 0; index < n; index++) {
    const share = readAt(shares, index);
    writeAt(norms, index, isFinite(share) ? Math.sqrt((1.0 - share) * (1.0 - share) + <f64>(n - 1) * (share * share)) : NaN);
  }
}

/** sum(x) in index order. */
function sumOfX(): f64 {
  let total: f64 = 0.0;
  for (let index: i32 = 0; index < qpN; index++) total += readAt(qpX, index);
  return total;
}

/** (v[first], v[first + 1]) = (c a + s b, c b - s a). */
@inline function rotatePair(values: usize, first: i32, cosine: f64, sine: f64): void {
  const a = readAt(values, first);
  const b = readAt(values, first + 1);
  writeAt(values, first, cosine * a + sine * b);
  writeAt(values, first + 1, cosine * b - sine * a);
}

@inline function activeAt(position: i32): i32 {
  return load<i32>(qpActive + (<usize>position << 2));
}

@inline function setActiveAt(position: i32, constraint: i32): void {
  store<i32>(qpActive + (<usize>position << 2), constraint);
}

@inline function isActive(constraint: i32): bool {
  return load<u8>(qpIsActive + <usize>constraint) != 0;
}

@inline function setIsActive(constraint: i32, value: bool): void {
  store<u8>(qpIsActive + <usize>constraint, value ? 1 : 0);
}

function startAtUnconstrainedMinimum(): void {
  const n = qpN;
  fillProducts(qpLinear);
  memory.fill(qpX, 0, <usize>n << 3);
  for (let j: i32 = 0; j < n; j++) axpyNegative(qpX, addressOf(qpJt, j * n), n, readAt(qpD, j));
}

/** d[j] = dot(row j of J', normal) for every j. */
function fillProducts(normal: usize): void {
  multiplyMatrixVector(qpJt, qpN, normal, qpD);
}

function addEqualities(iterationsMax: i32): i32 {
  for (let constraint: i32 = 0; constraint < qpMeq; constraint++) {
    if (qpIterations >= iterationsMax) return kStatusIterationLimit;
    const independentSquare = computeDirections(constraint);
    if (independentSquare < 0) return kStatusInfeasible;
    const step = -slackOf(constraint) / independentSquare;
    takePrimalStep(step);
    updateMultipliers(step);
    addConstraint(constraint, step);
  }
  return kStatusOptimal;
}

function addViolatedConstraints(iterationsMax: i32): i32 {
  const meq = qpMeq;
  while (true) {
    const constraint = mostViolated();
    if (constraint < 0) return kStatusOptimal;
    let addedMultiplier: f64 = 0.0;
    while (true) {
      if (qpIterations >= iterationsMax) return kStatusIterationLimit;
      const independentSquare = computeDirections(constraint);
      let dualStep: f64 = Infinity;
      let blocking: i32 = -1;
      for (let position: i32 = meq; position < qpQ; position++) {
        const direction = readAt(qpR, position);
        if (direction > 0) {
          const ratio = readAt(qpU, position) / direction;
          if (ratio < dualStep) {
            dualStep = ratio;
            blocking = position;
          }
        }
      }
      const slack = slackOf(constraint);
      const fullStep: f64 = independentSquare < 0 ? Infinity : slack < 0 ? -slack / independentSquare : 0.0;
      if (fullStep == Infinity && dualStep == Infinity) return kStatusInfeasible;
      if (fullStep == Infinity) {
        updateMultipliers(dualStep);
        addedMultiplier += dualStep;
        dropConstraint(blocking);
        continue;
      }
      const step = fullStep <= dualStep ? fullStep : dualStep;
      takePrimalStep(step);
      updateMultipliers(step);
      addedMultiplier += step;
      if (fullStep <= dualStep) {
        addConstraint(constraint, addedMultiplier);
        break;
      }
      dropConstraint(blocking);
    }
  }
  return kStatusIterationLimit;
}

// Shared by mostViolated and consider (AssemblyScript has no closures).
let worstConstraint: i32 = -1;
let worstViolation: f64 = 0.0;

@inline function consider(constraint: i32, slack: f64, scale: f64): void {
  if (slack < -kFeasibilityTolerance * scale) {
    const violation = -slack / scale;
    if (violation > worstViolation) {
      worstViolation = violation;
      worstConstraint = constraint;
    }
  }
}

function mostViolated(): i32 {
  const n = qpN;
  const meq = qpMeq;
  let largest: f64 = 0.0;
  for (let index: i32 = 0; index < n; index++) {
    const magnitude = Math.abs(readAt(qpX, index));
    if (magnitude > largest) largest = magnitude;
  }
  const xScale: f64 = largest > 1 ? largest : 1.0;
  worstConstraint = -1;
  worstViolation = 0.0;
  // Every row's G_k x at once (the same sums slackOf would form one by one).
  multiplyRowsVector(qpInequalityMatrix, qpRows, n, qpX, qpRowProducts);
  for (let index: i32 = 0; index < n; index++) {
    const bound = readAt(qpLower, index);
    const constraint = meq + index;
    if (bound != -Infinity && !isActive(constraint)) consider(constraint, readAt(qpX, index) - bound, xScale + Math.abs(bound));
  }
  for (let index: i32 = 0; index < n; index++) {
    const bound = readAt(qpUpper, index);
    const constraint = meq + n + index;
    if (bound != Infinity && !isActive(constraint)) consider(constraint, bound - readAt(qpX, index), xScale + Math.abs(bound));
  }
  const total = sumOfX();
  for (let index: i32 = 0; index < n; index++) {
    const share = readAt(qpLowerShare, index);
    const constraint = meq + 2 * n + index;
    if (share != -Infinity && !isActive(constraint)) consider(constraint, readAt(qpX, index) - share * total, readAt(qpLowerShareNorms, index) * xScale);
  }
  for (let index: i32 = 0; index < n; index++) {
    const share = readAt(qpUpperShare, index);
    const constraint = meq + 3 * n + index;
    if (share != Infinity && !isActive(constraint)) consider(constraint, share * total - readAt(qpX, index), readAt(qpUpperShareNorms, index) * xScale);
  }
  for (let row: i32 = 0; row < qpRows; row++) {
    const constraint = meq + 4 * n + row;
    if (!isActive(constraint)) {
      const target = readAt(qpInequalityTarget, row);
      consider(constraint, readAt(qpRowProducts, row) - target, readAt(qpRowNorms, row) * xScale + Math.abs(target));
    }
  }
  return worstConstraint;
}

function slackOf(constraint: i32): f64 {
  const n = qpN;
  const meq = qpMeq;
  if (constraint < meq) return dot(addressOf(qpEqualityMatrix, constraint * n), qpX, n) - readAt(qpEqualityTarget, constraint);
  if (constraint < meq + n) return readAt(qpX, constraint - meq) - readAt(qpLower, constraint - meq);
  if (constraint < meq + 2 * n) return readAt(qpUpper, constraint - meq - n) - readAt(qpX, constraint - meq - n);
  if (constraint < meq + 3 * n) {
    const index = constraint - meq - 2 * n;
    return readAt(qpX, index) - readAt(qpLowerShare, index) * sumOfX();
  }
  if (constraint < meq + 4 * n) {
    const index = constraint - meq - 3 * n;
    return readAt(qpUpperShare, index) * sumOfX() - readAt(qpX, index);
  }
  const row = constraint - meq - 4 * n;
  return dot(addressOf(qpInequalityMatrix, row * n), qpX, n) - readAt(qpInequalityTarget, row);
}

function computeDirections(constraint: i32): f64 {
  const n = qpN;
  const meq = qpMeq;
  const q = qpQ;
  if (constraint < meq) {
    fillProducts(addressOf(qpEqualityMatrix, constraint * n));
  } else if (constraint < meq + n) {
    const index = constraint - meq;
    for (let j: i32 = 0; j < n; j++) writeAt(qpD, j, readAt(qpJt, j * n + index));
  } else if (constraint < meq + 2 * n) {
    const index = constraint - meq - n;
    for (let j: i32 = 0; j < n; j++) writeAt(qpD, j, -readAt(qpJt, j * n + index));
  } else if (constraint < meq + 3 * n) {
    const index = constraint - meq - 2 * n;
    const share = readAt(qpLowerShare, index);
    for (let j: i32 = 0; j < n; j++) writeAt(qpD, j, readAt(qpJt, j * n + index) - share * readAt(qpOnes, j));
  } else if (constraint < meq + 4 * n) {
    const index = constraint - meq - 3 * n;
    const share = readAt(qpUpperShare, index);
    for (let j: i32 = 0; j < n; j++) writeAt(qpD, j, share * readAt(qpOnes, j) - readAt(qpJt, j * n + index));
  } else {
    fillProducts(addressOf(qpInequalityMatrix, (constraint - meq - 4 * n) * n));
  }
  memory.fill(qpZ, 0, <usize>n << 3);
  for (let j: i32 = q; j < n; j++) axpy(qpZ, addressOf(qpJt, j * n), n, readAt(qpD, j));
  for (let k: i32 = q - 1; k >= 0; k--) {
    let sum = readAt(qpD, k);
    for (let l: i32 = k + 1; l < q; l++) sum = sum - readAt(qpTriangle, k * n + l) * readAt(qpR, l);
    writeAt(qpR, k, sum / readAt(qpTriangle, k * n + k));
  }
  let total: f64 = 0.0;
  for (let j: i32 = 0; j < n; j++) total += readAt(qpD, j) * readAt(qpD, j);
  let independent: f64 = 0.0;
  for (let j: i32 = q; j < n; j++) independent += readAt(qpD, j) * readAt(qpD, j);
  return independent > kDependenceTolerance * total ? independent : -1.0;
}

function takePrimalStep(step: f64): void {
  const n = qpN;
  for (let i: i32 = 0; i < n; i++) writeAt(qpX, i, readAt(qpX, i) + step * readAt(qpZ, i));
  snapActiveBounds();
}

function snapActiveBounds(): void {
  const n = qpN;
  const meq = qpMeq;
  for (let position: i32 = meq; position < qpQ; position++) {
    const constraint = activeAt(position);
    if (constraint < meq + n) writeAt(qpX, constraint - meq, readAt(qpLower, constraint - meq));
    else if (constraint < meq + 2 * n) writeAt(qpX, constraint - meq - n, readAt(qpUpper, constraint - meq - n));
  }
}

function updateMultipliers(step: f64): void {
  for (let position: i32 = 0; position < qpQ; position++) writeAt(qpU, position, readAt(qpU, position) - step * readAt(qpR, position));
}

function addConstraint(constraint: i32, multiplier: f64): void {
  const n = qpN;
  const q = qpQ;
  for (let j: i32 = n - 1; j > q; j--) {
    const first = readAt(qpD, j - 1);
    const second = readAt(qpD, j);
    if (second == 0) continue;
    const hypotenuse = Math.sqrt(first * first + second * second);
    const cosine = first / hypotenuse;
    const sine = second / hypotenuse;
    writeAt(qpD, j - 1, hypotenuse);
    writeAt(qpD, j, 0.0);
    rotateRows(addressOf(qpJt, (j - 1) * n), addressOf(qpJt, j * n), n, cosine, sine);
    rotatePair(qpOnes, j - 1, cosine, sine);
  }
  for (let k: i32 = 0; k <= q; k++) writeAt(qpTriangle, k * n + q, readAt(qpD, k));
  setActiveAt(q, constraint);
  writeAt(qpU, q, multiplier);
  setIsActive(constraint, true);
  qpQ = q + 1;
  qpIterations++;
  snapActiveBounds();
}

function dropConstraint(position: i32): void {
  const n = qpN;
  const q = qpQ;
  setIsActive(activeAt(position), false);
  for (let column: i32 = position; column < q - 1; column++) {
    setActiveAt(column, activeAt(column + 1));
    writeAt(qpU, column, readAt(qpU, column + 1));
    for (let row: i32 = 0; row <= column + 1; row++) writeAt(qpTriangle, row * n + column, readAt(qpTriangle, row * n + column + 1));
  }
  for (let column: i32 = position; column < q - 1; column++) {
    const first = readAt(qpTriangle, column * n + column);
    const second = readAt(qpTriangle, (column + 1) * n + column);
    if (second == 0) continue;
    const hypotenuse = Math.sqrt(first * first + second * second);
    const cosine = first / hypotenuse;
    const sine = second / hypotenuse;
    writeAt(qpTriangle, column * n + column, hypotenuse);
    writeAt(qpTriangle, (column + 1) * n + column, 0.0);
    rotateRows(addressOf(qpTriangle, column * n + column + 1), addressOf(qpTriangle, (column + 1) * n + column + 1), q - 2 - column, cosine, sine);
    rotateRows(addressOf(qpJt, column * n), addressOf(qpJt, (column + 1) * n), n, cosine, sine);
    rotatePair(qpOnes, column, cosine, sine);
  }
  qpQ = q - 1;
  qpIterations++;
}

// ---------------------------------------------------------------------------------------------------
// Risk parity (optimizer-risk-parity.ts).

let rpN: i32 = 0;
let rpCovariance: usize = 0;
let rpBudgets: usize = 0;
let rpX: usize = 0;
let rpProduct: usize = 0;
let rpGradient: usize = 0;
let rpCurvature: usize = 0;
let rpDirection: usize = 0;
let rpDirectionProduct: usize = 0;
let rpFactor: usize = 0;

/** Bytes of scratch riskParity needs for n assets. */
export function riskParityScratchBytes(n: i32): usize {
  return 5 * f64Bytes(n) + f64Bytes(n * n);
}

/**
 * Minimises 1/2 x'Sx - sum b_i ln x_i into x for the covariance and scaled budgets (each >= 1), using
 * `scratch` (riskParityScratchBytes bytes). Returns the status; lastIterations() gives the iterations.
 */
export function riskParity(n: i32, covariance: usize, budgets: usize, iterationsMax: i32, x: usize, scratch: usize): i32 {
  assert(n >= 1 && n <= kAssetsMax);
  rpN = n;
  rpCovariance = covariance;
  rpBudgets = budgets;
  rpX = x;
  rpProduct = scratch;
  rpGradient = rpProduct + f64Bytes(n);
  rpCurvature = rpGradient + f64Bytes(n);
  rpDirection = rpCurvature + f64Bytes(n);
  rpDirectionProduct = rpDirection + f64Bytes(n);
  rpFactor = rpDirectionProduct + f64Bytes(n);
  memory.fill(x, 0, <usize>n << 3);
  qpIterations = 0;
  if (choleskyUpper(covariance, 0, n, rpFactor) >= 0) return kStatusNotPositiveDefinite;
  let budgetSum: f64 = 0.0;
  for (let index: i32 = 0; index < n; index++) budgetSum += readAt(budgets, index);
  startOnInverseVolatility(budgetSum);
  const tolerance = kNewtonDecrementTolerance * Math.sqrt(budgetSum);
  const fullStepDecrement: f64 = 0.95 * ((3.0 - Math.sqrt(5.0)) / 2.0);
  while (qpIterations < iterationsMax) {
    multiplyMatrixVector(covariance, n, x, rpProduct);
    for (let index: i32 = 0; index < n; index++) {
      const value = readAt(x, index);
      const budget = readAt(budgets, index);
      writeAt(rpGradient, index, readAt(rpProduct, index) - budget / value);
      writeAt(rpCurvature, index, budget / (value * value));
    }
    if (choleskyUpper(covariance, rpCurvature, n, rpFactor) >= 0) return kStatusNotPositiveDefinite;
    memory.copy(rpDirection, rpGradient, <usize>n << 3);
    solveWithFactor(rpFactor, n, rpDirection);
    const decrementSquare = dot(rpGradient, rpDirection, n);
    const decrement = Math.sqrt(decrementSquare > 0 ? decrementSquare : 0.0);
    const step: f64 = decrement > fullStepDecrement ? lineSearch(decrement, decrementSquare) : 1.0;
    for (let index: i32 = 0; index < n; index++) writeAt(x, index, readAt(x, index) - step * readAt(rpDirection, index));
    qpIterations++;
    if (decrement <= tolerance) return kStatusOptimal;
  }
  return kStatusIterationLimit;
}

function startOnInverseVolatility(budgetSum: f64): void {
  const n = rpN;
  for (let index: i32 = 0; index < n; index++) {
    writeAt(rpCurvature, index, Math.sqrt(readAt(rpBudgets, index)) / Math.sqrt(readAt(rpCovariance, index * n + index)));
  }
  multiplyMatrixVector(rpCovariance, n, rpCurvature, rpProduct);
  const quadratic = dot(rpCurvature, rpProduct, n);
  const scale = Math.sqrt(budgetSum / quadratic);
  for (let index: i32 = 0; index < n; index++) writeAt(rpX, index, scale * readAt(rpCurvature, index));
}

function lineSearch(decrement: f64, decrementSquare: f64): f64 {
  const n = rpN;
  multiplyMatrixVector(rpCovariance, n, rpDirection, rpDirectionProduct);
  let curvatureAlong: f64 = 0.0;
  let slopeAtZero: f64 = 0.0;
  for (let index: i32 = 0; index < n; index++) {
    curvatureAlong += readAt(rpDirection, index) * readAt(rpDirectionProduct, index);
    slopeAtZero += readAt(rpDirection, index) * readAt(rpProduct, index);
  }
  let upper: f64 = Infinity;
  for (let index: i32 = 0; index < n; index++) {
    if (readAt(rpDirection, index) > 0) {
      const limit = readAt(rpX, index) / readAt(rpDirection, index);
      if (limit < upper) upper = limit;
    }
  }
  let lower: f64 = 0.0;
  let step: f64 = 1.0 / (1.0 + decrement);
  for (let iteration: i32 = 0; iteration < kLineSearchStepsMax; iteration++) {
    let slope = -slopeAtZero + step * curvatureAlong;
    let secondDerivative = curvatureAlong;
    for (let index: i32 = 0; index < n; index++) {
      const change = readAt(rpDirection, index);
      const moved = readAt(rpX, index) - step * change;
      const term = (readAt(rpBudgets, index) * change) / moved;
      slope += term;
      secondDerivative += (term * change) / moved;
    }
    if (slope < 0) lower = step;
    else upper = step;
    if (Math.abs(slope) <= kLineSearchSlopeTolerance * decrementSquare) break;
    let next = step - slope / secondDerivative;
    if (!(next > lower && next < upper)) next = upper == Infinity ? 2.0 * step : (lower + upper) / 2.0;
    step = next;
  }
  return step;
}
