/**
 * VaR and ES: the normal quantile against published values, the parametric method against Hull's worked
 * examples, closed forms (normal ES, sqrt-time scaling, Euler components summing to the VaR), the
 * historical quantile rule and age weights on hand-built samples, Monte Carlo against the closed forms
 * within four standard errors, and the request validation (every hostile input gets its typed error).
 */
import { describe, expect, it } from 'vitest';
import { computeVar, normalDensity, normalQuantile, type VarResponse } from '../../../src/actors/risk/var.js';
import { ageWeights, historicalVar, largestSorted, parametricVar, tailStatistics, topTailStatistics } from '../../../src/kernels/var/reference.js';
import { covarianceMatrix } from '../../../src/kernels/stats/stats.js';
import { seededRandom } from '../../kernels/support.js';

const relative = (actual: number, expected: number): number => Math.abs(actual - expected) / Math.abs(expected);
const componentSum = (result: VarResponse): number => result.components.reduce((sum, component) => sum + component.component_var, 0);

/** T x N correlated returns (one common factor), from a seeded generator, as arrays of arrays. */
function correlatedReturns(observations: number, assets: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Array.from({ length: observations }, () => {
    const common = normal();
    return Array.from({ length: assets }, (_, i) => 0.01 * (0.6 * common + 0.8 * normal()) * (1 + i / assets));
  });
}

describe('normal quantile (Wichura AS 241)', () => {
  // Published values: z(0.99) = 2.326347874, z(0.999) = 3.090232306 (any table, e.g. Abramowitz and Stegun
  // 26.2); the 16-digit values are Python's statistics.NormalDist().inv_cdf, an independent AS 241.
  const cases: { p: number; z: number; tolerance: number }[] = [
    { p: 0.5, z: 0, tolerance: 0 },
    { p: 0.95, z: 1.6448536269514715, tolerance: 1e-15 },
    { p: 0.975, z: 1.9599639845400536, tolerance: 1e-15 },
    { p: 0.99, z: 2.3263478740408408, tolerance: 1e-15 },
    { p: 0.999, z: 3.090232306167813, tolerance: 1e-15 },
    { p: 0.01, z: -2.3263478740408408, tolerance: 1e-15 },
    { p: 1e-10, z: -6.361340902404056, tolerance: 1e-14 },
  ];
  for (const { p, z, tolerance } of cases) {
    it(`z(${p}) = ${z}`, () => {
      if (z === 0) expect(normalQuantile(p)).toBe(0);
      else expect(relative(normalQuantile(p), z)).toBeLessThanOrEqual(tolerance);
    });
  }

  it('matches the 10-digit textbook values', () => {
    expect(normalQuantile(0.99).toFixed(9)).toBe('2.326347874');
    expect(normalQuantile(0.999).toFixed(9)).toBe('3.090232306');
  });

  it('refuses p outside (0, 1)', () => {
    for (const p of [0, 1, -0.1, Number.NaN]) expect(() => normalQuantile(p), `p ${p}`).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_BAD_OPTION' }));
  });
});

