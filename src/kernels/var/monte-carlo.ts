/**
 * Monte Carlo VaR: the paths (on the fastest backend, on this thread or spread over piscina workers), the
 * losses, their tail statistics and the Euler components.
 *
 * Why the results do not depend on threads. Path pair k (paths 2k and 2k + 1 with antithetic variates,
 * path k without) draws every number from its own stream, seeded from (seed, k) alone
 * (src/kernels/var/random.ts). Streams are grouped in blocks of kBlockStreams; a task is a run
 * of whole blocks; each task's sums land at their stream indices in one array. So the array, and
 * everything computed from it (sort, quantile, ES, components), is the same bits for 1 thread or 8, for
 * any task size and any backend. Thread count only changes wall time.
 *
 * The P&L shortcut. With Cholesky factor L of the daily covariance (S = L L') and positions x, a day's
 * shock vector is L z (z standard normal) and the portfolio's P&L is x . (L z) = (L' x) . z. The vector
 * v = L' x is computed once, so a path-day costs N multiply-adds instead of N^2 / 2 + N. This is exact for
 * linear (delta) positions, which is what the engine values; it would not be for options. Student-t
 * shocks scale the whole day's vector by one chi-square draw (a multivariate t), so the same identity holds.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { BackendName } from '../backend.js';
import { getStatsBackend, selectStatsBackend, type StatsBackend } from '../stats/backends.js';
import { replayAssetShocks } from './random.js';
import { largestSorted, tailRankOf, topTailStatistics, type VarEstimate } from './reference.js';
import type { VarWorkerTask } from './worker.js';

/** Streams per block: the unit of work split between threads (and the granularity of tasks). */
export const kBlockStreams = 4096;
/** Below this many normals (streams x assets x days) the async entry point simulates on the calling thread. */
export const kParallelNormalsMin = 4_000_000;
/** Tasks queued per thread, so a slow thread does not hold the others up. */
const kTasksPerThread = 4;
/** Paths either side of the VaR rank whose per-asset losses are replayed for the components, at most. */
const kComponentWindowMax = 250;

export interface MonteCarloInputs {
  positions: Float64Array;
  /** Cholesky factor of the daily covariance, N x N lower-triangular. */
  factor: Float64Array;
  /** Daily mean returns, or null for zero drift. */
  means: Float64Array | null;
  confidence: number;
  horizonDays: number;
  paths: number;
  seed: number;
  antithetic: boolean;
  /** Student-t degrees of freedom, 0 for normal shocks. */
  dof: number;
}

export interface MonteCarloEstimate extends VarEstimate {
  /** Spread of the order statistics one binomial standard deviation either side of the VaR rank, halved. */
  standardError: number;
}

/** v = L' x: v_j = sum_{i >= j} L[i][j] x_i (i ascending). */
export function exposuresOf(factor: Float64Array, positions: Float64Array): Float64Array {
  const assets = positions.length;
  const exposures = new Float64Array(assets);
  for (let j = 0; j < assets; j++) {
    let sum = 0;
    for (let i = j; i < assets; i++) sum += factor[i * assets + j]! * positions[i]!;
    exposures[j] = sum;
  }
  return exposures;
}

/** Streams needed for `paths` paths: one per antithetic pair (the last pair may be half used), else one per path. */
export function streamCount(paths: number, antithetic: boolean): number {
  return antithetic ? Math.ceil(paths / 2) : paths;
}

/** Every stream's horizon P&L (without drift) on this thread, block by block. */
export function simulateSums(inputs: MonteCarloInputs, backend: StatsBackend = selectStatsBackend(process.env.OCTOPUS_KERNELS).backend): Float64Array {
  const exposures = exposuresOf(inputs.factor, inputs.positions);
  const streams = streamCount(inputs.paths, inputs.antithetic);
  const sums = new Float64Array(streams);
  for (let start = 0; start < streams; start += kBlockStreams) {
    const block = sums.subarray(start, Math.min(streams, start + kBlockStreams));
    backend.monteCarloSums(exposures, inputs.horizonDays, inputs.seed, start, inputs.dof, block);
  }
  return sums;
}

/**
 * Every stream's horizon P&L on the pool's workers (or on this thread when the run is small). Resolves to
 * the same bits as simulateSums.
 */
