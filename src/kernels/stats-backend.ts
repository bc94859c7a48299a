/**
 * The three backends of the statistics and risk kernels, and the choice between them.
 *
 *   native  the Rust addon (native/src/stats.rs, linalg.rs, risk.rs), the same file as the moving averages
 *   wasm    build/asm/risk.wasm, compiled from asm/risk.ts
 *   ts      the reference (src/kernels/reference/stats.ts, linalg.ts, risk-random.ts)
 *
 * Only the heavy, bit-defined parts run on a backend: the O(T N^2) cross products of the covariance, the
 * O(N^3) Cholesky and the Monte Carlo paths. Everything around them (checks, demeaning, weights,
 * quantiles) is TS, once, for every backend, so the backends see identical operands and return identical
 * bits. The choice follows src/kernels/index.ts: the fastest that loaded (native, wasm, ts) unless
 * OCTOPUS_KERNELS names one; a stale artifact (built before these kernels, or with a different recipe
 * version) is refused with a reason.
 */
import { fileURLToPath } from 'node:url';
import { nativeAddonPath, requireNativeAddon, readWasmBytes } from './artifacts.js';
import type { BackendName } from './contract.js';
import { KernelError, kernelError } from './errors.js';
import { choleskyUnchecked } from './reference/linalg.js';
import { monteCarloSumsUnchecked } from './reference/risk-random.js';
import { crossProductsUnchecked } from './reference/stats.js';

/**
 * The recipe version of these kernels. The compiled backends export the same number; it changes whenever
 * an algorithm's operation order changes (a stale build would silently disagree with the reference).
 */
export const kStatsKernelVersion = 1;

/** The kernels each backend implements. Arguments are checked by the caller (src/kernels/stats.ts, risk*.ts). */
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

// ---------------------------------------------------------------------------------------------------
// Rust

/** The functions native/src/{stats,linalg,risk}.rs add to the addon. */
export interface NativeStatsAddon {
  statsKernelVersion(): number;
  crossProducts(left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array): void;
  cholesky(matrix: Float64Array, n: number, factor: Float64Array): number;
  monteCarloSums(exposures: Float64Array, days: number, seed: number, streamStart: number, dof: number, out: Float64Array): void;
}

export type StatsLoadResult = { backend: StatsBackend; reason: null } | { backend: null; reason: string };

/** Loads the statistics kernels from the Rust addon at `path`; never throws. */
export function loadNativeStatsBackend(path: string = nativeAddonPath): StatsLoadResult {
  const loaded = requireNativeAddon<Partial<NativeStatsAddon>>(path);
  if (loaded.value === null) return { backend: null, reason: loaded.reason };
  const addon = loaded.value;
  if (typeof addon.statsKernelVersion !== 'function' || typeof addon.crossProducts !== 'function') {
    return { backend: null, reason: 'Rust addon stale: expected the statistics kernels (run npm run build:native)' };
  }
  const version = addon.statsKernelVersion();
  if (version !== kStatsKernelVersion) {
    return { backend: null, reason: `Rust addon stale: expected statistics kernels version ${kStatsKernelVersion}, was ${version} (run npm run build:native)` };
  }
  return { backend: nativeStatsBackend(addon as NativeStatsAddon), reason: null };
}

/** Wraps the addon; an addon error after our own checks is a broken invariant (ERR_KERNEL_BACKEND_FAILED). */
export function nativeStatsBackend(addon: NativeStatsAddon): StatsBackend {
  const invoke = <T>(kernel: () => T): T => {
    try {
      return kernel();
    } catch (error) {
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the Rust kernel to accept checked arguments', String(error), { cause: error });
    }
  };
  return Object.freeze({
    name: 'native' as const,
    crossProducts: (left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array) =>
      invoke(() => addon.crossProducts(left, right, observations, assets, out)),
    cholesky: (matrix: Float64Array, n: number, factor: Float64Array) => invoke(() => addon.cholesky(matrix, n, factor)),
    monteCarloSums: (exposures: Float64Array, days: number, seed: number, streamStart: number, dof: number, out: Float64Array) =>
      invoke(() => addon.monteCarloSums(exposures, days, seed, streamStart, dof, out)),
  });
}

// ---------------------------------------------------------------------------------------------------
// WASM

