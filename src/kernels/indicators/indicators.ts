/**
 * The indicators facade: every indicator of the registry (registry.ts) as a typed function and
 * through one validated entry point, `compute(name, params, input)`, on the fastest backend.
 *
 *   import { indicators } from './kernels/indicators/indicators.js';
 *   const { values } = indicators.compute('rsi', { period: 14 }, closes);           // closes: Float64Array
 *   const bands = indicators.bollinger(closes, { period: 20, multiplier: 2 });        // { upper, middle, lower }
 *   const adx = indicators.compute('adx', {}, { high, low, close });                  // defaults: period 14
 *
 * Backends. Each indicator is a composition of primitive kernels (src/kernels/<family>/
 * indicators/primitives.ts). The facade takes each primitive from the backend the kernels facade chose
 * (src/kernels/index.ts: native, then wasm, then ts, or OCTOPUS_KERNELS) when that backend implements
 * it, else from the next slower one that does, down to the TypeScript reference, which has them all.
 * `backendFor(name)` says where an indicator runs. All backends give the same results (the tests hold
 * them to 1e-10 relative; in practice the bits are identical).
 *
 * Results: `compute` returns `{ <output>: Float64Array }` with one array of the input's length per
 * output (`values` for single-output indicators), NaN during the warm-up (`describe(name).lookback`).
 * `indicatorOutputsToJson` turns that into plain arrays with null for NaN, for a JSON reply.
 *
 * Errors: every failure is a KernelError with a code (ERR_KERNEL_UNKNOWN_INDICATOR, ERR_KERNEL_BAD_PARAM,
 * ERR_KERNEL_BAD_PERIOD, ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG, ...) and an HTTP status in
 * src/engine/errors.ts.
 */
import { describeValue, kernelError } from '../errors.js';
import { backendNames, kernels, loadBackends, type BackendName } from '../index.js';
import { indicatorRegistry, indicatorSpec, resolveIndicatorParams } from './registry.js';
import type { IndicatorData, IndicatorName, IndicatorOutputs, IndicatorParams, IndicatorSpec } from './registry.js';
import { loadNativeIndicatorPrimitives, loadWasmIndicatorPrimitives } from './compiled-primitives.js';
import { kInputLengthMax } from '../contract.js';
import { createIndicatorFunctions, ohlcvFields, primitiveNames, tsPrimitives } from './batch.js';
import type { IndicatorFunctions, IndicatorPrimitives, OhlcvField, OhlcvSeries, PrimitiveName } from './batch.js';

export * from './registry.js';
export * from './batch.js';

/** A JSON-ready description of one indicator, for a catalogue endpoint. */
export interface IndicatorDescription {
  name: IndicatorName;
  title: string;
  input: 'series' | 'ohlcv';
  fields: OhlcvField[];
  params: { name: string; kind: 'period' | 'number'; default: number; min: number; max: number; description: string }[];
  outputs: string[];
  lookbackAtDefaults: number;
  source: string;
  streaming: string;
  /** Where it runs in this process: the backend of each of its primitives. */
  backends: Partial<Record<PrimitiveName, BackendName>>;
}

export interface Indicators extends IndicatorFunctions {
  /** The preferred backend (the kernels facade's choice); primitives it lacks run on slower ones. */
  readonly backend: BackendName;
  /** The backend each primitive runs on. */
  readonly primitiveBackends: Readonly<Record<PrimitiveName, BackendName>>;
  /** Why a compiled backend's indicator primitives are missing, if they are. */
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
  readonly registry: readonly IndicatorSpec[];
  /** @throws KernelError ERR_KERNEL_UNKNOWN_INDICATOR. */
  describe(name: string): IndicatorSpec;
  /** Every indicator as JSON-ready descriptions. */
  catalogue(): IndicatorDescription[];
  /**
   * The slowest backend among the indicator's primitives: 'native' means it runs entirely in Rust.
   * @throws KernelError ERR_KERNEL_UNKNOWN_INDICATOR.
   */
  backendFor(name: string): BackendName;
  /**
   * Validates everything, fills in default parameters, runs the indicator.
   * @throws KernelError ERR_KERNEL_UNKNOWN_INDICATOR, ERR_KERNEL_BAD_PARAM, ERR_KERNEL_BAD_PERIOD,
   *   ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG.
   */
  compute(name: string, params: unknown, input: unknown): IndicatorOutputs;
}

