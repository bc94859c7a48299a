/**
 * Login throttling, per username and per client address, each counted on its own:
 *
 *   failures 1..freeFailures          no delay
 *   each failure after that           the key is blocked for baseDelayMs x 2^(n - freeFailures - 1), at most maxDelayMs
 *   failure number lockoutFailures    the key is locked for lockoutMs
 *
 * While a key is blocked, a login naming it is refused with 429 and Retry-After before the password is
 * checked (a right password does not get through a lockout: that is the point). A success clears the
 * username's count, not the address's (an attacker with one valid account could otherwise reset their
 * address between guesses). Counts are forgotten `forgetAfterMs` after the last failure.
 *
 * Concurrency is bounded as well: at most `inFlightPerUser` checks for one username and
 * `inFlightPerAddress` for one address run at once, so a burst sent before the first failure is counted
 * cannot bypass the backoff.
 *
 * Both maps are bounded (`maxKeys` each, least recently failed dropped first). A dropped key starts
 * from zero again: with more distinct addresses than `maxKeys` an attacker could shed a username's
 * count, which docs/security.md lists among the limits.
 */
import { OctopusError } from '../../engine/errors.js';

export interface LoginThrottleOptions {
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
  lockoutFailures: number;
  lockoutMs: number;
  forgetAfterMs: number;
  inFlightPerUser: number;
  inFlightPerAddress: number;
  maxKeys: number;
}

export const defaultLoginThrottleOptions: LoginThrottleOptions = {
  freeFailures: 5,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  lockoutFailures: 20,
  lockoutMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
  inFlightPerUser: 2,
  inFlightPerAddress: 4,
  maxKeys: 100_000,
};

interface Entry {
  failures: number;
  blockedUntilMs: number;
  lastFailureMs: number;
  inFlight: number;
}

/** What a failure did to a key, for the security-event log. */
export interface FailureOutcome {
  key: string;
  failures: number;
  /** 'backoff' or 'lockout' when this failure started a block, else undefined. */
  block: 'backoff' | 'lockout' | undefined;
  blockedForMs: number;
}

