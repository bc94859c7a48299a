/**
 * Parameter sweeps: a grid (every combination of the listed values, in order: the last parameter varies
 * fastest) or a random search (`samples` points drawn with a seeded generator from each parameter's list
 * or [min, max] range, integers when `integer`), each point one backtest on the piscina pool. Points whose
 * parameters the strategy refuses are reported with their error, not dropped. The best point is the one
 * with the highest `objective` statistic (nulls last).
 */
import { OctopusError } from '../../engine/errors.js';
import { SeededRandom } from '../../engine/random.js';
import { kPoolQueueMax, runOnPool } from './backtest-pool.js';
import { shareSeries, type BacktestTask, type TaskResult } from './backtest-task.js';
import type { Statistics } from './statistics.js';

export type ParameterRange = readonly unknown[] | { min: number; max: number; integer?: boolean };

export interface SweepSpec {
  mode: 'grid' | 'random';
  space: Record<string, ParameterRange>;
  /** Random search: how many points. */
  samples?: number;
  seed?: number;
  /** Fixed parameters merged under every point. */
  base?: Record<string, unknown>;
  objective: keyof Statistics;
}

export interface SweepPoint {
  params: Record<string, unknown>;
  statistics: Statistics | null;
  error: { code: string; message: string } | null;
}

export interface SweepResult {
  points: SweepPoint[];
  best: SweepPoint | null;
}

export const kMaxSweepPoints = 100_000;

function bad(message: string): OctopusError {
  return new OctopusError('ERR_BACKTEST_BAD_OPTION', message);
}

/** The parameter sets of a sweep, in order. @throws OctopusError ERR_BACKTEST_BAD_OPTION. */
export function sweepPoints(spec: SweepSpec): Record<string, unknown>[] {
  const names = Object.keys(spec.space ?? {});
  if (names.length === 0 || names.length > 16) throw bad(`expected 1 to 16 swept parameters, was ${names.length}`);
  if (spec.mode === 'grid') {
    let points: Record<string, unknown>[] = [{ ...spec.base }];
    for (const name of names) {
      const values = spec.space[name];
      if (!Array.isArray(values) || values.length === 0) throw bad(`expected a non-empty list of values for ${name} in a grid, was ${JSON.stringify(values)?.slice(0, 60)}`);
      if (points.length * values.length > kMaxSweepPoints) throw bad(`expected at most ${kMaxSweepPoints} grid points, was more`);
      points = points.flatMap((point) => values.map((value: unknown) => ({ ...point, [name]: value })));
    }
    return points;
  }
  if (spec.mode !== 'random') throw bad(`expected mode grid or random, was ${JSON.stringify(spec.mode)}`);
  const samples = spec.samples ?? 0;
  if (!Number.isInteger(samples) || samples < 1 || samples > kMaxSweepPoints) throw bad(`expected samples an integer in [1, ${kMaxSweepPoints}], was ${samples}`);
  const random = new SeededRandom(spec.seed ?? 1);
  return Array.from({ length: samples }, () => {
    const point: Record<string, unknown> = { ...spec.base };
    for (const name of names) point[name] = drawValue(spec.space[name]!, name, random);
    return point;
  });
}

function drawValue(range: ParameterRange, name: string, random: SeededRandom): unknown {
  if (Array.isArray(range)) {
    if (range.length === 0) throw bad(`expected values for ${name}, was an empty list`);
    return range[random.nextInt(0, range.length - 1)];
  }
  const { min, max, integer } = range as { min: number; max: number; integer?: boolean };
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(min <= max)) throw bad(`expected ${name} as {min <= max}, was ${JSON.stringify(range)}`);
  return integer === true ? random.nextInt(Math.ceil(min), Math.floor(max)) : min + random.nextFloat() * (max - min);
}

/** Higher is better; nulls (undefined statistics) rank last. */
export function bestPoint(points: readonly SweepPoint[], objective: keyof Statistics): SweepPoint | null {
  let best: SweepPoint | null = null;
  for (const point of points) {
    const value = point.statistics?.[objective];
    if (typeof value !== 'number') continue;
    const current = best?.statistics?.[objective] as number | undefined;
    if (best === null || value > current!) best = point;
  }
  return best;
}

/**
 * Runs a sweep on the pool.
 * @throws OctopusError ERR_BACKTEST_BAD_OPTION (bad spec).
 */
export async function runSweep(task: Omit<BacktestTask, 'params'>, spec: SweepSpec, onProgress?: (done: number, total: number) => void): Promise<SweepResult> {
  const points = sweepPoints(spec);
  const shared = { ...task, series: shareSeries(task.series) };
  let done = 0;
  const results = await mapBounded(points, kPoolQueueMax, async (params): Promise<SweepPoint> => {
    let outcome: SweepPoint;
    try {
      const result: TaskResult = await runOnPool({ ...shared, params });
      outcome = { params, statistics: result.statistics, error: null };
    } catch (error) {
      if (!(error instanceof OctopusError)) throw error;
      outcome = { params, statistics: null, error: { code: error.code, message: error.message } };
    }
    onProgress?.(++done, points.length);
    return outcome;
  });
  return { points: results, best: bestPoint(results, spec.objective) };
}

/** Maps with at most `limit` calls in flight (the pool's queue is bounded); results in input order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, map: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