describe('parametric VaR against Hull', () => {
  // J. C. Hull, "Risk Management and Financial Institutions", 3rd ed. (2012), ch. 15 (the model-building
  // approach, pp. 323-325): $10M of Microsoft (daily volatility 2%) and $5M of AT&T (1%), correlation 0.3.
  // Hull uses z = 2.33 and prints: Microsoft 10-day 99% VaR $1,473,621; AT&T $368,405; portfolio
  // 220,227 x sqrt(10) x 2.33 = $1,622,657; diversification benefit $219,369. With z = 2.326347874 the same
  // figures are $1,471,311.58, $367,827.90 and $1,620,113.82 (computed in double precision).
  const positions = new Float64Array([10e6, 5e6]);
  const covariance = new Float64Array([0.02 ** 2, 0.3 * 0.02 * 0.01, 0.3 * 0.02 * 0.01, 0.01 ** 2]);
  const run = (x: Float64Array, s: Float64Array) => parametricVar({ positions: x, covariance: s, means: null, confidence: 0.99, horizonDays: 10 });
  const atHullsZ = (value: number): number => (value / normalQuantile(0.99)) * 2.33;

  it("reproduces Hull's figures at z = 2.33 to the dollar", () => {
    const portfolio = run(positions, covariance).valueAtRisk;
    const microsoft = run(new Float64Array([10e6]), new Float64Array([0.02 ** 2])).valueAtRisk;
    const att = run(new Float64Array([5e6]), new Float64Array([0.01 ** 2])).valueAtRisk;
    expect(Math.round(atHullsZ(microsoft))).toBe(1_473_621);
    expect(Math.round(atHullsZ(att))).toBe(368_405);
    expect(Math.round(atHullsZ(portfolio))).toBe(1_622_657);
    // Hull subtracts his rounded figures.
    expect(Math.round(atHullsZ(microsoft)) + Math.round(atHullsZ(att)) - Math.round(atHullsZ(portfolio))).toBe(219_369);
  });

  it('gives the exact-z figures', () => {
    expect(relative(run(positions, covariance).valueAtRisk, 1_620_113.8228721323)).toBeLessThan(1e-13);
    expect(relative(run(new Float64Array([10e6]), new Float64Array([0.02 ** 2])).valueAtRisk, 1_471_311.5823719108)).toBeLessThan(1e-13);
  });

  it('component VaRs sum to the VaR and marginal x position = component', () => {
    const estimate = run(positions, covariance);
    expect(relative(estimate.componentVar[0]! + estimate.componentVar[1]!, estimate.valueAtRisk)).toBeLessThan(1e-14);
    for (let i = 0; i < 2; i++) expect(estimate.componentVar[i]).toBe(positions[i]! * estimate.marginalVar[i]!);
    // Marginal VaR of Microsoft = z sqrt(10) (S x)_0 / sigma_p = z sqrt(10) (4e3 + 300) / 220,227.155...
    expect(relative(estimate.marginalVar[0]!, (normalQuantile(0.99) * Math.sqrt(10) * 4300) / 220_227.15545545242)).toBeLessThan(1e-13);
  });

  // Hull, RMFI 3rd ed., ch. 9 (Example 9.1): the gain over six months is normal with mean $2M and standard
  // deviation $10M; the 99% VaR is 2.326 x 10 - 2 = $21.3M. Here as one day with mean return 2e-3 and
  // volatility 1e-2 on a $1,000M position. ES (closed form, sigma phi(z) / (1 - c) - mu) = $24.652M.
  it("Hull's normal example with a mean: VaR $21.3M, ES $24.65M", () => {
    const estimate = parametricVar({
      positions: new Float64Array([1000]),
      covariance: new Float64Array([1e-4]),
      means: new Float64Array([2e-3]),
      confidence: 0.99,
      horizonDays: 1,
    });
    expect(estimate.valueAtRisk.toFixed(1)).toBe('21.3');
    expect(relative(estimate.valueAtRisk, 21.26347874040841)).toBeLessThan(1e-13);
    expect(relative(estimate.expectedShortfall, 24.65214220345808)).toBeLessThan(1e-13);
  });
});