class BoundedEntries {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxKeys: number) {}

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  /** The entry, created (evicting the least recently touched one when full) if missing; moved to the back. */
  touch(key: string): Entry {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      if (this.entries.size >= this.maxKeys) this.evictIdle();
      entry = { failures: 0, blockedUntilMs: 0, lastFailureMs: 0, inFlight: 0 };
    } else {
      this.entries.delete(key);
    }
    this.entries.set(key, entry);
    return entry;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops the oldest entry with no check running (an in-flight count must never be lost). */
  private evictIdle(): void {
    for (const [key, entry] of this.entries) {
      if (entry.inFlight === 0) {
        this.entries.delete(key);
        return;
      }
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

export class LoginThrottle {
  private readonly users: BoundedEntries;
  private readonly addresses: BoundedEntries;

  constructor(
    readonly options: LoginThrottleOptions = defaultLoginThrottleOptions,
    private readonly nowMs: () => number = Date.now,
  ) {
    const { freeFailures, lockoutFailures, baseDelayMs, maxDelayMs, maxKeys } = options;
    if (!(Number.isInteger(freeFailures) && freeFailures >= 0 && lockoutFailures > freeFailures)) {
      throw new RangeError(`expected 0 <= freeFailures < lockoutFailures, was ${freeFailures} and ${lockoutFailures}`);
    }
    if (!(baseDelayMs > 0 && maxDelayMs >= baseDelayMs && options.lockoutMs > 0 && maxKeys >= 1)) {
      throw new RangeError(`expected positive delays (base <= max), lockout and maxKeys, was ${JSON.stringify(options)}`);
    }
    this.users = new BoundedEntries(maxKeys);
    this.addresses = new BoundedEntries(maxKeys);
  }

  /**
   * Admits one login attempt or refuses it; an admitted attempt must end with `succeeded` or `failed`.
   * @throws OctopusError ERR_AUTH_LOCKED, ERR_AUTH_THROTTLED (429, with retryAfterSeconds).
   */
  admit(username: string, address: string): void {
    const now = this.nowMs();
    const user = this.current(this.users, username, now);
    const client = this.current(this.addresses, address, now);
    this.refuseIfBlocked(user, `username ${JSON.stringify(username)}`, now);
    this.refuseIfBlocked(client, `address ${address}`, now);
    if ((user?.inFlight ?? 0) >= this.options.inFlightPerUser) throw this.busy(`username ${JSON.stringify(username)}`, this.options.inFlightPerUser);
    if ((client?.inFlight ?? 0) >= this.options.inFlightPerAddress) throw this.busy(`address ${address}`, this.options.inFlightPerAddress);
    this.users.touch(username).inFlight++;
    this.addresses.touch(address).inFlight++;
  }

  succeeded(username: string, address: string): void {
    this.release(username, address);
    this.users.delete(username);
  }

  /** Counts a failure against both keys; returns what it did to each (username first). */
  failed(username: string, address: string): [FailureOutcome, FailureOutcome] {
    this.release(username, address);
    const now = this.nowMs();
    return [this.countFailure(this.users, username, now), this.countFailure(this.addresses, address, now)];
  }

  /** An attempt that ended without a verdict (the password pool was busy): released, not counted. */
  abandoned(username: string, address: string): void {
    this.release(username, address);
  }

  /** Tracked keys, for /metrics and tests. */
  get trackedKeys(): { users: number; addresses: number } {
    return { users: this.users.size, addresses: this.addresses.size };
  }

  private current(entries: BoundedEntries, key: string, now: number): Entry | undefined {
    const entry = entries.get(key);
    if (entry !== undefined && entry.inFlight === 0 && entry.failures > 0 && now - entry.lastFailureMs > this.options.forgetAfterMs) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private refuseIfBlocked(entry: Entry | undefined, what: string, now: number): void {
    if (entry === undefined || entry.blockedUntilMs <= now) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((entry.blockedUntilMs - now) / 1_000));
    const locked = entry.failures >= this.options.lockoutFailures;
    throw new OctopusError(
      locked ? 'ERR_AUTH_LOCKED' : 'ERR_AUTH_THROTTLED',
      locked
        ? `expected a login for an unlocked ${what}, was locked after ${entry.failures} failed logins; retry after ${retryAfterSeconds} s`
        : `expected at most ${this.options.freeFailures} failed logins in a row for ${what} without a pause, was ${entry.failures}; retry after ${retryAfterSeconds} s`,
      { retryAfterSeconds },
    );
  }

  private busy(what: string, limit: number): OctopusError {
    return new OctopusError('ERR_AUTH_THROTTLED', `expected at most ${limit} concurrent logins for ${what}, was more; retry after 1 s`, { retryAfterSeconds: 1 });
  }

  private release(username: string, address: string): void {
    for (const [entries, key] of [[this.users, username], [this.addresses, address]] as const) {
      const entry = entries.get(key);
      if (entry !== undefined && entry.inFlight > 0) entry.inFlight--;
    }
  }

  private countFailure(entries: BoundedEntries, key: string, now: number): FailureOutcome {
    const entry = entries.touch(key);
    entry.failures++;
    entry.lastFailureMs = now;
    const { freeFailures, lockoutFailures, baseDelayMs, maxDelayMs, lockoutMs } = this.options;
    let block: FailureOutcome['block'];
    let blockedForMs = 0;
    if (entry.failures >= lockoutFailures) {
      block = 'lockout';
      blockedForMs = lockoutMs;
    } else if (entry.failures > freeFailures) {
      block = 'backoff';
      blockedForMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (entry.failures - freeFailures - 1));
    }
    if (block !== undefined) entry.blockedUntilMs = now + blockedForMs;
    return { key, failures: entry.failures, block, blockedForMs };
  }
}
