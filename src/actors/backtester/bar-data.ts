/**
 * Bar data for backtests: OHLCV series in columns (Float64Array), read from CSV. The CSV header is
 * `time,open,high,low,close,volume` (extra columns are ignored), time an ISO-8601 date or date-time
 * (UTC unless it carries an offset) or epoch milliseconds; rows strictly increasing in time.
 */
import { readFileSync, statSync } from 'node:fs';
import { OctopusError } from '../../engine/errors.js';

export interface BarSeries {
  symbol: string;
  length: number;
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

export const kMaxBarRows = 20_000_000;
const kMaxCsvBytes = 2 * 1024 * 1024 * 1024 - 1;
const kColumns = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

function bad(message: string): OctopusError {
  return new OctopusError('ERR_BACKTEST_BAD_DATA', message);
}

/** Epoch ms from an ISO date/date-time or a whole number of epoch ms. @returns NaN when neither. */
export function parseTimeMs(text: string): number {
  if (/^\d{1,16}$/.test(text)) return Number(text);
  if (!/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return Number.NaN;
  const iso = text.length === 10 ? `${text}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`;
  return Date.parse(iso);
}

/** An empty series with room for `capacity` bars. */
export function allocateSeries(symbol: string, capacity: number): BarSeries {
  return {
    symbol,
    length: capacity,
    time: new Float64Array(capacity),
    open: new Float64Array(capacity),
    high: new Float64Array(capacity),
    low: new Float64Array(capacity),
    close: new Float64Array(capacity),
    volume: new Float64Array(capacity),
  };
}

/**
 * Parses CSV text into a series.
 * @throws OctopusError ERR_BACKTEST_BAD_DATA naming the line: a missing column, a bad number or time,
 *   high < low, a non-positive price, time not strictly increasing, too many rows, no rows.
 */
export function parseBarCsv(text: string, symbol: string): BarSeries {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').split(',').map((name) => name.trim().toLowerCase());
  const positions = kColumns.map((name) => header.indexOf(name));
  const missing = kColumns.filter((_, index) => positions[index]! < 0);
  if (missing.length > 0) throw bad(`expected a CSV header with ${kColumns.join(',')}, was missing ${missing.join(',')}`);
  let rows = 0;
  for (let index = 1; index < lines.length; index++) if (lines[index]!.trim() !== '') rows++;
  if (rows === 0) throw bad('expected at least one bar, was none');
  if (rows > kMaxBarRows) throw bad(`expected at most ${kMaxBarRows} bars, was ${rows}`);
  const series = allocateSeries(symbol, rows);
  const columns = [series.time, series.open, series.high, series.low, series.close, series.volume];
  let row = 0;
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.trim() === '') continue;
    const cells = line.split(',');
    for (let column = 0; column < kColumns.length; column++) {
      const cell = (cells[positions[column]!] ?? '').trim();
      const value = column === 0 ? parseTimeMs(cell) : cell === '' ? Number.NaN : Number(cell);
      if (!Number.isFinite(value)) throw bad(`expected a ${column === 0 ? 'time (ISO date or epoch ms)' : 'number'} in column ${kColumns[column]} on line ${index + 1}, was ${JSON.stringify(cell.slice(0, 40))}`);
      columns[column]![row] = value;
    }
    checkRow(series, row, index + 1);
    row++;
  }
  return series;
}

function checkRow(series: BarSeries, row: number, line: number): void {
  const open = series.open[row]!;
  const high = series.high[row]!;
  const low = series.low[row]!;
  const close = series.close[row]!;
  if (!(open > 0 && high > 0 && low > 0 && close > 0)) throw bad(`expected prices > 0 on line ${line}, was open ${open} high ${high} low ${low} close ${close}`);
  if (!(high >= low && high >= Math.max(open, close) * (1 - 1e-9) && low <= Math.min(open, close) * (1 + 1e-9))) {
    throw bad(`expected low <= open, close <= high on line ${line}, was open ${open} high ${high} low ${low} close ${close}`);
  }
  if (!(series.volume[row]! >= 0)) throw bad(`expected volume >= 0 on line ${line}, was ${series.volume[row]}`);
  if (row > 0 && !(series.time[row]! > series.time[row - 1]!)) throw bad(`expected times strictly increasing on line ${line}, was ${series.time[row]} after ${series.time[row - 1]}`);
}

/**
 * Reads a bar CSV file. The symbol defaults to the file name without extension, upper-cased.
 * @throws OctopusError ERR_BACKTEST_BAD_DATA (unreadable, too large, or as parseBarCsv).
 */
export function readBarCsv(path: string, symbol?: string): BarSeries {
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > kMaxCsvBytes) throw bad(`expected a CSV of at most ${kMaxCsvBytes} bytes, was ${size}`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof OctopusError) throw error;
    throw new OctopusError('ERR_BACKTEST_BAD_DATA', `expected a readable CSV file, was ${JSON.stringify(path)} (${(error as Error).message})`, { cause: error });
  }
  const name = symbol ?? (path.split('/').pop() ?? 'BARS').replace(/\.[^.]*$/, '').toUpperCase().replace(/[^A-Z0-9._-]/g, '_').slice(0, 32);
  return parseBarCsv(text, name || 'BARS');
}