describe('parametric closed forms through computeVar', () => {
  const returns = correlatedReturns(750, 4, 17);
  const positions = [1e6, -4e5, 2.5e5, 7e5];
  const x = new Float64Array(positions);
  const covariance = covarianceMatrix(new Float64Array(returns.flat()), 4, 750);
  let variance = 0;
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) variance += x[i]! * covariance[i * 4 + j]! * x[j]!;
  const sigma = Math.sqrt(variance);

  for (const confidence of [0.95, 0.99, 0.999]) {
    for (const horizon of [1, 5, 10]) {
      it(`c ${confidence}, ${horizon} days: VaR = z sigma sqrt(h), ES = sigma sqrt(h) phi(z) / (1 - c), components sum`, () => {
        const result = computeVar({ positions, returns, method: 'parametric', confidence, horizon_days: horizon });
        const z = normalQuantile(confidence);
        expect(relative(result.var, z * sigma * Math.sqrt(horizon))).toBeLessThan(1e-12);
        expect(relative(result.es, (sigma * Math.sqrt(horizon) * normalDensity(z)) / (1 - confidence))).toBeLessThan(1e-12);
        expect(relative(componentSum(result), result.var)).toBeLessThan(1e-12);
        expect(result).toMatchObject({ method: 'parametric', confidence, horizon_days: horizon, observations: 750, covariance: 'sample' });
      });
    }
  }

  it('EWMA covariance changes the answer and keeps the identities', () => {
    const sample = computeVar({ positions, returns, method: 'parametric', confidence: 0.99, horizon_days: 1 });
    const ewma = computeVar({ positions, returns, method: 'parametric', confidence: 0.99, horizon_days: 1, covariance: 'ewma', lambda: 0.94 });
    expect(ewma.var).not.toBe(sample.var);
    expect(relative(componentSum(ewma), ewma.var)).toBeLessThan(1e-12);
  });
});

