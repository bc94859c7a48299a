//! Indicator kernels in Rust: the primitives of src/kernels/indicators/primitives.ts.
//!
//! Every output is computed with exactly the floating-point operations of the TypeScript reference, in
//! the same order, so the results match it bit for bit. Read the reference for the algorithms and the
//! NaN rules: src/kernels/indicators/windows.ts (block windows, smoothers, RSI, CCI, OBV) and
//! primitives.ts (MACD, Bollinger). The moving windows are the batch form of the reference's
//! streaming windows: each block's prefix runs left to right, and when a block is complete its suffixes
//! are computed right to left into a scratch array of `period` values for the next block to use.
//!
//! Callers (indicators.rs) have checked the arguments; the functions assert their preconditions anyway.

use crate::moving_average::{ema, sma, EMA_BLOCK_LENGTH, INPUT_LENGTH_MAX};

/// decay^(j + 1) by repeated multiplication, as decayPowers in the reference.
fn decay_powers(decay: f64) -> [f64; EMA_BLOCK_LENGTH] {
    let mut powers = [0.0_f64; EMA_BLOCK_LENGTH];
    let mut power = 1.0_f64;
    for slot in powers.iter_mut() {
        power *= decay;
        *slot = power;
    }
    powers
}

fn check_lengths(input_length: usize, output_length: usize, period: usize) {
    assert!(input_length <= INPUT_LENGTH_MAX);
    assert!(output_length == input_length);
    assert!(period >= 1);
}

/// Checks the lengths, and when the period is longer than the series fills the output with NaN (every
/// point is warm-up) and returns true: the kernel has nothing else to do.
fn is_all_warm_up(length: usize, output: &mut [f64], period: usize) -> bool {
    check_lengths(length, output.len(), period);
    if period > length {
        output.fill(f64::NAN);
        return true;
    }
    false
}

// ---------------------------------------------------------------------------------------------------
// Smoothing

/// Wilder's smoothing (alpha = 1 / period), as Smoother('wilder') in the reference: warm-up on `period`
/// finite points seeded with their mean, the blocked recurrence after it, restarts on gaps and overflow.
pub fn wilder(input: &[f64], period: usize, output: &mut [f64]) {
    check_lengths(input.len(), output.len(), period);
    let alpha = 1.0 / period as f64;
    let decay = 1.0 - alpha;
    let powers = decay_powers(decay);
    let mut is_seeded = false;
    let mut run_length = 0_usize;
    let mut run_sum = 0.0_f64;
    let mut previous = 0.0_f64;
    let mut local = 0.0_f64;
    let mut offset = 0_usize;
    for (slot, &value) in output.iter_mut().zip(input) {
        if !value.is_finite() {
            is_seeded = false;
            run_length = 0;
            run_sum = 0.0;
            *slot = f64::NAN;
            continue;
        }
        if !is_seeded {
            run_sum += value;
            run_length += 1;
            if run_length < period {
                *slot = f64::NAN;
                continue;
            }
            let seed = run_sum / period as f64;
            run_length = 0;
            run_sum = 0.0;
            if seed.is_finite() {
                is_seeded = true;
                previous = seed;
                local = 0.0;
                offset = 0;
            }
            *slot = seed;
            continue;
        }
        local = decay * local + alpha * value;
        let smoothed = local + powers[offset] * previous;
        offset += 1;
        if offset == EMA_BLOCK_LENGTH {
            previous = smoothed;
            local = 0.0;
            offset = 0;
            if !smoothed.is_finite() {
                is_seeded = false;
            }
        }
        *slot = smoothed;
    }
}

/// RSI from the averages, as rsiFromAverages: 100 g / (g + l), 50 where both are 0.
#[inline(always)]
fn rsi_from_averages(average_gain: f64, average_loss: f64) -> f64 {
    let total = average_gain + average_loss;
    // Divided before the test (0 / 0 is NaN, then discarded), so the group loop has no branch and
    // vectorises; the value kept is the reference's either way.
    let value = 100.0 * (average_gain / total);
    if total == 0.0 {
        50.0
    } else {
        value
    }
}

