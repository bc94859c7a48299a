/**
 * Technical indicators in plain TypeScript: the batch functions over Float64Arrays, and (re-exported from
 * streaming.ts) their streaming forms with save and restore.
 *
 * Every batch function returns arrays of the input's length with NaN during the warm-up, which follows
 * TA-Lib's lookback for each function (documented per indicator in docs/indicators.md and in the
 * registry, src/kernels/indicators/registry.ts). They are compositions of a few primitive kernels
 * (primitives.ts) and elementwise formulas (below). `createIndicatorFunctions(primitives)`
 * builds them over any backend's primitives; the exports of this module run on the TypeScript ones, which
 * define the results: the streaming classes and the WASM and Rust primitives give the same bits.
 *
 * Errors (KernelError, "expected X, was Y"):
 *   ERR_KERNEL_BAD_INPUT       a series that is not a Float64Array, a missing OHLCV field, unequal lengths
 *   ERR_KERNEL_INPUT_TOO_LONG  more than kInputLengthMax points
 *   ERR_KERNEL_BAD_PERIOD      a period that is not an integer >= 1
 *   ERR_KERNEL_BAD_PARAM       another parameter out of range (a multiplier, fastPeriod >= slowPeriod)
 *   ERR_KERNEL_BAD_OUTPUT, ERR_KERNEL_ALIASED_OUTPUT  an `out` array of the wrong length or sharing memory
 */
import { kInputLengthMax } from '../contract.js';
import { describeValue, kernelError } from '../errors.js';
import { tsPrimitives, type IndicatorPrimitives } from './primitives.js';
import {
  demaValue,
  directionalIndex,
  directionalIndicator,
  donchianMiddle,
  minusDirectionalMovement,
  plusDirectionalMovement,
  stochasticK,
  stochasticLookback,
  temaValue,
  trueRange,
  typicalPrice,
  vwapValue,
  type AdxOutputs,
  type BandOutputs,
  type BollingerParams,
  type MacdOutputs,
  type MacdParams,
  type StochasticOutputs,
  type StochasticParams,
} from './formulas.js';

export { macdLookback, primitiveNames, tsPrimitives, zScoreValue, type IndicatorPrimitives, type PrimitiveName } from './primitives.js';
export { rsiFromAverages, cciFromWindow, kCciConstant } from './windows.js';
export * from './formulas.js';
export * from './streaming.js';
export { kIndicatorStateVersion, type SavedNumber } from './state.js';

/** OHLCV columns, one Float64Array each, all of one length. */
export interface OhlcvSeries {
  readonly open?: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume?: Float64Array;
}

export type OhlcvField = 'open' | 'high' | 'low' | 'close' | 'volume';
export const ohlcvFields: readonly OhlcvField[] = Object.freeze(['open', 'high', 'low', 'close', 'volume']);

/** The OHLCV input of an indicator that reads the fields K. */
export type OhlcvOf<K extends OhlcvField> = { readonly [P in K]: Float64Array } & { readonly [P in Exclude<OhlcvField, K>]?: Float64Array };