describe('historical simulation', () => {
  it("Hull's rule: with 500 scenarios the 99% VaR is the 5th worst loss and ES the mean of the 5 worst", () => {
    // Losses 1..500 (thousands) in a scrambled order: VaR = 496, ES = (500 + 499 + 498 + 497 + 496) / 5 = 498.
    const losses = new Float64Array(500).map((_, index) => ((index * 337) % 500) + 1);
    const tail = tailStatistics(losses, null, 0.99);
    expect(tail.valueAtRisk).toBe(496);
    expect(tail.expectedShortfall).toBe(498);
    expect(losses[tail.scenario]).toBe(496);
  });

  it('a tail of fractional size counts the VaR scenario for the fraction inside it (Acerbi-Tasche)', () => {
    // 10 scenarios at 85%: alpha n = 1.5; VaR = 2nd worst (9); ES = (10 + 0.5 x 9) / 1.5 = 9.666...
    const losses = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const tail = tailStatistics(losses, null, 0.85);
    expect(tail.valueAtRisk).toBe(9);
    expect(relative(tail.expectedShortfall, 14.5 / 1.5)).toBeLessThan(1e-15);
  });

  it('largestSorted (quickselect) gives the top of a full sort, ties and edge sizes included', () => {
    const random = seededRandom(8);
    for (const [count, keep] of [[1, 1], [10, 0], [10, 3], [10, 20], [1000, 11], [100_000, 1317]] as const) {
      const values = new Float64Array(count).map(() => Math.round(random() * count * 0.3) / 7);
      const full = values.slice().sort();
      expect(Array.from(largestSorted(values, keep)), `${count} keep ${keep}`).toEqual(Array.from(full.subarray(count - Math.min(count, keep))));
    }
  });

  it('topTailStatistics on the top of a sample equals tailStatistics on all of it', () => {
    const random = seededRandom(12);
    const losses = new Float64Array(10_000).map(() => random() - 0.5);
    for (const confidence of [0.95, 0.99, 0.999, 0.9999]) {
      const all = tailStatistics(losses, null, confidence);
      const top = topTailStatistics(largestSorted(losses, 600), 10_000, confidence);
      expect(top.valueAtRisk, `c ${confidence}`).toBe(all.valueAtRisk);
      expect(relative(top.expectedShortfall, all.expectedShortfall), `c ${confidence}`).toBeLessThan(1e-14);
    }
  });

  it('BRW age weights: decay^age normalised, newest heaviest', () => {
    expect(Array.from(ageWeights(4, 0.5))).toEqual([1 / 15, 2 / 15, 4 / 15, 8 / 15]);
    // Losses oldest first (10, 1, 1, 1) with weights (1, 2, 4, 8)/15: at 90% (alpha 0.1) the worst loss (10)
    // carries 1/15 < 0.1, so VaR is the next (1) and ES = (10/15 + (0.1 - 1/15) x 1) / 0.1.
    const tail = tailStatistics(new Float64Array([10, 1, 1, 1]), ageWeights(4, 0.5), 0.9);
    expect(tail.valueAtRisk).toBe(1);
    expect(relative(tail.expectedShortfall, (10 / 15 + (0.1 - 1 / 15)) / 0.1)).toBeLessThan(1e-14);
  });

  const positions = new Float64Array([100, 50]);
  // Five days of returns; P&L = 100 a + 50 b: (1, -3, 2, -6, 0.5) -> losses (-1, 3, -2, 6, -0.5).
  const returns = new Float64Array([0.01, 0, -0.01, -0.04, 0.02, 0, -0.02, -0.08, 0.005, 0]);
  const base = { positions, returns, observations: 5, confidence: 0.8, ageDecay: null };

  it('1-day VaR is the worst-but-alpha-n scenario, components are its asset losses', () => {
    const estimate = historicalVar({ ...base, horizonDays: 1, historicalHorizon: 'sqrt_time' });
    // alpha n = 1: VaR = worst loss 6 (day 3: a -0.02, b -0.08), ES = 6.
    expect(estimate.valueAtRisk).toBeCloseTo(6, 12);
    expect(estimate.expectedShortfall).toBeCloseTo(6, 12);
    expect(Array.from(estimate.componentVar).map((value) => Number(value.toFixed(12)))).toEqual([2, 4]);
    expect(Array.from(estimate.marginalVar)).toEqual([0.02, 0.08]);
  });

  it('sqrt_time multiplies by sqrt(h); overlapping sums h-day windows', () => {
    const scaled = historicalVar({ ...base, horizonDays: 4, historicalHorizon: 'sqrt_time' });
    expect(relative(scaled.valueAtRisk, 12)).toBeLessThan(1e-12);
    // 2-day windows of P&L (1,-3,2,-6,0.5): -2, -1, -4, -5.5 -> losses 2, 1, 4, 5.5; alpha n = 0.8 -> VaR 5.5.
    const overlapping = historicalVar({ ...base, horizonDays: 2, historicalHorizon: 'overlapping' });
    expect(overlapping.valueAtRisk).toBeCloseTo(5.5, 12);
    expect(overlapping.componentVar[0]! + overlapping.componentVar[1]!).toBeCloseTo(5.5, 12);
  });

  it('through computeVar: components sum to the VaR', () => {
    const returnsRows = correlatedReturns(500, 6, 23);
    for (const extra of [{}, { age_decay: 0.99 }, { historical_horizon: 'overlapping' }]) {
      const result = computeVar({ positions: [1, 2, 3, 4, 5, 6].map((v) => v * 1e5), returns: returnsRows, method: 'historical', confidence: 0.99, horizon_days: 10, ...extra });
      expect(relative(componentSum(result), result.var), JSON.stringify(extra)).toBeLessThan(1e-12);
      expect(result.es).toBeGreaterThanOrEqual(result.var);
    }
  });
});

