/**
 * Reference linear algebra for the risk kernels, in plain TypeScript: Cholesky, the symmetric eigenvalue
 * decomposition, and nearest positive definite repair.
 *
 * `choleskyUnchecked` defines the factor bit for bit: the WASM (asm/risk.ts) and Rust
 * (native/src/linalg.rs) kernels perform the same floating-point operations in the same order, so all
 * three agree to the last bit. The eigenvalue decomposition and the repair run only in TS; they are the
 * rare path (a matrix that failed Cholesky) and need not be fast.
 *
 * Matrices are Float64Arrays of n x n values, row-major (matrix[i * n + j]).
 */
import { kernelError, describeValue } from '../errors.js';
import { checkSquareMatrix, checkSymmetric, kPivotRelativeMin } from './contract.js';

export interface CholeskyOptions {
  /**
   * When the matrix is not positive definite, factor its nearest positive definite matrix instead
   * (nearestPositiveDefinite with its defaults: Higham 2002 on the correlation, variances kept) rather
   * than throw. Default false.
   */
  repair?: boolean;
}

/**
 * Cholesky factor L of a symmetric positive definite matrix A = L L^T: lower-triangular, row-major, zeros
 * above the diagonal. Reads the lower triangle of A (after checking that A is symmetric).
 *
 * A pivot (A[j][j] minus the squares of row j of L so far) must exceed kPivotRelativeMin = 1e-12 times
 * A[j][j]; otherwise A is not positive definite to working precision.
 *
 * @throws KernelError ERR_KERNEL_NOT_POSITIVE_DEFINITE naming the failing pivot index (unless
 *   options.repair); ERR_KERNEL_BAD_INPUT, ERR_KERNEL_BAD_DIMENSIONS, ERR_KERNEL_NOT_FINITE,
 *   ERR_KERNEL_NOT_SYMMETRIC for bad arguments; with repair, whatever nearestPositiveDefinite throws.
 */
export function cholesky(matrix: Float64Array, n: number, options?: CholeskyOptions): Float64Array {
  checkSquareMatrix(matrix, n);
  checkSymmetric(matrix, n);
  const repair = resolveRepair(options);
  const factor = new Float64Array(n * n);
  const failedPivot = choleskyUnchecked(matrix, n, factor);
  if (failedPivot < 0) return factor;
  if (!repair) throw notPositiveDefinite(matrix, n, factor, failedPivot);
  const repaired = nearestPositiveDefinite(matrix, n);
  factor.fill(0);
  const failedAgain = choleskyUnchecked(repaired, n, factor);
  if (failedAgain >= 0) throw notPositiveDefinite(repaired, n, factor, failedAgain);
  return factor;
}

/** @throws KernelError ERR_KERNEL_BAD_OPTION for options that are not an object or a repair that is not boolean. */
export function resolveRepair(options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'options to be an object or undefined', describeValue(options));
  }
  const repair = (options as { repair?: unknown }).repair ?? false;
  if (typeof repair !== 'boolean') throw kernelError('ERR_KERNEL_BAD_OPTION', 'repair to be a boolean', describeValue(repair));
  return repair;
}

/**
 * The error for a failed pivot. The kernels leave the failing pivot's value in the factor's diagonal
 * slot, so the message can say how far from positive it was.
 */
export function notPositiveDefinite(matrix: Float64Array, n: number, factor: Float64Array, pivot: number): Error {
  const diagonal = matrix[pivot * n + pivot]!;
  const value = factor[pivot * n + pivot]!;
  return kernelError(
    'ERR_KERNEL_NOT_POSITIVE_DEFINITE',
    `a positive definite matrix (every Cholesky pivot > ${kPivotRelativeMin} x its diagonal entry)`,
    `pivot ${pivot} = ${value} with diagonal ${diagonal} (pass { repair: true } to factor the nearest positive definite matrix)`,
  );
}

/**
 * Cholesky-Banachiewicz, row by row, without argument checks: for each row i and column j <= i,
 *   s = A[i][j] - sum_{k < j} L[i][k] * L[j][k]   (k ascending, one subtraction at a time)
 *   L[i][j] = s / L[j][j] for j < i,  L[i][i] = sqrt(s).
 * Writes the lower triangle of `factor` (the caller zeroes the rest). Returns -1 on success, else the
 * index j of the first pivot s that is not > kPivotRelativeMin * A[j][j] (NaN included), with s left in
 * factor[j][j]. Row i's pivot comes last in row i, so the first failing pivot is the smallest such j.
 */