/** build/asm/risk.wasm, resolved like src/kernels/artifacts.ts resolves the moving averages. */
export const riskWasmModulePath = fileURLToPath(new URL('../../build/asm/risk.wasm', import.meta.url));

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The exports of build/asm/risk.wasm (see asm/risk.ts for the memory layout). */
interface RiskWasmExports {
  memory: WasmMemory;
  statsKernelVersion(): number;
  heapStart(): number;
  reserve(bytes: number): number;
  crossProducts(leftPointer: number, rightPointer: number, observations: number, assets: number, outPointer: number): void;
  cholesky(matrixPointer: number, n: number, factorPointer: number): number;
  monteCarloSums(exposuresPointer: number, assets: number, days: number, seed: number, streamStart: number, dof: number, outPointer: number, count: number): void;
}

/** Loads build/asm/risk.wasm (or `path`); never throws. */
export function loadWasmStatsBackend(path: string = riskWasmModulePath): StatsLoadResult {
  const loaded = readWasmBytes(path, 'WASM risk kernels');
  if (loaded.value === null) return { backend: null, reason: loaded.reason };
  const bytes = loaded.value;
  try {
    const backend = new WasmStatsBackend(new webAssembly.Module(bytes));
    const version = backend.version();
    if (version !== kStatsKernelVersion) {
      return { backend: null, reason: `WASM risk kernels stale: expected version ${kStatsKernelVersion}, was ${version} (run npm run build:asm)` };
    }
    return { backend, reason: null };
  } catch (error) {
    return { backend: null, reason: `WASM risk kernels failed to load (${String(error)})` };
  }
}

/**
 * Copies the operands into wasm memory at 16-byte aligned offsets after the module's static data, runs
 * the kernel and copies the result out. Memory only grows (to the largest call so far).
 */
export class WasmStatsBackend implements StatsBackend {
  readonly name = 'wasm' as const;
  private readonly exports: RiskWasmExports;
  private abortMessage: string | null = null;

  constructor(module: object) {
    const instance = new webAssembly.Instance(module, {
      env: {
        abort: (_message: number, _file: number, line: number, column: number) => {
          this.abortMessage = `assertion at asm/risk.ts:${line}:${column}`;
          throw new Error(`wasm abort: ${this.abortMessage}`);
        },
      },
    });
    this.exports = instance.exports as unknown as RiskWasmExports;
  }

  version(): number {
    return this.exports.statsKernelVersion();
  }

  crossProducts(left: Float64Array, right: Float64Array, observations: number, assets: number, out: Float64Array): void {
    const shared = left === right;
    const [leftPointer, rightPointer, outPointer] = this.layout(left.length, shared ? 0 : right.length, out.length);
    const memory = new Float64Array(this.exports.memory.buffer);
    memory.set(left, leftPointer / 8);
    if (!shared) memory.set(right, rightPointer / 8);
    this.call(() => this.exports.crossProducts(leftPointer, shared ? leftPointer : rightPointer, observations, assets, outPointer));
    out.set(new Float64Array(this.exports.memory.buffer, outPointer, out.length));
  }

  cholesky(matrix: Float64Array, n: number, factor: Float64Array): number {
    const [matrixPointer, factorPointer] = this.layout(matrix.length, factor.length, 0);
    const memory = new Float64Array(this.exports.memory.buffer);
    memory.set(matrix, matrixPointer / 8);
    memory.set(factor, factorPointer / 8);
    const failed = this.call(() => this.exports.cholesky(matrixPointer, n, factorPointer));
    factor.set(new Float64Array(this.exports.memory.buffer, factorPointer, factor.length));
    return failed;
  }

  monteCarloSums(exposures: Float64Array, days: number, seed: number, streamStart: number, dof: number, out: Float64Array): void {
    const [exposuresPointer, outPointer] = this.layout(exposures.length, out.length, 0);
    new Float64Array(this.exports.memory.buffer).set(exposures, exposuresPointer / 8);
    this.call(() =>
      // seed and streamStart are u32 in the module; `| 0` passes their bits through the i32 boundary.
      this.exports.monteCarloSums(exposuresPointer, exposures.length, days, seed | 0, streamStart | 0, dof, outPointer, out.length),
    );
    out.set(new Float64Array(this.exports.memory.buffer, outPointer, out.length));
  }

  /** Byte offsets for three float64 arrays of these lengths, 16-byte aligned, after growing the memory. */
  private layout(first: number, second: number, third: number): [number, number, number] {
    const start = this.exports.heapStart();
    const aligned = (length: number): number => Math.ceil((length * 8) / 16) * 16;
    const pointers: [number, number, number] = [start, start + aligned(first), start + aligned(first) + aligned(second)];
    const end = pointers[2] + aligned(third);
    if (this.exports.reserve(end) !== 1) {
      throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', 'operands the wasm memory can hold', `${end} bytes`);
    }
    return pointers;
  }

