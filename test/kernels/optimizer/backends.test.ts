/**
 * The optimiser's compiled backends against the TS reference (bit-identical results after identical
 * iterations, which implies the 1e-10 contract), their loading and thin layers (the addon's own argument
 * checks, the wrappers' handling of failures), and the backend selection with OCTOPUS_KERNELS.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nativeAddonPath } from '../../../src/kernels/backend.js';
import { KernelError } from '../../../src/kernels/errors.js';
import {
  getOptimizerBackend,
  loadOptimizerBackends,
  loadOptimizerNativeBackend,
  loadOptimizerWasmBackend,
  nativeOptimizerBackend,
  selectOptimizerBackend,
  type LoadedOptimizerBackends,
  type OptimizerNativeAddon,
} from '../../../src/kernels/optimizer/backends.js';
import { kRiskParityIterationsMax, qpIterationsMax, type OptimizerBackend, type SolverProgram } from '../../../src/kernels/optimizer/contract.js';
import {
  maximumSharpe,
  meanVariance,
  minimumVariance,
  optimizer,
  riskParity,
  type PortfolioModel,
  type PortfolioOptimum,
} from '../../../src/kernels/optimizer/optimizer.js';
import type { BackendName } from '../../../src/kernels/backend.js';
import { optimizePortfolio } from '../../../src/actors/portfolio/optimize.js';
import { seededRandom } from '../support.js';

/** A random positive definite covariance (factor model) and expected returns, as in optimizer.test.ts. */
function randomModel(n: number, seed: number): PortfolioModel {
  const random = seededRandom(seed);
  const factors = 3;
  const loadings = Array.from({ length: n * factors }, () => (random() - 0.3) * 0.01);
  const covariance = new Float64Array(n * n);
  for (let row = 0; row < n; row++) {
    for (let column = 0; column <= row; column++) {
      let value = 0;
      for (let factor = 0; factor < factors; factor++) value += loadings[row * factors + factor]! * loadings[column * factors + factor]!;
      covariance[row * n + column] = value;
      covariance[column * n + row] = value;
    }
    covariance[row * n + row] = covariance[row * n + row]! + (0.005 + 0.015 * random()) ** 2;
  }
  const expectedReturns = Float64Array.from({ length: n }, () => 0.0002 + 0.0008 * random());
  return { assets: n, covariance, expectedReturns, riskFreeRate: 0.0001 };
}

/** Every objective under a spread of constraints, for one model. */
function optimisations(model: PortfolioModel): { label: string; run: (backend: BackendName) => PortfolioOptimum }[] {
  const n = model.assets;
  const cap = Math.min(1, 2.5 / n);
  return [
    { label: 'min variance', run: (backend) => minimumVariance(model, { backend }) },
    { label: 'min variance capped', run: (backend) => minimumVariance(model, { backend, constraints: { maxWeight: cap } }) },
    { label: 'min variance long-short', run: (backend) => minimumVariance(model, { backend, constraints: { longOnly: false, minWeight: -0.2, maxWeight: Math.max(0.6, 1 / n) } }) },
    { label: 'max Sharpe', run: (backend) => maximumSharpe(model, { backend }) },
    { label: 'max Sharpe floors and caps', run: (backend) => maximumSharpe(model, { backend, constraints: { minWeight: 0.2 / n, maxWeight: cap } }) },
    { label: 'max Sharpe long-short', run: (backend) => maximumSharpe(model, { backend, constraints: { longOnly: false, minWeight: -0.2, maxWeight: Math.max(0.6, 1 / n) } }) },
    { label: 'mean-variance gamma 3', run: (backend) => meanVariance(model, { riskAversion: 3 }, { backend, constraints: { maxWeight: cap } }) },
    { label: 'mean-variance target', run: (backend) => meanVariance(model, { targetReturn: 0.0006 }, { backend, constraints: { maxWeight: Math.max(cap, 0.9) } }) },
    { label: 'risk parity', run: (backend) => riskParity(model, { backend }) },
    { label: 'risk budgets', run: (backend) => riskParity(model, { backend, riskBudgets: Float64Array.from({ length: n }, (_, index) => 1 + (index % 3)) }) },
  ];
}

