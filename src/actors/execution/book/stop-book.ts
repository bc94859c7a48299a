/**
 * Stop and stop-limit orders waiting for their trigger, one sorted array per side, the next to trigger
 * LAST so that the per-trade check is one comparison and a trigger is a pop.
 *
 *   buy stops  (trigger when last trade >= stop): sorted by stop price descending, then sequence descending
 *   sell stops (trigger when last trade <= stop): sorted by stop price ascending,  then sequence descending
 *
 * Among stops crossed by the same trade the one nearest the previous price triggers first (the price
 * reaches it first), and equal stop prices trigger in arrival order (lower sequence first).
 */
import { NodeState, type OrderNode } from './price-levels.js';

/** True when `a` triggers before `b` on the same side. */
function triggersBefore(a: OrderNode, b: OrderNode): boolean {
  if (a.stopPriceTicks !== b.stopPriceTicks) {
    return a.side === 'buy' ? a.stopPriceTicks < b.stopPriceTicks : a.stopPriceTicks > b.stopPriceTicks;
  }
  return a.sequence < b.sequence;
}

/** Whether a trade at `priceTicks` triggers `node`. */
export function isTriggeredBy(node: OrderNode, priceTicks: number): boolean {
  return node.side === 'buy' ? priceTicks >= node.stopPriceTicks : priceTicks <= node.stopPriceTicks;
}

export class StopBook {
  readonly buys: OrderNode[] = [];
  readonly sells: OrderNode[] = [];

  get size(): number {
    return this.buys.length + this.sells.length;
  }

  insert(node: OrderNode): void {
    const stops = node.side === 'buy' ? this.buys : this.sells;
    const index = position(stops, node);
    stops.push(node);
    for (let move = stops.length - 1; move > index; move--) stops[move] = stops[move - 1]!;
    stops[index] = node;
    node.state = NodeState.PendingStop;
  }

  remove(node: OrderNode): void {
    const stops = node.side === 'buy' ? this.buys : this.sells;
    const index = position(stops, node);
    if (stops[index] !== node) throw new Error(`broken invariant: stop order ${node.orderId} is not in the ${node.side} stop index`);
    for (let move = index; move < stops.length - 1; move++) stops[move] = stops[move + 1]!;
    stops.pop();
  }

  /**
   * Moves every stop that a trade at `priceTicks` triggers into `queue`, in trigger order.
   * The caller owns the nodes' state from here on.
   */
  collectTriggered(priceTicks: number, queue: OrderNode[]): void {
    const buys = this.buys;
    while (buys.length > 0 && buys[buys.length - 1]!.stopPriceTicks <= priceTicks) {
      const node = buys.pop()!;
      node.triggerPriceTicks = priceTicks;
      queue.push(node);
    }
    const sells = this.sells;
    while (sells.length > 0 && sells[sells.length - 1]!.stopPriceTicks >= priceTicks) {
      const node = sells.pop()!;
      node.triggerPriceTicks = priceTicks;
      queue.push(node);
    }
  }
}

/** Index at which `node` sits (or would sit): every element after it triggers before it. */
function position(stops: readonly OrderNode[], node: OrderNode): number {
  let low = 0;
  let high = stops.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (triggersBefore(node, stops[middle]!)) low = middle + 1;
    else high = middle;
  }
  return low;
}
