//! Covariance cross products in Rust, and the napi entry points of the statistics kernels.
//!
//! `cross_products` computes, for every entry of the upper triangle, exactly the sum of
//! `crossProductsUnchecked` in src/kernels/stats/reference.ts: terms `left[t][i] * right[t][j]` added one
//! at a time with t ascending, starting from +0. Only the schedule differs. The observations are cut into
//! chunks of CHUNK_OBSERVATIONS; within a chunk both operands are packed into panels of four assets
//! (`panel[t][lane]`, contiguous), and a 4 x 4 tile of the output accumulates in eight `Pair` registers
//! while t runs through the chunk. Between chunks the partial sums live in `out`, and the next chunk
//! continues them, so every entry still sees its terms in t order: the result is the reference's, bit for
//! bit. A chunk's two packed operands (2 x 64 x N x 8 bytes, 512 KiB at N = 500) stay in L2 while every
//! tile reads them.

use crate::linalg;
use crate::pair::Pair;
use crate::risk;
use crate::arguments::{invalid, overlaps};
use napi::bindgen_prelude::Float64ArraySlice;
use napi::Result;
use napi_derive::napi;

/// Observations per packed chunk.
const CHUNK_OBSERVATIONS: usize = 64;
/// Assets per panel (and the tile edge).
const PANEL: usize = 4;
/// As kAssetsMax in src/kernels/stats/contract.ts.
pub const ASSETS_MAX: usize = 4096;
/// As kPanelValuesMax in src/kernels/stats/contract.ts.
pub const PANEL_VALUES_MAX: usize = 1 << 27;
/// As kStatsKernelVersion in src/kernels/stats/backends.ts; bumped whenever an operation order changes.
pub const STATS_KERNEL_VERSION: u32 = 1;

/// out[i][j] (j >= i) = sum_t left[t][i] * right[t][j], t ascending from +0, then mirrored to out[j][i].
pub fn cross_products(left: &[f64], right: &[f64], observations: usize, assets: usize, out: &mut [f64]) {
    assert!(assets >= 1);
    assert!(assets <= ASSETS_MAX);
    assert!(left.len() == observations * assets);
    assert!(right.len() == observations * assets);
    assert!(out.len() == assets * assets);
    out.fill(0.0);
    let panels = assets.div_ceil(PANEL);
    let panel_stride = CHUNK_OBSERVATIONS * PANEL;
    let mut packed_left = vec![0.0_f64; panels * panel_stride];
    let same = left.as_ptr() == right.as_ptr();
    let mut packed_right = if same { Vec::new() } else { vec![0.0_f64; panels * panel_stride] };
    let mut chunk_start = 0;
    while chunk_start < observations {
        let chunk_length = CHUNK_OBSERVATIONS.min(observations - chunk_start);
        pack(left, assets, chunk_start, chunk_length, &mut packed_left);
        if !same {
            pack(right, assets, chunk_start, chunk_length, &mut packed_right);
        }
        let right_panels: &[f64] = if same { &packed_left } else { &packed_right };
        for row_panel in 0..panels {
            for column_panel in row_panel..panels {
                tile(
                    &packed_left[row_panel * panel_stride..],
                    &right_panels[column_panel * panel_stride..],
                    chunk_length,
                    row_panel * PANEL,
                    column_panel * PANEL,
                    assets,
                    out,
                );
            }
        }
        chunk_start += chunk_length;
    }
    for i in 1..assets {
        for j in 0..i {
            out[i * assets + j] = out[j * assets + i];
        }
    }
}

/// Packs rows chunk_start.. of `source` into panels of four assets: packed[panel][t][lane], zero-padded.
fn pack(source: &[f64], assets: usize, chunk_start: usize, chunk_length: usize, packed: &mut [f64]) {
    let panels = assets.div_ceil(PANEL);
    for panel in 0..panels {
        let base = panel * CHUNK_OBSERVATIONS * PANEL;
        for t in 0..chunk_length {
            let row = &source[(chunk_start + t) * assets..(chunk_start + t + 1) * assets];
            for lane in 0..PANEL {
                let asset = panel * PANEL + lane;
                packed[base + t * PANEL + lane] = if asset < assets { row[asset] } else { 0.0 };
            }
        }
    }
}

