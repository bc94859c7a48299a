/**
 * The optimiser's WebAssembly backend: asm/optimizer.ts compiled by scripts/build-asm.mjs to
 * build/asm/optimizer.wasm.
 *
 * A wasm module reads only its own memory, so each solve copies the program in (the covariance is n^2
 * numbers: 80 KB at 100 assets, against O(n^3) work) and x and the multipliers out. The layout of one
 * solve, every region 16-byte aligned, from the module's heapStart():
 *
 *   | hessian n*n | linear n | E meq*n | e meq | G rows*n | g rows | lower n | upper n |   inputs
 *   | lowerShare n | upperShare n |
 *   | x n | multipliers meq+4n+rows |                                                   outputs
 *   | scratch (qpScratchBytes) |                                                        work arrays
 *
 * and for risk parity: | covariance n*n | budgets n | x n | scratch (riskParityScratchBytes) |.
 * The memory grows to the largest solve seen and is reused.
 */
import { fileURLToPath } from 'node:url';
import { readWasmBytes } from './artifacts.js';
import { KernelError, kernelError } from './errors.js';
import {
  kOptimizerAlgorithmVersion,
  type OptimizerBackend,
  type QpSolution,
  type RiskParitySolution,
  type SolverProgram,
} from './optimizer-contract.js';
import { checkStatus } from './optimizer-native-backend.js';

/** build/asm/optimizer.wasm, resolved from this module's URL (two levels below the root in src/ and dist/). */
export const optimizerWasmPath = fileURLToPath(new URL('../../build/asm/optimizer.wasm', import.meta.url));

/** The slice of the WebAssembly JS API used here (tsconfig's lib has no WebAssembly types). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** The exports of build/asm/optimizer.wasm (see asm/optimizer.ts). */
interface OptimizerWasmExports {
  memory: { readonly buffer: ArrayBuffer };
  algorithmVersion(): number;
  heapStart(): number;
  reserve(bytes: number): number;
  qpScratchBytes(n: number, meq: number, rows: number): number;
  riskParityScratchBytes(n: number): number;
  lastIterations(): number;
  solveQp(
    n: number,
    meq: number,
    rows: number,
    iterationsMax: number,
    hessian: number,
    linear: number,
    equalityMatrix: number,
    equalityTarget: number,
    inequalityMatrix: number,
    inequalityTarget: number,
    lower: number,
    upper: number,
    lowerShare: number,
    upperShare: number,
    x: number,
    multipliers: number,
    scratch: number,
  ): number;
  riskParity(n: number, covariance: number, budgets: number, iterationsMax: number, x: number, scratch: number): number;
}

export type OptimizerWasmLoadResult = { backend: OptimizerWasmBackend; reason: null } | { backend: null; reason: string };

/** Compiles the module at `path`; returns the backend, or the reason it is unavailable (never throws). */
export function loadOptimizerWasmBackend(path: string = optimizerWasmPath): OptimizerWasmLoadResult {
  const loaded = readWasmBytes(path, 'WASM optimiser');
  if (loaded.value === null) return { backend: null, reason: loaded.reason };
  const bytes = loaded.value;
  try {
    const backend = new OptimizerWasmBackend(new webAssembly.Module(bytes));
    const version = backend.algorithmVersion();
    if (version !== kOptimizerAlgorithmVersion) {
      return {
        backend: null,
        reason: `WASM optimiser stale: expected algorithm version ${kOptimizerAlgorithmVersion}, was ${version} (run npm run build:asm)`,
      };
    }
    return { backend, reason: null };
  } catch (error) {
    return { backend: null, reason: `WASM optimiser failed to load (${String(error)})` };
  }
}

export class OptimizerWasmBackend implements OptimizerBackend {
  readonly name = 'wasm' as const;
  private readonly exports: OptimizerWasmExports;
  /** Set by the module's abort import (a failed assert), so `call` can say what failed. */
  private abortMessage: string | null = null;

  constructor(module: object) {
    const instance = new webAssembly.Instance(module, {
      env: {
        abort: (_message: number, _file: number, line: number, column: number) => {
          this.abortMessage = `assertion failed at asm/optimizer.ts:${line}:${column}`;
          throw new Error(`wasm abort: ${this.abortMessage}`);
        },
      },
    });
    this.exports = instance.exports as OptimizerWasmExports;
  }

