/**
 * Trades (round trips) from fills, per symbol: a trade opens when the position leaves zero and closes
 * when it returns to zero; a fill that crosses zero closes the trade with the part that reaches zero and
 * opens the next with the rest (its fee split pro rata). Per trade (as vectorbt reports them):
 *   entry_price = Σ entry notional / entry qty      exit_price = Σ exit notional / exit qty
 *   pnl = direction × qty × (exit_price - entry_price) - entry_fees - exit_fees
 *   return = pnl / (qty × entry_price)
 * A trade still open at the end is reported open, marked at the last close (exit fees 0).
 */
import type { FillRecord } from './bar-backtest.js';

export interface RoundTrip {
  symbol: string;
  direction: 'long' | 'short';
  entryStep: number;
  exitStep: number;
  entryTimeMs: number;
  exitTimeMs: number;
  qty: number;
  entryPrice: number;
  exitPrice: number;
  entryFees: number;
  exitFees: number;
  pnl: number;
  return: number;
  open: boolean;
}

interface Building {
  direction: 1 | -1;
  entryStep: number;
  entryTimeMs: number;
  entryQty: number;
  entryNotional: number;
  entryFees: number;
  exitQty: number;
  exitNotional: number;
  exitFees: number;
  exitStep: number;
  exitTimeMs: number;
}

function finish(symbol: string, trade: Building, open: boolean): RoundTrip {
  const entryPrice = trade.entryNotional / trade.entryQty;
  const exitPrice = trade.exitNotional / trade.exitQty;
  const pnl = trade.direction * (trade.entryQty * exitPrice - trade.entryQty * entryPrice) - trade.entryFees - trade.exitFees;
  return {
    symbol,
    direction: trade.direction === 1 ? 'long' : 'short',
    entryStep: trade.entryStep,
    exitStep: trade.exitStep,
    entryTimeMs: trade.entryTimeMs,
    exitTimeMs: trade.exitTimeMs,
    qty: trade.entryQty,
    entryPrice,
    exitPrice,
    entryFees: trade.entryFees,
    exitFees: trade.exitFees,
    pnl,
    return: pnl / (trade.entryQty * entryPrice),
    open,
  };
}

function opened(fill: FillRecord, qty: number, fee: number): Building {
  return {
    direction: fill.side === 'buy' ? 1 : -1,
    entryStep: fill.step,
    entryTimeMs: fill.timeMs,
    entryQty: qty,
    entryNotional: qty * fill.price,
    entryFees: fee,
    exitQty: 0,
    exitNotional: 0,
    exitFees: 0,
    exitStep: fill.step,
    exitTimeMs: fill.timeMs,
  };
}

/** Relative size below which a position counts as flat (float noise of fractional units). */
const kFlatTolerance = 1e-9;

/**
 * @param marks the last close per symbol and the last step/time, to mark trades still open.
 */
export function roundTrips(fills: readonly FillRecord[], marks: { price: Map<string, number>; step: number; timeMs: number }): RoundTrip[] {
  const trades: RoundTrip[] = [];
  const building = new Map<string, Building>();
  const positions = new Map<string, number>();
  for (const fill of fills) {
    const signed = fill.side === 'buy' ? fill.qty : -fill.qty;
    const before = positions.get(fill.symbol) ?? 0;
    let after = before + signed;
    if (Math.abs(after) <= kFlatTolerance * Math.max(Math.abs(before), fill.qty)) after = 0;
    positions.set(fill.symbol, after);
    const trade = building.get(fill.symbol);
    if (trade === undefined) {
      building.set(fill.symbol, opened(fill, fill.qty, fill.fee));
      continue;
    }
    if (Math.sign(signed) === trade.direction) {
      trade.entryQty += fill.qty;
      trade.entryNotional += fill.qty * fill.price;
      trade.entryFees += fill.fee;
      continue;
    }
    const closing = Math.min(fill.qty, Math.abs(before));
    const closingFee = fill.qty === closing ? fill.fee : (fill.fee * closing) / fill.qty;
    trade.exitQty += closing;
    trade.exitNotional += closing * fill.price;
    trade.exitFees += closingFee;
    trade.exitStep = fill.step;
    trade.exitTimeMs = fill.timeMs;
    if (after !== 0 && Math.sign(after) === trade.direction) continue;
    trades.push(finish(fill.symbol, trade, false));
    building.delete(fill.symbol);
    if (after !== 0) building.set(fill.symbol, opened(fill, Math.abs(after), fill.fee - closingFee));
  }
  for (const [symbol, trade] of building) {
    const remaining = trade.entryQty - trade.exitQty;
    const mark = marks.price.get(symbol) ?? Number.NaN;
    trade.exitNotional += remaining * mark;
    trade.exitQty += remaining;
    trade.exitStep = marks.step;
    trade.exitTimeMs = marks.timeMs;
    trades.push(finish(symbol, trade, true));
  }
  return trades.sort((a, b) => a.entryStep - b.entryStep || a.symbol.localeCompare(b.symbol));
}
