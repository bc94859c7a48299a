/**
 * The one kernel backend layer. Every kernel family (moving averages, indicator primitives, statistics,
 * optimiser) has the same three backends and is loaded and chosen here, the same way:
 *
 *   native  the Rust addon (native/), one file for every family: native/octopus.<platform>-<arch>.node
 *   wasm    one AssemblyScript module per family (asm/<family>.ts -> build/asm/<family>.wasm)
 *   ts      the TypeScript reference, always there
 *
 * The fastest backend that loads is used (native, then wasm, then ts) unless the environment variable
 * OCTOPUS_KERNELS names one (ts | wasm | native); naming one that is not available throws, so a deployment
 * that expects the addon cannot silently run slower. A compiled artifact built from older sources (a
 * missing export, another recipe version) is refused with a reason that says how to rebuild it.
 *
 * Paths are resolved from this module's URL, which sits two levels below the repository root both as
 * src/kernels/backend.ts (under tsx or vitest) and as dist/kernels/backend.js (after tsc).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { KernelError, kernelError } from './errors.js';

export type BackendName = 'native' | 'wasm' | 'ts';

/** Fastest first: the order in which the backends are tried. */
export const backendNames: readonly BackendName[] = Object.freeze(['native', 'wasm', 'ts']);

export const backendLabels: Readonly<Record<BackendName, string>> = Object.freeze({ native: 'Rust', wasm: 'WASM', ts: 'TS reference' });

const repositoryRootUrl = new URL('../../', import.meta.url);

/**
 * The Rust addon for this machine, built by `npm run build:native` (scripts/build-native.mjs, which names
 * the file the same way).
 */
export const nativeAddonPath = fileURLToPath(new URL(`native/octopus.${process.platform}-${process.arch}.node`, repositoryRootUrl));

/** build/asm/<family>.wasm, built by `npm run build:asm` (scripts/build-asm.mjs) from asm/<family>.ts. */
export function wasmModulePath(family: string): string {
  return fileURLToPath(new URL(`build/asm/${family}.wasm`, repositoryRootUrl));
}

/** A path relative to the repository root, for messages. */
export function describePath(path: string): string {
  const root = fileURLToPath(repositoryRootUrl);
  return path.startsWith(root) ? path.slice(root.length) : path;
}

/** A loaded backend, or why it could not be loaded. */
export type BackendLoad<T> = { backend: T; reason: null } | { backend: null; reason: string };

/** What a compiled artifact must export to be current: functions, and a recipe version it reports. */
export interface ArtifactRecipe {
  /** What the exports are, in messages: "Rust addon stale: expected <exportsLabel>". */
  readonly exportsLabel: string;
  readonly functions: readonly string[];
  /** The export that reports the version, the version this code expects, and its name in messages. */
  readonly versionExport: string;
  readonly version: number;
  readonly versionLabel: string;
}