/// Blocks whose local recurrences the RSI's fast path runs at the same time (8 independent chains).
const RSI_GROUP_BLOCKS: usize = 4;
const RSI_GROUP_POINTS: usize = RSI_GROUP_BLOCKS * EMA_BLOCK_LENGTH;

/// The RSI's state, as RsiCore's fields in the reference.
struct RsiState {
    period: usize,
    alpha: f64,
    decay: f64,
    powers: [f64; EMA_BLOCK_LENGTH],
    previous_close: f64,
    is_seeded: bool,
    run_length: usize,
    run_gain: f64,
    run_loss: f64,
    previous_gain: f64,
    previous_loss: f64,
    local_gain: f64,
    local_loss: f64,
    offset: usize,
}

impl RsiState {
    fn restart(&mut self) {
        self.is_seeded = false;
        self.run_length = 0;
        self.run_gain = 0.0;
        self.run_loss = 0.0;
    }

    /// One point, exactly as RsiCore.update.
    #[inline(always)]
    fn step(&mut self, close: f64) -> f64 {
        let change = close - self.previous_close;
        self.previous_close = close;
        if !change.is_finite() {
            self.restart();
            return f64::NAN;
        }
        let gain = if change > 0.0 { change } else { 0.0 };
        let loss = if change < 0.0 { -change } else { 0.0 };
        if !self.is_seeded {
            self.run_gain += gain;
            self.run_loss += loss;
            self.run_length += 1;
            if self.run_length < self.period {
                return f64::NAN;
            }
            let average_gain = self.run_gain / self.period as f64;
            let average_loss = self.run_loss / self.period as f64;
            self.run_length = 0;
            self.run_gain = 0.0;
            self.run_loss = 0.0;
            if average_gain.is_finite() && average_loss.is_finite() {
                self.is_seeded = true;
                self.previous_gain = average_gain;
                self.previous_loss = average_loss;
                self.local_gain = 0.0;
                self.local_loss = 0.0;
                self.offset = 0;
            }
            return rsi_from_averages(average_gain, average_loss);
        }
        self.local_gain = self.decay * self.local_gain + self.alpha * gain;
        self.local_loss = self.decay * self.local_loss + self.alpha * loss;
        let power = self.powers[self.offset];
        let average_gain = self.local_gain + power * self.previous_gain;
        let average_loss = self.local_loss + power * self.previous_loss;
        self.offset += 1;
        if self.offset == EMA_BLOCK_LENGTH {
            self.previous_gain = average_gain;
            self.previous_loss = average_loss;
            self.local_gain = 0.0;
            self.local_loss = 0.0;
            self.offset = 0;
            if !average_gain.is_finite() || !average_loss.is_finite() {
                self.restart();
            }
        }
        rsi_from_averages(average_gain, average_loss)
    }