/// One 4 x 4 tile of `out` at (row0, column0): load the partial sums, add this chunk's terms in t order,
/// store back the entries that exist (padding lanes are computed and dropped).
#[inline(always)]
fn tile(left: &[f64], right: &[f64], chunk_length: usize, row0: usize, column0: usize, assets: usize, out: &mut [f64]) {
    let mut sums = [0.0_f64; PANEL * PANEL];
    for a in 0..PANEL {
        for b in 0..PANEL {
            let (row, column) = (row0 + a, column0 + b);
            if row < assets && column < assets {
                sums[a * PANEL + b] = out[row * assets + column];
            }
        }
    }
    assert!(left.len() >= chunk_length * PANEL);
    assert!(right.len() >= chunk_length * PANEL);
    // SAFETY: the assert above bounds every load below (t < chunk_length, lanes < PANEL); `sums` is local.
    unsafe {
        let s = sums.as_mut_ptr();
        let mut acc = [
            Pair::load(s),
            Pair::load(s.add(2)),
            Pair::load(s.add(4)),
            Pair::load(s.add(6)),
            Pair::load(s.add(8)),
            Pair::load(s.add(10)),
            Pair::load(s.add(12)),
            Pair::load(s.add(14)),
        ];
        let l = left.as_ptr();
        let r = right.as_ptr();
        for t in 0..chunk_length {
            let right_low = Pair::load(r.add(t * PANEL));
            let right_high = Pair::load(r.add(t * PANEL + 2));
            for a in 0..PANEL {
                let factor = Pair::splat(*l.add(t * PANEL + a));
                acc[2 * a] = acc[2 * a].add(factor.mul(right_low));
                acc[2 * a + 1] = acc[2 * a + 1].add(factor.mul(right_high));
            }
        }
        for (index, pair) in acc.iter().enumerate() {
            pair.store(s.add(2 * index));
        }
    }
    for a in 0..PANEL {
        for b in 0..PANEL {
            let (row, column) = (row0 + a, column0 + b);
            if row < assets && column < assets {
                out[row * assets + column] = sums[a * PANEL + b];
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// napi entry points (thin: check, borrow, run). Errors carry the same ERR_KERNEL_* codes as the TS side.

/// The recipe version of these kernels; the facade refuses an addon that disagrees with its own.
#[napi]
pub fn stats_version() -> u32 {
    STATS_KERNEL_VERSION
}

/// Cross products of two `observations x assets` panels into `out` (assets x assets), see cross_products.
/// `right` may be the same array as `left`. Errors: ERR_KERNEL_BAD_DIMENSIONS, ERR_KERNEL_BAD_OUTPUT,
/// ERR_KERNEL_ALIASED_OUTPUT.
#[napi(catch_unwind)]
pub fn stats_cross_products(left: Float64ArraySlice, right: Float64ArraySlice, observations: u32, assets: u32, mut out: Float64ArraySlice) -> Result<()> {
    let (observations, assets) = (observations as usize, assets as usize);
    if assets == 0 || assets > ASSETS_MAX || observations == 0 || observations * assets > PANEL_VALUES_MAX {
        return Err(invalid(format!("ERR_KERNEL_BAD_DIMENSIONS: expected 1..={ASSETS_MAX} assets and 1.. observations within {PANEL_VALUES_MAX} values, was {observations} x {assets}")));
    }
    if left.len() != observations * assets || right.len() != observations * assets {
        return Err(invalid(format!("ERR_KERNEL_BAD_DIMENSIONS: expected panels of {} values, was {} and {}", observations * assets, left.len(), right.len())));
    }
    if out.len() != assets * assets {
        return Err(invalid(format!("ERR_KERNEL_BAD_OUTPUT: expected out of {} values, was {}", assets * assets, out.len())));
    }
    if overlaps(&left, &out) || overlaps(&right, &out) {
        return Err(invalid("ERR_KERNEL_ALIASED_OUTPUT: expected out not to share memory with the panels, was overlapping".to_string()));
    }
    // SAFETY: out does not overlap the inputs (checked), and JS cannot touch them during this synchronous call.
    let target = unsafe { out.as_mut() };
    cross_products(&left, &right, observations, assets, target);
    Ok(())
}

/// Cholesky factor of `matrix` (n x n) into `factor` (n x n, zeroed by the caller); returns -1, or the
/// failing pivot index (its value left in factor[j][j]). Errors: ERR_KERNEL_BAD_DIMENSIONS,
/// ERR_KERNEL_BAD_OUTPUT, ERR_KERNEL_ALIASED_OUTPUT.
#[napi(catch_unwind)]
pub fn stats_cholesky(matrix: Float64ArraySlice, n: u32, mut factor: Float64ArraySlice) -> Result<i32> {
    let n = n as usize;
    if n == 0 || n > ASSETS_MAX || matrix.len() != n * n {
        return Err(invalid(format!("ERR_KERNEL_BAD_DIMENSIONS: expected an n x n matrix with 1 <= n <= {ASSETS_MAX}, was n = {n} and {} values", matrix.len())));
    }
    if factor.len() != n * n {
        return Err(invalid(format!("ERR_KERNEL_BAD_OUTPUT: expected a factor of {} values, was {}", n * n, factor.len())));
    }
    if overlaps(&matrix, &factor) {
        return Err(invalid("ERR_KERNEL_ALIASED_OUTPUT: expected the factor not to share memory with the matrix, was overlapping".to_string()));
    }
    // SAFETY: as in stats_cross_products.
    let target = unsafe { factor.as_mut() };
    Ok(linalg::cholesky(&matrix, n, target))
}

/// Horizon P&L of streams stream_start.. into `out`, see risk::monte_carlo_sums. Errors:
/// ERR_KERNEL_BAD_DIMENSIONS (no exposures, too many, or days outside 1..=DAYS_MAX), ERR_KERNEL_BAD_OPTION
/// (dof neither 0 nor in (2, DOF_MAX]), ERR_KERNEL_BAD_OUTPUT (streams past 2^32), ERR_KERNEL_ALIASED_OUTPUT.
#[napi(catch_unwind)]
pub fn stats_monte_carlo_sums(exposures: Float64ArraySlice, days: u32, seed: u32, stream_start: u32, dof: f64, mut out: Float64ArraySlice) -> Result<()> {
    if exposures.is_empty() || exposures.len() > ASSETS_MAX || days == 0 || days > risk::DAYS_MAX {
        return Err(invalid(format!("ERR_KERNEL_BAD_DIMENSIONS: expected 1..={ASSETS_MAX} exposures and 1..={} days, was {} and {days}", risk::DAYS_MAX, exposures.len())));
    }
    if !(dof == 0.0 || (dof > 2.0 && dof <= risk::DOF_MAX)) {
        return Err(invalid(format!("ERR_KERNEL_BAD_OPTION: expected dof 0 (normal) or in (2, {}], was {dof}", risk::DOF_MAX)));
    }
    if stream_start as u64 + out.len() as u64 > 1 << 32 {
        return Err(invalid(format!("ERR_KERNEL_BAD_OUTPUT: expected streams below 2^32, was {} + {}", stream_start, out.len())));
    }
    if overlaps(&exposures, &out) {
        return Err(invalid("ERR_KERNEL_ALIASED_OUTPUT: expected out not to share memory with the exposures, was overlapping".to_string()));
    }
    // SAFETY: as in stats_cross_products.
    let target = unsafe { out.as_mut() };
    risk::monte_carlo_sums(&exposures, days as usize, seed, stream_start, dof, target);
    Ok(())
}
