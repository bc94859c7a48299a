/**
 * The TypeScript backend: the reference implementations themselves. Always available; the engine falls
 * back to it when neither compiled backend is built.
 */
import type { KernelBackend } from './contract.js';
import { ema, sma } from './reference/moving-average.js';

export const tsBackend: KernelBackend = Object.freeze({
  name: 'ts' as const,
  sma,
  ema,
});
