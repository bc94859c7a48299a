/**
 * Replay of historical trades or quotes from CSV, at real speed, N times faster, or as fast as possible.
 *
 * `CsvReplay` is pure: it takes text in chunks of any size, splits lines (bounded length), parses them,
 * sends every event through the MarketDataValidator (bad lines are counted there and skipped) and yields
 * each good event with its scheduled offset from the start of the replay, in wall-clock milliseconds:
 * (timeMs - first event's timeMs) / speed. `replay()` is the small async driver that reads a file and
 * waits for each offset with an injected clock and sleep (real timers by default).
 *
 * Format (docs/market-data-sim.md, "CSV replay"): a header line names the columns, in any order, extra
 * columns ignored.
 *   trades: time_ms,symbol,price,qty,side          side is buy or sell (the aggressor)
 *   quotes: time_ms,symbol,bid_price,bid_qty,ask_price,ask_qty
 * time_ms is milliseconds since the Unix epoch, or an ISO-8601 timestamp (2024-03-01T14:30:00.125Z).
 * Empty lines and a trailing \r are ignored. Trades get trade ids 1, 2, ... in file order.
 */
import { createReadStream } from 'node:fs';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { OctopusError } from '../../engine/errors.js';
import type { MarketDataValidator } from './market-data-validator.js';
import type { MarketEvent, MarketQuote, MarketTrade } from './market-events.js';

export interface CsvReplayOptions {
  validator: MarketDataValidator;
  /** Replay speed: 1 real time, 10 ten times faster, Infinity as fast as possible (every offset 0). */
  speed: number;
  /** Longest accepted line in characters; longer lines are skipped and counted. Default 4096. */
  maxLineLength?: number;
}

export interface ScheduledEvent {
  event: MarketEvent;
  /** When to deliver it, in wall-clock milliseconds after the replay started. */
  offsetMs: number;
}

export interface CsvReplayStats {
  lines: number;
  events: number;
  /** Lines the validator rejected (bad fields, out of sequence, unknown symbol, wrong column count). */
  badLines: number;
  /** Lines longer than maxLineLength (also in badLines). */
  longLines: number;
}

type Layout = { kind: 'trade'; time: number; symbol: number; price: number; qty: number; side: number; columns: number } | {
  kind: 'quote';
  time: number;
  symbol: number;
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
  columns: number;
};

const kMaxLineLengthLimit = 1 << 20;
const kNumeric = /^-?\d+(\.\d+)?$/;
const kIsoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch from a number or an ISO-8601 timestamp with a zone; NaN otherwise. */
export function parseTimeMs(text: string): number {
  if (kNumeric.test(text)) return Number(text);
  if (kIsoTimestamp.test(text)) return Date.parse(text);
  return Number.NaN;
}

/** @throws OctopusError ERR_CONFIG_INVALID when the header names neither layout. */
function layoutOf(header: string): Layout {
  const names = header.split(',').map((name) => name.trim().toLowerCase());
  const at = (name: string): number => names.indexOf(name);
  const columns = names.length;
  if (at('time_ms') >= 0 && at('symbol') >= 0 && at('price') >= 0 && at('qty') >= 0 && at('side') >= 0) {
    return { kind: 'trade', time: at('time_ms'), symbol: at('symbol'), price: at('price'), qty: at('qty'), side: at('side'), columns };
  }
  const quoteColumns = ['time_ms', 'symbol', 'bid_price', 'bid_qty', 'ask_price', 'ask_qty'];
  if (quoteColumns.every((name) => at(name) >= 0)) {
    return { kind: 'quote', time: at('time_ms'), symbol: at('symbol'), bidPrice: at('bid_price'), bidQty: at('bid_qty'), askPrice: at('ask_price'), askQty: at('ask_qty'), columns };
  }
  throw new OctopusError('ERR_CONFIG_INVALID', `expected a header time_ms,symbol,price,qty,side or time_ms,symbol,bid_price,bid_qty,ask_price,ask_qty, was ${JSON.stringify(header.slice(0, 120))}`);
}

export class CsvReplay {
  private readonly validator: MarketDataValidator;
  private readonly speed: number;
  private readonly maxLineLength: number;
  private layout: Layout | null = null;
  private partial = '';
  /** True while skipping the rest of an over-long line. */
  private skipping = false;
  private firstTimeMs = Number.NaN;
  private nextTradeId = 1;
  private readonly counters: CsvReplayStats = { lines: 0, events: 0, badLines: 0, longLines: 0 };