/** The batch indicators, over one set of primitives. Every function validates its arguments first. */
export interface IndicatorFunctions {
  sma(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  ema(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  wma(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  dema(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  tema(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  rsi(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  macd(input: Float64Array, params: MacdParams, out?: MacdOutputs): MacdOutputs;
  bollinger(input: Float64Array, params: BollingerParams, out?: BandOutputs): BandOutputs;
  standardDeviation(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  zScore(input: Float64Array, period: number, out?: Float64Array): Float64Array;
  atr(input: OhlcvOf<'high' | 'low' | 'close'>, period: number, out?: Float64Array): Float64Array;
  adx(input: OhlcvOf<'high' | 'low' | 'close'>, period: number, out?: AdxOutputs): AdxOutputs;
  stochastic(input: OhlcvOf<'high' | 'low' | 'close'>, params: StochasticParams, out?: StochasticOutputs): StochasticOutputs;
  cci(input: OhlcvOf<'high' | 'low' | 'close'>, period: number, out?: Float64Array): Float64Array;
  obv(input: OhlcvOf<'close' | 'volume'>, out?: Float64Array): Float64Array;
  vwap(input: OhlcvOf<'high' | 'low' | 'close' | 'volume'>, period: number, out?: Float64Array): Float64Array;
  donchian(input: OhlcvOf<'high' | 'low'>, period: number, out?: BandOutputs): BandOutputs;
}

// ---------------------------------------------------------------------------------------------------
// Argument checks

/**
 * A series argument. @throws KernelError ERR_KERNEL_BAD_INPUT when not a Float64Array,
 * ERR_KERNEL_INPUT_TOO_LONG beyond kInputLengthMax.
 */
export function checkSeries(input: unknown, label = 'input'): Float64Array {
  if (!(input instanceof Float64Array)) throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be a Float64Array`, describeValue(input));
  if (input.length > kInputLengthMax) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kInputLengthMax} points`, `${input.length}`);
  }
  return input;
}

/**
 * OHLCV columns: every field in `required` present, every field given a Float64Array, all of one length.
 * Returns that length.
 * @throws KernelError ERR_KERNEL_BAD_INPUT ("expected equal lengths, was high 10, low 9") or
 *   ERR_KERNEL_INPUT_TOO_LONG.
 */
export function checkOhlcv(input: unknown, required: readonly OhlcvField[]): number {
  if (typeof input !== 'object' || input === null || input instanceof Float64Array || Array.isArray(input)) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', `OHLCV columns {${required.join(', ')}}`, describeValue(input));
  }
  const columns = input as Partial<Record<OhlcvField, unknown>>;
  for (const field of required) {
    if (columns[field] === undefined) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `ohlcv.${field} (this indicator reads ${required.join(', ')})`, 'missing');
    }
  }
  const lengths: string[] = [];
  let length = -1;
  let isEqual = true;
  for (const field of ohlcvFields) {
    const column = columns[field];
    if (column === undefined) continue;
    checkSeries(column, `ohlcv.${field}`);
    const columnLength = (column as Float64Array).length;
    lengths.push(`${field} ${columnLength}`);
    if (length >= 0 && columnLength !== length) isEqual = false;
    length = columnLength;
  }
  if (!isEqual) throw kernelError('ERR_KERNEL_BAD_INPUT', 'equal lengths', lengths.join(', '));
  return length;
}

/**
 * A period argument: any integer >= 1 (longer than the series gives all NaN).
 * @throws KernelError ERR_KERNEL_BAD_PERIOD naming the parameter.
 */
export function checkPeriodParam(value: unknown, name = 'period'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw kernelError('ERR_KERNEL_BAD_PERIOD', `${name} to be an integer >= 1`, describeValue(value));
  }
  return value;
}

/** @throws KernelError ERR_KERNEL_BAD_PARAM unless fastPeriod < slowPeriod (and BAD_PERIOD for each). */
function checkMacdParams(params: unknown): MacdParams {
  const { fastPeriod, slowPeriod, signalPeriod } = paramsRecord(params, 'MACD');
  const checked = {
    fastPeriod: checkPeriodParam(fastPeriod, 'fastPeriod'),
    slowPeriod: checkPeriodParam(slowPeriod, 'slowPeriod'),
    signalPeriod: checkPeriodParam(signalPeriod, 'signalPeriod'),
  };
  if (checked.fastPeriod >= checked.slowPeriod) {
    throw kernelError('ERR_KERNEL_BAD_PARAM', `fastPeriod < slowPeriod ${checked.slowPeriod}`, `${checked.fastPeriod}`);
  }
  return checked;
}

/** @throws KernelError ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_PARAM (a multiplier that is not finite and >= 0). */
function checkBollingerParams(params: unknown): BollingerParams {
  const { period, multiplier } = paramsRecord(params, 'Bollinger');
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 0) {
    throw kernelError('ERR_KERNEL_BAD_PARAM', 'multiplier to be a finite number >= 0', describeValue(multiplier));
  }
  return { period: checkPeriodParam(period), multiplier };
}

/** @throws KernelError ERR_KERNEL_BAD_PERIOD for each period. */
function checkStochasticParams(params: unknown): StochasticParams {
  const { kPeriod, kSmoothing, dPeriod } = paramsRecord(params, 'stochastic');
  return {
    kPeriod: checkPeriodParam(kPeriod, 'kPeriod'),
    kSmoothing: checkPeriodParam(kSmoothing, 'kSmoothing'),
    dPeriod: checkPeriodParam(dPeriod, 'dPeriod'),
  };
}

function paramsRecord(params: unknown, label: string): Record<string, unknown> {
  if (typeof params !== 'object' || params === null) {
    throw kernelError('ERR_KERNEL_BAD_PARAM', `${label} parameters as an object`, describeValue(params));
  }
  return params as Record<string, unknown>;
}

/**
 * The output arrays: the caller's, checked, or new ones. None may share memory with an input or with
 * another output, because the kernels read ahead of where they write and use outputs as scratch.
 * @throws KernelError ERR_KERNEL_BAD_OUTPUT, ERR_KERNEL_ALIASED_OUTPUT.
 */
