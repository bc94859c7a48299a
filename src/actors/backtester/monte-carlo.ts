/**
 * Monte Carlo robustness (docs/backtest.md, "Monte Carlo"), seeded so a run replays exactly:
 *
 *   trade bootstrap   each path draws n closed-trade returns with replacement and compounds them:
 *                     E = cash × Π (1 + r_j); its drawdown is taken along the trade-by-trade path.
 *                     Analytic mean: E[E] = cash × (1 + mean(r))^n (independent draws).
 *   block bootstrap   each path rebuilds N daily returns from circular blocks of `blockLength` days
 *                     starting at uniform positions (Politis & Romano 1992, fixed blocks), compounded.
 *                     Each position is marginally uniform, so E[ln(E / cash)] = N × mean(ln(1 + r)).
 *
 * Both report percentile bands (5, 25, 50, 75, 95; linear interpolation) of final equity and of max
 * drawdown, and the mean with its standard error (sample std / √paths).
 */
import { OctopusError } from '../../engine/errors.js';
import { SeededRandom } from '../../engine/random.js';
import { percentile, sampleStd, mean } from './statistics.js';

export interface MonteCarloSpec {
  method: 'trades' | 'block';
  paths: number;
  seed: number;
  /** Block bootstrap: days per block. Default 5. */
  blockLength?: number;
}

export interface Bands {
  p5: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  mean: number;
  standard_error: number;
}

export interface MonteCarloResult {
  method: 'trades' | 'block';
  paths: number;
  final_equity: Bands;
  max_drawdown: Bands;
  /** Final equities of every path (for tests and charts). */
  finals: Float64Array;
}

export const kMaxPaths = 1_000_000;
/** Draws per run at most (paths × returns): bounds the time of one call. */
const kMaxDraws = 100_000_000;

function bands(values: Float64Array): Bands {
  return {
    p5: percentile(values, 5),
    p25: percentile(values, 25),
    p50: percentile(values, 50),
    p75: percentile(values, 75),
    p95: percentile(values, 95),
    mean: mean(values),
    standard_error: sampleStd(values) / Math.sqrt(values.length),
  };
}

/**
 * @param returns closed-trade returns (method trades) or daily returns (method block).
 * @throws OctopusError ERR_BACKTEST_BAD_OPTION on a bad spec or no returns.
 */
export function monteCarlo(returns: ArrayLike<number>, cash: number, spec: MonteCarloSpec): MonteCarloResult {
  const paths = spec.paths;
  if (!Number.isInteger(paths) || paths < 2 || paths > kMaxPaths) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected paths an integer in [2, ${kMaxPaths}], was ${paths}`);
  if (spec.method !== 'trades' && spec.method !== 'block') throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected method trades or block, was ${JSON.stringify(spec.method)}`);
  const count = returns.length;
  if (count === 0) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', 'expected at least one return to resample, was none');
  if (count * paths > kMaxDraws) throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected paths × returns <= ${kMaxDraws}, was ${count * paths}`);
  const blockLength = spec.blockLength ?? 5;
  if (spec.method === 'block' && (!Number.isInteger(blockLength) || blockLength < 1 || blockLength > count)) {
    throw new OctopusError('ERR_BACKTEST_BAD_OPTION', `expected blockLength an integer in [1, ${count}], was ${blockLength}`);
  }
  const random = new SeededRandom(spec.seed);
  const finals = new Float64Array(paths);
  const drawdowns = new Float64Array(paths);
  for (let path = 0; path < paths; path++) {
    let equity = cash;
    let peak = cash;
    let worst = 0;
    for (let drawn = 0; drawn < count; ) {
      const start = random.nextInt(0, count - 1);
      const length = spec.method === 'trades' ? 1 : Math.min(blockLength, count - drawn);
      for (let offset = 0; offset < length; offset++) {
        equity *= 1 + returns[(start + offset) % count]!;
        if (equity > peak) peak = equity;
        else if (equity / peak - 1 < worst) worst = equity / peak - 1;
      }
      drawn += length;
    }
    finals[path] = equity;
    drawdowns[path] = worst;
  }
  return { method: spec.method, paths, final_equity: bands(finals), max_drawdown: bands(drawdowns), finals };
}
