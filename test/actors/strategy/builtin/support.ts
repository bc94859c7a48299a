/** Runs a built-in strategy over synthetic bars and returns its signals by bar index. */
import { runBarBacktest, type BacktestRun } from '../../../../src/actors/backtester/bar-backtest.js';
import { allocateSeries, type BarSeries } from '../../../../src/actors/backtester/bar-data.js';
import { instantiateStrategy } from '../../../../src/actors/strategy/builtin/index.js';

export function barsOf(symbol: string, closes: readonly number[], spread = 0.5): BarSeries {
  const bars = allocateSeries(symbol, closes.length);
  closes.forEach((close, index) => {
    bars.time[index] = Date.UTC(2024, 0, 1) + index * 86_400_000;
    bars.open[index] = close;
    bars.close[index] = close;
    bars.high[index] = close + spread;
    bars.low[index] = close - spread;
    bars.volume[index] = 1;
  });
  return bars;
}

export function runBuiltin(name: string, params: Record<string, unknown>, series: BarSeries[]): { run: BacktestRun; signals: [number, string, number][] } {
  const run = runBarBacktest({ strategy: instantiateStrategy(name, params), series, fill: 'market_on_close', feeRate: 0, cash: 10_000 });
  const times = Array.from(series[0]!.time);
  return { run, signals: run.signals.map((signal) => [times.indexOf(signal.timeMs), signal.symbol, signal.target]) };
}
