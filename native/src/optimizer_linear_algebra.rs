//! Dense linear algebra for the portfolio optimiser: Cholesky, the inverse of its transposed factor, the
//! triangular solves and dot products.
//!
//! Every function performs the floating-point operations of src/kernels/optimizer/qp-linear-algebra.ts in
//! the same order, so the results match the TypeScript reference bit for bit; read that file for the
//! algorithms. The innermost loops update independent entries (an "axpy" over a row), which LLVM runs in
//! SSE2 lanes without changing any entry's order of operations. Dot products stay sequential sums from 0;
//! `dot_four` runs four of them side by side (four independent chains, each in its own order).

/// Cholesky pivots must exceed this share of their diagonal entry (kPivotRelativeMin in
/// src/kernels/optimizer/contract.ts).
pub const PIVOT_RELATIVE_MIN: f64 = 1e-12;

/// A = matrix + diag(addend) = U'U with U upper triangular, written into the upper triangle of `factor`.
/// Returns None on success, else the first pivot that fails PIVOT_RELATIVE_MIN (see choleskyUpper).
pub fn cholesky_upper(matrix: &[f64], addend: Option<&[f64]>, n: usize, factor: &mut [f64]) -> Option<usize> {
    assert!(matrix.len() >= n * n);
    assert!(factor.len() >= n * n);
    for row in 0..n {
        let start = row * n;
        factor[start + row..start + n].copy_from_slice(&matrix[start + row..start + n]);
        if let Some(addend) = addend {
            factor[start + row] += addend[row];
        }
    }
    for j in 0..n {
        let row_j = j * n;
        let diagonal = match addend {
            None => matrix[row_j + j],
            Some(addend) => matrix[row_j + j] + addend[j],
        };
        let pivot = factor[row_j + j];
        if !exceeds(pivot, PIVOT_RELATIVE_MIN * diagonal) {
            return Some(j);
        }
        let root = pivot.sqrt();
        factor[row_j + j] = root;
        for value in &mut factor[row_j + j + 1..row_j + n] {
            *value /= root;
        }
        let (head, tail) = factor.split_at_mut(row_j + n);
        let source = &head[row_j..row_j + n];
        for k in j + 1..n {
            let multiplier = source[k];
            let target = &mut tail[(k - j - 1) * n + k..(k - j) * n];
            axpy_negative(target, &source[k..n], multiplier);
        }
    }
    None
}

/// value > threshold; false for NaN, so a NaN pivot fails as the reference's !(pivot > ...) does.
#[inline(always)]
fn exceeds(value: f64, threshold: f64) -> bool {
    value > threshold
}

/// X = L^-1 = (U')^-1 into `inverse` (strict upper triangle zeroed), as invertLowerFromUpper.
pub fn invert_lower_from_upper(factor: &[f64], n: usize, inverse: &mut [f64]) {
    inverse[..n * n].fill(0.0);
    for index in 0..n {
        inverse[index * n + index] = 1.0;
    }
    for j in 0..n {
        let row_j = j * n;
        let diagonal = factor[row_j + j];
        for value in &mut inverse[row_j..row_j + j + 1] {
            *value /= diagonal;
        }
        let (head, tail) = inverse.split_at_mut(row_j + n);
        let source = &head[row_j..row_j + j + 1];
        for i in j + 1..n {
            let multiplier = factor[row_j + i];
            let start = (i - j - 1) * n;
            axpy_negative(&mut tail[start..start + j + 1], source, multiplier);
        }
    }
}

/// Solves U'U x = rhs in place in `solution` (which holds rhs on entry), as solveWithFactor.
pub fn solve_with_factor(factor: &[f64], n: usize, solution: &mut [f64]) {
    for j in 0..n {
        let row_j = j * n;
        let value = solution[j] / factor[row_j + j];
        solution[j] = value;
        let (_, rest) = solution.split_at_mut(j + 1);
        axpy_negative(&mut rest[..n - j - 1], &factor[row_j + j + 1..row_j + n], value);
    }
    for i in (0..n).rev() {
        let row_i = i * n;
        let mut sum = solution[i];
        for j in i + 1..n {
            sum -= factor[row_i + j] * solution[j];
        }
        solution[i] = sum / factor[row_i + i];
    }
}

/// target[i] = target[i] - multiplier * source[i]: independent entries, vectorised by LLVM.
#[inline(always)]
pub fn axpy_negative(target: &mut [f64], source: &[f64], multiplier: f64) {
    for (value, &other) in target.iter_mut().zip(source) {
        *value -= multiplier * other;
    }
}

/// target[i] = target[i] + source[i] * weight.
#[inline(always)]
pub fn axpy(target: &mut [f64], source: &[f64], weight: f64) {
    for (value, &other) in target.iter_mut().zip(source) {
        *value += other * weight;
    }
}

/// sum_i first[i] * second[i], from 0 in ascending order (as dot in the reference).
#[inline(always)]
pub fn dot(first: &[f64], second: &[f64]) -> f64 {
    let mut sum = 0.0_f64;
    for (&a, &b) in first.iter().zip(second) {
        sum += a * b;
    }
    sum
}

/// Four dot products of four rows with the same vector, interleaved: four independent sequential sums,
/// each bit-identical to `dot`, but the CPU overlaps their additions instead of waiting on one chain.
#[inline(always)]
pub fn dot_four(rows: [&[f64]; 4], vector: &[f64]) -> [f64; 4] {
    let length = vector.len();
    let (r0, r1, r2, r3) = (&rows[0][..length], &rows[1][..length], &rows[2][..length], &rows[3][..length]);
    let mut sums = [0.0_f64; 4];
    for index in 0..length {
        let value = vector[index];
        sums[0] += r0[index] * value;
        sums[1] += r1[index] * value;
        sums[2] += r2[index] * value;
        sums[3] += r3[index] * value;
    }
    sums
}

/// product[row] = dot(row of the n x n matrix, vector) for every row (four at a time).
pub fn multiply_matrix_vector(matrix: &[f64], n: usize, vector: &[f64], product: &mut [f64]) {
    multiply_rows_vector(matrix, n, n, vector, product);
}

/// product[row] = dot(row of the rows x n matrix, vector) for every row, four rows at a time: each
/// product is the sequential sum of `dot`, but four independent sums overlap instead of one chain
/// waiting on its own additions.
pub fn multiply_rows_vector(matrix: &[f64], rows: usize, n: usize, vector: &[f64], product: &mut [f64]) {
    let mut row = 0;
    while row + 4 <= rows {
        let rows = [
            &matrix[row * n..(row + 1) * n],
            &matrix[(row + 1) * n..(row + 2) * n],
            &matrix[(row + 2) * n..(row + 3) * n],
            &matrix[(row + 3) * n..(row + 4) * n],
        ];
        product[row..row + 4].copy_from_slice(&dot_four(rows, &vector[..n]));
        row += 4;
    }
    while row < rows {
        product[row] = dot(&matrix[row * n..(row + 1) * n], &vector[..n]);
        row += 1;
    }
}