function outputsFor<K extends string>(
  names: readonly K[],
  given: unknown,
  length: number,
  inputs: readonly (Float64Array | undefined)[],
): Record<K, Float64Array> {
  const outputs = {} as Record<K, Float64Array>;
  if (given === undefined) {
    for (const name of names) outputs[name] = new Float64Array(length);
    return outputs;
  }
  if (typeof given !== 'object' || given === null) {
    throw kernelError('ERR_KERNEL_BAD_OUTPUT', `out to hold ${names.join(', ')}`, describeValue(given));
  }
  const seen: Float64Array[] = [];
  for (const name of names) {
    const output = (given as Record<string, unknown>)[name];
    outputs[name] = checkOutput(output, length, `out.${name}`, [...inputs, ...seen]);
    seen.push(outputs[name]);
  }
  return outputs;
}

function singleOutput(given: unknown, length: number, inputs: readonly (Float64Array | undefined)[]): Float64Array {
  return given === undefined ? new Float64Array(length) : checkOutput(given, length, 'out', inputs);
}

function checkOutput(output: unknown, length: number, label: string, others: readonly (Float64Array | undefined)[]): Float64Array {
  if (!(output instanceof Float64Array)) {
    throw kernelError('ERR_KERNEL_BAD_OUTPUT', `${label} to be a Float64Array`, describeValue(output));
  }
  if (output.length !== length) {
    throw kernelError('ERR_KERNEL_BAD_OUTPUT', `${label}.length to equal the input length ${length}`, `${output.length}`);
  }
  for (const other of others) {
    if (other !== undefined && overlaps(output, other)) {
      throw kernelError('ERR_KERNEL_ALIASED_OUTPUT', `${label} not to share memory with an input or another output`, 'overlapping');
    }
  }
  return output;
}

function overlaps(first: Float64Array, second: Float64Array): boolean {
  if (first.buffer !== second.buffer || first.length === 0 || second.length === 0) return false;
  return first.byteOffset < second.byteOffset + second.byteLength && second.byteOffset < first.byteOffset + first.byteLength;
}

// ---------------------------------------------------------------------------------------------------
// Compositions