/** Same bits (every NaN as NaN, -0 as 0: the facade's arithmetic may turn one into the other), same iterations. */
function expectSameOptimum(actual: PortfolioOptimum, expected: PortfolioOptimum, label: string): void {
  expect(actual.iterations, `${label}: iterations`).toBe(expected.iterations);
  expect(actual.converged, `${label}: converged`).toBe(expected.converged);
  const pairs: [Float64Array, Float64Array, string][] = [
    [actual.weights, expected.weights, 'weights'],
    [actual.riskContributions, expected.riskContributions, 'risk contributions'],
  ];
  if (actual.solution !== null && expected.solution !== null) {
    pairs.push([actual.solution.x, expected.solution.x, 'x'], [actual.solution.multipliers, expected.solution.multipliers, 'multipliers']);
  }
  for (const [got, want, what] of pairs) {
    expect(got.length).toBe(want.length);
    for (let index = 0; index < want.length; index++) {
      const same = got[index] === want[index] || (Number.isNaN(got[index]) && Number.isNaN(want[index]));
      if (!same) {
        const relative = Math.abs(got[index]! - want[index]!) / Math.max(Math.abs(want[index]!), 1e-300);
        expect.fail(`${label}: ${what}[${index}]: expected ${want[index]}, was ${got[index]} (relative ${relative}; the contract is 1e-10, the fact is identical bits)`);
      }
    }
  }
}

for (const name of ['native', 'wasm'] as const) {
  const reason = loadOptimizerBackends().unavailable[name];
  describe.skipIf(reason !== undefined)(`${name} optimiser against the TS reference${reason === undefined ? '' : ` (skipped: ${reason})`}`, () => {
    for (const n of [1, 2, 3, 5, 17, 64, 120]) {
      it(`n = ${n}: identical weights, multipliers and iterations for every objective`, () => {
        for (let seed = 1; seed <= (n > 60 ? 1 : 3); seed++) {
          const model = randomModel(n, 1000 * n + seed);
          for (const { label, run } of optimisations(model)) {
            let reference: PortfolioOptimum | KernelError;
            try {
              reference = run('ts');
            } catch (error) {
              reference = error as KernelError;
            }
            if (reference instanceof KernelError) {
              // Infeasible for this n: the compiled backend must say the same.
              expect(() => run(name), `${label}`).toThrowError(expect.objectContaining({ code: reference.code }));
              continue;
            }
            expectSameOptimum(run(name), reference, `n ${n} seed ${seed} ${label}`);
          }
        }
      });
    }

    it('a property: random small programs give identical solutions, statuses and iterations', () => {
      const reference = getOptimizerBackend('ts');
      const compiled = getOptimizerBackend(name);
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 9 }), (seed, n) => {
          const program = randomProgram(n, seed);
          const want = reference.solveQp(program, qpIterationsMax(program));
          const got = compiled.solveQp(program, qpIterationsMax(program));
          expect(got.status).toBe(want.status);
          expect(got.iterations).toBe(want.iterations);
          expect(Array.from(got.x)).toEqual(Array.from(want.x));
          expect(Array.from(got.multipliers)).toEqual(Array.from(want.multipliers));
        }),
        { numRuns: 300, seed: 20_240_601 },
      );
    });

    it('statuses: not positive definite, infeasible and the iteration limit agree with the reference', () => {
      const reference = getOptimizerBackend('ts');
      const compiled = getOptimizerBackend(name);
      const singular = { ...randomProgram(3, 1), hessian: new Float64Array(9).fill(1) };
      const infeasible = { ...randomProgram(2, 2), inequalityCount: 2, inequalityMatrix: Float64Array.of(1, 0, -1, 0), inequalityTarget: Float64Array.of(1, 0) };
      const starved = randomProgram(6, 3);
      for (const [label, program, iterations] of [
        ['singular', singular, 100],
        ['infeasible', infeasible, 100],
        ['one iteration allowed', starved, 1],
      ] as const) {
        const want = reference.solveQp(program, iterations);
        const got = compiled.solveQp(program, iterations);
        expect(got.status, label).toBe(want.status);
        expect(got.iterations, label).toBe(want.iterations);
        expect(Array.from(got.x), label).toEqual(Array.from(want.x));
      }
      const covariance = Float64Array.of(1, 1, 1, 1);
      expect(compiled.riskParity(covariance, 2, Float64Array.of(1, 1), kRiskParityIterationsMax).status).toBe(2);
      const model = randomModel(30, 9);
      const budgets = new Float64Array(30).fill(1);
      const wantLimited = reference.riskParity(model.covariance, 30, budgets, 2);
      const gotLimited = compiled.riskParity(model.covariance, 30, budgets, 2);
      expect(gotLimited.status).toBe(3);
      expect(Array.from(gotLimited.x)).toEqual(Array.from(wantLimited.x));
    });

    it('the JSON entry point answers identically, naming the backend', () => {
      const request = { objective: 'max_sharpe', covariance: [[0.0144, 0.0072], [0.0072, 0.04]], expected_returns: [0.08, 0.13], risk_free_rate: 0.05 };
      const want = optimizePortfolio(request, { backend: 'ts' });
      const got = optimizePortfolio(request, { backend: name });
      expect(got.backend).toBe(name);
      expect({ ...got, backend: 'ts' }).toEqual(want);
    });
  });
}

