/**
 * The kernels facade: one sma/ema API over three backends that give bit-identical results (see
 * src/kernels/backend.ts for how backends are loaded and chosen, and docs/kernels.md).
 *
 *   import { kernels } from './kernels/index.js';
 *   if (kernels.reason !== null) log.warn(kernels.reason);   // "Rust addon not built (...); running on WASM"
 *   const average = kernels.sma(closes, 20);
 *
 * Naming a backend in OCTOPUS_KERNELS that is not available makes the import throw.
 */
import { backendFamily, type BackendName, type LoadedBackends as FamilyLoad } from './backend.js';
import type { KernelBackend } from './contract.js';
import {
  loadNativeMovingAverages,
  loadWasmMovingAverages,
  tsMovingAverages,
  type WasmMovingAverages,
} from './indicators/moving-average-backends.js';

export { backendNames, type BackendName } from './backend.js';
export { kEmaBlockLength, kInputLengthMax, type KernelBackend } from './contract.js';
export { KernelError, kernelErrorCodes, type KernelErrorCode } from './errors.js';
export type { ResidentSeries, WasmMovingAverages } from './indicators/moving-average-backends.js';

export interface Kernels extends KernelBackend {
  /** The backend that sma/ema run on. */
  readonly backend: BackendName;
  /** Every backend that loaded, fastest first; 'ts' is always last. */
  readonly available: readonly BackendName[];
  /** Why each missing backend is missing (for diagnostics). */
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
  /** One line for the start-up log whenever the kernels do not run on Rust, else null. */
  readonly reason: string | null;
}

export type LoadedBackends = FamilyLoad<KernelBackend>;

const movingAverages = backendFamily<KernelBackend>({ noun: 'backend', subject: '', ts: tsMovingAverages, native: loadNativeMovingAverages, wasm: loadWasmMovingAverages });

/** Loading and picking by name, as every family (see BackendFamily in backend.ts). */
export const { load: loadBackends, get: getBackend } = movingAverages;

/** The WASM backend with its extras (resident series), or null, without throwing, when it is not built. */
export function getWasmBackend(): WasmMovingAverages | null {
  return (loadBackends().backends.wasm as WasmMovingAverages | undefined) ?? null;
}

/**
 * Chooses the backend as the facade does at load, for a given OCTOPUS_KERNELS value.
 * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND, ERR_KERNEL_BACKEND_UNAVAILABLE.
 */
export function selectKernels(preference: string | undefined, loadedBackends: LoadedBackends = loadBackends()): Kernels {
  const { backend, available, unavailable, reason } = movingAverages.select(preference, loadedBackends);
  return Object.freeze({
    name: backend.name,
    backend: backend.name,
    available,
    unavailable,
    reason,
    sma: (input: Float64Array, period: number, out?: Float64Array) => backend.sma(input, period, out),
    ema: (input: Float64Array, period: number, out?: Float64Array) => backend.ema(input, period, out),
  });
}

/** The process-wide kernels, chosen once at import. */
export const kernels: Kernels = selectKernels(process.env.OCTOPUS_KERNELS);
