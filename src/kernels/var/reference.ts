/**
 * Reference Value at Risk and Expected Shortfall, in plain TypeScript: the normal quantile, the tail
 * statistics of a loss sample (equal or age weights), historical simulation and the parametric
 * (delta-normal) method. Monte Carlo is in src/kernels/var/monte-carlo.ts (its paths come from the
 * backends); it uses `tailStatistics` from here.
 *
 * Conventions (docs/risk.md):
 *   - Loss = -P&L. VaR and ES are losses: positive numbers mean money lost. A position is a market value
 *     x_i (negative = short); the P&L of simple returns r is sum_i x_i r_i (delta, no compounding).
 *   - VaR at confidence c is the loss L such that the tail of mass alpha = 1 - c lies at or beyond it; ES
 *     is the mean loss over that tail (Acerbi and Tasche 2002).
 */
import { describeValue, kernelError } from '../errors.js';
import { ewmaWeights } from '../stats/reference.js';

// ---------------------------------------------------------------------------------------------------
// The normal distribution

/**
 * The standard normal quantile Phi^-1(p), 0 < p < 1, by Wichura's algorithm AS 241 (PPND16, "The
 * Percentage Points of the Normal Distribution", Applied Statistics 37(3), 1988): rational
 * approximations accurate to about 1e-16 relative. z(0.99) = 2.3263478740408408, z(0.999) = 3.090232306167813.
 * @throws KernelError ERR_KERNEL_BAD_OPTION when p is not in (0, 1).
 */
export function normalQuantile(p: number): number {
  if (typeof p !== 'number' || !(p > 0 && p < 1)) throw kernelError('ERR_KERNEL_BAD_OPTION', 'a probability in (0, 1)', describeValue(p));
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r + 6.7265770927008700853e4) * r + 4.5921953931549871457e4) * r +
          1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r + 1.3314166789178437745e2) * r + 3.3871328727963666080)) /
      (((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r + 3.9307895800092710610e4) * r + 2.1213794301586595867e4) * r +
        5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r + 4.2313330701600911252e1) * r + 1)
    );
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let value: number;
  if (r <= 5) {
    r -= 1.6;
    value =
      (((((((7.7454501427834140764e-4 * r + 2.27238449892691845833e-2) * r + 2.4178072517745061177e-1) * r + 1.27045825245236838258) * r +
        3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r + 1.51986665636164571966e-2) * r + 1.4810397642748007459e-1) * r +
        6.8976733498510000455e-1) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    value =
      (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r + 1.2426609473880784386e-3) * r + 2.6532189526576123093e-2) * r +
        2.9656057182850489123e-1) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r +
        1.4875361290850614852e-2) * r + 1.3692988092273580531e-1) * r + 5.9983220655588793769e-1) * r + 1);
  }
  return q < 0 ? -value : value;
}

