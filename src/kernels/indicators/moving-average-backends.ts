/**
 * The moving averages' three backends (the facade that chooses between them is src/kernels/index.ts):
 *
 *   native  movingAverageSma / movingAverageEma of the Rust addon (native/src/moving_average.rs), which
 *           borrows the caller's Float64Arrays (no copies) and writes into the output array
 *   wasm    asm/moving-average.ts, streamed in chunks (below)
 *   ts      the reference, moving-average.ts
 *
 * A wasm module can only read its own linear memory, so every call copies the input in and the output
 * out. Copying a whole 8 MB series in, running the kernel, then copying 8 MB out sends everything through
 * main memory three times. Instead, long series stream through in chunks of kChunkPoints (256 KiB in plus
 * 256 KiB out), which stay in the L2 cache between the copy in, the kernel, and the copy out. Results are
 * bit-identical to a single pass (see the chunking notes on each method).
 */
import { callNative, loadNativeBackend, loadWasmBackend, nativeAddonPath, wasmModulePath, WasmInstance } from '../backend.js';
import type { ArtifactRecipe, BackendLoad, WasmExportsBase, WasmModule } from '../backend.js';
import { checkArguments, checkPeriod, kEmaBlockLength, kInputLengthMax, type KernelBackend } from '../contract.js';
import { kernelError } from '../errors.js';
import { ema, sma } from './moving-average.js';

export const tsMovingAverages: KernelBackend = Object.freeze({ name: 'ts' as const, sma, ema });

/** The moving averages' exports: a build with another EMA block length would round differently. */
function recipe(functions: readonly string[], versionExport: string): ArtifactRecipe {
  return { exportsLabel: 'the moving-average exports', functions, versionExport, version: kEmaBlockLength, versionLabel: 'EMA block length' };
}

// ---------------------------------------------------------------------------------------------------
// Rust

/** The functions native/src/moving_average.rs exports. */
export interface NativeMovingAverageAddon {
  movingAverageEmaBlockLength(): number;
  movingAverageSma(input: Float64Array, period: number, output: Float64Array): void;
  movingAverageEma(input: Float64Array, period: number, output: Float64Array): void;
}

/** Loads the addon at `path`; the backend, or the reason it is unavailable (never throws). */
export function loadNativeMovingAverages(path: string = nativeAddonPath): BackendLoad<KernelBackend> {
  const exports = recipe(['movingAverageSma', 'movingAverageEma'], 'movingAverageEmaBlockLength');
  return loadNativeBackend(path, exports, nativeMovingAverages);
}

/**
 * The backend over an addon (a real one, or a hand-written stub in tests).
 * @throws (its methods) KernelError as KernelBackend.sma; ERR_KERNEL_BACKEND_FAILED if the addon refuses
 *   checked arguments.
 */
export function nativeMovingAverages(addon: NativeMovingAverageAddon): KernelBackend {
  const run = (kernel: (input: Float64Array, period: number, output: Float64Array) => void) =>
    (input: Float64Array, period: number, out?: Float64Array): Float64Array => {
      const output = checkArguments(input, period, out);
      if (period > input.length) return output.fill(Number.NaN);
      callNative(() => kernel(input, period, output));
      return output;
    };
  return Object.freeze({
    name: 'native' as const,
    sma: run((input, period, output) => addon.movingAverageSma(input, period, output)),
    ema: run((input, period, output) => addon.movingAverageEma(input, period, output)),
  });
}

// ---------------------------------------------------------------------------------------------------
// WASM

/** Compiles the module at `path`; the backend, or the reason it is unavailable (never throws). */
export function loadWasmMovingAverages(path: string = wasmModulePath('moving-average')): BackendLoad<WasmMovingAverages> {
  const exports = recipe(['sma', 'ema', 'emaBegin', 'emaRun', 'reserve', 'inputStart', 'outputStart'], 'emaBlockLength');
  return loadWasmBackend(path, 'WASM kernels', exports, (instance: WasmInstance<MovingAverageExports>, module) => new WasmMovingAverages(instance, module));
}

/** Points per streamed chunk: 16 Ki points = 256 KiB each way, well inside a 1 MiB L2 with room to spare. */
export const kChunkPoints = 16_384;

/**
 * An SMA chunk starts one block (one period) early, recomputed and discarded, so chunking costs 1/blocks
 * of extra work; chunks therefore hold at least this many blocks (6% extra at most), growing past
 * kChunkPoints for long periods.
 */
const kSmaChunkBlocksMin = 16;

/** The exports of build/asm/moving-average.wasm (see that module's header for the memory layout). */
interface MovingAverageExports extends WasmExportsBase {
  emaBlockLength(): number;
  inputStart(): number;
  outputStart(): number;
  reserve(length: number): number;
  sma(inputPointer: number, outputPointer: number, length: number, period: number): void;
  ema(inputPointer: number, outputPointer: number, length: number, period: number): void;
  emaBegin(period: number): void;
  emaRun(inputPointer: number, outputPointer: number, count: number, isLast: number): number;
}

export class WasmMovingAverages implements KernelBackend {
  readonly name = 'wasm' as const;
  private readonly instance: WasmInstance<MovingAverageExports>;
  private readonly module: WasmModule;

  constructor(instance: WasmInstance<MovingAverageExports>, module: WasmModule) {
    this.instance = instance;
    this.module = module;
  }

  emaBlockLength(): number {
    return this.instance.exports.emaBlockLength();
  }

