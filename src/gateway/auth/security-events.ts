/**
 * The security-event log: login failures, backoffs and lockouts, in a bounded ring in LMDB (the
 * `security_events` database of state.lmdb, `capacity` slots, the oldest overwritten first). It is not
 * the hash-chained audit trail (src/store/audit-log.ts): a flood of failed logins must not grow the
 * audit chain without bound, and these events need no proof of order, only a bounded, durable record an
 * operator can read (`GET /api/v1/security/events`, admin) and that survives a restart.
 *
 * Writes are asynchronous (LMDB batches them) and never delay a login answer; a failed write is logged.
 */
import type { Database } from 'lmdb';
import type { Logger } from '../../engine/logger.js';
import type { StateStore } from '../../store/state-store.js';

export type SecurityEventType = 'login_failed' | 'login_backoff' | 'login_lockout';

export interface SecurityEvent {
  seq: number;
  timeMs: number;
  type: SecurityEventType;
  username: string;
  address: string;
  /** Failures counted so far against the key the event is about. */
  failures: number;
  /** For backoff and lockout: what was blocked (`username` or `address`) and for how long. */
  subject?: 'username' | 'address';
  blockedForMs?: number;
}

export const kSecurityEventsCapacity = 4_096;

export class SecurityEventLog {
  private readonly slots: Database<SecurityEvent, number>;
  private nextSeq = 1;
  /** Events recorded by this process, by type, for /metrics. */
  readonly counts: Record<SecurityEventType, number> = { login_failed: 0, login_backoff: 0, login_lockout: 0 };

  constructor(
    store: StateStore,
    private readonly logger: Logger | undefined,
    readonly capacity = kSecurityEventsCapacity,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1_000_000) throw new RangeError(`expected capacity in 1..1000000, was ${capacity}`);
    this.slots = store.root.openDB<SecurityEvent, number>({ name: 'security_events', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    for (const { value } of this.slots.getRange({})) this.nextSeq = Math.max(this.nextSeq, value.seq + 1);
  }

  record(event: Omit<SecurityEvent, 'seq' | 'timeMs'>, timeMs = Date.now()): SecurityEvent {
    const recorded: SecurityEvent = { seq: this.nextSeq++, timeMs, ...event };
    this.counts[event.type]++;
    this.slots.put(recorded.seq % this.capacity, recorded).then(
      () => undefined,
      (error: unknown) => this.logger?.error({ err: error, event: recorded }, 'security event not stored'),
    );
    if (event.type !== 'login_failed') this.logger?.warn({ event: recorded }, 'login blocked');
    return recorded;
  }

  /** The newest `limit` events, newest first. */
  recent(limit: number): SecurityEvent[] {
    const events = [...this.slots.getRange({})].map(({ value }) => value);
    return events.sort((left, right) => right.seq - left.seq).slice(0, limit);
  }

  /** Resolves once every event recorded so far is on disk (tests, shutdown). */
  flushed(): Promise<boolean> {
    return this.slots.flushed;
  }
}
