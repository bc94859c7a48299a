/**
 * Walk-forward analysis over the bars' timeline of N steps (docs/backtest.md, "Walk-forward"). With
 * in-sample length I, out-of-sample length O and fold k = 0, 1, ...:
 *
 *   rolling   in-sample [k·O, k·O + I)          out-of-sample [k·O + I, k·O + I + O)
 *   anchored  in-sample [0, k·O + I)            out-of-sample [k·O + I, k·O + I + O)
 *
 * for every k with k·O + I + O <= N (a last partial window is not run). Each fold sweeps the in-sample
 * range (grid or random, on the pool) and keeps the point with the best `objective`; the out-of-sample
 * run uses those parameters on its own range only: it starts flat, with cold indicators, and its cash is
 * the run's cash. The stitched out-of-sample equity chains the folds: fold k's curve is scaled by the
 * stitched equity at the end of fold k-1 divided by the starting cash.
 */
import { OctopusError } from '../../engine/errors.js';
import { mergedTimeline, type BacktestRun } from './bar-backtest.js';
import { runOnPool } from './backtest-pool.js';
import { shareSeries, type BacktestTask } from './backtest-task.js';
import { computeStatistics, type Statistics } from './statistics.js';
import { runSweep, type SweepSpec } from './sweep.js';

export interface WalkForwardSpec {
  mode: 'rolling' | 'anchored';
  inSampleSteps: number;
  outOfSampleSteps: number;
  sweep: SweepSpec;
}

export interface Fold {
  index: number;
  inSample: { from: number; to: number };
  outOfSample: { from: number; to: number };
}

export interface FoldResult extends Fold {
  params: Record<string, unknown> | null;
  inSampleObjective: number | null;
  outOfSample_statistics: Statistics | null;
}

export interface WalkForwardResult {
  folds: FoldResult[];
  stitched: { time_ms: number[]; equity: number[] };
  statistics: Statistics | null;
}

/** @throws OctopusError ERR_BACKTEST_BAD_OPTION on bad lengths or no complete fold. */
export function walkForwardFolds(steps: number, spec: Pick<WalkForwardSpec, 'mode' | 'inSampleSteps' | 'outOfSampleSteps'>): Fold[] {
  const { inSampleSteps: inSample, outOfSampleSteps: outOfSample } = spec;
  if (spec.mode !== 'rolling' && spec.mode !== 'anchored') throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected mode rolling or anchored, was ${JSON.stringify(spec.mode)}`);
  if (!Number.isInteger(inSample) || inSample < 2 || !Number.isInteger(outOfSample) || outOfSample < 1) {
    throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected whole in-sample >= 2 and out-of-sample >= 1 steps, was ${inSample} and ${outOfSample}`);
  }
  const folds: Fold[] = [];
  for (let index = 0; index * outOfSample + inSample + outOfSample <= steps && folds.length < 1_000; index++) {
    const start = index * outOfSample;
    folds.push({
      index,
      inSample: { from: spec.mode === 'rolling' ? start : 0, to: start + inSample },
      outOfSample: { from: start + inSample, to: start + inSample + outOfSample },
    });
  }
  if (folds.length === 0) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected at least one fold of ${inSample} + ${outOfSample} steps in ${steps}, was none`);
  return folds;
}

/** Chains out-of-sample curves: each starts where the previous ended. */
export function stitchEquity(curves: readonly { timesMs: Float64Array; equity: Float64Array }[], cash: number): { timesMs: Float64Array; equity: Float64Array } {
  const total = curves.reduce((sum, curve) => sum + curve.equity.length, 0);
  const timesMs = new Float64Array(total);
  const equity = new Float64Array(total);
  let offset = 0;
  let level = cash;
  for (const curve of curves) {
    const scale = level / cash;
    for (let index = 0; index < curve.equity.length; index++) {
      timesMs[offset + index] = curve.timesMs[index]!;
      equity[offset + index] = curve.equity[index]! * scale;
    }
    offset += curve.equity.length;
    if (curve.equity.length > 0) level = equity[offset - 1]!;
  }
  return { timesMs, equity };
}

export async function runWalkForward(task: Omit<BacktestTask, 'params' | 'range'>, spec: WalkForwardSpec, onProgress?: (done: number, total: number) => void): Promise<WalkForwardResult> {
  const series = shareSeries(task.series);
  const folds = walkForwardFolds(mergedTimeline(series).length, spec);
  const results: FoldResult[] = [];
  const curves: { timesMs: Float64Array; equity: Float64Array }[] = [];
  for (const fold of folds) {
    const sweep = await runSweep({ ...task, series, range: fold.inSample }, spec.sweep);
    const best = sweep.best;
    let statistics: Statistics | null = null;
    if (best !== null) {
      const outOfSample = await runOnPool({ ...task, series, params: best.params, range: fold.outOfSample }, true);
      statistics = outOfSample.statistics;
      curves.push({ timesMs: outOfSample.timesMs!, equity: outOfSample.equity! });
    }
    results.push({ ...fold, params: best?.params ?? null, inSampleObjective: (best?.statistics?.[spec.sweep.objective] as number | undefined) ?? null, outOfSample_statistics: statistics });
    onProgress?.(results.length, folds.length);
  }
  const stitched = stitchEquity(curves, task.cash);
  const run: BacktestRun = { timesMs: stitched.timesMs, equity: stitched.equity, exposed: new Uint8Array(stitched.equity.length), fills: [], initialCash: task.cash, closes: new Map(), finalPositions: {}, ordersSent: 0, signals: [] };
  return {
    folds: results,
    stitched: { time_ms: Array.from(stitched.timesMs), equity: Array.from(stitched.equity) },
    statistics: stitched.equity.length === 0 ? null : computeStatistics(run, []),
  };
}