    /// RSI_GROUP_BLOCKS whole blocks at once, for a seeded state at a block start (offset 0). The
    /// blocks' local recurrences are independent of each other, so they run interleaved (eight chains
    /// in flight instead of two); then each block applies the carried averages, exactly as `step` would
    /// point by point. Returns the number of points done: 0 when a change in the group is not finite
    /// (nothing written, `step` takes over), fewer than the group when an average stopped being finite
    /// at a block end (the state has restarted, as `step` would have).
    fn group(&mut self, input: &[f64], output: &mut [f64]) -> usize {
        assert!(input.len() == RSI_GROUP_POINTS && output.len() == RSI_GROUP_POINTS);
        debug_assert!(self.is_seeded && self.offset == 0);
        let mut gains = [0.0_f64; RSI_GROUP_POINTS];
        let mut losses = [0.0_f64; RSI_GROUP_POINTS];
        let mut previous = self.previous_close;
        let mut is_finite = true;
        for index in 0..RSI_GROUP_POINTS {
            let change = input[index] - previous;
            previous = input[index];
            is_finite &= change.is_finite();
            gains[index] = if change > 0.0 { change } else { 0.0 };
            losses[index] = if change < 0.0 { -change } else { 0.0 };
        }
        if !is_finite {
            return 0;
        }
        // Local recurrences, block b's at offset j stored at b * 16 + j over the gains and losses.
        let mut local_gains = [0.0_f64; RSI_GROUP_BLOCKS];
        let mut local_losses = [0.0_f64; RSI_GROUP_BLOCKS];
        for offset in 0..EMA_BLOCK_LENGTH {
            for block in 0..RSI_GROUP_BLOCKS {
                let at = block * EMA_BLOCK_LENGTH + offset;
                local_gains[block] = self.decay * local_gains[block] + self.alpha * gains[at];
                local_losses[block] = self.decay * local_losses[block] + self.alpha * losses[at];
                gains[at] = local_gains[block];
                losses[at] = local_losses[block];
            }
        }
        for block in 0..RSI_GROUP_BLOCKS {
            let start = block * EMA_BLOCK_LENGTH;
            let (previous_gain, previous_loss) = (self.previous_gain, self.previous_loss);
            for offset in 0..EMA_BLOCK_LENGTH {
                let average_gain = gains[start + offset] + self.powers[offset] * previous_gain;
                let average_loss = losses[start + offset] + self.powers[offset] * previous_loss;
                gains[start + offset] = average_gain;
                losses[start + offset] = average_loss;
                output[start + offset] = rsi_from_averages(average_gain, average_loss);
            }
            let last = start + EMA_BLOCK_LENGTH - 1;
            self.previous_gain = gains[last];
            self.previous_loss = losses[last];
            self.previous_close = input[last];
            if !self.previous_gain.is_finite() || !self.previous_loss.is_finite() {
                self.restart();
                return start + EMA_BLOCK_LENGTH;
            }
        }
        RSI_GROUP_POINTS
    }
}

/// Wilder's RSI, as RsiCore in the reference: the gain and loss smoothers share their control. Whole
/// seeded groups of blocks take the interleaved fast path; the warm-up, gaps and the tail go point by
/// point. Both perform the reference's operations in its order.
pub fn rsi(input: &[f64], period: usize, output: &mut [f64]) {
    check_lengths(input.len(), output.len(), period);
    let alpha = 1.0 / period as f64;
    let decay = 1.0 - alpha;
    let mut state = RsiState {
        period,
        alpha,
        decay,
        powers: decay_powers(decay),
        previous_close: f64::NAN,
        is_seeded: false,
        run_length: 0,
        run_gain: 0.0,
        run_loss: 0.0,
        previous_gain: 0.0,
        previous_loss: 0.0,
        local_gain: 0.0,
        local_loss: 0.0,
        offset: 0,
    };
    let length = input.len();
    let mut index = 0;
    while index < length {
        if state.is_seeded && state.offset == 0 && index + RSI_GROUP_POINTS <= length {
            let range = index..index + RSI_GROUP_POINTS;
            let done = state.group(&input[range.clone()], &mut output[range]);
            if done > 0 {
                index += done;
                continue;
            }
        }
        output[index] = state.step(input[index]);
        index += 1;
    }
}

// ---------------------------------------------------------------------------------------------------
// Block windows

/// Weighted moving average, as WmaWindow in the reference.
pub fn wma(input: &[f64], period: usize, output: &mut [f64]) {
    if is_all_warm_up(input.len(), output, period) {
        return;
    }
    let length = input.len();
    let reciprocal = 1.0 / ((period as f64 * (period as f64 + 1.0)) / 2.0);
    let mut suffix_weighted = vec![0.0_f64; period];
    let mut has_previous_block = false;
    let mut block_start = 0;
    while block_start < length {
        let block_end = (block_start + period).min(length);
        let (mut prefix, mut prefix_weighted) = (0.0_f64, 0.0_f64);
        for index in block_start..block_end {
            let position = index - block_start;
            let value = input[index];
            prefix += value;
            prefix_weighted += (position + 1) as f64 * value;
            output[index] = if position == period - 1 {
                prefix_weighted * reciprocal
            } else if has_previous_block {
                let older_count = (period - 1 - position) as f64;
                (suffix_weighted[position + 1] + (older_count * prefix + prefix_weighted)) * reciprocal
            } else {
                f64::NAN
            };
        }
        if block_end - block_start == period {
            let (mut sum, mut weighted) = (0.0_f64, 0.0_f64);
            for first in (1..period).rev() {
                sum += input[block_start + first];
                weighted += sum;
                suffix_weighted[first] = weighted;
            }
            has_previous_block = true;
        }
        block_start = block_end;
    }
}

