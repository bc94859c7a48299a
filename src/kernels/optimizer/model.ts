/**
 * The portfolio model around the optimiser's solvers, in plain TypeScript: expected returns from a
 * returns panel (the covariance comes from src/kernels/stats/stats.ts), the risk decomposition of a portfolio, and the best value a linear objective can reach
 * over the constraint set (for feasibility checks). All O(n^2) or less, run once per request, so they have
 * no compiled versions.
 *
 * Layouts as in the stats kernels: a returns panel is `observations x assets` values, row-major
 * (`returns[t * assets + i]`); a covariance is n x n, row-major.
 */

/** Sample mean of each asset's column of the panel, summed in time order then divided by T. */
export function sampleMeans(returns: Float64Array, assets: number, observations: number): Float64Array {
  const means = new Float64Array(assets);
  for (let time = 0; time < observations; time++) {
    const row = time * assets;
    for (let asset = 0; asset < assets; asset++) means[asset] = means[asset]! + returns[row + asset]!;
  }
  for (let asset = 0; asset < assets; asset++) means[asset] = means[asset]! / observations;
  return means;
}

/**
 * The risk decomposition of a portfolio (Euler allocation of the variance; see e.g. T. Roncalli,
 * "Introduction to Risk Parity and Budgeting", 2013, section 2.2):
 *
 *   variance            w'Sw = sum_i RC_i
 *   marginal_i          (Sw)_i / sigma          d sigma / d w_i
 *   contribution_i      RC_i = w_i (Sw)_i       sums to the variance exactly as computed here
 *   share_i             RC_i / variance         sums to 1
 */
export interface RiskDecomposition {
  variance: number;
  volatility: number;
  marginalContributions: Float64Array;
  riskContributions: Float64Array;
  riskContributionShares: Float64Array;
}

export function decomposeRisk(covariance: Float64Array, n: number, weights: Float64Array): RiskDecomposition {
  const marginalContributions = new Float64Array(n);
  const riskContributions = new Float64Array(n);
  const riskContributionShares = new Float64Array(n);
  let variance = 0;
  for (let row = 0; row < n; row++) {
    let product = 0;
    for (let column = 0; column < n; column++) product += covariance[row * n + column]! * weights[column]!;
    marginalContributions[row] = product;
    riskContributions[row] = weights[row]! * product;
    variance += riskContributions[row]!;
  }
  const volatility = Math.sqrt(variance > 0 ? variance : 0);
  for (let index = 0; index < n; index++) {
    marginalContributions[index] = volatility > 0 ? marginalContributions[index]! / volatility : 0;
    riskContributionShares[index] = variance > 0 ? riskContributions[index]! / variance : 0;
  }
  return { variance, volatility, marginalContributions, riskContributions, riskContributionShares };
}

/**
 * The largest value of values'w over { sum(w) = budget, lower <= w <= upper } (a continuous knapsack,
 * solved greedily: G. B. Dantzig, "Discrete-variable extremum problems", Operations Research 5(2), 1957),
 * for a set the caller has checked is not empty (lower <= upper, sum(lower) <= budget <= sum(upper)).
 *
 * With finite lower bounds, start from them and give the remaining budget to the highest values first, each
 * up to its upper bound; with finite upper bounds, start from them and take the excess from the lowest
 * values first. Returns +Infinity when money can flow without limit from an asset without a lower bound to
 * a better one without an upper bound, and also (conservatively) in the rare bounded case with infinite
 * bounds on both sides, where the solver itself then decides feasibility.
 */
export function maximumLinearValue(values: Float64Array, lower: Float64Array, upper: Float64Array, budget: number): number {
  const n = values.length;
  const order = Array.from({ length: n }, (_, index) => index).sort(
    (first, second) => values[second]! - values[first]! || first - second,
  );
  let hasLowerInfinity = false;
  let hasUpperInfinity = false;
  for (let index = 0; index < n; index++) {
    if (lower[index] === Number.NEGATIVE_INFINITY) hasLowerInfinity = true;
    if (upper[index] === Number.POSITIVE_INFINITY) hasUpperInfinity = true;
  }
  if (hasLowerInfinity && hasUpperInfinity) return Number.POSITIVE_INFINITY;
  const weights = new Float64Array(n);
  if (!hasLowerInfinity) {
    let remaining = budget;
    for (let index = 0; index < n; index++) {
      weights[index] = lower[index]!;
      remaining -= lower[index]!;
    }
    for (const index of order) {
      const room = upper[index]! - lower[index]!;
      const added = remaining < room ? remaining : room;
      weights[index] = weights[index]! + added;
      remaining -= added;
    }
  } else {
    let excess = -budget;
    for (let index = 0; index < n; index++) {
      weights[index] = upper[index]!;
      excess += upper[index]!;
    }
    for (let position = n - 1; position >= 0; position--) {
      const index = order[position]!;
      const room = upper[index]! - lower[index]!;
      const removed = excess < room ? excess : room;
      weights[index] = weights[index]! - removed;
      excess -= removed;
    }
  }
  let total = 0;
  for (let index = 0; index < n; index++) total += values[index]! * weights[index]!;
  return total;
}

