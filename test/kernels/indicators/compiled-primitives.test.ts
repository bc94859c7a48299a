/**
 * The WASM and Rust indicator primitives against the TS reference (1e-10 relative is the contract; the
 * bits are in fact identical, and that is checked too), their loaders, and the napi layer's own checks.
 * A backend's suite skips only when that backend is not built, and says why in its name.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KernelError, loadBackends, type BackendName } from '../../../src/kernels/index.js';
import {
  indicatorRegistry,
  loadIndicatorPrimitives,
  primitiveNames,
  selectIndicators,
  type IndicatorOutputs,
  type Indicators,
} from '../../../src/kernels/indicators/indicators.js';
import { nativeAddonPath, wasmModulePath } from '../../../src/kernels/backend.js';
import {
  loadNativeIndicatorPrimitives,
  loadWasmIndicatorPrimitives,
  nativeIndicatorPrimitives,
  type NativeIndicatorAddon,
} from '../../../src/kernels/indicators/compiled-primitives.js';
import { expectAgreement, expectIdentical, makeSeries, seededRandom } from '../support.js';

const kRelativeTolerance = 1e-10;

/** OHLCV around a close series; hostile closes make hostile bars. */
function barsAround(close: Float64Array, seed: number) {
  const random = seededRandom(seed);
  return {
    open: close.map((value) => value + random() - 0.5),
    high: close.map((value) => value + random() * 3),
    low: close.map((value) => value - random() * 3),
    close,
    volume: close.map(() => Math.floor(random() * 5000)),
  };
}

/** Parameter sets per indicator: defaults, short and long windows, period 1. */
function parameterSets(name: string): Record<string, number>[] {
  switch (name) {
    case 'macd':
      return [{}, { fastPeriod: 1, slowPeriod: 2, signalPeriod: 1 }, { fastPeriod: 5, slowPeriod: 35, signalPeriod: 5 }];
    case 'bollinger':
      return [{}, { period: 1 }, { period: 3, multiplier: 0.5 }, { period: 50, multiplier: 3 }];
    case 'stochastic':
      return [{}, { kPeriod: 1, kSmoothing: 1, dPeriod: 1 }, { kPeriod: 33, kSmoothing: 5, dPeriod: 4 }];
    case 'obv':
      return [{}];
    default:
      return [{}, { period: 1 }, { period: 2 }, { period: 17 }, { period: 64 }];
  }
}

function compare(actual: IndicatorOutputs, expected: IndicatorOutputs, label: string): void {
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  for (const [name, values] of Object.entries(expected)) {
    expectAgreement(actual[name]!, values, kRelativeTolerance, `${label} ${name}`);
    expectIdentical(actual[name]!, values, `${label} ${name} (bits)`);
  }
}

const shapes = [
  { label: 'a random walk of 10,007 points', length: 10_007, seed: 101 },
  { label: 'a walk with 1% NaN and infinities', length: 4_099, seed: 102, badShare: 0.01 },
  { label: 'wild magnitudes 1e-6..1e9 of both signs', length: 3_001, seed: 103, kind: 'wild' as const },
  { label: 'empty', length: 0, seed: 104 },
  { label: 'one point', length: 1, seed: 105 },
  { label: 'three points (shorter than most windows)', length: 3, seed: 106 },
];

const reference = selectIndicators('ts');

