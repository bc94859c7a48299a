//! Monte Carlo random numbers and paths in Rust: a line-by-line port of
//! src/kernels/var/random.ts (read it for the algorithms and their sources). Every operation is
//! the reference's, in the same order and with the same parenthesisation, with no fused multiply-add, so
//! for a given seed the paths match the TS reference and the WASM kernel bit for bit.

// The fdlibm and AS 241-style constants are copied digit for digit from their sources (more digits than an
// f64 holds, which is how they are published); a NaN must fail the `!(a < b)`-style tests, so those stay.
#![allow(clippy::excessive_precision)]
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use std::sync::OnceLock;

/// The longest horizon in days, as kHorizonDaysMax in src/kernels/risk-contract.ts.
pub const DAYS_MAX: u32 = 250;
/// The largest Student-t degrees of freedom, as kDofMax in src/kernels/risk-contract.ts.
pub const DOF_MAX: f64 = 1e6;

// ---------------------------------------------------------------------------------------------------
// fdlibm exp and log (positive, finite, normal arguments; see portableExp/portableLog)

const LN2_HIGH: f64 = 6.93147180369123816490e-1;
const LN2_LOW: f64 = 1.90821492927058770002e-10;
/// 1 / ln 2 (fdlibm's invln2 = 1.44269504088896338700e+00, the same double).
const INVERSE_LN2: f64 = std::f64::consts::LOG2_E;
const EXP_P1: f64 = 1.66666666666666019037e-1;
const EXP_P2: f64 = -2.77777777770155933842e-3;
const EXP_P3: f64 = 6.61375632143793436117e-5;
const EXP_P4: f64 = -1.65339022054652515390e-6;
const EXP_P5: f64 = 4.13813679705723846039e-8;

#[inline(always)]
fn high_word(value: f64) -> i32 {
    (value.to_bits() >> 32) as u32 as i32
}

pub fn portable_exp(mut x: f64) -> f64 {
    let high = high_word(x);
    let negative = high < 0;
    let absolute_high = high & 0x7fffffff;
    let mut k: i32 = 0;
    let (hi, lo) = if absolute_high > 0x3fd62e42 {
        if absolute_high >= 0x3ff0a2b2 {
            k = (INVERSE_LN2 * x + if negative { -0.5 } else { 0.5 }) as i32;
        } else {
            k = if negative { -1 } else { 1 };
        }
        let hi = x - k as f64 * LN2_HIGH;
        let lo = k as f64 * LN2_LOW;
        x = hi - lo;
        (hi, lo)
    } else if absolute_high > 0x3e300000 {
        (x, 0.0)
    } else {
        return 1.0 + x;
    };
    let xx = x * x;
    let c = x - xx * (EXP_P1 + xx * (EXP_P2 + xx * (EXP_P3 + xx * (EXP_P4 + xx * EXP_P5))));
    let y = 1.0 + ((x * c) / (2.0 - c) - lo + hi);
    if k == 0 {
        y
    } else {
        y * f64::from_bits(((0x3ff + k) as u64) << 52)
    }
}

const LG1: f64 = 6.666666666666735130e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;

pub fn portable_log(x: f64) -> f64 {
    let bits = x.to_bits();
    let mut high = (bits >> 32) as u32 as i32;
    let low = bits as u32;
    let mut k = (high >> 20) - 1023;
    high &= 0x000fffff;
    let i = (high + 0x95f64) & 0x100000;
    let x = f64::from_bits((((high | (i ^ 0x3ff00000)) as u32 as u64) << 32) | low as u64);
    k += i >> 20;
    let f = x - 1.0;
    let dk = k as f64;
    if (0x000fffff & (2 + high)) < 3 {
        if f == 0.0 {
            return if k == 0 { 0.0 } else { dk * LN2_HIGH + dk * LN2_LOW };
        }
        let r = f * f * (0.5 - 0.33333333333333333 * f);
        return if k == 0 { f - r } else { dk * LN2_HIGH - (r - dk * LN2_LOW - f) };
    }
    let s = f / (2.0 + f);
    let z = s * s;
    let mut j = high - 0x6147a;
    let w = z * z;
    let j2 = 0x6b851 - high;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    j |= j2;
    let r = t2 + t1;
    if j > 0 {
        let hfsq = 0.5 * f * f;
        if k == 0 {
            f - (hfsq - s * (hfsq + r))
        } else {
            dk * LN2_HIGH - (hfsq - (s * (hfsq + r) + dk * LN2_LOW) - f)
        }
    } else if k == 0 {
        f - s * (f - r)
    } else {
        dk * LN2_HIGH - (s * (f - r) - dk * LN2_LOW - f)
    }
}

