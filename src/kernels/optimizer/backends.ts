/**
 * The optimiser's three backends and the choice between them (src/kernels/backend.ts chooses as for
 * every kernel family):
 *
 *   native  optimizerSolveQp / optimizerRiskParity of the Rust addon (native/src/optimizer.rs), which
 *           borrows the program's Float64Arrays (no copies) and writes x and the multipliers into arrays
 *           allocated here; it returns the status and the iteration count
 *   wasm    asm/optimizer.ts (build/asm/optimizer.wasm), layout below
 *   ts      the reference solvers, qp.ts and risk-parity.ts
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
import { backendFamily, callNative, loadNativeBackend, loadWasmBackend, nativeAddonPath, wasmModulePath } from '../backend.js';
import type { ArtifactRecipe, BackendChoice, BackendLoad, LoadedBackends, WasmExportsBase, WasmInstance } from '../backend.js';
import { kernelError } from '../errors.js';
import {
  kOptimizerAlgorithmVersion,
  type OptimizerBackend,
  type QpSolution,
  type QpStatus,
  type RiskParitySolution,
  type SolverProgram,
} from './contract.js';
import { solveQuadraticProgram } from './qp.js';
import { riskParityNewton } from './risk-parity.js';

export const optimizerTsBackend: OptimizerBackend = Object.freeze({
  name: 'ts' as const,
  solveQp: solveQuadraticProgram,
  riskParity: riskParityNewton,
});

function recipe(functions: readonly string[], versionExport: string): ArtifactRecipe {
  return { exportsLabel: 'the optimizer* exports', functions, versionExport, version: kOptimizerAlgorithmVersion, versionLabel: 'optimiser algorithm version' };
}

// ---------------------------------------------------------------------------------------------------
// Rust

/** A program's arrays in the order both compiled solvers take them. */
type ProgramArrays = [
  hessian: Float64Array,
  linear: Float64Array,
  equalityMatrix: Float64Array,
  equalityTarget: Float64Array,
  inequalityMatrix: Float64Array,
  inequalityTarget: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  lowerShare: Float64Array,
  upperShare: Float64Array,
];

function programArrays(program: SolverProgram): ProgramArrays {
  const { hessian, linear, equalityMatrix, equalityTarget, inequalityMatrix, inequalityTarget, lower, upper, lowerShare, upperShare } = program;
  return [hessian, linear, equalityMatrix, equalityTarget, inequalityMatrix, inequalityTarget, lower, upper, lowerShare, upperShare];
}

interface OptimizerReport {
  status: number;
  iterations: number;
}

/** The optimiser functions native/src/optimizer.rs exports. */
export interface OptimizerNativeAddon {
  optimizerVersion(): number;
  optimizerSolveQp(
    variables: number,
    equalityCount: number,
    inequalityCount: number,
    ...arrays: [...ProgramArrays, iterationsMax: number, x: Float64Array, multipliers: Float64Array]
  ): OptimizerReport;
  optimizerRiskParity(assets: number, covariance: Float64Array, budgets: Float64Array, iterationsMax: number, x: Float64Array): OptimizerReport;
}

/** Loads the addon at `path`; the backend, or the reason it is unavailable (never throws). */
export function loadOptimizerNativeBackend(path: string = nativeAddonPath): BackendLoad<OptimizerBackend> {
  return loadNativeBackend(path, recipe(['optimizerSolveQp', 'optimizerRiskParity'], 'optimizerVersion'), nativeOptimizerBackend);
}

/**
 * The backend over an addon (a real one, or a hand-written stub in tests).
 * @throws (its methods) KernelError ERR_KERNEL_BACKEND_FAILED if the addon refuses a checked program or
 *   reports nonsense.
 */
export function nativeOptimizerBackend(addon: OptimizerNativeAddon): OptimizerBackend {
  return Object.freeze({
    name: 'native' as const,
    solveQp(program: SolverProgram, iterationsMax: number): QpSolution {
      const n = program.variables;
      const x = new Float64Array(n);
      const multipliers = new Float64Array(program.equalityCount + 4 * n + program.inequalityCount);
      const { equalityCount, inequalityCount } = program;
      const report = callNative(() => addon.optimizerSolveQp(n, equalityCount, inequalityCount, ...programArrays(program), iterationsMax, x, multipliers));
      return { status: checkStatus(report.status), x, multipliers, iterations: report.iterations };
    },
    riskParity(covariance: Float64Array, assets: number, budgets: Float64Array, iterationsMax: number): RiskParitySolution {
      const x = new Float64Array(assets);
      const report = callNative(() => addon.optimizerRiskParity(assets, covariance, budgets, iterationsMax, x));
      return { status: checkStatus(report.status), x, iterations: report.iterations };
    },
  });
}

