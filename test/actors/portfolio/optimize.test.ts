/**
 * The JSON edge of the optimiser (POST /api/v1/portfolio/optimize): optimizePortfolio on good requests
 * (the response shape, the sample estimates from returns, defaults) and on hostile ones, each of which must
 * give a typed error with an HTTP status, never a crash or a wrong answer.
 */
import { describe, expect, it } from 'vitest';
import { KernelError } from '../../../src/kernels/errors.js';
import { kAssetsMax } from '../../../src/kernels/optimizer/optimizer.js';
import { optimizePortfolio, parsePortfolioRequest, type PortfolioResponse } from '../../../src/actors/portfolio/optimize.js';
import { seededRandom } from '../../kernels/support.js';

const ts = { backend: 'ts' } as const;

/** The Bodie-Kane-Marcus two funds (see optimizer.test.ts). */
const bkm = {
  covariance: [
    [0.0144, 0.0072],
    [0.0072, 0.04],
  ],
  expected_returns: [0.08, 0.13],
  risk_free_rate: 0.05,
  assets: ['bonds', 'stocks'],
};

function returnsPanel(observations: number, assets: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: observations }, () => Array.from({ length: assets }, (_, asset) => (random() - 0.48) * 0.02 * (1 + asset)));
}

describe('optimizePortfolio: good requests', () => {
  it('answers max_sharpe for the BKM funds with the full response', () => {
    const response = optimizePortfolio({ objective: 'max_sharpe', ...bkm }, ts);
    expect(Object.keys(response).sort()).toEqual(
      [
        'objective',
        'assets',
        'weights',
        'expected_return',
        'variance',
        'volatility',
        'sharpe',
        'risk_free_rate',
        'marginal_contributions',
        'risk_contributions',
        'risk_contributions_percent',
        'iterations',
        'converged',
        'covariance_repaired',
        'backend',
      ].sort(),
    );
    expect(response.objective).toBe('max_sharpe');
    expect(response.assets).toEqual(['bonds', 'stocks']);
    expect(response.weights[0]).toBeCloseTo(0.4, 14);
    expect(response.weights[1]).toBeCloseTo(0.6, 14);
    expect(response.expected_return).toBeCloseTo(0.11, 14);
    expect(response.sharpe).toBeCloseTo(0.42, 2);
    expect(response.risk_free_rate).toBe(0.05);
    expect(response.converged).toBe(true);
    expect(response.covariance_repaired).toBe(false);
    expect(response.backend).toBe('ts');
    expect(response.risk_contributions_percent.reduce((total, value) => total + value, 0)).toBeCloseTo(100, 12);
    expect(response.risk_contributions.reduce((total, value) => total + value, 0)).toBeCloseTo(response.variance, 16);
    // The response survives JSON (no NaN, no Infinity, no typed arrays).
    expect(JSON.parse(JSON.stringify(response))).toEqual(response);
  });

  it('estimates the sample covariance and means from returns (T x N), names assets asset_i by default', () => {
    const returns = returnsPanel(60, 3, 1);
    const response = optimizePortfolio({ objective: 'min_variance', returns }, ts);
    expect(response.assets).toEqual(['asset_0', 'asset_1', 'asset_2']);
    const means = [0, 1, 2].map((asset) => returns.reduce((total, row) => total + row[asset]!, 0) / 60);
    const expected = response.weights.reduce((total, weight, asset) => total + weight * means[asset]!, 0);
    expect(response.expected_return).toBeCloseTo(expected, 15);
    // Unbiased variance of the portfolio's own return series equals w'Sw for the sample covariance S.
    const series = returns.map((row) => row.reduce((total, value, asset) => total + value * response.weights[asset]!, 0));
    const mean = series.reduce((total, value) => total + value, 0) / series.length;
    const variance = series.reduce((total, value) => total + (value - mean) ** 2, 0) / (series.length - 1);
    expect(response.variance).toBeCloseTo(variance, 15);
  });

  it("covariance_method 'ewma' weights recent observations (RiskMetrics), with ewma_lambda", () => {
    const returns = returnsPanel(80, 3, 4);
    const sample = optimizePortfolio({ objective: 'min_variance', returns }, ts);
    const ewma = optimizePortfolio({ objective: 'min_variance', returns, covariance_method: 'ewma' }, ts);
    const slower = optimizePortfolio({ objective: 'min_variance', returns, covariance_method: 'ewma', ewma_lambda: 0.99 }, ts);
    expect(ewma.weights).not.toEqual(sample.weights);
    expect(slower.weights).not.toEqual(ewma.weights);
    expect(ewma.weights.reduce((total, value) => total + value, 0)).toBeCloseTo(1, 14);
  });

  it('expected_returns override the sample means', () => {
    const response = optimizePortfolio({ objective: 'max_sharpe', returns: returnsPanel(40, 2, 2), expected_returns: [0.01, 0.02] }, ts);
    expect(response.expected_return).toBeCloseTo(0.01 * response.weights[0]! + 0.02 * response.weights[1]!, 15);
  });

  it('covariance alone serves min_variance and risk_parity, with null expected return and Sharpe', () => {
    for (const objective of ['min_variance', 'risk_parity'] as const) {
      const response = optimizePortfolio({ objective, covariance: bkm.covariance }, ts);
      expect(response.expected_return).toBeNull();
      expect(response.sharpe).toBeNull();
    }
  });

  it('applies constraints: long_only false, bounds with null, min/max weight, budget', () => {
    const response = optimizePortfolio(
      { objective: 'mean_variance', risk_aversion: 2, ...bkm, constraints: { long_only: false, bounds: [[null, 0.7], [-0.5, null]], max_weight: 2, budget: 1.5 } },
      ts,
    );
    expect(response.weights.reduce((total, value) => total + value, 0)).toBeCloseTo(1.5, 14);
    expect(response.weights[0]).toBeLessThanOrEqual(0.7 + 1e-15);
  });

  it('risk_budgets shape the risk contributions', () => {
    const response = optimizePortfolio({ objective: 'risk_parity', covariance: bkm.covariance, risk_budgets: [3, 1] }, ts);
    expect(response.risk_contributions_percent[0]).toBeCloseTo(75, 10);
    expect(response.risk_contributions_percent[1]).toBeCloseTo(25, 10);
  });

  it('repair_covariance optimises a singular covariance and says so', () => {
    const response = optimizePortfolio({ objective: 'min_variance', returns: returnsPanel(3, 5, 3), repair_covariance: true }, ts);
    expect(response.covariance_repaired).toBe(true);
    expect(response.weights.reduce((total, value) => total + value, 0)).toBeCloseTo(1, 14);
  });

  it('parsePortfolioRequest accepts a prototype-less object', () => {
    const request = Object.assign(Object.create(null) as object, { objective: 'min_variance', covariance: [[1]] });
    expect(parsePortfolioRequest(request).model.assets).toBe(1);
  });
});

