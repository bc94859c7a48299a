/**
 * The append-only, hash-chained audit trail: each record carries the SHA-256 of the previous record, so
 * changing, removing or reordering any record breaks every hash after it. `verify` walks the chain and
 * names the first broken record (`octopus audit verify`).
 *
 *   hash(n) = SHA-256( seq | timeMs | hash(n-1) | canonical JSON of the event )      hash(0) = 64 zeros
 */
import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';
import type { StateStore } from './state-store.js';

export interface AuditRecord {
  seq: number;
  timeMs: number;
  event: unknown;
  previousHash: string;
  hash: string;
}

export type AuditVerification =
  | { ok: true; records: number; lastHash: string; lastSeq: number; complete: boolean }
  | { ok: false; records: number; firstBrokenSeq: number; reason: string };

export interface VerifyOptions {
  /** Start at this record, chaining from `previousHash` (the hash of the record before it). */
  fromSeq?: number;
  previousHash?: string;
  /** Check at most this many records (a slice of a background verification); `complete` says if it reached the end. */
  maxRecords?: number;
}

export const kGenesisHash = '0'.repeat(64);

/** JSON with object keys sorted at every level, so equal events always hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function hashRecord(seq: number, timeMs: number, previousHash: string, event: unknown): string {
  return createHash('sha256').update(`${seq}|${timeMs}|${previousHash}|${canonicalJson(event)}`).digest('hex');
}

export class AuditLog {
  private readonly records: Database<AuditRecord, number>;
  private nextSeq = 1;
  private lastHash = kGenesisHash;

  constructor(store: StateStore, name = 'audit') {
    this.records = store.root.openDB<AuditRecord, number>({ name, encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    for (const { value } of this.records.getRange({ reverse: true, limit: 1 })) {
      this.nextSeq = value.seq + 1;
      this.lastHash = value.hash;
    }
  }

  /** Appends an event; hashes are chained in call order. Resolves once flushed to disk. */
  async append(event: unknown, timeMs = Date.now()): Promise<AuditRecord> {
    const seq = this.nextSeq++;
    const hash = hashRecord(seq, timeMs, this.lastHash, event);
    const record: AuditRecord = { seq, timeMs, event, previousHash: this.lastHash, hash };
    this.lastHash = hash;
    await this.records.put(seq, record);
    await this.records.flushed;
    return record;
  }

  /** Walks the chain (all of it, or a slice); stops at the first record that does not fit. */
  verify(options: VerifyOptions = {}): AuditVerification {
    let expectedSeq = options.fromSeq ?? 1;
    let previousHash = options.previousHash ?? kGenesisHash;
    const maxRecords = options.maxRecords ?? Number.POSITIVE_INFINITY;
    let count = 0;
    for (const { key, value } of this.records.getRange({ start: expectedSeq })) {
      if (count >= maxRecords) return { ok: true, records: count, lastHash: previousHash, lastSeq: expectedSeq - 1, complete: false };
      const broken = (reason: string): AuditVerification => ({ ok: false, records: count, firstBrokenSeq: key, reason });
      if (key !== expectedSeq || value.seq !== expectedSeq) return broken(`expected record ${expectedSeq}, was ${key} (a record is missing or out of order)`);
      if (value.previousHash !== previousHash) return broken(`expected previous hash ${previousHash}, was ${value.previousHash}`);
      const hash = hashRecord(value.seq, value.timeMs, value.previousHash, value.event);
      if (hash !== value.hash) return broken(`expected hash ${hash} of the record's content, was ${value.hash} (the record was altered)`);
      previousHash = value.hash;
      expectedSeq++;
      count++;
    }
    return { ok: true, records: count, lastHash: previousHash, lastSeq: expectedSeq - 1, complete: true };
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** The hash of the last record appended (genesis when empty). */
  get headHash(): string {
    return this.lastHash;
  }

  /**
   * Removes every record after `seq` (`--recover` on a broken chain; the removal itself is then audited).
   * @returns how many records were removed.
   */
  async truncateAfter(seq: number): Promise<number> {
    let removed = 0;
    await this.records.transaction(() => {
      for (const key of this.records.getKeys({ start: seq + 1 })) {
        this.records.removeSync(key);
        removed++;
      }
    });
    await this.records.flushed;
    this.nextSeq = seq + 1;
    this.lastHash = seq === 0 ? kGenesisHash : (this.records.get(seq)?.hash ?? kGenesisHash);
    return removed;
  }

  /** For tests and tools only: the raw database (tampering tests write through it). */
  get database(): Database<AuditRecord, number> {
    return this.records;
  }
}
