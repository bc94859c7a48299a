/**
 * The indicator registry: for each indicator, its parameters (defaults and bounds), the input it reads
 * (one series, or OHLCV columns), its outputs, its warm-up (TA-Lib's lookback), the primitive kernels it
 * runs on, and how to compute it. The facade (indicators.ts) and the gateway's POST /api/v1/indicators
 * both work from this table, so a request is validated by the same rules everywhere.
 *
 * Parameter errors (KernelError):
 *   ERR_KERNEL_BAD_PARAM   params not an object, an unknown parameter, a number parameter out of bounds,
 *                          parameters inconsistent with each other (MACD fastPeriod >= slowPeriod)
 *   ERR_KERNEL_BAD_PERIOD  a period parameter that is not an integer within its bounds
 */
import { describeValue, kernelError } from '../errors.js';
import {
  macdLookback,
  stochasticLookback,
  type IndicatorFunctions,
  type OhlcvField,
  type OhlcvSeries,
  type PrimitiveName,
} from './batch.js';
import { kIndicatorPeriodMax } from './streaming.js';

export const indicatorNames = [
  'sma',
  'ema',
  'wma',
  'dema',
  'tema',
  'rsi',
  'macd',
  'bollinger',
  'stddev',
  'zscore',
  'atr',
  'adx',
  'stochastic',
  'cci',
  'obv',
  'vwap',
  'donchian',
] as const;

export type IndicatorName = (typeof indicatorNames)[number];

export interface IndicatorParamSpec {
  readonly name: string;
  /** 'period': an integer; 'number': any finite number. Both within [min, max]. */
  readonly kind: 'period' | 'number';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly description: string;
}

/** Resolved parameters: every parameter of the indicator, validated, defaults filled in. */
export type IndicatorParams = Readonly<Record<string, number>>;

/** What `compute` returns: one Float64Array of the input's length per output name. */
export type IndicatorOutputs = Readonly<Record<string, Float64Array>>;

/** The input `compute` receives once converted: one series, or OHLCV columns. */
export type IndicatorData = { kind: 'series'; series: Float64Array } | { kind: 'ohlcv'; ohlcv: OhlcvSeries };

export interface IndicatorSpec {
  readonly name: IndicatorName;
  readonly title: string;
  /** 'series': one series (given OHLCV, the close); 'ohlcv': the columns in `fields`. */
  readonly input: 'series' | 'ohlcv';
  readonly fields: readonly OhlcvField[];
  readonly params: readonly IndicatorParamSpec[];
  readonly outputs: readonly string[];
  /** The primitive kernels it runs on; where a compiled backend lacks one, that one runs in TS. */
  readonly primitives: readonly PrimitiveName[];
  /** The streaming class in src/kernels/indicators/streaming.ts. */
  readonly streaming: string;
  /** Where the formula comes from. */
  readonly source: string;
  /** Index of the first point where every output is defined (TA-Lib's lookback); NaN before. */
  lookback(params: IndicatorParams): number;
  /** The same per output (they differ only for ADX, whose +DI and -DI start earlier). */
  outputLookbacks(params: IndicatorParams): Readonly<Record<string, number>>;
  /** Runs the indicator on validated parameters. @throws KernelError for bad input (see batch.ts). */
  compute(functions: IndicatorFunctions, params: IndicatorParams, data: IndicatorData): IndicatorOutputs;
}

function periodParam(description: string, defaultValue: number, name = 'period', min = 1): IndicatorParamSpec {
  return Object.freeze({ name, kind: 'period', default: defaultValue, min, max: kIndicatorPeriodMax, description });
}

/** Every output shares one lookback. */
function sameLookback(outputs: readonly string[], lookback: (params: IndicatorParams) => number) {
  return (params: IndicatorParams): Readonly<Record<string, number>> =>
    Object.fromEntries(outputs.map((output) => [output, lookback(params)]));
}

function seriesOf(data: IndicatorData): Float64Array {
  return data.kind === 'series' ? data.series : data.ohlcv.close;
}