/** @throws KernelError ERR_KERNEL_BACKEND_FAILED for a status outside 0..3. */
export function checkStatus(status: number): QpStatus {
  if (status === 0 || status === 1 || status === 2 || status === 3) return status;
  throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'a solver status in 0..3', `${status}`);
}

// ---------------------------------------------------------------------------------------------------
// WASM

/** The exports of build/asm/optimizer.wasm (see asm/optimizer.ts). */
interface OptimizerWasmExports extends WasmExportsBase {
  version(): number;
  heapStart(): number;
  reserve(bytes: number): number;
  qpScratchBytes(n: number, meq: number, rows: number): number;
  riskParityScratchBytes(n: number): number;
  lastIterations(): number;
  /** Pointers: the program's arrays (ProgramArrays), x, the multipliers, then the scratch. */
  solveQp(n: number, meq: number, rows: number, iterationsMax: number, ...pointers: number[]): number;
  riskParity(n: number, covariance: number, budgets: number, iterationsMax: number, x: number, scratch: number): number;
}

/** Compiles the module at `path`; the backend, or the reason it is unavailable (never throws). */
export function loadOptimizerWasmBackend(path: string = wasmModulePath('optimizer')): BackendLoad<OptimizerBackend> {
  const exports = recipe(['solveQp', 'riskParity', 'heapStart', 'reserve', 'qpScratchBytes', 'riskParityScratchBytes', 'lastIterations'], 'version');
  return loadWasmBackend(path, 'WASM optimiser', exports, wasmOptimizerBackend);
}

/** Copies each program in and x and the multipliers out (layout in the module comment). */
function wasmOptimizerBackend(instance: WasmInstance<OptimizerWasmExports>): OptimizerBackend {
  return Object.freeze({
    name: 'wasm' as const,
    /** @throws KernelError ERR_KERNEL_BACKEND_FAILED if the module traps or the memory cannot grow. */
    solveQp(program: SolverProgram, iterationsMax: number): QpSolution {
      const exports = instance.exports;
      const n = program.variables;
      const meq = program.equalityCount;
      const rows = program.inequalityCount;
      const constraints = meq + 4 * n + rows;
      const sizes = [n * n, n, meq * n, meq, rows * n, rows, n, n, n, n, n, constraints];
      const { pointers, end } = layout(exports.heapStart(), sizes);
      reserve(exports, end + exports.qpScratchBytes(n, meq, rows) - exports.heapStart());
      const memory = instance.view();
      programArrays(program).forEach((input, index) => memory.set(input, pointers[index]! / 8));
      const status = instance.call(() => exports.solveQp(n, meq, rows, iterationsMax, ...pointers, end));
      const [x, multipliers] = pointers.slice(-2) as [number, number];
      const view = instance.view();
      return {
        status: checkStatus(status),
        x: view.slice(x / 8, x / 8 + n),
        multipliers: view.slice(multipliers / 8, multipliers / 8 + constraints),
        iterations: exports.lastIterations(),
      };
    },

    /** @throws KernelError ERR_KERNEL_BACKEND_FAILED as solveQp. */
    riskParity(covariance: Float64Array, assets: number, budgets: Float64Array, iterationsMax: number): RiskParitySolution {
      const exports = instance.exports;
      const { pointers, end } = layout(exports.heapStart(), [assets * assets, assets, assets]);
      reserve(exports, end + exports.riskParityScratchBytes(assets) - exports.heapStart());
      const [covariancePointer, budgetsPointer, x] = pointers as [number, number, number];
      const memory = instance.view();
      memory.set(covariance, covariancePointer / 8);
      memory.set(budgets, budgetsPointer / 8);
      const status = instance.call(() => exports.riskParity(assets, covariancePointer, budgetsPointer, iterationsMax, x, end));
      const view = instance.view();
      return { status: checkStatus(status), x: view.slice(x / 8, x / 8 + assets), iterations: exports.lastIterations() };
    },
  });
}

/** @throws KernelError ERR_KERNEL_BACKEND_FAILED when the memory cannot grow to `bytes` past the heap start. */
function reserve(exports: OptimizerWasmExports, bytes: number): void {
  if (exports.reserve(bytes) !== 1) {
    throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the wasm memory to grow for the optimiser', `refused at ${bytes} bytes`);
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

// ---------------------------------------------------------------------------------------------------
// Selection

export type LoadedOptimizerBackends = LoadedBackends<OptimizerBackend>;
export type OptimizerSelection = BackendChoice<OptimizerBackend>;

/** Loading, picking by name and choosing by OCTOPUS_KERNELS, as every family (see BackendFamily). */
export const { load: loadOptimizerBackends, get: getOptimizerBackend, select: selectOptimizerBackend } = backendFamily<OptimizerBackend>(
  { noun: 'optimiser backend', subject: 'optimiser', ts: optimizerTsBackend, native: loadOptimizerNativeBackend, wasm: loadOptimizerWasmBackend },
);
