/**
 * CSV replay: parsing in chunks of any size, trades and quotes, ISO timestamps, bad lines counted and
 * skipped through the validator, bounded lines, schedule offsets per speed, and the async driver on a
 * temp file with an injected clock and sleep (never wall time).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvReplay, parseTimeMs, replay, type ScheduledEvent } from '../../../src/actors/collector/csv-replay.js';
import { MarketDataValidator } from '../../../src/actors/collector/market-data-validator.js';
import type { MarketEvent } from '../../../src/actors/collector/market-events.js';
import { SimulatedExchange } from '../../../src/actors/execution/simulated-venue/simulated-exchange.js';
import type { OctopusError } from '../../../src/engine/errors.js';

const kTrades = [
  'time_ms,symbol,price,qty,side',
  '1000,AAA,10.5,3,buy',
  '1250,BBB,20.25,1,sell',
  '',
  '2000,AAA,10.55,2,SELL\r',
  '2024-03-01T14:30:00.125Z,AAA,10.6,1,buy',
].join('\n');

function parseAll(text: string, speed: number, chunkSizes: number[] = [text.length], maxLineLength?: number): { events: ScheduledEvent[]; replay: CsvReplay; validator: MarketDataValidator } {
  const validator = new MarketDataValidator({ symbols: ['AAA', 'BBB'] });
  const parser = new CsvReplay({ validator, speed, maxLineLength });
  const events: ScheduledEvent[] = [];
  let offset = 0;
  let index = 0;
  while (offset < text.length) {
    const size = Math.max(1, chunkSizes[index++ % chunkSizes.length]!);
    parser.push(text.slice(offset, offset + size), events);
    offset += size;
  }
  parser.end(events);
  return { events, replay: parser, validator };
}

describe('CsvReplay parsing', () => {
  it('parses trades, with ISO timestamps, case-insensitive sides, \\r and blank lines', () => {
    const { events, replay: parser } = parseAll(kTrades, Number.POSITIVE_INFINITY);
    expect(events.map((scheduled) => scheduled.event)).toEqual([
      { kind: 'trade', symbol: 'AAA', price: 10.5, qty: 3, side: 'buy', tradeId: 1, timeMs: 1_000 },
      { kind: 'trade', symbol: 'BBB', price: 20.25, qty: 1, side: 'sell', tradeId: 2, timeMs: 1_250 },
      { kind: 'trade', symbol: 'AAA', price: 10.55, qty: 2, side: 'sell', tradeId: 3, timeMs: 2_000 },
      { kind: 'trade', symbol: 'AAA', price: 10.6, qty: 1, side: 'buy', tradeId: 4, timeMs: Date.UTC(2024, 2, 1, 14, 30, 0, 125) },
    ]);
    expect(parser.stats()).toEqual({ lines: 4, events: 4, badLines: 0, longLines: 0 });
  });

  it('gives the same events however the text is chunked', () => {
    const whole = parseAll(kTrades, 1).events;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        expect(parseAll(kTrades, 1, sizes).events).toEqual(whole);
      }),
    );
  });

  it('parses quotes with columns in any order and extra columns ignored', () => {
    const text = 'symbol,time_ms,bid_price,bid_qty,ask_price,ask_qty,venue\nAAA,5,10.4,5,10.5,7,X\n';
    expect(parseAll(text, 1).events).toEqual([
      { event: { kind: 'quote', symbol: 'AAA', bidPrice: 10.4, bidQty: 5, askPrice: 10.5, askQty: 7, timeMs: 5 }, offsetMs: 0 },
    ]);
  });

  it('counts and skips bad lines through the validator', () => {
    const text = [
      'time_ms,symbol,price,qty,side',
      '1000,AAA,10.5,3,buy',
      '1001,AAA,abc,3,buy',
      '1002,AAA,10.5,,buy',
      '1003,ZZZ,10.5,3,buy',
      '999,AAA,10.5,3,buy',
      '1004,AAA,10.5,3',
      '1005,AAA,-1,3,buy',
      '1006,AAA,10.5,3,hold',
      'yesterday,AAA,10.5,3,buy',
      '2024-13-45,AAA,10.5,3,buy',
      `1007,AAA,10.5,3,buy${' '.repeat(200)}`,
      '1008,AAA,10.7,1,buy',
    ].join('\n');
    const { events, replay: parser, validator } = parseAll(text, 1, [7], 64);
    expect(events.map((scheduled) => scheduled.event.timeMs)).toEqual([1_000, 1_008]);
    expect(parser.stats()).toEqual({ lines: 12, events: 2, badLines: 10, longLines: 1 });
    expect(validator.stats().byReason).toEqual({
      malformed: 2, unknown_kind: 0, unknown_symbol: 1, bad_price: 2, bad_qty: 1, bad_side: 1, bad_time: 2, crossed_quote: 0, out_of_sequence: 1,
    });
  });

  it('rejects a crossed quote line', () => {
    const text = 'time_ms,symbol,bid_price,bid_qty,ask_price,ask_qty\n1,AAA,10.5,1,10.4,1\n2,AAA,10.4,1,10.5,1';
    const { events, validator } = parseAll(text, 1);
    expect(events).toHaveLength(1);
    expect(validator.stats().byReason.crossed_quote).toBe(1);
  });

  it.each([
    ['real time', 1, [0, 250, 1_000]],
    ['10x', 10, [0, 25, 100]],
    ['half speed', 0.5, [0, 500, 2_000]],
    ['as fast as possible', Number.POSITIVE_INFINITY, [0, 0, 0]],
  ])('schedules offsets at %s', (_, speed, offsets) => {
    const text = kTrades.split('\n').slice(0, 5).join('\n');
    expect(parseAll(text, speed).events.map((scheduled) => scheduled.offsetMs)).toEqual(offsets);
  });

  it.each([
    ['zero speed', { speed: 0 }],
    ['negative speed', { speed: -1 }],
    ['NaN speed', { speed: Number.NaN }],
    ['tiny maxLineLength', { speed: 1, maxLineLength: 2 }],
  ])('rejects %s', (_, options) => {
    const validator = new MarketDataValidator({ symbols: [] });
    expect(() => new CsvReplay({ validator, ...options })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }) as OctopusError);
  });

  it('rejects an unknown header', () => {
    const parser = new CsvReplay({ validator: new MarketDataValidator({ symbols: [] }), speed: 1 });
    expect(() => parser.push('a,b,c\n', [])).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }) as OctopusError);
  });

  it.each([
    ['milliseconds', '1700000000000', 1_700_000_000_000],
    ['ISO with Z', '2024-03-01T14:30:00Z', Date.UTC(2024, 2, 1, 14, 30)],
    ['ISO with offset', '2024-03-01T15:30:00.5+01:00', Date.UTC(2024, 2, 1, 14, 30, 0, 500)],
    ['ISO without zone', '2024-03-01T14:30:00', Number.NaN],
    ['words', 'now', Number.NaN],
    ['empty', '', Number.NaN],
  ])('parseTimeMs reads %s', (_, text, expected) => {
    expect(parseTimeMs(text)).toBe(expected);
  });
});

describe('replay() driver', () => {
  let directory = '';
  let file = '';
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'octopus-csv-'));
    file = join(directory, 'trades.csv');
    await writeFile(file, `${kTrades.split('\n').slice(0, 5).join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** A fake clock whose sleep advances it, recording every wait. */
  function fakeTime(): { clock: { nowMs(): number }; sleep: (delayMs: number) => Promise<void>; waits: number[] } {
    let now = 5_000;
    const waits: number[] = [];
    return {
      clock: { nowMs: () => now },
      sleep: async (delayMs: number) => {
        waits.push(delayMs);
        now += delayMs;
        await Promise.resolve();
      },
      waits,
    };
  }

  it.each([
    ['real time', 1, [250, 750]],
    ['4x', 4, [62.5, 187.5]],
    ['as fast as possible', Number.POSITIVE_INFINITY, []],
  ])('delivers every event at its offset, %s', async (_, speed, waits) => {
    const time = fakeTime();
    const delivered: Array<[number, MarketEvent]> = [];
    const stats = await replay(file, speed, (event) => void delivered.push([time.clock.nowMs(), { ...event }]), {
      validator: new MarketDataValidator({ symbols: ['AAA', 'BBB'] }),
      clock: time.clock,
      sleep: time.sleep,
      chunkBytes: 16,
    });
    expect(stats).toEqual({ lines: 3, events: 3, badLines: 0, longLines: 0 });
    expect(delivered.map(([, event]) => event.timeMs)).toEqual([1_000, 1_250, 2_000]);
    expect(time.waits).toEqual(waits);
  });

  it('stops with the abort reason when the signal aborts', async () => {
    const controller = new AbortController();
    const time = fakeTime();
    const delivered: MarketEvent[] = [];
    const promise = replay(file, 1, (event) => {
      delivered.push({ ...event });
      controller.abort(new Error('stop'));
    }, { validator: new MarketDataValidator({ symbols: ['AAA', 'BBB'] }), clock: time.clock, sleep: time.sleep, signal: controller.signal });
    await expect(promise).rejects.toThrow('stop');
    expect(delivered).toHaveLength(1);
  });

  it('rejects a missing file', async () => {
    await expect(replay(join(directory, 'missing.csv'), 1, () => undefined, { validator: new MarketDataValidator({ symbols: [] }) })).rejects.toThrow(/ENOENT/);
  });
});

