//! Octopus numeric kernels as a Node-API addon (loaded by src/kernels/native-backend.ts).
//!
//! The napi functions stay thin: they borrow the caller's Float64Arrays without copying, check the
//! arguments (the TS facade has already checked them; these checks keep the unsafe code below sound even
//! if something else calls the addon), and run a kernel that writes into the caller's output array.
//! Failures are returned as errors with Status::InvalidArg and a message that starts with the same
//! ERR_KERNEL_* code the TS facade uses, never as panics; `catch_unwind` turns a broken assertion into a
//! JS exception instead of aborting the whole process.

mod indicators;
mod moving_average;
mod optimizer;
mod pair;
mod linalg;
mod risk;
mod stats;

use napi::bindgen_prelude::Float64ArraySlice;
use napi::{Error, Result, Status};
use napi_derive::napi;

/// The EMA block length the addon was built with; the facade refuses an addon that disagrees with
/// kEmaBlockLength in src/kernels/contract.ts, since that would change the rounding.
#[napi(js_name = "emaBlockLength")]
pub fn ema_block_length() -> u32 {
    moving_average::EMA_BLOCK_LENGTH as u32
}

/// Writes the simple moving average of `input` over `period` points into `output` (same length).
/// Errors (Status::InvalidArg): ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_INPUT_TOO_LONG, ERR_KERNEL_BAD_OUTPUT,
/// ERR_KERNEL_ALIASED_OUTPUT.
#[napi(catch_unwind)]
pub fn sma(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    let period = check_arguments(&input, period, &output)?;
    // SAFETY: check_arguments proved the two arrays do not overlap, and JS cannot touch them while this
    // synchronous call runs on its thread.
    let target = unsafe { output.as_mut() };
    moving_average::sma(&input, period, target);
    Ok(())
}

/// Writes the exponential moving average (alpha = 2 / (period + 1)) into `output`. Errors as for `sma`.
#[napi(catch_unwind)]
pub fn ema(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    let period = check_arguments(&input, period, &output)?;
    // SAFETY: as in sma.
    let target = unsafe { output.as_mut() };
    moving_average::ema(&input, period, target);
    Ok(())
}

fn check_arguments(input: &[f64], period: f64, output: &[f64]) -> Result<usize> {
    if !(period >= 1.0 && period.fract() == 0.0 && period <= moving_average::INPUT_LENGTH_MAX as f64) {
        return Err(invalid(format!(
            "ERR_KERNEL_BAD_PERIOD: expected an integer period in 1..={}, was {period}",
            moving_average::INPUT_LENGTH_MAX
        )));
    }
    if input.len() > moving_average::INPUT_LENGTH_MAX {
        return Err(invalid(format!(
            "ERR_KERNEL_INPUT_TOO_LONG: expected at most {} points, was {}",
            moving_average::INPUT_LENGTH_MAX,
            input.len()
        )));
    }
    if output.len() != input.len() {
        return Err(invalid(format!(
            "ERR_KERNEL_BAD_OUTPUT: expected output length {}, was {}",
            input.len(),
            output.len()
        )));
    }
    if overlaps(input, output) {
        return Err(invalid("ERR_KERNEL_ALIASED_OUTPUT: expected output not to share memory with input, was overlapping".to_string()));
    }
    Ok(period as usize)
}

fn overlaps(first: &[f64], second: &[f64]) -> bool {
    if first.is_empty() || second.is_empty() {
        return false;
    }
    let first_range = first.as_ptr_range();
    let second_range = second.as_ptr_range();
    first_range.start < second_range.end && second_range.start < first_range.end
}

fn invalid(message: String) -> Error {
    Error::new(Status::InvalidArg, message)
}
