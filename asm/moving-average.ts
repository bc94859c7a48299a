// Moving-average kernels for WebAssembly (AssemblyScript, compiled with SIMD by scripts/build-asm.mjs).
//
// These kernels perform, for every output, exactly the floating-point operations of the TypeScript
// reference (src/kernels/indicators/moving-average.ts) in the same order, so the results match it bit for
// bit; read that file for the algorithms and the NaN rules. What differs is scheduling: independent
// recurrences (the sums of different blocks) run side by side in f64x2 lanes, which the reference cannot
// express. SIMD is not used where it would change the order of additions inside one output.
//
// Memory layout (one wasm32 linear memory, exported as `memory`; the JS facade owns the regions):
//
//   0                 heapStart                          outputStart()
//   | static data      | input: capacity f64  | skew    | output: capacity f64   | (free)
//   | (decay powers)   |                      |         |                        |
//
// (the skew puts the output 2 KiB + 64 bytes off the input modulo 4 KiB; see kAliasSkewBytes).
//
// `reserve(length)` grows the memory so both regions hold `length` points and returns 0 when it cannot.
// The facade copies the input to `inputStart()`, calls a kernel with explicit pointers, and copies the
// result back from `outputStart()`. The kernels themselves take any pointers, so a caller may also keep
// its series in wasm memory and skip the copies.
//
// Long series are streamed through in chunks small enough to stay in the CPU's L2 cache, so the copies
// in and out cost little more than the kernel's own reads and writes (see src/kernels/indicators/moving-average-backends.ts).
// The SMA needs no state for that (a chunk that starts one block early recomputes what it needs); the
// EMA carries its state between calls: `emaBegin(period)`, then `emaRun(...)` per chunk.

import { addressOf, isFiniteValue, readAt, writeAt } from './shared/memory';

/** Longest series: 2^27 points, as kInputLengthMax in src/kernels/contract.ts. */
const kInputLengthMax: i32 = 1 << 27;
/** EMA block length; must equal kEmaBlockLength in src/kernels/contract.ts (a test checks). */
const kEmaBlockLength: i32 = 16;
/** EMA blocks whose local recurrences run at the same time: four f64x2 vectors of two lanes. */
const kEmaGroupBlocks: i32 = 8;
/** SMA blocks whose prefix and suffix sums run at the same time: four f64x2 vectors of two lanes. */
const kSmaGroupBlocks: i32 = 8;
const kPageBytes: usize = 65536;

/** decay^(j + 1) for j in 0..kEmaBlockLength-1, rebuilt by each ema call. */
const decayPowers: usize = memory.data(kEmaBlockLength * 8, 16);

let capacityPoints: i32 = 0;