/** Null when `exports` fits the recipe, else what is wrong with it. */
function staleness(exports: Record<string, unknown>, recipe: ArtifactRecipe): string | null {
  const missing = [recipe.versionExport, ...recipe.functions].some((name) => typeof exports[name] !== 'function');
  if (missing) return `expected ${recipe.exportsLabel}`;
  const version = (exports[recipe.versionExport] as () => unknown)();
  if (version !== recipe.version) return `expected ${recipe.versionLabel} ${recipe.version}, was ${String(version)}`;
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Rust

/**
 * Loads the Rust addon at `path`, checks it against `recipe` and wraps it with `wrap`; never throws.
 * Every family calls this on the same file; Node loads it once per thread.
 */
export function loadNativeBackend<Addon, B>(path: string, recipe: ArtifactRecipe, wrap: (addon: Addon) => B): BackendLoad<B> {
  let addon: Record<string, unknown>;
  try {
    addon = createRequire(import.meta.url)(path) as Record<string, unknown>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'MODULE_NOT_FOUND' || code === 'ENOENT'
        ? `Rust addon not built (${describePath(path)} missing; run npm run build:native)`
        : `Rust addon failed to load (${describePath(path)}: ${String(error)})`;
    return { backend: null, reason };
  }
  const stale = staleness(addon, recipe);
  if (stale !== null) return { backend: null, reason: `Rust addon stale: ${stale} (run npm run build:native)` };
  return { backend: wrap(addon as Addon), reason: null };
}

/**
 * Runs an addon function. The arguments were checked before, so an addon error is a broken invariant:
 * @throws KernelError ERR_KERNEL_BACKEND_FAILED with the addon's error as the cause.
 */
export function callNative<T>(kernel: () => T): T {
  try {
    return kernel();
  } catch (error) {
    throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the Rust kernel to accept checked arguments', String(error), { cause: error });
  }
}

// ---------------------------------------------------------------------------------------------------
// WebAssembly

/**
 * The slice of the WebAssembly JS API used here. tsconfig's lib (ES2023, no DOM) does not declare
 * WebAssembly, and a global declaration could clash with one added later, so it is typed locally.
 */
export interface WasmModule {
  readonly kind?: never;
}
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** What every module of asm/ exports besides its kernels. */
export interface WasmExportsBase {
  readonly memory: { readonly buffer: ArrayBuffer };
}

/**
 * One instantiation of a module with its memory: a Float64Array view that follows memory growth, and
 * traps turned into typed errors.
 */
export class WasmInstance<Exports extends WasmExportsBase> {
  readonly exports: Exports;
  private memoryView: Float64Array;
  /** Set by the module's abort import (a failed assert) so `call` can report what failed. */
  private abortMessage: string | null = null;

  constructor(module: WasmModule) {
    const instance = new webAssembly.Instance(module, {
      env: {
        abort: (messagePointer: number, fileNamePointer: number, line: number, column: number) => {
          this.abortMessage = `${this.readString(messagePointer)} at ${this.readString(fileNamePointer)}:${line}:${column}`;
          throw new Error(`wasm abort: ${this.abortMessage}`);
        },
      },
    });
    this.exports = instance.exports as Exports;
    this.memoryView = new Float64Array(this.exports.memory.buffer);
  }

  /** A Float64Array over the whole memory; rebuilt after growth, which detaches the old buffer. */
  view(): Float64Array {
    if (this.memoryView.buffer !== this.exports.memory.buffer) this.memoryView = new Float64Array(this.exports.memory.buffer);
    return this.memoryView;
  }

  /**
   * Runs a kernel call. The arguments were checked before, so a trap is a broken invariant, not bad input:
   * @throws KernelError ERR_KERNEL_BACKEND_FAILED (a KernelError thrown inside passes through).
   */
  call<T>(kernel: () => T): T {
    try {
      return kernel();
    } catch (error) {
      if (error instanceof KernelError) throw error;
      const detail = this.abortMessage ?? String(error);
      this.abortMessage = null;
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the wasm kernel to return', `a trap: ${detail}`, { cause: error });
    }
  }

  /** Decodes an AssemblyScript string (UTF-16LE, byte length in the 4 bytes before it); '' if unreadable. */
  private readString(pointer: number): string {
    const buffer = this.exports.memory.buffer;
    if (pointer < 4 || pointer > buffer.byteLength) return '';
    const byteLength = new Uint32Array(buffer.slice(pointer - 4, pointer))[0] ?? 0;
    if (pointer + byteLength > buffer.byteLength) return '';
    return Buffer.from(buffer, pointer, byteLength).toString('utf16le');
  }
}

/**
 * Compiles the module at `path`, checks a first instance against `recipe` and wraps it with `wrap` (which
 * also gets the module, to make more instances); never throws. `label` names the module in reasons
 * ("WASM kernels", "WASM optimiser").
 */
export function loadWasmBackend<Exports extends WasmExportsBase, B>(
  path: string,
  label: string,
  recipe: ArtifactRecipe,
  wrap: (instance: WasmInstance<Exports>, module: WasmModule) => B,
): BackendLoad<B> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? `${label} not built (${describePath(path)} missing; run npm run build:asm)`
        : `${label} unreadable (${describePath(path)}: ${String(error)})`;
    return { backend: null, reason };
  }
  try {
    const module = new webAssembly.Module(bytes);
    const instance = new WasmInstance<Exports>(module);
    const stale = staleness(instance.exports as unknown as Record<string, unknown>, recipe);
    if (stale !== null) return { backend: null, reason: `${label} stale: ${stale} (run npm run build:asm)` };
    return { backend: wrap(instance, module), reason: null };
  } catch (error) {
    return { backend: null, reason: `${label} failed to load (${String(error)})` };
  }
}

// ---------------------------------------------------------------------------------------------------
// Choosing

/** What loading found: the backends that loaded, and why each other one did not. */
export interface LoadedBackends<B> {
  readonly backends: Readonly<Partial<Record<BackendName, B>>>;
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
}

export interface BackendChoice<B> {
  readonly backend: B;
  /** Every backend that loaded, fastest first; 'ts' is always last. */
  readonly available: readonly BackendName[];
  /** Why each missing backend is missing (for diagnostics). */
  readonly unavailable: Readonly<Partial<Record<BackendName, string>>>;
  /**
   * One line for the start-up log whenever the family does not run on Rust, else null, e.g.
   * "Rust addon not built (native/octopus.linux-x64.node missing; run npm run build:native); running on WASM".
   */
  readonly reason: string | null;
}

