/**
 * A venue's order book as seen by one client: price -> quantity per side, bounded. Levels are kept in
 * hash maps because venue deltas touch arbitrary prices; sorting happens only when a caller asks for
 * the levels, which is off the hot path (snapshot events, tests, status).
 */
import { octopusError } from '../../../engine/errors.js';
import type { Side } from '../../../engine/messages.js';
import type { PriceLevel } from './venue-events.js';

/** A book side is named by the side of its orders: buy = bids, sell = asks. */
export type BookSide = Side;

export class LocalBook {
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();

  /** Throws ERR_CONFIG_INVALID unless `maxLevelsPerSide` is a positive safe integer. */
  constructor(readonly maxLevelsPerSide: number) {
    if (!Number.isSafeInteger(maxLevelsPerSide) || maxLevelsPerSide <= 0) {
      throw octopusError('ERR_CONFIG_INVALID', `expected maxLevelsPerSide a positive integer, was ${maxLevelsPerSide}`);
    }
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  /**
   * Sets one level; qty 0 removes it (removing an absent level is normal, venues say so). Returns false
   * when the side would exceed its bound: the caller resynchronises rather than keep a truncated book.
   */
  set(side: BookSide, price: number, qty: number): boolean {
    const levels = side === 'buy' ? this.bids : this.asks;
    if (qty === 0) {
      levels.delete(price);
      return true;
    }
    if (!levels.has(price) && levels.size >= this.maxLevelsPerSide) return false;
    levels.set(price, qty);
    return true;
  }

  /** Applies a batch of levels to one side; false if the bound was hit (the book is then partial). */
  setAll(side: BookSide, levels: readonly PriceLevel[]): boolean {
    for (const [price, qty] of levels) {
      if (!this.set(side, price, qty)) return false;
    }
    return true;
  }

  size(side: BookSide): number {
    return side === 'buy' ? this.bids.size : this.asks.size;
  }

  /** Bids highest first, asks lowest first. Allocates: for snapshots and inspection, not per delta. */
  levels(side: BookSide): PriceLevel[] {
    const source = side === 'buy' ? this.bids : this.asks;
    const levels: PriceLevel[] = [];
    for (const [price, qty] of source) levels.push([price, qty]);
    levels.sort(side === 'buy' ? (left, right) => right[0] - left[0] : (left, right) => left[0] - right[0]);
    return levels;
  }
}