/// What the moments window writes: the standard deviation, or the z-score.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    StandardDeviation,
    ZScore,
}

/// The z-score from a deviation and a variance, as zScoreValue.
#[inline(always)]
fn z_score_value(deviation: f64, variance: f64) -> f64 {
    let standard_deviation = variance.sqrt();
    if standard_deviation == 0.0 {
        0.0
    } else {
        deviation / standard_deviation
    }
}

/// Moving population standard deviation or z-score, as MomentsWindow in the reference: every sum of a
/// window about the first point of the block that holds the window's last point, the previous block's
/// suffix sums included (computed when that first point is known).
pub fn moments(input: &[f64], period: usize, moment: Moment, output: &mut [f64]) {
    if is_all_warm_up(input.len(), output, period) {
        return;
    }
    let length = input.len();
    let reciprocal = 1.0 / period as f64;
    let mut suffix1 = vec![0.0_f64; period];
    let mut suffix2 = vec![0.0_f64; period];
    let mut block_start = 0;
    while block_start < length {
        let block_end = (block_start + period).min(length);
        let centre = input[block_start];
        let has_previous_block = block_start >= period;
        if has_previous_block {
            let previous = &input[block_start - period..block_start];
            let (mut sum1, mut sum2) = (0.0_f64, 0.0_f64);
            for first in (1..period).rev() {
                let shifted = previous[first] - centre;
                sum1 += shifted;
                sum2 += shifted * shifted;
                suffix1[first] = sum1;
                suffix2[first] = sum2;
            }
        }
        let (mut prefix1, mut prefix2) = (0.0_f64, 0.0_f64);
        let block = &input[block_start..block_end];
        let target = &mut output[block_start..block_end];
        for (position, (&value, slot)) in block.iter().zip(target.iter_mut()).enumerate() {
            let shifted = value - centre;
            prefix1 += shifted;
            prefix2 += shifted * shifted;
            let (total1, total2) = if position == period - 1 {
                (prefix1, prefix2)
            } else if has_previous_block {
                (suffix1[position + 1] + prefix1, suffix2[position + 1] + prefix2)
            } else {
                *slot = f64::NAN;
                continue;
            };
            let mean = total1 * reciprocal;
            let mut variance = total2 * reciprocal - mean * mean;
            if variance < 0.0 {
                variance = 0.0;
            }
            *slot = match moment {
                // The square roots run in a separate pass below, where they vectorise.
                Moment::StandardDeviation => variance,
                Moment::ZScore => z_score_value(shifted - mean, variance),
            };
        }
        block_start = block_end;
    }
    if moment == Moment::StandardDeviation {
        // sqrt is correctly rounded, so two at a time (sqrtpd) gives the reference's bits.
        for value in output.iter_mut() {
            *value = value.sqrt();
        }
    }
}

/// The larger, NaN if either is NaN, as pickMaximum (a NaN `kept` stays, a NaN `candidate` is taken).
#[inline(always)]
fn pick_maximum(kept: f64, candidate: f64) -> f64 {
    if candidate > kept || candidate.is_nan() {
        candidate
    } else {
        kept
    }
}

#[inline(always)]
fn pick_minimum(kept: f64, candidate: f64) -> f64 {
    if candidate < kept || candidate.is_nan() {
        candidate
    } else {
        kept
    }
}

/// Moving maximum (`is_maximum`) or minimum, as ExtremumWindow: NaN wins, signed zeros become +0.
pub fn extremum(input: &[f64], period: usize, is_maximum: bool, output: &mut [f64]) {
    if is_maximum {
        extremum_with(input, period, output, pick_maximum);
    } else {
        extremum_with(input, period, output, pick_minimum);
    }
}