/** What loading found: each backend's indicator primitives, and why a compiled set is missing. */
export interface LoadedIndicatorPrimitives {
  readonly primitives: Readonly<Partial<Record<BackendName, Partial<IndicatorPrimitives>>>>;
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
}

let loaded: LoadedIndicatorPrimitives | null = null;

/**
 * Loads every backend's primitives once per process (per thread): the SMA and EMA of each kernels
 * backend, plus the indicator kernels of the Rust addon and of build/asm/indicators.wasm. Never throws.
 */
export function loadIndicatorPrimitives(): LoadedIndicatorPrimitives {
  if (loaded !== null) return loaded;
  const primitives: Partial<Record<BackendName, Partial<IndicatorPrimitives>>> = { ts: tsPrimitives };
  const unavailable: Partial<Record<BackendName, string>> = {};
  const { backends, unavailable: kernelReasons } = loadBackends();
  const compiled = { native: loadNativeIndicatorPrimitives(), wasm: loadWasmIndicatorPrimitives() };
  for (const name of ['native', 'wasm'] as const) {
    const backend = backends[name];
    if (backend === undefined) {
      unavailable[name] = kernelReasons[name] ?? `${name} kernels not loaded`;
      continue;
    }
    const movingAverages: Partial<IndicatorPrimitives> = {
      sma: (input, period, output) => void backend.sma(input, period, output),
      ema: (input, period, output) => void backend.ema(input, period, output),
    };
    const result = compiled[name];
    if (result.reason !== null) unavailable[name] = result.reason;
    primitives[name] = { ...movingAverages, ...result.primitives };
  }
  loaded = { primitives, unavailable };
  return loaded;
}

/**
 * Builds the facade for a preferred backend. Tests pass their own `loadedPrimitives` to play out missing
 * builds.
 */
export function selectIndicators(preference: BackendName, loadedPrimitives: LoadedIndicatorPrimitives = loadIndicatorPrimitives()): Indicators {
  const order = backendNames.slice(backendNames.indexOf(preference));
  const chosen = {} as Record<PrimitiveName, BackendName>;
  const primitives = {} as Record<PrimitiveName, unknown>;
  for (const primitive of primitiveNames) {
    const backend = order.find((name) => loadedPrimitives.primitives[name]?.[primitive] !== undefined) ?? 'ts';
    chosen[primitive] = backend;
    primitives[primitive] = (loadedPrimitives.primitives[backend] ?? tsPrimitives)[primitive] ?? tsPrimitives[primitive];
  }
  const functions = createIndicatorFunctions(primitives as unknown as IndicatorPrimitives);
  const primitiveBackends = Object.freeze(chosen);
  const backendFor = (name: string): BackendName => {
    const spec = indicatorSpec(name);
    const used = spec.primitives.map((primitive) => backendNames.indexOf(primitiveBackends[primitive]));
    return backendNames[Math.max(...used)]!;
  };
  return Object.freeze({
    ...functions,
    backend: preference,
    primitiveBackends,
    unavailable: loadedPrimitives.unavailable,
    registry: indicatorRegistry,
    describe: (name: string) => indicatorSpec(name),
    catalogue: () => indicatorRegistry.map((spec) => describeIndicator(spec, primitiveBackends)),
    backendFor,
    compute: (name: string, params: unknown, input: unknown): IndicatorOutputs => {
      const spec = indicatorSpec(name);
      const resolved: IndicatorParams = resolveIndicatorParams(spec, params);
      return spec.compute(functions, resolved, toIndicatorData(spec, input));
    },
  });
}