/** The standard normal density phi(z) = exp(-z^2 / 2) / sqrt(2 pi). */
export function normalDensity(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

// ---------------------------------------------------------------------------------------------------
// Tail statistics

/** Tail counts within this (relative) distance of an integer are that integer: n (1 - c) is rarely exact in binary. */
const kTailCountSnap = 1e-9;

export interface TailStatistics {
  valueAtRisk: number;
  expectedShortfall: number;
  /** Index (into the caller's losses) of the scenario whose loss is the VaR. */
  scenario: number;
}

/**
 * VaR and ES of a loss sample at confidence c, alpha = 1 - c. Losses are ranked from the largest down
 * (ties by index); with weights w (summing to one; equal weights 1/n when null) the VaR is the loss of the
 * first scenario at which the cumulative weight reaches alpha, and
 *
 *   ES = (sum of w_i L_i over the scenarios before it + (alpha - their weight) x VaR) / alpha,
 *
 * the Acerbi-Tasche estimator ("On the coherence of expected shortfall", J. Banking & Finance 26, 2002),
 * which counts the VaR scenario for the fraction of it inside the tail. With equal weights and n alpha an
 * integer m (500 scenarios at 99%: m = 5), VaR is the m-th largest loss and ES the mean of the m largest,
 * as in Hull, "Risk Management and Financial Institutions", ch. 13. No interpolation between scenarios.
 */
export function tailStatistics(losses: Float64Array, weights: Float64Array | null, confidence: number): TailStatistics {
  const count = losses.length;
  if (count === 0) throw kernelError('ERR_KERNEL_TOO_FEW_OBSERVATIONS', 'at least one scenario', '0');
  const order = new Uint32Array(count);
  for (let index = 0; index < count; index++) order[index] = index;
  order.sort((a, b) => losses[b]! - losses[a]! || a - b);
  const alpha = 1 - confidence;
  if (weights === null) return equalWeightTail(losses, order, alpha);
  const threshold = alpha * (1 - kTailCountSnap);
  let cumulative = 0;
  let weightedSum = 0;
  for (let rank = 0; rank < count; rank++) {
    const scenario = order[rank]!;
    const weight = weights[scenario]!;
    if (cumulative + weight >= threshold || rank === count - 1) {
      const loss = losses[scenario]!;
      const expectedShortfall = (weightedSum + Math.max(0, alpha - cumulative) * loss) / alpha;
      return { valueAtRisk: loss, expectedShortfall, scenario };
    }
    cumulative += weight;
    weightedSum += weight * losses[scenario]!;
  }
  throw new Error('unreachable: the last rank always returns');
}

/** Equal weights, with integer ranks: m = ceil(n alpha) (snapped), VaR the m-th largest loss. */
function equalWeightTail(losses: Float64Array, order: Uint32Array, alpha: number): TailStatistics {
  const count = losses.length;
  const tailCount = snappedTailCount(count, alpha);
  const rank = Math.min(count, Math.max(1, Math.ceil(tailCount))) - 1;
  let sum = 0;
  for (let index = 0; index < rank; index++) sum += losses[order[index]!]!;
  const scenario = order[rank]!;
  const valueAtRisk = losses[scenario]!;
  const fraction = Math.min(1, tailCount - rank);
  return { valueAtRisk, expectedShortfall: (sum + fraction * valueAtRisk) / Math.max(tailCount, rank + fraction), scenario };
}

/** n alpha, snapped to the nearest integer when within kTailCountSnap of it. */
export function snappedTailCount(count: number, alpha: number): number {
  const tailCount = count * alpha;
  const nearest = Math.round(tailCount);
  return Math.abs(tailCount - nearest) <= kTailCountSnap * Math.max(1, tailCount) ? nearest : tailCount;
}

/**
 * The largest `keep` values of `values`, sorted ascending, without sorting the rest: a quickselect
 * (Hoare partition, median-of-three pivots) puts them at the end of a copy, then only they are sorted.
 * Monte Carlo needs the tail of 100,000 to 10,000,000 losses, not their full order.
 */
export function largestSorted(values: Float64Array, keep: number): Float64Array {
  const count = values.length;
  const copy = values.slice();
  const target = count - Math.min(count, Math.max(0, keep));
  let low = 0;
  let high = count - 1;
  while (high > low) {
    const middle = low + ((high - low) >> 1);
    const pivot = medianOfThree(copy[low]!, copy[middle]!, copy[high]!);
    let left = low;
    let right = high;
    while (left <= right) {
      while (copy[left]! < pivot) left++;
      while (copy[right]! > pivot) right--;
      if (left <= right) {
        const swap = copy[left]!;
        copy[left] = copy[right]!;
        copy[right] = swap;
        left++;
        right--;
      }
    }
    if (target <= right) high = right;
    else if (target >= left) low = left;
    else break;
  }
  return copy.subarray(target).sort();
}

function medianOfThree(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}

/** ceil(n alpha) - 1 (snapped): the VaR's rank counted from the largest loss, 0-based. */
export function tailRankOf(count: number, confidence: number): number {
  return Math.min(count, Math.max(1, Math.ceil(snappedTailCount(count, 1 - confidence)))) - 1;
}

/**
 * Tail statistics from the largest losses only, sorted ascending (`top`, from largestSorted) of a sample
 * of `count`. Same rule as equal-weight tailStatistics. `top` must hold at least tailRankOf(count, c) + 1
 * values.
 */
export function topTailStatistics(top: Float64Array, count: number, confidence: number): { valueAtRisk: number; expectedShortfall: number; tailRank: number } {
  const tailCount = snappedTailCount(count, 1 - confidence);
  const tailRank = tailRankOf(count, confidence);
  if (top.length < tailRank + 1) throw new RangeError(`expected at least ${tailRank + 1} top losses, was ${top.length}`);
  let sum = 0;
  for (let index = 0; index < tailRank; index++) sum += top[top.length - 1 - index]!;
  const valueAtRisk = top[top.length - 1 - tailRank]!;
  const fraction = Math.min(1, tailCount - tailRank);
  return { valueAtRisk, expectedShortfall: (sum + fraction * valueAtRisk) / Math.max(tailCount, tailRank + fraction), tailRank };
}

/**
 * Boudoukh, Richardson and Whitelaw ("The Best of Both Worlds", Risk 11(5), 1998) age weights for `count`
 * scenarios, oldest first: w_t = decay^(count-1-t) normalised to sum to one, i.e.
 * (1 - decay) decay^age / (1 - decay^count): the RiskMetrics EWMA weights (stats/reference.ts) of the
 * scenarios, with the age decay as lambda.
 */
export const ageWeights: (count: number, decay: number) => Float64Array = ewmaWeights;

// ---------------------------------------------------------------------------------------------------
// Estimates

/** What every method returns before the facade shapes the response. */
export interface VarEstimate {
  valueAtRisk: number;
  expectedShortfall: number;
  /** Euler allocation: x_i dVaR/dx_i, summing to valueAtRisk (exactly up to rounding for parametric and historical). */
  componentVar: Float64Array;
  /** dVaR/dx_i per unit of market value. */
  marginalVar: Float64Array;
}

export interface HistoricalInputs {
  positions: Float64Array;
  returns: Float64Array;
  observations: number;
  confidence: number;
  horizonDays: number;
  /** BRW decay, or null for equal weights. */
  ageDecay: number | null;
  /** sqrt_time: 1-day scenarios scaled by sqrt(h); overlapping: h-day scenarios summed over overlapping windows. */
  historicalHorizon: 'sqrt_time' | 'overlapping';
}

/**
 * Historical simulation. Scenario t's P&L is sum_i x_i r[t][i]; with 'overlapping' the scenarios are the
 * sums over days t..t+h-1 (T - h + 1 of them), with 'sqrt_time' the 1-day VaR and ES are multiplied by
 * sqrt(h). The components are the VaR scenario's own asset losses (the Euler allocation of historical VaR:
 * dVaR/dx_i = -r_i in that scenario), so they add up to the VaR.
 */
export function historicalVar(inputs: HistoricalInputs): VarEstimate {
  const { positions, returns, observations, confidence, horizonDays } = inputs;
  const assets = positions.length;
  const window = inputs.historicalHorizon === 'overlapping' ? horizonDays : 1;
  const scale = inputs.historicalHorizon === 'overlapping' ? 1 : Math.sqrt(horizonDays);
  const daily = new Float64Array(observations);
  for (let t = 0; t < observations; t++) {
    let pnl = 0;
    for (let i = 0; i < assets; i++) pnl += positions[i]! * returns[t * assets + i]!;
    daily[t] = pnl;
  }
  const scenarios = observations - window + 1;
  const losses = new Float64Array(scenarios);
  for (let s = 0; s < scenarios; s++) {
    let pnl = 0;
    for (let t = s; t < s + window; t++) pnl += daily[t]!;
    losses[s] = -pnl;
  }
  const weights = inputs.ageDecay === null || inputs.ageDecay === 1 ? null : ageWeights(scenarios, inputs.ageDecay);
  const tail = tailStatistics(losses, weights, confidence);
  const marginalVar = new Float64Array(assets);
  const componentVar = new Float64Array(assets);
  for (let i = 0; i < assets; i++) {
    let cumulative = 0;
    for (let t = tail.scenario; t < tail.scenario + window; t++) cumulative += returns[t * assets + i]!;
    marginalVar[i] = -cumulative * scale;
    componentVar[i] = positions[i]! * marginalVar[i]!;
  }
  return { valueAtRisk: tail.valueAtRisk * scale, expectedShortfall: tail.expectedShortfall * scale, componentVar, marginalVar };
}

export interface ParametricInputs {
  positions: Float64Array;
  /** N x N covariance of daily returns. */
  covariance: Float64Array;
  /** Daily mean returns, or null for zero mean. */
  means: Float64Array | null;
  confidence: number;
  horizonDays: number;
}

/**
 * Delta-normal VaR (RiskMetrics; Jorion, "Value at Risk", 3rd ed., ch. 7): sigma_p = sqrt(x' S x),
 *   VaR = z sigma_p sqrt(h) - h mu_p,   ES = sigma_p sqrt(h) phi(z) / (1 - c) - h mu_p,
 * z = Phi^-1(c), mu_p = x . mu (zero unless means are given), sqrt-time scaling of the daily figures.
 * Marginal VaR_i = z sqrt(h) (S x)_i / sigma_p - h mu_i; component VaR_i = x_i marginal_i; the components
 * sum to the VaR (Euler: VaR is homogeneous of degree one in x). With sigma_p = 0 the marginals are -h mu_i.
 */
export function parametricVar(inputs: ParametricInputs): VarEstimate {
  const { positions, covariance, means, confidence, horizonDays } = inputs;
  const assets = positions.length;
  const covarianceTimesPositions = new Float64Array(assets);
  let variance = 0;
  for (let i = 0; i < assets; i++) {
    let sum = 0;
    for (let j = 0; j < assets; j++) sum += covariance[i * assets + j]! * positions[j]!;
    covarianceTimesPositions[i] = sum;
    variance += positions[i]! * sum;
  }
  const sigma = Math.sqrt(Math.max(0, variance));
  let meanPnl = 0;
  if (means !== null) for (let i = 0; i < assets; i++) meanPnl += positions[i]! * means[i]!;
  const z = normalQuantile(confidence);
  const root = Math.sqrt(horizonDays);
  const marginalVar = new Float64Array(assets);
  const componentVar = new Float64Array(assets);
  for (let i = 0; i < assets; i++) {
    const drift = means === null ? 0 : horizonDays * means[i]!;
    marginalVar[i] = (sigma > 0 ? (z * root * covarianceTimesPositions[i]!) / sigma : 0) - drift;
    componentVar[i] = positions[i]! * marginalVar[i]!;
  }
  return {
    valueAtRisk: z * sigma * root - horizonDays * meanPnl,
    expectedShortfall: (sigma * root * normalDensity(z)) / (1 - confidence) - horizonDays * meanPnl,
    componentVar,
    marginalVar,
  };
}

/** Column means of a T x N panel (sum over t ascending, divided by T). */
export function columnMeans(returns: Float64Array, assets: number, observations: number): Float64Array {
  const means = new Float64Array(assets);
  for (let t = 0; t < observations; t++) for (let i = 0; i < assets; i++) means[i] = means[i]! + returns[t * assets + i]!;
  for (let i = 0; i < assets; i++) means[i] = means[i]! / observations;
  return means;
}
