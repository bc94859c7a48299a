/**
 * Portfolio optimisation on each backend: the TS reference (baseline), WASM and Rust, on one 100-asset
 * problem (30 in quick mode). One operation is one optimisation, from a covariance already estimated: the
 * estimate is the stats kernels' work (bench suite of docs/risk.md), and here would only dilute the ratio.
 *
 *   min variance    long-only, every weight <= 5%                      (QP: Goldfarb-Idnani)
 *   max Sharpe      long-only, every weight <= 5%, risk-free rate      (QP in y = w / kappa)
 *   risk parity     equal risk contributions                           (Spinu, Newton + line search)
 *
 * Full mode adds min variance on 300 assets, for the scaling.
 *
 * The problem: 500 days of seeded returns from a 4-factor model (market, two sectors, a style factor) plus
 * idiosyncratic noise, so that the covariance has the structure of real equities and the bounds bind on
 * a realistic share of assets. Every backend solves the identical program and takes identical iterations
 * (tested in test/kernels/optimizer/backends.test.ts), so the ratios compare equal work. The WASM cases
 * include copying the program in and the solution out. Backends that are not built are left out.
 */
import { getOptimizerBackend } from '../../src/kernels/optimizer/backends.js';
import { maximumSharpe, minimumVariance, riskParity, type PortfolioModel, type PortfolioOptimum } from '../../src/kernels/optimizer/optimizer.js';
import { covarianceMatrix } from '../../src/kernels/stats/stats.js';
import type { BackendName } from '../../src/kernels/backend.js';
import { measureCases, type BenchCase, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kAssetsFull = 100;
const kAssetsQuick = 30;
/** A larger min-variance problem, full mode only, to show how the backends scale (the QP is O(n^3)). */
const kAssetsLarge = 300;
const kObservations = 500;
const kWeightCap = 0.05;

/** mulberry32, as in the other suites, so every run measures the same problem. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Daily returns from a factor model: r = B f + e, with mean drifts spread across the assets. */
function factorModel(assets: number, seed: number): PortfolioModel {
  const random = seededRandom(seed);
  const normal = () => {
    // Irwin-Hall: the sum of 12 uniforms minus 6 is close enough to a standard normal for a bench input.
    let total = -6;
    for (let draw = 0; draw < 12; draw++) total += random();
    return total;
  };
  const factors = 4;
  const loadings = Array.from({ length: assets }, (_, asset) => [
    0.6 + 0.8 * random(),
    asset % 3 === 0 ? 0.8 * random() : 0,
    asset % 3 === 1 ? 0.8 * random() : 0,
    random() - 0.5,
  ]);
  const drifts = Array.from({ length: assets }, () => 0.0001 + 0.0006 * random());
  const idiosyncratic = Array.from({ length: assets }, () => 0.008 + 0.012 * random());
  const returns = new Float64Array(kObservations * assets);
  for (let day = 0; day < kObservations; day++) {
    const draws = Array.from({ length: factors }, () => 0.01 * normal());
    for (let asset = 0; asset < assets; asset++) {
      let value = drifts[asset]! + idiosyncratic[asset]! * normal();
      for (let factor = 0; factor < factors; factor++) value += loadings[asset]![factor]! * draws[factor]!;
      returns[day * assets + asset] = value;
    }
  }
  return {
    assets,
    covariance: covarianceMatrix(returns, assets, kObservations),
    expectedReturns: Float64Array.from(drifts),
    riskFreeRate: 0.0001,
  };
}

type Objective = 'min variance' | 'max Sharpe' | 'risk parity';

const objectives: Record<Objective, (model: PortfolioModel, backend: BackendName) => PortfolioOptimum> = {
  'min variance': (model, backend) => minimumVariance(model, { backend, constraints: { maxWeight: kWeightCap } }),
  'max Sharpe': (model, backend) => maximumSharpe(model, { backend, constraints: { maxWeight: kWeightCap } }),
  'risk parity': (model, backend) => riskParity(model, { backend }),
};

function availableBackends(): BackendName[] {
  return (['ts', 'wasm', 'native'] as const).filter((name) => {
    try {
      getOptimizerBackend(name);
      return true;
    } catch {
      return false;
    }
  });
}

function casesFor(objective: Objective, model: PortfolioModel, backends: readonly BackendName[]): BenchCase[] {
  const run = objectives[objective];
  const iterations = run(model, 'ts').iterations;
  return backends.map((backend) => ({
    name: `${objective} ${backend === 'ts' ? 'ts-reference' : backend} (${model.assets} assets, ${iterations} iterations)`,
    fn: () => run(model, backend),
  }));
}

const suite: BenchSuite = {
  name: 'optimizer',
  description: `portfolio optimisation on ${kAssetsFull} assets (quick: ${kAssetsQuick}): min variance and max Sharpe with a ${kWeightCap * 100}% cap, risk parity; TS reference vs WASM (incl. copies) vs Rust`,
  async run(options: BenchOptions): Promise<BenchRow[]> {
    const model = factorModel(options.quick ? kAssetsQuick : kAssetsFull, 20_240_601);
    const backends = availableBackends();
    const rows: BenchRow[] = [];
    for (const objective of Object.keys(objectives) as Objective[]) {
      const cases = casesFor(objective, model, backends);
      rows.push(...(await measureCases('optimizer', cases, cases[0]!.name, 'call', options)));
    }
    if (!options.quick) {
      const cases = casesFor('min variance', factorModel(kAssetsLarge, 20_240_602), backends);
      rows.push(...(await measureCases('optimizer', cases, cases[0]!.name, 'call', options)));
    }
    return rows;
  },
};

export default suite;
