// Statistics and risk kernels for WebAssembly (AssemblyScript with SIMD, built by scripts/build-asm.mjs):
// covariance cross products, Cholesky, and the Monte Carlo path kernel with its random numbers.
//
// Every result is computed with exactly the floating-point operations of the TypeScript reference, in the
// same order, so the three backends agree to the last bit; read the reference for the algorithms and
// their sources:
//   crossProducts   src/kernels/stats/reference.ts      crossProductsUnchecked
//   cholesky        src/kernels/stats/linalg.ts     choleskyUnchecked
//   monteCarloSums  src/kernels/var/random.ts monteCarloSumsUnchecked (xoshiro128** streams,
//                   1024-layer Ziggurat, Marsaglia-Tsang gamma, fdlibm exp/log)
// What differs is scheduling: a 4 x 4 tile of the covariance accumulates in f64x2 lanes while t runs, and
// four Monte Carlo streams advance side by side in i32x4/f64x2 lanes. No lane ever reorders the arithmetic
// of its own entry or stream.
//
// Memory layout (one linear memory, exported as `memory`; the JS side owns everything after heapStart()):
//
//   0            static data                              heapStart()
//   | ziggurat tables (width, accept, density,    | lane    | operands placed by the caller, 16-byte
//   | interleaved width/accept pairs)             | scratch | aligned (src/kernels/stats/backends.ts)
//
// `reserve(bytes)` grows the memory so that [0, bytes) is addressable and returns 0 when it cannot.

import { readAt, writeAt } from './shared/memory';

/** As kStatsKernelVersion in src/kernels/stats/backends.ts. */
const kStatsKernelVersion: i32 = 1;
const kPageBytes: usize = 65536;

// ---------------------------------------------------------------------------------------------------
// fdlibm exp and log (positive, finite, normal arguments), as portableExp / portableLog

const kLn2High: f64 = 6.93147180369123816490e-1;
const kLn2Low: f64 = 1.90821492927058770002e-10;
const kInverseLn2: f64 = 1.4426950408889634074;
const kExpP1: f64 = 1.66666666666666019037e-1;
const kExpP2: f64 = -2.77777777770155933842e-3;
const kExpP3: f64 = 6.61375632143793436117e-5;
const kExpP4: f64 = -1.65339022054652515390e-6;
const kExpP5: f64 = 4.13813679705723846039e-8;

@inline function highWord(value: f64): i32 {
  return <i32>(reinterpret<u64>(value) >>> 32);
}

function portableExp(x: f64): f64 {
  const high = highWord(x);
  const negative = high < 0;
  const absoluteHigh = high & 0x7fffffff;
  let k: i32 = 0;
  let hi: f64 = 0;
  let lo: f64 = 0;
  if (absoluteHigh > 0x3fd62e42) {
    if (absoluteHigh >= 0x3ff0a2b2) k = <i32>(kInverseLn2 * x + (negative ? -0.5 : 0.5));
    else k = negative ? -1 : 1;
    hi = x - <f64>k * kLn2High;
    lo = <f64>k * kLn2Low;
    x = hi - lo;
  } else if (absoluteHigh > 0x3e300000) {
    hi = x;
  } else {
    return 1 + x;
  }
  const xx = x * x;
  const c = x - xx * (kExpP1 + xx * (kExpP2 + xx * (kExpP3 + xx * (kExpP4 + xx * kExpP5))));
  const y = 1 + ((x * c) / (2 - c) - lo + hi);
  return k == 0 ? y : y * reinterpret<f64>(<u64>(0x3ff + k) << 52);
}

const kLg1: f64 = 6.666666666666735130e-1;
const kLg2: f64 = 3.999999999940941908e-1;
const kLg3: f64 = 2.857142874366239149e-1;
const kLg4: f64 = 2.222219843214978396e-1;
const kLg5: f64 = 1.818357216161805012e-1;
const kLg6: f64 = 1.531383769920937332e-1;
const kLg7: f64 = 1.479819860511658591e-1;

