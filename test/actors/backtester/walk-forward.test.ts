import { afterAll, describe, expect, it } from 'vitest';
import { closeBacktestPool } from '../../../src/actors/backtester/backtest-pool.js';
import { runWalkForward, stitchEquity, walkForwardFolds } from '../../../src/actors/backtester/walk-forward.js';
import { evaluateTask } from '../../../src/actors/backtester/backtest-task.js';
import { shippedBars } from './support.js';

afterAll(async () => {
  await closeBacktestPool();
});

describe('walk-forward fold boundaries (as documented)', () => {
  const cases = [
    { mode: 'rolling' as const, steps: 100, inSample: 40, outOfSample: 20, expected: [[0, 40, 40, 60], [20, 60, 60, 80], [40, 80, 80, 100]] },
    { mode: 'anchored' as const, steps: 100, inSample: 40, outOfSample: 20, expected: [[0, 40, 40, 60], [0, 60, 60, 80], [0, 80, 80, 100]] },
    { mode: 'rolling' as const, steps: 99, inSample: 40, outOfSample: 20, expected: [[0, 40, 40, 60], [20, 60, 60, 80]] },
    { mode: 'anchored' as const, steps: 61, inSample: 50, outOfSample: 10, expected: [[0, 50, 50, 60]] },
  ];
  for (const testCase of cases) {
    it(`${testCase.mode}: ${testCase.steps} steps, ${testCase.inSample} in / ${testCase.outOfSample} out`, () => {
      const folds = walkForwardFolds(testCase.steps, { mode: testCase.mode, inSampleSteps: testCase.inSample, outOfSampleSteps: testCase.outOfSample });
      expect(folds.map((fold) => [fold.inSample.from, fold.inSample.to, fold.outOfSample.from, fold.outOfSample.to])).toEqual(testCase.expected);
      // Out-of-sample windows tile without overlap, each right after its in-sample window.
      for (const fold of folds) expect(fold.outOfSample.from).toBe(fold.inSample.to);
    });
  }

  it('refuses lengths that leave no complete fold, and bad modes', () => {
    expect(() => walkForwardFolds(50, { mode: 'rolling', inSampleSteps: 40, outOfSampleSteps: 20 })).toThrow(expect.objectContaining({ code: 'ERR_BACKTEST_BAD_OPTION' }));
    expect(() => walkForwardFolds(500, { mode: 'sliding' as 'rolling', inSampleSteps: 40, outOfSampleSteps: 20 })).toThrow(expect.objectContaining({ code: 'ERR_BACKTEST_BAD_OPTION' }));
    expect(() => walkForwardFolds(500, { mode: 'rolling', inSampleSteps: 1.5, outOfSampleSteps: 20 })).toThrow(expect.objectContaining({ code: 'ERR_BACKTEST_BAD_OPTION' }));
  });

  it('stitches out-of-sample curves end to start', () => {
    const stitched = stitchEquity(
      [
        { timesMs: Float64Array.of(1, 2), equity: Float64Array.of(110, 120) },
        { timesMs: Float64Array.of(3, 4), equity: Float64Array.of(90, 100) },
      ],
      100,
    );
    expect(Array.from(stitched.equity)).toEqual([110, 120, 108, 120]);
  });

  it('runs folds on the pool: best in-sample parameters, flat out-of-sample runs, stitched equity', async () => {
    const task = { strategy: 'sma_cross', series: [shippedBars()], fill: 'next_open' as const, feeRate: 0.001, cash: 100_000 };
    const spec = { mode: 'rolling' as const, inSampleSteps: 500, outOfSampleSteps: 250, sweep: { mode: 'grid' as const, space: { fast: [5, 10], slow: [30, 60] }, objective: 'sharpe' as const } };
    const result = await runWalkForward(task, spec);
    expect(result.folds.map((fold) => fold.outOfSample)).toEqual([{ from: 500, to: 750 }, { from: 750, to: 1000 }, { from: 1000, to: 1250 }, { from: 1250, to: 1500 }]);
    expect(result.stitched.equity).toHaveLength(1000);
    for (const fold of result.folds) {
      // The chosen point is the in-sample best: recompute every grid point in this thread.
      const sharpes = [5, 10].flatMap((fast) => [30, 60].map((slow) => evaluateTask({ ...task, params: { fast, slow }, range: fold.inSample }).statistics.sharpe ?? Number.NEGATIVE_INFINITY));
      expect(fold.inSampleObjective).toBe(Math.max(...sharpes));
      // Out of sample starts flat: its first equity point is the cash unless it traded on its first bar.
      const outOfSample = evaluateTask({ ...task, params: fold.params!, range: fold.outOfSample }, true);
      expect(outOfSample.equity![0]).toBe(100_000);
      expect(outOfSample.statistics).toEqual(fold.outOfSample_statistics);
    }
  });
});
