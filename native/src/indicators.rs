//! The indicator primitives as thin napi functions (loaded by src/kernels/indicators/compiled-primitives.ts).
//!
//! As lib.rs says: each function borrows the caller's Float64Arrays, checks the arguments again (so the
//! kernels' slicing stays sound whoever calls the addon), and writes into the caller's output arrays.
//! Failures are errors with Status::InvalidArg and an ERR_KERNEL_* message; `catch_unwind` turns a
//! broken assertion into a JS exception. The kernels are in indicators_kernels.rs.

#[path = "indicators_kernels.rs"]
mod kernels;

use crate::arguments::{any_overlap, check_period, invalid};
use crate::moving_average::INPUT_LENGTH_MAX;
use napi::bindgen_prelude::Float64ArraySlice;
use napi::Result;
use napi_derive::napi;

/// The version of the indicator exports; src/kernels/indicators/compiled-primitives.ts refuses an addon
/// that reports another (a stale build).
#[napi]
pub fn indicator_version() -> u32 {
    1
}

/// Every array of one length, at most INPUT_LENGTH_MAX, and no output sharing memory with an input or
/// another output.
fn check_arrays(inputs: &[&[f64]], outputs: &[&[f64]]) -> Result<()> {
    let length = inputs[0].len();
    if length > INPUT_LENGTH_MAX {
        return Err(invalid(format!("ERR_KERNEL_INPUT_TOO_LONG: expected at most {INPUT_LENGTH_MAX} points, was {length}")));
    }
    for array in inputs.iter().chain(outputs) {
        if array.len() != length {
            return Err(invalid(format!("ERR_KERNEL_BAD_INPUT: expected equal lengths {length}, was {}", array.len())));
        }
    }
    if any_overlap(outputs, inputs) {
        return Err(invalid("ERR_KERNEL_ALIASED_OUTPUT: expected outputs not to share memory with inputs or each other, was overlapping".to_string()));
    }
    Ok(())
}

/// One input, one period, one output: checks, then runs `kernel`.
fn series_kernel(input: &[f64], period: f64, output: &mut Float64ArraySlice, kernel: impl FnOnce(&[f64], usize, &mut [f64])) -> Result<()> {
    let period = check_period(period, "period")?;
    check_arrays(&[input], &[output])?;
    // SAFETY: check_arrays proved the output does not overlap the input, and JS cannot touch either
    // while this synchronous call runs on its thread.
    let target = unsafe { output.as_mut() };
    kernel(input, period, target);
    Ok(())
}

/// Wilder's smoothing (alpha = 1 / period). Errors: ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_INPUT,
/// ERR_KERNEL_INPUT_TOO_LONG, ERR_KERNEL_ALIASED_OUTPUT (Status::InvalidArg).
#[napi(catch_unwind)]
pub fn indicator_wilder(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&input, period, &mut output, kernels::wilder)
}

/// Wilder's RSI. Errors as indicatorWilder.
#[napi(catch_unwind)]
pub fn indicator_rsi(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&input, period, &mut output, kernels::rsi)
}

/// Weighted moving average. Errors as indicatorWilder.
#[napi(catch_unwind)]
pub fn indicator_wma(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&input, period, &mut output, kernels::wma)
}

/// Moving population standard deviation. Errors as indicatorWilder.
#[napi(catch_unwind)]
pub fn indicator_moving_std(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&input, period, &mut output, |input, period, output| {
        kernels::moments(input, period, kernels::Moment::StandardDeviation, output)
    })
}

/// Moving z-score. Errors as indicatorWilder.
#[napi(catch_unwind)]
pub fn indicator_z_score(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&input, period, &mut output, |input, period, output| {
        kernels::moments(input, period, kernels::Moment::ZScore, output)
    })
}

/// Moving maximum. Errors as indicatorWilder.
#[napi(catch_unwind)]
pub fn indicator_highest(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&input, period, &mut output, |input, period, output| kernels::extremum(input, period, true, output))
}

/// Moving minimum. Errors as indicatorWilder.
#[napi(catch_unwind)]
pub fn indicator_lowest(input: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&input, period, &mut output, |input, period, output| kernels::extremum(input, period, false, output))
}

/// CCI of a typical-price series. Errors as indicatorWilder.
#[napi(catch_unwind)]
pub fn indicator_cci(typical: Float64ArraySlice, period: f64, mut output: Float64ArraySlice) -> Result<()> {
    series_kernel(&typical, period, &mut output, kernels::cci)
}

/// On-balance volume. Errors: ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG, ERR_KERNEL_ALIASED_OUTPUT.
#[napi(catch_unwind)]
pub fn indicator_obv(close: Float64ArraySlice, volume: Float64ArraySlice, mut output: Float64ArraySlice) -> Result<()> {
    check_arrays(&[&close, &volume], &[&output])?;
    // SAFETY: as in series_kernel.
    let target = unsafe { output.as_mut() };
    kernels::obv(&close, &volume, target);
    Ok(())
}

/// MACD line, signal and histogram. Errors: ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_PARAM (fast >= slow),
/// ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG, ERR_KERNEL_ALIASED_OUTPUT.
#[napi(catch_unwind)]
pub fn indicator_macd(
    input: Float64ArraySlice, fast_period: f64, slow_period: f64, signal_period: f64,
    mut line: Float64ArraySlice, mut signal: Float64ArraySlice, mut histogram: Float64ArraySlice,
) -> Result<()> {
    let fast = check_period(fast_period, "fastPeriod")?;
    let slow = check_period(slow_period, "slowPeriod")?;
    let signal_length = check_period(signal_period, "signalPeriod")?;
    if fast >= slow {
        return Err(invalid(format!("ERR_KERNEL_BAD_PARAM: expected fastPeriod < slowPeriod {slow}, was {fast}")));
    }
    three_outputs(&input, &mut line, &mut signal, &mut histogram, |line, signal, histogram| {
        kernels::macd(&input, fast, slow, signal_length, line, signal, histogram)
    })
}

/// Bollinger bands. Errors: ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_PARAM (multiplier not finite),
/// ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG, ERR_KERNEL_ALIASED_OUTPUT.
#[napi(catch_unwind)]
pub fn indicator_bollinger(
    input: Float64ArraySlice, period: f64, multiplier: f64,
    mut upper: Float64ArraySlice, mut middle: Float64ArraySlice, mut lower: Float64ArraySlice,
) -> Result<()> {
    let period = check_period(period, "period")?;
    if !multiplier.is_finite() {
        return Err(invalid(format!("ERR_KERNEL_BAD_PARAM: expected a finite multiplier, was {multiplier}")));
    }
    three_outputs(&input, &mut upper, &mut middle, &mut lower, |upper, middle, lower| {
        kernels::bollinger(&input, period, multiplier, upper, middle, lower)
    })
}

/// One input and three outputs: checks them, then runs `kernel` on the outputs borrowed mutably.
fn three_outputs(
    input: &[f64], first: &mut Float64ArraySlice<'_>, second: &mut Float64ArraySlice<'_>, third: &mut Float64ArraySlice<'_>,
    kernel: impl FnOnce(&mut [f64], &mut [f64], &mut [f64]),
) -> Result<()> {
    check_arrays(&[input], &[&**first, &**second, &**third])?;
    // SAFETY: check_arrays proved the outputs disjoint from the input and from each other, and JS cannot
    // touch the arrays while this synchronous call runs on its thread.
    let (first, second, third) = unsafe { (first.as_mut(), second.as_mut(), third.as_mut()) };
    kernel(first, second, third);
    Ok(())
}