export function choleskyUnchecked(matrix: Float64Array, n: number, factor: Float64Array): number {
  for (let row = 0; row < n; row++) {
    const rowBase = row * n;
    for (let column = 0; column < row; column++) {
      const columnBase = column * n;
      let sum = matrix[rowBase + column]!;
      for (let k = 0; k < column; k++) sum -= factor[rowBase + k]! * factor[columnBase + k]!;
      factor[rowBase + column] = sum / factor[columnBase + column]!;
    }
    let pivot = matrix[rowBase + row]!;
    for (let k = 0; k < row; k++) pivot -= factor[rowBase + k]! * factor[rowBase + k]!;
    if (!(pivot > kPivotRelativeMin * matrix[rowBase + row]!)) {
      factor[rowBase + row] = pivot;
      return row;
    }
    factor[rowBase + row] = Math.sqrt(pivot);
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------
// Symmetric eigenvalue decomposition

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  values: Float64Array;
  /** Eigenvectors as the columns of an n x n row-major matrix: vectors[i * n + k] is component i of vector k. */
  vectors: Float64Array;
}

/** Iterations of the implicit QL step per eigenvalue before giving up (EISPACK allows 30; we allow more). */
const kQlIterationsMax = 60;

/**
 * Eigenvalues and eigenvectors of a symmetric matrix (lower triangle read): Householder reduction to
 * tridiagonal form, then the implicit QL method. This is the EISPACK pair tred2/tql2 (Bowdler, Martin,
 * Reinsch and Wilkinson, Numer. Math. 11, 1968; Wilkinson and Reinsch, Handbook for Automatic Computation
 * II, 1971) as transcribed in the public-domain JAMA library (NIST/MathWorks, 1998). O(n^3).
 * @throws KernelError ERR_KERNEL_NO_CONVERGENCE if an eigenvalue needs more than 60 QL iterations.
 */
export function symmetricEigen(matrix: Float64Array, n: number): SymmetricEigen {
  const vectors = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column <= row; column++) {
      const value = matrix[row * n + column]!;
      vectors[row * n + column] = value;
      vectors[column * n + row] = value;
    }
  }
  const values = new Float64Array(n);
  const offDiagonal = new Float64Array(n);
  householderTridiagonal(vectors, n, values, offDiagonal);
  implicitQl(vectors, n, values, offDiagonal);
  sortEigenpairs(vectors, n, values);
  return { values, vectors };
}