  algorithmVersion(): number {
    return this.exports.algorithmVersion();
  }

  /** @throws KernelError ERR_KERNEL_BACKEND_FAILED if the module traps or the memory cannot grow. */
  solveQp(program: SolverProgram, iterationsMax: number): QpSolution {
    const exports = this.exports;
    const n = program.variables;
    const meq = program.equalityCount;
    const rows = program.inequalityCount;
    const constraints = meq + 4 * n + rows;
    const sizes = [n * n, n, meq * n, meq, rows * n, rows, n, n, n, n, n, constraints];
    const { pointers, end } = layout(exports.heapStart(), sizes);
    this.reserve(end + exports.qpScratchBytes(n, meq, rows) - exports.heapStart());
    const memory = new Float64Array(exports.memory.buffer);
    const inputs = [
      program.hessian,
      program.linear,
      program.equalityMatrix,
      program.equalityTarget,
      program.inequalityMatrix,
      program.inequalityTarget,
      program.lower,
      program.upper,
      program.lowerShare,
      program.upperShare,
    ];
    inputs.forEach((input, index) => memory.set(input, pointers[index]! / 8));
    const [hessian, linear, equalityMatrix, equalityTarget, inequalityMatrix, inequalityTarget, lower, upper, lowerShare, upperShare, x, multipliers] =
      pointers as [number, number, number, number, number, number, number, number, number, number, number, number];
    const status = this.call(() =>
      exports.solveQp(
        n,
        meq,
        rows,
        iterationsMax,
        hessian,
        linear,
        equalityMatrix,
        equalityTarget,
        inequalityMatrix,
        inequalityTarget,
        lower,
        upper,
        lowerShare,
        upperShare,
        x,
        multipliers,
        end,
      ),
    );
    const view = new Float64Array(exports.memory.buffer);
    return {
      status: checkStatus(status),
      x: view.slice(x / 8, x / 8 + n),
      multipliers: view.slice(multipliers / 8, multipliers / 8 + constraints),
      iterations: exports.lastIterations(),
    };
  }

  /** @throws KernelError ERR_KERNEL_BACKEND_FAILED as solveQp. */
  riskParity(covariance: Float64Array, assets: number, budgets: Float64Array, iterationsMax: number): RiskParitySolution {
    const exports = this.exports;
    const { pointers, end } = layout(exports.heapStart(), [assets * assets, assets, assets]);
    this.reserve(end + exports.riskParityScratchBytes(assets) - exports.heapStart());
    const [covariancePointer, budgetsPointer, x] = pointers as [number, number, number];
    const memory = new Float64Array(exports.memory.buffer);
    memory.set(covariance, covariancePointer / 8);
    memory.set(budgets, budgetsPointer / 8);
    const status = this.call(() => exports.riskParity(assets, covariancePointer, budgetsPointer, iterationsMax, x, end));
    const view = new Float64Array(exports.memory.buffer);
    return { status: checkStatus(status), x: view.slice(x / 8, x / 8 + assets), iterations: exports.lastIterations() };
  }

  private reserve(bytes: number): void {
    if (this.exports.reserve(bytes) !== 1) {
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the wasm memory to grow for the optimiser', `refused at ${bytes} bytes`);
    }
  }

  /** Runs a solver, turning a trap into ERR_KERNEL_BACKEND_FAILED (a broken invariant, not bad input). */
  private call(solve: () => number): number {
    try {
      return solve();
    } catch (error) {
      if (error instanceof KernelError) throw error;
      const detail = this.abortMessage ?? String(error);
      this.abortMessage = null;
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the wasm optimiser to return', `a trap: ${detail}`, { cause: error });
    }
  }
}

/** Consecutive 16-byte-aligned regions of `sizes` float64s from `start`; returns their pointers and the end. */
function layout(start: number, sizes: readonly number[]): { pointers: number[]; end: number } {
  const pointers: number[] = [];
  let position = start;
  for (const size of sizes) {
    pointers.push(position);
    position += Math.ceil((size * 8) / 16) * 16;
  }
  return { pointers, end: position };
}
