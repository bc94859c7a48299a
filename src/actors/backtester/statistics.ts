/**
 * Backtest statistics. Every formula is in docs/backtest.md ("Statistics"); they follow empyrical's
 * definitions (checked against it in test/actors/backtester/statistics.test.ts):
 *
 *   daily equity     the last equity mark of each UTC day; r_d = E_d / E_{d-1} - 1, E_{-1} = initial cash
 *   total_return     E_end / E_0 - 1
 *   cagr             (E_end / E_0)^(252 / N) - 1, N = number of daily returns
 *   annual_vol       std(r, ddof 1) × √252
 *   sharpe           mean(r) / std(r, ddof 1) × √252 (rf 0)
 *   sortino          mean(r) × √252 / √(mean(min(r, 0)²))  (downside deviation over all returns, target 0)
 *   max_drawdown     min over steps of E_t / max_{s<=t} E_s - 1 (E_0 included); duration: longest
 *                    peak-to-recovery span (or peak to end), in steps and in days
 *   calmar           cagr / |max_drawdown|
 *   var_95           5th percentile of r, linear interpolation (numpy's default)
 *   cvar_95          mean of the k + 1 smallest r, k = floor((N - 1) × 0.05) (empyrical's rule)
 *   win_rate         winning closed trades / closed trades (pnl > 0 wins)
 *   profit_factor    Σ winning pnl / |Σ losing pnl|       expectancy: mean pnl of closed trades
 *   exposure         steps with an open position / steps
 * Undefined values (a zero denominator, too few points) are null in the report, never NaN or Infinity.
 */
import type { BacktestRun } from './bar-backtest.js';
import type { RoundTrip } from './round-trips.js';

export const kTradingDaysPerYear = 252;
const kDayMs = 86_400_000;

