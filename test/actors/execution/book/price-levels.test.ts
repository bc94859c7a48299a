/**
 * The book's structures on their own: a side keeps its levels sorted worst to best under random inserts
 * and removals (against a sorted-array reference), levels keep FIFO order, and the stop index releases
 * stops in trigger order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BookSide, NodeState, OrderNode } from '../../../../src/actors/execution/book/price-levels.js';
import { StopBook } from '../../../../src/actors/execution/book/stop-book.js';
import type { Side } from '../../../../src/actors/execution/book/order-types.js';

function node(orderId: number, side: Side, leavesQtyLots = 1, stopPriceTicks = 0, sequence = orderId): OrderNode {
  const created = new OrderNode();
  Object.assign(created, { orderId, side, leavesQtyLots, qtyLots: leavesQtyLots, stopPriceTicks, sequence, state: NodeState.Incoming });
  return created;
}

describe('BookSide', () => {
  for (const side of ['buy', 'sell'] as const) {
    it(`${side}: levels stay sorted worst to best, best last, under random inserts and removals (property)`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 40 })), { maxLength: 200 }), (operations) => {
          const bookSide = new BookSide(side, 1_000);
          const reference = new Set<number>();
          for (const [insert, priceTicks] of operations) {
            if (insert) {
              bookSide.levelAt(priceTicks);
              reference.add(priceTicks);
            } else {
              const level = bookSide.find(priceTicks);
              expect(level === undefined).toBe(!reference.has(priceTicks));
              if (level !== undefined) bookSide.remove(level);
              reference.delete(priceTicks);
            }
          }
          const expected = [...reference].sort((a, b) => (side === 'buy' ? a - b : b - a));
          expect(bookSide.levels.map((level) => level.priceTicks)).toEqual(expected);
          expect(bookSide.best()?.priceTicks).toBe(expected[expected.length - 1]);
        }),
      );
    });
  }

  it('refuses a level beyond maxLevels but still finds existing ones', () => {
    const bookSide = new BookSide('buy', 2);
    expect(bookSide.levelAt(10)).not.toBeNull();
    expect(bookSide.levelAt(11)).not.toBeNull();
    expect(bookSide.levelAt(12)).toBeNull();
    expect(bookSide.levelAt(10)?.priceTicks).toBe(10);
  });

  it('queues orders FIFO and keeps totals through removals', () => {
    const level = new BookSide('sell', 10).levelAt(5)!;
    const [first, second, third] = [node(1, 'sell', 2), node(2, 'sell', 3), node(3, 'sell', 4)];
    for (const queued of [first, second, third]) level.append(queued);
    level.remove(second);
    expect([level.head?.orderId, level.head?.next?.orderId, level.tail?.orderId]).toEqual([1, 3, 3]);
    expect([level.qtyLots, level.orderCount]).toEqual([6, 2]);
    level.remove(first);
    level.remove(third);
    expect([level.head, level.tail, level.qtyLots, level.orderCount]).toEqual([null, null, 0, 0]);
  });
});

describe('StopBook', () => {
  it('releases the stops a trade reaches, nearest first, equal stops in arrival order', () => {
    const stops = new StopBook();
    const buys = [node(1, 'buy', 1, 103), node(2, 'buy', 1, 101), node(3, 'buy', 1, 105), node(4, 'buy', 1, 101)];
    const sells = [node(5, 'sell', 1, 97), node(6, 'sell', 1, 99), node(7, 'sell', 1, 99)];
    for (const stop of [...buys, ...sells]) stops.insert(stop);
    const queue: OrderNode[] = [];
    stops.collectTriggered(103, queue);
    expect(queue.map((stop) => stop.orderId)).toEqual([2, 4, 1]);
    expect(queue.map((stop) => stop.triggerPriceTicks)).toEqual([103, 103, 103]);
    queue.length = 0;
    stops.remove(sells[1]!);
    stops.collectTriggered(97, queue);
    expect(queue.map((stop) => stop.orderId)).toEqual([7, 5]);
    expect(stops.size).toBe(1);
    expect(() => stops.remove(sells[0]!)).toThrowError(/broken invariant/);
  });
});