function describeIndicator(spec: IndicatorSpec, primitiveBackends: Readonly<Record<PrimitiveName, BackendName>>): IndicatorDescription {
  const defaults = Object.fromEntries(spec.params.map((param) => [param.name, param.default]));
  return {
    name: spec.name,
    title: spec.title,
    input: spec.input,
    fields: [...spec.fields],
    params: spec.params.map((param) => ({ ...param })),
    outputs: [...spec.outputs],
    lookbackAtDefaults: spec.lookback(defaults),
    source: spec.source,
    streaming: spec.streaming,
    backends: Object.fromEntries(spec.primitives.map((primitive) => [primitive, primitiveBackends[primitive]])),
  };
}

/**
 * Converts `compute`'s input: a series (Float64Array or numbers/null) or OHLCV columns (an object of
 * them). A series indicator given OHLCV reads its close; an OHLCV indicator given a series is refused.
 * @throws KernelError ERR_KERNEL_BAD_INPUT, ERR_KERNEL_INPUT_TOO_LONG.
 */
function toIndicatorData(spec: IndicatorSpec, input: unknown): IndicatorData {
  if (input instanceof Float64Array || Array.isArray(input)) {
    if (spec.input === 'ohlcv') {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `OHLCV columns {${spec.fields.join(', ')}} for ${spec.name}`, 'a series');
    }
    return { kind: 'series', series: toSeries(input, 'series') };
  }
  if (typeof input !== 'object' || input === null) {
    throw kernelError('ERR_KERNEL_BAD_INPUT', 'a series (array) or OHLCV columns (object)', describeValue(input));
  }
  const columns: Partial<Record<OhlcvField, Float64Array>> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(ohlcvFields as readonly string[]).includes(key)) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `OHLCV fields among ${ohlcvFields.join(', ')}`, describeValue(key));
    }
    columns[key as OhlcvField] = toSeries(value, `ohlcv.${key}`);
  }
  if (spec.input === 'series') {
    if (columns.close === undefined) {
      throw kernelError('ERR_KERNEL_BAD_INPUT', `ohlcv.close (${spec.name} reads one series: the close)`, 'missing');
    }
    return { kind: 'series', series: columns.close };
  }
  return { kind: 'ohlcv', ohlcv: columns as OhlcvSeries };
}

function toSeries(value: unknown, label: string): Float64Array {
  if (value instanceof Float64Array) return value;
  if (!Array.isArray(value)) throw kernelError('ERR_KERNEL_BAD_INPUT', `${label} to be an array of numbers`, describeValue(value));
  if (value.length > kInputLengthMax) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `at most ${kInputLengthMax} points`, `${value.length}`);
  }
  const series = new Float64Array(value.length);
  for (let index = 0; index < value.length; index++) {
    const point: unknown = value[index];
    if (typeof point === 'number') series[index] = point;
    else if (point === null) series[index] = Number.NaN;
    else throw kernelError('ERR_KERNEL_BAD_INPUT', `${label}[${index}] to be a number or null`, describeValue(point));
  }
  return series;
}

/** Outputs as JSON-ready arrays: NaN and infinities become null (JSON has neither). */
export function indicatorOutputsToJson(outputs: IndicatorOutputs): Record<string, (number | null)[]> {
  const json: Record<string, (number | null)[]> = {};
  for (const [name, values] of Object.entries(outputs)) {
    const array: (number | null)[] = new Array(values.length);
    for (let index = 0; index < values.length; index++) {
      const value = values[index]!;
      array[index] = Number.isFinite(value) ? value : null;
    }
    json[name] = array;
  }
  return json;
}

/** The process-wide indicators on the kernels facade's backend (see the module comment). */
export const indicators: Indicators = selectIndicators(kernels.backend);
