/**
 * The book's data structures: order nodes, price levels (intrusive doubly linked FIFO queues) and one
 * side's sorted level index.
 *
 *   BookSide.levels (bids: ascending price; asks: descending price; the best level is always LAST)
 *   [ worst ... | L(p3) | L(p2) | L(p1) ]          <- touch: lookups, inserts and pops happen here
 *                                     |
 *                          head -> node <-> node <-> node <- tail      (time priority: head trades first)
 *
 * Keeping the best level at the end makes the common operations cheap: removing the best level after a
 * sweep is a pop, and a new level near the touch shifts only the few levels between it and the end.
 * Levels are found by binary search (O(log L)); inserting or removing a level away from the touch shifts
 * the levels behind it (O(L) moves, done with a plain loop, no allocation). Nodes and levels are recycled
 * through free lists, so a book in steady state allocates nothing per order.
 */
import type { OrderStatus, OrderType, SelfTradePrevention, Side, TimeInForce } from './order-types.js';

/** Where a node is: free (in the pool), being matched, resting in a level, or a stop waiting to trigger. */
export const NodeState = {
  Free: 0,
  Incoming: 1,
  Resting: 2,
  PendingStop: 3,
} as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

export class OrderNode {
  orderId = 0;
  account = '';
  side: Side = 'buy';
  orderType: OrderType = 'limit';
  timeInForce: TimeInForce = 'gtc';
  postOnly = false;
  selfTradePrevention: SelfTradePrevention = 'cancel_newest';
  priceTicks = 0;
  stopPriceTicks = 0;
  /** The total ordered quantity (a replace changes it); always filled + leaves while live. */
  qtyLots = 0;
  filledQtyLots = 0;
  leavesQtyLots = 0;
  timestamp = 0;
  /** Priority stamp among stops (ties on stop price go to the lower sequence). */
  sequence = 0;
  /** The trade price that triggered a stop order (0 until then). */
  triggerPriceTicks = 0;
  status: OrderStatus = 'new';
  state: NodeState = NodeState.Free;
  level: PriceLevel | null = null;
  previous: OrderNode | null = null;
  next: OrderNode | null = null;
}

export class PriceLevel {
  priceTicks = 0;
  /** Sum of the leaves of the orders queued here. */
  qtyLots = 0;
  orderCount = 0;
  head: OrderNode | null = null;
  tail: OrderNode | null = null;
  /** The book's call epoch in which this level was last reported changed (see OrderBook.markChanged). */
  changedEpoch = 0;

  append(node: OrderNode): void {
    node.level = this;
    node.previous = this.tail;
    node.next = null;
    if (this.tail === null) this.head = node;
    else this.tail.next = node;
    this.tail = node;
    this.qtyLots += node.leavesQtyLots;
    this.orderCount += 1;
  }

  /** Unlinks `node`, taking its leaves out of the level's total. */
  remove(node: OrderNode): void {
    const { previous, next } = node;
    if (previous === null) this.head = next;
    else previous.next = next;
    if (next === null) this.tail = previous;
    else next.previous = previous;
    node.previous = null;
    node.next = null;
    node.level = null;
    this.qtyLots -= node.leavesQtyLots;
    this.orderCount -= 1;
  }
}

/** One side's levels, sorted worst to best. */
export class BookSide {
  readonly levels: PriceLevel[] = [];
  private readonly freeLevels: PriceLevel[] = [];
  /** +1 for bids (higher is better), -1 for asks (lower is better): rank = direction × price ascends. */
  private readonly direction: number;

  constructor(
    readonly side: Side,
    readonly maxLevels: number,
  ) {
    this.direction = side === 'buy' ? 1 : -1;
  }

  best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** Index of the level at `priceTicks`, or -(insertion index) - 1 when there is none. */
  search(priceTicks: number): number {
    const levels = this.levels;
    const rank = this.direction * priceTicks;
    let low = 0;
    let high = levels.length - 1;
    // The touch is the common case: check the last level before bisecting.
    if (high >= 0 && levels[high]!.priceTicks === priceTicks) return high;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const middleRank = this.direction * levels[middle]!.priceTicks;
      if (middleRank < rank) low = middle + 1;
      else if (middleRank > rank) high = middle - 1;
      else return middle;
    }
    return -low - 1;
  }

  find(priceTicks: number): PriceLevel | undefined {
    const index = this.search(priceTicks);
    return index >= 0 ? this.levels[index] : undefined;
  }

  /** The level at `priceTicks`, created when missing; null when creating it would exceed maxLevels. */
  levelAt(priceTicks: number): PriceLevel | null {
    const found = this.search(priceTicks);
    if (found >= 0) return this.levels[found]!;
    const levels = this.levels;
    if (levels.length >= this.maxLevels) return null;
    const level = this.freeLevels.pop() ?? new PriceLevel();
    level.priceTicks = priceTicks;
    level.changedEpoch = 0;
    const insertAt = -found - 1;
    levels.push(level);
    for (let index = levels.length - 1; index > insertAt; index--) levels[index] = levels[index - 1]!;
    levels[insertAt] = level;
    return level;
  }

  /** Removes an empty level and recycles it. */
  remove(level: PriceLevel): void {
    const levels = this.levels;
    const last = levels.length - 1;
    if (levels[last] !== level) {
      const index = this.search(level.priceTicks);
      if (index < 0 || levels[index] !== level) throw new Error(`broken invariant: level ${level.priceTicks} is not in the ${this.side} index`);
      for (let move = index; move < last; move++) levels[move] = levels[move + 1]!;
    }
    levels.pop();
    level.head = null;
    level.tail = null;
    level.qtyLots = 0;
    level.orderCount = 0;
    this.freeLevels.push(level);
  }
}
