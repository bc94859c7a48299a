/**
 * The command journal: every accepted command is appended here, committed and flushed to disk before it
 * is acknowledged, and replayed in order at start-up to rebuild books, orders and positions.
 *
 * Records are hash-chained, so a changed, removed or reordered record is detected:
 *
 *   value(n) = hash(n) [32 bytes] | body(n)            body(n) = msgpack { seq, timeMs, kind, payload }
 *   hash(n)  = SHA-256( hash(n-1) | body(n) )           hash(0) = 32 zero bytes
 *
 * The hash covers the exact stored bytes, so verifying never re-encodes anything. Replay checks every
 * record it reads (`ERR_STORE_CORRUPT` names the first broken one); `verify` walks the whole chain.
 *
 * lmdb-js batches concurrent writes into one transaction (group commit) and `flushed` resolves when the
 * last commit is durable, so many in-flight appends share one fsync. `durableSeq` is the highest sequence
 * number known to be on disk: the execution actor releases a command's effects to clients only up to it.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';
import { Packr } from 'msgpackr';
import { assert } from '../engine/assert.js';
import { CumulativeHistogram } from '../engine/cumulative-histogram.js';
import { OctopusError } from '../engine/errors.js';
import type { StateStore } from './state-store.js';

export interface JournalRecord<Payload = unknown> {
  seq: number;
  timeMs: number;
  kind: string;
  payload: Payload;
}

/** What walking a hash chain (the journal's, the audit trail's) found: all of it intact, or its first break. */
export type ChainVerification =
  | { ok: true; records: number; lastSeq: number; lastHash: string; complete: boolean }
  | { ok: false; records: number; firstBrokenSeq: number; reason: string };

const kHashBytes = 32;
export const kJournalGenesisHash = Buffer.alloc(kHashBytes);

/**
 * Removes every record of a sequence-keyed database after `seq`, in one transaction, and waits for it to
 * be durable (the `--recover` truncation of a chain).
 * @returns how many records were removed.
 */
export async function removeAfter(database: Database<unknown, number>, seq: number): Promise<number> {
  assert(Number.isSafeInteger(seq) && seq >= 0, `expected a sequence number >= 0, was ${seq}`);
  let removed = 0;
  await database.transaction(() => {
    for (const key of database.getKeys({ start: seq + 1 })) {
      database.removeSync(key);
      removed++;
    }
  });
  await database.flushed;
  return removed;
}

function chainHash(previous: Uint8Array, body: Uint8Array): Buffer {
  return createHash('sha256').update(previous).update(body).digest();
}

export class Journal {
  private readonly records: Database<Buffer, number>;
  private readonly packr = new Packr({ useRecords: false, moreTypes: false });
  private nextSeq = 1;
  private head: Buffer = kJournalGenesisHash;
  private durable = 0;
  /** Waiters for durability, in sequence order (appends resolve in order). */
  private durabilityWaiters: { seq: number; resolve: () => void }[] = [];
  /** Test hook: extra delay before a flush counts as durable (proves nothing is released early). */
  private readonly durabilityDelayMs: number;
  /** Time from an append to its record being flushed to disk (group commits included), for /metrics. */
  readonly flushSeconds = new CumulativeHistogram();
  /** BENCH ONLY (OCTOPUS_BENCH_NO_JOURNAL=1): records are numbered and chained but never written. */
  private readonly benchNoWrites: boolean;

  constructor(
    private readonly store: StateStore,
    readonly name = 'commands',
    options: { durabilityDelayMs?: number; benchNoWrites?: boolean } = {},
  ) {
    this.records = store.root.openDB<Buffer, number>({ name, encoding: 'binary', keyEncoding: 'ordered-binary' });
    this.durabilityDelayMs = options.durabilityDelayMs ?? 0;
    this.benchNoWrites = options.benchNoWrites === true;
    for (const { key, value } of this.records.getRange({ reverse: true, limit: 1 })) {
      this.nextSeq = key + 1;
      this.head = Buffer.from(value.subarray(0, kHashBytes));
    }
    this.durable = this.nextSeq - 1;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Highest sequence number known to be flushed to disk. */
  get durableSeq(): number {
    return this.durable;
  }

  /** The chain hash of the last record (hex). */
  get headHash(): string {
    return this.head.toString('hex');
  }

  /**
   * Appends one command and resolves once it is committed and flushed to disk: only then may the
   * command be acknowledged. Sequence numbers and hashes are assigned in call order.
   * @throws (rejects) OctopusError ERR_INTERNAL when the write is not committed.
   */
  async append<Payload>(kind: string, payload: Payload, timeMs = Date.now()): Promise<JournalRecord<Payload>> {
    const record: JournalRecord<Payload> = { seq: this.nextSeq++, timeMs, kind, payload };
    const body = this.packr.pack(record);
    this.head = chainHash(this.head, body);
    const value = Buffer.allocUnsafe(kHashBytes + body.length);
    this.head.copy(value, 0);
    value.set(body, kHashBytes);
    if (this.benchNoWrites) {
      this.markDurable(record.seq);
      return record;
    }
    const startMs = performance.now();
    const committed = await this.records.put(record.seq, value);
    if (!committed) throw new OctopusError('ERR_INTERNAL', `expected journal record ${record.seq} to be written, was not`);
    await this.records.flushed;
    this.flushSeconds.observe((performance.now() - startMs) / 1_000);
    if (this.durabilityDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.durabilityDelayMs));
    if (record.seq > this.durable) this.markDurable(record.seq);
    return record;
  }

