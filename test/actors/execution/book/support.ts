/**
 * Helpers for the matching tests: compact one-line summaries of events (so a table case can spell out
 * the exact stream it expects), copies of the reused event objects, and a fingerprint of a book's whole
 * state for "nothing changed" checks.
 */
import type { BookEvent } from '../../../../src/actors/execution/book/book-events.js';
import type { OrderBook } from '../../../../src/actors/execution/book/order-book.js';

/** Copies events out of the book's reused objects. */
export function copyEvents(events: readonly BookEvent[]): BookEvent[] {
  return events.map((event) => ({ ...event }));
}

/** One readable line per event; fills and statuses carry the fields the tables care about. */
export function summarize(event: BookEvent): string {
  switch (event.kind) {
    case 'accepted':
      return `accepted #${event.orderId}`;
    case 'rejected':
      return `rejected #${event.orderId} ${event.reason}`;
    case 'replaced':
      return `replaced #${event.orderId} ${event.qtyLots}@${event.priceTicks} leaves ${event.leavesQtyLots} ${event.priorityKept ? 'kept' : 'lost'}`;
    case 'replace_rejected':
      return `replace_rejected #${event.orderId} ${event.reason}`;
    case 'triggered':
      return `triggered #${event.orderId} at ${event.triggerPriceTicks}`;
    case 'trade':
      return `trade ${event.qtyLots}@${event.priceTicks} ${event.aggressorSide} maker #${event.makerOrderId} taker #${event.takerOrderId}`;
    case 'fill':
      return `fill #${event.orderId} ${event.liquidity} ${event.qtyLots}@${event.priceTicks} fee ${event.feeCashUnits}`;
    case 'status':
      return `#${event.orderId} ${event.status}${event.reason === null ? '' : ` ${event.reason}`} ${event.filledQtyLots}/${event.leavesQtyLots}`;
    case 'level':
      return `level ${event.side} ${event.priceTicks} ${event.qtyLots}/${event.orderCount}`;
  }
}

export function summarizeAll(events: readonly BookEvent[]): string[] {
  return events.map(summarize);
}

/** Everything observable about a book, for "a call that threw changed nothing". */
export function fingerprint(book: OrderBook): string {
  return JSON.stringify({
    l3: book.l3Snapshot(),
    live: book.liveOrders(),
    last: book.lastTradePriceTicks() ?? null,
    ids: { ...book.ids },
  });
}
