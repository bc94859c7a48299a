/**
 * The command journal: every accepted command is appended here, committed and flushed to disk before
 * it is acknowledged, and replayed in order at start-up to rebuild books, orders and positions.
 *
 * lmdb-js batches concurrent writes into one transaction (group commit) and `flushed` resolves when the
 * last commit is durable, so many in-flight appends share one fsync.
 */
import type { Database } from 'lmdb';
import { OctopusError } from '../engine/errors.js';
import type { StateStore } from './state-store.js';

export interface JournalRecord<Payload = unknown> {
  seq: number;
  timeMs: number;
  kind: string;
  payload: Payload;
}

export class Journal {
  private readonly records: Database<JournalRecord, number>;
  private readonly meta: Database<number, string>;
  private nextSeq: number;

  constructor(
    private readonly store: StateStore,
    readonly name = 'journal',
  ) {
    this.records = store.root.openDB<JournalRecord, number>({ name, encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    this.meta = store.database<number>(`${name}.meta`);
    let last = 0;
    for (const key of this.records.getKeys({ reverse: true, limit: 1 })) last = key;
    this.nextSeq = last + 1;
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /**
   * Appends one command and resolves once it is committed and flushed to disk: only then may the
   * command be acknowledged. Sequence numbers are assigned in call order.
   */
  async append<Payload>(kind: string, payload: Payload, timeMs = Date.now()): Promise<JournalRecord<Payload>> {
    const record: JournalRecord<Payload> = { seq: this.nextSeq++, timeMs, kind, payload };
    const committed = await this.records.put(record.seq, record);
    if (!committed) throw new OctopusError('ERR_INTERNAL', `expected journal record ${record.seq} to be written, was not`);
    await this.records.flushed;
    return record;
  }

  /** Calls `apply` for every record with seq > `afterSeq`, in order. */
  replay(apply: (record: JournalRecord) => void, afterSeq = 0): number {
    let count = 0;
    for (const { value } of this.records.getRange({ start: afterSeq + 1 })) {
      apply(value);
      count++;
    }
    return count;
  }

  /** Remembers a checkpoint (e.g. the seq a snapshot covers). */
  async setMark(name: string, seq: number): Promise<void> {
    await this.meta.put(name, seq);
  }

  getMark(name: string): number | undefined {
    return this.meta.get(name);
  }

  get storeRoot(): StateStore {
    return this.store;
  }
}
