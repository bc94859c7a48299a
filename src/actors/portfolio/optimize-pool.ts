/**
 * Portfolio optimisation off the calling thread: a dense QP is O(n^3), up to seconds near the 1,000-asset
 * bound, which must not stall the gateway's event loop. One shared piscina pool, created on first use,
 * bounded queue; results and typed errors are identical to `optimizePortfolio`.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { OctopusError, errorCodes, type ErrorCode } from '../../engine/errors.js';
import type { PortfolioResponse } from '../../kernels/optimizer/optimizer.js';
import type { OptimizerWorkerResult } from './optimize-worker.js';

/** Optimisations waiting for a thread at most; past it, requests get ERR_KERNEL_BUSY (503). */
const kQueueMax = 64;

let pool: Piscina | null = null;

function sharedPool(): Piscina {
  if (pool !== null) return pool;
  const isTypeScript = import.meta.url.endsWith('.ts');
  pool = new Piscina({
    filename: new URL(isTypeScript ? './optimize-worker.ts' : './optimize-worker.js', import.meta.url).href,
    minThreads: 0,
    maxThreads: Math.max(1, availableParallelism()),
    maxQueue: kQueueMax,
    idleTimeout: 30_000,
    execArgv: isTypeScript ? ['--import', import.meta.resolve('tsx')] : [],
  });
  return pool;
}

/**
 * As `optimizePortfolio`, on a worker thread.
 * @throws (rejects with) the same typed errors, and OctopusError ERR_KERNEL_BUSY when the queue is full.
 */
export async function optimizePortfolioAsync(request: unknown): Promise<PortfolioResponse> {
  const workers = sharedPool();
  if (workers.queueSize >= kQueueMax) {
    throw new OctopusError('ERR_KERNEL_BUSY', `expected fewer than ${kQueueMax} queued optimisations, was ${workers.queueSize}`);
  }
  const result = (await workers.run(request)) as OptimizerWorkerResult;
  if (result.ok) return result.value;
  const code = (result.code in errorCodes ? result.code : 'ERR_INTERNAL') as ErrorCode;
  throw new OctopusError(code, result.message);
}

/** Ends the pool, if any (engine shutdown, tests). */
export async function closeOptimizerWorkers(): Promise<void> {
  const workers = pool;
  pool = null;
  if (workers !== null) await workers.destroy();
}