// ---------------------------------------------------------------------------------------------------
// Ziggurat tables (see buildZigguratTables)

const LAYERS: usize = 1024;
const TAIL_START: f64 = 4.038849846109504;
const LAYER_AREA: f64 = 0.0012263246463530893;
const ABSCISSA_SCALE: f64 = 2_097_152.0;

pub struct Tables {
    accept_below: [f64; LAYERS],
    width: [f64; LAYERS],
    density: [f64; LAYERS],
    /// (width[i], accept_below[i]) pairs, so one 16-byte load serves a lane.
    interleaved: [f64; 2 * LAYERS],
}

fn build_tables() -> Tables {
    let mut tables = Tables { accept_below: [0.0; LAYERS], width: [0.0; LAYERS], density: [0.0; LAYERS], interleaved: [0.0; 2 * LAYERS] };
    let last = LAYERS - 1;
    let mut edge = TAIL_START;
    let mut previous_edge = edge;
    let base_width = LAYER_AREA / portable_exp(-0.5 * edge * edge);
    tables.accept_below[0] = (edge / base_width) * ABSCISSA_SCALE;
    tables.accept_below[1] = 0.0;
    tables.width[0] = base_width / ABSCISSA_SCALE;
    tables.width[last] = edge / ABSCISSA_SCALE;
    tables.density[0] = 1.0;
    tables.density[last] = portable_exp(-0.5 * edge * edge);
    for layer in (1..last).rev() {
        edge = (-2.0 * portable_log(LAYER_AREA / edge + portable_exp(-0.5 * edge * edge))).sqrt();
        tables.accept_below[layer + 1] = (edge / previous_edge) * ABSCISSA_SCALE;
        previous_edge = edge;
        tables.density[layer] = portable_exp(-0.5 * edge * edge);
        tables.width[layer] = edge / ABSCISSA_SCALE;
    }
    for layer in 0..LAYERS {
        tables.interleaved[2 * layer] = tables.width[layer];
        tables.interleaved[2 * layer + 1] = tables.accept_below[layer];
    }
    tables
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build_tables)
}

// ---------------------------------------------------------------------------------------------------
// Streams (see RandomStream)

#[inline(always)]
fn fmix32(value: u32) -> u32 {
    let mut h = value;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85ebca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2ae35);
    h ^= h >> 16;
    h
}

const SEED_KEY: u32 = 0x243f6a88;
const STREAM_KEY: u32 = 0x85a308d3;
const WORD_STEP_SEED: u32 = 0x9e3779b9;
const WORD_STEP_STREAM: u32 = 0x632be5ab;

#[inline(always)]
fn state_word(seed_hash: u32, stream_hash: u32, word: u32) -> u32 {
    let left = fmix32(seed_hash.wrapping_add(word.wrapping_mul(WORD_STEP_SEED)));
    let right = fmix32(stream_hash.wrapping_add(word.wrapping_mul(WORD_STEP_STREAM)));
    fmix32(left ^ right)
}

pub struct RandomStream {
    s0: u32,
    s1: u32,
    s2: u32,
    s3: u32,
    tables: &'static Tables,
}

impl RandomStream {
    pub fn new() -> RandomStream {
        RandomStream { s0: 0, s1: 0, s2: 0, s3: 0, tables: tables() }
    }

    pub fn reset(&mut self, seed: u32, stream: u32) {
        let seed_hash = fmix32(seed ^ SEED_KEY);
        let stream_hash = fmix32(stream ^ STREAM_KEY);
        self.s0 = state_word(seed_hash, stream_hash, 1);
        self.s1 = state_word(seed_hash, stream_hash, 2);
        self.s2 = state_word(seed_hash, stream_hash, 3);
        self.s3 = state_word(seed_hash, stream_hash, 4);
        if (self.s0 | self.s1 | self.s2 | self.s3) == 0 {
            self.s0 = WORD_STEP_SEED;
        }
    }

