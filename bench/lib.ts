/**
 * Shared bench harness types and helpers. Every suite in bench/suites/<name>.ts default-exports a
 * `BenchSuite`; bench/run.ts discovers them, runs them and prints a table (or JSON lines).
 *
 * Timings on a shared 2-core machine are noisy, so every row reports a median (p50) and a ratio against
 * a baseline measured in the same run, never a lone absolute number.
 */
import { Bench } from 'tinybench';

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