describe('Monte Carlo against the closed forms', () => {
  const returns = correlatedReturns(1000, 5, 41);
  const positions = [2e6, 1e6, -5e5, 1.5e6, 8e5];
  const x = new Float64Array(positions);
  const covariance = covarianceMatrix(new Float64Array(returns.flat()), 5, 1000);
  let variance = 0;
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) variance += x[i]! * covariance[i * 5 + j]! * x[j]!;
  const paths = 200_000;

  it('normal shocks: VaR and ES within 4 standard errors of the delta-normal values', () => {
    const horizon = 10;
    const confidence = 0.99;
    const scale = Math.sqrt(variance * horizon);
    const z = normalQuantile(confidence);
    const alpha = 1 - confidence;
    // SE of a sample quantile: sqrt(c (1 - c) / n) / density at the quantile (antithetic pairs only lower it).
    const varError = (Math.sqrt((confidence * alpha) / paths) * scale) / normalDensity(z);
    // SE of the ES estimator (Manistre and Hancock 2005): sqrt((Var(L | L > q) + c (ES - q)^2) / (n alpha)).
    const tailMean = normalDensity(z) / alpha;
    const tailVariance = 1 + z * tailMean - tailMean ** 2;
    const esError = Math.sqrt((tailVariance + confidence * (tailMean - z) ** 2) / (paths * alpha)) * scale;
    const result = computeVar({ positions, returns, method: 'monte_carlo', confidence, horizon_days: horizon, paths, seed: 2024 });
    expect(Math.abs(result.var - z * scale)).toBeLessThan(4 * varError);
    expect(Math.abs(result.es - tailMean * scale)).toBeLessThan(4 * esError);
    expect(relative(componentSum(result), result.var)).toBeLessThan(1e-12);
    expect(result.standard_error!).toBeGreaterThan(0.5 * varError);
    expect(result.standard_error!).toBeLessThan(2 * varError);
  });

  it('component VaRs are close to the parametric (Euler) components', () => {
    const parametric = computeVar({ positions, returns, method: 'parametric', confidence: 0.99, horizon_days: 1 });
    const monteCarlo = computeVar({ positions, returns, method: 'monte_carlo', confidence: 0.99, horizon_days: 1, paths, seed: 9 });
    for (let i = 0; i < 5; i++) {
      expect(Math.abs(monteCarlo.components[i]!.component_var - parametric.components[i]!.component_var), `asset ${i}`).toBeLessThan(0.1 * parametric.var);
    }
  });

  it('Student-t shocks (dof 5, one day, one asset): VaR within 4 SE of sigma sqrt(3/5) t5(0.99)', () => {
    // t5(0.99) = 3.364929998907206 and the t5 density there 0.010910975291951194 (closed-form CDF for odd dof, bisection).
    const oneAsset = returns.map((row) => [row[0]!]);
    const sigma = Math.sqrt(covarianceMatrix(new Float64Array(oneAsset.flat()), 1, 1000)[0]!) * 1e6;
    const unitScale = Math.sqrt(3 / 5);
    const error = (Math.sqrt(0.99 * 0.01 / paths) / 0.010910975291951194) * unitScale * sigma;
    const result = computeVar({ positions: [1e6], returns: oneAsset, method: 'monte_carlo', confidence: 0.99, horizon_days: 1, paths, seed: 5, distribution: 'student_t', dof: 5 });
    expect(Math.abs(result.var - 3.364929998907206 * unitScale * sigma)).toBeLessThan(4 * error);
    expect(result).toMatchObject({ distribution: 'student_t', dof: 5 });
  });

  it('a seed replays exactly; another seed differs; antithetic can be turned off', () => {
    const request = { positions, returns, method: 'monte_carlo', confidence: 0.95, horizon_days: 5, paths: 20_001, seed: 77 };
    expect(computeVar(request)).toEqual(computeVar(request));
    expect(computeVar({ ...request, seed: 78 }).var).not.toBe(computeVar(request).var);
    const plain = computeVar({ ...request, antithetic: false });
    expect(plain.antithetic).toBe(false);
    expect(relative(plain.var, computeVar(request).var)).toBeLessThan(0.1);
  });

  it('a covariance that is not positive definite fails with the pivot, or is repaired on request', () => {
    // Two identical assets: the sample covariance is singular.
    const collinear = returns.map((row) => [row[0]!, row[0]!, row[1]!]);
    const request = { positions: [1, 2, 3], returns: collinear, method: 'monte_carlo', confidence: 0.99, horizon_days: 1, paths: 1000 };
    expect(() => computeVar(request)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_NOT_POSITIVE_DEFINITE', message: expect.stringContaining('pivot 1') }));
    const repaired = computeVar({ ...request, repair: true });
    expect(repaired.repaired).toBe(true);
    expect(repaired.var).toBeGreaterThan(0);
  });
});

