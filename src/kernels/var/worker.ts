/**
 * The piscina worker of the Monte Carlo VaR (src/kernels/var/monte-carlo.ts): simulates one task, a run
 * of whole stream blocks, on the fastest statistics backend of this thread, and hands the sums back
 * without copying. Every stream is seeded from (seed, stream index) alone, so which worker runs which task
 * does not change a bit of the result.
 */
import { move } from 'piscina';
import { selectStatsBackend } from '../stats/backends.js';

/** One task: streams streamStart .. streamStart + streamCount - 1 (the message, declared once, here). */
export interface VarWorkerTask {
  /** v = L' x, one per asset. */
  readonly exposures: Float64Array;
  readonly days: number;
  readonly seed: number;
  readonly streamStart: number;
  readonly streamCount: number;
  /** Student-t degrees of freedom; 0 for normal shocks. */
  readonly dof: number;
}

const backend = selectStatsBackend(process.env.OCTOPUS_KERNELS).backend;

/**
 * @returns the streams' horizon P&L (transferred).
 * @throws Error on a malformed task: the pool only sends tasks it built, so this is a broken invariant.
 */
export default function simulateTask(task: VarWorkerTask): Float64Array {
  if (!(task.exposures instanceof Float64Array) || !Number.isInteger(task.streamCount) || task.streamCount < 0) {
    throw new Error(`expected a VarWorkerTask, was ${JSON.stringify(Object.keys(task))}`);
  }
  const sums = new Float64Array(task.streamCount);
  backend.monteCarloSums(task.exposures, task.days, task.seed, task.streamStart, task.dof, sums);
  return move(sums) as unknown as Float64Array;
}
