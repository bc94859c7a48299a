/**
 * Reference random numbers for the Monte Carlo VaR, in plain TypeScript, and the Monte Carlo path kernel
 * itself. Everything here is reproduced operation for operation by asm/risk.ts and native/src/risk.rs, so
 * for a given seed the three backends produce the same paths to the last bit:
 *
 *   - Uniform bits: xoshiro128** (D. Blackman and S. Vigna, "Scrambled Linear Pseudorandom Number
 *     Generators", ACM TOMS 47, 2021), 32-bit, so the TS reference needs no 64-bit integers.
 *   - One stream per path: the generator state of stream s is four words hashed from (seed, s) with the
 *     MurmurHash3 finaliser (fmix32, A. Appleby). A path therefore depends only on (seed, its index), never
 *     on which block, worker or backend simulated it, which is what makes the thread count irrelevant.
 *   - Normals: the Ziggurat method of G. Marsaglia and W. W. Tsang ("The Ziggurat Method for Generating
 *     Random Variables", J. Stat. Software 5(8), 2000) with 1024 layers, taking the layer index (10 bits)
 *     and the abscissa (22 bits) from disjoint bits of one 32-bit draw, which removes the layer/value
 *     correlation J. A. Doornik pointed out ("An Improved Ziggurat Method to Generate Normal Random
 *     Samples", 2005). The tail beyond R uses Marsaglia's 1964 exact method.
 *   - Chi-square for Student-t: 2 x Gamma(dof / 2) by Marsaglia and Tsang ("A Simple Method for Generating
 *     Gamma Variables", ACM TOMS 26, 2000).
 *   - exp and log: ports of fdlibm's e_exp.c and e_log.c (Sun Microsystems, 1993), used by the tables and
 *     the rare slow paths. Math.exp/Math.log cannot be used: V8, AssemblyScript and Rust's libm may differ
 *     in the last bit, and then the backends would not agree. sqrt is exact (IEEE) everywhere.
 *
 * No fused multiply-add anywhere (see docs/kernels.md): the Rust and WASM ports spell out the same
 * products and sums.
 */

// ---------------------------------------------------------------------------------------------------
// fdlibm exp and log (positive, finite, normal arguments only: that is all the kernels need)

const kScratch = new Float64Array(1);
const kScratchWords = new Int32Array(kScratch.buffer);
// Int32Array words follow the platform's byte order; every platform Node supports is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('expected a little-endian platform');

function highWord(value: number): number {
  kScratch[0] = value;
  return kScratchWords[1]!;
}

function lowWord(value: number): number {
  kScratch[0] = value;
  return kScratchWords[0]!;
}

function fromWords(high: number, low: number): number {
  kScratchWords[1] = high;
  kScratchWords[0] = low;
  return kScratch[0]!;
}

const kLn2High = 6.93147180369123816490e-1;
const kLn2Low = 1.90821492927058770002e-10;
const kInverseLn2 = 1.4426950408889634074;
const kExpP1 = 1.66666666666666019037e-1;
const kExpP2 = -2.77777777770155933842e-3;
const kExpP3 = 6.61375632143793436117e-5;
const kExpP4 = -1.65339022054652515390e-6;
const kExpP5 = 4.13813679705723846039e-8;

/**
 * e^x for -708 <= x <= 708, by fdlibm's e_exp.c (argument reduction x = k ln2 + r, |r| <= ln2 / 2, a
 * degree-5 Remez rational for e^r, then 2^k applied exactly). Error below 1 ulp.
 */
export function portableExp(x: number): number {
  const high = highWord(x);
  const negative = high < 0;
  const absoluteHigh = high & 0x7fffffff;
  let k = 0;
  let hi = 0;
  let lo = 0;
  if (absoluteHigh > 0x3fd62e42) {
    // |x| > ln2 / 2
    if (absoluteHigh >= 0x3ff0a2b2) k = Math.trunc(kInverseLn2 * x + (negative ? -0.5 : 0.5));
    else k = negative ? -1 : 1;
    hi = x - k * kLn2High;
    lo = k * kLn2Low;
    x = hi - lo;
  } else if (absoluteHigh > 0x3e300000) {
    // 2^-28 < |x| <= ln2 / 2
    hi = x;
  } else {
    return 1 + x;
  }
  const xx = x * x;
  const c = x - xx * (kExpP1 + xx * (kExpP2 + xx * (kExpP3 + xx * (kExpP4 + xx * kExpP5))));
  const y = 1 + ((x * c) / (2 - c) - lo + hi);
  return k === 0 ? y : y * fromWords((0x3ff + k) << 20, 0);
}

