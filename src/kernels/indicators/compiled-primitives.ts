/**
 * The compiled indicator primitives: the Rust functions of native/src/indicators.rs and the WASM kernels
 * of asm/indicators.ts (build/asm/indicators.wasm), found by one naming rule from the TS primitive's name
 * (primitives.ts): primitive `movingStd` is `indicatorMovingStd` in the addon and `movingStd` in the
 * module. Their arguments follow one order too:
 *
 *   TS and Rust   (inputs..., scalars..., outputs...)               e.g. macd(input, fast, slow, signal, line, signal, histogram)
 *   WASM          (input pointers..., output pointers..., length, scalars..., scratch pointers...)
 *
 * so one wrapper per backend serves every primitive, given its shape (compiledShapes). SMA and EMA come
 * from the moving-average backends (moving-average-backends.ts).
 *
 * The Rust addon borrows the caller's arrays and writes into the output arrays. A wasm module reads only
 * its own memory, so each call copies the inputs in, runs the kernel, and copies the outputs out; unlike
 * the moving averages, the series is not streamed in chunks (the windows, smoothers and the MACD carry
 * state that a chunked run would have to hand over, and the Rust backend is the fast path). The module's
 * memory grows to the longest series seen (times the arrays a kernel needs) and stays there; when it
 * cannot grow that far (wasm32 stops at 4 GiB), the call runs on the TypeScript primitive instead, with the
 * same results.
 *
 * The indicator functions (batch.ts) have checked every argument before a primitive runs, so an addon
 * error or a trap is a broken invariant, reported as ERR_KERNEL_BACKEND_FAILED with the cause.
 */
import { callNative, loadNativeBackend, loadWasmBackend, nativeAddonPath, wasmModulePath } from '../backend.js';
import type { ArtifactRecipe, BackendLoad, WasmExportsBase, WasmInstance } from '../backend.js';
import { tsPrimitives, type IndicatorPrimitives, type PrimitiveName } from './primitives.js';

/** The version of the indicator exports this code expects (indicator_version in indicators.rs, version in asm/indicators.ts). */
export const kIndicatorKernelsVersion = 1;

/** How many arrays and numbers a primitive takes; `scratch` is how many work arrays its WASM kernel needs. */
interface PrimitiveShape {
  readonly inputs: number;
  readonly scalars: number;
  readonly outputs: number;
  readonly scratch: number;
}

const series = (scratch: number): PrimitiveShape => ({ inputs: 1, scalars: 1, outputs: 1, scratch });

/** The primitives the compiled backends implement, and their shapes. */
export const compiledShapes = Object.freeze({
  wilder: series(0),
  rsi: series(0),
  wma: series(1),
  movingStd: series(2),
  zScore: series(2),
  highest: series(1),
  lowest: series(1),
  cci: series(0),
  obv: { inputs: 2, scalars: 0, outputs: 1, scratch: 0 },
  macd: { inputs: 1, scalars: 3, outputs: 3, scratch: 0 },
  bollinger: { inputs: 1, scalars: 2, outputs: 3, scratch: 2 },
} satisfies Partial<Record<PrimitiveName, PrimitiveShape>>);

export type CompiledPrimitiveName = keyof typeof compiledShapes;
const compiledNames = Object.keys(compiledShapes) as CompiledPrimitiveName[];

/** A primitive's name in the addon: `indicator` + the TS name, capitalised. */
export function nativeExportName(primitive: CompiledPrimitiveName): `indicator${Capitalize<CompiledPrimitiveName>}` {
  return `indicator${primitive[0]!.toUpperCase()}${primitive.slice(1)}` as `indicator${Capitalize<CompiledPrimitiveName>}`;
}

type PrimitiveArgument = Float64Array | number;
type AnyPrimitive = (...args: PrimitiveArgument[]) => void;

/** The indicator functions native/src/indicators.rs exports, with the arguments of the TS primitive. */
export type NativeIndicatorAddon = { readonly indicatorVersion: () => number } & {
  readonly [K in CompiledPrimitiveName as `indicator${Capitalize<K>}`]: IndicatorPrimitives[K];
};

/** What a loader found: the primitives (none when unavailable) and why they are missing, or null. */
export interface IndicatorPrimitivesLoad {
  readonly primitives: Partial<IndicatorPrimitives>;
  readonly reason: string | null;
}

function asPrimitivesLoad(load: BackendLoad<Partial<IndicatorPrimitives>>): IndicatorPrimitivesLoad {
  return { primitives: load.backend ?? {}, reason: load.reason };
}