  private call<T>(kernel: () => T): T {
    try {
      return kernel();
    } catch (error) {
      if (error instanceof KernelError) throw error;
      const detail = this.abortMessage ?? String(error);
      this.abortMessage = null;
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the wasm risk kernel to return', `a trap: ${detail}`, { cause: error });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Selection

const kBackendOrder: readonly BackendName[] = ['native', 'wasm', 'ts'];
const kLabels: Readonly<Record<BackendName, string>> = { native: 'Rust', wasm: 'WASM', ts: 'TS reference' };

export interface LoadedStatsBackends {
  readonly backends: Readonly<Partial<Record<BackendName, StatsBackend>>>;
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
}

let loaded: LoadedStatsBackends | null = null;

/** Loads every statistics backend once per thread; failures are recorded, never thrown. */
export function loadStatsBackends(): LoadedStatsBackends {
  if (loaded !== null) return loaded;
  const backends: Partial<Record<BackendName, StatsBackend>> = { ts: tsStatsBackend };
  const unavailable: Partial<Record<BackendName, string>> = {};
  const native = loadNativeStatsBackend();
  if (native.backend !== null) backends.native = native.backend;
  else unavailable.native = native.reason;
  const wasm = loadWasmStatsBackend();
  if (wasm.backend !== null) backends.wasm = wasm.backend;
  else unavailable.wasm = wasm.reason;
  loaded = { backends, unavailable };
  return loaded;
}

/**
 * One statistics backend by name, for tests and benches.
 * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND, ERR_KERNEL_BACKEND_UNAVAILABLE (with the reason).
 */
export function getStatsBackend(name: BackendName): StatsBackend {
  if (typeof name !== 'string' || !kBackendOrder.includes(name)) {
    throw kernelError('ERR_KERNEL_UNKNOWN_BACKEND', `one of ${kBackendOrder.join(', ')}`, JSON.stringify(name));
  }
  const { backends, unavailable } = loadStatsBackends();
  const backend = backends[name];
  if (backend === undefined) {
    throw kernelError('ERR_KERNEL_BACKEND_UNAVAILABLE', `the ${kLabels[name]} statistics backend to be available`, `${unavailable[name]}`);
  }
  return backend;
}

export interface StatsKernelsChoice {
  readonly backend: StatsBackend;
  readonly available: readonly BackendName[];
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
  /** One line for the start-up log when not on Rust, else null. */
  readonly reason: string | null;
}

/**
 * Chooses as src/kernels/index.ts does, for an OCTOPUS_KERNELS value (undefined or '' = fastest).
 * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND, ERR_KERNEL_BACKEND_UNAVAILABLE.
 */
export function selectStatsBackend(preference: string | undefined, loadedBackends: LoadedStatsBackends = loadStatsBackends()): StatsKernelsChoice {
  const { backends, unavailable } = loadedBackends;
  const available = kBackendOrder.filter((name) => backends[name] !== undefined);
  const wanted = (preference ?? '').trim().toLowerCase();
  let chosen: BackendName;
  if (wanted === '') chosen = available[0] ?? 'ts';
  else if (!(kBackendOrder as readonly string[]).includes(wanted)) {
    throw kernelError('ERR_KERNEL_UNKNOWN_BACKEND', `OCTOPUS_KERNELS to be one of ${kBackendOrder.join(', ')} (or unset)`, JSON.stringify(preference));
  } else if (backends[wanted as BackendName] === undefined) {
    throw kernelError(
      'ERR_KERNEL_BACKEND_UNAVAILABLE',
      `OCTOPUS_KERNELS=${wanted} to name an available statistics backend (${available.join(', ')})`,
      `${unavailable[wanted as BackendName]}`,
    );
  } else chosen = wanted as BackendName;
  const faster = kBackendOrder.slice(0, kBackendOrder.indexOf(chosen));
  const parts = faster.flatMap((name) => (unavailable[name] === undefined ? [] : [unavailable[name]]));
  if (wanted !== '') parts.push(`OCTOPUS_KERNELS=${chosen}`);
  parts.push(`statistics kernels running on ${kLabels[chosen]}`);
  return Object.freeze({
    backend: backends[chosen]!,
    available: Object.freeze(available),
    unavailable: Object.freeze({ ...unavailable }),
    reason: chosen === 'native' ? null : parts.join('; '),
  });
}