/** JAMA tred2: V holds the matrix on entry and the orthogonal transformation on exit; d, e the tridiagonal. */
function householderTridiagonal(V: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j]!;
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]!);
    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] = d[k]! / scale;
        h += d[k]! * d[k]!;
      }
      let f = d[i - 1]!;
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        V[j * n + i] = f;
        g = e[j]! + V[j * n + j]! * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j]! * d[k]!;
          e[k] = e[k]! + V[k * n + j]! * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] = e[j]! / h;
        f += e[j]! * d[j]!;
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
      for (let j = 0; j < i; j++) {
        f = d[j]!;
        g = e[j]!;
        for (let k = j; k <= i - 1; k++) V[k * n + j] = V[k * n + j]! - (f * e[k]! + g * d[k]!);
        d[j] = V[(i - 1) * n + j]!;
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i]!;
    V[i * n + i] = 1;
    const h = d[i + 1]!;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1]! / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1]! * V[k * n + j]!;
        for (let k = 0; k <= i; k++) V[k * n + j] = V[k * n + j]! - g * d[k]!;
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j]!;
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** JAMA tql2: diagonalises the tridiagonal (d, e), accumulating the rotations into V. */
function implicitQl(V: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]!;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > kQlIterationsMax) {
          throw kernelError('ERR_KERNEL_NO_CONVERGENCE', `eigenvalue ${l} to converge within ${kQlIterationsMax} QL iterations`, 'not converged');
        }
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          for (let k = 0; k < n; k++) {
            h = V[k * n + i + 1]!;
            V[k * n + i + 1] = s * V[k * n + i]! + c * h;
            V[k * n + i] = c * V[k * n + i]! - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/** Selection sort of the eigenvalues, ascending, moving the vector columns along (n is small). */
function sortEigenpairs(V: Float64Array, n: number, d: Float64Array): void {
  for (let i = 0; i < n - 1; i++) {
    let smallest = i;
    for (let j = i + 1; j < n; j++) if (d[j]! < d[smallest]!) smallest = j;
    if (smallest === i) continue;
    const value = d[i]!;
    d[i] = d[smallest]!;
    d[smallest] = value;
    for (let k = 0; k < n; k++) {
      const component = V[k * n + i]!;
      V[k * n + i] = V[k * n + smallest]!;
      V[k * n + smallest] = component;
    }
  }
}

/** V diag(values) V^T, exactly symmetric (the upper triangle is mirrored from the lower). */
export function fromEigen(vectors: Float64Array, values: Float64Array, n: number): Float64Array {
  const result = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column <= row; column++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += vectors[row * n + k]! * values[k]! * vectors[column * n + k]!;
      result[row * n + column] = sum;
      result[column * n + row] = sum;
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Nearest positive definite matrix

export type RepairMethod = 'higham' | 'clip';

export interface NearestPositiveDefiniteOptions {
  /**
   * 'higham' (default): Higham's alternating projections with Dykstra's correction (N. J. Higham,
   * "Computing the nearest correlation matrix - a problem from finance", IMA J. Numer. Anal. 22, 2002,
   * algorithm 3.3, unit weights) applied to the correlation matrix D^-1/2 A D^-1/2, then eigenvalues
   * floored and the variances D put back: the variances are kept and only the correlations move.
   * Falls back to 'clip' when a diagonal entry is not positive (there is no correlation to repair).
   * 'clip': the nearest symmetric positive semidefinite matrix in the Frobenius norm (N. J. Higham,
   * "Computing a nearest symmetric positive semidefinite matrix", Linear Algebra Appl. 103, 1988):
   * eigenvalues below the floor are raised to it. Variances may change.
   */
  method?: RepairMethod;
  /**
   * The smallest eigenvalue of the result: absolute on the correlation scale for 'higham', relative to
   * the largest eigenvalue for 'clip'. Default 1e-8, far enough above kPivotRelativeMin that the result
   * factors. Must be in (0, 0.1].
   */
  eigenvalueFloor?: number;
  /** Higham iterations at most (default 200). */
  iterationsMax?: number;
  /** Higham stopping tolerance on the relative change of the iterates (default 1e-10). */
  tolerance?: number;
}

interface ResolvedRepairOptions {
  method: RepairMethod;
  eigenvalueFloor: number;
  iterationsMax: number;
  tolerance: number;
}

/** @throws KernelError ERR_KERNEL_BAD_OPTION. */
function resolveRepairOptions(options: unknown): ResolvedRepairOptions {
  const resolved: ResolvedRepairOptions = { method: 'higham', eigenvalueFloor: 1e-8, iterationsMax: 200, tolerance: 1e-10 };
  if (options === undefined) return resolved;
  if (typeof options !== 'object' || options === null) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'options to be an object or undefined', describeValue(options));
  }
  const given = options as Record<string, unknown>;
  const { method = resolved.method, eigenvalueFloor = resolved.eigenvalueFloor } = given;
  const { iterationsMax = resolved.iterationsMax, tolerance = resolved.tolerance } = given;
  if (method !== 'higham' && method !== 'clip') throw kernelError('ERR_KERNEL_BAD_OPTION', "method 'higham' or 'clip'", describeValue(method));
  if (typeof eigenvalueFloor !== 'number' || !(eigenvalueFloor > 0 && eigenvalueFloor <= 0.1)) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'eigenvalueFloor in (0, 0.1]', describeValue(eigenvalueFloor));
  }
  if (typeof iterationsMax !== 'number' || !Number.isSafeInteger(iterationsMax) || iterationsMax < 1 || iterationsMax > 10_000) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'iterationsMax an integer in 1..10000', describeValue(iterationsMax));
  }
  if (typeof tolerance !== 'number' || !(tolerance > 0 && tolerance < 1)) {
    throw kernelError('ERR_KERNEL_BAD_OPTION', 'tolerance in (0, 1)', describeValue(tolerance));
  }
  return { method, eigenvalueFloor, iterationsMax, tolerance };
}

/**
 * A symmetric positive definite matrix near `matrix` (see NearestPositiveDefiniteOptions for the two
 * methods). The input must be symmetric; it is not modified. The result is exactly symmetric and its
 * smallest eigenvalue is about the floor, so `cholesky` accepts it.
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_BAD_DIMENSIONS, ERR_KERNEL_NOT_FINITE,
 *   ERR_KERNEL_NOT_SYMMETRIC, ERR_KERNEL_BAD_OPTION; ERR_KERNEL_NOT_POSITIVE_DEFINITE when no eigenvalue
 *   is positive (nothing to scale a floor by); ERR_KERNEL_NO_CONVERGENCE.
 */
