/**
 * Time bars from trades: OHLCV, VWAP and trade count per symbol and interval. A bar covers
 * [startMs, startMs + intervalMs); it is emitted when a later trade arrives or when `closeDue` is called
 * with a time past its end (so quiet symbols still close their bars on time).
 */
import type { Bar, Trade } from '../../engine/messages.js';
import { OctopusError } from '../../engine/errors.js';

interface OpenBar {
  bar: Bar;
  notional: number;
}

export class BarAggregator {
  private readonly open = new Map<string, OpenBar>();
  private readonly latest = new Map<string, Bar>();

  constructor(
    readonly intervalMs: number,
    private readonly emit: (bar: Bar) => void,
    /** Bound on distinct symbols: a feed gone wrong cannot grow this without limit. */
    private readonly maxSymbols = 100_000,
  ) {
    if (!Number.isInteger(intervalMs) || intervalMs <= 0) throw new OctopusError('ERR_CONFIG_INVALID', `expected a positive whole interval in ms, was ${intervalMs}`);
  }

  add(trade: Trade): void {
    const startMs = Math.floor(trade.timeMs / this.intervalMs) * this.intervalMs;
    const current = this.open.get(trade.symbol);
    if (current !== undefined && current.bar.startMs === startMs) {
      const bar = current.bar;
      if (trade.price > bar.high) bar.high = trade.price;
      if (trade.price < bar.low) bar.low = trade.price;
      bar.close = trade.price;
      bar.volume += trade.qty;
      bar.trades += 1;
      current.notional += trade.price * trade.qty;
      bar.vwap = current.notional / bar.volume;
      return;
    }
    if (current !== undefined) {
      // A trade stamped before the open bar is late: fold it into the open bar rather than reopen history.
      if (startMs < current.bar.startMs) return this.add({ ...trade, timeMs: current.bar.startMs });
      this.finish(trade.symbol, current);
    } else if (this.open.size >= this.maxSymbols) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected at most ${this.maxSymbols} symbols, was more`);
    }
    this.open.set(trade.symbol, {
      bar: {
        symbol: trade.symbol,
        intervalMs: this.intervalMs,
        startMs,
        open: trade.price,
        high: trade.price,
        low: trade.price,
        close: trade.price,
        volume: trade.qty,
        vwap: trade.price,
        trades: 1,
      },
      notional: trade.price * trade.qty,
    });
  }

  /** Emits every open bar whose interval ended at or before `nowMs`. */
  closeDue(nowMs: number): void {
    for (const [symbol, current] of this.open) {
      if (current.bar.startMs + this.intervalMs <= nowMs) this.finish(symbol, current);
    }
  }

  latestBars(symbols: readonly string[]): Bar[] {
    const wanted = symbols.length === 0 ? [...this.latest.keys()] : symbols;
    return wanted.flatMap((symbol) => {
      const bar = this.latest.get(symbol);
      return bar === undefined ? [] : [bar];
    });
  }

  private finish(symbol: string, current: OpenBar): void {
    this.open.delete(symbol);
    this.latest.set(symbol, current.bar);
    this.emit(current.bar);
  }
}
