/**
 * Sample covariance of 500 assets x 2,500 days (quick: 100 x 500) on each backend: the TS reference
 * (baseline), WASM (including the copies into and out of wasm memory) and Rust. One operation is one
 * whole matrix. Every backend gives the reference's bits (checked before timing). An EWMA row (Rust)
 * shows the weighted variant costs the same.
 *
 * Like the var suite, cases are timed directly (one warm-up, then a fixed number of calls) because the TS
 * case takes most of a second.
 */
import { performance } from 'node:perf_hooks';
import { loadStatsBackends } from '../../src/kernels/stats/backends.js';
import { covarianceMatrix } from '../../src/kernels/stats/stats.js';
import { withRatios, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kFull = { assets: 500, observations: 2_500 };
const kQuick = { assets: 100, observations: 500 };
const kBaseline = 'covariance ts-reference (baseline)';

function panel(observations: number, assets: number): Float64Array {
  let state = 20_240_601;
  const values = new Float64Array(observations * assets);
  for (let index = 0; index < values.length; index++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    values[index] = (((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296 - 0.5) * 0.04;
  }
  return values;
}

function time(calls: number, run: () => unknown): { medianMs: number; worstMs: number } {
  run();
  const times: number[] = [];
  for (let call = 0; call < calls; call++) {
    const startedMs = performance.now();
    run();
    times.push(performance.now() - startedMs);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1]!, worstMs: times[times.length - 1]! };
}

const suite: BenchSuite = {
  name: 'covariance',
  description: `Sample covariance, ${kFull.assets} assets x ${kFull.observations.toLocaleString('en')} days (quick: ${kQuick.assets} x ${kQuick.observations}): TS reference vs WASM (incl. copies) vs Rust`,
  async run(options: BenchOptions): Promise<BenchRow[]> {
    const { assets, observations } = options.quick ? kQuick : kFull;
    const returns = panel(observations, assets);
    const { backends } = loadStatsBackends();
    const reference = covarianceMatrix(returns, assets, observations, undefined, backends.ts);
    const cases: { name: string; calls: number; run: () => Float64Array }[] = [
      { name: kBaseline, calls: options.quick ? 5 : 5, run: () => covarianceMatrix(returns, assets, observations, undefined, backends.ts) },
    ];
    for (const name of ['wasm', 'native'] as const) {
      const backend = backends[name];
      if (backend === undefined) continue;
      const result = covarianceMatrix(returns, assets, observations, undefined, backend);
      if (!result.every((value, index) => Object.is(value, reference[index]))) throw new Error(`expected ${name} to give the reference's bits`);
      cases.push({ name: `covariance ${name}`, calls: options.quick ? 9 : 15, run: () => covarianceMatrix(returns, assets, observations, undefined, backend) });
    }
    if (backends.native !== undefined) {
      cases.push({ name: 'ewma covariance native (context)', calls: options.quick ? 9 : 15, run: () => covarianceMatrix(returns, assets, observations, { method: 'ewma' }, backends.native) });
    }
    const rows: BenchRow[] = cases.map(({ name, calls, run }) => {
      const { medianMs, worstMs } = time(calls, run);
      return { suite: 'covariance', case: name, ops_per_s: 1_000 / medianMs, p50_ns: medianMs * 1e6, p99_ns: worstMs * 1e6, baseline: null, ratio_vs_baseline: null, unit: 'matrix' };
    });
    return withRatios(rows, kBaseline);
  },
};

export default suite;