function portableLog(input: f64): f64 {
  const bits = reinterpret<u64>(input);
  let high = <i32>(bits >>> 32);
  const low = bits & 0xffffffff;
  let k = (high >> 20) - 1023;
  high &= 0x000fffff;
  const i = (high + 0x95f64) & 0x100000;
  const x = reinterpret<f64>((<u64><u32>(high | (i ^ 0x3ff00000)) << 32) | low);
  k += i >> 20;
  const f = x - 1;
  const dk = <f64>k;
  if ((0x000fffff & (2 + high)) < 3) {
    if (f == 0) return k == 0 ? 0 : dk * kLn2High + dk * kLn2Low;
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    return k == 0 ? f - r : dk * kLn2High - (r - dk * kLn2Low - f);
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
    return k == 0 ? f - (hfsq - s * (hfsq + r)) : dk * kLn2High - (hfsq - (s * (hfsq + r) + dk * kLn2Low) - f);
  }
  return k == 0 ? f - s * (f - r) : dk * kLn2High - (s * (f - r) - dk * kLn2Low - f);
}

// ---------------------------------------------------------------------------------------------------
// Ziggurat tables, as buildZigguratTables

const kLayers: i32 = 1024;
const kTailStart: f64 = 4.038849846109504;
const kLayerArea: f64 = 0.0012263246463530893;
const kAbscissaScale: f64 = 2097152.0;

const acceptBelow: usize = memory.data(kLayers * 8, 16);
const widths: usize = memory.data(kLayers * 8, 16);
const densities: usize = memory.data(kLayers * 8, 16);
/** (width, acceptBelow) pairs: one v128 load per lane. */
const interleaved: usize = memory.data(kLayers * 16, 16);
/** Four lanes x four state words (u32), for moving a lane's state to the scalar stream and back. */
const laneScratch: usize = memory.data(64, 16);
/** Four f64 lane values (normals, abscissas) for the slow path. */
const valueScratch: usize = memory.data(64, 16);

function buildTables(): void {
  const last = kLayers - 1;
  let edge = kTailStart;
  let previousEdge = edge;
  const baseWidth = kLayerArea / portableExp(-0.5 * edge * edge);
  writeAt(acceptBelow, 0, (edge / baseWidth) * kAbscissaScale);
  writeAt(acceptBelow, 1, 0);
  writeAt(widths, 0, baseWidth / kAbscissaScale);
  writeAt(widths, last, edge / kAbscissaScale);
  writeAt(densities, 0, 1);
  writeAt(densities, last, portableExp(-0.5 * edge * edge));
  for (let layer = last - 1; layer >= 1; layer--) {
    edge = Math.sqrt(-2 * portableLog(kLayerArea / edge + portableExp(-0.5 * edge * edge)));
    writeAt(acceptBelow, layer + 1, (edge / previousEdge) * kAbscissaScale);
    previousEdge = edge;
    writeAt(densities, layer, portableExp(-0.5 * edge * edge));
    writeAt(widths, layer, edge / kAbscissaScale);
  }
  for (let layer = 0; layer < kLayers; layer++) {
    writeAt(interleaved, 2 * layer, readAt(widths, layer));
    writeAt(interleaved, 2 * layer + 1, readAt(acceptBelow, layer));
  }
}

buildTables();

// ---------------------------------------------------------------------------------------------------
// The scalar stream (as RandomStream), its state in globals

let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;