export async function simulateSumsParallel(inputs: MonteCarloInputs, pool: VarWorkerPool): Promise<Float64Array> {
  const assets = inputs.positions.length;
  const streams = streamCount(inputs.paths, inputs.antithetic);
  if (streams * assets * inputs.horizonDays < kParallelNormalsMin) {
    return pool.kernels === null ? simulateSums(inputs) : simulateSums(inputs, getStatsBackend(pool.kernels));
  }
  const exposures = exposuresOf(inputs.factor, inputs.positions);
  const blocks = Math.ceil(streams / kBlockStreams);
  const blocksPerTask = Math.max(1, Math.ceil(blocks / (pool.threads * kTasksPerThread)));
  const sums = new Float64Array(streams);
  const tasks: Promise<void>[] = [];
  for (let block = 0; block < blocks; block += blocksPerTask) {
    const streamStart = block * kBlockStreams;
    const count = Math.min(streams, (block + blocksPerTask) * kBlockStreams) - streamStart;
    const task: VarWorkerTask = { exposures, days: inputs.horizonDays, seed: inputs.seed, streamStart, streamCount: count, dof: inputs.dof };
    tasks.push(pool.run(task).then((result) => sums.set(result, streamStart)));
  }
  await Promise.all(tasks);
  return sums;
}

/**
 * Losses of every path, VaR, ES, the standard error and the Euler components, from the streams' sums.
 * Path 2k has P&L h mu_p + S_k and path 2k + 1 has h mu_p - S_k (antithetic), loss = -P&L.
 */
export function monteCarloEstimate(inputs: MonteCarloInputs, sums: Float64Array): MonteCarloEstimate {
  const { paths, antithetic, confidence } = inputs;
  const meanPnl = driftOf(inputs);
  const losses = new Float64Array(paths);
  for (let path = 0; path < paths; path++) {
    const sum = antithetic ? sums[path >> 1]! : sums[path]!;
    losses[path] = -(meanPnl + (antithetic && (path & 1) === 1 ? -sum : sum));
  }
  // Only the tail is ordered: the VaR's rank from the top, plus room for the standard error's and the
  // components' neighbouring ranks.
  const spread = Math.ceil(Math.sqrt(paths * confidence * (1 - confidence)));
  const halfWidth = componentHalfWidth(paths);
  const top = largestSorted(losses, tailRankOf(paths, confidence) + Math.max(spread, halfWidth) + 1);
  const tail = topTailStatistics(top, paths, confidence);
  const fromTop = (rank: number): number => top[top.length - 1 - Math.min(top.length - 1, Math.max(0, rank))]!;
  const standardError = (fromTop(tail.tailRank - spread) - fromTop(tail.tailRank + spread)) / 2;
  const window = { low: fromTop(tail.tailRank + halfWidth), high: fromTop(tail.tailRank - halfWidth), halfWidth };
  const { componentVar, marginalVar } = monteCarloComponents(inputs, losses, window, tail.valueAtRisk);
  return { valueAtRisk: tail.valueAtRisk, expectedShortfall: tail.expectedShortfall, standardError, componentVar, marginalVar };
}

function driftOf(inputs: MonteCarloInputs): number {
  if (inputs.means === null) return 0;
  let meanPnl = 0;
  for (let i = 0; i < inputs.positions.length; i++) meanPnl += inputs.positions[i]! * inputs.means[i]!;
  return inputs.horizonDays * meanPnl;
}

/**
 * Euler components by conditioning on the paths whose loss is near the VaR (Hallerbach, "Decomposing
 * portfolio value-at-risk: a general analysis", J. Risk 5(2), 2003; Glasserman, "Monte Carlo Methods in
 * Financial Engineering", 2004, sec. 9.1): the paths ranked within b = min(250, max(2, n / 1000)) of the
 * VaR rank are replayed asset by asset (their streams are reseeded, so no per-asset P&L is ever stored),
 * marginal_i = -E[h-day return of asset i | window] and the components x_i marginal_i are rescaled by
 * VaR / E[loss | window] so that they sum to the VaR.
 */
/** Paths either side of the VaR's rank used for the components: min(250, max(2, n / 1000)). */
function componentHalfWidth(paths: number): number {
  return Math.min(kComponentWindowMax, Math.max(2, Math.floor(paths / 1000)));
}