/** A random feasible program with bounds, relative bounds, a budget row and two random rows (n variables). */
function randomProgram(n: number, seed: number): SolverProgram {
  const random = seededRandom(seed);
  const { covariance } = randomModel(n, seed + 77);
  const point = Array.from({ length: n }, () => random() - 0.3);
  const rows = 2;
  const matrix = Array.from({ length: rows * n }, () => random() - 0.5);
  return {
    variables: n,
    hessian: covariance,
    linear: Float64Array.from({ length: n }, () => (random() - 0.5) * 1e-3),
    equalityCount: 1,
    equalityMatrix: new Float64Array(n).fill(1),
    equalityTarget: Float64Array.of(point.reduce((total, value) => total + value, 0)),
    inequalityCount: rows,
    inequalityMatrix: Float64Array.from(matrix),
    inequalityTarget: Float64Array.from({ length: rows }, (_, row) => point.reduce((total, value, index) => total + value * matrix[row * n + index]!, 0) - random() * 0.1),
    lower: Float64Array.from(point, (value) => (random() < 0.3 ? Number.NEGATIVE_INFINITY : value - random() * 0.3)),
    upper: Float64Array.from(point, (value) => (random() < 0.3 ? Number.POSITIVE_INFINITY : value + random() * 0.3)),
    // x_i >= s sum(x) and x_i <= s sum(x), around the point's own shares, for about a third of the assets.
    // Shares only around a point whose weights sum to something positive (else the point would break them).
    lowerShare: Float64Array.from(point, (value) => (sumOf(point) <= 0.2 || random() < 0.7 ? Number.NEGATIVE_INFINITY : value / sumOf(point) - random() * 0.2)),
    upperShare: Float64Array.from(point, (value) => (sumOf(point) <= 0.2 || random() < 0.7 ? Number.POSITIVE_INFINITY : value / sumOf(point) + random() * 0.2)),
  };
}

