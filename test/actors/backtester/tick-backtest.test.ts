import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTickBacktest } from '../../../src/actors/backtester/tick-backtest.js';
import { readTickCsv, ticksFromEvents } from '../../../src/actors/backtester/tick-data.js';
import { buildReport } from '../../../src/actors/backtester/report.js';
import type { MarketEvent } from '../../../src/actors/collector/market-events.js';
import { instantiateStrategy } from '../../../src/actors/strategy/builtin/index.js';
import { Strategy, type FillReport, type OrderSpec, type OrderUpdate, type QuoteTick, type TradeTick } from '../../../src/actors/strategy/strategy-api.js';

/** Sends the given orders on the given event numbers; records what comes back. */
class Scripted extends Strategy<{ orders: Record<number, OrderSpec> }> {
  readonly fills: FillReport[] = [];
  readonly updates: OrderUpdate[] = [];
  private events = -1;
  private act(): void {
    this.events++;
    const order = this.params.orders[this.events];
    if (order !== undefined) this.ctx.submit(order);
  }
  override onTrade(_trade: TradeTick): void {
    this.act();
  }
  override onQuote(_quote: QuoteTick): void {
    this.act();
  }
  override onFill(fill: FillReport): void {
    this.fills.push(fill);
  }
  override onOrderUpdate(update: OrderUpdate): void {
    this.updates.push(update);
  }
}

const trade = (timeMs: number, price: number, qty: number, side: 'buy' | 'sell'): MarketEvent => ({ kind: 'trade', symbol: 'ACME', price, qty, side, tradeId: 0, timeMs });
const quote = (timeMs: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number): MarketEvent => ({ kind: 'quote', symbol: 'ACME', bidPrice, bidQty, askPrice, askQty, timeMs });

function run(events: MarketEvent[], orders: Record<number, OrderSpec>, feeRate = 0): Scripted {
  const strategy = new Scripted({ orders });
  runTickBacktest({ strategy, ticks: ticksFromEvents(events), cash: 1_000_000, feeRate, barIntervalMs: 0 });
  return strategy;
}

describe('tick backtest: orders enter the real book against the tape', () => {
  it('a market buy on quote data takes the ask, up to its size; the rest is canceled (IOC semantics)', () => {
    const strategy = run([quote(1, 99.9, 5, 100.1, 3)], { 0: { symbol: 'ACME', side: 'buy', qty: 5 } });
    expect(strategy.fills.map((fill) => [fill.price, fill.qty])).toEqual([[100.1, 3]]);
    expect(strategy.updates.at(-1)).toMatchObject({ status: 'canceled', filledQty: 3, reason: 'ERR_ORDER_NO_LIQUIDITY' });
  });

  it('a trade reveals the touch: after a buy at p the ask is p and the bid p - 1 tick', () => {
    const buy = run([trade(1, 50, 10, 'buy')], { 0: { symbol: 'ACME', side: 'buy', qty: 4 } });
    expect(buy.fills.map((fill) => [fill.price, fill.qty])).toEqual([[50, 4]]);
    const sell = run([trade(1, 50, 10, 'buy')], { 0: { symbol: 'ACME', side: 'sell', qty: 4 } });
    expect(sell.fills.map((fill) => [fill.price, fill.qty])).toEqual([[49.99, 4]]);
  });

  it('a resting limit fills when the tape trades through its price (as maker, at its limit), with fees', () => {
    const strategy = run(
      [trade(1, 50, 10, 'buy'), trade(2, 49.95, 2, 'sell'), trade(3, 49.9, 6, 'sell')],
      { 0: { symbol: 'ACME', side: 'buy', qty: 5, type: 'limit', limitPrice: 49.92 } },
      0.001,
    );
    // The limit rests behind nothing at 49.92; the sell of 6 at 49.90 trades through it.
    expect(strategy.fills.map((fill) => [fill.price, fill.qty])).toEqual([[49.92, 5]]);
    expect(strategy.fills[0]!.fee).toBeCloseTo(49.92 * 5 * 0.001, 2);
    expect(strategy.updates.at(-1)).toMatchObject({ status: 'filled' });
  });

  it('a new quote that crosses a resting order fills it; cancel and stop orders work through the book', () => {
    const crossed = run([quote(1, 99, 5, 101, 5), quote(2, 99.5, 5, 100, 5)], { 0: { symbol: 'ACME', side: 'buy', qty: 2, type: 'limit', limitPrice: 100.2 } });
    expect(crossed.fills.map((fill) => [fill.price, fill.qty])).toEqual([[100.2, 2]]);
    const stop = run([trade(1, 50, 10, 'buy'), trade(2, 50.5, 10, 'buy'), trade(3, 51, 10, 'buy')], { 0: { symbol: 'ACME', side: 'buy', qty: 1, type: 'stop', stopPrice: 50.4 } });
    expect(stop.fills).toHaveLength(1);
  });

  it('sma_cross on trade prices trades through the book and reports open trades at the last price', () => {
    const events: MarketEvent[] = [];
    for (let index = 0; index < 400; index++) events.push(trade(index * 1_000, 100 + 5 * Math.sin(index / 20), 100, index % 2 === 0 ? 'buy' : 'sell'));
    const result = runTickBacktest({ strategy: instantiateStrategy('sma_cross', { fast: 5, slow: 20, source: 'trades' }), ticks: ticksFromEvents(events), cash: 100_000, feeRate: 0, equitySampleMs: 10_000 });
    expect(result.fills.length).toBeGreaterThan(4);
    // Each entry is capped by the tape's revealed size (100 units), on the lot grid.
    for (const fill of result.fills) expect(Number.isInteger(fill.qty) && fill.qty <= 100).toBe(true);
    const report = buildReport(result, { strategy: 'sma_cross', params: {}, fill: 'book', fees: 0 });
    expect(report.trades).toBeGreaterThan(2);
    expect(report.steps).toBe(40);
  });

  it('reads the replay CSV format (trades and quotes)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'octopus-ticks-'));
    const path = join(directory, 'trades.csv');
    writeFileSync(path, 'time_ms,symbol,price,qty,side\n1000,ACME,10.5,3,buy\n2000,ACME,10.6,1,sell\n3000,ACME,-1,1,buy\n');
    const { ticks, badLines } = readTickCsv(path);
    expect([ticks.length, badLines, ticks.symbols]).toEqual([2, 1, ['ACME']]);
    expect(Array.from(ticks.side)).toEqual([1, -1]);
  });
});