  /**
   * SMA, streamed. A chunk producing outputs [from, to) with from > 0 copies inputs from `from - period`:
   * from is a multiple of period, so the chunk's blocks line up with the whole series' blocks, and the
   * extra leading block supplies the suffix sums of the windows that straddle `from`; its own outputs are
   * warm-up and are dropped. Every kept output is therefore computed exactly as in one pass.
   * @throws KernelError as KernelBackend.sma; ERR_KERNEL_BACKEND_FAILED if the module traps.
   */
  sma(input: Float64Array, period: number, out?: Float64Array): Float64Array {
    const output = checkArguments(input, period, out);
    const length = input.length;
    if (period > length) return output.fill(Number.NaN);
    const exports = this.instance.exports;
    const blocksPerChunk = Math.max(kSmaChunkBlocksMin, Math.floor(kChunkPoints / period));
    const outputsPerChunk = Math.min(length, blocksPerChunk * period);
    reserve(this.instance, Math.min(length, outputsPerChunk + period));
    const inputPointer = exports.inputStart();
    const outputPointer = exports.outputStart();
    const memory = this.instance.view();
    for (let from = 0; from < length; from += outputsPerChunk) {
      const sourceStart = from === 0 ? 0 : from - period;
      const sourceEnd = Math.min(from + outputsPerChunk, length);
      memory.set(input.subarray(sourceStart, sourceEnd), inputPointer / 8);
      this.instance.call(() => exports.sma(inputPointer, outputPointer, sourceEnd - sourceStart, period));
      const keptStart = outputPointer / 8 + (from - sourceStart);
      output.set(memory.subarray(keptStart, keptStart + (sourceEnd - from)), from);
    }
    return output;
  }

  /**
   * EMA, streamed. The module carries the EMA state from chunk to chunk (emaBegin, then emaRun per chunk)
   * and reports how many points of each chunk are final; a block or a warm-up the chunk could not finish
   * is copied again at the start of the next chunk, so blocks and seeds fall exactly where one pass would
   * put them. A chunk of at least max(period, kEmaBlockLength) points always finishes something.
   * @throws KernelError as KernelBackend.ema; ERR_KERNEL_BACKEND_FAILED if the module traps or stalls.
   */
  ema(input: Float64Array, period: number, out?: Float64Array): Float64Array {
    const output = checkArguments(input, period, out);
    const length = input.length;
    if (period > length) return output.fill(Number.NaN);
    const exports = this.instance.exports;
    // Twice the minimum, so a chunk rarely spends more than half its length on work it will redo.
    const chunkPoints = Math.min(length, Math.max(kChunkPoints, 2 * period, 2 * kEmaBlockLength));
    reserve(this.instance, chunkPoints);
    const inputPointer = exports.inputStart();
    const outputPointer = exports.outputStart();
    const memory = this.instance.view();
    this.instance.call(() => exports.emaBegin(period));
    let position = 0;
    while (position < length) {
      const count = Math.min(chunkPoints, length - position);
      const isLast = position + count === length ? 1 : 0;
      memory.set(input.subarray(position, position + count), inputPointer / 8);
      const finished = this.instance.call(() => exports.emaRun(inputPointer, outputPointer, count, isLast));
      if (!(finished > 0 && finished <= count)) {
        throw kernelError('ERR_KERNEL_BACKEND_FAILED', `emaRun to finish 1..${count} points`, `${finished}`);
      }
      output.set(memory.subarray(outputPointer / 8, outputPointer / 8 + finished), position);
      position += finished;
    }
    return output;
  }

  /**
   * A series that lives in wasm memory, for callers (and the bench) that want the kernel without the
   * copies. It gets its own module instance, so the backend's own calls never overwrite it.
   * @throws KernelError ERR_KERNEL_INPUT_TOO_LONG beyond kInputLengthMax or when memory cannot grow.
   */
  createResidentSeries(length: number): ResidentSeries {
    if (!Number.isSafeInteger(length) || length < 0 || length > kInputLengthMax) {
      throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', `a length in 0..${kInputLengthMax}`, `${length}`);
    }
    return new ResidentSeries(new WasmInstance<MovingAverageExports>(this.module), length);
  }
}

/**
 * A series kept in wasm memory: fill `input`, call `sma`/`ema`, read `output`. Both views stay valid for the
 * life of this object (its memory never grows again). Period rules and results are those of the backend.
 */
export class ResidentSeries {
  readonly input: Float64Array;
  readonly output: Float64Array;
  private readonly instance: WasmInstance<MovingAverageExports>;

  constructor(instance: WasmInstance<MovingAverageExports>, length: number) {
    this.instance = instance;
    reserve(instance, length);
    const memory = instance.view();
    const inputIndex = instance.exports.inputStart() / 8;
    const outputIndex = instance.exports.outputStart() / 8;
    this.input = memory.subarray(inputIndex, inputIndex + length);
    this.output = memory.subarray(outputIndex, outputIndex + length);
  }

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  sma(period: number): Float64Array {
    return this.run('sma', period);
  }

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  ema(period: number): Float64Array {
    return this.run('ema', period);
  }

  private run(kernel: 'sma' | 'ema', period: number): Float64Array {
    checkPeriod(period);
    const length = this.input.length;
    if (period > length) return this.output.fill(Number.NaN);
    const exports = this.instance.exports;
    this.instance.call(() => exports[kernel](this.input.byteOffset, this.output.byteOffset, length, period));
    return this.output;
  }
}

/** Grows the memory for `length` points each way. @throws KernelError ERR_KERNEL_INPUT_TOO_LONG when it cannot. */
function reserve(instance: WasmInstance<MovingAverageExports>, length: number): void {
  if (instance.exports.reserve(length) !== 1) {
    throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', 'a series the wasm memory can hold', `${length} points`);
  }
}
