/**
 * Market-data latency end to end, from the simulated exchange's event to its receipt by a WebSocket
 * client in another process, at about 10k and 100k market events/s (a trade, a quote or one changed book
 * level is an event; `--feed-rate` is raised to get there, and the rate the client really counted is in
 * the note). One client (`octopus loadtest ws --latency`) subscribes to trades, quotes and book of the 20
 * simulated symbols. Three latencies per rate (docs/websocket.md has the stamps):
 *   - `event -> receipt`: data.time_ms of a trade (the simulated time of the exchange step that made it,
 *     whole ms) to receipt: what a desk sees;
 *   - `event -> emit`: data.time_ms to emit_ns (the execution actor sending the batch): time inside the
 *     engine, both stamps from the engine's clock;
 *   - `emit -> receipt`: emit_ns to receipt (ring hop to the main thread, the gateway's publish, the
 *     socket, the client).
 * Both ends read CLOCK_REALTIME carried on by the monotonic clock (src/engine/clock.ts); the client measures
 * its own clock's offset from CLOCK_REALTIME at the start and the end (in the note): it is microseconds,
 * against latencies of milliseconds.
 *
 * A third engine run at 10k/s has OCTOPUS_BENCH_NO_JOURNAL=1 (bench only): its event -> emit is the
 * batching alone, without the journal flush that market data waits for (durable before visible).
 *
 * Baseline: `uWS publish raw, emit -> receipt`: bench/workers/fanout-server.ts replaying the frames this
 * client received at 100k/s requested, at their pace, stamped as it sends them: the wire's own share.
 * Rows have ops/s = 1e9 / p99, so the ratio is baseline p99 / this p99 (bigger is better). The goal: p99
 * <= 1 ms at 100k events/s, event to receipt.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../src/config.js';
import { startEngineProcess, temporaryDataDir } from '../../test/support/engine-process.js';
import type { LatencySummary } from '../../src/loadtest/latency.js';
import type { WsLoadResult } from '../../src/loadtest/ws-load.js';
import { type BenchOptions, type BenchRow, type BenchSuite, withRatios } from '../lib.js';
import { cpuSeconds, runLoadtest, startBenchServer } from '../processes.js';

const kSuite = 'feed-latency';
/** The 20 simulated symbols of the default configuration. */
const kSymbols = defaultConfig.symbols;
const kChannels = kSymbols.flatMap((symbol) => [`trades:${symbol}`, `quotes:${symbol}`, `book:${symbol}`]);
/** Market events per simulated taker order, measured on this feed (about 6; see docs/benchmarks.md). */
const kEventsPerTaker = 6;
const kGoalP99Ns = 1e6;
const kBaseline = 'uWS publish raw, emit -> receipt';

function clientRun(port: number, durationS: number, recordPath?: string): Promise<WsLoadResult> {
  return runLoadtest<WsLoadResult>(
    ['ws', '--target', `http://127.0.0.1:${port}`, '--connections', '1', '--rate', '10', '--duration', String(durationS), '--latency', '--channels', kChannels.join(','), ...(recordPath === undefined ? [] : ['--record', recordPath])],
    { timeoutMs: 120_000 },
  );
}

function latencyRow(name: string, summary: LatencySummary | null, note: string): BenchRow {
  if (summary === null || summary.samples === 0) throw new Error(`expected latency samples for ${name}, was none`);
  return { suite: kSuite, case: name, ops_per_s: 1e9 / summary.p99_ns, p50_ns: summary.p50_ns, p99_ns: summary.p99_ns, p999_ns: summary.p999_ns, baseline: null, ratio_vs_baseline: null, unit: 'frame (1e9/p99)', note };
}

async function measureRate(eventsPerS: number, durationS: number, recordPath: string | undefined, journal: boolean): Promise<BenchRow[]> {
  const feedRate = Math.round(eventsPerS / kEventsPerTaker);
  const engine = await startEngineProcess(['--feed-rate', String(feedRate)], 60_000, temporaryDataDir(), { env: journal ? {} : { OCTOPUS_BENCH_NO_JOURNAL: '1' } });
  let result: WsLoadResult;
  let cpu: { process: number; main: number };
  try {
    // The first seconds of a fresh engine are JIT compilation and the exchange's first steps.
    await clientRun(engine.port, 2);
    const pid = engine.child.pid!;
    const before = { process: cpuSeconds(pid), main: cpuSeconds(pid, true) };
    result = await clientRun(engine.port, durationS, recordPath);
    cpu = { process: cpuSeconds(pid) - before.process, main: cpuSeconds(pid, true) - before.main };
  } finally {
    await engine.stop('SIGINT');
  }
  const label = `${eventsPerS / 1_000}k events/s requested${journal ? '' : ', no journal'}`;
  // The client's run includes its start and connecting, about a second: the cores are a slight underestimate.
  const cores = `engine ${(cpu.process / durationS).toFixed(2)} cores (main thread ${(cpu.main / durationS).toFixed(2)})`;
  const measured = `${(result.events_per_s / 1_000).toFixed(1)}k events/s counted (--feed-rate ${feedRate}), ${result.frames} frames, gaps ${result.gaps}, ${cores}`;
  const offsets = `clock offset ${(result.clock_offset_ns.start / 1e3).toFixed(1)} -> ${(result.clock_offset_ns.end / 1e3).toFixed(1)} µs`;
  const goal = eventsPerS === 100_000 ? `; goal p99 <= 1 ms: ${(result.event_latency?.p99_ns ?? Number.POSITIVE_INFINITY) <= kGoalP99Ns ? 'met' : 'MISSED'}` : '';
  return [
    latencyRow(`engine ${label}, event -> receipt`, result.event_latency, `${measured}; ${offsets}${goal}`),
    latencyRow(`engine ${label}, event -> emit`, result.event_to_emit, 'inside the engine: the exchange step, the publish timer, the journal flush'),
    latencyRow(`engine ${label}, emit -> receipt`, result.emit_latency, 'ring hop, gateway publish, socket, client'),
  ];
}

async function measureBaseline(recordPath: string, durationS: number): Promise<BenchRow> {
  const server = await startBenchServer('fanout-server.ts', ['--impl', 'uws', '--replay', recordPath]);
  try {
    const result = await clientRun(server.port, durationS);
    return latencyRow(kBaseline, result.emit_latency, `the same frames at the same pace: ${(result.frames_per_s / 1_000).toFixed(1)}k frames/s`);
  } finally {
    await server.stop();
  }
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const durationS = options.quick ? 2 : 10;
  const rates = options.quick ? [10_000] : [10_000, 100_000];
  const recordPath = join(mkdtempSync(join(tmpdir(), 'octopus-feed-latency-')), 'frames.jsonl');
  const rows: BenchRow[] = [];
  for (const [index, rate] of rates.entries()) rows.push(...(await measureRate(rate, durationS, index === rates.length - 1 ? recordPath : undefined, true)));
  // The same at 10k/s with the bench-only OCTOPUS_BENCH_NO_JOURNAL=1: event -> emit without the journal
  // flush that market data waits for (durable before visible), i.e. the batching alone.
  if (!options.quick) rows.push(...(await measureRate(10_000, durationS, undefined, false)));
  rows.unshift(await measureBaseline(recordPath, durationS));
  return withRatios(rows, kBaseline);
}

const suite: BenchSuite = {
  name: kSuite,
  description: 'simulated exchange event -> WS client receipt (trades+quotes+book of 20 symbols, 1 client in another process); ops/s = 1e9/p99, ratio = baseline p99 / p99',
  run,
};

export default suite;
