/**
 * The WebAssembly indicator primitives: asm/indicators.ts compiled to build/asm/indicators.wasm by
 * scripts/build-asm.mjs.
 *
 * A wasm module reads only its own memory, so each call copies the inputs in, runs the kernel, and copies
 * the outputs out. Unlike the moving averages (wasm-backend.ts), the series is not streamed in chunks:
 * the windows, smoothers and the MACD carry state that a chunked run would have to hand over, and the
 * compiled Rust backend is the fast path. The module's memory grows to the longest series seen (times the
 * arrays a kernel needs) and stays there. When it cannot grow that far (wasm32 stops at 4 GiB), the call
 * runs on the TypeScript primitive instead, with the same results.
 *
 * The indicator functions have checked every argument before a primitive runs, so a trap (a failed
 * assert in the module) is a broken invariant, reported as ERR_KERNEL_BACKEND_FAILED.
 */
import { fileURLToPath } from 'node:url';
import { readWasmBytes } from './artifacts.js';
import { KernelError, kernelError } from './errors.js';
import { tsPrimitives, type IndicatorPrimitives } from './reference/indicators.js';

/** build/asm/indicators.wasm, resolved from this module's URL as artifacts.ts does. */
export const indicatorsWasmPath = fileURLToPath(new URL('../../build/asm/indicators.wasm', import.meta.url));

/** The version of the exports this code expects (kAbiVersion in asm/indicators.ts). */
export const kWasmIndicatorsAbiVersion = 1;

interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The exports of build/asm/indicators.wasm (pointers are byte offsets into `memory`). */
interface IndicatorsWasmExports {
  memory: WasmMemory;
  indicatorsAbiVersion(): number;
  reserve(points: number, count: number): number;
  arrayStart(index: number): number;
  wilder(input: number, output: number, length: number, period: number): void;
  rsi(input: number, output: number, length: number, period: number): void;
  wma(input: number, output: number, length: number, period: number, scratch: number): void;
  movingStd(input: number, output: number, length: number, period: number, scratch1: number, scratch2: number): void;
  zScore(input: number, output: number, length: number, period: number, scratch1: number, scratch2: number): void;
  highest(input: number, output: number, length: number, period: number, scratch: number): void;
  lowest(input: number, output: number, length: number, period: number, scratch: number): void;
  cci(input: number, output: number, length: number, period: number): void;
  obv(close: number, volume: number, output: number, length: number): void;
  macd(input: number, line: number, signal: number, histogram: number, length: number, fast: number, slow: number, signalPeriod: number): void;
  bollinger(
    input: number,
    upper: number,
    middle: number,
    lower: number,
    length: number,
    period: number,
    multiplier: number,
    scratch1: number,
    scratch2: number,
  ): void;
}

export type WasmIndicatorsLoadResult = { primitives: Partial<IndicatorPrimitives>; reason: string | null };

/** Compiles the module at `path`; returns its primitives, or none and the reason (never throws). */
export function loadWasmIndicatorPrimitives(path: string = indicatorsWasmPath): WasmIndicatorsLoadResult {
  const loaded = readWasmBytes(path, 'WASM indicator kernels');
  if (loaded.value === null) return { primitives: {}, reason: loaded.reason };
  const bytes = loaded.value;
  let instance: IndicatorsInstance;
  try {
    instance = new IndicatorsInstance(new webAssembly.Module(bytes));
  } catch (error) {
    return { primitives: {}, reason: `WASM indicator kernels failed to load (${String(error)})` };
  }
  const version = typeof instance.exports.indicatorsAbiVersion === 'function' ? instance.exports.indicatorsAbiVersion() : null;
  if (version !== kWasmIndicatorsAbiVersion) {
    return {
      primitives: {},
      reason: `WASM indicator kernels stale: expected ABI ${kWasmIndicatorsAbiVersion}, was ${version} (run npm run build:asm)`,
    };
  }
  return { primitives: wasmIndicatorPrimitives(instance), reason: null };
}

type SeriesKernel = (input: number, output: number, length: number, period: number, scratch1: number, scratch2: number) => void;

