/**
 * Dense linear algebra for the optimiser's reference backend: a Cholesky factorisation, the inverse of its
 * transposed factor, and the triangular solves. Matrices are n x n, row-major, in Float64Arrays.
 *
 * These loops fix the order of every floating-point operation, and the WASM (asm/optimizer.ts) and Rust
 * (native/src/optimizer_linear_algebra.rs) backends perform the same operations in the same order, so the
 * three agree to the last bit. The loops are written so that the innermost one updates independent entries
 * (an "axpy"), which the compiled backends run in SIMD lanes without changing any entry's order of
 * operations; where an entry is a sum, it is accumulated from 0 (or from its starting value) in ascending
 * index order, one rounded product and one rounded addition at a time (no fused multiply-add).
 *
 * Why not the stats module's cholesky (src/kernels/stats/linalg.ts): the compiled optimiser backends
 * must reproduce these exact loops, and the optimiser needs the factor in this layout.
 */
import { kPivotRelativeMin } from './contract.js';

/**
 * Factorises A = U'U with U upper triangular (U = L', the transpose of the usual lower Cholesky factor),
 * for A = matrix + diag(addend) (addend may be null). Reads only the upper triangle of `matrix`; writes U
 * into the upper triangle of `factor` (its strict lower triangle is left as it was).
 *
 * Right-looking ("outer product") order: after row j of U is final, every later row k is updated,
 * factor[k][i] -= U[j][k] * U[j][i] for i >= k. So each entry receives its updates for j = 0, 1, ... in
 * order, which is also the order of the textbook dot product sum_{j<k} U[j][k] U[j][i]: the loop nest is a
 * free choice, the arithmetic is not.
 *
 * Returns -1 on success, else the index of the first pivot that is not above kPivotRelativeMin times its
 * diagonal entry (or is NaN): A is then not positive definite to working precision.
 */
export function choleskyUpper(matrix: Float64Array, addend: Float64Array | null, n: number, factor: Float64Array): number {
  for (let row = 0; row < n; row++) {
    const start = row * n;
    for (let column = row; column < n; column++) factor[start + column] = matrix[start + column]!;
    if (addend !== null) factor[start + row] = factor[start + row]! + addend[row]!;
  }
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    const diagonal = addend === null ? matrix[rowJ + j]! : matrix[rowJ + j]! + addend[j]!;
    const pivot = factor[rowJ + j]!;
    if (!(pivot > kPivotRelativeMin * diagonal)) return j;
    const root = Math.sqrt(pivot);
    factor[rowJ + j] = root;
    for (let i = j + 1; i < n; i++) factor[rowJ + i] = factor[rowJ + i]! / root;
    for (let k = j + 1; k < n; k++) {
      const multiplier = factor[rowJ + k]!;
      const rowK = k * n;
      for (let i = k; i < n; i++) factor[rowK + i] = factor[rowK + i]! - multiplier * factor[rowJ + i]!;
    }
  }
  return -1;
}

/**
 * Writes X = L^-1 = (U')^-1 (lower triangular) into `inverse`, for the factor U of choleskyUpper; the
 * strict upper triangle of `inverse` is set to 0.
 *
 * Forward substitution on L X = I run as row operations: row j of X is divided by L[j][j] = U[j][j] once
 * it has received all its updates, then subtracted, times L[i][j] = U[j][i], from every later row i. Entry
 * X[i][k] therefore starts at delta_ik, receives -L[i][j] X[j][k] for j = k .. i-1 in order, and is then
 * divided by L[i][i]: exactly the textbook (delta_ik - sum_j L[i][j] X[j][k]) / L[i][i].
 */
export function invertLowerFromUpper(factor: Float64Array, n: number, inverse: Float64Array): void {
  inverse.fill(0, 0, n * n);
  for (let index = 0; index < n; index++) inverse[index * n + index] = 1;
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    const diagonal = factor[rowJ + j]!;
    for (let k = 0; k <= j; k++) inverse[rowJ + k] = inverse[rowJ + k]! / diagonal;
    for (let i = j + 1; i < n; i++) {
      const multiplier = factor[rowJ + i]!;
      const rowI = i * n;
      for (let k = 0; k <= j; k++) inverse[rowI + k] = inverse[rowI + k]! - multiplier * inverse[rowJ + k]!;
    }
  }
}

/**
 * Solves U'U x = rhs for the factor U of choleskyUpper: forward substitution with U' (as row operations,
 * like invertLowerFromUpper), then back substitution with U (each x[i] a dot product, summed in ascending
 * index order). `solution` may be `rhs` itself.
 */
export function solveWithFactor(factor: Float64Array, n: number, rhs: Float64Array, solution: Float64Array): void {
  if (solution !== rhs) for (let index = 0; index < n; index++) solution[index] = rhs[index]!;
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    const value = solution[j]! / factor[rowJ + j]!;
    solution[j] = value;
    for (let i = j + 1; i < n; i++) solution[i] = solution[i]! - factor[rowJ + i]! * value;
  }
  for (let i = n - 1; i >= 0; i--) {
    const rowI = i * n;
    let sum = solution[i]!;
    for (let j = i + 1; j < n; j++) sum = sum - factor[rowI + j]! * solution[j]!;
    solution[i] = sum / factor[rowI + i]!;
  }
}

/** sum_i first[firstStart + i] * second[secondStart + i] for i in 0..length-1, from 0 in ascending order. */
export function dot(first: Float64Array, firstStart: number, second: Float64Array, secondStart: number, length: number): number {
  let sum = 0;
  for (let index = 0; index < length; index++) sum += first[firstStart + index]! * second[secondStart + index]!;
  return sum;
}

/** product[i] = row i of the n x n `matrix` dotted with `vector` (each summed as in `dot`). */
export function multiplyMatrixVector(matrix: Float64Array, n: number, vector: Float64Array, product: Float64Array): void {
  for (let row = 0; row < n; row++) product[row] = dot(matrix, row * n, vector, 0, n);
}