describe('request validation', () => {
  const valid = { positions: [100, 200], returns: [[0.01, 0.02], [-0.01, 0], [0.02, -0.01]], method: 'parametric', confidence: 0.99, horizon_days: 1 };
  const cases: { message: string; request: unknown; code: string }[] = [
    { message: 'not an object', request: [1, 2], code: 'ERR_RISK_BAD_REQUEST' },
    { message: 'null', request: null, code: 'ERR_RISK_BAD_REQUEST' },
    { message: 'an unknown field', request: { ...valid, confidance: 0.9 }, code: 'ERR_RISK_BAD_REQUEST' },
    { message: 'no method', request: { ...valid, method: undefined }, code: 'ERR_RISK_BAD_METHOD' },
    { message: 'an unknown method', request: { ...valid, method: 'garch' }, code: 'ERR_RISK_BAD_METHOD' },
    { message: 'paths with parametric', request: { ...valid, paths: 100 }, code: 'ERR_RISK_BAD_METHOD' },
    { message: 'age_decay with parametric', request: { ...valid, age_decay: 0.9 }, code: 'ERR_RISK_BAD_METHOD' },
    { message: 'no positions', request: { ...valid, positions: [] }, code: 'ERR_RISK_BAD_POSITIONS' },
    { message: 'a NaN position', request: { ...valid, positions: [Number.NaN, 1] }, code: 'ERR_RISK_BAD_POSITIONS' },
    { message: 'a position of the wrong type', request: { ...valid, positions: ['100', 1] }, code: 'ERR_RISK_BAD_POSITIONS' },
    { message: 'both market_value and quantity', request: { ...valid, positions: [{ market_value: 1, quantity: 1, price: 1 }, 1] }, code: 'ERR_RISK_BAD_POSITIONS' },
    { message: 'a price of zero', request: { ...valid, positions: [{ quantity: 1, price: 0 }, 1] }, code: 'ERR_RISK_BAD_POSITIONS' },
    { message: 'duplicate asset names', request: { ...valid, assets: ['A', 'A'] }, code: 'ERR_RISK_BAD_POSITIONS' },
    { message: 'asset names that disagree with the positions', request: { ...valid, positions: [{ asset: 'A', market_value: 1 }, 2], assets: ['B', 'C'] }, code: 'ERR_RISK_BAD_POSITIONS' },
    { message: 'no returns', request: { ...valid, returns: undefined }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'both returns and prices', request: { ...valid, prices: [[1, 1], [2, 2], [3, 3]] }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'rows shorter than the positions (mismatched lengths)', request: { ...valid, returns: [[0.01], [0.02], [0.03]] }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'a NaN return', request: { ...valid, returns: [[0.01, Number.NaN], [0, 0], [0, 0]] }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'a string return', request: { ...valid, returns: [[0.01, '0.02'], [0, 0], [0, 0]] }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'a single observation', request: { ...valid, returns: [[0.01, 0.02]] }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'a window longer than the history', request: { ...valid, window: 10 }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'a negative price', request: { ...valid, returns: undefined, prices: [[1, 1], [-2, 2], [3, 3]] }, code: 'ERR_RISK_BAD_RETURNS' },
    { message: 'confidence 1', request: { ...valid, confidence: 1 }, code: 'ERR_RISK_BAD_CONFIDENCE' },
    { message: 'confidence 0', request: { ...valid, confidence: 0 }, code: 'ERR_RISK_BAD_CONFIDENCE' },
    { message: 'confidence 99 (a percentage)', request: { ...valid, confidence: 99 }, code: 'ERR_RISK_BAD_CONFIDENCE' },
    { message: 'confidence as a string', request: { ...valid, confidence: '0.99' }, code: 'ERR_RISK_BAD_CONFIDENCE' },
    { message: 'horizon 0', request: { ...valid, horizon_days: 0 }, code: 'ERR_RISK_BAD_HORIZON' },
    { message: 'horizon 2.5', request: { ...valid, horizon_days: 2.5 }, code: 'ERR_RISK_BAD_HORIZON' },
    { message: 'horizon 1000', request: { ...valid, horizon_days: 1000 }, code: 'ERR_RISK_BAD_HORIZON' },
    { message: 'an overlapping horizon longer than the history', request: { ...valid, method: 'historical', historical_horizon: 'overlapping', horizon_days: 5 }, code: 'ERR_RISK_BAD_HORIZON' },
    { message: 'one path', request: { ...valid, method: 'monte_carlo', paths: 1 }, code: 'ERR_RISK_BAD_PATHS' },
    { message: 'fractional paths', request: { ...valid, method: 'monte_carlo', paths: 10.5 }, code: 'ERR_RISK_BAD_PATHS' },
    { message: 'too many paths', request: { ...valid, method: 'monte_carlo', paths: 10_000_001 }, code: 'ERR_RISK_TOO_MANY_PATHS' },
    { message: 'too much work', request: { ...valid, method: 'monte_carlo', paths: 10_000_000, horizon_days: 250, positions: Array(10).fill(1), returns: [Array(10).fill(0), Array(10).fill(0.01)] }, code: 'ERR_RISK_TOO_LARGE' },
    { message: 'a negative seed', request: { ...valid, method: 'monte_carlo', seed: -1 }, code: 'ERR_RISK_BAD_SEED' },
    { message: 'a seed past 2^32', request: { ...valid, method: 'monte_carlo', seed: 2 ** 32 }, code: 'ERR_RISK_BAD_SEED' },
    { message: 'an unknown distribution', request: { ...valid, method: 'monte_carlo', distribution: 'cauchy' }, code: 'ERR_RISK_BAD_DISTRIBUTION' },
    { message: 'dof 2 (no variance)', request: { ...valid, method: 'monte_carlo', distribution: 'student_t', dof: 2 }, code: 'ERR_RISK_BAD_DISTRIBUTION' },
    { message: 'dof without student_t', request: { ...valid, method: 'monte_carlo', dof: 5 }, code: 'ERR_RISK_BAD_DISTRIBUTION' },
    { message: 'student_t with parametric', request: { ...valid, distribution: 'student_t' }, code: 'ERR_RISK_BAD_DISTRIBUTION' },
    { message: 'lambda 1.5', request: { ...valid, covariance: 'ewma', lambda: 1.5 }, code: 'ERR_RISK_BAD_REQUEST' },
    { message: 'antithetic as a string', request: { ...valid, method: 'monte_carlo', antithetic: 'yes' }, code: 'ERR_RISK_BAD_REQUEST' },
  ];
  for (const { message, request, code } of cases) {
    it(`${message}: ${code}`, () => {
      expect(() => computeVar(request)).toThrowError(expect.objectContaining({ code, message: expect.stringMatching(/expected .*, was /) }));
    });
  }

  it('errors carry an HTTP status and serialise for the gateway', () => {
    try {
      computeVar({ ...valid, confidence: 2 });
      expect.fail('expected a throw');
    } catch (error) {
      expect((error as { httpStatus: number }).httpStatus).toBe(400);
      expect(JSON.parse(JSON.stringify(error))).toMatchObject({ error: { code: 'ERR_RISK_BAD_CONFIDENCE' } });
    }
  });

  it('accepts {quantity, price} and {market_value} positions, prices instead of returns, and a window', () => {
    const result = computeVar({
      positions: [{ asset: 'AAA', quantity: 10, price: 20 }, { asset: 'BBB', market_value: 300 }],
      prices: [[20, 30], [20.2, 29.7], [19.8, 30.3], [20.4, 30]],
      window: 2,
      method: 'historical',
      confidence: 0.5,
      horizon_days: 1,
    });
    expect(result.components.map((component) => component.asset)).toEqual(['AAA', 'BBB']);
    expect(result.observations).toBe(2);
  });
});
