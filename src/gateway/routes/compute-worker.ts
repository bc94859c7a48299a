/**
 * The compute pool's worker (compute-pool.ts): one VaR, optimisation or indicator request, computed on
 * this thread (Monte Carlo included: the pool's thread is its whole share of the machine). Typed errors
 * travel back as values, because a thrown error loses its code when it is cloned between threads.
 */
import { isOctopusError } from '../../engine/errors.js';
import { indicatorOutputsToJson, indicators } from '../../kernels/indicators/indicators.js';
import { optimizePortfolio } from '../../actors/portfolio/optimize.js';
import { computeVar } from '../../actors/risk/var.js';
import { lowerThreadPriority } from '../worker-pool.js';

// Compute yields the cores to the event loop and the execution actor under contention.
lowerThreadPriority(10);

export type ComputeKind = 'var' | 'optimize' | 'indicator';

export interface ComputeTask {
  kind: ComputeKind;
  body: Record<string, unknown>;
}

export type ComputeOutcome = { ok: true; value: unknown } | { ok: false; code: string; message: string };

function compute(task: ComputeTask): unknown {
  switch (task.kind) {
    case 'var':
      return computeVar(task.body);
    case 'optimize':
      return optimizePortfolio(task.body);
    case 'indicator': {
      const body = task.body as { indicator: string; params?: Record<string, number>; series?: unknown; ohlcv?: unknown };
      return indicatorOutputsToJson(indicators.compute(body.indicator, body.params ?? {}, body.ohlcv ?? body.series));
    }
  }
}

export default function run(task: ComputeTask): ComputeOutcome {
  try {
    return { ok: true, value: compute(task) };
  } catch (error) {
    if (isOctopusError(error)) return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}
