/**
 * Shared bench harness types and helpers. Every suite in bench/suites/<name>.ts default-exports a
 * `BenchSuite`; bench/run.ts discovers them, runs them and prints a table (or JSON lines).
 *
 * Timings on a shared 2-core machine are noisy, so every row reports a median (p50) and a ratio against
 * a baseline measured in the same run, never a lone absolute number.
 */
import type { TransferListItem, Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';
import { formatNs } from '../src/loadtest/latency.js';

export interface BenchRow {
  suite: string;
  case: string;
  /** Operations per second, where one operation is what `unit` names (a call, a message, a point). */
  ops_per_s: number;
  /** Median latency of one measured call, in nanoseconds (null where the case is a throughput run). */
  p50_ns: number | null;
  p99_ns: number | null;
  /** The case this row was compared with in the same run; null for the baseline row itself. */
  baseline: string | null;
  /** ops_per_s / baseline's ops_per_s; null for the baseline row itself. */
  ratio_vs_baseline: number | null;
  /** What one operation is: "call", "msg", "point", ... */
  unit: string;
  /** p99.9 latency, for the end-to-end suites that measure it (the table shows the column when a row has it). */
  p999_ns?: number | null;
  /** A short remark shown beside the row (errors by code, gaps, the offered rate not absorbed, ...). */
  note?: string;
}

export interface BenchOptions {
  /** A short run (used by smoke tests): fewer iterations, smaller inputs. */
  quick: boolean;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(options: BenchOptions): Promise<BenchRow[]>;
}

export interface BenchCase {
  name: string;
  fn: () => unknown;
  /** How many units one call of fn processes (e.g. 1_000_000 points); ops_per_s is scaled by it. */
  unitsPerCall?: number;
}

/**
 * Runs `cases` with tinybench and returns one row per case. The case named `baselineName` must be in
 * `cases`; every other row carries its ratio against it.
 * @throws Error when a case fails or the baseline is missing.
 */
export async function measureCases(
  suite: string,
  cases: BenchCase[],
  baselineName: string,
  unit: string,
  options: BenchOptions,
): Promise<BenchRow[]> {
  const bench = new Bench({ time: options.quick ? 50 : 1_000, warmupTime: options.quick ? 10 : 200 });
  for (const benchCase of cases) bench.add(benchCase.name, benchCase.fn);
  await bench.run();
  const rows: BenchRow[] = [];
  for (const task of bench.tasks) {
    const benchCase = cases.find((candidate) => candidate.name === task.name);
    const result = task.result as unknown as {
      state: string;
      error?: unknown;
      latency: { p50: number; p99: number };
    };
    if (result.state !== 'completed') {
      throw new Error(`bench case ${suite}/${task.name} failed: ${String(result.error)}`, { cause: result.error });
    }
    const unitsPerCall = benchCase?.unitsPerCall ?? 1;
    const p50Ms = result.latency.p50;
    rows.push({
      suite,
      case: task.name,
      ops_per_s: (unitsPerCall * 1_000) / p50Ms,
      p50_ns: p50Ms * 1e6,
      p99_ns: result.latency.p99 * 1e6,
      baseline: null,
      ratio_vs_baseline: null,
      unit,
    });
  }
  return withRatios(rows, baselineName);
}

/** Fills `baseline` and `ratio_vs_baseline` of every row but the baseline's own. */
export function withRatios(rows: BenchRow[], baselineName: string): BenchRow[] {
  const baseline = rows.find((row) => row.case === baselineName);
  if (baseline === undefined) throw new Error(`expected baseline case "${baselineName}", was missing`);
  return rows.map((row) =>
    row.case === baselineName
      ? row
      : { ...row, baseline: baselineName, ratio_vs_baseline: row.ops_per_s / baseline.ops_per_s },
  );
}

/** Median of a list of numbers (the list is sorted in place). */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  return values.length % 2 === 1 ? values[middle]! : (values[middle - 1]! + values[middle]!) / 2;
}

/** The q-quantile (0..1) of a sorted list, nearest-rank. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

// ---------------------------------------------------------------------------------------------------
// Formatting for the runner's table.

/** Operations per second with an SI suffix and three significant digits: 950, 12.3k, 5.21M, 1.02G. */
export function formatOps(opsPerSecond: number): string {
  if (!Number.isFinite(opsPerSecond)) return String(opsPerSecond);
  const units: Array<[number, string]> = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    if (Math.abs(opsPerSecond) >= scale) return `${toSignificant(opsPerSecond / scale)}${suffix}`;
  }
  return toSignificant(opsPerSecond);
}

/** A duration in nanoseconds with a readable unit and three significant digits: 850 ns, 12.3 µs, 1.05 ms. */
export function formatDurationNs(durationNs: number | null | undefined): string {
  if (durationNs === null || durationNs === undefined) return '-';
  if (!Number.isFinite(durationNs)) return String(durationNs);
  return formatNs(durationNs);
}

/** A ratio as "5.2x" (two significant digits below 1: "0.45x"); "-" for none. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '-';
  if (!Number.isFinite(ratio)) return `${ratio}x`;
  return ratio >= 1 ? `${ratio.toFixed(1)}x` : `${ratio.toPrecision(2)}x`;
}

function toSignificant(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(0);
  if (magnitude >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

// ---------------------------------------------------------------------------------------------------
// Worker threads for benches that measure cross-thread work.

/**
 * A bench worker with a mailbox: `send` a job, then `receive` its replies in order, each with a deadline.
 * A worker error, an unexpected exit or a missed deadline rejects the pending `receive` (and every later
 * one), so a broken bench fails instead of hanging. Call `terminate` when done: a bench process must end
 * by itself.
 */
export class BenchWorker<Job, Reply extends { kind: string }> {
  private readonly queued: Reply[] = [];
  private waiter: { resolve: (reply: Reply) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private terminating = false;

  constructor(
    readonly label: string,
    private readonly worker: Worker,
  ) {
    worker.on('message', (reply: Reply) => {
      const waiter = this.waiter;
      if (waiter === null) {
        this.queued.push(reply);
        return;
      }
      this.waiter = null;
      waiter.resolve(reply);
    });
    worker.on('error', (error: Error) => this.fail(new Error(`bench worker ${label} failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code: number) => {
      if (!this.terminating) this.fail(new Error(`expected bench worker ${label} to stay up, was exited with code ${code}`));
    });
  }

  send(job: Job, transfer: readonly TransferListItem[] = []): void {
    if (this.failure !== null) throw this.failure;
    this.worker.postMessage(job, transfer);
  }

  /**
   * The next reply, which must be of `kind`.
   * @throws Error when the worker failed or exited, the deadline passed, or the reply is of another kind.
   */
  async receive<K extends Reply['kind']>(kind: K, timeoutMs: number): Promise<Extract<Reply, { kind: K }>> {
    if (this.waiter !== null) throw new Error(`expected one receive at a time on bench worker ${this.label}, was two`);
    const reply = this.queued.shift() ?? (await this.nextReply(timeoutMs));
    if (reply.kind !== kind) {
      throw new Error(`expected a "${kind}" reply from bench worker ${this.label}, was "${reply.kind}"`);
    }
    return reply as Extract<Reply, { kind: K }>;
  }

  async terminate(): Promise<void> {
    this.terminating = true;
    await this.worker.terminate();
  }

  private nextReply(timeoutMs: number): Promise<Reply> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new Error(`expected a reply from bench worker ${this.label} within ${timeoutMs} ms, was none`));
      }, timeoutMs);
      this.waiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(this.failure);
  }
}