export function nearestPositiveDefinite(matrix: Float64Array, n: number, options?: NearestPositiveDefiniteOptions): Float64Array {
  checkSquareMatrix(matrix, n);
  checkSymmetric(matrix, n);
  const resolved = resolveRepairOptions(options);
  let hasPositiveDiagonal = true;
  for (let i = 0; i < n; i++) if (!(matrix[i * n + i]! > 0)) hasPositiveDiagonal = false;
  if (resolved.method === 'clip' || !hasPositiveDiagonal) return clipEigenvalues(matrix, n, resolved.eigenvalueFloor);
  return highamRepair(matrix, n, resolved);
}

function clipEigenvalues(matrix: Float64Array, n: number, relativeFloor: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n);
  const largest = values[n - 1]!;
  if (!(largest > 0)) {
    throw kernelError('ERR_KERNEL_NOT_POSITIVE_DEFINITE', 'a matrix with at least one positive eigenvalue to repair', `largest eigenvalue ${largest}`);
  }
  const floor = relativeFloor * largest;
  for (let k = 0; k < n; k++) values[k] = Math.max(values[k]!, floor);
  return fromEigen(vectors, values, n);
}

function highamRepair(matrix: Float64Array, n: number, options: ResolvedRepairOptions): Float64Array {
  const deviations = new Float64Array(n);
  for (let i = 0; i < n; i++) deviations[i] = Math.sqrt(matrix[i * n + i]!);
  const correlation = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) correlation[i * n + j] = i === j ? 1 : matrix[i * n + j]! / (deviations[i]! * deviations[j]!);
  }
  const nearest = nearestCorrelation(correlation, n, options);
  // Floor the eigenvalues (the projections leave the smallest at about zero) and restore the unit diagonal.
  const { values, vectors } = symmetricEigen(nearest, n);
  for (let k = 0; k < n; k++) values[k] = Math.max(values[k]!, options.eigenvalueFloor);
  const floored = fromEigen(vectors, values, n);
  const result = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const unitDiagonal = floored[i * n + j]! / Math.sqrt(floored[i * n + i]! * floored[j * n + j]!);
      result[i * n + j] = i === j ? matrix[i * n + i]! : unitDiagonal * deviations[i]! * deviations[j]!;
    }
  }
  // The products above are symmetric by construction, but mirror anyway so the result is exactly so.
  for (let i = 1; i < n; i++) for (let j = 0; j < i; j++) result[j * n + i] = result[i * n + j]!;
  return result;
}

/**
 * Higham (2002) algorithm 3.3 with W = I: alternate the projection onto the positive semidefinite cone
 * (with Dykstra's correction) and onto the unit-diagonal matrices until the iterates stop moving.
 */
function nearestCorrelation(correlation: Float64Array, n: number, options: ResolvedRepairOptions): Float64Array {
  let unitDiagonal: Float64Array = correlation.slice();
  let semidefinite: Float64Array = correlation.slice();
  const correction = new Float64Array(n * n);
  for (let iteration = 0; iteration < options.iterationsMax; iteration++) {
    const shifted = new Float64Array(n * n);
    for (let k = 0; k < n * n; k++) shifted[k] = unitDiagonal[k]! - correction[k]!;
    const { values, vectors } = symmetricEigen(shifted, n);
    for (let k = 0; k < n; k++) values[k] = Math.max(values[k]!, 0);
    const projected = fromEigen(vectors, values, n);
    for (let k = 0; k < n * n; k++) correction[k] = projected[k]! - shifted[k]!;
    const next = projected.slice();
    for (let i = 0; i < n; i++) next[i * n + i] = 1;
    const moved = Math.max(
      relativeDistance(projected, semidefinite),
      relativeDistance(next, unitDiagonal),
      relativeDistance(next, projected),
    );
    semidefinite = projected;
    unitDiagonal = next;
    if (moved <= options.tolerance) return unitDiagonal;
  }
  throw kernelError(
    'ERR_KERNEL_NO_CONVERGENCE',
    `Higham's projections to converge to ${options.tolerance} within ${options.iterationsMax} iterations`,
    'not converged',
  );
}

/** ||a - b||_F / ||a||_F (0 when both are zero). */
function relativeDistance(a: Float64Array, b: Float64Array): number {
  let difference = 0;
  let norm = 0;
  for (let k = 0; k < a.length; k++) {
    difference += (a[k]! - b[k]!) ** 2;
    norm += a[k]! ** 2;
  }
  return norm === 0 ? Math.sqrt(difference) : Math.sqrt(difference / norm);
}