function sumOf(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

describe('loading the compiled optimisers', () => {
  const junk = path.join(tmpdir(), `${process.pid}-octopus-optimizer-junk`);
  writeFileSync(junk, 'not a module');
  writeFileSync(`${junk}.node`, 'not a shared library');
  const stale = path.join(tmpdir(), `${process.pid}-octopus-optimizer-stale.json`);
  writeFileSync(stale, '{"sma": 1}');
  const cases: { message: string; load: () => { backend: unknown; reason: string | null }; pattern: RegExp }[] = [
    { message: 'a missing addon says how to build it', load: () => loadOptimizerNativeBackend(path.join(tmpdir(), 'octopus-missing.node')), pattern: /^Rust addon not built .*npm run build:native/ },
    { message: 'a file that is not an addon is reported, not thrown', load: () => loadOptimizerNativeBackend(`${junk}.node`), pattern: /^Rust addon failed to load/ },
    { message: 'an addon without the optimizer exports is stale', load: () => loadOptimizerNativeBackend(stale), pattern: /^Rust addon stale: expected the optimizer\* exports/ },
    { message: 'a missing wasm module says how to build it', load: () => loadOptimizerWasmBackend(path.join(tmpdir(), 'octopus-missing.wasm')), pattern: /^WASM optimiser not built .*npm run build:asm/ },
    { message: 'a file that is not wasm is reported, not thrown', load: () => loadOptimizerWasmBackend(junk), pattern: /^WASM optimiser failed to load/ },
  ];
  for (const { message, load, pattern } of cases) {
    it(message, () => {
      const result = load();
      expect(result.backend).toBeNull();
      expect(result.reason).toMatch(pattern);
    });
  }
});

describe('the Rust addon checks its own arguments', () => {
  const reason = loadOptimizerBackends().unavailable.native;
  it.skipIf(reason !== undefined)('returns InvalidArg errors with ERR_KERNEL_BAD_INPUT for sizes that break the contract', async () => {
    const { createRequire } = await import('node:module');
    const addon = createRequire(import.meta.url)(nativeAddonPath) as OptimizerNativeAddon;
    const n = 2;
    const hessian = Float64Array.of(1, 0, 0, 1);
    const empty = new Float64Array(0);
    const bounds = () => Float64Array.of(0, 0);
    const solve = (overrides: { variables?: number; hessian?: Float64Array; x?: Float64Array; multipliers?: Float64Array }) =>
      addon.optimizerSolveQp(
        overrides.variables ?? n,
        0,
        0,
        overrides.hessian ?? hessian,
        Float64Array.of(0, 0),
        empty,
        empty,
        empty,
        empty,
        bounds(),
        bounds(),
        Float64Array.of(Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY),
        Float64Array.of(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY),
        10,
        overrides.x ?? new Float64Array(n),
        overrides.multipliers ?? new Float64Array(4 * n),
      );
    expect(solve({}).status).toBe(0);
    const failures: { message: string; call: () => unknown; pattern: RegExp }[] = [
      { message: 'zero variables', call: () => solve({ variables: 0 }), pattern: /ERR_KERNEL_BAD_INPUT: expected 1..=1000 variables/ },
      { message: 'a short Hessian', call: () => solve({ hessian: Float64Array.of(1) }), pattern: /ERR_KERNEL_BAD_INPUT: expected hessian of length 4, was 1/ },
      { message: 'a short output', call: () => solve({ x: new Float64Array(1) }), pattern: /expected x of length 2/ },
      { message: 'an output aliasing an input', call: () => solve({ x: hessian.subarray(0, 2) }), pattern: /share no memory/ },
      { message: 'a risk-parity budget below 1', call: () => addon.optimizerRiskParity(2, hessian, Float64Array.of(0.5, 1), 10, new Float64Array(2)), pattern: /scaled budgets >= 1/ },
    ];
    for (const { message, call, pattern } of failures) {
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown, message).toBeInstanceOf(Error);
      expect((thrown as Error & { code?: string }).code, message).toBe('InvalidArg');
      expect((thrown as Error).message, message).toMatch(pattern);
    }
  });
});

