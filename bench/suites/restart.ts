/**
 * Restart time against journal length. For 10k, 100k and 1M journal records, a data dir is built the way
 * a running engine builds it (order commands through the execution core, a snapshot every 10k records,
 * the process "killed" after the last one: the tail is whatever came after the last snapshot). Then the
 * real engine (`octopus start`, default flags: simulated feed, its own process) is started on it and
 * timed from the spawn to /health saying every actor runs; its restore report gives the rebuild alone.
 *
 * Baseline, same run, same data: the same start with the snapshots removed, so the execution actor
 * replays the whole journal (what every restart cost before snapshots). Rows: ops/s = restarts/s (1e9 /
 * time), p50 = the time; ratio = baseline time / time. Goal: under 2 s to healthy at 1M records.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecutionCore } from '../../src/actors/execution/execution-core.js';
import { defaultRiskLimits } from '../../src/actors/risk/pre-trade.js';
import { defaultConfig } from '../../src/config.js';
import { SimulatedClock } from '../../src/engine/clock.js';
import { rootLogger } from '../../src/engine/logger.js';
import { openStateStore } from '../../src/store/state-store.js';
import { startEngineProcess } from '../../test/support/engine-process.js';
import type { BenchOptions, BenchRow, BenchSuite } from '../lib.js';

const kSuite = 'restart';
const kGoalMs = 2_000;
const kBatch = 500;

/** Builds a data dir whose journal holds about `records` commands (submits and cancels), as an engine would. */
async function buildDataDir(records: number): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), `octopus-restart-bench-${records}-`));
  const store = openStateStore(dataDir, 'execution.lmdb');
  const clock = new SimulatedClock(Date.now() - 3_600_000);
  const sink = { publishMarketData() {}, publishReports() {}, congested: () => false };
  const core = new ExecutionCore(
    {
      dataDir,
      symbols: defaultConfig.symbols,
      tickSize: defaultConfig.tickSize,
      lotSize: defaultConfig.lotSize,
      startingCash: defaultConfig.startingCash,
      makerFeeBps: defaultConfig.makerFeeBps,
      takerFeeBps: defaultConfig.takerFeeBps,
      riskLimits: { ...defaultRiskLimits, ordersPerSecond: 1e9 },
      marketDataSubscribers: [],
      reportSubscribers: [],
      snapshotEveryRecords: defaultConfig.snapshotEveryRecords,
    },
    store,
    sink,
    clock,
    rootLogger.child({ bench: kSuite }),
  );
  await core.open();
  let index = 0;
  while (core.journal.lastSeq < records) {
    const pending: Promise<unknown>[] = [];
    for (let inBatch = 0; inBatch < kBatch && core.journal.lastSeq + pending.length < records; inBatch += 2) {
      const account = `bench${index % 50}`;
      const symbol = defaultConfig.symbols[index % defaultConfig.symbols.length]!;
      const submitted = core.submit({ account, clientOrderId: `r${index}`, symbol, side: 'buy', type: 'limit', qty: 10, limitPrice: Number((10 + (index % 20) * 0.05).toFixed(2)), timeInForce: 'gtc', postOnly: false });
      pending.push(submitted.then((result) => core.cancel({ account, orderId: Number(result.order.id) })));
      index++;
    }
    await Promise.all(pending);
    clock.advance(10);
    core.maybeSnapshot();
  }
  // Killed here: no final snapshot, the tail after the last periodic one is replayed at the restart.
  await core.settled();
  await store.close();
  return dataDir;
}

interface StartTiming {
  healthyMs: number;
  rebuildMs: number;
  replayed: number;
}

async function timeStart(dataDir: string): Promise<StartTiming> {
  const started = performance.now();
  const engine = await startEngineProcess([], 120_000, dataDir, { env: { OCTOPUS_LOG_LEVEL: 'info' } });
  try {
    for (;;) {
      const health = (await (await fetch(`http://127.0.0.1:${engine.port}/health`)).json()) as { status: string; actors: Record<string, { state: string }> };
      if (health.status === 'ok' && Object.values(health.actors).every((actor) => actor.state === 'running')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const healthyMs = performance.now() - started;
    const line = engine.output().split('\n').find((text) => text.includes('execution state rebuilt'));
    const restore = line === undefined ? null : (JSON.parse(line) as { elapsedMs: number; replayedRecords: number });
    return { healthyMs, rebuildMs: restore?.elapsedMs ?? Number.NaN, replayed: restore?.replayedRecords ?? Number.NaN };
  } finally {
    await engine.stop('SIGKILL');
  }
}

/** The same data dir without its snapshots: the restart must replay the whole journal. */
async function dropSnapshots(dataDir: string): Promise<void> {
  const store = openStateStore(dataDir, 'execution.lmdb');
  const snapshots = store.root.openDB<Buffer, number>({ name: 'snapshots', encoding: 'binary', keyEncoding: 'ordered-binary' });
  await snapshots.clearAsync();
  await store.close();
}

function row(name: string, timing: StartTiming, records: number, baseline: string | null, note: string): BenchRow {
  return {
    suite: kSuite,
    case: name,
    ops_per_s: 1e3 / timing.healthyMs,
    p50_ns: timing.healthyMs * 1e6,
    p99_ns: null,
    baseline,
    ratio_vs_baseline: null,
    unit: 'restart',
    note: `${records} journal records; rebuild ${timing.rebuildMs} ms, ${timing.replayed} replayed; ${note}`,
  };
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const lengths = options.quick ? [10_000] : [10_000, 100_000, 1_000_000];
  const rows: BenchRow[] = [];
  for (const records of lengths) {
    const dataDir = await buildDataDir(records);
    const withSnapshot = await timeStart(dataDir);
    await dropSnapshots(dataDir);
    const fullReplay = await timeStart(dataDir);
    const baseline = `full replay, ${records / 1_000}k records`;
    const goal = records === 1_000_000 ? `goal < ${kGoalMs} ms to healthy: ${withSnapshot.healthyMs < kGoalMs ? 'met' : 'MISSED'}` : 'to healthy';
    rows.push(row(baseline, fullReplay, records, null, 'no snapshot'));
    const result = row(`snapshot + tail, ${records / 1_000}k records`, withSnapshot, records, baseline, goal);
    result.ratio_vs_baseline = fullReplay.healthyMs / withSnapshot.healthyMs;
    rows.push(result);
  }
  return rows;
}

const suite: BenchSuite = {
  name: kSuite,
  description: 'time from `octopus start` to every actor running, against journal length (snapshot + tail vs full replay); p50 = the time, ratio = baseline time / time',
  run,
};

export default suite;
