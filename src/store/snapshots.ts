/**
 * Snapshots of an actor's state, so that a restart loads the latest one and replays only the journal
 * records after it (restart time no longer grows with history).
 *
 *   key: the journal sequence number the state covers
 *   value: SHA-256 of the body [32 bytes] | body = msgpack { seq, journalHash, timeMs, state }
 *
 * `journalHash` is the chain hash of journal record `seq`: the restart checks that the journal still holds
 * that very record before it trusts the snapshot, and replays the tail from that hash. A snapshot whose
 * checksum does not match (a damaged page) is skipped for the one before it; with none left, the actor
 * replays the whole journal. The newest `keep` snapshots are kept.
 */
import { createHash } from 'node:crypto';
import type { Database } from 'lmdb';
import { Packr } from 'msgpackr';
import type { StateStore } from './state-store.js';

export interface Snapshot<State = unknown> {
  seq: number;
  journalHash: string;
  timeMs: number;
  state: State;
}

export interface SnapshotLoad<State> {
  snapshot: Snapshot<State> | null;
  /** Snapshots skipped because their checksum did not match or `accept` refused them. */
  skipped: number[];
}

const kHashBytes = 32;

export class SnapshotStore {
  private readonly snapshots: Database<Buffer, number>;
  private readonly packr = new Packr({ useRecords: false, moreTypes: false });

  constructor(
    store: StateStore,
    name = 'snapshots',
    private readonly keep = 3,
  ) {
    this.snapshots = store.root.openDB<Buffer, number>({ name, encoding: 'binary', keyEncoding: 'ordered-binary' });
  }

  /**
   * Writes a snapshot and removes the oldest beyond `keep`. Resolves when it is durable. Its bytes are
   * built synchronously (the state cannot change under it); the write happens on lmdb's writer thread.
   * @returns the encoded size in bytes.
   */
  async save<State>(snapshot: Snapshot<State>): Promise<number> {
    const body = this.packr.pack(snapshot);
    const value = Buffer.allocUnsafe(kHashBytes + body.length);
    createHash('sha256').update(body).digest().copy(value, 0);
    value.set(body, kHashBytes);
    const stale = [...this.snapshots.getKeys({ reverse: true })].slice(this.keep - 1);
    await this.snapshots.put(snapshot.seq, value);
    for (const seq of stale) await this.snapshots.remove(seq);
    await this.snapshots.flushed;
    return value.length;
  }

  /** The newest snapshot that checks out and that `accept` accepts (the journal still holds its record). */
  latest<State>(accept: (snapshot: Snapshot<State>) => boolean): SnapshotLoad<State> {
    const skipped: number[] = [];
    for (const { key, value } of this.snapshots.getRange({ reverse: true })) {
      const snapshot = this.decode<State>(key, value);
      if (snapshot !== null && accept(snapshot)) return { snapshot, skipped };
      skipped.push(key);
    }
    return { snapshot: null, skipped };
  }

  /** Removes every snapshot after `seq` (they describe journal records that `--recover` removed). */
  async removeAfter(seq: number): Promise<void> {
    for (const key of [...this.snapshots.getKeys({ start: seq + 1 })]) await this.snapshots.remove(key);
    await this.snapshots.flushed;
  }

  private decode<State>(key: number, value: Buffer): Snapshot<State> | null {
    if (value.length <= kHashBytes) return null;
    const body = value.subarray(kHashBytes);
    if (!createHash('sha256').update(body).digest().equals(value.subarray(0, kHashBytes))) return null;
    try {
      const snapshot = this.packr.unpack(body) as Snapshot<State>;
      return snapshot !== null && typeof snapshot === 'object' && snapshot.seq === key ? snapshot : null;
    } catch {
      return null;
    }
  }
}