function wasmIndicatorPrimitives(instance: IndicatorsInstance): Partial<IndicatorPrimitives> {
  const exports = instance.exports;
  /** One input, one output, `scratch` scratch arrays; the TS primitive when memory cannot hold them. */
  const series =
    (kernel: SeriesKernel, scratch: number, fallback: (input: Float64Array, period: number, output: Float64Array) => void) =>
    (input: Float64Array, period: number, output: Float64Array): void => {
      const ran = instance.run([input], [output], scratch, (pointers) =>
        kernel(pointers[0]!, pointers[1]!, input.length, period, pointers[2] ?? 0, pointers[3] ?? 0),
      );
      if (!ran) fallback(input, period, output);
    };
  return Object.freeze({
    wilder: series((input, output, length, period) => exports.wilder(input, output, length, period), 0, tsPrimitives.wilder),
    rsi: series((input, output, length, period) => exports.rsi(input, output, length, period), 0, tsPrimitives.rsi),
    wma: series((input, output, length, period, scratch) => exports.wma(input, output, length, period, scratch), 1, tsPrimitives.wma),
    movingStd: series(exports.movingStd.bind(exports), 2, tsPrimitives.movingStd),
    zScore: series(exports.zScore.bind(exports), 2, tsPrimitives.zScore),
    highest: series((input, output, length, period, scratch) => exports.highest(input, output, length, period, scratch), 1, tsPrimitives.highest),
    lowest: series((input, output, length, period, scratch) => exports.lowest(input, output, length, period, scratch), 1, tsPrimitives.lowest),
    cci: series((input, output, length, period) => exports.cci(input, output, length, period), 0, tsPrimitives.cci),
    obv(close: Float64Array, volume: Float64Array, output: Float64Array): void {
      const ran = instance.run([close, volume], [output], 0, (pointers) => exports.obv(pointers[0]!, pointers[1]!, pointers[2]!, close.length));
      if (!ran) tsPrimitives.obv(close, volume, output);
    },
    macd(
      input: Float64Array,
      fastPeriod: number,
      slowPeriod: number,
      signalPeriod: number,
      line: Float64Array,
      signal: Float64Array,
      histogram: Float64Array,
    ): void {
      const ran = instance.run([input], [line, signal, histogram], 0, (pointers) =>
        exports.macd(pointers[0]!, pointers[1]!, pointers[2]!, pointers[3]!, input.length, fastPeriod, slowPeriod, signalPeriod),
      );
      if (!ran) tsPrimitives.macd(input, fastPeriod, slowPeriod, signalPeriod, line, signal, histogram);
    },
    bollinger(
      input: Float64Array,
      period: number,
      multiplier: number,
      upper: Float64Array,
      middle: Float64Array,
      lower: Float64Array,
    ): void {
      const ran = instance.run([input], [upper, middle, lower], 2, (pointers) =>
        exports.bollinger(pointers[0]!, pointers[1]!, pointers[2]!, pointers[3]!, input.length, period, multiplier, pointers[4]!, pointers[5]!),
      );
      if (!ran) tsPrimitives.bollinger(input, period, multiplier, upper, middle, lower);
    },
  });
}

/** One instantiation of the module, plus copying in and out and turning traps into typed errors. */
class IndicatorsInstance {
  readonly exports: IndicatorsWasmExports;
  private memoryView: Float64Array;
  private abortMessage: string | null = null;

  constructor(module: object) {
    const instance = new webAssembly.Instance(module, {
      env: {
        abort: (messagePointer: number, fileNamePointer: number, line: number, column: number) => {
          this.abortMessage = `${this.readString(messagePointer)} at ${this.readString(fileNamePointer)}:${line}:${column}`;
          throw new Error(`wasm abort: ${this.abortMessage}`);
        },
      },
    });
    this.exports = instance.exports as IndicatorsWasmExports;
    this.memoryView = new Float64Array(this.exports.memory.buffer);
  }

  /**
   * Copies `inputs` into arrays 0.., runs `kernel` with the pointers of inputs, outputs and `scratch`
   * scratch arrays (in that order), and copies the outputs back. Returns false, having run nothing, when
   * the memory cannot hold them.
   * @throws KernelError ERR_KERNEL_BACKEND_FAILED if the module traps.
   */
  run(inputs: readonly Float64Array[], outputs: readonly Float64Array[], scratch: number, kernel: (pointers: number[]) => void): boolean {
    const length = inputs[0]!.length;
    const count = inputs.length + outputs.length + scratch;
    if (this.exports.reserve(length, count) !== 1) return false;
    const pointers: number[] = [];
    for (let index = 0; index < count; index++) pointers.push(this.exports.arrayStart(index));
    const memory = this.view();
    inputs.forEach((input, index) => memory.set(input, pointers[index]! / 8));
    try {
      kernel(pointers);
    } catch (error) {
      if (error instanceof KernelError) throw error;
      const detail = this.abortMessage ?? String(error);
      this.abortMessage = null;
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the wasm indicator kernel to return', `a trap: ${detail}`, { cause: error });
    }
    const after = this.view();
    outputs.forEach((output, index) => {
      const start = pointers[inputs.length + index]! / 8;
      output.set(after.subarray(start, start + length));
    });
    return true;
  }

  /** A Float64Array over the whole memory; rebuilt after growth, which detaches the old buffer. */
  private view(): Float64Array {
    if (this.memoryView.buffer !== this.exports.memory.buffer) this.memoryView = new Float64Array(this.exports.memory.buffer);
    return this.memoryView;
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