export interface Statistics {
  final_equity: number;
  total_return: number;
  cagr: number | null;
  annual_volatility: number | null;
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  max_drawdown: number;
  max_drawdown_duration_steps: number;
  max_drawdown_duration_days: number;
  trades: number;
  trades_closed: number;
  trades_open: number;
  win_rate: number | null;
  profit_factor: number | null;
  expectancy: number | null;
  average_win: number | null;
  average_loss: number | null;
  best_trade: number | null;
  worst_trade: number | null;
  exposure: number;
  total_fees: number;
  var_95: number | null;
  cvar_95: number | null;
  days: number;
  steps: number;
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** The last equity of each UTC day, in order. */
export function dailyEquity(timesMs: ArrayLike<number>, equity: ArrayLike<number>): Float64Array {
  const days: number[] = [];
  for (let index = 0; index < equity.length; index++) {
    const last = index === equity.length - 1 || Math.floor(timesMs[index + 1]! / kDayMs) !== Math.floor(timesMs[index]! / kDayMs);
    if (last) days.push(equity[index]!);
  }
  return Float64Array.from(days);
}

/** r_d = E_d / E_{d-1} - 1 with E_{-1} = initial. */
export function dailyReturns(daily: ArrayLike<number>, initial: number): Float64Array {
  const returns = new Float64Array(daily.length);
  let previous = initial;
  for (let index = 0; index < daily.length; index++) {
    returns[index] = daily[index]! / previous - 1;
    previous = daily[index]!;
  }
  return returns;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let index = 0; index < values.length; index++) sum += values[index]!;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

/** Sample standard deviation (ddof 1); NaN below two values. */
export function sampleStd(values: ArrayLike<number>): number {
  if (values.length < 2) return Number.NaN;
  const average = mean(values);
  let squares = 0;
  for (let index = 0; index < values.length; index++) squares += (values[index]! - average) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

export function sharpe(returns: ArrayLike<number>): number {
  return (mean(returns) / sampleStd(returns)) * Math.sqrt(kTradingDaysPerYear);
}

export function sortino(returns: ArrayLike<number>): number {
  let squares = 0;
  for (let index = 0; index < returns.length; index++) squares += Math.min(returns[index]!, 0) ** 2;
  const downside = Math.sqrt(squares / returns.length);
  return (mean(returns) * Math.sqrt(kTradingDaysPerYear)) / downside;
}

export function cagr(returns: ArrayLike<number>): number {
  let growth = 1;
  for (let index = 0; index < returns.length; index++) growth *= 1 + returns[index]!;
  return growth ** (kTradingDaysPerYear / returns.length) - 1;
}

/** numpy.percentile with linear interpolation, q in [0, 100]. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const position = (q / 100) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** empyrical's conditional_value_at_risk: the mean of the floor((N-1)·cutoff) + 1 smallest values. */
export function conditionalValueAtRisk(values: ArrayLike<number>, cutoff = 0.05): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const count = Math.floor((sorted.length - 1) * cutoff) + 1;
  return mean(sorted.subarray(0, count));
}

export interface Drawdown {
  series: Float64Array;
  max: number;
  durationSteps: number;
  durationMs: number;
}

/** Drawdown at each step against the running peak (the initial equity counts as the first peak). */
export function drawdown(timesMs: ArrayLike<number>, equity: ArrayLike<number>, initial: number): Drawdown {
  const series = new Float64Array(equity.length);
  let peak = initial;
  let peakStep = -1;
  let max = 0;
  let durationSteps = 0;
  let durationMs = 0;
  const startMs = equity.length > 0 ? timesMs[0]! : 0;
  for (let index = 0; index < equity.length; index++) {
    const value = equity[index]!;
    if (value >= peak) {
      peak = value;
      peakStep = index;
    }
    series[index] = value / peak - 1;
    if (series[index]! < max) max = series[index]!;
    if (value < peak) {
      const steps = index - peakStep;
      if (steps > durationSteps) {
        durationSteps = steps;
        durationMs = timesMs[index]! - (peakStep < 0 ? startMs : timesMs[peakStep]!);
      }
    }
  }
  return { series, max, durationSteps, durationMs };
}

function tradeStatistics(trades: readonly RoundTrip[]): Pick<Statistics, 'trades' | 'trades_closed' | 'trades_open' | 'win_rate' | 'profit_factor' | 'expectancy' | 'average_win' | 'average_loss' | 'best_trade' | 'worst_trade'> {
  const closed = trades.filter((trade) => !trade.open);
  const wins = closed.filter((trade) => trade.pnl > 0);
  const losses = closed.filter((trade) => trade.pnl <= 0);
  const sum = (list: readonly RoundTrip[]): number => list.reduce((total, trade) => total + trade.pnl, 0);
  const grossLoss = -sum(losses.filter((trade) => trade.pnl < 0));
  const returns = closed.map((trade) => trade.return);
  return {
    trades: trades.length,
    trades_closed: closed.length,
    trades_open: trades.length - closed.length,
    win_rate: closed.length === 0 ? null : wins.length / closed.length,
    profit_factor: grossLoss > 0 ? sum(wins) / grossLoss : null,
    expectancy: closed.length === 0 ? null : sum(closed) / closed.length,
    average_win: wins.length === 0 ? null : sum(wins) / wins.length,
    average_loss: losses.length === 0 ? null : sum(losses) / losses.length,
    best_trade: returns.length === 0 ? null : Math.max(...returns),
    worst_trade: returns.length === 0 ? null : Math.min(...returns),
  };
}

export function computeStatistics(run: BacktestRun, trades: readonly RoundTrip[]): Statistics {
  const steps = run.equity.length;
  const finalEquity = steps === 0 ? run.initialCash : run.equity[steps - 1]!;
  const returns = dailyReturns(dailyEquity(run.timesMs, run.equity), run.initialCash);
  const growth = cagr(returns);
  const drawdowns = drawdown(run.timesMs, run.equity, run.initialCash);
  let exposedSteps = 0;
  for (const flag of run.exposed) exposedSteps += flag;
  const var95 = percentile(returns, 5);
  return {
    final_equity: finalEquity,
    total_return: finalEquity / run.initialCash - 1,
    cagr: returns.length === 0 ? null : finite(growth),
    annual_volatility: finite(sampleStd(returns) * Math.sqrt(kTradingDaysPerYear)),
    sharpe: finite(sharpe(returns)),
    sortino: finite(sortino(returns)),
    calmar: drawdowns.max < 0 ? finite(growth / Math.abs(drawdowns.max)) : null,
    max_drawdown: drawdowns.max,
    max_drawdown_duration_steps: drawdowns.durationSteps,
    max_drawdown_duration_days: drawdowns.durationMs / kDayMs,
    ...tradeStatistics(trades),
    exposure: steps === 0 ? 0 : exposedSteps / steps,
    total_fees: run.fills.reduce((total, fill) => total + fill.fee, 0),
    var_95: finite(var95),
    cvar_95: finite(conditionalValueAtRisk(returns, 0.05)),
    days: returns.length,
    steps,
  };
}
