/**
 * The gateway's copy of every L2 book, kept from the market-data deltas, so that WebSocket book
 * subscriptions get their snapshot at once, in the same sequence as the deltas that follow (the books
 * themselves live in the execution worker). Seeded from a full snapshot at start; deltas carry absolute
 * level totals, so applying one twice is harmless.
 */
import type { Side } from '../../engine/messages.js';

export type Level = [price: number, qty: number];

interface Sides {
  bids: Map<number, number>;
  asks: Map<number, number>;
}

export class BookMirror {
  private readonly books = new Map<string, Sides>();

  private sides(symbol: string): Sides {
    let sides = this.books.get(symbol);
    if (sides === undefined) this.books.set(symbol, (sides = { bids: new Map(), asks: new Map() }));
    return sides;
  }

  /** Replaces a symbol's book with a snapshot (levels as [price, qty, ...]). */
  seed(symbol: string, bids: readonly (readonly number[])[], asks: readonly (readonly number[])[]): void {
    const sides = this.sides(symbol);
    sides.bids.clear();
    sides.asks.clear();
    for (const level of bids) if (level[1]! > 0) sides.bids.set(level[0]!, level[1]!);
    for (const level of asks) if (level[1]! > 0) sides.asks.set(level[0]!, level[1]!);
  }

  apply(symbol: string, side: Side, price: number, qty: number): void {
    const levels = side === 'buy' ? this.sides(symbol).bids : this.sides(symbol).asks;
    if (qty > 0) levels.set(price, qty);
    else levels.delete(price);
  }

  /** Best levels first, at most `depth` per side. */
  snapshot(symbol: string, depth: number): { bids: Level[]; asks: Level[] } {
    const sides = this.books.get(symbol);
    if (sides === undefined) return { bids: [], asks: [] };
    const bids = [...sides.bids.entries()].sort((left, right) => right[0] - left[0]).slice(0, depth);
    const asks = [...sides.asks.entries()].sort((left, right) => left[0] - right[0]).slice(0, depth);
    return { bids, asks };
  }
}
