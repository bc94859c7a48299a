/**
 * Clocks are injected so that strategy and actor code is identical live and in backtests.
 * Timestamps cross rings as nanoseconds since the Unix epoch split into two 32-bit halves.
 */

export interface Clock {
  readonly kind: 'live' | 'simulated';
  /** Milliseconds since the Unix epoch (fractional). */
  nowMs(): number;
  /** Writes nanoseconds since the Unix epoch into `out[0]` (high 32 bits) and `out[1]` (low 32 bits). */
  nowNsParts(out: Uint32Array): void;
}

const kTwoTo32 = 4_294_967_296;

/** Splits a non-negative nanosecond count held in a double into 32-bit halves. */
export function splitNs(ns: number, out: Uint32Array): void {
  const high = Math.floor(ns / kTwoTo32);
  out[0] = high;
  out[1] = ns - high * kTwoTo32;
}

/**
 * Wall-clock time from the monotonic high-resolution timer anchored at the process's time origin, so it
 * never steps backwards when the system clock is adjusted. Resolution is that of `performance.now()`
 * (about a microsecond in Node); the nanosecond field carries it without rounding it further.
 */
export class LiveClock implements Clock {
  readonly kind = 'live' as const;
  private readonly originMs = performance.timeOrigin;

  nowMs(): number {
    return this.originMs + performance.now();
  }

  nowNsParts(out: Uint32Array): void {
    splitNs(Math.round(this.nowMs() * 1e6), out);
  }
}

/** Time that moves only when told to: the backtester drives it event by event. */
export class SimulatedClock implements Clock {
  readonly kind = 'simulated' as const;
  private currentMs: number;

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  nowNsParts(out: Uint32Array): void {
    splitNs(Math.round(this.currentMs * 1e6), out);
  }

  /** Moves time to `timeMs`; time never goes backwards. */
  set(timeMs: number): void {
    if (!(timeMs >= this.currentMs)) throw new RangeError(`expected time >= ${this.currentMs}, was ${timeMs}`);
    this.currentMs = timeMs;
  }

  advance(deltaMs: number): void {
    this.set(this.currentMs + deltaMs);
  }
}

export function createClock(kind: 'live' | 'simulated', startMs?: number): Clock {
  return kind === 'live' ? new LiveClock() : new SimulatedClock(startMs);
}