@inline function heapStart(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** The EMA block length this module was built with, for the facade's consistency check. */
export function emaBlockLength(): i32 {
  return kEmaBlockLength;
}

export function inputStart(): usize {
  return heapStart();
}

/**
 * The output region starts kAliasSkewBytes past a 4 KiB boundary relative to the input region. When the
 * two regions sit at the same offset modulo 4 KiB, the CPU's store-to-load check (which compares only the
 * low 12 address bits first) sees the kernel's output stores as possible matches for its input loads at
 * the same offset and stalls them ("4K aliasing"); a skew of half a page plus a cache line avoids it.
 */
const kAliasSkewBytes: usize = 2048 + 64;

export function outputStart(): usize {
  return outputStartFor(capacityPoints);
}

@inline function outputStartFor(capacity: i32): usize {
  const inputEnd: usize = heapStart() + (<usize>capacity << 3);
  return ((inputEnd + 4095) & ~(<usize>4095)) + kAliasSkewBytes;
}

/** Makes room for `length` input and output points. Returns 1, or 0 if the length or the memory is too large. */
export function reserve(length: i32): i32 {
  if (length < 0 || length > kInputLengthMax) return 0;
  if (length <= capacityPoints) return 1;
  const capacity: i32 = (length + 1) & ~1;
  const bytesNeeded: usize = outputStartFor(capacity) + (<usize>capacity << 3);
  const pagesNeeded: i32 = <i32>((bytesNeeded + kPageBytes - 1) / kPageBytes);
  const pagesNow: i32 = memory.size();
  if (pagesNeeded > pagesNow && memory.grow(pagesNeeded - pagesNow) < 0) return 0;
  capacityPoints = capacity;
  return 1;
}

// ---------------------------------------------------------------------------------------------------
// SMA: van Herk / Gil-Werman block decomposition (see smaUnchecked in the reference).

export function sma(inputPointer: usize, outputPointer: usize, length: i32, period: i32): void {
  assert(length >= 0);
  assert(length <= kInputLengthMax);
  assert(period >= 1);
  if (period > length) {
    fillNaN(outputPointer, 0, length);
    return;
  }
  // Block 0 holds the warm-up; run it alone.
  smaPrefixPass(inputPointer, outputPointer, length, period, 0);
  smaSuffixPass(inputPointer, outputPointer, length, period, 0);
  let blockStart: i32 = period;
  // A group runs when its blocks and the block after them are whole, so every suffix store lands.
  const groupSpan: i32 = period * kSmaGroupBlocks;
  while (blockStart <= length - groupSpan - period) {
    smaGroup(inputPointer, outputPointer, period, blockStart);
    blockStart += groupSpan;
  }
  for (; blockStart < length; blockStart += period) {
    smaPrefixPass(inputPointer, outputPointer, length, period, blockStart);
    smaSuffixPass(inputPointer, outputPointer, length, period, blockStart);
  }
}

function fillNaN(outputPointer: usize, from: i32, to: i32): void {
  for (let index: i32 = from; index < to; index++) writeAt(outputPointer, index, NaN);
}

/** Scalar prefix pass of one block, as smaPrefixPass in the reference. */
function smaPrefixPass(inputPointer: usize, outputPointer: usize, length: i32, period: i32, blockStart: i32): void {
  const blockLast: i32 = blockStart + period - 1;
  const straddlingEnd: i32 = min(blockLast, length);
  const reciprocal: f64 = 1.0 / <f64>period;
  let prefix: f64 = 0.0;
  let index: i32 = blockStart;
  if (blockStart == 0) {
    for (; index < straddlingEnd; index++) {
      prefix += readAt(inputPointer, index);
      writeAt(outputPointer, index, NaN);
    }
  } else {
    for (; index < straddlingEnd; index++) {
      prefix += readAt(inputPointer, index);
      writeAt(outputPointer, index, (readAt(outputPointer, index) + prefix) * reciprocal);
    }
  }
  if (blockLast < length) {
    prefix += readAt(inputPointer, blockLast);
    writeAt(outputPointer, blockLast, prefix * reciprocal);
  }
}

/** Scalar suffix pass of one block, as smaSuffixPass in the reference. */
function smaSuffixPass(inputPointer: usize, outputPointer: usize, length: i32, period: i32, blockStart: i32): void {
  const blockLast: i32 = blockStart + period - 1;
  if (blockLast + 1 >= length) return;
  const storedFirstMax: i32 = min(blockLast, length - period);
  let suffix: f64 = 0.0;
  let first: i32 = blockLast;
  for (; first > storedFirstMax; first--) suffix += readAt(inputPointer, first);
  for (; first > blockStart; first--) {
    suffix += readAt(inputPointer, first);
    writeAt(outputPointer, first + period - 1, suffix);
  }
}

/**
 * Both passes for kSmaGroupBlocks whole blocks at once: lane b of the vectors carries block b's running
 * sum, so each lane performs exactly the scalar passes' additions. The suffix passes go first because
 * the prefix pass of block b + 1 reads what the suffix pass of block b parked.
 *
 * Two offsets are handled per step with whole-vector loads and stores: the pair at block b's offset and
 * the pair at block b + 1's offset are loaded, transposed into (offset of both blocks) and (offset + 1 of
 * both blocks) with shuffles, summed, and transposed back for the stores. That halves the memory
 * operations of moving one lane at a time. Four independent vectors (eight blocks) keep enough additions
 * in flight to cover the latency of each running sum's chain.
 */
function smaGroup(inputPointer: usize, outputPointer: usize, period: i32, blockStart: i32): void {
  const source: usize = addressOf(inputPointer, blockStart);
  const target: usize = addressOf(outputPointer, blockStart);
  const stride: usize = <usize>period << 3;
  const parkedShift: usize = <usize>(period - 1) << 3;
  // Suffix passes: offsets period-1 down to 1, parked at offset + period - 1 of the next block.
  let suffix01 = f64x2.splat(0.0);
  let suffix23 = f64x2.splat(0.0);
  let suffix45 = f64x2.splat(0.0);
  let suffix67 = f64x2.splat(0.0);
  let offset: i32 = period - 1;
  for (; offset >= 2; offset -= 2) {
    // Offsets offset - 1 and offset.
    const lowerBytes: usize = <usize>(offset - 1) << 3;
    const from = source + lowerBytes;
    const to = target + lowerBytes + parkedShift;
    suffix01 = smaSuffixStep(suffix01, from, to, stride);
    suffix23 = smaSuffixStep(suffix23, from + 2 * stride, to + 2 * stride, stride);
    suffix45 = smaSuffixStep(suffix45, from + 4 * stride, to + 4 * stride, stride);
    suffix67 = smaSuffixStep(suffix67, from + 6 * stride, to + 6 * stride, stride);
  }
  if (offset == 1) {
    const from = source + 8;
    const to = target + 8 + parkedShift;
    suffix01 = smaSuffixLane(suffix01, from, to, stride);
    suffix23 = smaSuffixLane(suffix23, from + 2 * stride, to + 2 * stride, stride);
    suffix45 = smaSuffixLane(suffix45, from + 4 * stride, to + 4 * stride, stride);
    suffix67 = smaSuffixLane(suffix67, from + 6 * stride, to + 6 * stride, stride);
  }
  // Prefix passes: offsets 0..period-2 complete straddling windows, offset period-1 is a whole block.
  const reciprocal = f64x2.splat(1.0 / <f64>period);
  let prefix01 = f64x2.splat(0.0);
  let prefix23 = f64x2.splat(0.0);
  let prefix45 = f64x2.splat(0.0);
  let prefix67 = f64x2.splat(0.0);
  const last: i32 = period - 1;
  offset = 0;
  for (; offset + 1 < last; offset += 2) {
    const offsetBytes: usize = <usize>offset << 3;
    const from = source + offsetBytes;
    const to = target + offsetBytes;
    prefix01 = smaPrefixStep(prefix01, from, to, stride, reciprocal);
    prefix23 = smaPrefixStep(prefix23, from + 2 * stride, to + 2 * stride, stride, reciprocal);
    prefix45 = smaPrefixStep(prefix45, from + 4 * stride, to + 4 * stride, stride, reciprocal);
    prefix67 = smaPrefixStep(prefix67, from + 6 * stride, to + 6 * stride, stride, reciprocal);
  }
  for (; offset < last; offset++) {
    const offsetBytes: usize = <usize>offset << 3;
    const from = source + offsetBytes;
    const to = target + offsetBytes;
    prefix01 = smaPrefixLane(prefix01, from, to, stride, reciprocal, true);
    prefix23 = smaPrefixLane(prefix23, from + 2 * stride, to + 2 * stride, stride, reciprocal, true);
    prefix45 = smaPrefixLane(prefix45, from + 4 * stride, to + 4 * stride, stride, reciprocal, true);
    prefix67 = smaPrefixLane(prefix67, from + 6 * stride, to + 6 * stride, stride, reciprocal, true);
  }
  const lastBytes: usize = <usize>last << 3;
  const from = source + lastBytes;
  const to = target + lastBytes;
  smaPrefixLane(prefix01, from, to, stride, reciprocal, false);
  smaPrefixLane(prefix23, from + 2 * stride, to + 2 * stride, stride, reciprocal, false);
  smaPrefixLane(prefix45, from + 4 * stride, to + 4 * stride, stride, reciprocal, false);
  smaPrefixLane(prefix67, from + 6 * stride, to + 6 * stride, stride, reciprocal, false);
}

/**
 * Two suffix steps (offsets o + 1, then o) for blocks b and b + 1: `from` is block b's input at o, `to`
 * block b's parked slot for o; block b + 1's are one stride on. Returns the running sums after offset o.
 */
@inline function smaSuffixStep(suffix: v128, from: usize, to: usize, stride: usize): v128 {
  const first = v128.load(from);
  const second = v128.load(from + stride);
  const upper = f64x2.add(suffix, f64x2.shuffle(first, second, 1, 3));
  const lower = f64x2.add(upper, f64x2.shuffle(first, second, 0, 2));
  v128.store(to, f64x2.shuffle(lower, upper, 0, 2));
  v128.store(to + stride, f64x2.shuffle(lower, upper, 1, 3));
  return lower;
}

/** One suffix step for blocks b and b + 1, one lane at a time (the odd offset left over). */
@inline function smaSuffixLane(suffix: v128, from: usize, to: usize, stride: usize): v128 {
  const sum = f64x2.add(suffix, v128.load64_lane(from + stride, v128.load64_zero(from), 1));
  v128.store64_lane(to, sum, 0);
  v128.store64_lane(to + stride, sum, 1);
  return sum;
}

/**
 * Two prefix steps (offsets o, o + 1) of straddling windows for blocks b and b + 1: adds the parked
 * suffix sums and scales by 1 / period. Returns the running sums after offset o + 1.
 */
@inline function smaPrefixStep(prefix: v128, from: usize, to: usize, stride: usize, reciprocal: v128): v128 {
  const first = v128.load(from);
  const second = v128.load(from + stride);
  const firstParked = v128.load(to);
  const secondParked = v128.load(to + stride);
  const atOffset = f64x2.add(prefix, f64x2.shuffle(first, second, 0, 2));
  const atNext = f64x2.add(atOffset, f64x2.shuffle(first, second, 1, 3));
  const meanAtOffset = f64x2.mul(f64x2.add(f64x2.shuffle(firstParked, secondParked, 0, 2), atOffset), reciprocal);
  const meanAtNext = f64x2.mul(f64x2.add(f64x2.shuffle(firstParked, secondParked, 1, 3), atNext), reciprocal);
  v128.store(to, f64x2.shuffle(meanAtOffset, meanAtNext, 0, 2));
  v128.store(to + stride, f64x2.shuffle(meanAtOffset, meanAtNext, 1, 3));
  return atNext;
}

/**
 * One prefix step for blocks b and b + 1, one lane at a time: a straddling window (adds the parked suffix
 * sum) when `straddling`, else the block's last point, whose window is the block itself.
 */
@inline function smaPrefixLane(prefix: v128, from: usize, to: usize, stride: usize, reciprocal: v128, straddling: bool): v128 {
  const sum = f64x2.add(prefix, v128.load64_lane(from + stride, v128.load64_zero(from), 1));
  const windowSum = straddling ? f64x2.add(v128.load64_lane(to + stride, v128.load64_zero(to), 1), sum) : sum;
  const mean = f64x2.mul(windowSum, reciprocal);
  v128.store64_lane(to, mean, 0);
  v128.store64_lane(to + stride, mean, 1);
  return sum;
}

// ---------------------------------------------------------------------------------------------------
// EMA: blocked recurrence (see emaUnchecked in the reference).

// State carried between emaRun calls. One series at a time per module instance; the facade runs a whole
// series (all its chunks) inside one synchronous call, so nothing can interleave.
let emaPeriod: i32 = 0;
let emaAlpha: f64 = 0.0;
let emaDecay: f64 = 0.0;
/** True once seeded: emaPrevious is the EMA at the point before the next chunk's first point. */
let emaIsSeeded: bool = false;
let emaPrevious: f64 = 0.0;
/** Where the warm-up run that was still incomplete at the end of the chunk started. */
let emaRunStart: i32 = 0;

/** Whole-series EMA: emaBegin + one emaRun over everything. */
export function ema(inputPointer: usize, outputPointer: usize, length: i32, period: i32): void {
  emaBegin(period);
  emaRun(inputPointer, outputPointer, length, 1);
}

/** Starts a series: coefficients, decay powers, and the warm-up state. */
export function emaBegin(period: i32): void {
  assert(period >= 1);
  emaPeriod = period;
  emaAlpha = 2.0 / (<f64>period + 1.0);
  emaDecay = 1.0 - emaAlpha;
  let power: f64 = 1.0;
  for (let offset: i32 = 0; offset < kEmaBlockLength; offset++) {
    power *= emaDecay;
    writeAt(decayPowers, offset, power);
  }
  emaIsSeeded = false;
  emaPrevious = 0.0;
}

/**
 * Continues the series begun by emaBegin over the next `count` points and returns how many leading points
 * now hold final outputs; the caller's next chunk starts right after them. Unless `isLast` is 1, the run
 * stops before a block or a warm-up that the chunk cannot finish, so a chunk of at least
 * max(period, kEmaBlockLength) points always makes progress. Block boundaries and warm-up sums come out
 * exactly as in one pass over the whole series.
 */
export function emaRun(inputPointer: usize, outputPointer: usize, count: i32, isLast: i32): i32 {
  assert(count >= 0);
  assert(count <= kInputLengthMax);
  assert(emaPeriod >= 1);
  let index: i32 = 0;
  while (index < count) {
    if (!emaIsSeeded) {
      const seedIndex = emaWarmUp(inputPointer, outputPointer, count, emaPeriod, index);
      if (seedIndex == count) return isLast != 0 ? count : emaRunStart;
      emaPrevious = readAt(outputPointer, seedIndex);
      emaIsSeeded = isFiniteValue(emaPrevious);
      index = seedIndex + 1;
      continue;
    }
    index = emaSeeded(inputPointer, outputPointer, count, index, isLast != 0);
    // Still seeded short of the end means the chunk ended inside a block.
    if (emaIsSeeded && index < count) return index;
  }
  return count;
}

/**
 * As emaWarmUp in the reference: NaN until `period` consecutive finite points, then their mean. Returns
 * the seed's index, or `count` when the chunk ends first (emaRunStart then says where the run began).
 */
function emaWarmUp(inputPointer: usize, outputPointer: usize, count: i32, period: i32, from: i32): i32 {
  let runLength: i32 = 0;
  let runSum: f64 = 0.0;
  emaRunStart = from;
  for (let index: i32 = from; index < count; index++) {
    const value = readAt(inputPointer, index);
    if (!isFiniteValue(value)) {
      runLength = 0;
      runSum = 0.0;
      emaRunStart = index + 1;
      writeAt(outputPointer, index, NaN);
      continue;
    }
    runSum += value;
    runLength++;
    if (runLength == period) {
      writeAt(outputPointer, index, runSum / <f64>period);
      return index;
    }
    writeAt(outputPointer, index, NaN);
  }
  return count;
}

/**
 * As emaSeeded in the reference, from `from` (a block start) with the carried emaPrevious. Returns the
 * index to continue from: `count` at the end, after a gap or an overflow (emaIsSeeded is then false), or
 * the start of a block the chunk cannot finish when `isLast` is false. Where a whole group of blocks is
 * finite, the local recurrences of its blocks run in SIMD lanes first and the carried state is applied
 * after, block by block; elsewhere one block at a time, scalar. Both paths perform the same operations.
 */
function emaSeeded(inputPointer: usize, outputPointer: usize, count: i32, from: i32, isLast: bool): i32 {
  const alpha = emaAlpha;
  const decay = emaDecay;
  const groupSpan: i32 = kEmaBlockLength * kEmaGroupBlocks;
  let previous = emaPrevious;
  let blockStart: i32 = from;
  while (blockStart < count) {
    // The group's local recurrences are computed speculatively: if an input turns out not to be finite,
    // the scalar path below recomputes (and overwrites) everything from blockStart.
    if (blockStart <= count - groupSpan && emaGroupLocal(inputPointer, outputPointer, blockStart, alpha, decay)) {
      const groupEnd: i32 = blockStart + groupSpan;
      for (let start: i32 = blockStart; start < groupEnd; start += kEmaBlockLength) {
        previous = emaApplyCarry(outputPointer, start, previous);
        if (!isFiniteValue(previous)) {
          emaIsSeeded = false;
          return start + kEmaBlockLength;
        }
      }
      blockStart = groupEnd;
      continue;
    }
    if (!isLast && blockStart > count - kEmaBlockLength) break;
    const blockEnd: i32 = min(blockStart + kEmaBlockLength, count);
    let local: f64 = 0.0;
    for (let index: i32 = blockStart; index < blockEnd; index++) {
      const value = readAt(inputPointer, index);
      if (!isFiniteValue(value)) {
        writeAt(outputPointer, index, NaN);
        emaIsSeeded = false;
        return index + 1;
      }
      local = decay * local + alpha * value;
      writeAt(outputPointer, index, local + readAt(decayPowers, index - blockStart) * previous);
    }
    previous = readAt(outputPointer, blockEnd - 1);
    if (!isFiniteValue(previous)) {
      emaIsSeeded = false;
      return blockEnd;
    }
    blockStart = blockEnd;
  }
  emaPrevious = previous;
  return blockStart;
}

/**
 * Local recurrences of kEmaGroupBlocks blocks, written to output for emaApplyCarry to finish; lane pair
 * (b, b + 1) of one vector carries blocks b and b + 1. Same operations as the scalar path:
 * local = decay * local + alpha * x. Returns false if any input of the group is not finite (the sum of
 * the inputs is then not finite; a sum that overflows also says false, which only costs the slow path).
 *
 * Two offsets per step, with whole-vector loads and stores: block b's pair (offset, offset + 1) is loaded,
 * and shuffles transpose pairs of blocks into "both blocks at one offset" and back for the stores.
 */
function emaGroupLocal(inputPointer: usize, outputPointer: usize, blockStart: i32, alpha: f64, decay: f64): bool {
  const alphaPair = f64x2.splat(alpha);
  const decayPair = f64x2.splat(decay);
  let local01 = f64x2.splat(0.0);
  let local23 = f64x2.splat(0.0);
  let local45 = f64x2.splat(0.0);
  let local67 = f64x2.splat(0.0);
  let sumLow = f64x2.splat(0.0);
  let sumHigh = f64x2.splat(0.0);
  const base: usize = addressOf(inputPointer, blockStart);
  const target: usize = addressOf(outputPointer, blockStart);
  const stride: usize = <usize>kEmaBlockLength << 3;
  for (let offsetBytes: usize = 0; offsetBytes < stride; offsetBytes += 16) {
    const source = base + offsetBytes;
    const block0 = v128.load(source);
    const block1 = v128.load(source + stride);
    const block2 = v128.load(source + 2 * stride);
    const block3 = v128.load(source + 3 * stride);
    const block4 = v128.load(source + 4 * stride);
    const block5 = v128.load(source + 5 * stride);
    const block6 = v128.load(source + 6 * stride);
    const block7 = v128.load(source + 7 * stride);
    sumLow = f64x2.add(sumLow, f64x2.add(f64x2.add(block0, block1), f64x2.add(block2, block3)));
    sumHigh = f64x2.add(sumHigh, f64x2.add(f64x2.add(block4, block5), f64x2.add(block6, block7)));
    const destination = target + offsetBytes;
    local01 = emaLocalStep(local01, decayPair, alphaPair, block0, block1, destination, stride);
    local23 = emaLocalStep(local23, decayPair, alphaPair, block2, block3, destination + 2 * stride, stride);
    local45 = emaLocalStep(local45, decayPair, alphaPair, block4, block5, destination + 4 * stride, stride);
    local67 = emaLocalStep(local67, decayPair, alphaPair, block6, block7, destination + 6 * stride, stride);
  }
  const sum = f64x2.add(sumLow, sumHigh);
  return isFiniteValue(f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1));
}

