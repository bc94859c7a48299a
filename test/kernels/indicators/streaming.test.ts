/**
 * Streaming indicators (src/kernels/indicators/streaming.ts): point by point they give the
 * batch functions' values to the bit, a state saved mid-series and restored (through JSON) continues
 * exactly as the uninterrupted indicator, and hostile states and parameters give typed errors.
 */
import { describe, expect, it } from 'vitest';
import { ema, sma } from '../../../src/kernels/indicators/moving-average.js';
import * as reference from '../../../src/kernels/indicators/batch.js';
import { SmaWindow, Smoother } from '../../../src/kernels/indicators/windows.js';
import { codeOf, expectIdentical, makeSeries, seededRandom } from '../support.js';

interface Bars {
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

interface Stream {
  save(): unknown;
}

interface StreamingCase {
  name: string;
  create(period: number): Stream;
  restore(state: unknown): Stream;
  /** Feeds bar `index` and returns the outputs, in the order of `batch`. */
  feed(stream: Stream, bars: Bars, index: number): number[];
  batch(bars: Bars, period: number): Float64Array[];
}

/** Builds OHLCV bars around a close series: high and low a seeded distance away, volume 1..1000. */
function barsAround(close: Float64Array, seed: number): Bars {
  const random = seededRandom(seed);
  const high = new Float64Array(close.length);
  const low = new Float64Array(close.length);
  const volume = new Float64Array(close.length);
  for (let index = 0; index < close.length; index++) {
    high[index] = close[index]! + random() * 2;
    low[index] = close[index]! - random() * 2;
    volume[index] = 1 + Math.floor(random() * 1000);
  }
  return { high, low, close, volume };
}

function barAt(bars: Bars, index: number) {
  return { high: bars.high[index]!, low: bars.low[index]!, close: bars.close[index]!, volume: bars.volume[index]! };
}

type Updatable<Input, Output> = Stream & { update(input: Input): Output };

function seriesCase(
  name: string,
  create: (period: number) => Updatable<number, number>,
  restore: (state: unknown) => Stream,
  batch: (input: Float64Array, period: number) => Float64Array,
): StreamingCase {
  return {
    name,
    create,
    restore,
    feed: (stream, bars, index) => [(stream as Updatable<number, number>).update(bars.close[index]!)],
    batch: (bars, period) => [batch(bars.close, period)],
  };
}

type Bar = ReturnType<typeof barAt>;

function barCase(
  name: string,
  create: (period: number) => Updatable<Bar, unknown>,
  restore: (state: unknown) => Stream,
  outputs: (result: unknown) => number[],
  batch: (bars: Bars, period: number) => Float64Array[],
): StreamingCase {
  return {
    name,
    create,
    restore,
    feed: (stream, bars, index) => outputs((stream as Updatable<Bar, unknown>).update(barAt(bars, index))),
    batch,
  };
}

const cases: StreamingCase[] = [
  seriesCase('sma', (period) => new reference.StreamingSma(period), reference.StreamingSma.restore, sma),
  seriesCase('ema', (period) => new reference.StreamingEma(period), reference.StreamingEma.restore, ema),
  seriesCase('wma', (period) => new reference.StreamingWma(period), reference.StreamingWma.restore, reference.wma),
  seriesCase('dema', (period) => new reference.StreamingDema(period), reference.StreamingDema.restore, reference.dema),
  seriesCase('tema', (period) => new reference.StreamingTema(period), reference.StreamingTema.restore, reference.tema),
  seriesCase('rsi', (period) => new reference.StreamingRsi(period), reference.StreamingRsi.restore, reference.rsi),
  seriesCase(
    'stddev',
    (period) => new reference.StreamingStandardDeviation(period),
    reference.StreamingStandardDeviation.restore,
    reference.standardDeviation,
  ),
  seriesCase('zscore', (period) => new reference.StreamingZScore(period), reference.StreamingZScore.restore, reference.zScore),
  {
    name: 'macd',
    create: (period) => new reference.StreamingMacd(macdParams(period)),
    restore: reference.StreamingMacd.restore,
    feed: (stream, bars, index) => {
      const point = (stream as reference.StreamingMacd).update(bars.close[index]!);
      return [point.macd, point.signal, point.histogram];
    },
    batch: (bars, period) => {
      const result = reference.macd(bars.close, macdParams(period));
      return [result.macd, result.signal, result.histogram];
    },
  },
  {
    name: 'bollinger',
    create: (period) => new reference.StreamingBollinger({ period, multiplier: 2.5 }),
    restore: reference.StreamingBollinger.restore,
    feed: (stream, bars, index) => {
      const point = (stream as reference.StreamingBollinger).update(bars.close[index]!);
      return [point.upper, point.middle, point.lower];
    },
    batch: (bars, period) => {
      const result = reference.bollinger(bars.close, { period, multiplier: 2.5 });
      return [result.upper, result.middle, result.lower];
    },
  },
  barCase(
    'atr',
    (period) => new reference.StreamingAtr(period),
    reference.StreamingAtr.restore,
    (result) => [result as number],
    (bars, period) => [reference.atr(bars, period)],
  ),
  barCase(
    'adx',
    (period) => new reference.StreamingAdx(period),
    reference.StreamingAdx.restore,
    (result) => {
      const point = result as reference.AdxPoint;
      return [point.adx, point.plusDi, point.minusDi];
    },
    (bars, period) => {
      const result = reference.adx(bars, period);
      return [result.adx, result.plusDi, result.minusDi];
    },
  ),
  barCase(
    'stochastic',
    (period) => new reference.StreamingStochastic(stochasticParams(period)),
    reference.StreamingStochastic.restore,
    (result) => {
      const point = result as reference.StochasticPoint;
      return [point.k, point.d];
    },
    (bars, period) => {
      const result = reference.stochastic(bars, stochasticParams(period));
      return [result.k, result.d];
    },
  ),
  barCase(
    'cci',
    (period) => new reference.StreamingCci(period),
    reference.StreamingCci.restore,
    (result) => [result as number],
    (bars, period) => [reference.cci(bars, period)],
  ),
  barCase(
    'obv',
    () => new reference.StreamingObv(),
    reference.StreamingObv.restore,
    (result) => [result as number],
    (bars) => [reference.obv(bars)],
  ),
  barCase(
    'vwap',
    (period) => new reference.StreamingVwap(period),
    reference.StreamingVwap.restore,
    (result) => [result as number],
    (bars, period) => [reference.vwap(bars, period)],
  ),
  barCase(
    'donchian',
    (period) => new reference.StreamingDonchian(period),
    reference.StreamingDonchian.restore,
    (result) => {
      const point = result as reference.BandPoint;
      return [point.upper, point.middle, point.lower];
    },
    (bars, period) => {
      const result = reference.donchian(bars, period);
      return [result.upper, result.middle, result.lower];
    },
  ),
];

/** MACD parameters derived from one period, so the table can vary it: fast p, slow 2p + 1, signal p. */
function macdParams(period: number): reference.MacdParams {
  return { fastPeriod: period, slowPeriod: 2 * period + 1, signalPeriod: period };
}

function stochasticParams(period: number): reference.StochasticParams {
  return { kPeriod: period, kSmoothing: 3, dPeriod: 2 };
}

/** Runs a stream over bars [from, to) and returns its outputs per output index. */
function run(testCase: StreamingCase, stream: Stream, bars: Bars, from: number, to: number, into: Float64Array[]): void {
  for (let index = from; index < to; index++) {
    testCase.feed(stream, bars, index).forEach((value, output) => {
      into[output]![index] = value;
    });
  }
}

function outputsFor(testCase: StreamingCase, bars: Bars, period: number): Float64Array[] {
  return testCase.batch(bars, period).map((output) => new Float64Array(output.length));
}

const seriesShapes = [
  { label: 'a clean random walk', length: 1_003, seed: 11 },
  { label: 'a walk with 2% NaN and infinities', length: 1_003, seed: 12, badShare: 0.02 },
  { label: 'wild magnitudes 1e-6..1e9 of both signs', length: 517, seed: 13, kind: 'wild' as const },
  { label: 'a short series', length: 5, seed: 14 },
];
const periods = [1, 2, 3, 16, 17, 40];

describe('streaming gives the batch values bit for bit', () => {
  for (const testCase of cases) {
    for (const shape of seriesShapes) {
      it(`${testCase.name} on ${shape.label}, periods ${periods.join(', ')}`, () => {
        const bars = barsAround(makeSeries(shape), shape.seed);
        for (const period of periods) {
          const expected = testCase.batch(bars, period);
          const actual = outputsFor(testCase, bars, period);
          run(testCase, testCase.create(period), bars, 0, bars.close.length, actual);
          expected.forEach((output, index) => expectIdentical(actual[index]!, output, `${testCase.name} ${period} output ${index}`));
        }
      });
    }
  }
});

describe('save mid-series, restore through JSON, continue: the same bits as never stopping', () => {
  const bars = barsAround(makeSeries({ length: 300, seed: 21, badShare: 0.01 }), 21);
  for (const testCase of cases) {
    it(`${testCase.name}: at several points, periods 1, 5 and 16`, () => {
      for (const period of [1, 5, 16]) {
        const expected = testCase.batch(bars, period);
        for (const stop of [0, 1, period - 1, period, period + 1, 2 * period + 3, 77, 299]) {
          const actual = outputsFor(testCase, bars, period);
          const first = testCase.create(period);
          run(testCase, first, bars, 0, stop, actual);
          const state: unknown = JSON.parse(JSON.stringify(first.save()));
          const second = testCase.restore(state);
          run(testCase, second, bars, stop, bars.close.length, actual);
          expected.forEach((output, index) => expectIdentical(actual[index]!, output, `${testCase.name} ${period} stop ${stop} output ${index}`));
        }
      }
    });
  }

  it('a state survives structuredClone as well, and saving does not disturb the indicator', () => {
    const stream = new reference.StreamingRsi(14);
    const closes = makeSeries({ length: 100, seed: 5 });
    for (const close of closes.subarray(0, 50)) stream.update(close);
    const copy = reference.StreamingRsi.restore(structuredClone(stream.save()));
    for (const close of closes.subarray(50)) expect(Object.is(copy.update(close), stream.update(close))).toBe(true);
  });

  it('non-finite numbers are saved as strings, so JSON keeps them', () => {
    const stream = new reference.StreamingSma(3);
    stream.update(Number.NaN);
    stream.update(Number.POSITIVE_INFINITY);
    const saved = stream.save();
    expect(saved.window.block).toEqual(['NaN', 'Infinity']);
    expect(JSON.parse(JSON.stringify(saved))).toEqual(saved);
  });

  it('multi-output indicators reuse one result object (no allocation per point)', () => {
    const stream = new reference.StreamingMacd({ fastPeriod: 2, slowPeriod: 3, signalPeriod: 2 });
    expect(stream.update(1)).toBe(stream.update(2));
  });
});

describe('the streaming blocks equal the moving-average kernels', () => {
  const input = makeSeries({ length: 2_000, seed: 31, badShare: 0.01 });
  for (const period of [1, 2, 7, 16, 33]) {
    it(`SmaWindow and Smoother('ema') give sma and ema's bits, period ${period}`, () => {
      const window = new SmaWindow(period);
      const smoother = new Smoother(period, 'ema');
      expectIdentical(input.map((value) => window.update(value)), sma(input, period), 'sma');
      expectIdentical(input.map((value) => smoother.update(value)), ema(input, period), 'ema');
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// Errors

describe('constructor errors', () => {
  const table: { message: string; call: () => unknown; code: string }[] = [
    { message: 'period 0', call: () => new reference.StreamingSma(0), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period 2.5', call: () => new reference.StreamingRsi(2.5), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period above kIndicatorPeriodMax', call: () => new reference.StreamingWma(reference.kIndicatorPeriodMax + 1), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'period Infinity', call: () => new reference.StreamingAtr(Number.POSITIVE_INFINITY), code: 'ERR_KERNEL_BAD_PERIOD' },
    { message: 'macd fast >= slow', call: () => new reference.StreamingMacd({ fastPeriod: 5, slowPeriod: 5, signalPeriod: 2 }), code: 'ERR_KERNEL_BAD_PARAM' },
    { message: 'bollinger multiplier Infinity', call: () => new reference.StreamingBollinger({ period: 5, multiplier: Number.POSITIVE_INFINITY }), code: 'ERR_KERNEL_BAD_PARAM' },
    { message: 'stochastic dPeriod 0', call: () => new reference.StreamingStochastic({ kPeriod: 5, kSmoothing: 1, dPeriod: 0 }), code: 'ERR_KERNEL_BAD_PERIOD' },
  ];
  for (const { message, call, code } of table) {
    it(`${message}: ${code}`, () => {
      expect(codeOf(call)).toBe(code);
    });
  }
});

describe('restoring a hostile state: ERR_KERNEL_BAD_STATE', () => {
  function savedSma(): Record<string, unknown> {
    const stream = new reference.StreamingSma(3);
    for (const value of [1, 2, 3, 4]) stream.update(value);
    return JSON.parse(JSON.stringify(stream.save())) as Record<string, unknown>;
  }
  const table: { message: string; state: () => unknown; restore?: (state: unknown) => unknown }[] = [
    { message: 'not an object', state: () => 'sma' },
    { message: 'null', state: () => null },
    { message: 'an array', state: () => [] },
    { message: 'another indicator', state: () => savedSma(), restore: reference.StreamingWma.restore },
    { message: 'another version', state: () => ({ ...savedSma(), version: 2 }) },
    { message: 'a period of 0', state: () => ({ ...savedSma(), period: 0 }) },
    { message: 'a window of another period', state: () => ({ ...savedSma(), period: 4 }) },
    { message: 'a window that is missing', state: () => ({ ...savedSma(), window: undefined }) },
    { message: 'a block as long as the period', state: () => ({ ...savedSma(), window: { period: 3, block: [1, 2, 3], previousBlock: [] } }) },
    { message: 'a previous block of the wrong length', state: () => ({ ...savedSma(), window: { period: 3, block: [], previousBlock: [1, 2] } }) },
    { message: 'a string that is not a number', state: () => ({ ...savedSma(), window: { period: 3, block: ['1'], previousBlock: [] } }) },
    { message: 'a null inside a block', state: () => ({ ...savedSma(), window: { period: 3, block: [null], previousBlock: [] } }) },
    {
      message: 'a smoother offset outside its block',
      state: () => ({ ...(new reference.StreamingEma(3).save() as object), smoothers: [{ period: 3, isSeeded: true, runLength: 0, runSum: 0, previous: 1, local: 0, offset: 16 }] }),
      restore: reference.StreamingEma.restore,
    },
    {
      message: 'macd parameters that are inconsistent',
      state: () => ({ ...(new reference.StreamingMacd({ fastPeriod: 2, slowPeriod: 3, signalPeriod: 2 }).save() as object), fastPeriod: 3 }),
      restore: reference.StreamingMacd.restore,
    },
    {
      message: 'a macd with two smoothers',
      state: () => ({ ...(new reference.StreamingMacd({ fastPeriod: 2, slowPeriod: 3, signalPeriod: 2 }).save() as object), smoothers: [] }),
      restore: reference.StreamingMacd.restore,
    },
    {
      message: 'a CCI window longer than the period',
      state: () => ({ ...(new reference.StreamingCci(2).save() as object), window: { period: 2, window: [1, 2, 3] } }),
      restore: reference.StreamingCci.restore,
    },
    {
      message: 'an obv total that is an object',
      state: () => ({ kind: 'obv', version: 1, core: { isStarted: true, previousClose: 1, total: {} } }),
      restore: reference.StreamingObv.restore,
    },
  ];
  for (const { message, state, restore = reference.StreamingSma.restore } of table) {
    it(message, () => {
      expect(codeOf(() => restore(state()))).toBe('ERR_KERNEL_BAD_STATE');
    });
  }

  it('the message names the field', () => {
    expect(() => reference.StreamingSma.restore({ ...savedSma(), window: { period: 3, block: ['x'], previousBlock: [] } })).toThrowError(
      /^ERR_KERNEL_BAD_STATE: expected state\.window\.block\[0\] to be a number or one of/,
    );
  });
});