describe('CSV round trip', () => {
  it('replays the simulated exchange\'s trades and quotes, written as CSV, exactly', () => {
    const exchange = new SimulatedExchange({ seed: 12 });
    const trades: MarketEvent[] = [];
    const quotes: MarketEvent[] = [];
    for (let time = 1_000; time <= 5_000; time += 1_000) {
      for (const event of exchange.step(time)) {
        if (event.kind === 'trade') trades.push({ ...event });
        if (event.kind === 'quote') quotes.push({ ...event });
      }
    }
    const tradeCsv = ['time_ms,symbol,price,qty,side', ...trades.map((event) => event.kind === 'trade' ? `${event.timeMs},${event.symbol},${event.price},${event.qty},${event.side}` : '')].join('\n');
    const quoteCsv = ['time_ms,symbol,bid_price,bid_qty,ask_price,ask_qty', ...quotes.map((event) => event.kind === 'quote' ? `${event.timeMs},${event.symbol},${event.bidPrice},${event.bidQty},${event.askPrice},${event.askQty}` : '')].join('\n');
    const symbols = exchange.symbols;
    const parse = (text: string): MarketEvent[] => {
      const parser = new CsvReplay({ validator: new MarketDataValidator({ symbols }), speed: Number.POSITIVE_INFINITY });
      const out: ScheduledEvent[] = [];
      parser.push(text, out);
      parser.end(out);
      return out.map((scheduled) => scheduled.event);
    };
    expect(trades.length).toBeGreaterThan(1_000);
    expect(parse(tradeCsv), 'trades (trade ids renumbered from 1)').toEqual(trades.map((event, index) => ({ ...event, tradeId: index + 1 })));
    expect(parse(quoteCsv), 'quotes').toEqual(quotes);
  });
});
