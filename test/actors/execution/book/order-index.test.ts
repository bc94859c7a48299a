/**
 * The id -> node hash table against a Map reference under random inserts, replaces and deletes
 * (deletion by backward shift is the subtle part), plus its bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OrderIndex } from '../../../../src/actors/execution/book/order-index.js';
import { OrderNode } from '../../../../src/actors/execution/book/price-levels.js';

function nodeFor(orderId: number): OrderNode {
  const node = new OrderNode();
  node.orderId = orderId;
  return node;
}

describe('OrderIndex', () => {
  it('behaves as a Map under random sets and deletes, through growth (property)', () => {
    const operation = fc.tuple(fc.constantFrom('set', 'delete', 'get'), fc.oneof(fc.integer({ min: 1, max: 3_000 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })));
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 3_000, size: 'max' }), (operations) => {
        const index = new OrderIndex(4_096);
        const reference = new Map<number, OrderNode>();
        for (const [kind, orderId] of operations) {
          if (kind === 'set') {
            if (reference.size >= 4_096 && !reference.has(orderId)) continue;
            const node = nodeFor(orderId);
            index.set(orderId, node);
            reference.set(orderId, node);
          } else if (kind === 'delete') {
            expect(index.delete(orderId)).toBe(reference.delete(orderId));
          } else {
            expect(index.get(orderId)).toBe(reference.get(orderId));
          }
        }
        expect(index.size).toBe(reference.size);
        for (const [orderId, node] of reference) expect(index.get(orderId)).toBe(node);
        expect(index.collect([]).sort((a, b) => a.orderId - b.orderId)).toEqual([...reference.values()].sort((a, b) => a.orderId - b.orderId));
      }),
      { numRuns: 200 },
    );
  });

  it('keeps sequential ids (the engine case) findable across many deletes', () => {
    const index = new OrderIndex(1_000);
    const live: number[] = [];
    for (let orderId = 1; orderId <= 100_000; orderId++) {
      index.set(orderId, nodeFor(orderId));
      live.push(orderId);
      if (live.length > 900) expect(index.delete(live.splice((orderId * 7919) % live.length, 1)[0]!)).toBe(true);
    }
    expect(index.size).toBe(live.length);
    for (const orderId of live) expect(index.get(orderId)?.orderId).toBe(orderId);
    expect(index.get(0)).toBeUndefined();
    expect(index.get(Number.NaN)).toBeUndefined();
  });

  it('refuses to grow past twice its bound (a broken invariant: the book bounds its orders first)', () => {
    const index = new OrderIndex(4);
    for (let orderId = 1; orderId <= 4; orderId++) index.set(orderId, nodeFor(orderId));
    expect(() => {
      for (let orderId = 5; orderId <= 9; orderId++) index.set(orderId, nodeFor(orderId));
    }).toThrowError(/broken invariant/);
    expect(() => index.set(0, nodeFor(0))).toThrowError(/broken invariant/);
  });
});