    #[inline(always)]
    pub fn next_u32(&mut self) -> u32 {
        let s1 = self.s1;
        let result = s1.wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let shifted = s1 << 9;
        self.s2 ^= self.s0;
        self.s3 ^= s1;
        self.s1 = s1 ^ self.s2;
        self.s0 ^= self.s3;
        self.s2 ^= shifted;
        self.s3 = self.s3.rotate_left(11);
        result
    }

    #[inline(always)]
    pub fn next_uniform(&mut self) -> f64 {
        (self.next_u32() as f64 + 0.5) * (1.0 / 4_294_967_296.0)
    }

    #[inline(always)]
    pub fn next_normal(&mut self) -> f64 {
        let bits = self.next_u32();
        let layer = (bits & 1023) as usize;
        let abscissa = ((bits >> 10) as f64 - ABSCISSA_SCALE) + 0.5;
        let x = abscissa * self.tables.width[layer];
        if abscissa.abs() < self.tables.accept_below[layer] {
            return x;
        }
        self.next_normal_slow(layer, abscissa, x)
    }

    /// The rare path of nextNormal: the tail, or the wedge test, or a fresh draw.
    #[cold]
    #[inline(never)]
    pub(crate) fn next_normal_slow(&mut self, mut layer: usize, mut abscissa: f64, mut x: f64) -> f64 {
        loop {
            if layer == 0 {
                return self.tail(abscissa < 0.0);
            }
            let top = self.tables.density[layer - 1];
            let bottom = self.tables.density[layer];
            if bottom + self.next_uniform() * (top - bottom) < portable_exp(-0.5 * x * x) {
                return x;
            }
            let bits = self.next_u32();
            layer = (bits & 1023) as usize;
            abscissa = ((bits >> 10) as f64 - ABSCISSA_SCALE) + 0.5;
            x = abscissa * self.tables.width[layer];
            if abscissa.abs() < self.tables.accept_below[layer] {
                return x;
            }
        }
    }

    fn tail(&mut self, negative: bool) -> f64 {
        loop {
            let x = -portable_log(self.next_uniform()) / TAIL_START;
            let y = -portable_log(self.next_uniform());
            if y + y >= x * x {
                return if negative { -(TAIL_START + x) } else { TAIL_START + x };
            }
        }
    }