/**
 * Two steps of the local recurrences of two neighbouring blocks, from their input pairs at one offset
 * (`first` = block b's points offset and offset + 1, `second` = block b + 1's), storing both blocks' two
 * results at `destination` and `destination + stride`. Returns the state after the second step.
 */
@inline function emaLocalStep(
  local: v128,
  decayPair: v128,
  alphaPair: v128,
  first: v128,
  second: v128,
  destination: usize,
  stride: usize,
): v128 {
  const atOffset = f64x2.add(f64x2.mul(decayPair, local), f64x2.mul(alphaPair, f64x2.shuffle(first, second, 0, 2)));
  const atNext = f64x2.add(f64x2.mul(decayPair, atOffset), f64x2.mul(alphaPair, f64x2.shuffle(first, second, 1, 3)));
  v128.store(destination, f64x2.shuffle(atOffset, atNext, 0, 2));
  v128.store(destination + stride, f64x2.shuffle(atOffset, atNext, 1, 3));
  return atNext;
}

/**
 * output[start + j] = local[j] + decay^(j + 1) * previous for one whole block, two points per vector;
 * returns the block's last value, the state carried into the next block, straight from the register so
 * the chain from block to block does not wait on a store and a reload.
 */
function emaApplyCarry(outputPointer: usize, start: i32, previous: f64): f64 {
  const previousPair = f64x2.splat(previous);
  const blockAddress: usize = addressOf(outputPointer, start);
  let result = previousPair;
  for (let offset: i32 = 0; offset < kEmaBlockLength; offset += 2) {
    const address: usize = blockAddress + (<usize>offset << 3);
    const powers = v128.load(decayPowers + (<usize>offset << 3));
    result = f64x2.add(v128.load(address), f64x2.mul(powers, previousPair));
    v128.store(address, result);
  }
  return f64x2.extract_lane(result, 1);
}
