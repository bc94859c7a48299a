/**
 * The piscina worker of the optimiser pool (optimize.ts): runs one validated optimisation off the
 * gateway's event loop. Typed errors travel back as values, because a thrown error loses its code when
 * it is cloned between threads.
 */
import { isOctopusError } from '../../engine/errors.js';
import { optimizePortfolio, type PortfolioResponse } from './optimize.js';

export type OptimizerWorkerResult = { ok: true; value: PortfolioResponse } | { ok: false; code: string; message: string };

export default function runOptimization(request: unknown): OptimizerWorkerResult {
  try {
    return { ok: true, value: optimizePortfolio(request) };
  } catch (error) {
    if (isOctopusError(error)) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}