/** The batch indicators over `primitives` (see IndicatorFunctions; errors in the module comment). */
export function createIndicatorFunctions(primitives: IndicatorPrimitives): IndicatorFunctions {
  const seriesFunction =
    (primitive: (input: Float64Array, period: number, output: Float64Array) => void) =>
    (input: Float64Array, period: number, out?: Float64Array): Float64Array => {
      const series = checkSeries(input);
      checkPeriodParam(period);
      const output = singleOutput(out, series.length, [series]);
      primitive(series, period, output);
      return output;
    };
  return Object.freeze({
    sma: seriesFunction((input, period, output) => primitives.sma(input, period, output)),
    ema: seriesFunction((input, period, output) => primitives.ema(input, period, output)),
    wma: seriesFunction((input, period, output) => primitives.wma(input, period, output)),
    rsi: seriesFunction((input, period, output) => primitives.rsi(input, period, output)),
    standardDeviation: seriesFunction((input, period, output) => primitives.movingStd(input, period, output)),
    zScore: seriesFunction((input, period, output) => primitives.zScore(input, period, output)),
    dema: seriesFunction((input, period, output) => demaWith(primitives, input, period, output)),
    tema: seriesFunction((input, period, output) => temaWith(primitives, input, period, output)),
    macd(input: Float64Array, params: MacdParams, out?: MacdOutputs): MacdOutputs {
      const series = checkSeries(input);
      const { fastPeriod, slowPeriod, signalPeriod } = checkMacdParams(params);
      const outputs = outputsFor(['macd', 'signal', 'histogram'], out, series.length, [series]);
      primitives.macd(series, fastPeriod, slowPeriod, signalPeriod, outputs.macd, outputs.signal, outputs.histogram);
      return outputs;
    },
    bollinger(input: Float64Array, params: BollingerParams, out?: BandOutputs): BandOutputs {
      const series = checkSeries(input);
      const { period, multiplier } = checkBollingerParams(params);
      const outputs = outputsFor(['upper', 'middle', 'lower'], out, series.length, [series]);
      primitives.bollinger(series, period, multiplier, outputs.upper, outputs.middle, outputs.lower);
      return outputs;
    },
    atr(input: OhlcvOf<'high' | 'low' | 'close'>, period: number, out?: Float64Array): Float64Array {
      const length = checkOhlcv(input, ['high', 'low', 'close']);
      checkPeriodParam(period);
      const output = singleOutput(out, length, ohlcvColumns(input));
      atrWith(primitives, input, period, output);
      return output;
    },
    adx(input: OhlcvOf<'high' | 'low' | 'close'>, period: number, out?: AdxOutputs): AdxOutputs {
      const length = checkOhlcv(input, ['high', 'low', 'close']);
      checkPeriodParam(period);
      const outputs = outputsFor(['adx', 'plusDi', 'minusDi'], out, length, ohlcvColumns(input));
      adxWith(primitives, input, period, outputs);
      return outputs;
    },
    stochastic(input: OhlcvOf<'high' | 'low' | 'close'>, params: StochasticParams, out?: StochasticOutputs): StochasticOutputs {
      const length = checkOhlcv(input, ['high', 'low', 'close']);
      const checked = checkStochasticParams(params);
      const outputs = outputsFor(['k', 'd'], out, length, ohlcvColumns(input));
      stochasticWith(primitives, input, checked, outputs);
      return outputs;
    },
    cci(input: OhlcvOf<'high' | 'low' | 'close'>, period: number, out?: Float64Array): Float64Array {
      const length = checkOhlcv(input, ['high', 'low', 'close']);
      checkPeriodParam(period);
      const output = singleOutput(out, length, ohlcvColumns(input));
      const typical = new Float64Array(length);
      for (let index = 0; index < length; index++) {
        typical[index] = typicalPrice(input.high[index]!, input.low[index]!, input.close[index]!);
      }
      primitives.cci(typical, period, output);
      return output;
    },
    obv(input: OhlcvOf<'close' | 'volume'>, out?: Float64Array): Float64Array {
      const length = checkOhlcv(input, ['close', 'volume']);
      const output = singleOutput(out, length, ohlcvColumns(input));
      primitives.obv(input.close, input.volume, output);
      return output;
    },
    vwap(input: OhlcvOf<'high' | 'low' | 'close' | 'volume'>, period: number, out?: Float64Array): Float64Array {
      const length = checkOhlcv(input, ['high', 'low', 'close', 'volume']);
      checkPeriodParam(period);
      const output = singleOutput(out, length, ohlcvColumns(input));
      vwapWith(primitives, input, period, output);
      return output;
    },
    donchian(input: OhlcvOf<'high' | 'low'>, period: number, out?: BandOutputs): BandOutputs {
      const length = checkOhlcv(input, ['high', 'low']);
      checkPeriodParam(period);
      const outputs = outputsFor(['upper', 'middle', 'lower'], out, length, ohlcvColumns(input));
      primitives.highest(input.high, period, outputs.upper);
      primitives.lowest(input.low, period, outputs.lower);
      for (let index = 0; index < length; index++) outputs.middle[index] = donchianMiddle(outputs.upper[index]!, outputs.lower[index]!);
      return outputs;
    },
  });
}

function ohlcvColumns(input: Partial<Record<OhlcvField, Float64Array>>): (Float64Array | undefined)[] {
  return ohlcvFields.map((field) => input[field]);
}

function demaWith(primitives: IndicatorPrimitives, input: Float64Array, period: number, output: Float64Array): void {
  const first = new Float64Array(input.length);
  const second = new Float64Array(input.length);
  primitives.ema(input, period, first);
  primitives.ema(first, period, second);
  for (let index = 0; index < input.length; index++) output[index] = demaValue(first[index]!, second[index]!);
}

function temaWith(primitives: IndicatorPrimitives, input: Float64Array, period: number, output: Float64Array): void {
  const first = new Float64Array(input.length);
  const second = new Float64Array(input.length);
  primitives.ema(input, period, first);
  primitives.ema(first, period, second);
  // The third EMA goes straight into the output; each point is read before it is overwritten.
  primitives.ema(second, period, output);
  for (let index = 0; index < input.length; index++) output[index] = temaValue(first[index]!, second[index]!, output[index]!);
}

/** ATR: Wilder's smoothing of the true range (TA-Lib's lookback: period). */
function atrWith(primitives: IndicatorPrimitives, input: OhlcvOf<'high' | 'low' | 'close'>, period: number, output: Float64Array): void {
  const { high, low, close } = input;
  const ranges = new Float64Array(close.length);
  for (let index = 0; index < close.length; index++) {
    ranges[index] = trueRange(high[index]!, low[index]!, index === 0 ? Number.NaN : close[index - 1]!);
  }
  primitives.wilder(ranges, period, output);
}

/**
 * ADX (Wilder, 1978): true range, +DM and -DM smoothed by Wilder's smoothing (means, which give the same
 * ratios as Wilder's running sums), +DI and -DI from them (from index period), DX, and the ADX as Wilder's
 * smoothing of DX seeded with the mean of its first `period` values (from index 2 period - 1, TA-Lib's
 * lookback). A bar whose true range or movements are not finite is a gap for all three smoothers.
 */
