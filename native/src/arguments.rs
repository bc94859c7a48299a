//! The argument checks every napi function shares (lib.rs explains why the addon checks again what the
//! TS facade has checked). Errors are `Status::InvalidArg` with a message that starts with the same
//! ERR_KERNEL_* code the TS side uses and reads "expected X, was Y".

use crate::moving_average::INPUT_LENGTH_MAX;
use napi::{Error, Result, Status};

/// An argument error; `message` starts with its ERR_KERNEL_* code.
pub fn invalid(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}

/// True when the two slices share at least one element. Empty slices overlap nothing.
pub fn overlaps(first: &[f64], second: &[f64]) -> bool {
    if first.is_empty() || second.is_empty() {
        return false;
    }
    let first_range = first.as_ptr_range();
    let second_range = second.as_ptr_range();
    first_range.start < second_range.end && second_range.start < first_range.end
}

/// True when an output shares memory with an input or with another output: the kernels read ahead of
/// where they write, and the unsafe `as_mut` borrows are sound only for disjoint outputs.
pub fn any_overlap(outputs: &[&[f64]], inputs: &[&[f64]]) -> bool {
    outputs.iter().enumerate().any(|(index, output)| inputs.iter().chain(&outputs[..index]).any(|other| overlaps(output, other)))
}

/// A period: an integer in 1..=INPUT_LENGTH_MAX (longer than the series gives all NaN). Errors:
/// ERR_KERNEL_BAD_PERIOD naming the parameter.
pub fn check_period(period: f64, name: &str) -> Result<usize> {
    if !(period >= 1.0 && period.fract() == 0.0 && period <= INPUT_LENGTH_MAX as f64) {
        return Err(invalid(format!("ERR_KERNEL_BAD_PERIOD: expected {name} to be an integer in 1..={INPUT_LENGTH_MAX}, was {period}")));
    }
    Ok(period as usize)
}