fn extremum_with(input: &[f64], period: usize, output: &mut [f64], combine: impl Fn(f64, f64) -> f64) {
    if is_all_warm_up(input.len(), output, period) {
        return;
    }
    let length = input.len();
    let mut suffix = vec![0.0_f64; period];
    let mut has_previous_block = false;
    let mut block_start = 0;
    while block_start < length {
        let block_end = (block_start + period).min(length);
        let mut prefix = input[block_start];
        for index in block_start..block_end {
            let position = index - block_start;
            if position > 0 {
                prefix = combine(prefix, input[index]);
            }
            output[index] = if position == period - 1 {
                prefix + 0.0
            } else if has_previous_block {
                combine(suffix[position + 1], prefix) + 0.0
            } else {
                f64::NAN
            };
        }
        if block_end - block_start == period {
            let mut extreme = input[block_start + period - 1];
            for first in (1..period).rev() {
                extreme = combine(extreme, input[block_start + first]);
                suffix[first] = extreme;
            }
            has_previous_block = true;
        }
        block_start = block_end;
    }
}

// ---------------------------------------------------------------------------------------------------
// CCI, OBV

/// CCI of a typical-price series, as cciBatch: O(period) per point, sums oldest first.
pub fn cci(typical: &[f64], period: usize, output: &mut [f64]) {
    if is_all_warm_up(typical.len(), output, period) {
        return;
    }
    let length = typical.len();
    output[..period - 1].fill(f64::NAN);
    let count = period as f64;
    for last in period - 1..length {
        let window = &typical[last + 1 - period..=last];
        let mut sum = 0.0_f64;
        for &value in window {
            sum += value;
        }
        let mean = sum / count;
        let mut deviation_sum = 0.0_f64;
        for &value in window {
            deviation_sum += (value - mean).abs();
        }
        let numerator = typical[last] - mean;
        output[last] = if numerator != 0.0 && deviation_sum != 0.0 {
            numerator / (0.015 * (deviation_sum / count))
        } else {
            0.0
        };
    }
}

/// On-balance volume, as ObvCore.
pub fn obv(close: &[f64], volume: &[f64], output: &mut [f64]) {
    check_lengths(close.len(), output.len(), 1);
    assert!(volume.len() == close.len());
    let mut is_started = false;
    let mut previous_close = f64::NAN;
    let mut total = 0.0_f64;
    for index in 0..close.len() {
        let (price, amount) = (close[index], volume[index]);
        if !price.is_finite() || !amount.is_finite() {
            is_started = false;
            output[index] = f64::NAN;
            continue;
        }
        if !is_started {
            is_started = true;
            previous_close = price;
            total = amount;
            output[index] = amount;
            continue;
        }
        if price > previous_close {
            total += amount;
        } else if price < previous_close {
            total -= amount;
        }
        previous_close = price;
        if !total.is_finite() {
            is_started = false;
            output[index] = f64::NAN;
            continue;
        }
        output[index] = total;
    }
}

// ---------------------------------------------------------------------------------------------------
// Compositions run here in one call

/// MACD, as macdWith: three EMA kernel calls and two elementwise passes, the histogram as scratch.
pub fn macd(input: &[f64], fast: usize, slow: usize, signal_period: usize, line: &mut [f64], signal: &mut [f64], histogram: &mut [f64]) {
    let length = input.len();
    check_lengths(length, line.len(), fast);
    assert!(signal.len() == length && histogram.len() == length);
    assert!(fast < slow && signal_period >= 1);
    ema(input, fast, line);
    ema(input, slow, histogram);
    for (point, slow_value) in line.iter_mut().zip(histogram.iter()) {
        *point -= *slow_value;
    }
    ema(line, signal_period, signal);
    for index in 0..length {
        histogram[index] = line[index] - signal[index];
    }
    let lookback = (slow - 1 + (signal_period - 1)).min(length);
    line[..lookback].fill(f64::NAN);
}

/// Bollinger bands, as bollingerWith: SMA kernel, moving deviation into `upper`, then the bands.
pub fn bollinger(input: &[f64], period: usize, multiplier: f64, upper: &mut [f64], middle: &mut [f64], lower: &mut [f64]) {
    let length = input.len();
    check_lengths(length, upper.len(), period);
    assert!(middle.len() == length && lower.len() == length);
    sma(input, period, middle);
    moments(input, period, Moment::StandardDeviation, upper);
    for index in 0..length {
        let width = multiplier * upper[index];
        upper[index] = middle[index] + width;
        lower[index] = middle[index] - width;
    }
}