  /** Null when record `seq` is already durable, else a promise that resolves once it is. */
  whenDurable(seq: number): Promise<void> | null {
    if (seq <= this.durable) return null;
    return new Promise<void>((resolve) => this.durabilityWaiters.push({ seq, resolve }));
  }

  private markDurable(seq: number): void {
    this.durable = seq;
    if (this.durabilityWaiters.length === 0) return;
    const waiting: { seq: number; resolve: () => void }[] = [];
    for (const waiter of this.durabilityWaiters) {
      if (waiter.seq <= seq) waiter.resolve();
      else waiting.push(waiter);
    }
    this.durabilityWaiters = waiting;
  }

  /** The chain hash stored with record `seq` (hex), or undefined when there is no such record. */
  hashAt(seq: number): string | undefined {
    if (seq === 0) return kJournalGenesisHash.toString('hex');
    const value = this.records.get(seq);
    return value === undefined ? undefined : Buffer.from(value.subarray(0, kHashBytes)).toString('hex');
  }

  /**
   * Calls `apply` for every record with seq > `afterSeq`, in order, checking each against the chain from
   * `afterHash` (the hash of record `afterSeq`, as a snapshot remembers it).
   * @throws OctopusError ERR_STORE_CORRUPT naming the first record that is missing, out of order or altered.
   */
  replay(apply: (record: JournalRecord) => void, afterSeq = 0, afterHash?: string): number {
    let previous = afterHash === undefined ? this.hashBufferAt(afterSeq) : Buffer.from(afterHash, 'hex');
    let expected = afterSeq + 1;
    let count = 0;
    for (const { key, value } of this.records.getRange({ start: afterSeq + 1 })) {
      const body = value.subarray(kHashBytes);
      this.check(key, expected, previous, value);
      const record = this.decode(key, body);
      apply(record);
      previous = value.subarray(0, kHashBytes);
      expected++;
      count++;
    }
    return count;
  }

  /**
   * Walks the chain from `fromSeq` (default: the start) without decoding the records: all of it, or at
   * most `maxRecords` (a slice of a background verification; `complete` says whether it reached the end).
   */
  verify(options: { fromSeq?: number; maxRecords?: number } = {}): ChainVerification {
    const fromSeq = options.fromSeq ?? 1;
    const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
    let expected = fromSeq;
    let count = 0;
    let previous: Uint8Array;
    try {
      previous = this.hashBufferAt(fromSeq - 1);
      for (const { key, value } of this.records.getRange({ start: fromSeq })) {
        if (count >= maxRecords) return { ok: true, records: count, lastSeq: expected - 1, lastHash: Buffer.from(previous).toString('hex'), complete: false };
        this.check(key, expected, previous, value);
        previous = value.subarray(0, kHashBytes);
        expected++;
        count++;
      }
    } catch (error) {
      if (!(error instanceof OctopusError) || error.code !== 'ERR_STORE_CORRUPT') throw error;
      return { ok: false, records: count, firstBrokenSeq: expected, reason: error.message };
    }
    return { ok: true, records: count, lastSeq: expected - 1, lastHash: Buffer.from(previous).toString('hex'), complete: true };
  }

  /**
   * Removes every record after `seq` (operator recovery after a broken chain: `--recover`).
   * @returns how many records were removed.
   */
  async truncateAfter(seq: number): Promise<number> {
    const removed = await removeAfter(this.records, seq);
    this.nextSeq = seq + 1;
    this.head = this.hashBufferAt(seq);
    this.durable = Math.min(this.durable, seq);
    return removed;
  }

  get storeRoot(): StateStore {
    return this.store;
  }

  /** For tests and tools only: the raw database (tampering tests write through it). */
  get database(): Database<Buffer, number> {
    return this.records;
  }

  private hashBufferAt(seq: number): Buffer {
    if (seq === 0) return kJournalGenesisHash;
    const value = this.records.get(seq);
    if (value === undefined) throw new OctopusError('ERR_STORE_CORRUPT', `expected journal record ${seq} to exist, was missing`);
    return Buffer.from(value.subarray(0, kHashBytes));
  }

  private check(key: number, expected: number, previous: Uint8Array, value: Uint8Array): void {
    if (key !== expected) throw new OctopusError('ERR_STORE_CORRUPT', `expected journal record ${expected}, was ${key} (a record is missing)`);
    if (value.length <= kHashBytes) throw new OctopusError('ERR_STORE_CORRUPT', `expected journal record ${key} to hold a hash and a body, was ${value.length} bytes`);
    const computed = chainHash(previous, value.subarray(kHashBytes));
    if (!computed.equals(value.subarray(0, kHashBytes))) {
      throw new OctopusError('ERR_STORE_CORRUPT', `expected journal record ${key} to match its chain hash, was altered (or a record before it was)`);
    }
  }

  private decode(key: number, body: Uint8Array): JournalRecord {
    let record: JournalRecord;
    try {
      record = this.packr.unpack(body) as JournalRecord;
    } catch (error) {
      throw new OctopusError('ERR_STORE_CORRUPT', `expected journal record ${key} to decode, was malformed`, { cause: error });
    }
    if (record === null || typeof record !== 'object' || record.seq !== key || typeof record.kind !== 'string') {
      throw new OctopusError('ERR_STORE_CORRUPT', `expected journal record ${key} to be a command, was not`);
    }
    return record;
  }
}
