//! Cholesky factorisation in Rust: the same operations, in the same order, as `choleskyUnchecked` in
//! src/kernels/stats/linalg.ts (Cholesky-Banachiewicz, row by row, each sum taken left to right), so
//! the factor is the reference's bit for bit. The napi entry point is in stats.rs.

// `!(pivot > threshold)` is deliberate: a NaN pivot must fail too.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

/// As kPivotRelativeMin in src/kernels/stats/contract.ts.
pub const PIVOT_RELATIVE_MIN: f64 = 1e-12;

/// Writes the lower triangle of L into `factor` (zeroed by the caller). Returns -1 on success, else the
/// first pivot index j whose value s is not > PIVOT_RELATIVE_MIN * A[j][j] (NaN included), with s left in
/// factor[j][j].
pub fn cholesky(matrix: &[f64], n: usize, factor: &mut [f64]) -> i32 {
    assert!(matrix.len() == n * n);
    assert!(factor.len() == n * n);
    for row in 0..n {
        let row_base = row * n;
        for column in 0..row {
            let column_base = column * n;
            let mut sum = matrix[row_base + column];
            let (row_part, column_part) = (&factor[row_base..row_base + column], &factor[column_base..column_base + column]);
            for k in 0..column {
                sum -= row_part[k] * column_part[k];
            }
            factor[row_base + column] = sum / factor[column_base + column];
        }
        let mut pivot = matrix[row_base + row];
        let row_part = &factor[row_base..row_base + row];
        for value in row_part {
            pivot -= value * value;
        }
        if !(pivot > PIVOT_RELATIVE_MIN * matrix[row_base + row]) {
            factor[row_base + row] = pivot;
            return row as i32;
        }
        factor[row_base + row] = pivot.sqrt();
    }
    -1
}