function recipe(functions: readonly string[], versionExport: string): ArtifactRecipe {
  return { exportsLabel: 'indicator kernels', functions, versionExport, version: kIndicatorKernelsVersion, versionLabel: 'indicator kernels version' };
}

// ---------------------------------------------------------------------------------------------------
// Rust

/** Loads the addon at `path`; its primitives, or none and the reason (never throws). */
export function loadNativeIndicatorPrimitives(path: string = nativeAddonPath): IndicatorPrimitivesLoad {
  return asPrimitivesLoad(loadNativeBackend(path, recipe(compiledNames.map(nativeExportName), 'indicatorVersion'), nativeIndicatorPrimitives));
}

/** The primitives over an addon (a real one, or a hand-written stub in tests). */
export function nativeIndicatorPrimitives(addon: NativeIndicatorAddon): Partial<IndicatorPrimitives> {
  const primitives: Partial<Record<CompiledPrimitiveName, AnyPrimitive>> = {};
  for (const name of compiledNames) {
    const kernel = addon[nativeExportName(name)] as AnyPrimitive;
    primitives[name] = (...args) => callNative(() => kernel(...args));
  }
  return Object.freeze(primitives as Partial<IndicatorPrimitives>);
}

// ---------------------------------------------------------------------------------------------------
// WASM

/** The exports of build/asm/indicators.wasm besides the kernels (pointers are byte offsets into `memory`). */
interface IndicatorsWasmExports extends WasmExportsBase {
  version(): number;
  reserve(points: number, count: number): number;
  arrayStart(index: number): number;
}

/** Compiles the module at `path`; its primitives, or none and the reason (never throws). */
export function loadWasmIndicatorPrimitives(path: string = wasmModulePath('indicators')): IndicatorPrimitivesLoad {
  const exports = recipe([...compiledNames, 'reserve', 'arrayStart'], 'version');
  return asPrimitivesLoad(loadWasmBackend(path, 'WASM indicator kernels', exports, wasmIndicatorPrimitives));
}

function wasmIndicatorPrimitives(instance: WasmInstance<IndicatorsWasmExports>): Partial<IndicatorPrimitives> {
  const primitives: Partial<Record<CompiledPrimitiveName, AnyPrimitive>> = {};
  for (const name of compiledNames) {
    const { inputs, scalars, outputs, scratch } = compiledShapes[name];
    const kernel = (instance.exports as unknown as Record<string, (...args: number[]) => void>)[name]!;
    const fallback = tsPrimitives[name] as AnyPrimitive;
    primitives[name] = (...args) => {
      const arrays = { inputs: args.slice(0, inputs) as Float64Array[], outputs: args.slice(inputs + scalars) as Float64Array[] };
      const numbers = args.slice(inputs, inputs + scalars) as number[];
      const length = arrays.inputs[0]!.length;
      const ran = runInWasm(instance, arrays.inputs, arrays.outputs, scratch, (pointers) => {
        const arrayPointers = pointers.slice(0, inputs + outputs);
        kernel(...arrayPointers, length, ...numbers, ...pointers.slice(inputs + outputs));
      });
      if (!ran) fallback(...args);
    };
  }
  return Object.freeze(primitives as Partial<IndicatorPrimitives>);
}

/**
 * Copies `inputs` into arrays 0.., runs `kernel` with the pointers of inputs, outputs and `scratch`
 * scratch arrays (in that order), and copies the outputs back. Returns false, having run nothing, when
 * the memory cannot hold them.
 * @throws KernelError ERR_KERNEL_BACKEND_FAILED if the module traps.
 */
function runInWasm(
  instance: WasmInstance<IndicatorsWasmExports>,
  inputs: readonly Float64Array[],
  outputs: readonly Float64Array[],
  scratch: number,
  kernel: (pointers: number[]) => void,
): boolean {
  const exports = instance.exports;
  const length = inputs[0]!.length;
  const count = inputs.length + outputs.length + scratch;
  if (exports.reserve(length, count) !== 1) return false;
  const pointers: number[] = [];
  for (let index = 0; index < count; index++) pointers.push(exports.arrayStart(index));
  const memory = instance.view();
  inputs.forEach((input, index) => memory.set(input, pointers[index]! / 8));
  instance.call(() => kernel(pointers));
  const after = instance.view();
  outputs.forEach((output, index) => {
    const start = pointers[inputs.length + index]! / 8;
    output.set(after.subarray(start, start + length));
  });
  return true;
}
