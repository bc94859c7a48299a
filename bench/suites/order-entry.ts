/**
 * REST order entry end to end: `POST /api/v1/orders` against a real engine process (`octopus start`, no
 * simulated feed, rate limits raised by flags), driven by `octopus loadtest orders` in another process
 * (src/loadtest/http-load.ts: open loop at a fixed offered rate, latency from each request's scheduled
 * time; `max` is closed loop). Each order is an IOC limit buy of 1 TCHA at 1.00 in an empty book: checked,
 * journaled and audited (flushed to disk), acknowledged 201 and canceled unfilled (nothing at its price), without trading.
 *
 * Cases: offered 1k/s, 10k/s and max, each with 1 and 64 connections (no pipelining), on
 *   - `uWS hello`: the baseline, a raw uWS hello-world of the same package in its own process
 *     (bench/workers/uws-hello.ts: read the body, answer a fixed JSON), under the same generator;
 *   - `engine`: the engine as shipped;
 *   - `engine, no journal`: the same engine with OCTOPUS_BENCH_NO_JOURNAL=1 (bench only: commands are
 *     acknowledged without the journal and the audit trail), the ceiling of the rest of the path; the
 *     journal's share is 1 - engine / no journal at the same load.
 * ops/s is acknowledged (2xx) orders per second; the ratio is against the uWS hello case of the same load.
 *
 * OCTOPUS_BENCH_CPU_PROF=<dir> runs the journaled engine under `node --cpu-prof` and prints the top
 * self-time functions of its threads to stderr (bench/cpu-profile.ts) once it stopped.
 */
import { mkdirSync } from 'node:fs';
import { addUsers } from '../../test/support/api-client.js';
import { startEngineProcess, temporaryDataDir } from '../../test/support/engine-process.js';
import type { OrderLoadResult } from '../../src/loadtest/orders.js';
import { type BenchOptions, type BenchRow, type BenchSuite, withRatios } from '../lib.js';
import { runLoadtest, startBenchServer } from '../processes.js';
import { summarizeProfiles } from '../cpu-profile.js';

const kSuite = 'order-entry';
const kUser = ['bench', 'trader', 'bench-password-1'] as const;
const kRaisedLimits = ['--feed-rate', '0', '--rate-limit', '1000000', '--address-rate-limit', '1000000', '--max-order-rate', '1000000'];
const kTargetOrdersPerS = 30_000;
const kTargetP99Ns = 5e6;

interface Load {
  rate: number | 'max';
  connections: number;
}

type Subject = 'uWS hello' | 'engine' | 'engine, no journal';

function loadName(load: Load): string {
  return `${load.connections} conn, ${load.rate === 'max' ? 'max' : `${load.rate / 1_000}k/s`} offered`;
}

function loadsOf(options: BenchOptions): Load[] {
  if (options.quick) return [{ rate: 1_000, connections: 1 }, { rate: 'max', connections: 64 }];
  return [1, 64].flatMap((connections) => [1_000, 10_000, 'max' as const].map((rate) => ({ rate, connections })));
}

function orderLoad(port: number, load: Load, durationS: number, warmupS: number): Promise<OrderLoadResult> {
  return runLoadtest<OrderLoadResult>(
    [
      'orders', '--target', `http://127.0.0.1:${port}`, '--rate', String(load.rate), '--connections', String(load.connections),
      '--duration', String(durationS), '--warmup', String(warmupS),
      '--username', kUser[0], '--password', kUser[2], '--symbol', 'TCHA', '--price', '1.00',
    ],
    { timeoutMs: 60_000 },
  );
}

async function measure(subject: Subject, port: number, loads: readonly Load[], options: BenchOptions): Promise<BenchRow[]> {
  // A fresh server's first seconds are JIT compilation: one uncounted run at full load first.
  await orderLoad(port, { rate: 'max', connections: 64 }, options.quick ? 0.5 : 2, 0);
  const rows: BenchRow[] = [];
  for (const load of loads) {
    const result = await orderLoad(port, load, options.quick ? 1 : 4, options.quick ? 0.5 : 1);
    if (result.sent === 0 || Object.keys(result.by_code).length === 0) throw new Error(`expected answered orders from ${subject} at ${loadName(load)}, was none: ${JSON.stringify(result)}`);
    rows.push(row(subject, load, result));
  }
  return rows;
}