for (const backend of ['native', 'wasm'] as const satisfies readonly BackendName[]) {
  const reason = loadBackends().unavailable[backend];
  const title = reason === undefined ? `${backend} indicators` : `${backend} indicators (skipped: ${reason})`;

  describe.skipIf(reason !== undefined)(title, () => {
    const compiled: Indicators = selectIndicators(backend);

    it('loaded every indicator primitive (a stale or missing build fails here, it is not skipped)', () => {
      expect(loadIndicatorPrimitives().unavailable[backend]).toBeUndefined();
      for (const primitive of primitiveNames) expect(compiled.primitiveBackends[primitive], primitive).toBe(backend);
      for (const spec of indicatorRegistry) expect(compiled.backendFor(spec.name), spec.name).toBe(backend);
    });

    for (const spec of indicatorRegistry) {
      for (const shape of shapes) {
        it(`${spec.name} on ${shape.label} agrees with the reference`, () => {
          const close = makeSeries(shape);
          const input = spec.input === 'series' ? close : barsAround(close, shape.seed);
          for (const params of parameterSets(spec.name)) {
            compare(compiled.compute(spec.name, params, input), reference.compute(spec.name, params, input), `${spec.name} ${JSON.stringify(params)}`);
          }
        });
      }
    }

    it('every primitive agrees on arbitrary float64 series (fast-check: NaN, infinities, -0, subnormals)', () => {
      const values = fc.float64Array({ maxLength: 200 });
      fc.assert(
        fc.property(values, fc.integer({ min: 1, max: 40 }), (input, period) => {
          const bars = { high: input, low: input.map((value) => value - 1), close: input.slice().reverse(), volume: input.map(Math.abs) };
          for (const spec of indicatorRegistry) {
            const params =
              spec.name === 'macd'
                ? { fastPeriod: period, slowPeriod: period + 1, signalPeriod: period }
                : spec.name === 'stochastic'
                  ? { kPeriod: period, kSmoothing: 2, dPeriod: 3 }
                  : spec.name === 'obv'
                    ? {}
                    : { period };
            const data = spec.input === 'series' ? input : bars;
            const expected = reference.compute(spec.name, params, data);
            const actual = compiled.compute(spec.name, params, data);
            for (const [name, output] of Object.entries(expected)) expectIdentical(actual[name]!, output, `${spec.name} ${name} period ${period}`);
          }
        }),
        { numRuns: 150, seed: 20_240_611 },
      );
    });

    it('writes into caller outputs and leaves the inputs alone', () => {
      const close = makeSeries({ length: 500, seed: 7 });
      const copy = close.slice();
      const outputs = { macd: new Float64Array(500), signal: new Float64Array(500), histogram: new Float64Array(500) };
      expect(compiled.macd(close, { fastPeriod: 12, slowPeriod: 26, signalPeriod: 9 }, outputs).signal).toBe(outputs.signal);
      expectIdentical(close, copy, 'input untouched');
      compare({ ...outputs }, { ...reference.macd(close, { fastPeriod: 12, slowPeriod: 26, signalPeriod: 9 }) }, 'macd into outputs');
    });
  });
}

describe('loading', () => {
  const junk = path.join(tmpdir(), `${process.pid}-octopus-indicators-junk`);
  writeFileSync(junk, 'not a module');
  const stale = path.join(tmpdir(), `${process.pid}-octopus-indicators-stale.json`);
  writeFileSync(stale, '{"sma": 1}');
  const cases = [
    { message: 'a missing addon says how to build it', load: () => loadNativeIndicatorPrimitives(path.join(tmpdir(), 'octopus-missing.node')), pattern: /^Rust addon not built .*npm run build:native/ },
    { message: 'a file that is not an addon is reported, not thrown', load: () => loadNativeIndicatorPrimitives(`${junk}.node`), pattern: /^Rust addon (failed to load|not built)/ },
    { message: 'an addon without the indicator exports is stale', load: () => loadNativeIndicatorPrimitives(stale), pattern: /^Rust addon stale: expected indicator kernels/ },
    { message: 'a missing wasm module says how to build it', load: () => loadWasmIndicatorPrimitives(path.join(tmpdir(), 'octopus-missing.wasm')), pattern: /^WASM indicator kernels not built .*npm run build:asm/ },
    { message: 'a file that is not wasm is reported, not thrown', load: () => loadWasmIndicatorPrimitives(junk), pattern: /^WASM indicator kernels failed to load/ },
  ];
  for (const { message, load, pattern } of cases) {
    it(message, () => {
      const result = load();
      expect(Object.keys(result.primitives)).toEqual([]);
      expect(result.reason).toMatch(pattern);
    });
  }

  it('a wasm module of another kernel family is stale', () => {
    const movingAverages = wasmModulePath('moving-average');
    const result = loadWasmIndicatorPrimitives(movingAverages);
    expect(result.reason ?? '').toMatch(/^WASM indicator kernels (stale|failed to load)/);
  });
});

