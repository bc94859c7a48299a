/**
 * Loading and choosing the optimiser's backends, as src/kernels/index.ts does for the moving averages:
 * every backend that loads, the fastest first (native, wasm, ts), unless OCTOPUS_KERNELS names one; naming
 * one that is not available throws, so a deployment that expects the addon cannot silently run slower.
 */
import { kernelError } from './errors.js';
import type { BackendName } from './contract.js';
import type { OptimizerBackend } from './optimizer-contract.js';
import { loadOptimizerNativeBackend } from './optimizer-native-backend.js';
import { optimizerTsBackend } from './optimizer-ts-backend.js';
import { loadOptimizerWasmBackend } from './optimizer-wasm-backend.js';

const backendNames: readonly BackendName[] = Object.freeze(['native', 'wasm', 'ts']);
const backendLabels: Readonly<Record<BackendName, string>> = { native: 'Rust', wasm: 'WASM', ts: 'TS reference' };

export interface LoadedOptimizerBackends {
  readonly backends: Readonly<Partial<Record<BackendName, OptimizerBackend>>>;
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
}

export interface OptimizerSelection {
  readonly backend: OptimizerBackend;
  /** Every backend that loaded, fastest first; 'ts' is always last. */
  readonly available: readonly BackendName[];
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
  /** One line for the start-up log whenever the optimiser does not run on Rust, else null. */
  readonly reason: string | null;
}

let loaded: LoadedOptimizerBackends | null = null;

/** Loads every optimiser backend once per process (per worker thread); failures are recorded, never thrown. */
export function loadOptimizerBackends(): LoadedOptimizerBackends {
  if (loaded !== null) return loaded;
  const backends: Partial<Record<BackendName, OptimizerBackend>> = { ts: optimizerTsBackend };
  const unavailable: Partial<Record<BackendName, string>> = {};
  const native = loadOptimizerNativeBackend();
  if (native.backend !== null) backends.native = native.backend;
  else unavailable.native = native.reason;
  const wasm = loadOptimizerWasmBackend();
  if (wasm.backend !== null) backends.wasm = wasm.backend;
  else unavailable.wasm = wasm.reason;
  loaded = { backends, unavailable };
  return loaded;
}

function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (backendNames as readonly string[]).includes(value);
}

/**
 * One optimiser backend by name, for tests, benches and callers that pin one.
 * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND for a name that is not native/wasm/ts,
 *   ERR_KERNEL_BACKEND_UNAVAILABLE (with the reason) when that backend did not load.
 */
export function getOptimizerBackend(name: BackendName, loadedBackends: LoadedOptimizerBackends = loadOptimizerBackends()): OptimizerBackend {
  if (!isBackendName(name)) {
    throw kernelError('ERR_KERNEL_UNKNOWN_BACKEND', `one of ${backendNames.join(', ')}`, JSON.stringify(name) ?? String(name));
  }
  const backend = loadedBackends.backends[name];
  if (backend === undefined) {
    throw kernelError('ERR_KERNEL_BACKEND_UNAVAILABLE', `the ${backendLabels[name]} optimiser to be available`, `${loadedBackends.unavailable[name]}`);
  }
  return backend;
}

/**
 * Chooses the backend for an OCTOPUS_KERNELS value (undefined or '' means "fastest available").
 * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND for an unknown value, ERR_KERNEL_BACKEND_UNAVAILABLE when
 *   the named backend did not load.
 */
export function selectOptimizerBackend(
  preference: string | undefined,
  loadedBackends: LoadedOptimizerBackends = loadOptimizerBackends(),
): OptimizerSelection {
  const { backends, unavailable } = loadedBackends;
  const available = backendNames.filter((name) => backends[name] !== undefined);
  const wanted = (preference ?? '').trim().toLowerCase();
  let chosen: BackendName;
  if (wanted === '') {
    chosen = available[0] ?? 'ts';
  } else if (!isBackendName(wanted)) {
    throw kernelError('ERR_KERNEL_UNKNOWN_BACKEND', `OCTOPUS_KERNELS to be one of ${backendNames.join(', ')} (or unset)`, JSON.stringify(preference));
  } else if (backends[wanted] === undefined) {
    throw kernelError(
      'ERR_KERNEL_BACKEND_UNAVAILABLE',
      `OCTOPUS_KERNELS=${wanted} to name an available optimiser backend (${available.join(', ')})`,
      `${unavailable[wanted]}`,
    );
  } else {
    chosen = wanted;
  }
  const backend = backends[chosen]!;
  let reason: string | null = null;
  if (chosen !== 'native') {
    const faster = backendNames.slice(0, backendNames.indexOf(chosen));
    const parts = faster.flatMap((name) => (unavailable[name] === undefined ? [] : [unavailable[name]]));
    if (wanted !== '') parts.push(`OCTOPUS_KERNELS=${chosen}`);
    parts.push(`optimiser running on ${backendLabels[chosen]}`);
    reason = parts.join('; ');
  }
  return Object.freeze({ backend, available: Object.freeze(available), unavailable: Object.freeze({ ...unavailable }), reason });
}
