/**
 * The optimiser's Rust backend: the optimizer* functions of the napi-rs addon (native/src/optimizer.rs),
 * which is the same addon file as the moving averages' (src/kernels/native-backend.ts).
 *
 * The addon borrows the program's Float64Arrays (no copies) and writes x and the multipliers into arrays
 * allocated here; it returns the status and the iteration count.
 */
import { nativeAddonPath, requireNativeAddon } from './artifacts.js';
import { kernelError } from './errors.js';
import {
  kOptimizerAlgorithmVersion,
  type OptimizerBackend,
  type QpSolution,
  type QpStatus,
  type RiskParitySolution,
  type SolverProgram,
} from './optimizer-contract.js';

interface OptimizerReport {
  status: number;
  iterations: number;
}

/** The optimiser functions native/src/optimizer.rs exports. */
export interface OptimizerNativeAddon {
  optimizerAlgorithmVersion(): number;
  optimizerSolveQp(
    variables: number,
    equalityCount: number,
    inequalityCount: number,
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
    iterationsMax: number,
    x: Float64Array,
    multipliers: Float64Array,
  ): OptimizerReport;
  optimizerRiskParity(assets: number, covariance: Float64Array, budgets: Float64Array, iterationsMax: number, x: Float64Array): OptimizerReport;
}

export type OptimizerNativeLoadResult = { backend: OptimizerNativeBackend; reason: null } | { backend: null; reason: string };

/** Loads the addon at `path`; returns the backend, or the reason it is unavailable (never throws). */
export function loadOptimizerNativeBackend(path: string = nativeAddonPath): OptimizerNativeLoadResult {
  const loaded = requireNativeAddon<Partial<OptimizerNativeAddon>>(path);
  if (loaded.value === null) return { backend: null, reason: loaded.reason };
  const addon = loaded.value;
  if (
    typeof addon.optimizerAlgorithmVersion !== 'function' ||
    typeof addon.optimizerSolveQp !== 'function' ||
    typeof addon.optimizerRiskParity !== 'function'
  ) {
    return { backend: null, reason: 'Rust addon stale: expected the optimizer* exports (run npm run build:native)' };
  }
  const version = addon.optimizerAlgorithmVersion();
  if (version !== kOptimizerAlgorithmVersion) {
    return {
      backend: null,
      reason: `Rust addon stale: expected optimiser algorithm version ${kOptimizerAlgorithmVersion}, was ${version} (run npm run build:native)`,
    };
  }
  return { backend: new OptimizerNativeBackend(addon as OptimizerNativeAddon), reason: null };
}

export class OptimizerNativeBackend implements OptimizerBackend {
  readonly name = 'native' as const;
  private readonly addon: OptimizerNativeAddon;

  constructor(addon: OptimizerNativeAddon) {
    this.addon = addon;
  }

  /** @throws KernelError ERR_KERNEL_BACKEND_FAILED if the addon refuses a checked program or reports nonsense. */
  solveQp(program: SolverProgram, iterationsMax: number): QpSolution {
    const n = program.variables;
    const x = new Float64Array(n);
    const multipliers = new Float64Array(program.equalityCount + 4 * n + program.inequalityCount);
    const report = this.invoke(() =>
      this.addon.optimizerSolveQp(
        n,
        program.equalityCount,
        program.inequalityCount,
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
        iterationsMax,
        x,
        multipliers,
      ),
    );
    return { status: checkStatus(report.status), x, multipliers, iterations: report.iterations };
  }

  /** @throws KernelError ERR_KERNEL_BACKEND_FAILED as solveQp. */
  riskParity(covariance: Float64Array, assets: number, budgets: Float64Array, iterationsMax: number): RiskParitySolution {
    const x = new Float64Array(assets);
    const report = this.invoke(() => this.addon.optimizerRiskParity(assets, covariance, budgets, iterationsMax, x));
    return { status: checkStatus(report.status), x, iterations: report.iterations };
  }

  /** The arguments were checked by the facade, so an addon error is a broken invariant, reported as such. */
  private invoke(solve: () => OptimizerReport): OptimizerReport {
    try {
      return solve();
    } catch (error) {
      throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'the Rust optimiser to accept checked arguments', String(error), { cause: error });
    }
  }
}

/** @throws KernelError ERR_KERNEL_BACKEND_FAILED for a status outside 0..3. */
export function checkStatus(status: number): QpStatus {
  if (status === 0 || status === 1 || status === 2 || status === 3) return status;
  throw kernelError('ERR_KERNEL_BACKEND_FAILED', 'a solver status in 0..3', `${status}`);
}