describe('the JS wrapper around the addon (hand-written stub addon)', () => {
  function stubAddon(behaviour: { throws?: Error; status?: number }): OptimizerNativeAddon {
    const report = () => {
      if (behaviour.throws !== undefined) throw behaviour.throws;
      return { status: behaviour.status ?? 0, iterations: 1 };
    };
    return { optimizerVersion: () => 1, optimizerSolveQp: report, optimizerRiskParity: report };
  }
  const program: SolverProgram = {
    variables: 1,
    hessian: Float64Array.of(1),
    linear: Float64Array.of(0),
    equalityCount: 0,
    equalityMatrix: new Float64Array(0),
    equalityTarget: new Float64Array(0),
    inequalityCount: 0,
    inequalityMatrix: new Float64Array(0),
    inequalityTarget: new Float64Array(0),
    lower: Float64Array.of(0),
    upper: Float64Array.of(1),
    lowerShare: Float64Array.of(Number.NEGATIVE_INFINITY),
    upperShare: Float64Array.of(Number.POSITIVE_INFINITY),
  };

  it('reports an addon error on checked arguments as ERR_KERNEL_BACKEND_FAILED with the cause', () => {
    const failure = Object.assign(new Error('ERR_KERNEL_BAD_INPUT: expected ...'), { code: 'InvalidArg' });
    const backend = nativeOptimizerBackend(stubAddon({ throws: failure }));
    for (const call of [() => backend.solveQp(program, 10), () => backend.riskParity(Float64Array.of(1), 1, Float64Array.of(1), 10)]) {
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(KernelError);
      expect((thrown as KernelError).code).toBe('ERR_KERNEL_BACKEND_FAILED');
      expect((thrown as KernelError).cause).toBe(failure);
    }
  });

  it('refuses a status outside 0..3 as ERR_KERNEL_BACKEND_FAILED', () => {
    const backend = nativeOptimizerBackend(stubAddon({ status: 7 }));
    expect(() => backend.solveQp(program, 10)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BACKEND_FAILED' }));
  });
});

describe('selectOptimizerBackend', () => {
  const stub = (name: BackendName): OptimizerBackend => ({
    name,
    solveQp: () => {
      throw new Error('not called');
    },
    riskParity: () => {
      throw new Error('not called');
    },
  });
  const nativeMissing = 'Rust addon not built (native/octopus.linux-x64.node missing; run npm run build:native)';
  const wasmMissing = 'WASM optimiser not built (build/asm/optimizer.wasm missing; run npm run build:asm)';
  function loadedWith(...names: BackendName[]): LoadedOptimizerBackends {
    const backends: Partial<Record<BackendName, OptimizerBackend>> = {};
    const unavailable: Partial<Record<BackendName, string>> = {};
    for (const name of ['native', 'wasm', 'ts'] as const) {
      if (names.includes(name)) backends[name] = stub(name);
      else unavailable[name] = name === 'native' ? nativeMissing : wasmMissing;
    }
    return { backends, unavailable };
  }
  const cases: { message: string; preference: string | undefined; loaded: LoadedOptimizerBackends; backend: BackendName; reason: string | null }[] = [
    { message: 'everything built: Rust, nothing to report', preference: undefined, loaded: loadedWith('native', 'wasm', 'ts'), backend: 'native', reason: null },
    { message: 'no addon: WASM, and says why', preference: '', loaded: loadedWith('wasm', 'ts'), backend: 'wasm', reason: `${nativeMissing}; optimiser running on WASM` },
    { message: 'nothing built: TS with both reasons', preference: undefined, loaded: loadedWith('ts'), backend: 'ts', reason: `${nativeMissing}; ${wasmMissing}; optimiser running on TS reference` },
    { message: 'forced ts, spelled loosely', preference: ' TS ', loaded: loadedWith('native', 'wasm', 'ts'), backend: 'ts', reason: 'OCTOPUS_KERNELS=ts; optimiser running on TS reference' },
    { message: 'forced native', preference: 'native', loaded: loadedWith('native', 'ts'), backend: 'native', reason: null },
  ];
  for (const { message, preference, loaded, backend, reason } of cases) {
    it(message, () => {
      const selection = selectOptimizerBackend(preference, loaded);
      expect(selection.backend.name).toBe(backend);
      expect(selection.reason).toBe(reason);
    });
  }
  const failures: { message: string; preference: string; loaded: LoadedOptimizerBackends; code: string }[] = [
    { message: 'an unknown name', preference: 'gpu', loaded: loadedWith('native', 'wasm', 'ts'), code: 'ERR_KERNEL_UNKNOWN_BACKEND' },
    { message: 'native when the addon is not built', preference: 'native', loaded: loadedWith('wasm', 'ts'), code: 'ERR_KERNEL_BACKEND_UNAVAILABLE' },
    { message: 'wasm when the module is not built', preference: 'wasm', loaded: loadedWith('native', 'ts'), code: 'ERR_KERNEL_BACKEND_UNAVAILABLE' },
  ];
  for (const { message, preference, loaded, code } of failures) {
    it(`throws ${code} for ${message}`, () => {
      expect(() => selectOptimizerBackend(preference, loaded)).toThrowError(expect.objectContaining({ code }));
      expect(() => getOptimizerBackend(preference as BackendName, loaded)).toThrowError(expect.objectContaining({ code }));
    });
  }

  it('the process-wide choice is the fastest backend that loaded', () => {
    const available = (['native', 'wasm', 'ts'] as const).filter((name) => loadOptimizerBackends().backends[name] !== undefined);
    if (process.env.OCTOPUS_KERNELS === undefined || process.env.OCTOPUS_KERNELS === '') expect(optimizer.backend.name).toBe(available[0]);
    expect(optimizer.available).toEqual(available);
  });

  it('OCTOPUS_KERNELS=quantum makes importing the optimiser fail with ERR_KERNEL_UNKNOWN_BACKEND', () => {
    const facade = fileURLToPath(new URL('../../../src/kernels/optimizer/optimizer.ts', import.meta.url));
    const script = `import(${JSON.stringify(facade)}).then(() => console.log('loaded'), (error) => console.log(error.code))`;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, OCTOPUS_KERNELS: 'quantum' },
      encoding: 'utf8',
    });
    expect(output.trim()).toBe('ERR_KERNEL_UNKNOWN_BACKEND');
  });
});