    pub fn next_gamma(&mut self, d: f64, c: f64) -> f64 {
        loop {
            let mut x;
            let mut v;
            loop {
                x = self.next_normal();
                v = 1.0 + c * x;
                if !(v <= 0.0) {
                    break;
                }
            }
            v = v * v * v;
            let u = self.next_uniform();
            let xx = x * x;
            if u < 1.0 - 0.0331 * xx * xx {
                return d * v;
            }
            if portable_log(u) < 0.5 * xx + d * (1.0 - v + portable_log(v)) {
                return d * v;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// The Monte Carlo path kernel (see monteCarloSumsUnchecked)

struct StudentConstants {
    d: f64,
    c: f64,
    dof_minus_two: f64,
}

fn student_constants(dof: f64) -> StudentConstants {
    let d = dof * 0.5 - 1.0 / 3.0;
    StudentConstants { d, c: 1.0 / (9.0 * d).sqrt(), dof_minus_two: dof - 2.0 }
}

/// out[s] = sum over days of scale_day * (exposures . z[day]) for stream stream_start + s.
///
/// Streams run eight at a time in AVX2 lanes when the CPU has AVX2 (`wide_lanes`, detected at run time),
/// then four at a time in SSE2 lanes (`lanes`, baseline x86_64): lane k holds stream k's xoshiro state and
/// its own sums, and every lane performs exactly the scalar stream's operations (no FMA: the "fma" target
/// feature is never enabled), so the results are those of `simulate_stream` (the reference), bit for bit,
/// whichever path ran which stream. Leftover streams run one at a time.
pub fn monte_carlo_sums(exposures: &[f64], days: usize, seed: u32, stream_start: u32, dof: f64, out: &mut [f64]) {
    assert!(!exposures.is_empty());
    assert!(days >= 1);
    assert!(stream_start as u64 + out.len() as u64 <= 1 << 32);
    let constants = if dof > 0.0 { Some(student_constants(dof)) } else { None };
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        while done + wide_lanes::LANES <= out.len() {
            let first = stream_start.wrapping_add(done as u32);
            // SAFETY: AVX2 was detected on this CPU just above.
            let totals = unsafe { wide_lanes::simulate_streams(exposures, days, seed, first, constants.as_ref()) };
            out[done..done + wide_lanes::LANES].copy_from_slice(&totals);
            done += wide_lanes::LANES;
        }
    }
    while done + lanes::LANES <= out.len() {
        let first = stream_start.wrapping_add(done as u32);
        let totals = lanes::simulate_streams(exposures, days, seed, first, constants.as_ref());
        out[done..done + lanes::LANES].copy_from_slice(&totals);
        done += lanes::LANES;
    }
    let mut random = RandomStream::new();
    for (offset, slot) in out.iter_mut().enumerate().skip(done) {
        random.reset(seed, stream_start.wrapping_add(offset as u32));
        *slot = simulate_stream(&mut random, exposures, days, constants.as_ref());
    }
}

/// One stream's horizon P&L: the reference's loop (monteCarloSumsUnchecked).
fn simulate_stream(random: &mut RandomStream, exposures: &[f64], days: usize, constants: Option<&StudentConstants>) -> f64 {
    let mut total = 0.0_f64;
    for _ in 0..days {
        let mut dot = 0.0_f64;
        for exposure in exposures {
            dot += exposure * random.next_normal();
        }
        if let Some(constants) = constants {
            dot *= student_scale(random, constants);
        }
        total += dot;
    }
    total
}

#[inline(always)]
fn student_scale(random: &mut RandomStream, constants: &StudentConstants) -> f64 {
    let chi_square = 2.0 * random.next_gamma(constants.d, constants.c);
    (constants.dof_minus_two / chi_square).sqrt()
}

/// The four xoshiro128** state words of L lanes, word-major, as the SIMD modules load them into registers.
#[cfg(target_arch = "x86_64")]
type LaneWords<const L: usize> = [[u32; L]; 4];

/// The states of streams first .. first + L - 1, seeded as the scalar streams are.
#[cfg(target_arch = "x86_64")]
fn seeded_words<const L: usize>(seed: u32, first: u32) -> LaneWords<L> {
    let mut words = [[0_u32; L]; 4];
    let mut random = RandomStream::new();
    for lane in 0..L {
        random.reset(seed, first.wrapping_add(lane as u32));
        put_lane(&mut words, lane, &random);
    }
    words
}

#[cfg(target_arch = "x86_64")]
fn put_lane<const L: usize>(words: &mut LaneWords<L>, lane: usize, random: &RandomStream) {
    [words[0][lane], words[1][lane], words[2][lane], words[3][lane]] = [random.s0, random.s1, random.s2, random.s3];
}

/// Runs `step` on lane `lane` as a scalar stream and writes its state back into `words`.
#[cfg(target_arch = "x86_64")]
fn with_lane<const L: usize, T>(words: &mut LaneWords<L>, lane: usize, tables: &'static Tables, step: impl FnOnce(&mut RandomStream) -> T) -> T {
    let mut random = RandomStream { s0: words[0][lane], s1: words[1][lane], s2: words[2][lane], s3: words[3][lane], tables };
    let value = step(&mut random);
    put_lane(words, lane, &random);
    value
}

/// The slow path of the lanes' normals: each lane that missed the Ziggurat fast path (a 0 bit in
/// `accepted`) finishes its draw on its own scalar state; `xs` holds the fast-path values and gets the results.
#[cfg(target_arch = "x86_64")]
fn finish_slow_lanes<const L: usize>(words: &mut LaneWords<L>, tables: &'static Tables, layers: &[u32; L], accepted: i32, abscissas: &[f64; L], xs: &mut [f64; L]) {
    for lane in 0..L {
        if accepted & (1 << lane) == 0 {
            let (layer, abscissa, x) = (layers[lane] as usize, abscissas[lane], xs[lane]);
            xs[lane] = with_lane(words, lane, tables, |random| random.next_normal_slow(layer, abscissa, x));
        }
    }
}

/// Four streams in the lanes of SSE2 registers (x86_64; SSE2 is baseline there, so no CPU detection).
#[cfg(target_arch = "x86_64")]
mod lanes {
    use super::{finish_slow_lanes, seeded_words, student_scale, with_lane, LaneWords, StudentConstants, Tables, ABSCISSA_SCALE};
    use core::arch::x86_64::*;

    pub const LANES: usize = 4;

    #[derive(Clone, Copy)]
    struct LaneStates {
        s0: __m128i,
        s1: __m128i,
        s2: __m128i,
        s3: __m128i,
    }

    #[inline(always)]
    unsafe fn rotate_left(value: __m128i, shift: i32) -> __m128i {
        // Shift counts must be constants for the intrinsics; the two shifts used are spelled out.
        match shift {
            7 => _mm_or_si128(_mm_slli_epi32(value, 7), _mm_srli_epi32(value, 25)),
            _ => _mm_or_si128(_mm_slli_epi32(value, 11), _mm_srli_epi32(value, 21)),
        }
    }

    impl LaneStates {
        /// xoshiro128** in each lane; x * 5 and x * 9 as shifts and adds (exact mod 2^32, SSE2 only).
        #[inline(always)]
        unsafe fn next(&mut self) -> __m128i {
            let s1 = self.s1;
            let times_five = _mm_add_epi32(_mm_slli_epi32(s1, 2), s1);
            let rotated = rotate_left(times_five, 7);
            let result = _mm_add_epi32(_mm_slli_epi32(rotated, 3), rotated);
            let shifted = _mm_slli_epi32(s1, 9);
            self.s2 = _mm_xor_si128(self.s2, self.s0);
            self.s3 = _mm_xor_si128(self.s3, s1);
            self.s1 = _mm_xor_si128(s1, self.s2);
            self.s0 = _mm_xor_si128(self.s0, self.s3);
            self.s2 = _mm_xor_si128(self.s2, shifted);
            self.s3 = rotate_left(self.s3, 11);
            result
        }

        unsafe fn store(&self) -> LaneWords<4> {
            let mut words = [[0_u32; 4]; 4];
            _mm_storeu_si128(words[0].as_mut_ptr() as *mut __m128i, self.s0);
            _mm_storeu_si128(words[1].as_mut_ptr() as *mut __m128i, self.s1);
            _mm_storeu_si128(words[2].as_mut_ptr() as *mut __m128i, self.s2);
            _mm_storeu_si128(words[3].as_mut_ptr() as *mut __m128i, self.s3);
            words
        }

        unsafe fn load(words: &LaneWords<4>) -> LaneStates {
            LaneStates {
                s0: _mm_loadu_si128(words[0].as_ptr() as *const __m128i),
                s1: _mm_loadu_si128(words[1].as_ptr() as *const __m128i),
                s2: _mm_loadu_si128(words[2].as_ptr() as *const __m128i),
                s3: _mm_loadu_si128(words[3].as_ptr() as *const __m128i),
            }
        }
    }

    /// Four normals, one per lane: the Ziggurat fast path in lanes; a lane that misses it finishes
    /// with the scalar slow path on its own state.
    #[inline(always)]
    unsafe fn normals(states: &mut LaneStates, tables: &'static Tables, interleaved: *const f64) -> (__m128d, __m128d) {
        let bits = states.next();
        let mut layers = [0_u32; 4];
        _mm_storeu_si128(layers.as_mut_ptr() as *mut __m128i, _mm_and_si128(bits, _mm_set1_epi32(1023)));
        // (bits >> 10) - 2^21 is an exact integer in [-2^21, 2^21), so converting it and adding 0.5 gives the
        // reference's ((bits >>> 10) - 2^21) + 0.5 exactly.
        let centred = _mm_sub_epi32(_mm_srli_epi32(bits, 10), _mm_set1_epi32(ABSCISSA_SCALE as i32));
        let half = _mm_set1_pd(0.5);
        let abscissa_low = _mm_add_pd(_mm_cvtepi32_pd(centred), half);
        let abscissa_high = _mm_add_pd(_mm_cvtepi32_pd(_mm_shuffle_epi32(centred, 0b1110)), half);
        let entry0 = _mm_loadu_pd(interleaved.add(2 * layers[0] as usize));
        let entry1 = _mm_loadu_pd(interleaved.add(2 * layers[1] as usize));
        let entry2 = _mm_loadu_pd(interleaved.add(2 * layers[2] as usize));
        let entry3 = _mm_loadu_pd(interleaved.add(2 * layers[3] as usize));
        let x_low = _mm_mul_pd(abscissa_low, _mm_unpacklo_pd(entry0, entry1));
        let x_high = _mm_mul_pd(abscissa_high, _mm_unpacklo_pd(entry2, entry3));
        let sign = _mm_set1_pd(-0.0);
        let accept_low = _mm_cmplt_pd(_mm_andnot_pd(sign, abscissa_low), _mm_unpackhi_pd(entry0, entry1));
        let accept_high = _mm_cmplt_pd(_mm_andnot_pd(sign, abscissa_high), _mm_unpackhi_pd(entry2, entry3));
        let accepted = _mm_movemask_pd(accept_low) | (_mm_movemask_pd(accept_high) << 2);
        if accepted == 0b1111 {
            return (x_low, x_high);
        }
        let (after, z_low, z_high) = finish_normals(*states, tables, layers, accepted, [abscissa_low, abscissa_high], [x_low, x_high]);
        *states = after;
        (z_low, z_high)
    }

    /// The slow path of `normals`, out of line and by value, so the hot loop keeps the states in registers.
    #[cold]
    #[inline(never)]
    unsafe fn finish_normals(
        states: LaneStates,
        tables: &'static Tables,
        layers: [u32; 4],
        accepted: i32,
        abscissa: [__m128d; 2],
        x: [__m128d; 2],
    ) -> (LaneStates, __m128d, __m128d) {
        let mut xs = [0.0_f64; 4];
        let mut abscissas = [0.0_f64; 4];
        _mm_storeu_pd(xs.as_mut_ptr(), x[0]);
        _mm_storeu_pd(xs.as_mut_ptr().add(2), x[1]);
        _mm_storeu_pd(abscissas.as_mut_ptr(), abscissa[0]);
        _mm_storeu_pd(abscissas.as_mut_ptr().add(2), abscissa[1]);
        let mut words = states.store();
        finish_slow_lanes(&mut words, tables, &layers, accepted, &abscissas, &mut xs);
        (LaneStates::load(&words), _mm_loadu_pd(xs.as_ptr()), _mm_loadu_pd(xs.as_ptr().add(2)))
    }

    /// The horizon P&L of streams first .. first + 3.
    #[allow(clippy::needless_range_loop)] // lane indexes four arrays at once
    pub fn simulate_streams(exposures: &[f64], days: usize, seed: u32, first: u32, constants: Option<&StudentConstants>) -> [f64; LANES] {
        let tables = super::tables();
        let interleaved = &tables.interleaved;
        let words = seeded_words::<LANES>(seed, first);
        // SAFETY: SSE2 is part of x86_64; `interleaved` holds 2 x 1024 entries and every layer index is < 1024.
        unsafe {
            let mut states = LaneStates::load(&words);
            let mut total_low = _mm_setzero_pd();
            let mut total_high = _mm_setzero_pd();
            for _ in 0..days {
                let mut dot_low = _mm_setzero_pd();
                let mut dot_high = _mm_setzero_pd();
                for exposure in exposures {
                    let (z_low, z_high) = normals(&mut states, tables, interleaved.as_ptr());
                    let weight = _mm_set1_pd(*exposure);
                    dot_low = _mm_add_pd(dot_low, _mm_mul_pd(weight, z_low));
                    dot_high = _mm_add_pd(dot_high, _mm_mul_pd(weight, z_high));
                }
                if let Some(constants) = constants {
                    let mut scales = [0.0_f64; 4];
                    let mut words = states.store();
                    for (lane, scale) in scales.iter_mut().enumerate() {
                        *scale = with_lane(&mut words, lane, tables, |random| student_scale(random, constants));
                    }
                    states = LaneStates::load(&words);
                    dot_low = _mm_mul_pd(dot_low, _mm_loadu_pd(scales.as_ptr()));
                    dot_high = _mm_mul_pd(dot_high, _mm_loadu_pd(scales.as_ptr().add(2)));
                }
                total_low = _mm_add_pd(total_low, dot_low);
                total_high = _mm_add_pd(total_high, dot_high);
            }
            let mut totals = [0.0_f64; LANES];
            _mm_storeu_pd(totals.as_mut_ptr(), total_low);
            _mm_storeu_pd(totals.as_mut_ptr().add(2), total_high);
            totals
        }
    }
}

/// Elsewhere, four scalar streams side by side (the same results; the compiler may vectorise).
#[cfg(not(target_arch = "x86_64"))]
mod lanes {
    use super::{simulate_stream, RandomStream, StudentConstants};

    pub const LANES: usize = 4;

    pub fn simulate_streams(exposures: &[f64], days: usize, seed: u32, first: u32, constants: Option<&StudentConstants>) -> [f64; LANES] {
        let mut totals = [0.0_f64; LANES];
        let mut random = RandomStream::new();
        for (lane, total) in totals.iter_mut().enumerate() {
            random.reset(seed, first.wrapping_add(lane as u32));
            *total = simulate_stream(&mut random, exposures, days, constants);
        }
        totals
    }
}

/// Eight streams in the lanes of AVX2 registers, the same recipe as `lanes` (read that first). Called only
/// after `is_x86_feature_detected!("avx2")`.
#[cfg(target_arch = "x86_64")]
mod wide_lanes {
    use super::{finish_slow_lanes, seeded_words, student_scale, with_lane, LaneWords, StudentConstants, Tables, ABSCISSA_SCALE};
    use core::arch::x86_64::*;

    pub const LANES: usize = 8;

    #[derive(Clone, Copy)]
    struct LaneStates {
        s0: __m256i,
        s1: __m256i,
        s2: __m256i,
        s3: __m256i,
    }

    type Words = LaneWords<LANES>;

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn next(states: &mut LaneStates) -> __m256i {
        let s1 = states.s1;
        let times_five = _mm256_add_epi32(_mm256_slli_epi32(s1, 2), s1);
        let rotated = _mm256_or_si256(_mm256_slli_epi32(times_five, 7), _mm256_srli_epi32(times_five, 25));
        let result = _mm256_add_epi32(_mm256_slli_epi32(rotated, 3), rotated);
        let shifted = _mm256_slli_epi32(s1, 9);
        states.s2 = _mm256_xor_si256(states.s2, states.s0);
        states.s3 = _mm256_xor_si256(states.s3, s1);
        states.s1 = _mm256_xor_si256(s1, states.s2);
        states.s0 = _mm256_xor_si256(states.s0, states.s3);
        states.s2 = _mm256_xor_si256(states.s2, shifted);
        states.s3 = _mm256_or_si256(_mm256_slli_epi32(states.s3, 11), _mm256_srli_epi32(states.s3, 21));
        result
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn store(states: &LaneStates) -> Words {
        let mut words: Words = [[0; LANES]; 4];
        _mm256_storeu_si256(words[0].as_mut_ptr() as *mut __m256i, states.s0);
        _mm256_storeu_si256(words[1].as_mut_ptr() as *mut __m256i, states.s1);
        _mm256_storeu_si256(words[2].as_mut_ptr() as *mut __m256i, states.s2);
        _mm256_storeu_si256(words[3].as_mut_ptr() as *mut __m256i, states.s3);
        words
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn load(words: &Words) -> LaneStates {
        LaneStates {
            s0: _mm256_loadu_si256(words[0].as_ptr() as *const __m256i),
            s1: _mm256_loadu_si256(words[1].as_ptr() as *const __m256i),
            s2: _mm256_loadu_si256(words[2].as_ptr() as *const __m256i),
            s3: _mm256_loadu_si256(words[3].as_ptr() as *const __m256i),
        }
    }

    /// (width, acceptBelow) of four lanes' layers as two vectors: widths (lanes 0..3) and thresholds.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn entries(interleaved: *const f64, layers: &[u32]) -> (__m256d, __m256d) {
        let entry = |lane: usize| _mm_loadu_pd(interleaved.add(2 * layers[lane] as usize));
        let even = _mm256_set_m128d(entry(2), entry(0));
        let odd = _mm256_set_m128d(entry(3), entry(1));
        (_mm256_unpacklo_pd(even, odd), _mm256_unpackhi_pd(even, odd))
    }

    /// Eight normals, one per lane (see lanes::normals).
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn normals(states: &mut LaneStates, tables: &'static Tables, interleaved: *const f64) -> (__m256d, __m256d) {
        let bits = next(states);
        let mut layers = [0_u32; LANES];
        _mm256_storeu_si256(layers.as_mut_ptr() as *mut __m256i, _mm256_and_si256(bits, _mm256_set1_epi32(1023)));
        let centred = _mm256_sub_epi32(_mm256_srli_epi32(bits, 10), _mm256_set1_epi32(ABSCISSA_SCALE as i32));
        let half = _mm256_set1_pd(0.5);
        let abscissa_low = _mm256_add_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(centred)), half);
        let abscissa_high = _mm256_add_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(centred, 1)), half);
        let (width_low, accept_low) = entries(interleaved, &layers[0..4]);
        let (width_high, accept_high) = entries(interleaved, &layers[4..8]);
        let x_low = _mm256_mul_pd(abscissa_low, width_low);
        let x_high = _mm256_mul_pd(abscissa_high, width_high);
        let sign = _mm256_set1_pd(-0.0);
        let ok_low = _mm256_cmp_pd(_mm256_andnot_pd(sign, abscissa_low), accept_low, _CMP_LT_OQ);
        let ok_high = _mm256_cmp_pd(_mm256_andnot_pd(sign, abscissa_high), accept_high, _CMP_LT_OQ);
        let accepted = _mm256_movemask_pd(ok_low) | (_mm256_movemask_pd(ok_high) << 4);
        if accepted == 0xff {
            return (x_low, x_high);
        }
        let (after, z_low, z_high) = finish_normals(*states, tables, layers, accepted, [abscissa_low, abscissa_high], [x_low, x_high]);
        *states = after;
        (z_low, z_high)
    }