describe('optimizePortfolio: hostile requests', () => {
  const base = { objective: 'min_variance', covariance: bkm.covariance };
  const tooMany = Array.from({ length: kAssetsMax + 1 }, () => []);
  const cases: { message: string; request: unknown; code?: string; status?: number; pattern: RegExp }[] = [
    { message: 'null', request: null, pattern: /expected the request: a JSON object, was null/ },
    { message: 'an array', request: [base], pattern: /a JSON object, was an array/ },
    { message: 'a string', request: '{"objective":"min_variance"}', pattern: /a JSON object/ },
    { message: 'a class instance', request: new (class Request {})(), pattern: /a plain JSON object/ },
    { message: 'no objective', request: { covariance: bkm.covariance }, pattern: /objective: one of min_variance, max_sharpe, mean_variance, risk_parity, was undefined/ },
    { message: 'an unknown objective', request: { ...base, objective: 'max_return' }, pattern: /was "max_return"/ },
    { message: 'an objective of another type', request: { ...base, objective: 1 }, pattern: /objective/ },
    { message: 'an unknown key (a typo)', request: { ...base, risk_free: 0.01 }, pattern: /only the keys .*was a key "risk_free"/ },
    { message: 'a __proto__ key', request: JSON.parse('{"objective":"min_variance","covariance":[[1]],"__proto__":{"polluted":true}}') as unknown, pattern: /a key "__proto__"/ },
    { message: 'neither returns nor covariance', request: { objective: 'min_variance' }, pattern: /exactly one of returns and covariance, was neither/ },
    { message: 'both returns and covariance', request: { ...base, returns: returnsPanel(3, 2, 1) }, pattern: /was both/ },
    { message: 'covariance not an array', request: { ...base, covariance: { 0: [1] } }, pattern: /covariance: an array of rows/ },
    { message: 'an empty covariance', request: { ...base, covariance: [] }, pattern: /at least 1 asset/ },
    { message: 'a ragged covariance', request: { ...base, covariance: [[1, 0], [0]] }, pattern: /covariance\[1\]: 2 numbers, was 1/ },
    { message: 'a non-square covariance', request: { ...base, covariance: [[1, 0, 0], [0, 1, 0]] }, pattern: /covariance\[0\]: 2 numbers, was 3/ },
    { message: 'a string in the covariance', request: { ...base, covariance: [[1, '0'], [0, 1]] }, pattern: /covariance\[0\]\[1\]: a finite number .*was "0"/ },
    { message: 'a null in the covariance', request: { ...base, covariance: [[1, null], [0, 1]] }, pattern: /was null/ },
    { message: 'an overflowing number (1e400 parses to Infinity)', request: JSON.parse('{"objective":"min_variance","covariance":[[1e400]]}') as unknown, pattern: /was Infinity/ },
    { message: 'a number beyond 1e100', request: { ...base, covariance: [[1e101]] }, pattern: /within \+-1e\+100, was 1e\+101/ },
    { message: 'an asymmetric covariance', request: { ...base, covariance: [[1, 0.5], [0.4, 1]] }, pattern: /symmetric/ },
    { message: 'more than kAssetsMax assets', request: { ...base, covariance: tooMany }, code: 'ERR_KERNEL_INPUT_TOO_LONG', status: 413, pattern: /at most 1000 assets/ },
    { message: 'returns with one observation', request: { objective: 'min_variance', returns: [[0.01, 0.02]] }, pattern: /at least 2 observations, was 1/ },
    { message: 'returns that are not rows', request: { objective: 'min_variance', returns: [0.01, 0.02] }, pattern: /returns\[0\]: an array of numbers/ },
    { message: 'ragged returns', request: { objective: 'min_variance', returns: [[0.01, 0.02], [0.01]] }, pattern: /returns\[1\]: 2 numbers, was 1/ },
    { message: 'a NaN-like string in the returns', request: { objective: 'min_variance', returns: [[0.01, 'NaN'], [0.01, 0.02]] }, pattern: /returns\[0\]\[1\]/ },
    { message: 'too many observations', request: { objective: 'min_variance', returns: { length: 100_001 } }, pattern: /returns: an array of observations/ },
    { message: 'an unknown covariance_method', request: { objective: 'min_variance', returns: returnsPanel(3, 2, 1), covariance_method: 'shrunk' }, pattern: /covariance_method: 'sample' or 'ewma', was "shrunk"/ },
    { message: 'covariance_method with a covariance', request: { ...base, covariance_method: 'ewma' }, pattern: /no covariance_method without returns/ },
    { message: 'ewma_lambda without ewma', request: { objective: 'min_variance', returns: returnsPanel(3, 2, 1), ewma_lambda: 0.9 }, pattern: /no ewma_lambda except with covariance_method 'ewma'/ },
    { message: 'ewma_lambda of 1', request: { objective: 'min_variance', returns: returnsPanel(3, 2, 1), covariance_method: 'ewma', ewma_lambda: 1 }, pattern: /ewma_lambda: a number in \(0, 1\), was 1/ },
    { message: 'max_sharpe without expected returns', request: { objective: 'max_sharpe', covariance: bkm.covariance }, pattern: /expected_returns \(or returns\) for max_sharpe, was missing/ },
    { message: 'expected_returns of the wrong length', request: { ...base, expected_returns: [0.1] }, pattern: /expected_returns: 2 numbers, was 1/ },
    { message: 'a string risk_free_rate', request: { ...bkm, objective: 'max_sharpe', risk_free_rate: '0.05' }, pattern: /risk_free_rate: a finite number/ },
    { message: 'mean_variance with neither target', request: { ...bkm, objective: 'mean_variance' }, pattern: /exactly one of target_return and risk_aversion for mean_variance, was neither/ },
    { message: 'mean_variance with both targets', request: { ...bkm, objective: 'mean_variance', target_return: 0.1, risk_aversion: 2 }, pattern: /was both/ },
    { message: 'a target_return for min_variance', request: { ...base, target_return: 0.1 }, pattern: /no target_return except for mean_variance/ },
    { message: 'a risk_aversion for max_sharpe', request: { ...bkm, objective: 'max_sharpe', risk_aversion: 2 }, pattern: /no risk_aversion except for mean_variance/ },
    { message: 'a negative risk_aversion', request: { ...bkm, objective: 'mean_variance', risk_aversion: -1 }, pattern: /riskAversion in/ },
    { message: 'risk_budgets for min_variance', request: { ...base, risk_budgets: [1, 1] }, pattern: /no risk_budgets except for risk_parity/ },
    { message: 'negative risk_budgets', request: { objective: 'risk_parity', covariance: bkm.covariance, risk_budgets: [1, -1] }, pattern: /risk budgets > 0/ },
    { message: 'constraints not an object', request: { ...base, constraints: [] }, pattern: /constraints: a JSON object, was an array/ },
    { message: 'an unknown constraint', request: { ...base, constraints: { max_weights: 0.5 } }, pattern: /was a key "max_weights"/ },
    { message: 'long_only as a string', request: { ...base, constraints: { long_only: 'false' } }, pattern: /constraints.long_only: a boolean, was "false"/ },
    { message: 'bounds of the wrong length', request: { ...base, constraints: { bounds: [[0, 1]] } }, pattern: /constraints.bounds: an array of 2 \[lower, upper\] pairs, was 1 pairs/ },
    { message: 'a bound that is not a pair', request: { ...base, constraints: { bounds: [[0, 1], [0, 1, 2]] } }, pattern: /constraints.bounds\[1\]: a \[lower, upper\] pair/ },
    { message: 'a string bound', request: { ...base, constraints: { bounds: [[0, 1], ['0', 1]] } }, pattern: /constraints.bounds\[1\]\[0\]/ },
    { message: 'a budget of 0', request: { ...base, constraints: { budget: 0 } }, pattern: /a budget > 0, was 0/ },
    { message: 'assets of the wrong length', request: { ...base, assets: ['a'] }, pattern: /assets: an array of 2 names, was 1 names/ },
    { message: 'an empty asset name', request: { ...base, assets: ['a', ''] }, pattern: /assets\[1\]: a name of 1..128 characters/ },
    { message: 'a repeated asset name', request: { ...base, assets: ['a', 'a'] }, pattern: /unique names, was a repeat of "a"/ },
    { message: 'a numeric asset name', request: { ...base, assets: ['a', 2] }, pattern: /assets\[1\]/ },
    { message: 'repair_covariance as a string', request: { ...base, repair_covariance: 'yes' }, pattern: /repair_covariance: a boolean/ },
    // Well-formed but impossible: 422s.
    { message: 'caps that cannot reach the budget', request: { ...base, constraints: { max_weight: 0.4 } }, code: 'ERR_KERNEL_INFEASIBLE', status: 422, pattern: /add up to the budget/ },
    { message: 'a target above the highest return', request: { ...bkm, objective: 'mean_variance', target_return: 0.2 }, code: 'ERR_KERNEL_INFEASIBLE', status: 422, pattern: /the highest expected return/ },
    { message: 'a singular covariance', request: { ...base, covariance: [[1, 1], [1, 1]] }, code: 'ERR_KERNEL_NOT_POSITIVE_DEFINITE', status: 422, pattern: /repair_covariance/ },
  ];
  for (const { message, request, code = 'ERR_KERNEL_BAD_INPUT', status = 400, pattern } of cases) {
    it(`${message}: ${code} (${status})`, () => {
      let thrown: unknown;
      let response: PortfolioResponse | undefined;
      try {
        response = optimizePortfolio(request, ts);
      } catch (error) {
        thrown = error;
      }
      expect(response, 'no response').toBeUndefined();
      expect(thrown).toBeInstanceOf(KernelError);
      expect((thrown as KernelError).code).toBe(code);
      expect((thrown as KernelError).httpStatus).toBe(status);
      expect((thrown as KernelError).message).toMatch(pattern);
    });
  }

  it('checks a huge returns array by its length before reading it', () => {
    const huge = new Proxy([] as unknown[], {
      get: (target, key) => (key === 'length' ? 100_001 : Reflect.get(target, key)),
    });
    expect(() => optimizePortfolio({ objective: 'min_variance', returns: huge }, ts)).toThrowError(expect.objectContaining({ code: 'ERR_KERNEL_INPUT_TOO_LONG' }));
  });
});