describe('the JS wrapper around the Rust addon (hand-written stub addon)', () => {
  it('reports an addon error on checked arguments as ERR_KERNEL_BACKEND_FAILED with the cause', () => {
    const failure = Object.assign(new Error('ERR_KERNEL_BAD_PERIOD: expected ..., was ...'), { code: 'InvalidArg' });
    const throwing = () => {
      throw failure;
    };
    const addon = new Proxy({}, { get: () => throwing }) as unknown as NativeIndicatorAddon;
    let thrown: unknown;
    try {
      nativeIndicatorPrimitives(addon).rsi!(new Float64Array(3), 2, new Float64Array(3));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KernelError);
    expect((thrown as KernelError).code).toBe('ERR_KERNEL_BACKEND_FAILED');
    expect((thrown as KernelError).cause).toBe(failure);
  });
});

const nativeReason = loadBackends().unavailable.native;
describe.skipIf(nativeReason !== undefined)(
  nativeReason === undefined ? 'the addon checks its own arguments' : `the addon checks its own arguments (skipped: ${nativeReason})`,
  () => {
    const addon = nativeReason === undefined ? (createRequire(import.meta.url)(nativeAddonPath) as NativeIndicatorAddon) : null;
    const input = Float64Array.from([1, 2, 3, 4]);
    const shared = new Float64Array(8);
    const cases: { message: string; call: () => void; prefix: string }[] = [
      { message: 'period 0', call: () => addon!.indicatorRsi(input, 0, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
      { message: 'period 2.5', call: () => addon!.indicatorWma(input, 2.5, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
      { message: 'period NaN', call: () => addon!.indicatorWilder(input, Number.NaN, new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_PERIOD' },
      { message: 'output of another length', call: () => addon!.indicatorZScore(input, 2, new Float64Array(3)), prefix: 'ERR_KERNEL_BAD_INPUT' },
      { message: 'volume of another length', call: () => addon!.indicatorObv(input, new Float64Array(5), new Float64Array(4)), prefix: 'ERR_KERNEL_BAD_INPUT' },
      { message: 'output is the input', call: () => addon!.indicatorHighest(input, 2, input), prefix: 'ERR_KERNEL_ALIASED_OUTPUT' },
      {
        message: 'two outputs overlap',
        call: () => addon!.indicatorMacd(input, 2, 3, 2, shared.subarray(0, 4), shared.subarray(2, 6), new Float64Array(4)),
        prefix: 'ERR_KERNEL_ALIASED_OUTPUT',
      },
      {
        message: 'fast period not below slow',
        call: () => addon!.indicatorMacd(input, 3, 3, 2, new Float64Array(4), new Float64Array(4), new Float64Array(4)),
        prefix: 'ERR_KERNEL_BAD_PARAM',
      },
      {
        message: 'a multiplier that is not finite',
        call: () => addon!.indicatorBollinger(input, 2, Number.POSITIVE_INFINITY, new Float64Array(4), new Float64Array(4), new Float64Array(4)),
        prefix: 'ERR_KERNEL_BAD_PARAM',
      },
    ];
    for (const { message, call, prefix } of cases) {
      it(`${message}: InvalidArg, ${prefix}`, () => {
        expect(call).toThrowError(expect.objectContaining({ code: 'InvalidArg', message: expect.stringMatching(new RegExp(`^${prefix}: expected .+, was .+`)) }));
      });
    }
  },
);