function adxWith(primitives: IndicatorPrimitives, input: OhlcvOf<'high' | 'low' | 'close'>, period: number, outputs: AdxOutputs): void {
  const { high, low, close } = input;
  const length = close.length;
  const ranges = new Float64Array(length);
  const plusMoves = new Float64Array(length);
  const minusMoves = new Float64Array(length);
  for (let index = 0; index < length; index++) {
    const bar = index === 0 ? null : index - 1;
    const range = bar === null ? Number.NaN : trueRange(high[index]!, low[index]!, close[bar]!);
    const plus = bar === null ? Number.NaN : plusDirectionalMovement(high[index]!, low[index]!, high[bar]!, low[bar]!);
    const minus = bar === null ? Number.NaN : minusDirectionalMovement(high[index]!, low[index]!, high[bar]!, low[bar]!);
    const isGap = range !== range || plus !== plus;
    ranges[index] = isGap ? Number.NaN : range;
    plusMoves[index] = isGap ? Number.NaN : plus;
    minusMoves[index] = isGap ? Number.NaN : minus;
  }
  const smoothedRanges = new Float64Array(length);
  primitives.wilder(ranges, period, smoothedRanges);
  primitives.wilder(plusMoves, period, outputs.plusDi);
  primitives.wilder(minusMoves, period, outputs.minusDi);
  const indexes = ranges;
  for (let index = 0; index < length; index++) {
    const plusIndicator = directionalIndicator(outputs.plusDi[index]!, smoothedRanges[index]!);
    const minusIndicator = directionalIndicator(outputs.minusDi[index]!, smoothedRanges[index]!);
    outputs.plusDi[index] = plusIndicator;
    outputs.minusDi[index] = minusIndicator;
    indexes[index] = directionalIndex(plusIndicator, minusIndicator);
  }
  primitives.wilder(indexes, period, outputs.adx);
}

/**
 * Stochastic oscillator (G. Lane): fast %K over kPeriod, %K = SMA(fast %K, kSmoothing), %D = SMA(%K,
 * dPeriod). Both outputs start at TA-Lib's lookback kPeriod - 1 + kSmoothing - 1 + dPeriod - 1.
 */
function stochasticWith(
  primitives: IndicatorPrimitives,
  input: OhlcvOf<'high' | 'low' | 'close'>,
  params: StochasticParams,
  outputs: StochasticOutputs,
): void {
  const { close } = input;
  const length = close.length;
  const highest = outputs.k;
  const lowest = outputs.d;
  primitives.highest(input.high, params.kPeriod, highest);
  primitives.lowest(input.low, params.kPeriod, lowest);
  const fastK = new Float64Array(length);
  for (let index = 0; index < length; index++) fastK[index] = stochasticK(close[index]!, highest[index]!, lowest[index]!);
  primitives.sma(fastK, params.kSmoothing, outputs.k);
  primitives.sma(outputs.k, params.dPeriod, outputs.d);
  outputs.k.fill(Number.NaN, 0, Math.min(length, stochasticLookback(params)));
}

/**
 * Rolling VWAP over `period` bars: sum(typical price x volume) / sum(volume), as the ratio of the two
 * moving averages (the SMA kernel's window sums, so no drift and NaN confined to its windows).
 */
function vwapWith(
  primitives: IndicatorPrimitives,
  input: OhlcvOf<'high' | 'low' | 'close' | 'volume'>,
  period: number,
  output: Float64Array,
): void {
  const { high, low, close, volume } = input;
  const length = close.length;
  const priceVolume = new Float64Array(length);
  for (let index = 0; index < length; index++) {
    priceVolume[index] = typicalPrice(high[index]!, low[index]!, close[index]!) * volume[index]!;
  }
  const meanVolume = new Float64Array(length);
  primitives.sma(priceVolume, period, output);
  primitives.sma(volume, period, meanVolume);
  for (let index = 0; index < length; index++) output[index] = vwapValue(output[index]!, meanVolume[index]!);
}

/** The indicators on the TypeScript primitives: the reference results. */
export const referenceIndicators: IndicatorFunctions = createIndicatorFunctions(tsPrimitives);

export const {
  sma,
  ema,
  wma,
  dema,
  tema,
  rsi,
  macd,
  bollinger,
  standardDeviation,
  zScore,
  atr,
  adx,
  stochastic,
  cci,
  obv,
  vwap,
  donchian,
} = referenceIndicators;
