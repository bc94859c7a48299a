/**
 * OHLCV + VWAP aggregation of trades into epoch-aligned bars, for stores that scan trades in time order
 * (the LMDB store). QuestDB computes the same bars itself with SAMPLE BY ... ALIGN TO CALENDAR.
 */
import { bucketStartMs, type BarRow } from './tick-store.js';

/** The fields of a trade that a bar needs, in (timeMs, tradeId) order. */
export interface BarInput {
  readonly price: number;
  readonly qty: number;
  readonly timeMs: number;
}

/**
 * Folds trades, which must come in non-decreasing `timeMs`, into at most `limit` bars and stops reading
 * as soon as a bar beyond the limit starts, so a query never scans more than it returns plus one trade.
 * VWAP is sum(price * qty) / sum(qty) over the bar's trades.
 */
export function aggregateBars(symbol: string, intervalMs: number, trades: Iterable<BarInput>, limit: number): BarRow[] {
  const bars: BarRow[] = [];
  let current: MutableBar | undefined;
  let notional = 0;
  for (const trade of trades) {
    const startMs = bucketStartMs(trade.timeMs, intervalMs);
    if (current === undefined || startMs !== current.startMs) {
      if (current !== undefined) bars.push(finish(current, notional));
      if (bars.length === limit) return bars;
      current = { symbol, intervalMs, startMs, open: trade.price, high: trade.price, low: trade.price, close: trade.price, volume: 0, vwap: 0, trades: 0 };
      notional = 0;
    }
    current.high = Math.max(current.high, trade.price);
    current.low = Math.min(current.low, trade.price);
    current.close = trade.price;
    current.volume += trade.qty;
    current.trades += 1;
    notional += trade.price * trade.qty;
  }
  if (current !== undefined) bars.push(finish(current, notional));
  return bars;
}

type MutableBar = { -readonly [Key in keyof BarRow]: BarRow[Key] };

function finish(bar: MutableBar, notional: number): BarRow {
  bar.vwap = notional / bar.volume;
  return bar;
}
