/**
 * Where closed orders (filled, canceled, expired, rejected) live once they leave the order manager's
 * memory: still queryable by id, by client order id and per account, newest first. The execution actor
 * stores them in LMDB; backtests and tests use the in-memory store.
 *
 *   orders           orderId                    -> OrderRecord
 *   client-ids       [account, clientOrderId]   -> orderId
 *   account-orders   [account, orderId]         -> true           (listing, newest first)
 *
 * Writes happen only for commands that are already durable in the journal (see execution-actor.ts), so
 * the store never holds an order whose command could be lost. The rows are derived data: a replay writes
 * them again (idempotent puts).
 */
import type { Database } from 'lmdb';
import type { OrderRecord } from '../../engine/messages.js';
import type { StateStore } from '../../store/state-store.js';

export interface ClosedOrderStore {
  get(orderId: number): OrderRecord | undefined;
  getByClientId(account: string, clientOrderId: string): OrderRecord | undefined;
  /** At most `limit` of the account's closed orders, newest (highest id) first. */
  /** The account's closed orders with an id below `beforeId`, newest first. */
  list(account: string, limit: number, beforeId?: number): OrderRecord[];
  /** Stores closed orders; resolves once they are committed. */
  put(records: readonly OrderRecord[]): Promise<void>;
  readonly count: number;
}

export class MemoryClosedOrders implements ClosedOrderStore {
  private readonly byId = new Map<number, OrderRecord>();
  private readonly byClientId = new Map<string, number>();

  get count(): number {
    return this.byId.size;
  }

  get(orderId: number): OrderRecord | undefined {
    return this.byId.get(orderId);
  }

  getByClientId(account: string, clientOrderId: string): OrderRecord | undefined {
    const orderId = this.byClientId.get(`${account}\u0000${clientOrderId}`);
    return orderId === undefined ? undefined : this.byId.get(orderId);
  }

  list(account: string, limit: number, beforeId = Number.MAX_SAFE_INTEGER): OrderRecord[] {
    const records = [...this.byId.values()].filter((record) => record.account === account && Number(record.id) < beforeId);
    return records.sort((left, right) => Number(right.id) - Number(left.id)).slice(0, limit);
  }

  async put(records: readonly OrderRecord[]): Promise<void> {
    for (const record of records) {
      this.byId.set(Number(record.id), record);
      this.byClientId.set(`${record.account}\u0000${record.client_order_id}`, Number(record.id));
    }
  }
}

export class LmdbClosedOrders implements ClosedOrderStore {
  private readonly orders: Database<OrderRecord, number>;
  private readonly clientIds: Database<number, [string, string]>;
  private readonly accountOrders: Database<boolean, [string, number]>;
  constructor(store: StateStore) {
    this.orders = store.root.openDB<OrderRecord, number>({ name: 'orders', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    this.clientIds = store.root.openDB<number, [string, string]>({ name: 'client-ids', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    this.accountOrders = store.root.openDB<boolean, [string, number]>({ name: 'account-orders', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
  }

  /** Entries in the store (a stat call: for status, not the hot path). */
  get count(): number {
    return (this.orders.getStats() as { entryCount: number }).entryCount;
  }

  get(orderId: number): OrderRecord | undefined {
    return this.orders.get(orderId);
  }

  getByClientId(account: string, clientOrderId: string): OrderRecord | undefined {
    const orderId = this.clientIds.get([account, clientOrderId]);
    return orderId === undefined ? undefined : this.orders.get(orderId);
  }

  list(account: string, limit: number, beforeId = Number.MAX_SAFE_INTEGER): OrderRecord[] {
    const records: OrderRecord[] = [];
    // Reverse ranges start inclusive: the first key is beforeId - 1.
    for (const key of this.accountOrders.getKeys({ start: [account, beforeId - 1], end: [account, 0], reverse: true, limit })) {
      const record = this.orders.get(key[1]);
      if (record !== undefined) records.push(record);
    }
    return records;
  }

  async put(records: readonly OrderRecord[]): Promise<void> {
    if (records.length === 0) return;
    const writes: Promise<boolean>[] = [];
    for (const record of records) {
      const orderId = Number(record.id);
      writes.push(this.orders.put(orderId, record), this.clientIds.put([record.account, record.client_order_id], orderId), this.accountOrders.put([record.account, orderId], true));
    }
    await Promise.all(writes);
  }
}
