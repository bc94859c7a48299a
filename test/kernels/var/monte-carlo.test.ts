/**
 * Monte Carlo over piscina workers: the result is the same bits with 1 thread, 2 threads and on the
 * calling thread, for normal and Student-t shocks, because every path is seeded from (seed, path index)
 * and the sums are placed by index (src/kernels/var/monte-carlo.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeVar, computeVarAsync, createVarWorkerPool, type VarResponse, type VarWorkerPool } from '../../../src/actors/risk/var.js';
import { kParallelNormalsMin, streamCount } from '../../../src/kernels/var/monte-carlo.js';
import { seededRandom } from '../support.js';

function returns(observations: number, assets: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: observations }, () => {
    const common = random() - 0.5;
    return Array.from({ length: assets }, () => 0.02 * (common + random() - 0.5));
  });
}

/** Compares every number of two responses by bits (Object.is), with a message naming the first difference. */
function expectSameBits(actual: VarResponse, expected: VarResponse, label: string): void {
  expect(Object.is(actual.var, expected.var), `${label}: var ${actual.var} vs ${expected.var}`).toBe(true);
  expect(Object.is(actual.es, expected.es), `${label}: es`).toBe(true);
  expect(Object.is(actual.standard_error, expected.standard_error), `${label}: standard_error`).toBe(true);
  actual.components.forEach((component, index) => {
    expect(Object.is(component.component_var, expected.components[index]!.component_var), `${label}: component ${index}`).toBe(true);
    expect(Object.is(component.marginal_var, expected.components[index]!.marginal_var), `${label}: marginal ${index}`).toBe(true);
  });
}

describe('Monte Carlo is independent of the thread count', () => {
  let oneThread: VarWorkerPool;
  let twoThreads: VarWorkerPool;
  beforeAll(() => {
    oneThread = createVarWorkerPool({ threads: 1 });
    twoThreads = createVarWorkerPool({ threads: 2 });
  });
  afterAll(async () => {
    await oneThread.close();
    await twoThreads.close();
  });

  const base = { positions: Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? -1 : 1) * 1e5 * (i + 1)), returns: returns(400, 12, 3), method: 'monte_carlo', confidence: 0.99, horizon_days: 10 };
  const cases = [
    { message: 'normal shocks, 100,001 paths (odd: the last antithetic pair is half used)', request: { ...base, paths: 100_001, seed: 11 } },
    { message: 'Student-t shocks, dof 4', request: { ...base, paths: 80_000, seed: 12, distribution: 'student_t', dof: 4 } },
    { message: 'without antithetic variates', request: { ...base, paths: 60_000, seed: 13, antithetic: false } },
  ];
  for (const { message, request } of cases) {
    it(`${message}: 1 thread, 2 threads and the calling thread give identical bits`, async () => {
      const normals = streamCount(request.paths, (request as { antithetic?: boolean }).antithetic ?? true) * 12 * 10;
      expect(normals, 'the run is large enough to go to the workers').toBeGreaterThanOrEqual(kParallelNormalsMin);
      const [single, double] = await Promise.all([computeVarAsync(request, { pool: oneThread }), computeVarAsync(request, { pool: twoThreads })]);
      const inline = computeVar(request);
      expectSameBits(double, single, '2 threads vs 1');
      expectSameBits(single, inline, 'workers vs calling thread');
    });
  }

  it('a small run stays on the calling thread and still agrees', async () => {
    const request = { ...base, paths: 1000, seed: 1 };
    expectSameBits(await computeVarAsync(request, { pool: twoThreads }), computeVar(request), 'small');
  });

  it('rejects a bad request before touching the workers', async () => {
    await expect(computeVarAsync({ ...base, paths: 0 }, { pool: twoThreads })).rejects.toMatchObject({ code: 'ERR_RISK_BAD_PATHS' });
  });

  it('refuses a pool of 0 threads', () => {
    expect(() => createVarWorkerPool({ threads: 0 })).toThrowError(RangeError);
  });
});
