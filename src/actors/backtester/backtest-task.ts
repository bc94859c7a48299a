/**
 * One backtest as a plain, structured-clonable task: what sweeps, walk-forward folds and jobs send to a
 * worker. Bar columns travel as Float64Arrays over SharedArrayBuffers (`shareSeries`), so a grid of
 * hundreds of runs shares one copy of the data between all workers.
 */
import { OctopusError } from '../../engine/errors.js';
import { instantiateStrategy } from '../strategy/builtin/index.js';
import type { SizingSpec } from '../strategy/sizing.js';
import { runBarBacktest, type BacktestRun, type BarFillModel } from './bar-backtest.js';
import type { BarSeries } from './bar-data.js';
import { tradesOf } from './report.js';
import { computeStatistics, type Statistics } from './statistics.js';

export interface BacktestTask {
  /** A built-in strategy name (files are loaded once by the caller's process, not per task). */
  strategy: string;
  params: Record<string, unknown>;
  series: BarSeries[];
  fill: BarFillModel;
  feeRate: number;
  cash: number;
  slippageTicks?: number;
  tickSize?: number;
  sizing?: SizingSpec;
  range?: { from: number; to: number };
}

export interface TaskResult {
  params: Record<string, unknown>;
  statistics: Statistics;
  /** The equity curve, when asked (walk-forward stitches it). */
  equity?: Float64Array;
  timesMs?: Float64Array;
}

/** Copies series into SharedArrayBuffers (once), so tasks share them across threads without copies. */
export function shareSeries(series: readonly BarSeries[]): BarSeries[] {
  const share = (values: Float64Array): Float64Array => {
    if (values.buffer instanceof SharedArrayBuffer) return values;
    const shared = new Float64Array(new SharedArrayBuffer(values.byteLength));
    shared.set(values);
    return shared;
  };
  return series.map((one) => ({ ...one, time: share(one.time), open: share(one.open), high: share(one.high), low: share(one.low), close: share(one.close), volume: share(one.volume) }));
}

export function runTask(task: BacktestTask): BacktestRun {
  return runBarBacktest({
    strategy: instantiateStrategy(task.strategy, task.params),
    series: task.series,
    fill: task.fill,
    feeRate: task.feeRate,
    cash: task.cash,
    slippageTicks: task.slippageTicks ?? 0,
    tickSize: task.tickSize ?? 0.01,
    sizing: task.sizing ?? { kind: 'all_in' },
    ...(task.range === undefined ? {} : { range: task.range }),
  });
}

/** Runs the task and keeps its statistics (and, with `withEquity`, its equity curve). */
export function evaluateTask(task: BacktestTask, withEquity = false): TaskResult {
  const run = runTask(task);
  const result: TaskResult = { params: task.params, statistics: computeStatistics(run, tradesOf(run)) };
  if (withEquity) {
    result.equity = run.equity;
    result.timesMs = run.timesMs;
  }
  return result;
}

/** What a worker sends back: a result, or the typed error it hit (errors do not clone with their code). */
export type WorkerReply = { ok: true; result: TaskResult } | { ok: false; code: string; message: string };

export function errorReply(error: unknown): WorkerReply {
  if (error instanceof OctopusError) return { ok: false, code: error.code, message: error.message };
  return { ok: false, code: 'ERR_INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
