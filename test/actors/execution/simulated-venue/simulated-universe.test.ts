/** The simulated exchange's config: defaults, the default universe, the sector correlation structure. */
import { describe, expect, it } from 'vitest';
import { cholesky } from '../../../../src/kernels/stats/linalg.js';
import {
  kDefaultGarch, kDefaultMakers, kDefaultTakers, kDefaultUniverse, resolveConfig, sectorCorrelationMatrix,
} from '../../../../src/actors/execution/simulated-venue/simulated-universe.js';

describe('simulated universe', () => {
  it('has 20 distinct symbols in 4 sectors, each starting at least 10 ticks up', () => {
    expect(kDefaultUniverse).toHaveLength(20);
    expect(new Set(kDefaultUniverse.map((symbol) => symbol.symbol)).size).toBe(20);
    expect([...new Set(kDefaultUniverse.map((symbol) => symbol.sector))].sort()).toEqual(['energy', 'finance', 'health', 'tech']);
    for (const symbol of kDefaultUniverse) expect(symbol.startPrice / symbol.tickSize, symbol.symbol).toBeGreaterThanOrEqual(10);
  });

  it('fills every default and keeps overrides field by field', () => {
    const resolved = resolveConfig({ seed: 1, makers: { count: 2 }, garch: { alpha: 0.06 } });
    expect(resolved.makers).toEqual({ ...kDefaultMakers, count: 2 });
    expect(resolved.garch).toEqual({ ...kDefaultGarch, alpha: 0.06 });
    expect(resolved.takers).toEqual(kDefaultTakers);
    expect(resolved.stepMs).toBe(100);
    expect(resolved.symbols).toBe(kDefaultUniverse);
  });

  it('builds a positive definite sector/market correlation matrix', () => {
    const matrix = sectorCorrelationMatrix(kDefaultUniverse, 0.6, 0.3);
    const n = kDefaultUniverse.length;
    const cases: Array<[string, number, number, number]> = [
      ['diagonal', 0, 0, 1],
      ['same sector (TCHA, TCHB)', 0, 1, 0.6],
      ['across sectors (TCHA, FINA)', 0, 5, 0.3],
      ['symmetric (FINA, TCHA)', 5, 0, 0.3],
    ];
    for (const [message, row, column, expected] of cases) expect(matrix[row * n + column], message).toBe(expected);
    expect(() => cholesky(matrix, n), 'positive definite').not.toThrow();
  });
});