@inline function fmix32(value: u32): u32 {
  let h = value;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

@inline function stateWord(seedHash: u32, streamHash: u32, word: u32): u32 {
  const left = fmix32(seedHash + word * 0x9e3779b9);
  const right = fmix32(streamHash + word * 0x632be5ab);
  return fmix32(left ^ right);
}

function resetStream(seed: u32, stream: u32): void {
  const seedHash = fmix32(seed ^ 0x243f6a88);
  const streamHash = fmix32(stream ^ 0x85a308d3);
  s0 = stateWord(seedHash, streamHash, 1);
  s1 = stateWord(seedHash, streamHash, 2);
  s2 = stateWord(seedHash, streamHash, 3);
  s3 = stateWord(seedHash, streamHash, 4);
  if ((s0 | s1 | s2 | s3) == 0) s0 = 0x9e3779b9;
}

@inline function nextUint32(): u32 {
  const current = s1;
  const result = rotl<u32>(current * 5, 7) * 9;
  const shifted = current << 9;
  s2 ^= s0;
  s3 ^= current;
  s1 = current ^ s2;
  s0 ^= s3;
  s2 ^= shifted;
  s3 = rotl<u32>(s3, 11);
  return result;
}

@inline function nextUniform(): f64 {
  return (<f64>nextUint32() + 0.5) * (1.0 / 4294967296.0);
}

/** The slow path of nextNormal for a draw that missed the fast test: tail, wedge, or a fresh draw. */
function normalSlow(layerIn: i32, abscissaIn: f64, xIn: f64): f64 {
  let layer = layerIn;
  let abscissa = abscissaIn;
  let x = xIn;
  while (true) {
    if (layer == 0) return tail(abscissa < 0);
    const top = readAt(densities, layer - 1);
    const bottom = readAt(densities, layer);
    if (bottom + nextUniform() * (top - bottom) < portableExp(-0.5 * x * x)) return x;
    const bits = nextUint32();
    layer = <i32>(bits & 1023);
    abscissa = <f64>(bits >>> 10) - kAbscissaScale + 0.5;
    x = abscissa * readAt(widths, layer);
    if (Math.abs(abscissa) < readAt(acceptBelow, layer)) return x;
  }
  return 0; // unreachable
}

function tail(negative: bool): f64 {
  while (true) {
    const x = -portableLog(nextUniform()) / kTailStart;
    const y = -portableLog(nextUniform());
    if (y + y >= x * x) return negative ? -(kTailStart + x) : kTailStart + x;
  }
  return 0; // unreachable
}

@inline function nextNormal(): f64 {
  const bits = nextUint32();
  const layer = <i32>(bits & 1023);
  const abscissa = <f64>(bits >>> 10) - kAbscissaScale + 0.5;
  const x = abscissa * readAt(widths, layer);
  if (Math.abs(abscissa) < readAt(acceptBelow, layer)) return x;
  return normalSlow(layer, abscissa, x);
}

function nextGamma(d: f64, c: f64): f64 {
  while (true) {
    let x: f64;
    let v: f64;
    do {
      x = nextNormal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = nextUniform();
    const xx = x * x;
    if (u < 1 - 0.0331 * xx * xx) return d * v;
    if (portableLog(u) < 0.5 * xx + d * (1 - v + portableLog(v))) return d * v;
  }
  return 0; // unreachable
}

let studentD: f64 = 0;
let studentC: f64 = 0;
let studentDofMinusTwo: f64 = 0;

function studentScale(): f64 {
  const chiSquare = 2 * nextGamma(studentD, studentC);
  return Math.sqrt(studentDofMinusTwo / chiSquare);
}

/** One stream's horizon P&L, as the reference loop. */
function simulateStream(exposures: usize, assets: i32, days: i32, isStudent: bool): f64 {
  let total: f64 = 0;
  for (let day = 0; day < days; day++) {
    let dot: f64 = 0;
    for (let j = 0; j < assets; j++) dot += load<f64>(exposures + (<usize>j << 3)) * nextNormal();
    if (isStudent) dot *= studentScale();
    total += dot;
  }
  return total;
}

// ---------------------------------------------------------------------------------------------------
// Four streams in lanes

// The lane states live in locals of the SIMD loop; these helpers move one lane to the scalar stream
// (through laneScratch) and back.
@inline function laneWordAddress(word: i32, lane: i32): usize {
  return laneScratch + (<usize>(word * 4 + lane) << 2);
}

function loadLane(lane: i32): void {
  s0 = load<u32>(laneWordAddress(0, lane));
  s1 = load<u32>(laneWordAddress(1, lane));
  s2 = load<u32>(laneWordAddress(2, lane));
  s3 = load<u32>(laneWordAddress(3, lane));
}

function storeLane(lane: i32): void {
  store<u32>(laneWordAddress(0, lane), s0);
  store<u32>(laneWordAddress(1, lane), s1);
  store<u32>(laneWordAddress(2, lane), s2);
  store<u32>(laneWordAddress(3, lane), s3);
}

/** Horizon P&L of streams first .. first + 3, into out[0..3]. */
function simulateFour(exposures: usize, assets: i32, days: i32, seed: u32, first: u32, isStudent: bool, out: usize): void {
  for (let lane = 0; lane < 4; lane++) {
    resetStream(seed, first + <u32>lane);
    storeLane(lane);
  }
  let state0 = v128.load(laneScratch);
  let state1 = v128.load(laneScratch + 16);
  let state2 = v128.load(laneScratch + 32);
  let state3 = v128.load(laneScratch + 48);
  const layerMask = i32x4.splat(1023);
  const centre = i32x4.splat(<i32>kAbscissaScale);
  const half = f64x2.splat(0.5);
  let totalLow = f64x2.splat(0);
  let totalHigh = f64x2.splat(0);
  for (let day = 0; day < days; day++) {
    let dotLow = f64x2.splat(0);
    let dotHigh = f64x2.splat(0);
    for (let j = 0; j < assets; j++) {
      // xoshiro128** in each lane.
      const current = state1;
      const result = i32x4.mul(v128.or(i32x4.shl(i32x4.mul(current, i32x4.splat(5)), 7), i32x4.shr_u(i32x4.mul(current, i32x4.splat(5)), 25)), i32x4.splat(9));
      const shifted = i32x4.shl(current, 9);
      state2 = v128.xor(state2, state0);
      state3 = v128.xor(state3, current);
      state1 = v128.xor(current, state2);
      state0 = v128.xor(state0, state3);
      state2 = v128.xor(state2, shifted);
      state3 = v128.or(i32x4.shl(state3, 11), i32x4.shr_u(state3, 21));
      // The Ziggurat fast test in lanes; ((bits >>> 10) - 2^21) is exact in i32, so + 0.5 after converting
      // gives the reference's abscissa.
      const layers = v128.and(result, layerMask);
      const centred = i32x4.sub(i32x4.shr_u(result, 10), centre);
      const abscissaLow = f64x2.add(f64x2.convert_low_i32x4_s(centred), half);
      const abscissaHigh = f64x2.add(f64x2.convert_low_i32x4_s(i32x4.shuffle(centred, centred, 2, 3, 2, 3)), half);
      const layer0 = i32x4.extract_lane(layers, 0);
      const layer1 = i32x4.extract_lane(layers, 1);
      const layer2 = i32x4.extract_lane(layers, 2);
      const layer3 = i32x4.extract_lane(layers, 3);
      const entry0 = v128.load(interleaved + (<usize>layer0 << 4));
      const entry1 = v128.load(interleaved + (<usize>layer1 << 4));
      const entry2 = v128.load(interleaved + (<usize>layer2 << 4));
      const entry3 = v128.load(interleaved + (<usize>layer3 << 4));
      let xLow = f64x2.mul(abscissaLow, f64x2.shuffle(entry0, entry1, 0, 2));
      let xHigh = f64x2.mul(abscissaHigh, f64x2.shuffle(entry2, entry3, 0, 2));
      const acceptLow = f64x2.lt(f64x2.abs(abscissaLow), f64x2.shuffle(entry0, entry1, 1, 3));
      const acceptHigh = f64x2.lt(f64x2.abs(abscissaHigh), f64x2.shuffle(entry2, entry3, 1, 3));
      if (!i64x2.all_true(v128.and(acceptLow, acceptHigh))) {
        // Slow path: finish the lanes that missed on the scalar stream, each from its own state.
        v128.store(laneScratch, state0);
        v128.store(laneScratch + 16, state1);
        v128.store(laneScratch + 32, state2);
        v128.store(laneScratch + 48, state3);
        v128.store(valueScratch, xLow);
        v128.store(valueScratch + 16, xHigh);
        v128.store(valueScratch + 32, abscissaLow);
        v128.store(valueScratch + 48, abscissaHigh);
        const acceptedBits = i64x2.bitmask(acceptLow) | (i64x2.bitmask(acceptHigh) << 2);
        for (let lane = 0; lane < 4; lane++) {
          if ((acceptedBits & (1 << lane)) != 0) continue;
          const layer = lane == 0 ? layer0 : lane == 1 ? layer1 : lane == 2 ? layer2 : layer3;
          loadLane(lane);
          const x = normalSlow(layer, load<f64>(valueScratch + 32 + (<usize>lane << 3)), load<f64>(valueScratch + (<usize>lane << 3)));
          storeLane(lane);
          store<f64>(valueScratch + (<usize>lane << 3), x);
        }
        state0 = v128.load(laneScratch);
        state1 = v128.load(laneScratch + 16);
        state2 = v128.load(laneScratch + 32);
        state3 = v128.load(laneScratch + 48);
        xLow = v128.load(valueScratch);
        xHigh = v128.load(valueScratch + 16);
      }
      const weight = v128.load64_splat(exposures + (<usize>j << 3));
      dotLow = f64x2.add(dotLow, f64x2.mul(weight, xLow));
      dotHigh = f64x2.add(dotHigh, f64x2.mul(weight, xHigh));
    }
    if (isStudent) {
      v128.store(laneScratch, state0);
      v128.store(laneScratch + 16, state1);
      v128.store(laneScratch + 32, state2);
      v128.store(laneScratch + 48, state3);
      for (let lane = 0; lane < 4; lane++) {
        loadLane(lane);
        store<f64>(valueScratch + (<usize>lane << 3), studentScale());
        storeLane(lane);
      }
      state0 = v128.load(laneScratch);
      state1 = v128.load(laneScratch + 16);
      state2 = v128.load(laneScratch + 32);
      state3 = v128.load(laneScratch + 48);
      dotLow = f64x2.mul(dotLow, v128.load(valueScratch));
      dotHigh = f64x2.mul(dotHigh, v128.load(valueScratch + 16));
    }
    totalLow = f64x2.add(totalLow, dotLow);
    totalHigh = f64x2.add(totalHigh, dotHigh);
  }
  v128.store(out, totalLow);
  v128.store(out + 16, totalHigh);
}

// ---------------------------------------------------------------------------------------------------
// Exports

export function version(): i32 {
  return kStatsKernelVersion;
}

/** Where the caller may place operands: the first 16-byte boundary after the static data. */
export function heapStart(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Grows the memory so [0, bytes) is addressable; 1 on success, 0 when it cannot grow. */
export function reserve(bytes: f64): i32 {
  if (!(bytes >= 0) || bytes > 4294901760) return 0;
  const pagesNeeded = <i32>((<u64>bytes + kPageBytes - 1) / kPageBytes);
  const pagesNow = memory.size();
  if (pagesNeeded > pagesNow && memory.grow(pagesNeeded - pagesNow) < 0) return 0;
  return 1;
}

/**
 * Horizon P&L of `count` streams from streamStart into out (see monteCarloSumsUnchecked). dof 0 means
 * normal shocks; otherwise Student-t with dof > 2 (checked by the caller).
 */
export function monteCarloSums(exposures: usize, assets: i32, days: i32, seed: u32, streamStart: u32, dof: f64, out: usize, count: i32): void {
  assert(assets >= 1);
  assert(days >= 1);
  assert(count >= 0);
  const isStudent = dof > 0;
  if (isStudent) {
    studentD = dof * 0.5 - 1.0 / 3.0;
    studentC = 1 / Math.sqrt(9 * studentD);
    studentDofMinusTwo = dof - 2;
  }
  const groups = count >> 2;
  for (let group = 0; group < groups; group++) {
    simulateFour(exposures, assets, days, seed, streamStart + <u32>(group << 2), isStudent, out + (<usize>group << 5));
  }
  for (let offset = groups << 2; offset < count; offset++) {
    resetStream(seed, streamStart + <u32>offset);
    store<f64>(out + (<usize>offset << 3), simulateStream(exposures, assets, days, isStudent));
  }
}

/**
 * out[i][j] = sum_t left[t][i] * right[t][j] (t ascending from +0) for j >= i, mirrored (see
 * crossProductsUnchecked). Observations run in chunks of 64 (the chunk's rows stay in cache) and 4 x 4 tiles
 * accumulate in f64x2 lanes across a chunk, continuing from the partial sums in `out`; the last
 * assets % 4 columns run scalar. Every entry still adds its terms in t order.
 */
export function crossProducts(left: usize, right: usize, observations: i32, assets: i32, out: usize): void {
  assert(assets >= 1);
  assert(observations >= 1);
  const stride = <usize>assets << 3;
  memory.fill(out, 0, <usize>assets * stride);
  const tiled = assets & ~3;
  for (let chunkStart = 0; chunkStart < observations; chunkStart += 64) {
    const chunkEnd = min(chunkStart + 64, observations);
    for (let row = 0; row < tiled; row += 4) {
      for (let column = row; column < tiled; column += 4) {
        crossTile(left, right, chunkStart, chunkEnd, row, column, stride, out);
      }
      for (let i = row; i < row + 4; i++) {
        for (let j = tiled; j < assets; j++) crossEntry(left, right, chunkStart, chunkEnd, i, j, stride, out);
      }
    }
    for (let i = tiled; i < assets; i++) {
      for (let j = i; j < assets; j++) crossEntry(left, right, chunkStart, chunkEnd, i, j, stride, out);
    }
  }
  for (let i = 1; i < assets; i++) {
    for (let j = 0; j < i; j++) store<f64>(out + <usize>i * stride + (<usize>j << 3), load<f64>(out + <usize>j * stride + (<usize>i << 3)));
  }
}

@inline function crossTile(left: usize, right: usize, chunkStart: i32, chunkEnd: i32, row: i32, column: i32, stride: usize, out: usize): void {
  const base0 = out + <usize>row * stride + (<usize>column << 3);
  const base1 = base0 + stride;
  const base2 = base1 + stride;
  const base3 = base2 + stride;
  let sum00 = v128.load(base0);
  let sum01 = v128.load(base0 + 16);
  let sum10 = v128.load(base1);
  let sum11 = v128.load(base1 + 16);
  let sum20 = v128.load(base2);
  let sum21 = v128.load(base2 + 16);
  let sum30 = v128.load(base3);
  let sum31 = v128.load(base3 + 16);
  for (let t = chunkStart; t < chunkEnd; t++) {
    const leftRow = left + <usize>t * stride + (<usize>row << 3);
    const rightRow = right + <usize>t * stride + (<usize>column << 3);
    const rightLow = v128.load(rightRow);
    const rightHigh = v128.load(rightRow + 16);
    const factor0 = v128.load64_splat(leftRow);
    const factor1 = v128.load64_splat(leftRow + 8);
    const factor2 = v128.load64_splat(leftRow + 16);
    const factor3 = v128.load64_splat(leftRow + 24);
    sum00 = f64x2.add(sum00, f64x2.mul(factor0, rightLow));
    sum01 = f64x2.add(sum01, f64x2.mul(factor0, rightHigh));
    sum10 = f64x2.add(sum10, f64x2.mul(factor1, rightLow));
    sum11 = f64x2.add(sum11, f64x2.mul(factor1, rightHigh));
    sum20 = f64x2.add(sum20, f64x2.mul(factor2, rightLow));
    sum21 = f64x2.add(sum21, f64x2.mul(factor2, rightHigh));
    sum30 = f64x2.add(sum30, f64x2.mul(factor3, rightLow));
    sum31 = f64x2.add(sum31, f64x2.mul(factor3, rightHigh));
  }
  v128.store(base0, sum00);
  v128.store(base0 + 16, sum01);
  v128.store(base1, sum10);
  v128.store(base1 + 16, sum11);
  v128.store(base2, sum20);
  v128.store(base2 + 16, sum21);
  v128.store(base3, sum30);
  v128.store(base3 + 16, sum31);
}

@inline function crossEntry(left: usize, right: usize, chunkStart: i32, chunkEnd: i32, i: i32, j: i32, stride: usize, out: usize): void {
  const address = out + <usize>i * stride + (<usize>j << 3);
  let sum = load<f64>(address);
  for (let t = chunkStart; t < chunkEnd; t++) {
    sum += load<f64>(left + <usize>t * stride + (<usize>i << 3)) * load<f64>(right + <usize>t * stride + (<usize>j << 3));
  }
  store<f64>(address, sum);
}

/**
 * Cholesky-Banachiewicz into factor (zeroed by the caller), as choleskyUnchecked: -1, or the first pivot
 * index that is not > 1e-12 x its diagonal entry, with the pivot's value left in factor[j][j].
 */
export function cholesky(matrix: usize, n: i32, factor: usize): i32 {
  assert(n >= 1);
  const stride = <usize>n << 3;
  for (let row = 0; row < n; row++) {
    const rowBase = <usize>row * stride;
    for (let column = 0; column < row; column++) {
      const columnBase = <usize>column * stride;
      let sum = load<f64>(matrix + rowBase + (<usize>column << 3));
      for (let k = 0; k < column; k++) {
        sum -= load<f64>(factor + rowBase + (<usize>k << 3)) * load<f64>(factor + columnBase + (<usize>k << 3));
      }
      store<f64>(factor + rowBase + (<usize>column << 3), sum / load<f64>(factor + columnBase + (<usize>column << 3)));
    }
    const diagonal = load<f64>(matrix + rowBase + (<usize>row << 3));
    let pivot = diagonal;
    for (let k = 0; k < row; k++) {
      const value = load<f64>(factor + rowBase + (<usize>k << 3));
      pivot -= value * value;
    }
    if (!(pivot > 1e-12 * diagonal)) {
      store<f64>(factor + rowBase + (<usize>row << 3), pivot);
      return row;
    }
    store<f64>(factor + rowBase + (<usize>row << 3), Math.sqrt(pivot));
  }
  return -1;
}
