/**
 * The market-data events of the collector: trades, top-of-book quotes and L2 book deltas, in decimal
 * prices and quantities (the matching engine's ticks and lots converted with the instrument's grid).
 * Produced by the simulated exchange and by CSV replay, checked by the market-data validator.
 */
import type { Side } from '../execution/book/order-types.js';

/** One trade. `side` is the aggressor's side. */
export interface MarketTrade {
  kind: 'trade';
  symbol: string;
  price: number;
  qty: number;
  side: Side;
  tradeId: number;
  timeMs: number;
}

/** The best bid and ask after a change of either (only two-sided books are quoted). */
export interface MarketQuote {
  kind: 'quote';
  symbol: string;
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
  timeMs: number;
}

export type BookSideName = 'bid' | 'ask';

/** One L2 level's new total; qty 0 means the level was removed. */
export interface MarketBookDelta {
  kind: 'book_delta';
  symbol: string;
  side: BookSideName;
  price: number;
  qty: number;
  timeMs: number;
}

export type MarketEvent = MarketTrade | MarketQuote | MarketBookDelta;

/** A copy of an event (the exchange reuses its event objects; keep copies). */
export function copyMarketEvent(event: MarketEvent): MarketEvent {
  return { ...event };
}
