/**
 * The backtest report: statistics at the top level with snake_case keys (what `octopus backtest --json`
 * prints and what jobs store), then the trades, the fills and the equity curve with its drawdown.
 */
import type { BacktestRun } from './bar-backtest.js';
import { roundTrips, type RoundTrip } from './round-trips.js';
import { computeStatistics, drawdown, type Statistics } from './statistics.js';

export interface TradeRow {
  symbol: string;
  direction: 'long' | 'short';
  entry_bar: number;
  exit_bar: number;
  entry_time: string;
  exit_time: string;
  entry_price: number;
  exit_price: number;
  qty: number;
  entry_fees: number;
  exit_fees: number;
  pnl: number;
  return: number;
  open: boolean;
}

export interface BacktestReport extends Statistics {
  strategy: string;
  params: Record<string, unknown>;
  fill: string;
  fees: number;
  cash: number;
  open_positions: Record<string, number>;
  trade_list: TradeRow[];
  fill_list: { time: string; time_ms: number; bar: number; symbol: string; side: string; price: number; qty: number; fee: number; client_order_id: string }[];
  equity_curve: { time_ms: number[]; equity: number[]; drawdown: number[] };
}

export interface ReportHeader {
  strategy: string;
  params: Record<string, unknown>;
  fill: string;
  fees: number;
}

function iso(timeMs: number): string {
  return Number.isFinite(timeMs) ? new Date(timeMs).toISOString() : '';
}

/** The last close of every symbol (marks for trades still open). */
export function lastMarks(run: BacktestRun): Map<string, number> {
  const marks = new Map<string, number>();
  for (const [symbol, closes] of run.closes) {
    for (let index = closes.length - 1; index >= 0; index--) {
      if (!Number.isNaN(closes[index]!)) {
        marks.set(symbol, closes[index]!);
        break;
      }
    }
  }
  return marks;
}

export function tradesOf(run: BacktestRun): RoundTrip[] {
  const last = run.equity.length - 1;
  return roundTrips(run.fills, { price: lastMarks(run), step: Math.max(0, last), timeMs: last >= 0 ? run.timesMs[last]! : 0 });
}

export function buildReport(run: BacktestRun, header: ReportHeader): BacktestReport {
  const trades = tradesOf(run);
  const statistics = computeStatistics(run, trades);
  const drawdowns = drawdown(run.timesMs, run.equity, run.initialCash);
  return {
    strategy: header.strategy,
    params: header.params,
    fill: header.fill,
    fees: header.fees,
    cash: run.initialCash,
    ...statistics,
    open_positions: run.finalPositions,
    trade_list: trades.map((trade) => ({
      symbol: trade.symbol,
      direction: trade.direction,
      entry_bar: trade.entryStep,
      exit_bar: trade.exitStep,
      entry_time: iso(trade.entryTimeMs),
      exit_time: iso(trade.exitTimeMs),
      entry_price: trade.entryPrice,
      exit_price: trade.exitPrice,
      qty: trade.qty,
      entry_fees: trade.entryFees,
      exit_fees: trade.exitFees,
      pnl: trade.pnl,
      return: trade.return,
      open: trade.open,
    })),
    fill_list: run.fills.map((fill) => ({
      time: iso(fill.timeMs),
      time_ms: fill.timeMs,
      bar: fill.step,
      symbol: fill.symbol,
      side: fill.side,
      price: fill.price,
      qty: fill.qty,
      fee: fill.fee,
      client_order_id: fill.clientOrderId,
    })),
    equity_curve: { time_ms: Array.from(run.timesMs), equity: Array.from(run.equity), drawdown: Array.from(drawdowns.series) },
  };
}
