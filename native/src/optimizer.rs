//! The portfolio optimiser's napi entry points (loaded by src/kernels/optimizer/backends.ts).
//!
//! Thin, like lib.rs: borrow the caller's Float64Arrays, check sizes again (the TS facade has checked
//! them; these checks keep the slicing below in bounds whatever calls the addon), run the solver, write
//! into the caller's output arrays. Numeric outcomes (infeasible, not positive definite, iteration limit)
//! are statuses in the report, not errors; errors are for arguments that break the contract, returned
//! with Status::InvalidArg and an ERR_KERNEL_* message.

#[path = "optimizer_linear_algebra.rs"]
mod linear_algebra;
#[path = "optimizer_qp.rs"]
mod qp;
#[path = "optimizer_risk_parity.rs"]
mod risk_parity;

use crate::arguments::{any_overlap, invalid as invalid_argument};
use napi::bindgen_prelude::Float64ArraySlice;
use napi::{Error, Result};
use napi_derive::napi;

/// kOptimizerAlgorithmVersion in src/kernels/optimizer/contract.ts; the facade refuses a mismatch.
const ALGORITHM_VERSION: u32 = 2;
/// kAssetsMax and kConstraintRowsMax in src/kernels/optimizer/contract.ts.
const ASSETS_MAX: usize = 1_000;
const CONSTRAINT_ROWS_MAX: usize = 2 * ASSETS_MAX + 8;

/// What a solve ended with: status (0 optimal, 1 infeasible, 2 not positive definite, 3 iteration limit)
/// and the iterations taken.
#[napi(object)]
pub struct OptimizerReport {
    pub status: u32,
    pub iterations: u32,
}

#[napi]
pub fn optimizer_version() -> u32 {
    ALGORITHM_VERSION
}

/// Solves the quadratic program into `x` (n) and `multipliers` (meq + 4n + mrow).
/// Errors (Status::InvalidArg): ERR_KERNEL_BAD_INPUT for sizes that do not match or outputs that overlap.
#[allow(clippy::too_many_arguments)]
#[napi(catch_unwind)]
pub fn optimizer_solve_qp(
    variables: u32,
    equality_count: u32,
    inequality_count: u32,
    hessian: Float64ArraySlice,
    linear: Float64ArraySlice,
    equality_matrix: Float64ArraySlice,
    equality_target: Float64ArraySlice,
    inequality_matrix: Float64ArraySlice,
    inequality_target: Float64ArraySlice,
    lower: Float64ArraySlice,
    upper: Float64ArraySlice,
    lower_share: Float64ArraySlice,
    upper_share: Float64ArraySlice,
    iterations_max: u32,
    mut x: Float64ArraySlice,
    mut multipliers: Float64ArraySlice,
) -> Result<OptimizerReport> {
    let n = variables as usize;
    let meq = equality_count as usize;
    let mrow = inequality_count as usize;
    if !(1..=ASSETS_MAX).contains(&n) || meq > CONSTRAINT_ROWS_MAX || mrow > CONSTRAINT_ROWS_MAX {
        return Err(invalid(format!("expected 1..={ASSETS_MAX} variables and at most {CONSTRAINT_ROWS_MAX} rows, was {n}, {meq}, {mrow}")));
    }
    check_length("hessian", &hessian, n * n)?;
    check_length("linear", &linear, n)?;
    check_length("equalityMatrix", &equality_matrix, meq * n)?;
    check_length("equalityTarget", &equality_target, meq)?;
    check_length("inequalityMatrix", &inequality_matrix, mrow * n)?;
    check_length("inequalityTarget", &inequality_target, mrow)?;
    check_length("lower", &lower, n)?;
    check_length("upper", &upper, n)?;
    check_length("lowerShare", &lower_share, n)?;
    check_length("upperShare", &upper_share, n)?;
    check_length("x", &x, n)?;
    check_length("multipliers", &multipliers, meq + 4 * n + mrow)?;
    let inputs: [&[f64]; 10] = [
        &hessian,
        &linear,
        &equality_matrix,
        &equality_target,
        &inequality_matrix,
        &inequality_target,
        &lower,
        &upper,
        &lower_share,
        &upper_share,
    ];
    check_outputs(&[&x, &multipliers], &inputs)?;
    let program = qp::Program {
        n,
        hessian: &hessian,
        linear: &linear,
        equality_count: meq,
        equality_matrix: &equality_matrix,
        equality_target: &equality_target,
        inequality_count: mrow,
        inequality_matrix: &inequality_matrix,
        inequality_target: &inequality_target,
        lower: &lower,
        upper: &upper,
        lower_share: &lower_share,
        upper_share: &upper_share,
    };
    // SAFETY: check_outputs proved that neither output overlaps the other or any input, and JS cannot touch
    // the arrays while this synchronous call runs on its thread.
    let (x, multipliers) = unsafe { (x.as_mut(), multipliers.as_mut()) };
    let (status, iterations) = qp::solve(&program, iterations_max, x, multipliers);
    Ok(OptimizerReport { status, iterations })
}

/// Spinu's risk parity into `x` (n) for the covariance (n x n) and scaled budgets (n, each >= 1).
/// Errors (Status::InvalidArg): ERR_KERNEL_BAD_INPUT for sizes that do not match or an overlapping output.
#[napi(catch_unwind)]
pub fn optimizer_risk_parity(
    assets: u32,
    covariance: Float64ArraySlice,
    budgets: Float64ArraySlice,
    iterations_max: u32,
    mut x: Float64ArraySlice,
) -> Result<OptimizerReport> {
    let n = assets as usize;
    if !(1..=ASSETS_MAX).contains(&n) {
        return Err(invalid(format!("expected 1..={ASSETS_MAX} assets, was {n}")));
    }
    check_length("covariance", &covariance, n * n)?;
    check_length("budgets", &budgets, n)?;
    check_length("x", &x, n)?;
    check_outputs(&[&x], &[&covariance, &budgets])?;
    if budgets.iter().any(|&budget| !(budget >= 1.0 && budget.is_finite())) {
        return Err(invalid("expected scaled budgets >= 1, was one below 1 or not finite".to_string()));
    }
    // SAFETY: as in optimizer_solve_qp.
    let x = unsafe { x.as_mut() };
    let (status, iterations) = risk_parity::solve(&covariance, n, &budgets, iterations_max, x);
    Ok(OptimizerReport { status, iterations })
}

fn check_length(label: &str, values: &[f64], length: usize) -> Result<()> {
    if values.len() != length {
        return Err(invalid(format!("expected {label} of length {length}, was {}", values.len())));
    }
    Ok(())
}

/// Each output must overlap neither another output nor any input.
fn check_outputs(outputs: &[&[f64]], inputs: &[&[f64]]) -> Result<()> {
    if any_overlap(outputs, inputs) {
        return Err(invalid("expected outputs that share no memory with other arguments, was overlapping".to_string()));
    }
    Ok(())
}

/// Every optimiser argument error is ERR_KERNEL_BAD_INPUT.
fn invalid(message: String) -> Error {
    invalid_argument(format!("ERR_KERNEL_BAD_INPUT: {message}"))
}