function ohlcvOf(data: IndicatorData): OhlcvSeries {
  if (data.kind !== 'ohlcv') throw kernelError('ERR_KERNEL_BAD_INPUT', 'OHLCV columns for this indicator', 'a series');
  return data.ohlcv;
}

interface PeriodSpecInput<Data> {
  name: IndicatorName;
  title: string;
  source: string;
  /** 0: the indicator has no period (OBV). */
  defaultPeriod: number;
  primitives: readonly PrimitiveName[];
  streaming: string;
  lookback: (period: number) => number;
  run: (functions: IndicatorFunctions, data: Data, period: number) => Float64Array;
}

/** An indicator of one period (or none) with one output, `values`, over one series or OHLCV columns. */
function periodIndicator<Data>(input: 'series' | 'ohlcv', fields: readonly OhlcvField[], spec: PeriodSpecInput<Data>, dataOf: (data: IndicatorData) => Data): IndicatorSpec {
  const lookback = (params: IndicatorParams): number => spec.lookback(params.period ?? 0);
  const unit = input === 'series' ? 'points' : 'bars';
  return Object.freeze({
    name: spec.name,
    title: spec.title,
    input,
    fields: Object.freeze([...fields]),
    params: Object.freeze(spec.defaultPeriod > 0 ? [periodParam(`Number of ${unit} in the window`, spec.defaultPeriod)] : []),
    outputs: Object.freeze(['values']),
    primitives: Object.freeze([...spec.primitives]),
    streaming: spec.streaming,
    source: spec.source,
    lookback,
    outputLookbacks: sameLookback(['values'], lookback),
    compute: (functions: IndicatorFunctions, params: IndicatorParams, data: IndicatorData) => ({
      values: spec.run(functions, dataOf(data), params.period ?? 0),
    }),
  });
}

const seriesIndicator = (spec: PeriodSpecInput<Float64Array>): IndicatorSpec => periodIndicator('series', [], spec, seriesOf);
const ohlcvIndicator = (spec: PeriodSpecInput<OhlcvSeries> & { fields: readonly OhlcvField[] }): IndicatorSpec =>
  periodIndicator('ohlcv', spec.fields, spec, ohlcvOf);

const windowLookback = (period: number): number => period - 1;

const macdOutputs = Object.freeze(['macd', 'signal', 'histogram']);
const bandOutputs = Object.freeze(['upper', 'middle', 'lower']);
const adxOutputs = Object.freeze(['adx', 'plusDi', 'minusDi']);
const stochasticOutputs = Object.freeze(['k', 'd']);

