/**
 * The three backends of the statistics and risk kernels, and the choice between them.
 *
 *   native  the stats* functions of the Rust addon (native/src/stats.rs, linalg.rs, risk.rs)
 *   wasm    build/asm/risk.wasm, compiled from asm/risk.ts
 *   ts      the reference (src/kernels/stats/reference.ts, linalg.ts, src/kernels/var/random.ts)
 *
 * Only the heavy, bit-defined parts run on a backend: the O(T N^2) cross products of the covariance, the
 * O(N^3) Cholesky and the Monte Carlo paths. Everything around them (checks, demeaning, weights,
 * quantiles) is TS, once, for every backend, so the backends see identical operands and return identical
 * bits. The choice is src/kernels/backend.ts's: the fastest that loaded (native, wasm, ts) unless
 * OCTOPUS_KERNELS names one; a stale artifact (built before these kernels, or with a different recipe
 * version) is refused with a reason.
 */
import { backendFamily, callNative, loadNativeBackend, loadWasmBackend, nativeAddonPath, wasmModulePath } from '../backend.js';
import type { ArtifactRecipe, BackendChoice, BackendLoad, BackendName, WasmExportsBase, WasmInstance } from '../backend.js';
import { kernelError } from '../errors.js';
import { choleskyUnchecked } from './linalg.js';
import { monteCarloSumsUnchecked } from '../var/random.js';
import { crossProductsUnchecked } from './reference.js';

/**
 * The recipe version of these kernels. The compiled backends export the same number; it changes whenever
 * an algorithm's operation order changes (a stale build would silently disagree with the reference).
 */
export const kStatsKernelVersion = 1;

/** The kernels each backend implements. Arguments are checked by the caller (src/kernels/stats/stats.ts, var/). */
export interface StatsBackend {
  readonly name: BackendName;
  /** See crossProductsUnchecked: out = upper-triangle sums over t of left[t][i] right[t][j], mirrored. `right` may be `left`. */
  crossProducts(left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array): void;
  /** See choleskyUnchecked: -1, or the failing pivot index (its value left in factor[j][j]). `factor` must be zeroed. */
  cholesky(matrix: Float64Array, n: number, factor: Float64Array): number;
  /** See monteCarloSumsUnchecked: out[s] = horizon P&L of stream streamStart + s. dof 0 = normal. */
  monteCarloSums(exposures: Float64Array, days: number, seed: number, streamStart: number, dof: number, out: Float64Array): void;
}

export const tsStatsBackend: StatsBackend = Object.freeze({
  name: 'ts' as const,
  crossProducts: crossProductsUnchecked,
  cholesky: choleskyUnchecked,
  monteCarloSums: monteCarloSumsUnchecked,
});

/** The same recipe for both compiled backends; only the export names differ (statsCholesky vs cholesky). */
function recipe(functions: readonly string[], versionExport: string): ArtifactRecipe {
  return { exportsLabel: 'the statistics kernels', functions, versionExport, version: kStatsKernelVersion, versionLabel: 'statistics kernels version' };
}

// ---------------------------------------------------------------------------------------------------
// Rust

/** The functions native/src/{stats,linalg,risk}.rs add to the addon. */
export interface NativeStatsAddon {
  statsVersion(): number;
  statsCrossProducts(left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array): void;
  statsCholesky(matrix: Float64Array, n: number, factor: Float64Array): number;
  statsMonteCarloSums(exposures: Float64Array, days: number, seed: number, streamStart: number, dof: number, out: Float64Array): void;
}

/** Loads the statistics kernels from the Rust addon at `path`; never throws. */
export function loadNativeStatsBackend(path: string = nativeAddonPath): BackendLoad<StatsBackend> {
  return loadNativeBackend(path, recipe(['statsCrossProducts', 'statsCholesky', 'statsMonteCarloSums'], 'statsVersion'), nativeStatsBackend);
}

/** Wraps the addon; an addon error after our own checks is a broken invariant (ERR_KERNEL_BACKEND_FAILED). */
export function nativeStatsBackend(addon: NativeStatsAddon): StatsBackend {
  return Object.freeze({
    name: 'native' as const,
    crossProducts: (left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array) =>
      callNative(() => addon.statsCrossProducts(left, right, observations, assets, out)),
    cholesky: (matrix: Float64Array, n: number, factor: Float64Array) => callNative(() => addon.statsCholesky(matrix, n, factor)),
    monteCarloSums: (exposures: Float64Array, days: number, seed: number, streamStart: number, dof: number, out: Float64Array) =>
      callNative(() => addon.statsMonteCarloSums(exposures, days, seed, streamStart, dof, out)),
  });
}