const kLg1 = 6.666666666666735130e-1;
const kLg2 = 3.999999999940941908e-1;
const kLg3 = 2.857142874366239149e-1;
const kLg4 = 2.222219843214978396e-1;
const kLg5 = 1.818357216161805012e-1;
const kLg6 = 1.531383769920937332e-1;
const kLg7 = 1.479819860511658591e-1;

/**
 * ln(x) for positive, finite, normal x, by fdlibm's e_log.c (x = 2^k (1 + f), sqrt(2)/2 <= 1 + f <
 * sqrt(2), ln(1 + f) by a degree-14 Remez polynomial in s = f / (2 + f)). Error below 1 ulp.
 */
export function portableLog(x: number): number {
  let high = highWord(x);
  let k = (high >> 20) - 1023;
  high &= 0x000fffff;
  const i = (high + 0x95f64) & 0x100000;
  // Normalise x or x / 2 so that 1 + f lies in [sqrt(2)/2, sqrt(2)).
  x = fromWords(high | (i ^ 0x3ff00000), lowWord(x));
  k += i >> 20;
  const f = x - 1;
  const dk = k;
  if ((0x000fffff & (2 + high)) < 3) {
    // -2^-20 <= f < 2^-20
    if (f === 0) return k === 0 ? 0 : dk * kLn2High + dk * kLn2Low;
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    return k === 0 ? f - r : dk * kLn2High - (r - dk * kLn2Low - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  let j = high - 0x6147a;
  const w = z * z;
  const j2 = 0x6b851 - high;
  const t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  j |= j2;
  const r = t2 + t1;
  if (j > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + r)) : dk * kLn2High - (hfsq - (s * (hfsq + r) + dk * kLn2Low) - f);
  }
  return k === 0 ? f - s * (f - r) : dk * kLn2High - (s * (f - r) - dk * kLn2Low - f);
}

// ---------------------------------------------------------------------------------------------------
// Ziggurat tables

/**
 * Layers of the ziggurat (a power of two: the layer index is the low 10 bits of a draw). 1024 rather than
 * Marsaglia and Tsang's 128 because 99.57% of draws then take the fast path instead of 97.2%, which
 * matters to the compiled kernels: they run four streams in SIMD lanes and must leave the lanes for the
 * slow path (1.7% of groups of four instead of 10.6%). The price is the abscissa's resolution: 22 bits
 * (2^21 steps each side within a layer, about 2e-6 at the widest), irrelevant next to Monte Carlo error.
 * The tables take 24 KiB.
 */
export const kZigguratLayers = 1024;
/**
 * R, the start of the tail, and V = R f(R) + the tail's area, the area of each layer, for 1024 layers
 * (f(x) = exp(-x^2 / 2)). Not in the literature for 1024 layers, so computed here as Marsaglia and Tsang
 * computed theirs: R by bisection so that the recursion x_(i-1) = f^-1(V / x_i + f(x_i)) from x_1023 = R
 * closes the top layer (V / x_1 + f(x_1) = 1), in double precision (docs/risk.md has the script).
 */
export const kZigguratTailStart = 4.038849846109504;
const kZigguratLayerArea = 0.0012263246463530893;
/** The abscissa of a draw is an integer in [-2^21, 2^21) plus one half; the tables are scaled by 2^21. */
const kAbscissaScale = 2_097_152;

export interface ZigguratTables {
  /** Layer i accepts at once when |abscissa| < acceptBelow[i] (abscissa in units of 2^-21 of the layer's width). */
  acceptBelow: Float64Array;
  /** Layer i's width / 2^21: x = abscissa * width[i]. */
  width: Float64Array;
  /** f(x_i) = exp(-x_i^2 / 2) at the right edge of layer i; density[0] = 1 is the top. */
  density: Float64Array;
}

/**
 * Builds the tables exactly as Marsaglia and Tsang's zigset (2000), with portableExp/portableLog and the
 * 2^21 scaling, so every backend that runs this recipe gets the same bits.
 */
