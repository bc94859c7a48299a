/**
 * Trade and quote data for the tick backtest, in columns: one row per event, kind 0 = trade (price, qty,
 * side: +1 buy aggressor, -1 sell) or 1 = quote (price/qty = bid, askPrice/askQty = ask). Read from the
 * collector's CSV replay format (docs/market-data-sim.md) through the same parser and validator.
 */
import { readFileSync } from 'node:fs';
import { OctopusError } from '../../engine/errors.js';
import { CsvReplay, type ScheduledEvent } from '../collector/csv-replay.js';
import { MarketDataValidator } from '../collector/market-data-validator.js';
import type { MarketEvent } from '../collector/market-events.js';

export interface TickColumns {
  length: number;
  symbols: string[];
  kind: Uint8Array;
  symbol: Uint16Array;
  time: Float64Array;
  price: Float64Array;
  qty: Float64Array;
  side: Int8Array;
  askPrice: Float64Array;
  askQty: Float64Array;
}

export const kMaxTickRows = 50_000_000;
const kMaxSymbols = 65_535;

export function allocateTicks(length: number, symbols: string[]): TickColumns {
  if (length > kMaxTickRows) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected at most ${kMaxTickRows} ticks, was ${length}`);
  return {
    length,
    symbols,
    kind: new Uint8Array(length),
    symbol: new Uint16Array(length),
    time: new Float64Array(length),
    price: new Float64Array(length),
    qty: new Float64Array(length),
    side: new Int8Array(length),
    askPrice: new Float64Array(length),
    askQty: new Float64Array(length),
  };
}

/**
 * Columns from trade and quote events (book deltas are skipped), in their order.
 * @throws OctopusError ERR_BACKTEST_BAD_DATA when times go backwards or there are too many symbols.
 */
export function ticksFromEvents(events: readonly MarketEvent[]): TickColumns {
  const wanted = events.filter((event) => event.kind !== 'book_delta');
  const symbols: string[] = [];
  const index = new Map<string, number>();
  const ticks = allocateTicks(wanted.length, symbols);
  wanted.forEach((event, row) => {
    let symbol = index.get(event.symbol);
    if (symbol === undefined) {
      if (symbols.length >= kMaxSymbols) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected at most ${kMaxSymbols} symbols, was more`);
      index.set(event.symbol, (symbol = symbols.length));
      symbols.push(event.symbol);
    }
    if (row > 0 && event.timeMs < ticks.time[row - 1]!) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected ticks in time order, was ${event.timeMs} after ${ticks.time[row - 1]} at row ${row}`);
    ticks.symbol[row] = symbol;
    ticks.time[row] = event.timeMs;
    if (event.kind === 'trade') {
      ticks.kind[row] = 0;
      ticks.price[row] = event.price;
      ticks.qty[row] = event.qty;
      ticks.side[row] = event.side === 'buy' ? 1 : -1;
    } else if (event.kind === 'quote') {
      ticks.kind[row] = 1;
      ticks.price[row] = event.bidPrice;
      ticks.qty[row] = event.bidQty;
      ticks.askPrice[row] = event.askPrice;
      ticks.askQty[row] = event.askQty;
    }
  });
  return ticks;
}

/**
 * Reads a trades or quotes CSV (the replay format); rows the validator refuses are counted and skipped.
 * @throws OctopusError ERR_BACKTEST_BAD_DATA (unreadable, no good row), ERR_CONFIG_INVALID (unknown header).
 */
export function readTickCsv(path: string, symbols: readonly string[] = []): { ticks: TickColumns; badLines: number } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected a readable CSV file, was ${JSON.stringify(path)}`, { cause: error });
  }
  const known = symbols.length > 0 ? symbols : symbolsIn(text);
  const parser = new CsvReplay({ validator: new MarketDataValidator({ symbols: known }), speed: Number.POSITIVE_INFINITY, maxLineLength: 4_096 });
  const scheduled: ScheduledEvent[] = [];
  parser.push(text, scheduled);
  parser.end(scheduled);
  if (scheduled.length === 0) throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected at least one good trade or quote in ${JSON.stringify(path)}, was none`);
  return { ticks: ticksFromEvents(scheduled.map((entry) => entry.event)), badLines: parser.stats().badLines };
}

/** The distinct values of the `symbol` column (at most kMaxSymbols). */
function symbolsIn(text: string): string[] {
  const lines = text.split('\n');
  const column = (lines[0] ?? '').split(',').map((name) => name.trim().toLowerCase()).indexOf('symbol');
  const found = new Set<string>();
  if (column < 0) return [];
  for (let index = 1; index < lines.length && found.size < kMaxSymbols; index++) {
    const value = lines[index]!.split(',')[column]?.trim();
    if (value !== undefined && value !== '') found.add(value);
  }
  return [...found];
}
