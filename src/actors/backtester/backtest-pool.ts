/**
 * The piscina pool that runs backtest tasks in parallel (sweeps, walk-forward folds, background jobs).
 * One pool per process, created on first use, with a bounded queue; close it with `closeBacktestPool`.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { OctopusError, errorCodes, type ErrorCode } from '../../engine/errors.js';
import type { BacktestTask, TaskResult, WorkerReply } from './backtest-task.js';

/** Tasks queued at most; a sweep submits in waves under this bound. */
export const kPoolQueueMax = 4_096;

let pool: Piscina | null = null;

export function backtestPool(maxThreads = Math.max(1, availableParallelism())): Piscina {
  if (pool !== null) return pool;
  const isTypeScript = import.meta.url.endsWith('.ts');
  pool = new Piscina({
    filename: new URL(isTypeScript ? './backtest-worker.ts' : './backtest-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads,
    maxQueue: kPoolQueueMax,
    idleTimeout: 10_000,
    execArgv: isTypeScript ? ['--import', import.meta.resolve('tsx')] : [],
  });
  return pool;
}

/** Runs one task on the pool. @throws (rejects with) the task's typed error. */
export async function runOnPool(task: BacktestTask, withEquity = false): Promise<TaskResult> {
  const reply = (await backtestPool().run({ task, withEquity })) as WorkerReply;
  if (reply.ok) return reply.result;
  const code = (reply.code in errorCodes ? reply.code : 'ERR_INTERNAL') as ErrorCode;
  throw new OctopusError(code, reply.message);
}

export async function closeBacktestPool(): Promise<void> {
  const workers = pool;
  pool = null;
  if (workers !== null) await workers.destroy();
}