export function buildZigguratTables(): ZigguratTables {
  const acceptBelow = new Float64Array(kZigguratLayers);
  const width = new Float64Array(kZigguratLayers);
  const density = new Float64Array(kZigguratLayers);
  const last = kZigguratLayers - 1;
  let edge = kZigguratTailStart;
  let previousEdge = edge;
  const baseWidth = kZigguratLayerArea / portableExp(-0.5 * edge * edge);
  acceptBelow[0] = (edge / baseWidth) * kAbscissaScale;
  acceptBelow[1] = 0;
  width[0] = baseWidth / kAbscissaScale;
  width[last] = edge / kAbscissaScale;
  density[0] = 1;
  density[last] = portableExp(-0.5 * edge * edge);
  for (let layer = last - 1; layer >= 1; layer--) {
    edge = Math.sqrt(-2 * portableLog(kZigguratLayerArea / edge + portableExp(-0.5 * edge * edge)));
    acceptBelow[layer + 1] = (edge / previousEdge) * kAbscissaScale;
    previousEdge = edge;
    density[layer] = portableExp(-0.5 * edge * edge);
    width[layer] = edge / kAbscissaScale;
  }
  return { acceptBelow, width, density };
}

const kTables = buildZigguratTables();

// ---------------------------------------------------------------------------------------------------
// Streams

/** MurmurHash3's 32-bit finaliser: a bijection with full avalanche. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Golden-ratio and other odd constants that tell the four state words apart. */
const kSeedKey = 0x243f6a88;
const kStreamKey = 0x85a308d3;
const kWordStepSeed = 0x9e3779b9;
const kWordStepStream = 0x632be5ab;

/**
 * One random stream: xoshiro128** seeded from (seed, stream), with the Ziggurat normal, uniforms and the
 * Marsaglia-Tsang gamma on top. `reset` reseeds in place (no allocation per path).
 */
export class RandomStream {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * State word w (0..3) = fmix32(fmix32(seedHash + (w + 1) * A) ^ fmix32(streamHash + (w + 1) * B)),
   * seedHash = fmix32(seed ^ K1), streamHash = fmix32(stream ^ K2), arithmetic mod 2^32. For a fixed
   * seed every word is a bijection of the stream index, so no two streams share a state. An all-zero
   * state (xoshiro's one forbidden state) cannot occur in practice but is mapped to a fixed word anyway.
   */
  reset(seed: number, stream: number): void {
    const seedHash = fmix32(seed ^ kSeedKey);
    const streamHash = fmix32(stream ^ kStreamKey);
    this.s0 = stateWord(seedHash, streamHash, 1);
    this.s1 = stateWord(seedHash, streamHash, 2);
    this.s2 = stateWord(seedHash, streamHash, 3);
    this.s3 = stateWord(seedHash, streamHash, 4);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = kWordStepSeed;
  }

  /** xoshiro128**: the next 32 uniform bits, as an unsigned integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const product = Math.imul(s1, 5);
    const result = Math.imul((product << 7) | (product >>> 25), 9) >>> 0;
    const shifted = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= shifted;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform in (0, 1), never 0 or 1: (u + 1/2) / 2^32. */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) * 2.3283064365386963e-10;
  }

  /**
   * Standard normal by the Ziggurat. Draw u: layer = u & 1023; abscissa = ((u >>> 10) - 2^21) + 1/2,
   * which is symmetric about 0 and never 0; x = abscissa * width[layer]. 99.57% of draws return at once.
   */
  nextNormal(): number {
    for (;;) {
      const bits = this.nextUint32();
      const layer = bits & 1023;
      const abscissa = (bits >>> 10) - kAbscissaScale + 0.5;
      const x = abscissa * kTables.width[layer]!;
      if (Math.abs(abscissa) < kTables.acceptBelow[layer]!) return x;
      if (layer === 0) return this.tail(abscissa < 0);
      const top = kTables.density[layer - 1]!;
      const bottom = kTables.density[layer]!;
      if (bottom + this.nextUniform() * (top - bottom) < portableExp(-0.5 * x * x)) return x;
    }
  }

  /** Marsaglia (1964): the normal tail beyond R, exactly. */
  private tail(negative: boolean): number {
    for (;;) {
      const x = -portableLog(this.nextUniform()) / kZigguratTailStart;
      const y = -portableLog(this.nextUniform());
      if (y + y >= x * x) return negative ? -(kZigguratTailStart + x) : kZigguratTailStart + x;
    }
  }

  /**
   * Gamma(shape, 1) for shape >= 1 by Marsaglia and Tsang (2000): d = shape - 1/3, c = 1 / sqrt(9 d);
   * x normal, v = (1 + c x)^3 > 0; accept d v if u < 1 - 0.0331 x^4 (the squeeze, 98% of draws) or
   * ln u < x^2 / 2 + d (1 - v + ln v).
   */
  nextGamma(d: number, c: number): number {
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.nextNormal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.nextUniform();
      const xx = x * x;
      if (u < 1 - 0.0331 * xx * xx) return d * v;
      if (portableLog(u) < 0.5 * xx + d * (1 - v + portableLog(v))) return d * v;
    }
  }
}

