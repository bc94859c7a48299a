import { setTimeout as delay } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Total time allowed for all attempts, after which the last failure is thrown. */
  timeoutMs: number;
  /** Pause between two attempts. */
  intervalMs: number;
}

/** Upper bound on any single wait, so that a typo such as `timeoutMs: 60e6` fails fast in review. */
const kTimeoutMsMax = 10 * 60_000;

export class EventuallyTimeoutError extends Error {
  readonly code = 'ERR_TEST_EVENTUALLY_TIMEOUT';

  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'EventuallyTimeoutError';
  }
}

/**
 * Calls `probe` until it returns without throwing, and returns its value. Use it instead of fixed sleeps
 * for state that becomes true asynchronously (a committed row becoming visible, a server answering).
 *
 * Each attempt is raced against the remaining time, so a probe that hangs cannot stretch the wait.
 *
 * Throws `EventuallyTimeoutError` (code `ERR_TEST_EVENTUALLY_TIMEOUT`) with the last failure as `cause`
 * when `timeoutMs` passes, and `RangeError` when the options are out of bounds.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  options: EventuallyOptions = { timeoutMs: 10_000, intervalMs: 20 },
): Promise<T> {
  const { timeoutMs, intervalMs } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > kTimeoutMsMax) {
    throw new RangeError(`expected timeoutMs in (0, ${kTimeoutMsMax}], was ${timeoutMs}`);
  }
  if (!Number.isFinite(intervalMs) || intervalMs <= 0 || intervalMs > timeoutMs) {
    throw new RangeError(`expected intervalMs in (0, timeoutMs=${timeoutMs}], was ${intervalMs}`);
  }

  const deadlineMs = performance.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown = undefined;
  while (true) {
    attempts += 1;
    const remainingMs = deadlineMs - performance.now();
    try {
      return await withinMs(Promise.resolve().then(probe), Math.max(remainingMs, 1));
    } catch (error) {
      lastError = error;
    }
    if (performance.now() + intervalMs > deadlineMs) {
      break;
    }
    await delay(intervalMs);
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new EventuallyTimeoutError(
    `expected probe to pass within ${timeoutMs} ms, was still failing after ${attempts} attempts: ${reason}`,
    { cause: lastError },
  );
}

async function withinMs<T>(attempt: Promise<T>, limitMs: number): Promise<T> {
  const abort = new AbortController();
  const timeout = delay(limitMs, undefined, { signal: abort.signal }).then(() => {
    throw new Error(`expected the attempt to settle within ${Math.round(limitMs)} ms, was still pending`);
  });
  // The losing timer is aborted below; its rejection is expected and must not surface as unhandled.
  timeout.catch(() => undefined);
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    abort.abort();
  }
}
