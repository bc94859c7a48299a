/**
 * Indicators: our fastest path against two JavaScript libraries, per indicator (SMA 20, EMA 20, RSI 14,
 * Bollinger 20/2, MACD 12/26/9). One operation is one point, so every row's ops_per_s is points per
 * second and rows of different series lengths compare directly.
 *
 * Rows per indicator, each with its ratio against the `technicalindicators` row of the same run:
 *   technicalindicators   the baseline: `X.calculate({ period, values })` on a number[] (how it is used)
 *   trading-signals       a streaming library: `add(value)` per point (v8 API) on the same number[]
 *   ts-reference          our TS reference batch function (src/kernels/indicators/batch.ts)
 *   ts-streaming          our TS streaming class, update() per point (compare with trading-signals)
 *   octopus (<backend>)   the facade on the fastest backend that loaded, writing into preallocated
 *                         outputs (the typed function, as an engine actor would call it)
 *   octopus wasm          the WASM backend, copies in and out included, when the Rust one is the fastest
 *
 * Our rows run on 1,000,000 points (100,000 with --quick). The two libraries are 50 to 1,000 times
 * slower and allocate objects per point; a call on a million points would take seconds, so they run on
 * 100,000 points (10,000 with --quick) and their points/s is scaled by that length. Their cost per point
 * does not fall with length (they are linear), so the comparison, if anything, flatters them: their
 * series fit in cache, ours do not. Every series is one seeded random walk, the libraries' a prefix of it.
 */
