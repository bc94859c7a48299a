/**
 * The optimiser's TypeScript backend: the reference solvers themselves. Always available; the facade
 * falls back to it when neither compiled backend is built.
 */
import type { OptimizerBackend } from './optimizer-contract.js';
import { riskParityNewton } from './reference/optimizer-risk-parity.js';
import { solveQuadraticProgram } from './reference/qp.js';

export const optimizerTsBackend: OptimizerBackend = Object.freeze({
  name: 'ts' as const,
  solveQp: solveQuadraticProgram,
  riskParity: riskParityNewton,
});
