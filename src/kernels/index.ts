/**
 * The kernels facade: one sma/ema API over three backends that give bit-identical results.
 *
 *   native  Rust addon (native/), zero-copy, fastest. Built by `npm run build:native`; needs cargo.
 *   wasm    AssemblyScript with SIMD (asm/), copies in and out. Built by `npm run build:asm`.
 *   ts      the TypeScript reference (src/kernels/reference/), always there.
 *
 * At load the facade picks the fastest backend that loads (native, then wasm, then ts), unless the
 * environment variable OCTOPUS_KERNELS names one (ts | wasm | native); naming one that is not available
 * makes the import throw, so a deployment that expects the addon cannot silently run slower.
 *
 *   import { kernels } from './kernels/index.js';
 *   if (kernels.reason !== null) log.warn(kernels.reason);   // "Rust addon not built (...); running on WASM"
 *   const average = kernels.sma(closes, 20);
 */
import { kernelError } from './errors.js';
import { loadNativeBackend } from './native-backend.js';
import { tsBackend } from './ts-backend.js';
import { loadWasmBackend, type WasmBackend } from './wasm-backend.js';
import type { BackendName, KernelBackend } from './contract.js';

export type { BackendName, KernelBackend } from './contract.js';
export { kEmaBlockLength, kInputLengthMax } from './contract.js';
export { KernelError, kernelErrorCodes, type KernelErrorCode } from './errors.js';
export type { ResidentSeries, WasmBackend } from './wasm-backend.js';

/** Fastest first: the order in which the facade tries the backends. */
export const backendNames: readonly BackendName[] = Object.freeze(['native', 'wasm', 'ts']);

const backendLabels: Readonly<Record<BackendName, string>> = { native: 'Rust', wasm: 'WASM', ts: 'TS reference' };

export interface Kernels extends KernelBackend {
  /** The backend that sma/ema run on. */
  readonly backend: BackendName;
  /** Every backend that loaded, fastest first; 'ts' is always last. */
  readonly available: readonly BackendName[];
  /** Why each missing backend is missing (for diagnostics). */
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
  /**
   * One line for the start-up log whenever the kernels do not run on Rust, else null, e.g.
   * "Rust addon not built (native/octopus.linux-x64.node missing; run npm run build:native); running on WASM".
   */
  readonly reason: string | null;
}

/** What loading found: the backends that loaded, and why each other one did not. */
export interface LoadedBackends {
  readonly backends: Readonly<Partial<Record<BackendName, KernelBackend>>>;
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
}

let loaded: LoadedBackends | null = null;

/** Loads every backend once per process (per worker thread); failures are recorded, never thrown. */
export function loadBackends(): LoadedBackends {
  if (loaded !== null) return loaded;
  const backends: Partial<Record<BackendName, KernelBackend>> = { ts: tsBackend };
  const unavailable: Partial<Record<BackendName, string>> = {};
  const native = loadNativeBackend();
  if (native.backend !== null) backends.native = native.backend;
  else unavailable.native = native.reason;
  const wasm = loadWasmBackend();
  if (wasm.backend !== null) backends.wasm = wasm.backend;
  else unavailable.wasm = wasm.reason;
  loaded = { backends, unavailable };
  return loaded;
}

function isBackendName(value: string): value is BackendName {
  return (backendNames as readonly string[]).includes(value);
}

/**
 * One backend by name, for tests and benches that compare backends directly.
 * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND for a name that is not native/wasm/ts,
 *   ERR_KERNEL_BACKEND_UNAVAILABLE (with the reason) when that backend did not load.
 */
export function getBackend(name: BackendName): KernelBackend {
  if (typeof name !== 'string' || !isBackendName(name)) {
    throw kernelError('ERR_KERNEL_UNKNOWN_BACKEND', `one of ${backendNames.join(', ')}`, JSON.stringify(name));
  }
  const { backends, unavailable } = loadBackends();
  const backend = backends[name];
  if (backend === undefined) {
    throw kernelError('ERR_KERNEL_BACKEND_UNAVAILABLE', `the ${backendLabels[name]} backend to be available`, `${unavailable[name]}`);
  }
  return backend;
}

/** The WASM backend with its extras (resident series), or null, without throwing, when it is not built. */
export function getWasmBackend(): WasmBackend | null {
  const backend = loadBackends().backends.wasm;
  return backend === undefined ? null : (backend as WasmBackend);
}

/**
 * Chooses the backend as the facade does at load, for a given OCTOPUS_KERNELS value (undefined or '' means
 * "fastest available"). Tests pass their own `loadedBackends` to play out missing builds.
 * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND for an unknown value, ERR_KERNEL_BACKEND_UNAVAILABLE when
 *   the named backend did not load.
 */
export function selectKernels(preference: string | undefined, loadedBackends: LoadedBackends = loadBackends()): Kernels {
  const { backends, unavailable } = loadedBackends;
  const available = backendNames.filter((name) => backends[name] !== undefined);
  const wanted = (preference ?? '').trim().toLowerCase();
  let chosen: BackendName;
  if (wanted === '') {
    chosen = available[0] ?? 'ts';
  } else if (!isBackendName(wanted)) {
    throw kernelError(
      'ERR_KERNEL_UNKNOWN_BACKEND',
      `OCTOPUS_KERNELS to be one of ${backendNames.join(', ')} (or unset)`,
      JSON.stringify(preference),
    );
  } else if (backends[wanted] === undefined) {
    throw kernelError(
      'ERR_KERNEL_BACKEND_UNAVAILABLE',
      `OCTOPUS_KERNELS=${wanted} to name an available backend (${available.join(', ')})`,
      `${unavailable[wanted]}`,
    );
  } else {
    chosen = wanted;
  }
  const backend = backends[chosen]!;
  return Object.freeze({
    name: backend.name,
    backend: chosen,
    available: Object.freeze(available),
    unavailable: Object.freeze({ ...unavailable }),
    reason: describeChoice(chosen, wanted !== '', unavailable),
    sma: (input: Float64Array, period: number, out?: Float64Array) => backend.sma(input, period, out),
    ema: (input: Float64Array, period: number, out?: Float64Array) => backend.ema(input, period, out),
  });
}

/**
 * The start-up line when not running on Rust: why each faster backend is missing, whether the choice was
 * forced, and what runs, e.g. "Rust addon not built (...); running on WASM". Null on Rust.
 */
function describeChoice(
  chosen: BackendName,
  isForced: boolean,
  unavailable: Readonly<Partial<Record<BackendName, string>>>,
): string | null {
  if (chosen === 'native') return null;
  const faster = backendNames.slice(0, backendNames.indexOf(chosen));
  const parts = faster.flatMap((name) => (unavailable[name] === undefined ? [] : [unavailable[name]]));
  if (isForced) parts.push(`OCTOPUS_KERNELS=${chosen}`);
  parts.push(`running on ${backendLabels[chosen]}`);
  return parts.join('; ');
}

/** The process-wide kernels, chosen once at import (see the module comment). */
export const kernels: Kernels = selectKernels(process.env.OCTOPUS_KERNELS);