  /** @throws OctopusError ERR_CONFIG_INVALID on a speed that is not > 0 or a bad maxLineLength. */
  constructor(options: CsvReplayOptions) {
    if (typeof options.speed !== 'number' || Number.isNaN(options.speed) || options.speed <= 0) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected a speed > 0 (Infinity: as fast as possible), was ${String(options.speed)}`);
    }
    const maxLineLength = options.maxLineLength ?? 4_096;
    if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 16 || maxLineLength > kMaxLineLengthLimit) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected maxLineLength from 16 to ${kMaxLineLengthLimit}, was ${String(maxLineLength)}`);
    }
    this.validator = options.validator;
    this.speed = options.speed;
    this.maxLineLength = maxLineLength;
  }

  /**
   * Feeds a chunk of text; appends the events of the lines it completes to `out`.
   * @throws OctopusError ERR_CONFIG_INVALID when the first line is not a known header.
   */
  push(chunk: string, out: ScheduledEvent[]): void {
    let start = 0;
    for (;;) {
      const newline = chunk.indexOf('\n', start);
      const end = newline < 0 ? chunk.length : newline;
      if (this.skipping) {
        if (newline >= 0) this.skipping = false;
      } else if (this.partial.length + (end - start) > this.maxLineLength) {
        this.partial = '';
        this.counters.lines += 1;
        this.counters.longLines += 1;
        this.counters.badLines += 1;
        this.validator.check('(line too long)');
        this.skipping = newline < 0;
      } else if (newline < 0) {
        this.partial += chunk.slice(start);
      } else {
        const line = this.partial + chunk.slice(start, end);
        this.partial = '';
        this.line(line, out);
      }
      if (newline < 0) return;
      start = newline + 1;
    }
  }

  /** Ends the input: a last line without a newline is parsed. */
  end(out: ScheduledEvent[]): void {
    if (this.partial.length > 0 && !this.skipping) this.line(this.partial, out);
    this.partial = '';
    this.skipping = false;
  }

  stats(): CsvReplayStats {
    return { ...this.counters };
  }

  private line(raw: string, out: ScheduledEvent[]): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim().length === 0) return;
    if (this.layout === null) {
      this.layout = layoutOf(line);
      return;
    }
    this.counters.lines += 1;
    const fields = line.split(',');
    const event = fields.length === this.layout.columns ? this.parse(this.layout, fields) : line;
    if (!this.validator.accept(event)) {
      this.counters.badLines += 1;
      return;
    }
    const accepted = event as MarketEvent;
    if (accepted.kind === 'trade') accepted.tradeId = this.nextTradeId++;
    if (Number.isNaN(this.firstTimeMs)) this.firstTimeMs = accepted.timeMs;
    this.counters.events += 1;
    out.push({ event: accepted, offsetMs: this.speed === Number.POSITIVE_INFINITY ? 0 : (accepted.timeMs - this.firstTimeMs) / this.speed });
  }

  private parse(layout: Layout, fields: string[]): MarketTrade | MarketQuote {
    const text = (index: number): string => fields[index]!.trim();
    const number = (index: number): number => {
      const value = text(index);
      return value.length === 0 ? Number.NaN : Number(value);
    };
    const timeMs = parseTimeMs(text(layout.time));
    if (layout.kind === 'trade') {
      const side = text(layout.side).toLowerCase();
      return { kind: 'trade', symbol: text(layout.symbol), price: number(layout.price), qty: number(layout.qty), side: side as MarketTrade['side'], tradeId: 0, timeMs };
    }
    return {
      kind: 'quote', symbol: text(layout.symbol), bidPrice: number(layout.bidPrice), bidQty: number(layout.bidQty),
      askPrice: number(layout.askPrice), askQty: number(layout.askQty), timeMs,
    };
  }
}

export interface ReplayOptions {
  validator: MarketDataValidator;
  signal?: AbortSignal;
  maxLineLength?: number;
  /** Monotonic milliseconds; default performance.now(). */
  clock?: { nowMs(): number };
  /** Waits `delayMs`, rejecting when the signal aborts; default node:timers/promises setTimeout. */
  sleep?: (delayMs: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Bytes read per chunk (bounds the events scheduled at once). Default 64 KiB. */
  chunkBytes?: number;
}

const kDefaultClock = { nowMs: (): number => performance.now() };

async function defaultSleep(delayMs: number, signal: AbortSignal | undefined): Promise<void> {
  await sleepFor(delayMs, undefined, { signal });
}

/**
 * Replays a CSV file: calls `onEvent` for each good event at its scheduled time (speed as in CsvReplay).
 * Resolves with the replay's counters at the end of the file.
 * @throws OctopusError ERR_CONFIG_INVALID (bad speed, header); the file's read errors; the signal's abort
 * reason when aborted; whatever onEvent throws (the replay stops there). When onEvent returns a promise the
 * replay waits for it (backpressure) before the next event.
 */
export async function replay(file: string, speed: number, onEvent: (event: MarketEvent) => void | Promise<void>, options: ReplayOptions): Promise<CsvReplayStats> {
  const parser = new CsvReplay({ validator: options.validator, speed, maxLineLength: options.maxLineLength });
  const clock = options.clock ?? kDefaultClock;
  const sleep = options.sleep ?? defaultSleep;
  const { signal } = options;
  signal?.throwIfAborted();
  const startMs = clock.nowMs();
  const batch: ScheduledEvent[] = [];
  const deliver = async (): Promise<void> => {
    for (const scheduled of batch) {
      const waitMs = startMs + scheduled.offsetMs - clock.nowMs();
      if (waitMs > 0) await sleep(waitMs, signal);
      signal?.throwIfAborted();
      // A promise from onEvent is backpressure: the replay holds until the consumer has room.
      const held = onEvent(scheduled.event);
      if (held !== undefined) await held;
    }
    batch.length = 0;
  };
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: options.chunkBytes ?? 65_536, signal });
  for await (const chunk of stream) {
    parser.push(chunk as string, batch);
    await deliver();
  }
  parser.end(batch);
  await deliver();
  return parser.stats();
}
