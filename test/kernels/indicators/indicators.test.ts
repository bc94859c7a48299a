/**
 * The indicators facade and registry: the registry describes what compute does (outputs, warm-up),
 * compute validates every part of a request with typed errors, JSON in and out, and the per-primitive
 * backend choice with its fallback to slower backends (played out on hand-written stub primitives).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { kernels, KernelError } from '../../../src/kernels/index.js';
import {
  indicatorNames,
  indicatorOutputsToJson,
  indicatorRegistry,
  indicators,
  resolveIndicatorParams,
  indicatorSpec,
  selectIndicators,
  tsPrimitives,
  type IndicatorPrimitives,
  type LoadedIndicatorPrimitives,
} from '../../../src/kernels/indicators/indicators.js';
import * as reference from '../../../src/kernels/indicators/batch.js';
import { codeOf, expectIdentical, makeSeries, seededRandom } from '../support.js';

const close = makeSeries({ length: 400, seed: 41 });
const random = seededRandom(41);
const ohlcv = {
  open: close.map((value) => value + random() - 0.5),
  high: close.map((value) => value + 1 + random()),
  low: close.map((value) => value - 1 - random()),
  close,
  volume: close.map(() => 1 + Math.floor(random() * 100)),
};

function inputFor(name: string): unknown {
  return indicatorSpec(name).input === 'series' ? close : ohlcv;
}

function firstDefined(values: Float64Array): number {
  const index = values.findIndex((value) => !Number.isNaN(value));
  return index < 0 ? values.length : index;
}

describe('the registry describes compute', () => {
  it('holds every indicator once, in indicatorNames order', () => {
    expect(indicatorRegistry.map((spec) => spec.name)).toEqual([...indicatorNames]);
  });

  const parameterSets: Record<string, Record<string, number>[]> = {
    macd: [{}, { fastPeriod: 3, slowPeriod: 10, signalPeriod: 4 }],
    stochastic: [{}, { kPeriod: 5, kSmoothing: 1, dPeriod: 1 }, { kPeriod: 9, kSmoothing: 4, dPeriod: 2 }],
    bollinger: [{}, { period: 7, multiplier: 1 }],
    obv: [{}],
  };
  for (const spec of indicatorRegistry) {
    const sets = parameterSets[spec.name] ?? [{}, { period: 1 }, { period: 9 }];
    it(`${spec.name}: outputs are ${spec.outputs.join(', ')}; each is NaN exactly up to its lookback (clean data)`, () => {
      for (const params of sets) {
        const resolved = resolveIndicatorParams(spec, params);
        const result = indicators.compute(spec.name, params, inputFor(spec.name));
        expect(Object.keys(result)).toEqual([...spec.outputs]);
        const lookbacks = spec.outputLookbacks(resolved);
        for (const output of spec.outputs) {
          expect(result[output]!.length).toBe(close.length);
          expect(firstDefined(result[output]!), `${spec.name} ${JSON.stringify(params)} ${output}`).toBe(lookbacks[output]);
          expect(Array.from(result[output]!.subarray(lookbacks[output])).every(Number.isFinite), `${output} finite after warm-up`).toBe(true);
        }
        expect(spec.lookback(resolved)).toBe(Math.max(...Object.values(lookbacks)));
      }
    });
  }

  it('documents the TA-Lib lookbacks at the defaults', () => {
    const atDefaults = Object.fromEntries(indicators.catalogue().map((entry) => [entry.name, entry.lookbackAtDefaults]));
    expect(atDefaults).toEqual({
      sma: 19,
      ema: 19,
      wma: 19,
      dema: 38,
      tema: 57,
      rsi: 14,
      macd: 33,
      bollinger: 19,
      stddev: 19,
      zscore: 19,
      atr: 14,
      adx: 27,
      stochastic: 17,
      cci: 19,
      obv: 0,
      vwap: 19,
      donchian: 19,
    });
  });

  it('the catalogue is plain JSON', () => {
    const catalogue = indicators.catalogue();
    expect(JSON.parse(JSON.stringify(catalogue))).toEqual(catalogue);
    expect(catalogue.find((entry) => entry.name === 'bollinger')!.params.map((param) => param.name)).toEqual(['period', 'multiplier']);
  });
});

describe('compute runs the typed functions', () => {
  it('fills in defaults: rsi {} is rsi 14', () => {
    expectIdentical(indicators.compute('rsi', {}, close).values!, reference.rsi(close, 14), 'rsi');
    expectIdentical(indicators.compute('rsi', undefined, close).values!, reference.rsi(close, 14), 'rsi');
  });

  it('a series indicator given OHLCV reads the close', () => {
    expectIdentical(indicators.compute('ema', { period: 10 }, ohlcv).values!, reference.ema(close, 10), 'ema');
  });

  it('accepts JSON arrays, with null for a missing point', () => {
    const json = [1, 2, null, 4, 5, 6];
    expectIdentical(indicators.compute('sma', { period: 2 }, json).values!, reference.sma(Float64Array.from([1, 2, NaN, 4, 5, 6]), 2), 'sma');
    const bars = { high: [3, 4, 5], low: [1, 2, 3], close: [2, 3, 4] };
    expectIdentical(indicators.compute('atr', { period: 1 }, bars).values!, Float64Array.from([NaN, 2, 2]), 'atr');
  });

  it('indicatorOutputsToJson: plain arrays, null for NaN and infinities', () => {
    const result = indicators.compute('sma', { period: 2 }, [1, Infinity, 3]);
    expect(indicatorOutputsToJson(result)).toEqual({ values: [null, null, null] });
    // MACD (1, 2, 1) of 1, 2, 4: lookback 1; EMA2 is 1.5 then 4/3 x 2 + 1/3 x 1.5 = 19/6.
    const json = indicatorOutputsToJson(indicators.compute('macd', { fastPeriod: 1, slowPeriod: 2, signalPeriod: 1 }, [1, 2, 4]));
    expect(Object.keys(json)).toEqual(['macd', 'signal', 'histogram']);
    expect(json.macd![0]).toBeNull();
    expect(json.macd![1]).toBe(0.5);
    expect(json.macd![2]).toBeCloseTo(4 - 19 / 6, 15);
    expect(json.histogram).toEqual([null, 0, 0]);
  });
});

describe('compute validates the request', () => {
  const cases: { message: string; name: string; params: unknown; input: unknown; code: string; pattern?: RegExp }[] = [
    { message: 'an unknown indicator', name: 'rsx', params: {}, input: close, code: 'ERR_KERNEL_UNKNOWN_INDICATOR', pattern: /expected one of sma, ema, .*, was "rsx"/ },
    { message: 'an indicator name that is not a string', name: 42 as unknown as string, params: {}, input: close, code: 'ERR_KERNEL_UNKNOWN_INDICATOR' },
    { message: 'the name of an Object prototype key', name: 'constructor', params: {}, input: close, code: 'ERR_KERNEL_UNKNOWN_INDICATOR' },
    { message: 'params that are an array', name: 'rsi', params: [14], input: close, code: 'ERR_KERNEL_BAD_PARAM' },
    { message: 'params that are a number', name: 'rsi', params: 14, input: close, code: 'ERR_KERNEL_BAD_PARAM' },
    { message: 'an unknown parameter', name: 'rsi', params: { periods: 14 }, input: close, code: 'ERR_KERNEL_BAD_PARAM', pattern: /expected a parameter of rsi \(period\), was "periods"/ },
    { message: 'any parameter for obv', name: 'obv', params: { period: 3 }, input: ohlcv, code: 'ERR_KERNEL_BAD_PARAM', pattern: /no parameters for obv/ },
    { message: 'a period given as a string', name: 'rsi', params: { period: '14' }, input: close, code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period 0', name: 'sma', params: { period: 0 }, input: close, code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period 2.5', name: 'wma', params: { period: 2.5 }, input: close, code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'a period above the bound', name: 'cci', params: { period: 100_001 }, input: ohlcv, code: 'ERR_KERNEL_BAD_PERIOD', pattern: /cci period to be an integer in 1\.\.100000/ },
    { message: 'a multiplier above the bound', name: 'bollinger', params: { multiplier: 101 }, input: close, code: 'ERR_KERNEL_BAD_PARAM' },
    { message: 'a multiplier that is NaN', name: 'bollinger', params: { multiplier: NaN }, input: close, code: 'ERR_KERNEL_BAD_PARAM' },
    { message: 'macd fast not below slow', name: 'macd', params: { fastPeriod: 30 }, input: close, code: 'ERR_KERNEL_BAD_PARAM', pattern: /fastPeriod < slowPeriod 26/ },
    { message: 'no input', name: 'rsi', params: {}, input: undefined, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a string as input', name: 'rsi', params: {}, input: '1,2,3', code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'a series with a string in it', name: 'rsi', params: {}, input: [1, '2', 3], code: 'ERR_KERNEL_BAD_INPUT', pattern: /series\[1\] to be a number or null, was "2"/ },
    { message: 'a Float32Array', name: 'rsi', params: {}, input: new Float32Array(4), code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'an OHLCV indicator given a series', name: 'adx', params: {}, input: close, code: 'ERR_KERNEL_BAD_INPUT', pattern: /OHLCV columns \{high, low, close\} for adx, was a series/ },
    { message: 'an unknown OHLCV field', name: 'atr', params: {}, input: { ...ohlcv, closes: [1] }, code: 'ERR_KERNEL_BAD_INPUT', pattern: /was "closes"/ },
    { message: 'a missing OHLCV field', name: 'atr', params: {}, input: { high: [1], low: [1] }, code: 'ERR_KERNEL_BAD_INPUT', pattern: /ohlcv\.close/ },
    {
      message: 'OHLCV columns of unequal lengths',
      name: 'cci',
      params: {},
      input: { high: [1, 2, 3], low: [1, 2], close: [1, 2, 3] },
      code: 'ERR_KERNEL_BAD_INPUT',
      pattern: /expected equal lengths, was high 3, low 2, close 3/,
    },
    { message: 'a series indicator given OHLCV without a close', name: 'ema', params: {}, input: { high: [1, 2] }, code: 'ERR_KERNEL_BAD_INPUT' },
    { message: 'an OHLCV column that is not an array', name: 'obv', params: {}, input: { close: 5, volume: [1] }, code: 'ERR_KERNEL_BAD_INPUT' },
  ];
  for (const { message, name, params, input, code, pattern } of cases) {
    it(`${message}: ${code}`, () => {
      expect(codeOf(() => indicators.compute(name, params, input))).toBe(code);
      if (pattern !== undefined) expect(() => indicators.compute(name, params, input)).toThrowError(pattern);
    });
  }

  it('every error carries the HTTP status the gateway answers with', () => {
    let thrown: unknown;
    try {
      indicators.compute('rsx', {}, close);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as KernelError).httpStatus).toBe(400);
  });
});

describe('backend choice per primitive (stub primitives)', () => {
  /** A primitive that fills its output with `mark`, so the test sees which backend ran. */
  function marking(mark: number): IndicatorPrimitives['rsi'] {
    return (_input, _period, output) => void output.fill(mark);
  }
  const loaded: LoadedIndicatorPrimitives = {
    primitives: {
      ts: tsPrimitives,
      native: { rsi: marking(1) },
      wasm: { rsi: marking(2), wma: marking(2) },
    },
    unavailable: { native: 'stub: only rsi' },
  };

  const cases: { preference: 'native' | 'wasm' | 'ts'; rsi: string; wma: string; macd: string; rsiMark: number | null }[] = [
    { preference: 'native', rsi: 'native', wma: 'wasm', macd: 'ts', rsiMark: 1 },
    { preference: 'wasm', rsi: 'wasm', wma: 'wasm', macd: 'ts', rsiMark: 2 },
    { preference: 'ts', rsi: 'ts', wma: 'ts', macd: 'ts', rsiMark: null },
  ];
  for (const { preference, rsi, wma, macd, rsiMark } of cases) {
    it(`preferring ${preference}: rsi on ${rsi}, wma on ${wma}, macd on ${macd}; never a faster backend than preferred`, () => {
      const selected = selectIndicators(preference, loaded);
      expect(selected.backend).toBe(preference);
      expect(selected.backendFor('rsi')).toBe(rsi);
      expect(selected.backendFor('wma')).toBe(wma);
      expect(selected.backendFor('macd')).toBe(macd);
      expect(selected.unavailable).toEqual({ native: 'stub: only rsi' });
      const values = selected.compute('rsi', {}, close).values!;
      if (rsiMark === null) expectIdentical(values, reference.rsi(close, 14), 'ts rsi');
      else expect(values[0]).toBe(rsiMark);
    });
  }

  it('describe and backendFor refuse unknown indicators', () => {
    expect(codeOf(() => indicators.describe('nope'))).toBe('ERR_KERNEL_UNKNOWN_INDICATOR');
    expect(codeOf(() => indicators.backendFor('nope'))).toBe('ERR_KERNEL_UNKNOWN_INDICATOR');
  });
});

describe('the process-wide indicators', () => {
  it('prefer the kernels facade backend', () => {
    expect(indicators.backend).toBe(kernels.backend);
  });

  it('respect OCTOPUS_KERNELS=ts (checked in a child process)', () => {
    const moduleUrl = new URL('../../../src/kernels/indicators/indicators.ts', import.meta.url).href;
    const script = `import(${JSON.stringify(moduleUrl)}).then((module) => { console.log(JSON.stringify([module.indicators.backend, [...new Set(Object.values(module.indicators.primitiveBackends))]])); });`;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, OCTOPUS_KERNELS: 'ts' },
      encoding: 'utf8',
    });
    expect(JSON.parse(output.trim())).toEqual(['ts', ['ts']]);
  });
});
