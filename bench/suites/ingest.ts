/**
 * Tick ingest end to end: a CSV of N trades (20 symbols named for this run, so no earlier row is upserted)
 * replayed by a real engine process as fast as it goes (`--replay FILE --replay-speed max`, no simulated
 * feed): the collector parses and validates it and sends batches to the warehouse actor
 * (src/actors/warehouse/warehouse-actor.ts), which writes them to its tick store:
 *   - `engine -> LMDB`: the embedded store (<data dir>/ticks.lmdb);
 *   - `engine -> QuestDB`: `--questdb-url` (the server scripts/questdb.sh runs; the case is skipped, with a
 *     note, when none answers);
 *   - `QuestDB client direct` (the ceiling): @questdb/nodejs-client in its own process writing the same rows
 *     into the same table (bench/workers/questdb-direct.ts).
 * The bench process watches the rows arrive from outside: the LMDB file's trade count (a read-only LMDB
 * reader; LMDB allows one writer and many reader processes), or `count()` over QuestDB's SQL endpoint (rows
 * visible to queries, i.e. committed and applied from the WAL), every 20 ms. rows/s = N over the time from
 * the last poll that saw none to the first that saw all N.
 * The goal: >= 500k rows/s into QuestDB.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { startEngineProcess, temporaryDataDir } from '../../test/support/engine-process.js';
import { isQuestdbUp, questdbQuery, questdbUrl } from '../../test/support/questdb.js';
import { type BenchOptions, type BenchRow, type BenchSuite, withRatios } from '../lib.js';

const kSuite = 'ingest';
const kPollMs = 20;
const kGoalRowsPerS = 500_000;
const kCeiling = 'QuestDB client direct (ceiling)';

/** N trades over 20 symbols, one per ms from an hour ago, prices on a 0.01 grid. */
function writeCsv(rows: number, symbols: readonly string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'octopus-ingest-')), 'trades.csv');
  const startMs = Date.now() - 3_600_000;
  const lines = ['time_ms,symbol,price,qty,side'];
  for (let index = 0; index < rows; index++) {
    lines.push(`${startMs + index},${symbols[index % symbols.length]},${(100 + (index % 500) / 100).toFixed(2)},${1 + (index % 7)},${index % 2 === 0 ? 'buy' : 'sell'}`);
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/**
 * Polls `count` until it reaches `rows`; rows/s = rows over the time from the last poll that saw none to
 * the first that saw all (so at most one poll interval too long).
 */
async function watch(count: () => Promise<number> | number, rows: number, timeoutMs: number, describe: () => string): Promise<number> {
  const deadlineMs = performance.now() + timeoutMs;
  let lastEmptyMs = performance.now();
  for (;;) {
    const seen = await count();
    const nowMs = performance.now();
    if (seen === 0) lastEmptyMs = nowMs;
    if (seen >= rows) return (rows * 1_000) / (nowMs - lastEmptyMs);
    if (nowMs > deadlineMs) throw new Error(`expected ${rows} rows within ${timeoutMs} ms, was ${seen}: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, kPollMs));
  }
}

function row(name: string, rowsPerS: number, note: string): BenchRow {
  return { suite: kSuite, case: name, ops_per_s: rowsPerS, p50_ns: null, p99_ns: null, baseline: null, ratio_vs_baseline: null, unit: 'row', note };
}

async function engineIngest(csv: string, symbols: readonly string[], rows: number, questdb: string | null): Promise<number> {
  const dataDir = temporaryDataDir();
  const engine = await startEngineProcess(
    ['--feed-rate', '0', '--symbols', symbols.join(','), '--replay', csv, '--replay-speed', 'max', ...(questdb === null ? [] : ['--questdb-url', questdb])],
    60_000,
    dataDir,
  );
  try {
    if (questdb !== null) return await watch(() => questdbCount(symbols), rows, 120_000, engine.output);
    const ticks = open({ path: join(dataDir, 'ticks.lmdb'), readOnly: true });
    try {
      const trades = ticks.openDB({ name: 'trades' });
      return await watch(() => (trades.getStats() as { entryCount: number }).entryCount, rows, 120_000, engine.output);
    } finally {
      await ticks.close();
    }
  } finally {
    await engine.stop('SIGINT');
  }
}

async function questdbCount(symbols: readonly string[]): Promise<number> {
  const list = symbols.map((symbol) => `'${symbol}'`).join(',');
  const [result] = await questdbQuery(`select count() c from trades where symbol in (${list})`);
  return Number(result?.['c'] ?? 0);
}

async function directIngest(csv: string, symbols: readonly string[], rows: number): Promise<number> {
  const entry = new URL('../workers/questdb-direct.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', entry, '--csv', csv, '--url', questdbUrl(), '--symbol-suffix', 'D'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = once(child, 'exit');
  try {
    return await watch(() => questdbCount(symbols.map((symbol) => `${symbol}D`)), rows, 120_000, () => stderr);
  } finally {
    const [code] = (await exited) as [number | null];
    if (code !== 0) throw new Error(`expected the QuestDB client to write every row, was exit code ${code}: ${stderr}`);
  }
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const rows = options.quick ? 20_000 : 500_000;
  const runId = Date.now().toString(36).toUpperCase().slice(-6);
  const symbols = Array.from({ length: 20 }, (_, index) => `I${runId}${String(index).padStart(2, '0')}`);
  const csv = writeCsv(rows, symbols);
  const lmdb = await engineIngest(csv, symbols, rows, null);
  const result = [row('engine -> LMDB', lmdb, `${rows} rows`)];
  if (!(await isQuestdbUp())) {
    process.stderr.write(`${kSuite}: QuestDB is not answering at ${questdbUrl()} (bash scripts/questdb.sh start): its cases are skipped\n`);
    return [row(kCeiling, Number.NaN, 'skipped: QuestDB not answering'), { ...row('engine -> LMDB', lmdb, `${rows} rows; QuestDB cases skipped`), baseline: kCeiling, ratio_vs_baseline: null }];
  }
  // The engine first: its warehouse creates the table (with its DEDUP keys) that the client then writes to.
  const questdb = await engineIngest(csv, symbols, rows, questdbUrl());
  const direct = await directIngest(csv, symbols, rows);
  result.unshift(row(kCeiling, direct, `${rows} rows, default auto-flush (75k rows per request)`));
  result.push(row('engine -> QuestDB', questdb, `${rows} rows; goal >= 500k/s: ${questdb >= kGoalRowsPerS ? 'met' : 'MISSED'}`));
  return withRatios(result, kCeiling);
}

const suite: BenchSuite = {
  name: kSuite,
  description: 'trade rows/s from a CSV replayed by a real engine through the warehouse actor into LMDB and QuestDB, vs QuestDB\'s own client writing the same rows (ceiling)',
  run,
};

export default suite;
