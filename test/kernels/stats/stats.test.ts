/**
 * Statistics kernels: returns, rolling volatility, EWMA variance, covariance and correlation against
 * hand-computed values; hostile arguments; and the WASM and Rust cross products against the TS
 * reference, bit for bit (the contract is 1e-10 relative; the fact is identical bits).
 */
import { describe, expect, it } from 'vitest';
import { crossProductsUnchecked } from '../../../src/kernels/stats/reference.js';
import {
  loadNativeStatsBackend,
  loadStatsBackends,
  loadWasmStatsBackend,
  selectStatsBackend,
  tsStatsBackend,
  type StatsBackend,
} from '../../../src/kernels/stats/backends.js';
import {
  correlationMatrix,
  covarianceMatrix,
  ewmaVariance,
  logReturns,
  rollingVolatility,
  simpleReturns,
  statsKernels,
} from '../../../src/kernels/stats/stats.js';
import { expectAgreement, expectIdentical, seededRandom } from '../support.js';

const panel = (rows: number[][]): Float64Array => new Float64Array(rows.flat());

describe('returns', () => {
  it('simple returns of two assets, row by row', () => {
    // 100 -> 110 -> 99 and 50 -> 50 -> 55: (0.1, 0), (-0.1, 0.1).
    expectAgreement(simpleReturns(panel([[100, 50], [110, 50], [99, 55]]), 2), new Float64Array([0.1, 0, -0.1, 0.1]), 1e-15, 'simple');
  });

  it('log returns are ln(p1 / p0)', () => {
    expectAgreement(logReturns(panel([[100], [110], [99]])), new Float64Array([Math.log(1.1), Math.log(0.9)]), 1e-15, 'log');
  });

  const hostile: { message: string; run: () => unknown; code: string }[] = [
    { message: 'a price of zero', run: () => simpleReturns(new Float64Array([1, 0, 2])), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a negative price', run: () => logReturns(new Float64Array([1, -2])), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a NaN price', run: () => simpleReturns(new Float64Array([1, Number.NaN])), code: 'ERR_KERNEL_NOT_FINITE' },
    { message: 'one price', run: () => simpleReturns(new Float64Array([1])), code: 'ERR_KERNEL_TOO_FEW_OBSERVATIONS' },
    { message: 'a ragged panel', run: () => simpleReturns(new Float64Array([1, 2, 3]), 2), code: 'ERR_KERNEL_BAD_DIMENSIONS' },
    { message: 'not a Float64Array', run: () => simpleReturns([1, 2] as unknown as Float64Array), code: 'ERR_KERNEL_BAD_INPUT' },
  ];
  for (const { message, run, code } of hostile) {
    it(`refuses ${message} with ${code}`, () => {
      expect(run).toThrowError(expect.objectContaining({ code }));
    });
  }
});