function monteCarloComponents(
  inputs: MonteCarloInputs,
  losses: Float64Array,
  window: { low: number; high: number; halfWidth: number },
  valueAtRisk: number,
): { componentVar: Float64Array; marginalVar: Float64Array } {
  const { positions, factor, antithetic, horizonDays, seed, dof, paths, means } = inputs;
  const assets = positions.length;
  const { low, high, halfWidth } = window;
  const marginalSum = new Float64Array(assets);
  const replayed = new Map<number, Float64Array>();
  let selected = 0;
  for (let path = 0; path < paths && selected < 4 * halfWidth + 1; path++) {
    const loss = losses[path]!;
    if (loss < low || loss > high) continue;
    const stream = antithetic ? path >> 1 : path;
    let shocks = replayed.get(stream);
    if (shocks === undefined) {
      shocks = replayAssetShocks(factor, assets, horizonDays, seed, stream, dof);
      replayed.set(stream, shocks);
    }
    const sign = antithetic && (path & 1) === 1 ? -1 : 1;
    for (let i = 0; i < assets; i++) {
      const drift = means === null ? 0 : horizonDays * means[i]!;
      marginalSum[i] = marginalSum[i]! - (drift + sign * shocks[i]!);
    }
    selected++;
  }
  let meanLoss = 0;
  for (let i = 0; i < assets; i++) meanLoss += (positions[i]! * marginalSum[i]!) / selected;
  const scale = meanLoss !== 0 && Number.isFinite(valueAtRisk / meanLoss) ? valueAtRisk / meanLoss : 1;
  const marginalVar = new Float64Array(assets);
  const componentVar = new Float64Array(assets);
  for (let i = 0; i < assets; i++) {
    marginalVar[i] = (marginalSum[i]! / selected) * scale;
    componentVar[i] = positions[i]! * marginalVar[i]!;
  }
  return { componentVar, marginalVar };
}

// ---------------------------------------------------------------------------------------------------
// The worker pool

export interface VarWorkerPool {
  readonly threads: number;
  /** The backend the workers were forced to (small runs then stay on it too), or null for the default. */
  readonly kernels: BackendName | null;
  /** Runs one task on a worker; resolves to its sums (transferred, not copied). */
  run(task: VarWorkerTask): Promise<Float64Array>;
  /** Ends the workers; pending tasks reject. */
  close(): Promise<void>;
}

/** Queued tasks at most per pool (one request queues threads x kTasksPerThread). */
const kPoolQueueMax = 1_024;
/** The most threads a pool may have. */
export const kPoolThreadsMax = 64;

/**
 * A piscina pool of worker.ts threads. From TypeScript sources (tests, tsx) the workers load tsx first,
 * because Node cannot import a .ts worker by itself; from dist/ they load worker.js directly.
 * `kernels` forces the workers' backend (as OCTOPUS_KERNELS does; benches compare backends this way);
 * by default they inherit this process's environment.
 * @throws RangeError for a thread count that is not an integer in 1..kPoolThreadsMax.
 */
export function createVarWorkerPool(options: { threads?: number; kernels?: BackendName } = {}): VarWorkerPool {
  const threads = options.threads ?? Math.max(1, availableParallelism());
  if (!Number.isInteger(threads) || threads < 1 || threads > kPoolThreadsMax) {
    throw new RangeError(`expected threads an integer in 1..${kPoolThreadsMax}, was ${threads}`);
  }
  const isTypeScript = import.meta.url.endsWith('.ts');
  const filename = new URL(isTypeScript ? './worker.ts' : './worker.js', import.meta.url).href;
  const piscina = new Piscina({
    filename,
    minThreads: threads,
    maxThreads: threads,
    maxQueue: kPoolQueueMax,
    idleTimeout: 60_000,
    execArgv: isTypeScript ? ['--import', import.meta.resolve('tsx')] : [],
    env: options.kernels === undefined ? process.env : { ...process.env, OCTOPUS_KERNELS: options.kernels },
  });
  return Object.freeze({
    threads,
    kernels: options.kernels ?? null,
    run: (task: VarWorkerTask) => piscina.run(task) as Promise<Float64Array>,
    close: () => piscina.destroy(),
  });
}

let sharedPool: VarWorkerPool | null = null;

/** The process-wide pool (one thread per core), created on first use. */
export function sharedVarWorkerPool(): VarWorkerPool {
  sharedPool ??= createVarWorkerPool();
  return sharedPool;
}

/** Ends the process-wide pool, if any (at shutdown, and in tests). */
export async function closeSharedVarWorkerPool(): Promise<void> {
  const pool = sharedPool;
  sharedPool = null;
  if (pool !== null) await pool.close();
}