// ---------------------------------------------------------------------------------------------------
// WASM

/** The exports of build/asm/risk.wasm (see asm/risk.ts for the memory layout). */
interface RiskWasmExports extends WasmExportsBase {
  version(): number;
  heapStart(): number;
  reserve(bytes: number): number;
  crossProducts(leftPointer: number, rightPointer: number, observations: number, assets: number, outPointer: number): void;
  cholesky(matrixPointer: number, n: number, factorPointer: number): number;
  monteCarloSums(exposuresPointer: number, assets: number, days: number, seed: number, streamStart: number, dof: number, outPointer: number, count: number): void;
}

/** Loads build/asm/risk.wasm (or `path`); never throws. */
export function loadWasmStatsBackend(path: string = wasmModulePath('risk')): BackendLoad<StatsBackend> {
  const exports = recipe(['crossProducts', 'cholesky', 'monteCarloSums', 'heapStart', 'reserve'], 'version');
  return loadWasmBackend(path, 'WASM risk kernels', exports, (instance: WasmInstance<RiskWasmExports>) => wasmStatsBackend(instance));
}

/**
 * Copies the operands into wasm memory at 16-byte aligned offsets after the module's static data, runs
 * the kernel and copies the result out. Memory only grows (to the largest call so far).
 */
function wasmStatsBackend(instance: WasmInstance<RiskWasmExports>): StatsBackend {
  const exports = instance.exports;
  /**
   * Lays out each distinct array once (an array passed as input and output is copied in and out; one
   * passed twice is copied once), copies the inputs in, runs `kernel` with a pointer lookup, copies the
   * outputs out.
   */
  const run = <T>(inputs: readonly Float64Array[], outputs: readonly Float64Array[], kernel: (pointer: (array: Float64Array) => number) => T): T => {
    const arrays = [...new Set([...inputs, ...outputs])];
    const offsets = layout(exports, arrays.map((array) => array.length));
    const pointer = (array: Float64Array): number => offsets[arrays.indexOf(array)]!;
    const memory = instance.view();
    for (const input of new Set(inputs)) memory.set(input, pointer(input) / 8);
    const result = instance.call(() => kernel(pointer));
    const after = instance.view();
    for (const output of outputs) output.set(after.subarray(pointer(output) / 8, pointer(output) / 8 + output.length));
    return result;
  };
  return Object.freeze({
    name: 'wasm' as const,
    crossProducts(left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array): void {
      run([left, right], [out], (at) => exports.crossProducts(at(left), at(right), observations, assets, at(out)));
    },
    cholesky(matrix: Float64Array, n: number, factor: Float64Array): number {
      return run([matrix, factor], [factor], (at) => exports.cholesky(at(matrix), n, at(factor)));
    },
    monteCarloSums(exposures: Float64Array, days: number, seed: number, streamStart: number, dof: number, out: Float64Array): void {
      // seed and streamStart are u32 in the module; `| 0` passes their bits through the i32 boundary.
      run([exposures], [out], (at) => exports.monteCarloSums(at(exposures), exposures.length, days, seed | 0, streamStart | 0, dof, at(out), out.length));
    },
  });
}

/** Byte offsets for float64 arrays of these lengths, 16-byte aligned, after growing the memory. */
function layout(exports: RiskWasmExports, lengths: readonly number[]): number[] {
  const pointers: number[] = [];
  let end = exports.heapStart();
  for (const length of lengths) {
    pointers.push(end);
    end += Math.ceil((length * 8) / 16) * 16;
  }
  if (exports.reserve(end) !== 1) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', 'operands the wasm memory can hold', `${end} bytes`);
  }
  return pointers;
}

// ---------------------------------------------------------------------------------------------------
// Selection

export type StatsKernelsChoice = BackendChoice<StatsBackend>;

/** Loading, picking by name and choosing by OCTOPUS_KERNELS, as every family (see BackendFamily). */
export const { load: loadStatsBackends, get: getStatsBackend, select: selectStatsBackend } = backendFamily<StatsBackend>(
  { noun: 'statistics backend', subject: 'statistics kernels', ts: tsStatsBackend, native: loadNativeStatsBackend, wasm: loadWasmStatsBackend },
);