export interface BackendFamilyOptions<B> {
  /** The family in messages: "the Rust <noun> to be available", "name an available <noun>". */
  readonly noun: string;
  /** Before "running on <backend>" in the start-up line ('' for the moving averages). */
  readonly subject: string;
  readonly ts: B;
  readonly native: () => BackendLoad<B>;
  readonly wasm: () => BackendLoad<B>;
}

/** One family's backends: loaded once per thread, picked by name or by OCTOPUS_KERNELS. */
export interface BackendFamily<B> {
  /** Loads every backend once per process (per worker thread); failures are recorded, never thrown. */
  load(): LoadedBackends<B>;
  /**
   * One backend by name, for tests, benches and callers that pin one.
   * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND for a name that is not native/wasm/ts,
   *   ERR_KERNEL_BACKEND_UNAVAILABLE (with the reason) when that backend did not load.
   */
  get(name: BackendName, loaded?: LoadedBackends<B>): B;
  /**
   * Chooses for an OCTOPUS_KERNELS value (undefined or '' means "fastest available"). Tests pass their
   * own `loaded` to play out missing builds.
   * @throws KernelError ERR_KERNEL_UNKNOWN_BACKEND for an unknown value, ERR_KERNEL_BACKEND_UNAVAILABLE
   *   when the named backend did not load.
   */
  select(preference: string | undefined, loaded?: LoadedBackends<B>): BackendChoice<B>;
}

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (backendNames as readonly string[]).includes(value);
}

export function backendFamily<B>(options: BackendFamilyOptions<B>): BackendFamily<B> {
  let loaded: LoadedBackends<B> | null = null;
  const load = (): LoadedBackends<B> => {
    if (loaded !== null) return loaded;
    const backends: Partial<Record<BackendName, B>> = { ts: options.ts };
    const unavailable: Partial<Record<BackendName, string>> = {};
    for (const name of ['native', 'wasm'] as const) {
      const result = options[name]();
      if (result.reason === null) backends[name] = result.backend;
      else unavailable[name] = result.reason;
    }
    loaded = { backends, unavailable };
    return loaded;
  };
  const get = (name: BackendName, from: LoadedBackends<B> = load()): B => {
    if (!isBackendName(name)) {
      throw kernelError('ERR_KERNEL_UNKNOWN_BACKEND', `one of ${backendNames.join(', ')}`, JSON.stringify(name) ?? String(name));
    }
    const backend = from.backends[name];
    if (backend === undefined) {
      throw kernelError('ERR_KERNEL_BACKEND_UNAVAILABLE', `the ${backendLabels[name]} ${options.noun} to be available`, `${from.unavailable[name]}`);
    }
    return backend;
  };
  const select = (preference: string | undefined, from: LoadedBackends<B> = load()): BackendChoice<B> => {
    const { backends, unavailable } = from;
    const available = backendNames.filter((name) => backends[name] !== undefined);
    const wanted = (preference ?? '').trim().toLowerCase();
    if (wanted !== '' && !isBackendName(wanted)) {
      throw kernelError('ERR_KERNEL_UNKNOWN_BACKEND', `OCTOPUS_KERNELS to be one of ${backendNames.join(', ')} (or unset)`, JSON.stringify(preference));
    }
    if (isBackendName(wanted) && backends[wanted] === undefined) {
      const expected = `OCTOPUS_KERNELS=${wanted} to name an available ${options.noun} (${available.join(', ')})`;
      throw kernelError('ERR_KERNEL_BACKEND_UNAVAILABLE', expected, `${unavailable[wanted]}`);
    }
    const chosen: BackendName = isBackendName(wanted) ? wanted : (available[0] ?? 'ts');
    return Object.freeze({
      backend: backends[chosen]!,
      available: Object.freeze(available),
      unavailable: Object.freeze({ ...unavailable }),
      reason: describeChoice(chosen, wanted !== '', unavailable, options.subject),
    });
  };
  return Object.freeze({ load, get, select });
}

/**
 * The start-up line when not running on Rust: why each faster backend is missing, whether the choice was
 * forced, and what runs. Null on Rust.
 */
function describeChoice(chosen: BackendName, isForced: boolean, unavailable: Readonly<Partial<Record<BackendName, string>>>, subject: string): string | null {
  if (chosen === 'native') return null;
  const faster = backendNames.slice(0, backendNames.indexOf(chosen));
  const parts = faster.flatMap((name) => (unavailable[name] === undefined ? [] : [unavailable[name]]));
  if (isForced) parts.push(`OCTOPUS_KERNELS=${chosen}`);
  parts.push(`${subject === '' ? '' : `${subject} `}running on ${backendLabels[chosen]}`);
  return parts.join('; ');
}
