/**
 * The WebAssembly backend: asm/moving-average.ts compiled by scripts/build-asm.mjs.
 *
 * A wasm module can only read its own linear memory, so every call copies the input in and the output
 * out. Copying a whole 8 MB series in, running the kernel, then copying 8 MB out sends everything through
 * main memory three times. Instead, long series stream through in chunks of kChunkPoints (256 KiB in plus
 * 256 KiB out), which stay in the L2 cache between the copy in, the kernel, and the copy out. Results are
 * bit-identical to a single pass (see the chunking notes on each method).
 */
import { checkArguments, checkPeriod, kEmaBlockLength, kInputLengthMax, type KernelBackend } from './contract.js';
import { wasmModulePath, readWasmBytes } from './artifacts.js';
import { KernelError, kernelError } from './errors.js';

/**
 * The slice of the WebAssembly JS API this backend uses. tsconfig's lib (ES2023, no DOM) does not declare
 * WebAssembly, and a global declaration here could clash with one added later, so it is typed locally.
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmModule {
  readonly kind?: never;
}
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** Points per streamed chunk: 16 Ki points = 256 KiB each way, well inside a 1 MiB L2 with room to spare. */
export const kChunkPoints = 16_384;

/**
 * An SMA chunk starts one block (one period) early, recomputed and discarded, so chunking costs 1/blocks
 * of extra work; chunks therefore hold at least this many blocks (6% extra at most), growing past
 * kChunkPoints for long periods.
 */
const kSmaChunkBlocksMin = 16;

/** The exports of build/asm/moving-average.wasm (see that module's header for the memory layout). */
interface WasmExports {
  memory: WasmMemory;
  emaBlockLength(): number;
  inputStart(): number;
  outputStart(): number;
  reserve(length: number): number;
  sma(inputPointer: number, outputPointer: number, length: number, period: number): void;
  ema(inputPointer: number, outputPointer: number, length: number, period: number): void;
  emaBegin(period: number): void;
  emaRun(inputPointer: number, outputPointer: number, count: number, isLast: number): number;
}

export type WasmLoadResult = { backend: WasmBackend; reason: null } | { backend: null; reason: string };

/** Compiles the module at `path`; returns the backend, or the reason it is unavailable (never throws). */
export function loadWasmBackend(path: string = wasmModulePath): WasmLoadResult {
  const loaded = readWasmBytes(path, 'WASM kernels');
  if (loaded.value === null) return { backend: null, reason: loaded.reason };
  const bytes = loaded.value;
  try {
    const module = new webAssembly.Module(bytes);
    const backend = new WasmBackend(module);
    const blockLength = backend.emaBlockLength();
    if (blockLength !== kEmaBlockLength) {
      return {
        backend: null,
        reason: `WASM kernels stale: expected EMA block length ${kEmaBlockLength}, was ${blockLength} (run npm run build:asm)`,
      };
    }
    return { backend, reason: null };
  } catch (error) {
    return { backend: null, reason: `WASM kernels failed to load (${String(error)})` };
  }
}

export class WasmBackend implements KernelBackend {
  readonly name = 'wasm' as const;
  private readonly module: WasmModule;
  private readonly instance: WasmInstance;

  constructor(module: WasmModule) {
    this.module = module;
    this.instance = new WasmInstance(module);
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
    this.instance.reserve(Math.min(length, outputsPerChunk + period));
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
    this.instance.reserve(chunkPoints);
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
    return new ResidentSeries(new WasmInstance(this.module), length);
  }
}

/**
 * A series kept in wasm memory: fill `input`, call `sma`/`ema`, read `output`. Both views stay valid for the
 * life of this object (its memory never grows again). Period rules and results are those of the backend.
 */
export class ResidentSeries {
  readonly input: Float64Array;
  readonly output: Float64Array;
  private readonly instance: WasmInstance;

  constructor(instance: WasmInstance, length: number) {
    this.instance = instance;
    instance.reserve(length);
    const memory = instance.view();
    const inputIndex = instance.exports.inputStart() / 8;
    const outputIndex = instance.exports.outputStart() / 8;
    this.input = memory.subarray(inputIndex, inputIndex + length);
    this.output = memory.subarray(outputIndex, outputIndex + length);
  }

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  sma(period: number): Float64Array {
    checkPeriod(period);
    const length = this.input.length;
    if (period > length) return this.output.fill(Number.NaN);
    const exports = this.instance.exports;
    this.instance.call(() => exports.sma(this.input.byteOffset, this.output.byteOffset, length, period));
    return this.output;
  }

  /** @throws KernelError ERR_KERNEL_BAD_PERIOD. */
  ema(period: number): Float64Array {
    checkPeriod(period);
    const length = this.input.length;
    if (period > length) return this.output.fill(Number.NaN);
    const exports = this.instance.exports;
    this.instance.call(() => exports.ema(this.input.byteOffset, this.output.byteOffset, length, period));
    return this.output;
  }
}

/** One instantiation of the module with its memory, plus the traps-to-typed-errors plumbing. */
class WasmInstance {
  readonly exports: WasmExports;
  private memoryView: Float64Array;
  /** Set by the module's abort import (a failed assert) so `call` can report what failed. */
  private abortMessage: string | null = null;

  constructor(module: WasmModule) {
    const instance = new webAssembly.Instance(module, {
      env: {
        abort: (messagePointer: number, fileNamePointer: number, line: number, column: number) => {
          const message = this.readString(messagePointer);
          const fileName = this.readString(fileNamePointer);
          this.abortMessage = `${message} at ${fileName}:${line}:${column}`;
          throw new Error(`wasm abort: ${this.abortMessage}`);
        },
      },
    });
    this.exports = instance.exports as unknown as WasmExports;
    this.memoryView = new Float64Array(this.exports.memory.buffer);
  }

  /** Grows the memory for `length` points each way. */
  reserve(length: number): void {
    if (this.exports.reserve(length) !== 1) {
      throw kernelError('ERR_KERNEL_INPUT_TOO_LONG', 'a series the wasm memory can hold', `${length} points`);
    }
  }

  /** A Float64Array over the whole memory; rebuilt after growth, which detaches the old buffer. */
  view(): Float64Array {
    if (this.memoryView.buffer !== this.exports.memory.buffer) {
      this.memoryView = new Float64Array(this.exports.memory.buffer);
    }
    return this.memoryView;
  }

  /** Runs a kernel call, turning a trap into ERR_KERNEL_BACKEND_FAILED (a broken invariant, not bad input). */
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