import ti from 'technicalindicators';
import { BollingerBands, EMA, MACD, RSI, SMA } from 'trading-signals';
import { getBackend, type BackendName } from '../../src/kernels/index.js';
import { indicators, selectIndicators, type Indicators } from '../../src/kernels/indicators/indicators.js';
import * as reference from '../../src/kernels/indicators/batch.js';
import { measureCases, type BenchCase, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kSuite = 'indicators';
const kPointsFull = 1_000_000;
const kPointsQuick = 100_000;
const kLibraryPointsFull = 100_000;
const kLibraryPointsQuick = 10_000;
const kBaseline = 'technicalindicators';

const kMacd = { fastPeriod: 12, slowPeriod: 26, signalPeriod: 9 };
const kBollinger = { period: 20, multiplier: 2 };

type IndicatorKey = 'sma' | 'ema' | 'rsi' | 'bollinger' | 'macd';

/** A seeded random walk around 100 (mulberry32), as the kernels suite uses. */
function randomWalk(length: number, seed: number): Float64Array {
  const series = new Float64Array(length);
  let state = seed >>> 0;
  let price = 100;
  for (let index = 0; index < length; index++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    price += ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296 - 0.5;
    series[index] = price;
  }
  return series;
}

/** Preallocated outputs for every indicator, so no octopus row pays for allocating megabytes. */
function outputsFor(length: number) {
  const array = () => new Float64Array(length);
  return {
    values: array(),
    macd: { macd: array(), signal: array(), histogram: array() },
    bands: { upper: array(), middle: array(), lower: array() },
  };
}

function octopusCall(facade: Indicators, key: IndicatorKey, input: Float64Array, outputs: ReturnType<typeof outputsFor>): () => unknown {
  switch (key) {
    case 'sma':
      return () => facade.sma(input, 20, outputs.values);
    case 'ema':
      return () => facade.ema(input, 20, outputs.values);
    case 'rsi':
      return () => facade.rsi(input, 14, outputs.values);
    case 'bollinger':
      return () => facade.bollinger(input, kBollinger, outputs.bands);
    case 'macd':
      return () => facade.macd(input, kMacd, outputs.macd);
  }
}

function libraryCases(key: IndicatorKey, values: number[]): BenchCase[] {
  const unitsPerCall = values.length;
  const technical: Record<IndicatorKey, () => unknown> = {
    sma: () => ti.SMA.calculate({ period: 20, values }),
    ema: () => ti.EMA.calculate({ period: 20, values }),
    rsi: () => ti.RSI.calculate({ period: 14, values }),
    bollinger: () => ti.BollingerBands.calculate({ period: 20, stdDev: 2, values }),
    macd: () => ti.MACD.calculate({ values, ...kMacd, SimpleMAOscillator: false, SimpleMASignal: false }),
  };
  const streaming: Record<IndicatorKey, () => { add(value: number): unknown }> = {
    sma: () => new SMA(20),
    ema: () => new EMA(20),
    rsi: () => new RSI(14),
    bollinger: () => new BollingerBands(20, 2),
    macd: () => new MACD(new EMA(12), new EMA(26), new EMA(9)),
  };
  return [
    { name: `${key} ${kBaseline}`, fn: technical[key], unitsPerCall },
    {
      name: `${key} trading-signals`,
      fn: () => {
        const indicator = streaming[key]();
        for (let index = 0; index < values.length; index++) indicator.add(values[index]!);
        return indicator;
      },
      unitsPerCall,
    },
  ];
}

function streamingCase(key: IndicatorKey, input: Float64Array): BenchCase {
  const create: Record<IndicatorKey, () => { update(value: number): unknown }> = {
    sma: () => new reference.StreamingSma(20),
    ema: () => new reference.StreamingEma(20),
    rsi: () => new reference.StreamingRsi(14),
    bollinger: () => new reference.StreamingBollinger(kBollinger),
    macd: () => new reference.StreamingMacd(kMacd),
  };
  return {
    name: `${key} ts-streaming`,
    fn: () => {
      const indicator = create[key]();
      for (let index = 0; index < input.length; index++) indicator.update(input[index]!);
      return indicator;
    },
    unitsPerCall: input.length,
  };
}

function isAvailable(name: BackendName): boolean {
  try {
    getBackend(name);
    return true;
  } catch {
    return false;
  }
}

function casesFor(key: IndicatorKey, input: Float64Array, libraryValues: number[]): BenchCase[] {
  const outputs = outputsFor(input.length);
  const unitsPerCall = input.length;
  const cases: BenchCase[] = [
    ...libraryCases(key, libraryValues),
    { name: `${key} ts-reference`, fn: octopusCall(selectIndicators('ts'), key, input, outputs), unitsPerCall },
    streamingCase(key, input),
    { name: `${key} octopus (${indicators.backend})`, fn: octopusCall(indicators, key, input, outputs), unitsPerCall },
  ];
  if (indicators.backend === 'native' && isAvailable('wasm')) {
    cases.push({ name: `${key} octopus wasm`, fn: octopusCall(selectIndicators('wasm'), key, input, outputs), unitsPerCall });
  }
  return cases;
}

const suite: BenchSuite = {
  name: kSuite,
  description:
    `SMA, EMA, RSI, Bollinger, MACD per point: octopus (fastest backend, ${kPointsFull.toLocaleString('en')} points; quick ` +
    `${kPointsQuick.toLocaleString('en')}) vs technicalindicators (baseline) and trading-signals ` +
    `(${kLibraryPointsFull.toLocaleString('en')} points; quick ${kLibraryPointsQuick.toLocaleString('en')})`,
  async run(options: BenchOptions): Promise<BenchRow[]> {
    const input = randomWalk(options.quick ? kPointsQuick : kPointsFull, 20_240_601);
    const libraryValues = Array.from(input.subarray(0, options.quick ? kLibraryPointsQuick : kLibraryPointsFull));
    const rows: BenchRow[] = [];
    for (const key of ['sma', 'ema', 'rsi', 'bollinger', 'macd'] as const) {
      rows.push(...(await measureCases(kSuite, casesFor(key, input, libraryValues), `${key} ${kBaseline}`, 'point', options)));
    }
    return rows;
  },
};

export default suite;
