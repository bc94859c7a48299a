/**
 * The market-data events of the collector: trades, top-of-book quotes and L2 book deltas, in decimal
 * prices and quantities (the matching engine's ticks and lots converted with the instrument's grid).
 * Produced by the simulated exchange and by CSV replay, checked by the market-data validator. Each is the
 * catalogue's message shape (src/engine/messages.ts) with a `kind` tag, so a batch is built without
 * converting fields.
 */
import type { BookDelta, Quote, Trade } from '../../engine/messages.js';

/** One trade. `side` is the aggressor's side. */
export interface MarketTrade extends Trade {
  kind: 'trade';
}

/** The best bid and ask after a change of either (only two-sided books are quoted). */
export interface MarketQuote extends Quote {
  kind: 'quote';
}

/** One L2 level's new total (side buy = bid); qty 0 means the level was removed. */
export interface MarketBookDelta extends BookDelta {
  kind: 'book_delta';
}

export type MarketEvent = MarketTrade | MarketQuote | MarketBookDelta;

/** A copy of an event (the exchange reuses its event objects; keep copies). */
export function copyMarketEvent(event: MarketEvent): MarketEvent {
  return { ...event };
}
