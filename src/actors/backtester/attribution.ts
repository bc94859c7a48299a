/**
 * P&L attribution by strategy, symbol and month (UTC calendar month of the step). Per symbol and step t
 * the P&L is marked to market at the step's close:
 *
 *   pnl_t = position_{t-1} × (close_t - close_{t-1}) + Σ_{fills at t} signed qty × (close_t - fill price) - fees_t
 *
 * so each symbol's P&L sums to what it added to equity, and over all symbols and steps to the equity
 * change of the run. A symbol without a close at a step carries its previous close.
 */
import type { BacktestRun } from './bar-backtest.js';

export interface Attribution {
  by_strategy: Record<string, number>;
  by_symbol: Record<string, number>;
  by_month: Record<string, number>;
  /** month -> symbol -> pnl */
  by_month_symbol: Record<string, Record<string, number>>;
}

function monthOf(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 7);
}

function add(table: Record<string, number>, key: string, value: number): void {
  table[key] = (table[key] ?? 0) + value;
}

function attributeRun(name: string, run: BacktestRun, result: Attribution): void {
  const fillsByStep = new Map<number, BacktestRun['fills']>();
  for (const fill of run.fills) {
    let list = fillsByStep.get(fill.step);
    if (list === undefined) fillsByStep.set(fill.step, (list = []));
    list.push(fill);
  }
  for (const [symbol, closes] of run.closes) {
    let position = 0;
    let previousClose = Number.NaN;
    for (let step = 0; step < closes.length; step++) {
      const close = Number.isNaN(closes[step]!) ? previousClose : closes[step]!;
      let pnl = position !== 0 && !Number.isNaN(previousClose) ? position * (close - previousClose) : 0;
      for (const fill of fillsByStep.get(step) ?? []) {
        if (fill.symbol !== symbol) continue;
        const signed = fill.side === 'buy' ? fill.qty : -fill.qty;
        pnl += signed * (close - fill.price) - fill.fee;
        position += signed;
      }
      previousClose = close;
      if (pnl === 0) continue;
      const month = monthOf(run.timesMs[step]!);
      add(result.by_strategy, name, pnl);
      add(result.by_symbol, symbol, pnl);
      add(result.by_month, month, pnl);
      result.by_month_symbol[month] ??= {};
      add(result.by_month_symbol[month]!, symbol, pnl);
    }
  }
}

/** Attribution of one or several runs (a portfolio of strategies), each under its name. */
export function attribute(runs: readonly { name: string; run: BacktestRun }[]): Attribution {
  const result: Attribution = { by_strategy: {}, by_symbol: {}, by_month: {}, by_month_symbol: {} };
  for (const { name, run } of runs) attributeRun(name, run, result);
  return result;
}
