/**
 * Moving-average kernels on each backend: the TS reference (baseline), WASM and Rust, over one series of
 * 1,000,000 points (100,000 in quick mode). One operation is one point.
 *
 * Every case writes into a preallocated output array, so no case pays for allocating 8 MB; the WASM cases
 * do pay for copying the series into wasm memory and the result out, because a caller holding a
 * Float64Array has to. The extra "wasm-resident" cases run the same kernel on a series that already lives
 * in wasm memory, to show how much of the WASM cost is the copying.
 *
 * Two context rows keep the comparison honest: the textbook TS loops ("ts-textbook": a running-sum SMA, a
 * one-step EMA) are faster than the reference, which pays for per-window sums (no drift, NaN confined to
 * its windows) and for the blocked EMA that the compiled kernels need to run lanes. They are not
 * bit-compatible with the backends and are not part of the engine.
 *
 * measureCases takes one baseline per call, so each indicator is measured in its own call against its own
 * TS row and the rows are concatenated. Backends that are not built are left out, never faked.
 */
import { getBackend, getWasmBackend, type BackendName, type KernelBackend } from '../../src/kernels/index.js';
import { measureCases, type BenchCase, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

/** A common trading window; the kernels' cost per point does not depend much on it (see docs/kernels.md). */
const kPeriod = 20;
const kPointsFull = 1_000_000;
const kPointsQuick = 100_000;

type Indicator = 'sma' | 'ema';

/**
 * A seeded random walk around 100 (mulberry32), so every run measures the same numbers. Prices, not noise
 * around zero, so values and sums look like the engine's real inputs.
 */
function randomWalk(length: number, seed: number): Float64Array {
  const series = new Float64Array(length);
  let state = seed >>> 0;
  let price = 100;
  for (let index = 0; index < length; index++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    const uniform = ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
    price += uniform - 0.5;
    series[index] = price;
  }
  return series;
}

/**
 * Textbook running-sum SMA, for context only: one NaN poisons every later output, and the running sum
 * carries rounding error along the whole series.
 */
function smaTextbook(input: Float64Array, period: number, output: Float64Array): Float64Array {
  let sum = 0;
  for (let index = 0; index < input.length; index++) {
    sum += input[index]!;
    if (index >= period) sum -= input[index - period]!;
    output[index] = index >= period - 1 ? sum / period : Number.NaN;
  }
  return output;
}

/** Textbook one-step EMA, for context only: one long chain of dependent operations, no NaN handling. */
function emaTextbook(input: Float64Array, period: number, output: Float64Array): Float64Array {
  const alpha = 2 / (period + 1);
  let sum = 0;
  for (let index = 0; index < period; index++) {
    sum += input[index]!;
    output[index] = Number.NaN;
  }
  let average = sum / period;
  output[period - 1] = average;
  for (let index = period; index < input.length; index++) {
    average += alpha * (input[index]! - average);
    output[index] = average;
  }
  return output;
}

function availableBackend(name: BackendName): KernelBackend | null {
  try {
    return getBackend(name);
  } catch {
    return null;
  }
}

function casesFor(indicator: Indicator, input: Float64Array): BenchCase[] {
  const output = new Float64Array(input.length);
  const unitsPerCall = input.length;
  const cases: BenchCase[] = [
    { name: `${indicator} ts-reference`, fn: () => getBackend('ts')[indicator](input, kPeriod, output), unitsPerCall },
  ];
  const wasm = availableBackend('wasm');
  if (wasm !== null) {
    cases.push({ name: `${indicator} wasm`, fn: () => wasm[indicator](input, kPeriod, output), unitsPerCall });
    const resident = getWasmBackend()!.createResidentSeries(input.length);
    resident.input.set(input);
    cases.push({ name: `${indicator} wasm-resident (no copies)`, fn: () => resident[indicator](kPeriod), unitsPerCall });
  }
  const native = availableBackend('native');
  if (native !== null) {
    cases.push({ name: `${indicator} native`, fn: () => native[indicator](input, kPeriod, output), unitsPerCall });
  }
  const textbook = indicator === 'sma' ? smaTextbook : emaTextbook;
  cases.push({ name: `${indicator} ts-textbook (context only)`, fn: () => textbook(input, kPeriod, output), unitsPerCall });
  return cases;
}

const suite: BenchSuite = {
  name: 'kernels',
  description: `SMA and EMA (period ${kPeriod}) per point on ${kPointsFull.toLocaleString('en')} points (quick: ${kPointsQuick.toLocaleString('en')}): TS reference vs WASM (incl. copies) vs Rust`,
  async run(options: BenchOptions): Promise<BenchRow[]> {
    const input = randomWalk(options.quick ? kPointsQuick : kPointsFull, 20_240_601);
    const rows: BenchRow[] = [];
    for (const indicator of ['sma', 'ema'] as const) {
      rows.push(...(await measureCases('kernels', casesFor(indicator, input), `${indicator} ts-reference`, 'point', options)));
    }
    return rows;
  },
};

export default suite;
