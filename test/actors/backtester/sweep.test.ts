import { afterAll, describe, expect, it } from 'vitest';
import { closeBacktestPool } from '../../../src/actors/backtester/backtest-pool.js';
import { evaluateTask } from '../../../src/actors/backtester/backtest-task.js';
import { bestPoint, mapBounded, runSweep, sweepPoints } from '../../../src/actors/backtester/sweep.js';
import { shippedBars } from './support.js';

afterAll(async () => {
  await closeBacktestPool();
});

describe('sweep points', () => {
  it('a grid is every combination, the last parameter fastest', () => {
    expect(sweepPoints({ mode: 'grid', space: { fast: [5, 10], slow: [20, 30, 40] }, base: { allowShort: false }, objective: 'sharpe' })).toEqual([
      { allowShort: false, fast: 5, slow: 20 }, { allowShort: false, fast: 5, slow: 30 }, { allowShort: false, fast: 5, slow: 40 },
      { allowShort: false, fast: 10, slow: 20 }, { allowShort: false, fast: 10, slow: 30 }, { allowShort: false, fast: 10, slow: 40 },
    ]);
  });

  it('a random search is seeded and stays in its ranges', () => {
    const spec = { mode: 'random' as const, space: { fast: { min: 2, max: 20, integer: true }, slow: [30, 50, 70] }, samples: 200, seed: 42, objective: 'sharpe' as const };
    const points = sweepPoints(spec);
    expect(points).toEqual(sweepPoints(spec));
    expect(points.every((point) => Number.isInteger(point.fast) && (point.fast as number) >= 2 && (point.fast as number) <= 20 && [30, 50, 70].includes(point.slow as number))).toBe(true);
    expect(new Set(points.map((point) => point.fast)).size).toBe(19);
  });

  it('refuses empty or oversized spaces', () => {
    for (const spec of [{ mode: 'grid', space: {} }, { mode: 'grid', space: { fast: [] } }, { mode: 'random', space: { fast: [1] }, samples: 0 }, { mode: 'grid', space: { a: Array(400).fill(1), b: Array(400).fill(1) } }, { mode: 'walk', space: { fast: [1] } }]) {
      expect(() => sweepPoints({ ...(spec as object), objective: 'sharpe' } as never), JSON.stringify(spec).slice(0, 40)).toThrow(expect.objectContaining({ code: 'ERR_BACKTEST_BAD_OPTION' }));
    }
  });

  it('mapBounded keeps order and never exceeds its limit', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await mapBounded([5, 4, 3, 2, 1, 0], 2, async (value) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return value * 2;
    });
    expect(results).toEqual([10, 8, 6, 4, 2, 0]);
    expect(most).toBe(2);
  });
});

describe('sweeps on the piscina pool', () => {
  it('each point equals the same backtest run in this thread; bad points carry their error; the best is the max', async () => {
    const task = { strategy: 'sma_cross', series: [shippedBars()], fill: 'market_on_close' as const, feeRate: 0.001, cash: 100_000 };
    const result = await runSweep(task, { mode: 'grid', space: { fast: [5, 10, 40], slow: [20, 30] }, objective: 'total_return' });
    expect(result.points).toHaveLength(6);
    const refused = result.points.filter((point) => point.error !== null);
    expect(refused.map((point) => point.params)).toEqual([{ fast: 40, slow: 20 }, { fast: 40, slow: 30 }]);
    expect(refused[0]!.error!.code).toBe('ERR_STRATEGY_BAD_PARAMS');
    for (const point of result.points.filter((candidate) => candidate.error === null)) {
      expect(point.statistics).toEqual(evaluateTask({ ...task, params: point.params }).statistics);
    }
    expect(result.best).toEqual(bestPoint(result.points, 'total_return'));
    const returns = result.points.flatMap((point) => (point.statistics === null ? [] : [point.statistics.total_return]));
    expect(result.best!.statistics!.total_return).toBe(Math.max(...returns));
  });
});