    #[cold]
    #[inline(never)]
    #[target_feature(enable = "avx2")]
    unsafe fn finish_normals(
        states: LaneStates,
        tables: &'static Tables,
        layers: [u32; LANES],
        accepted: i32,
        abscissa: [__m256d; 2],
        x: [__m256d; 2],
    ) -> (LaneStates, __m256d, __m256d) {
        let mut xs = [0.0_f64; LANES];
        let mut abscissas = [0.0_f64; LANES];
        _mm256_storeu_pd(xs.as_mut_ptr(), x[0]);
        _mm256_storeu_pd(xs.as_mut_ptr().add(4), x[1]);
        _mm256_storeu_pd(abscissas.as_mut_ptr(), abscissa[0]);
        _mm256_storeu_pd(abscissas.as_mut_ptr().add(4), abscissa[1]);
        let mut words = store(&states);
        finish_slow_lanes(&mut words, tables, &layers, accepted, &abscissas, &mut xs);
        (load(&words), _mm256_loadu_pd(xs.as_ptr()), _mm256_loadu_pd(xs.as_ptr().add(4)))
    }

    /// The horizon P&L of streams first .. first + 7.
    /// SAFETY: the caller must have checked that the CPU supports AVX2.
    #[allow(clippy::needless_range_loop)] // lane indexes four arrays at once
    #[target_feature(enable = "avx2")]
    pub unsafe fn simulate_streams(exposures: &[f64], days: usize, seed: u32, first: u32, constants: Option<&StudentConstants>) -> [f64; LANES] {
        let tables = super::tables();
        let interleaved = tables.interleaved.as_ptr();
        let mut states = load(&seeded_words::<LANES>(seed, first));
        let mut total_low = _mm256_setzero_pd();
        let mut total_high = _mm256_setzero_pd();
        for _ in 0..days {
            let mut dot_low = _mm256_setzero_pd();
            let mut dot_high = _mm256_setzero_pd();
            for exposure in exposures {
                let (z_low, z_high) = normals(&mut states, tables, interleaved);
                let weight = _mm256_set1_pd(*exposure);
                dot_low = _mm256_add_pd(dot_low, _mm256_mul_pd(weight, z_low));
                dot_high = _mm256_add_pd(dot_high, _mm256_mul_pd(weight, z_high));
            }
            if let Some(constants) = constants {
                let mut scales = [0.0_f64; LANES];
                let mut words = store(&states);
                for (lane, scale) in scales.iter_mut().enumerate() {
                    *scale = with_lane(&mut words, lane, tables, |random| student_scale(random, constants));
                }
                states = load(&words);
                dot_low = _mm256_mul_pd(dot_low, _mm256_loadu_pd(scales.as_ptr()));
                dot_high = _mm256_mul_pd(dot_high, _mm256_loadu_pd(scales.as_ptr().add(4)));
            }
            total_low = _mm256_add_pd(total_low, dot_low);
            total_high = _mm256_add_pd(total_high, dot_high);
        }
        let mut totals = [0.0_f64; LANES];
        _mm256_storeu_pd(totals.as_mut_ptr(), total_low);
        _mm256_storeu_pd(totals.as_mut_ptr().add(4), total_high);
        totals
    }
}