function stateWord(seedHash: number, streamHash: number, word: number): number {
  const left = fmix32((seedHash + Math.imul(word, kWordStepSeed)) >>> 0);
  const right = fmix32((streamHash + Math.imul(word, kWordStepStream)) >>> 0);
  return fmix32(left ^ right) | 0;
}

// ---------------------------------------------------------------------------------------------------
// The Monte Carlo path kernel

/**
 * Student-t constants for a dof > 2 (dof 0 means normal shocks): the Marsaglia-Tsang d and c for
 * Gamma(dof / 2), and dof - 2 for the unit-variance scale sqrt((dof - 2) / chi2).
 */
export interface StudentConstants {
  d: number;
  c: number;
  dofMinusTwo: number;
}

export function studentConstants(dof: number): StudentConstants {
  const d = dof * 0.5 - 1 / 3;
  return { d, c: 1 / Math.sqrt(9 * d), dofMinusTwo: dof - 2 };
}

/**
 * Draws one day's multivariate-t scale sqrt((dof - 2) / W), W = 2 Gamma(dof / 2) ~ chi-square(dof): the
 * shock vector z * scale then has unit variance and Student-t margins with `dof` degrees of freedom.
 */
export function studentScale(random: RandomStream, constants: StudentConstants): number {
  const chiSquare = 2 * random.nextGamma(constants.d, constants.c);
  return Math.sqrt(constants.dofMinusTwo / chiSquare);
}

/**
 * The horizon P&L of streams streamStart .. streamStart + out.length - 1, without argument checks:
 *
 *   out[s] = sum_{day < days} scale_day * (sum_{j < N} exposures[j] * z[day][j])
 *
 * with z[day][j] the stream's normals in order (day by day, asset by asset), scale_day = 1 for normal
 * shocks (dof = 0) and sqrt((dof - 2) / W_day) drawn after the day's normals for Student-t. Sums run left
 * to right from +0. `exposures` is v = L^T w (see src/kernels/var/monte-carlo.ts): v . z has the law of
 * w . (L z), the P&L of positions w under shocks with covariance L L^T, at N flops per day instead of N^2.
 */
export function monteCarloSumsUnchecked(
  exposures: Float64Array,
  days: number,
  seed: number,
  streamStart: number,
  dof: number,
  out: Float64Array,
): void {
  const random = new RandomStream();
  const assets = exposures.length;
  const constants = dof > 0 ? studentConstants(dof) : null;
  for (let offset = 0; offset < out.length; offset++) {
    random.reset(seed, streamStart + offset);
    let total = 0;
    for (let day = 0; day < days; day++) {
      let dot = 0;
      for (let j = 0; j < assets; j++) dot += exposures[j]! * random.nextNormal();
      if (constants !== null) dot *= studentScale(random, constants);
      total += dot;
    }
    out[offset] = total;
  }
}

/**
 * Replays stream `stream` and returns its cumulative shock per asset over the horizon:
 * shock[i] = sum_day scale_day (L z[day])_i = (L sum_day scale_day z[day])_i, with the same draws as
 * monteCarloSumsUnchecked, so that sum_i positions[i] * shock[i] equals that stream's P&L up to rounding.
 * Summing the scaled normals first makes it one N^2 / 2 product per path instead of one per day. Used for
 * the component VaR of the few paths near the quantile (TS only, whatever the backend).
 */
export function replayAssetShocks(factor: Float64Array, assets: number, days: number, seed: number, stream: number, dof: number): Float64Array {
  const random = new RandomStream();
  random.reset(seed, stream);
  const constants = dof > 0 ? studentConstants(dof) : null;
  const normals = new Float64Array(assets);
  const summed = new Float64Array(assets);
  for (let day = 0; day < days; day++) {
    for (let j = 0; j < assets; j++) normals[j] = random.nextNormal();
    const scale = constants === null ? 1 : studentScale(random, constants);
    for (let j = 0; j < assets; j++) summed[j] = summed[j]! + normals[j]! * scale;
  }
  const shocks = new Float64Array(assets);
  for (let i = 0; i < assets; i++) {
    let shock = 0;
    for (let j = 0; j <= i; j++) shock += factor[i * assets + j]! * summed[j]!;
    shocks[i] = shock;
  }
  return shocks;
}
