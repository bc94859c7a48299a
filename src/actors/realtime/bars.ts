/**
 * The one OHLCV fold of the engine: trades into time bars (OHLCV, VWAP, trade count) per symbol and
 * interval. A bar covers [startMs, startMs + intervalMs), epoch-aligned. Two users share the fold:
 *   - `BarAggregator`, live in M3 realtime: a bar is emitted when a later trade arrives or when
 *     `closeDue` is called with a time past its end (so quiet symbols still close their bars on time);
 *   - `aggregateBars`, in the LMDB tick store, over a time-ordered scan of stored trades (QuestDB computes
 *     the same bars itself with SAMPLE BY ... ALIGN TO CALENDAR).
 * VWAP is sum(price * qty) / sum(qty) over the bar's trades.
 */
import type { Bar, Trade } from '../../engine/messages.js';
import { OctopusError } from '../../engine/errors.js';

/** The fields of a bar the fold fills (a `Bar` without indicators; structurally a stored BarRow too). */
export type BarFields = Omit<Bar, 'indicators'>;

/** The fields of a trade that a bar needs. */
export interface BarInput {
  readonly price: number;
  readonly qty: number;
  readonly timeMs: number;
}

/** A bar being built and the notional its VWAP divides. */
interface OpenBar<B extends BarFields> {
  bar: B;
  notional: number;
}

/** Start of the epoch-aligned bucket of `intervalMs` that holds `timeMs`. */
export function bucketStartMs(timeMs: number, intervalMs: number): number {
  return Math.floor(timeMs / intervalMs) * intervalMs;
}

function openBar(symbol: string, intervalMs: number, startMs: number, trade: BarInput): OpenBar<BarFields> {
  const { price, qty } = trade;
  return { bar: { symbol, intervalMs, startMs, open: price, high: price, low: price, close: price, volume: qty, vwap: price, trades: 1 }, notional: price * qty };
}

function foldTrade(current: OpenBar<BarFields>, trade: BarInput): void {
  const bar = current.bar;
  if (trade.price > bar.high) bar.high = trade.price;
  if (trade.price < bar.low) bar.low = trade.price;
  bar.close = trade.price;
  bar.volume += trade.qty;
  bar.trades += 1;
  current.notional += trade.price * trade.qty;
  bar.vwap = current.notional / bar.volume;
}

/**
 * Folds trades, which must come in non-decreasing `timeMs`, into at most `limit` bars and stops reading
 * as soon as a bar beyond the limit starts, so a query never scans more than it returns plus one trade.
 */
export function aggregateBars(symbol: string, intervalMs: number, trades: Iterable<BarInput>, limit: number): BarFields[] {
  return foldBars(symbol, intervalMs, trades, limit, false);
}

/**
 * The same bars from trades in non-increasing `timeMs` (a backwards scan), newest bar first, at most
 * `limit`: the first trade seen in a bucket is its close, the last one its open. Stops reading as
 * soon as a bar beyond the limit starts.
 */
export function aggregateBarsNewestFirst(symbol: string, intervalMs: number, trades: Iterable<BarInput>, limit: number): BarFields[] {
  return foldBars(symbol, intervalMs, trades, limit, true);
}

function foldBars(symbol: string, intervalMs: number, trades: Iterable<BarInput>, limit: number, backwards: boolean): BarFields[] {
  const bars: BarFields[] = [];
  let current: OpenBar<BarFields> | undefined;
  for (const trade of trades) {
    const startMs = bucketStartMs(trade.timeMs, intervalMs);
    if (current !== undefined && startMs === current.bar.startMs) {
      const close = current.bar.close;
      foldTrade(current, trade);
      if (backwards) {
        // Backwards, a later-seen trade is an earlier one: it becomes the open, and the close stays.
        current.bar.open = trade.price;
        current.bar.close = close;
      }
      continue;
    }
    if (current !== undefined) bars.push(current.bar);
    if (bars.length === limit) return bars;
    current = openBar(symbol, intervalMs, startMs, trade);
  }
  if (current !== undefined) bars.push(current.bar);
  return bars;
}

export class BarAggregator {
  private readonly open = new Map<string, OpenBar<Bar>>();

  constructor(
    readonly intervalMs: number,
    private readonly emit: (bar: Bar) => void,
    /** Bound on distinct symbols: a feed gone wrong cannot grow this without limit. */
    private readonly maxSymbols = 100_000,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs <= 0) throw new OctopusError('ERR_CONFIG_INVALID', `expected a positive whole interval in ms, was ${intervalMs}`);
  }

  add(trade: Trade): void {
    const startMs = bucketStartMs(trade.timeMs, this.intervalMs);
    const current = this.open.get(trade.symbol);
    if (current !== undefined) {
      // A trade stamped before the open bar is late: fold it into the open bar rather than reopen history.
      if (startMs <= current.bar.startMs) return foldTrade(current, trade);
      this.finish(trade.symbol, current);
    } else if (this.open.size >= this.maxSymbols) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected at most ${this.maxSymbols} symbols, was more`);
    }
    this.open.set(trade.symbol, openBar(trade.symbol, this.intervalMs, startMs, trade));
  }

  /** Emits every open bar whose interval ended at or before `nowMs`. */
  closeDue(nowMs: number): void {
    for (const [symbol, current] of this.open) {
      if (current.bar.startMs + this.intervalMs <= nowMs) this.finish(symbol, current);
    }
  }

  private finish(symbol: string, current: OpenBar<Bar>): void {
    this.open.delete(symbol);
    this.emit(current.bar);
  }
}
