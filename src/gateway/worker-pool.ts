/**
 * The gateway's own worker pools (password hashing, compute requests): small, bounded piscina pools kept
 * apart from request handling, so that expensive work waits in a bounded queue instead of on the event
 * loop or on libuv's shared thread pool.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Piscina } from 'piscina';

export interface GatewayPoolOptions {
  /** The worker module, resolved against `base` (import.meta.url of the caller); `.ts` under tsx, `.js` from dist/. */
  worker: string;
  base: string;
  threads: number;
  /** Tasks waiting for a thread at most; the caller refuses work past it (piscina would throw). */
  maxQueue: number;
  /** How long an idle thread lives (default 5 s): a quiet engine, and a test process, then holds none. */
  idleTimeoutMs?: number;
}

/** @throws RangeError for a thread count outside 1..16 or a queue bound outside 1..100000. */
export function createGatewayPool(options: GatewayPoolOptions): Piscina {
  if (!Number.isInteger(options.threads) || options.threads < 1 || options.threads > 16) {
    throw new RangeError(`expected threads an integer in 1..16, was ${options.threads}`);
  }
  if (!Number.isInteger(options.maxQueue) || options.maxQueue < 1 || options.maxQueue > 100_000) {
    throw new RangeError(`expected maxQueue an integer in 1..100000, was ${options.maxQueue}`);
  }
  const isTypeScript = options.base.endsWith('.ts');
  return new Piscina({
    filename: new URL(`${options.worker}${isTypeScript ? '.ts' : '.js'}`, options.base).href,
    minThreads: 0,
    maxThreads: options.threads,
    maxQueue: options.maxQueue,
    idleTimeout: options.idleTimeoutMs ?? 5_000,
    // Node cannot import a .ts worker by itself: under tsx the worker loads tsx first.
    execArgv: isTypeScript ? ['--import', import.meta.resolve('tsx')] : [],
  });
}

/**
 * Lowers the scheduling priority of the calling thread (Linux: nice values are per thread, and
 * setpriority(PRIO_PROCESS, tid) changes only that thread). Called at the top of a worker module, so
 * that a busy worker yields the cores to the event loop and the execution actor. Returns false where
 * the thread id cannot be found (not Linux); the pool's bounds still apply there.
 */
export function lowerThreadPriority(niceness: number): boolean {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isSafeInteger(threadId) || threadId <= 0) return false;
    setPriority(threadId, niceness);
    return true;
  } catch {
    return false;
  }
}
