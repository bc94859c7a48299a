/**
 * Where compute requests run: one small pool of low-priority worker threads (default one thread on a
 * two-core machine), a bounded queue in front of it (full: 503 ERR_COMPUTE_BUSY with Retry-After), at
 * most two requests per caller at once, and a deadline per request (ERR_COMPUTE_TIMEOUT; the thread is
 * ended). The event loop only routes: order entry never waits behind a computation, and a burst of
 * computations can only wait behind each other.
 */
import { availableParallelism } from 'node:os';
import type { Piscina } from 'piscina';
import { OctopusError, errorCodes, type ErrorCode } from '../../engine/errors.js';
import { createGatewayPool } from '../worker-pool.js';
import type { ComputeOutcome, ComputeTask } from './compute-worker.js';

export interface ComputePoolOptions {
  threads: number;
  /** Requests waiting for a thread at most. */
  maxQueue: number;
  /** Requests one caller may have running or waiting at once. */
  perCallerMax: number;
  timeoutMs: number;
}

export const defaultComputePoolOptions: ComputePoolOptions = {
  // Leave a core to the event loop and the execution actor.
  threads: Math.max(1, availableParallelism() - 1),
  maxQueue: 8,
  perCallerMax: 2,
  timeoutMs: 30_000,
};

export class ComputePool {
  private pool: Piscina | null = null;
  /** caller -> requests running or waiting; bounded by maxQueue + threads entries. */
  private readonly inFlight = new Map<string, number>();
  readonly stats = { completed: 0, refusedBusy: 0, timedOut: 0 };

  constructor(readonly options: ComputePoolOptions = defaultComputePoolOptions) {}

  /**
   * Runs one request on the pool.
   * @throws (rejects with) OctopusError ERR_COMPUTE_BUSY (503) when the queue or the caller's share is
   *   full; ERR_COMPUTE_TIMEOUT (503) past the deadline; the kernels' typed errors otherwise.
   */
  async run(caller: string, task: ComputeTask): Promise<unknown> {
    // Created on first use, with a long idle life: a worker loads every kernel when it starts.
    this.pool ??= createGatewayPool({ worker: './compute-worker', base: import.meta.url, threads: this.options.threads, maxQueue: this.options.maxQueue, idleTimeoutMs: 60_000 });
    const pool = this.pool;
    const mine = this.inFlight.get(caller) ?? 0;
    if (pool.queueSize >= this.options.maxQueue || mine >= this.options.perCallerMax) {
      this.stats.refusedBusy++;
      const why = mine >= this.options.perCallerMax ? `${mine} of this caller's already running or waiting (at most ${this.options.perCallerMax})` : `${pool.queueSize} waiting (at most ${this.options.maxQueue})`;
      throw new OctopusError('ERR_COMPUTE_BUSY', `expected room for a computation, was ${why}`, { retryAfterSeconds: 1 });
    }
    this.inFlight.set(caller, mine + 1);
    try {
      return unwrap((await pool.run(task, { signal: AbortSignal.timeout(this.options.timeoutMs) })) as ComputeOutcome);
    } catch (error) {
      if ((error as Error).name !== 'AbortError' && (error as Error).name !== 'TimeoutError') throw error;
      this.stats.timedOut++;
      throw new OctopusError('ERR_COMPUTE_TIMEOUT', `expected the ${task.kind} computation to finish within ${this.options.timeoutMs} ms, was still running (stopped)`, { retryAfterSeconds: 1 });
    } finally {
      const left = (this.inFlight.get(caller) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(caller);
      else this.inFlight.set(caller, left);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.destroy();
  }
}

function unwrap(outcome: ComputeOutcome): unknown {
  if (outcome.ok) return outcome.value;
  const code = (outcome.code in errorCodes ? outcome.code : 'ERR_INTERNAL') as ErrorCode;
  throw new OctopusError(code, outcome.message);
}

let shared: ComputePool | null = null;

/** The process-wide pool the compute routes use unless given one. */
export function sharedComputePool(): ComputePool {
  shared ??= new ComputePool();
  return shared;
}

/** Ends the process-wide pool's threads (engine shutdown, tests). */
export async function closeComputeWorkers(): Promise<void> {
  const pool = shared;
  shared = null;
  if (pool !== null) await pool.close();
}