const specs: readonly IndicatorSpec[] = [
  seriesIndicator({ name: 'sma', title: 'Simple moving average', streaming: 'StreamingSma', primitives: ['sma'], defaultPeriod: 20, lookback: windowLookback, run: (functions, series, period) => functions.sma(series, period),
    source: 'mean of the last `period` points; TA-Lib SMA' }),
  seriesIndicator({ name: 'ema', title: 'Exponential moving average', streaming: 'StreamingEma', primitives: ['ema'], defaultPeriod: 20, lookback: windowLookback, run: (functions, series, period) => functions.ema(series, period),
    source: 'alpha = 2 / (period + 1), seeded with the SMA of the first `period` points; TA-Lib EMA' }),
  seriesIndicator({ name: 'wma', title: 'Weighted moving average', streaming: 'StreamingWma', primitives: ['wma'], defaultPeriod: 20, lookback: windowLookback, run: (functions, series, period) => functions.wma(series, period),
    source: 'weights 1 (oldest) .. period (newest); TA-Lib WMA' }),
  seriesIndicator({ name: 'dema', title: 'Double exponential moving average', streaming: 'StreamingDema', primitives: ['ema'], defaultPeriod: 20, lookback: (period) => 2 * (period - 1), run: (functions, series, period) => functions.dema(series, period),
    source: '2 EMA - EMA(EMA) (P. Mulloy, Technical Analysis of Stocks & Commodities, 1994); TA-Lib DEMA' }),
  seriesIndicator({ name: 'tema', title: 'Triple exponential moving average', streaming: 'StreamingTema', primitives: ['ema'], defaultPeriod: 20, lookback: (period) => 3 * (period - 1), run: (functions, series, period) => functions.tema(series, period),
    source: '3 EMA - 3 EMA(EMA) + EMA(EMA(EMA)) (P. Mulloy, 1994); TA-Lib TEMA' }),
  seriesIndicator({ name: 'rsi', title: 'Relative strength index (Wilder)', streaming: 'StreamingRsi', primitives: ['rsi'], defaultPeriod: 14, lookback: (period) => period, run: (functions, series, period) => functions.rsi(series, period),
    source: "Wilder's smoothing of gains and losses (New Concepts in Technical Trading Systems, 1978); TA-Lib RSI" }),
  Object.freeze({
    name: 'macd',
    title: 'Moving average convergence/divergence',
    source: 'EMA(fast) - EMA(slow), signal = EMA(line) (G. Appel, 1979); TA-Lib MACD lookback',
    input: 'series',
    fields: Object.freeze([]),
    params: Object.freeze([
      periodParam('Fast EMA period (< slowPeriod)', 12, 'fastPeriod'),
      periodParam('Slow EMA period', 26, 'slowPeriod', 2),
      periodParam('Signal EMA period', 9, 'signalPeriod'),
    ]),
    outputs: macdOutputs,
    primitives: Object.freeze(['macd'] as const),
    streaming: 'StreamingMacd',
    lookback: (params: IndicatorParams) => macdLookback(params.slowPeriod!, params.signalPeriod!),
    outputLookbacks: sameLookback(macdOutputs, (params) => macdLookback(params.slowPeriod!, params.signalPeriod!)),
    compute: (functions: IndicatorFunctions, params: IndicatorParams, data: IndicatorData) => {
      const { fastPeriod, slowPeriod, signalPeriod } = params as Record<string, number>;
      return { ...functions.macd(seriesOf(data), { fastPeriod: fastPeriod!, slowPeriod: slowPeriod!, signalPeriod: signalPeriod! }) };
    },
  }),
  Object.freeze({
    name: 'bollinger',
    title: 'Bollinger bands',
    source: 'SMA +- multiplier x population standard deviation (J. Bollinger, 2001); TA-Lib BBANDS',
    input: 'series',
    fields: Object.freeze([]),
    params: Object.freeze([
      periodParam('Number of points in the window', 20),
      Object.freeze({
        name: 'multiplier',
        kind: 'number',
        default: 2,
        min: 0,
        max: 100,
        description: 'Band half-width in standard deviations',
      } as const),
    ]),
    outputs: bandOutputs,
    primitives: Object.freeze(['bollinger'] as const),
    streaming: 'StreamingBollinger',
    lookback: (params: IndicatorParams) => params.period! - 1,
    outputLookbacks: sameLookback(bandOutputs, (params) => params.period! - 1),
    compute: (functions: IndicatorFunctions, params: IndicatorParams, data: IndicatorData) => ({
      ...functions.bollinger(seriesOf(data), { period: params.period!, multiplier: params.multiplier! }),
    }),
  }),
  seriesIndicator({ name: 'stddev', title: 'Moving standard deviation (population)', streaming: 'StreamingStandardDeviation', primitives: ['movingStd'], defaultPeriod: 20, lookback: windowLookback, run: (functions, series, period) => functions.standardDeviation(series, period),
    source: 'sqrt(mean of squares - square of mean) about a centre inside the window; TA-Lib STDDEV (nbDev 1)' }),
  seriesIndicator({ name: 'zscore', title: 'Moving z-score', streaming: 'StreamingZScore', primitives: ['zScore'], defaultPeriod: 20, lookback: windowLookback, run: (functions, series, period) => functions.zScore(series, period),
    source: '(x - moving mean) / moving population standard deviation; 0 where the deviation is 0' }),
  ohlcvIndicator({ name: 'atr', title: 'Average true range (Wilder)', streaming: 'StreamingAtr', primitives: ['wilder'], defaultPeriod: 14, fields: ['high', 'low', 'close'], lookback: (period) => period, run: (functions, ohlcv, period) => functions.atr(ohlcv, period),
    source: "Wilder's smoothing of the true range (1978); TA-Lib ATR" }),
  Object.freeze({
    name: 'adx',
    title: 'Average directional index with +DI and -DI (Wilder)',
    source: 'Wilder (1978): DM and TR smoothed, DI, DX, ADX = smoothed DX; TA-Lib ADX/PLUS_DI/MINUS_DI lookbacks',
    input: 'ohlcv',
    fields: Object.freeze(['high', 'low', 'close'] as const),
    params: Object.freeze([periodParam('Number of bars in the smoothing', 14)]),
    outputs: adxOutputs,
    primitives: Object.freeze(['wilder'] as const),
    streaming: 'StreamingAdx',
    lookback: (params: IndicatorParams) => 2 * params.period! - 1,
    outputLookbacks: (params: IndicatorParams) => ({ adx: 2 * params.period! - 1, plusDi: params.period!, minusDi: params.period! }),
    compute: (functions: IndicatorFunctions, params: IndicatorParams, data: IndicatorData) => ({
      ...functions.adx(ohlcvOf(data), params.period!),
    }),
  }),
  Object.freeze({
    name: 'stochastic',
    title: 'Stochastic oscillator %K and %D',
    source: 'G. Lane: fast %K over kPeriod, SMA-smoothed; TA-Lib STOCH with SMA smoothing',
    input: 'ohlcv',
    fields: Object.freeze(['high', 'low', 'close'] as const),
    params: Object.freeze([
      periodParam('Fast %K look-back', 14, 'kPeriod'),
      periodParam('SMA smoothing of %K (1: fast stochastic)', 3, 'kSmoothing'),
      periodParam('SMA period of %D', 3, 'dPeriod'),
    ]),
    outputs: stochasticOutputs,
    primitives: Object.freeze(['highest', 'lowest', 'sma'] as const),
    streaming: 'StreamingStochastic',
    lookback: (params: IndicatorParams) => stochasticLookbackOf(params),
    outputLookbacks: sameLookback(stochasticOutputs, (params) => stochasticLookbackOf(params)),
    compute: (functions: IndicatorFunctions, params: IndicatorParams, data: IndicatorData) => ({
      ...functions.stochastic(ohlcvOf(data), { kPeriod: params.kPeriod!, kSmoothing: params.kSmoothing!, dPeriod: params.dPeriod! }),
    }),
  }),
  ohlcvIndicator({ name: 'cci', title: 'Commodity channel index', streaming: 'StreamingCci', primitives: ['cci'], defaultPeriod: 20, fields: ['high', 'low', 'close'], lookback: windowLookback, run: (functions, ohlcv, period) => functions.cci(ohlcv, period),
    source: '(TP - SMA(TP)) / (0.015 x mean deviation) (D. Lambert, Commodities, 1980); TA-Lib CCI' }),
  ohlcvIndicator({ name: 'obv', title: 'On-balance volume', streaming: 'StreamingObv', primitives: ['obv'], defaultPeriod: 0, fields: ['close', 'volume'], lookback: () => 0, run: (functions, ohlcv) => functions.obv(ohlcv as OhlcvSeries & { volume: Float64Array }),
    source: 'J. Granville (1963); first value = first volume, as TA-Lib OBV' }),
  ohlcvIndicator({ name: 'vwap', title: 'Rolling volume-weighted average price', streaming: 'StreamingVwap', primitives: ['sma'], defaultPeriod: 20, fields: ['high', 'low', 'close', 'volume'], lookback: windowLookback, run: (functions, ohlcv, period) => functions.vwap(ohlcv as OhlcvSeries & { volume: Float64Array }, period),
    source: 'sum(typical price x volume) / sum(volume) over the last `period` bars' }),
  Object.freeze({
    name: 'donchian',
    title: 'Donchian channels',
    source: 'highest high and lowest low of the last `period` bars, current bar included (TA-Lib MAX/MIN)',
    input: 'ohlcv',
    fields: Object.freeze(['high', 'low'] as const),
    params: Object.freeze([periodParam('Number of bars in the window', 20)]),
    outputs: bandOutputs,
    primitives: Object.freeze(['highest', 'lowest'] as const),
    streaming: 'StreamingDonchian',
    lookback: (params: IndicatorParams) => params.period! - 1,
    outputLookbacks: sameLookback(bandOutputs, (params) => params.period! - 1),
    compute: (functions: IndicatorFunctions, params: IndicatorParams, data: IndicatorData) => ({
      ...functions.donchian(ohlcvOf(data), params.period!),
    }),
  }),
];

