/**
 * Market-data generation rate: events per second of wall time.
 *
 * - `simulated exchange step()`: the default 20-symbol SimulatedExchange (src/actors/collector/) stepped
 *   through one simulated minute in 1-second step() calls; an event is a trade, quote or L2 delta, every
 *   one produced by real matching in the MatchingEngine. Construction is outside the timing.
 * - `simulated exchange, busy`: the same with 20 ms steps and 1000 takers per symbol per second, about
 *   100k events per simulated second (OCTOPUS_BENCH_VERBOSE=1 prints both simulated rates).
 * - `csv replay parse`: CsvReplay parsing (and validating) an in-memory CSV of that minute's trades at
 *   speed Infinity, in 64 KiB chunks.
 * - baseline `random-walk feed (no book)`: the old RandomWalkFeed, one trade per next() call, producing as
 *   many events as the exchange did. It does far less work per event (one normal draw, no order book, no
 *   quotes or depth), so the ratios are below 1; it is there to show the cost of a realistic feed, not as a
 *   like-for-like competitor.
 *
 * Each case runs several times, round-robin, and reports the median rate; one warm-up run first.
 */
import { CsvReplay, type ScheduledEvent } from '../../src/actors/collector/csv-replay.js';
import { MarketDataValidator } from '../../src/actors/collector/market-data-validator.js';
import { RandomWalkFeed, defaultRandomWalkOptions } from '../../src/actors/collector/random-walk-feed.js';
import { SimulatedExchange, type SimulatedExchangeConfig } from '../../src/actors/execution/simulated-venue/simulated-exchange.js';
import { median, withRatios, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kSuite = 'feed';
const kMinuteMs = 60_000;
const kChunkMs = 1_000;
const kSeed = 20_261_125;
const kBaseline = 'random-walk feed (no book)';
const verbose = process.env.OCTOPUS_BENCH_VERBOSE === '1';

/**
 * The busy configuration: 20 ms steps and 1000 takers per symbol per second produce about 100k events per
 * simulated second (the default produces about 4k).
 */
const kBusy: Omit<SimulatedExchangeConfig, 'seed'> = { stepMs: 20, takers: { ratePerSecond: 1_000 } };

/** Steps a fresh exchange through a simulated minute; returns [events, wall ms]. */
function exchangeMinute(seed: number, config: Omit<SimulatedExchangeConfig, 'seed'>, durationMs: number): [number, number] {
  const exchange = new SimulatedExchange({ ...config, seed });
  let events = 0;
  const start = performance.now();
  for (let time = kChunkMs; time <= durationMs; time += kChunkMs) events += exchange.step(time).length;
  return [events, performance.now() - start];
}

function randomWalk(events: number, seed: number): [number, number] {
  const feed = new RandomWalkFeed({ ...defaultRandomWalkOptions, symbols: new SimulatedExchange({ seed }).symbols, seed });
  let checksum = 0;
  const start = performance.now();
  for (let index = 0; index < events; index++) checksum += feed.next(index).qty;
  const elapsed = performance.now() - start;
  if (checksum <= 0) throw new Error('expected trades, was none');
  return [events, elapsed];
}

function tradesCsv(seed: number): { text: string; symbols: readonly string[] } {
  const exchange = new SimulatedExchange({ seed });
  const lines = ['time_ms,symbol,price,qty,side'];
  for (let time = kChunkMs; time <= kMinuteMs; time += kChunkMs) {
    for (const event of exchange.step(time)) if (event.kind === 'trade') lines.push(`${event.timeMs},${event.symbol},${event.price},${event.qty},${event.side}`);
  }
  return { text: `${lines.join('\n')}\n`, symbols: exchange.symbols };
}

function csvParse(csv: { text: string; symbols: readonly string[] }): [number, number] {
  const parser = new CsvReplay({ validator: new MarketDataValidator({ symbols: csv.symbols }), speed: Number.POSITIVE_INFINITY });
  const out: ScheduledEvent[] = [];
  let events = 0;
  const start = performance.now();
  for (let offset = 0; offset < csv.text.length; offset += 65_536) {
    parser.push(csv.text.slice(offset, offset + 65_536), out);
    events += out.length;
    out.length = 0;
  }
  parser.end(out);
  events += out.length;
  return [events, performance.now() - start];
}

function row(name: string, rates: number[]): BenchRow {
  return { suite: kSuite, case: name, ops_per_s: median(rates), p50_ns: null, p99_ns: null, baseline: null, ratio_vs_baseline: null, unit: 'event' };
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const runs = options.quick ? 1 : 7;
  // Quick runs (smoke tests) simulate 10 s instead of a minute.
  const durationMs = options.quick ? 10_000 : kMinuteMs;
  const csv = tradesCsv(kSeed);
  const [minuteEvents] = exchangeMinute(kSeed, {}, durationMs);
  randomWalk(minuteEvents, kSeed);
  csvParse(csv);
  const rates = { exchange: [] as number[], busy: [] as number[], walk: [] as number[], csv: [] as number[] };
  exchangeMinute(kSeed, kBusy, durationMs);
  for (let index = 0; index < runs; index++) {
    const [exchangeEvents, exchangeMs] = exchangeMinute(kSeed + index, {}, durationMs);
    rates.exchange.push((exchangeEvents * 1_000) / exchangeMs);
    const [walkEvents, walkMs] = randomWalk(exchangeEvents, kSeed + index);
    rates.walk.push((walkEvents * 1_000) / walkMs);
    const [busyEvents, busyMs] = exchangeMinute(kSeed + index, kBusy, durationMs);
    rates.busy.push((busyEvents * 1_000) / busyMs);
    if (verbose) process.stderr.write(`feed: events per simulated s: default ${((exchangeEvents * 1_000) / durationMs).toFixed(0)}, busy ${((busyEvents * 1_000) / durationMs).toFixed(0)}\n`);
    const [csvEvents, csvMs] = csvParse(csv);
    rates.csv.push((csvEvents * 1_000) / csvMs);
    await Promise.resolve();
  }
  return withRatios([row(kBaseline, rates.walk), row('simulated exchange step()', rates.exchange), row('simulated exchange, busy', rates.busy), row('csv replay parse', rates.csv)], kBaseline);
}

const suite: BenchSuite = {
  name: kSuite,
  description: 'market-data events/s: simulated exchange (20 symbols, matched in the order book) over a simulated minute, CSV replay parsing, vs the random-walk feed',
  run,
};

export default suite;