function row(subject: Subject, load: Load, result: OrderLoadResult): BenchRow {
  const errors = Object.entries(result.by_code).filter(([code]) => code !== '2xx');
  const notes = [
    ...(result.unsent > 0 ? [`unsent ${result.unsent}`] : []),
    ...(errors.length > 0 ? [`errors ${errors.map(([code, count]) => `${code} ${count}`).join(', ')}`] : []),
    ...(load.rate === 'max' ? [] : [`send lag p99 ${(result.send_lag.p99_ns / 1e6).toFixed(2)} ms`]),
    ...targetNotes(subject, load, result),
  ];
  return {
    suite: kSuite,
    case: `${subject}, ${loadName(load)}`,
    ops_per_s: result.ok_per_s,
    p50_ns: result.latency.p50_ns,
    p99_ns: result.latency.p99_ns,
    p999_ns: result.latency.p999_ns,
    baseline: null,
    ratio_vs_baseline: null,
    unit: 'order (2xx)',
    note: notes.join('; '),
  };
}

/** The issue's targets, on the engine rows they apply to. */
function targetNotes(subject: Subject, load: Load, result: OrderLoadResult): string[] {
  if (subject !== 'engine') return [];
  if (load.rate === 'max' && load.connections === 64) return [`target >= ${kTargetOrdersPerS / 1_000}k/s: ${result.ok_per_s >= kTargetOrdersPerS ? 'met' : 'MISSED'}`];
  if (load.rate === 10_000) return [`target p99 <= 5 ms: ${result.latency.p99_ns <= kTargetP99Ns && result.unsent === 0 ? 'met' : 'MISSED'}`];
  return [];
}

async function measureEngine(subject: Subject, loads: readonly Load[], options: BenchOptions): Promise<BenchRow[]> {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [[kUser[0], kUser[1], kUser[2]]]);
  const profileDir = subject === 'engine' ? process.env.OCTOPUS_BENCH_CPU_PROF : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  const engine = await startEngineProcess(kRaisedLimits, 60_000, dataDir, {
    env: { OCTOPUS_BENCH_NO_JOURNAL: subject === 'engine, no journal' ? '1' : '' },
    nodeArgs: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
  });
  try {
    return await measure(subject, engine.port, loads, options);
  } finally {
    await engine.stop('SIGINT');
    if (profileDir !== undefined) process.stderr.write(`${kSuite}: engine CPU profile (${profileDir}):\n${summarizeProfiles(profileDir, 25)}\n`);
  }
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const loads = loadsOf(options);
  const hello = await startBenchServer('uws-hello.ts', []);
  let baselines: BenchRow[];
  try {
    baselines = await measure('uWS hello', hello.port, loads, options);
  } finally {
    await hello.stop();
  }
  const journaled = await measureEngine('engine', loads, options);
  const unjournaled = await measureEngine('engine, no journal', options.quick ? loads.slice(-1) : loads.filter((load) => load.connections === 64 || load.rate === 'max'), options);
  // Each engine row against the hello-world row of the same load.
  return loads.flatMap((load) => {
    const name = `uWS hello, ${loadName(load)}`;
    const group = [...baselines, ...journaled, ...unjournaled].filter((candidate) => candidate.case.endsWith(`, ${loadName(load)}`));
    return withRatios(group, name);
  });
}

const suite: BenchSuite = {
  name: kSuite,
  description:
    'POST /api/v1/orders (IOC limit, journaled, acknowledged, canceled unfilled) on a real engine process, load from `octopus loadtest orders` in another ' +
    '(open loop: latency from the scheduled send); baseline uWS hello-world of the same package, same generator; "no journal" = OCTOPUS_BENCH_NO_JOURNAL=1',
  run,
};

export default suite;