function stochasticLookbackOf(params: IndicatorParams): number {
  return stochasticLookback({ kPeriod: params.kPeriod!, kSmoothing: params.kSmoothing!, dPeriod: params.dPeriod! });
}

/** Every indicator, in a stable order. */
export const indicatorRegistry: readonly IndicatorSpec[] = Object.freeze(specs);

const specsByName: ReadonlyMap<string, IndicatorSpec> = new Map(specs.map((spec) => [spec.name, spec]));

/** @throws KernelError ERR_KERNEL_UNKNOWN_INDICATOR. */
export function indicatorSpec(name: unknown): IndicatorSpec {
  const spec = typeof name === 'string' ? specsByName.get(name) : undefined;
  if (spec === undefined) {
    throw kernelError('ERR_KERNEL_UNKNOWN_INDICATOR', `one of ${indicatorNames.join(', ')}`, describeValue(name));
  }
  return spec;
}

/**
 * Validates `params` against the indicator's parameters and fills in the defaults. `undefined` and `null`
 * mean "all defaults".
 * @throws KernelError ERR_KERNEL_BAD_PARAM, ERR_KERNEL_BAD_PERIOD (see the module comment).
 */
export function resolveIndicatorParams(spec: IndicatorSpec, params: unknown): IndicatorParams {
  if (params !== undefined && params !== null && (typeof params !== 'object' || Array.isArray(params))) {
    throw kernelError('ERR_KERNEL_BAD_PARAM', `${spec.name} parameters as an object`, describeValue(params));
  }
  const given = (params ?? {}) as Record<string, unknown>;
  const known = spec.params.map((param) => param.name);
  for (const key of Object.keys(given)) {
    if (!known.includes(key)) {
      const expected = known.length === 0 ? `no parameters for ${spec.name}` : `a parameter of ${spec.name} (${known.join(', ')})`;
      throw kernelError('ERR_KERNEL_BAD_PARAM', expected, describeValue(key));
    }
  }
  const resolved: Record<string, number> = {};
  for (const param of spec.params) {
    const value = given[param.name] === undefined ? param.default : given[param.name];
    resolved[param.name] = checkParam(spec, param, value);
  }
  if (spec.name === 'macd' && resolved.fastPeriod! >= resolved.slowPeriod!) {
    throw kernelError('ERR_KERNEL_BAD_PARAM', `macd fastPeriod < slowPeriod ${resolved.slowPeriod}`, `${resolved.fastPeriod}`);
  }
  return Object.freeze(resolved);
}

function checkParam(spec: IndicatorSpec, param: IndicatorParamSpec, value: unknown): number {
  const bounds = `${param.min}..${param.max}`;
  if (param.kind === 'period') {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < param.min || value > param.max) {
      throw kernelError('ERR_KERNEL_BAD_PERIOD', `${spec.name} ${param.name} to be an integer in ${bounds}`, describeValue(value));
    }
    return value;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < param.min || value > param.max) {
    throw kernelError('ERR_KERNEL_BAD_PARAM', `${spec.name} ${param.name} to be a number in ${bounds}`, describeValue(value));
  }
  return value;
}