describe('rolling volatility', () => {
  it('is the sample standard deviation of each window, NaN during warm-up', () => {
    // Window 3 over 1, 2, 4, 8: sd(1, 2, 4) = sqrt(7/3); sd(2, 4, 8) = sqrt(28/3).
    const out = rollingVolatility(new Float64Array([1, 2, 4, 8]), 3);
    expectAgreement(out, new Float64Array([Number.NaN, Number.NaN, Math.sqrt(7 / 3), Math.sqrt(28 / 3)]), 1e-15, 'window 3');
  });

  it('annualises by sqrt(periodsPerYear)', () => {
    const out = rollingVolatility(new Float64Array([0.01, -0.01]), 2, { periodsPerYear: 252 });
    expect(out[1]).toBeCloseTo(Math.sqrt(0.0002) * Math.sqrt(252), 15);
  });

  it('refuses a window of 1 and a periodsPerYear of 0', () => {
    expect(() => rollingVolatility(new Float64Array(3), 1)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_PERIOD' }));
    expect(() => rollingVolatility(new Float64Array(3), 2, { periodsPerYear: 0 })).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_OPTION' }));
  });
});

describe('EWMA variance (RiskMetrics)', () => {
  it('normalises the weights over the history seen so far', () => {
    // lambda 0.5: out[0] = r0^2 = 1e-4; out[1] = (0.5 * 0.5e-4 + 0.5 * 4e-4) / (1 - 0.25) = 3e-4;
    // out[2] = (0.5 * 2.25e-4... recomputed from S: S0 = 0.5e-4, S1 = 0.25e-4 + 2e-4 = 2.25e-4,
    // S2 = 1.125e-4 + 0.5 * 1e-4 = 1.625e-4, out[2] = 1.625e-4 / 0.875 = 1.857142857142857e-4.
    const out = ewmaVariance(new Float64Array([0.01, 0.02, -0.01]), { lambda: 0.5 });
    expectAgreement(out, new Float64Array([1e-4, 3e-4, 1.625e-4 / 0.875]), 1e-14, 'lambda 0.5');
  });

  it('defaults to lambda 0.94 and ends on the diagonal of the EWMA covariance', () => {
    const random = seededRandom(11);
    const returns = new Float64Array(300).map(() => (random() - 0.5) * 0.04);
    const variance = ewmaVariance(returns);
    const covariance = covarianceMatrix(returns, 1, 300, { method: 'ewma' });
    expect(Math.abs(variance[299]! - covariance[0]!) / covariance[0]!).toBeLessThan(1e-13);
  });

  it('refuses lambda outside (0, 1)', () => {
    for (const lambda of [0, 1, -0.5, Number.NaN]) {
      expect(() => ewmaVariance(new Float64Array(2), { lambda }), `lambda ${lambda}`).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_OPTION' }));
    }
  });
});

describe('covariance and correlation: hand-computed', () => {
  // Two assets, four days: a = (1, 3, 5, 3)%, b = (2, 2, 4, 0)%. Means 3% and 2%; deviations a (-2, 0, 2, 0),
  // b (0, 0, 2, -2) (in %). Sample (divisor 3): var a = 8/3, var b = 8/3, cov = 4/3 (in %^2 = 1e-4).
  const returns = panel([[0.01, 0.02], [0.03, 0.02], [0.05, 0.04], [0.03, 0.0]]);

  it('sample covariance, divisor T - 1', () => {
    expectAgreement(covarianceMatrix(returns, 2, 4), new Float64Array([8e-4 / 3, 4e-4 / 3, 4e-4 / 3, 8e-4 / 3]), 1e-13, 'sample');
  });

  it('sample correlation, unit diagonal', () => {
    expectAgreement(correlationMatrix(returns, 2, 4), new Float64Array([1, 0.5, 0.5, 1]), 1e-13, 'correlation');
  });

  it('EWMA covariance: zero mean, normalised weights lambda^(T-1-t)', () => {
    // lambda 0.5, T 4: weights (1, 2, 4, 8) / 15 oldest first. var a = (1*1 + 2*9 + 4*25 + 8*9) / 15 e-4 = 191/15 e-4.
    const expected = (a: number[], b: number[]): number => [1, 2, 4, 8].reduce((sum, w, t) => sum + w * a[t]! * b[t]!, 0) / 15 / 1e4;
    const a = [1, 3, 5, 3];
    const b = [2, 2, 4, 0];
    const want = new Float64Array([expected(a, a), expected(a, b), expected(a, b), expected(b, b)]);
    expectAgreement(covarianceMatrix(returns, 2, 4, { method: 'ewma', lambda: 0.5 }), want, 1e-13, 'ewma');
  });

  it('is exactly symmetric', () => {
    const random = seededRandom(5);
    const big = new Float64Array(40 * 9).map(() => random() - 0.5);
    const covariance = covarianceMatrix(big, 9, 40);
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(Object.is(covariance[i * 9 + j], covariance[j * 9 + i])).toBe(true);
  });

  const hostile: { message: string; run: () => unknown; code: string }[] = [
    { message: 'a length that is not T x N', run: () => covarianceMatrix(new Float64Array(5), 2, 3), code: 'ERR_KERNEL_BAD_DIMENSIONS' },
    { message: 'zero assets', run: () => covarianceMatrix(new Float64Array(0), 0, 3), code: 'ERR_KERNEL_BAD_DIMENSIONS' },
    { message: 'fractional observations', run: () => covarianceMatrix(new Float64Array(4), 2, 2.5), code: 'ERR_KERNEL_BAD_DIMENSIONS' },
    { message: 'a NaN return', run: () => covarianceMatrix(new Float64Array([0, Number.NaN, 0, 0]), 2, 2), code: 'ERR_KERNEL_NOT_FINITE' },
    { message: 'an infinite return', run: () => covarianceMatrix(new Float64Array([0, 1 / 0, 0, 0]), 2, 2), code: 'ERR_KERNEL_NOT_FINITE' },
    { message: 'one observation (sample)', run: () => covarianceMatrix(new Float64Array(2), 2, 1), code: 'ERR_KERNEL_TOO_FEW_OBSERVATIONS' },
    { message: 'an unknown method', run: () => covarianceMatrix(new Float64Array(4), 2, 2, { method: 'robust' as 'sample' }), code: 'ERR_KERNEL_BAD_OPTION' },
    { message: 'lambda 1', run: () => covarianceMatrix(new Float64Array(4), 2, 2, { method: 'ewma', lambda: 1 }), code: 'ERR_KERNEL_BAD_OPTION' },
    { message: 'a plain array', run: () => covarianceMatrix([0, 0] as unknown as Float64Array, 1, 2), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a zero-variance asset (correlation)', run: () => correlationMatrix(new Float64Array([1, 1, 2, 1]), 2, 2), code: 'ERR_KERNEL_BAD_INPUT' },
  ];
  for (const { message, run, code } of hostile) {
    it(`refuses ${message} with ${code}`, () => {
      expect(run).toThrowError(expect.objectContaining({ code }));
    });
  }

  it('EWMA accepts a single observation', () => {
    expectAgreement(covarianceMatrix(new Float64Array([0.1, 0.2]), 2, 1, { method: 'ewma' }), new Float64Array([0.01, 0.02, 0.02, 0.04]), 1e-15, 'T = 1');
  });
});

// ---------------------------------------------------------------------------------------------------
// Backends

/** Random panels, including the shapes that exercise the tiles' edges (N mod 4, T mod 64) and wild magnitudes. */
function randomPanel(observations: number, assets: number, seed: number, wild = false): Float64Array {
  const random = seededRandom(seed);
  return new Float64Array(observations * assets).map(() => (random() - 0.5) * (wild ? 10 ** (random() * 12 - 6) : 0.05));
}

const shapes: { observations: number; assets: number; wild?: boolean }[] = [
  { observations: 1, assets: 1 },
  { observations: 2, assets: 1 },
  { observations: 3, assets: 2 },
  { observations: 5, assets: 3 },
  { observations: 63, assets: 4 },
  { observations: 64, assets: 5 },
  { observations: 65, assets: 7 },
  { observations: 130, assets: 8 },
  { observations: 257, assets: 33 },
  { observations: 300, assets: 61, wild: true },
  { observations: 1000, assets: 100 },
];

function statsBackendOrReason(name: 'wasm' | 'native'): { backend: StatsBackend | null; reason: string | null } {
  const { backends, unavailable } = loadStatsBackends();
  return { backend: backends[name] ?? null, reason: unavailable[name] ?? null };
}

for (const name of ['wasm', 'native'] as const) {
  const { backend, reason } = statsBackendOrReason(name);
  const title = backend === null ? `${name} statistics backend (skipped: ${reason})` : `${name} statistics backend against the TS reference`;
  describe.skipIf(backend === null)(title, () => {
    for (const { observations, assets, wild = false } of shapes) {
      it(`cross products, ${observations} x ${assets}${wild ? ', wild magnitudes' : ''}: identical bits`, () => {
        const left = randomPanel(observations, assets, observations * 31 + assets, wild);
        const right = randomPanel(observations, assets, observations * 17 + assets + 1, wild);
        for (const [label, rightOperand] of [['shared', left], ['distinct', right]] as const) {
          const expected = new Float64Array(assets * assets);
          crossProductsUnchecked(left, rightOperand, observations, assets, expected);
          const actual = new Float64Array(assets * assets).fill(Number.NaN);
          backend!.crossProducts(left, rightOperand, observations, assets, actual);
          expectAgreement(actual, expected, 1e-10, `${label} (1e-10 relative)`);
          expectIdentical(actual, expected, `${label} (bits)`);
        }
      });
    }

    it('sample and EWMA covariance through the facade: identical bits', () => {
      const returns = randomPanel(500, 37, 99);
      for (const options of [{ method: 'sample' as const }, { method: 'ewma' as const, lambda: 0.97 }]) {
        expectIdentical(covarianceMatrix(returns, 37, 500, options, backend!), covarianceMatrix(returns, 37, 500, options, tsStatsBackend), options.method);
      }
    });
  });
}

describe('statistics backend selection', () => {
  const stub = (name: 'native' | 'wasm'): StatsBackend => ({ ...tsStatsBackend, name });
  const cases: { message: string; preference: string | undefined; loaded: Parameters<typeof selectStatsBackend>[1]; expected: string | RegExp }[] = [
    { message: 'fastest available when unset', preference: undefined, loaded: { backends: { ts: tsStatsBackend, wasm: stub('wasm') }, unavailable: { native: 'no addon' } }, expected: 'wasm' },
    { message: 'forced ts, trimmed and case-insensitive', preference: ' TS ', loaded: { backends: { ts: tsStatsBackend, native: stub('native') }, unavailable: {} }, expected: 'ts' },
    { message: 'an unknown name throws', preference: 'quantum', loaded: { backends: { ts: tsStatsBackend }, unavailable: {} }, expected: /ERR_KERNEL_UNKNOWN_BACKEND/ },
    { message: 'a missing backend throws with its reason', preference: 'native', loaded: { backends: { ts: tsStatsBackend }, unavailable: { native: 'Rust addon stale' } }, expected: /ERR_KERNEL_BACKEND_UNAVAILABLE.*Rust addon stale/ },
  ];
  for (const { message, preference, loaded, expected } of cases) {
    it(message, () => {
      if (typeof expected === 'string') expect(selectStatsBackend(preference, loaded).backend.name).toBe(expected);
      else expect(() => selectStatsBackend(preference, loaded)).toThrowError(expected);
    });
  }

  it('says why it is not on Rust, and nothing when it is', () => {
    expect(selectStatsBackend(undefined, { backends: { ts: tsStatsBackend }, unavailable: { native: 'no addon', wasm: 'no wasm' } }).reason).toBe(
      'no addon; no wasm; statistics kernels running on TS reference',
    );
    expect(selectStatsBackend(undefined, { backends: { ts: tsStatsBackend, native: stub('native') }, unavailable: {} }).reason).toBeNull();
  });

  it('reports a missing WASM module and a missing addon as reasons, not exceptions', () => {
    expect(loadWasmStatsBackend('/nonexistent/risk.wasm').reason).toMatch(/WASM risk kernels not built/);
    expect(loadNativeStatsBackend('/nonexistent/octopus.node').reason).toMatch(/Rust addon not built/);
  });

  it('the process-wide choice is one of the loaded backends', () => {
    expect(['native', 'wasm', 'ts']).toContain(statsKernels.backend.name);
  });
});
