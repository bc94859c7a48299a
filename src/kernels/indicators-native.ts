/**
 * The Rust indicator primitives: the napi functions of native/src/indicators.rs, in the same addon as the
 * moving averages (native/octopus.<platform>-<arch>.node, built by npm run build:native).
 *
 * The addon borrows the caller's arrays and writes into the output arrays, so these wrappers only call
 * it. The indicator functions (reference/indicators.ts) have checked every argument before a primitive
 * runs, so an error from the addon is a broken invariant: it is reported as ERR_KERNEL_BACKEND_FAILED
 * with the addon's error as the cause.
 */
import { nativeAddonPath, requireNativeAddon } from './artifacts.js';
import { kernelError } from './errors.js';
import type { IndicatorPrimitives } from './reference/indicators.js';

/** The version of the indicator exports this code expects (INDICATORS_ABI_VERSION in indicators.rs). */
export const kNativeIndicatorsAbiVersion = 1;

/** The indicator functions native/src/indicators.rs exports. */
export interface NativeIndicatorAddon {
  indicatorsAbiVersion(): number;
  indicatorWilder(input: Float64Array, period: number, output: Float64Array): void;
  indicatorRsi(input: Float64Array, period: number, output: Float64Array): void;
  indicatorWma(input: Float64Array, period: number, output: Float64Array): void;
  indicatorMovingStd(input: Float64Array, period: number, output: Float64Array): void;
  indicatorZScore(input: Float64Array, period: number, output: Float64Array): void;
  indicatorHighest(input: Float64Array, period: number, output: Float64Array): void;
  indicatorLowest(input: Float64Array, period: number, output: Float64Array): void;
  indicatorCci(typicalPrice: Float64Array, period: number, output: Float64Array): void;
  indicatorObv(close: Float64Array, volume: Float64Array, output: Float64Array): void;
  indicatorMacd(
    input: Float64Array,
    fastPeriod: number,
    slowPeriod: number,
    signalPeriod: number,
    line: Float64Array,
    signal: Float64Array,
    histogram: Float64Array,
  ): void;
  indicatorBollinger(
    input: Float64Array,
    period: number,
    multiplier: number,
    upper: Float64Array,
    middle: Float64Array,
    lower: Float64Array,
  ): void;
}

export type NativeIndicatorsLoadResult =
  | { primitives: Partial<IndicatorPrimitives>; reason: null }
  | { primitives: Partial<IndicatorPrimitives>; reason: string };

/** Loads the addon at `path`; returns its primitives, or none and the reason (never throws). */
export function loadNativeIndicatorPrimitives(path: string = nativeAddonPath): NativeIndicatorsLoadResult {
  const loaded = requireNativeAddon<NativeIndicatorAddon>(path);
  if (loaded.value === null) return { primitives: {}, reason: loaded.reason };
  const addon = loaded.value;
  if (typeof addon.indicatorsAbiVersion !== 'function') {
    return { primitives: {}, reason: 'Rust addon stale: expected indicator kernels (run npm run build:native)' };
  }
  const version = addon.indicatorsAbiVersion();
  if (version !== kNativeIndicatorsAbiVersion) {
    return {
      primitives: {},
      reason: `Rust addon stale: expected indicator ABI ${kNativeIndicatorsAbiVersion}, was ${version} (run npm run build:native)`,
    };
  }
  return { primitives: nativeIndicatorPrimitives(addon), reason: null };
}

/** The primitives over an addon (a real one, or a hand-written stub in tests). */
export function nativeIndicatorPrimitives(addon: NativeIndicatorAddon): Partial<IndicatorPrimitives> {
  return Object.freeze({
    wilder: (input: Float64Array, period: number, output: Float64Array) => invoke(() => addon.indicatorWilder(input, period, output)),
    rsi: (input: Float64Array, period: number, output: Float64Array) => invoke(() => addon.indicatorRsi(input, period, output)),
    wma: (input: Float64Array, period: number, output: Float64Array) => invoke(() => addon.indicatorWma(input, period, output)),
    movingStd: (input: Float64Array, period: number, output: Float64Array) =>
      invoke(() => addon.indicatorMovingStd(input, period, output)),
    zScore: (input: Float64Array, period: number, output: Float64Array) => invoke(() => addon.indicatorZScore(input, period, output)),
    highest: (input: Float64Array, period: number, output: Float64Array) => invoke(() => addon.indicatorHighest(input, period, output)),
    lowest: (input: Float64Array, period: number, output: Float64Array) => invoke(() => addon.indicatorLowest(input, period, output)),
    cci: (typicalPrice: Float64Array, period: number, output: Float64Array) =>
      invoke(() => addon.indicatorCci(typicalPrice, period, output)),
    obv: (close: Float64Array, volume: Float64Array, output: Float64Array) => invoke(() => addon.indicatorObv(close, volume, output)),
    macd: (
      input: Float64Array,
      fastPeriod: number,
      slowPeriod: number,
      signalPeriod: number,
      line: Float64Array,
      signal: Float64Array,
      histogram: Float64Array,
    ) => invoke(() => addon.indicatorMacd(input, fastPeriod, slowPeriod, signalPeriod, line, signal, histogram)),
    bollinger: (
      input: Float64Array,
      period: number,
      multiplier: number,
      upper: Float64Array,
      middle: Float64Array,
      lower: Float64Array,
    ) => invoke(() => addon.indicatorBollinger(input, period, multiplier, upper, middle, lower)),
  });
}

/** The arguments were checked before, so an addon error is a broken invariant, reported as such. */
function invoke(kernel: () => void): void {
  try {
    kernel();
  } catch (error) {
    throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the Rust indicator kernel to accept checked arguments', String(error), {
      cause: error,
    });
  }
}
