import { describe, expect, it } from 'vitest';
import { runBarBacktest } from '../../../src/actors/backtester/bar-backtest.js';
import { buildReport } from '../../../src/actors/backtester/report.js';
import { allocateSeries } from '../../../src/actors/backtester/bar-data.js';
import { instantiateStrategy } from '../../../src/actors/strategy/builtin/index.js';
import { Strategy, type BarEvent } from '../../../src/actors/strategy/strategy-api.js';
import { expectClose, shippedBars, smaFixture } from './support.js';

describe('bar backtest against vectorbt (SMA crossover on the shipped series)', () => {
  const fixture = smaFixture();
  const bars = shippedBars();
  for (const reference of fixture.runs) {
    it(`${reference.fill}, fees ${reference.fees}: same trades and equity to 1e-9`, () => {
      const run = runBarBacktest({ strategy: instantiateStrategy('sma_cross', fixture.params), series: [bars], fill: reference.fill, feeRate: reference.fees, cash: fixture.cash });
      const report = buildReport(run, { strategy: 'sma_cross', params: fixture.params, fill: reference.fill, fees: reference.fees });
      expect(report.trade_list.length).toBe(reference.trades.length);
      expect(reference.trades.length).toBeGreaterThan(10);
      report.trade_list.forEach((trade, index) => {
        const expected = reference.trades[index]!;
        expect([trade.entry_bar, trade.exit_bar, trade.open], `trade ${index} bars`).toEqual([expected.entry_bar, expected.exit_bar, expected.open]);
        for (const key of ['qty', 'entry_price', 'exit_price', 'entry_fees', 'exit_fees', 'pnl', 'return'] as const) {
          expectClose(trade[key], expected[key], `trade ${index} ${key}`, 1e-9, key.endsWith('fees') ? 1e-6 : 1e-9);
        }
      });
      expect(run.equity.length).toBe(reference.equity.length);
      reference.equity.forEach((value, index) => expectClose(run.equity[index]!, value, `equity[${index}]`));
      expectClose(report.final_equity, reference.equity.at(-1)!, 'final equity');
    });
  }

  it('signals on the bars the fixture lists (entries and exits of the reference rule)', () => {
    const run = runBarBacktest({ strategy: instantiateStrategy('sma_cross', fixture.params), series: [bars], fill: 'market_on_close', feeRate: 0, cash: fixture.cash });
    const stepOf = (timeMs: number): number => bars.time.indexOf(timeMs);
    expect(run.signals.filter((signal) => signal.target === 1).map((signal) => stepOf(signal.timeMs))).toEqual(fixture.entries);
    // An exit cross while flat changes nothing: only exits after the first entry are signals.
    const exitsInPosition = fixture.exits.filter((exit) => exit > fixture.entries[0]!);
    expect(fixture.exits.length - exitsInPosition.length).toBeLessThanOrEqual(1);
    expect(run.signals.filter((signal) => signal.target === 0).map((signal) => stepOf(signal.timeMs))).toEqual(exitsInPosition);
  });
});

function series(closes: number[], opens = closes): ReturnType<typeof allocateSeries> {
  const bars = allocateSeries('TEST', closes.length);
  closes.forEach((close, index) => {
    bars.time[index] = Date.UTC(2024, 0, 1) + index * 86_400_000;
    bars.open[index] = opens[index]!;
    bars.close[index] = close;
    bars.high[index] = Math.max(close, opens[index]!) + 1;
    bars.low[index] = Math.min(close, opens[index]!) - 1;
    bars.volume[index] = 1_000;
  });
  return bars;
}

/** Buys `qty` (or signals) on given bars; for fill-model cases. */
class Scripted extends Strategy<{ actions: Record<number, { kind: 'signal'; target: number } | { kind: 'order'; side: 'buy' | 'sell'; qty: number; type?: 'limit' | 'stop'; price?: number }> }> {
  private bar = -1;
  override onBar(bar: BarEvent): void {
    this.bar++;
    const action = this.params.actions[this.bar];
    if (action === undefined) return;
    if (action.kind === 'signal') this.ctx.signal(bar.symbol, action.target);
    else if (action.type === 'limit') this.ctx.submit({ symbol: bar.symbol, side: action.side, qty: action.qty, type: 'limit', limitPrice: action.price! });
    else if (action.type === 'stop') this.ctx.submit({ symbol: bar.symbol, side: action.side, qty: action.qty, type: 'stop', stopPrice: action.price! });
    else this.ctx.submit({ symbol: bar.symbol, side: action.side, qty: action.qty });
  }
}

describe('bar fill models', () => {
  const closes = [100, 102, 104, 103, 105, 107];
  const opens = [99, 101, 103, 104, 104, 106];
  const cases = [
    { name: 'market_on_close fills at the signal bar close', fill: 'market_on_close' as const, fee: 0, slippage: 0, expected: [{ step: 1, price: 102, qty: 10_000 / 102 }] },
    { name: 'next_open fills at the next bar open', fill: 'next_open' as const, fee: 0, slippage: 0, expected: [{ step: 2, price: 103, qty: 10_000 / 103 }] },
    { name: 'fees shrink the all-in quantity: cash / (price × (1 + fee))', fill: 'market_on_close' as const, fee: 0.01, slippage: 0, expected: [{ step: 1, price: 102, qty: 10_000 / (102 * 1.01) }] },
    { name: 'slippage moves a buy up by ticks', fill: 'next_open' as const, fee: 0, slippage: 3, expected: [{ step: 2, price: 103.03, qty: 10_000 / 103.03 }] },
  ];
  for (const testCase of cases) {
    it(testCase.name, () => {
      const run = runBarBacktest({
        strategy: new Scripted({ actions: { 1: { kind: 'signal', target: 1 } } }),
        series: [series(closes, opens)],
        fill: testCase.fill,
        feeRate: testCase.fee,
        slippageTicks: testCase.slippage,
        tickSize: 0.01,
        cash: 10_000,
      });
      expect(run.fills.map((fill) => fill.step)).toEqual(testCase.expected.map((fill) => fill.step));
      run.fills.forEach((fill, index) => {
        expectClose(fill.price, testCase.expected[index]!.price, 'price', 1e-12);
        expectClose(fill.qty, testCase.expected[index]!.qty, 'qty', 1e-12);
        expectClose(fill.fee, fill.qty * fill.price * testCase.fee, 'fee', 1e-12);
      });
      // Equity is marked at each close; the position stays open at the end (reported open).
      const last = run.equity.length - 1;
      expectClose(run.equity[last]!, run.fills[0]!.qty * closes[last]! + (10_000 - run.fills[0]!.qty * run.fills[0]!.price - run.fills[0]!.fee), 'final equity', 1e-12);
      const report = buildReport(run, { strategy: 'scripted', params: {}, fill: testCase.fill, fees: testCase.fee });
      expect(report.trade_list.map((trade) => trade.open)).toEqual([true]);
      expect(report.trades_open).toBe(1);
    });
  }

  it('closeAtEnd sells what is open at the last close', () => {
    const run = runBarBacktest({ strategy: new Scripted({ actions: { 1: { kind: 'signal', target: 1 } } }), series: [series(closes, opens)], fill: 'next_open', feeRate: 0, cash: 10_000, closeAtEnd: true });
    expect(run.fills.map((fill) => [fill.step, fill.side, fill.price])).toEqual([[2, 'buy', 103], [5, 'sell', 107]]);
    expect(run.finalPositions).toEqual({});
    expectClose(run.equity.at(-1)!, 10_000 * (107 / 103), 'equity', 1e-12);
  });

  it('fixed quantities, limit and stop orders on later bars', () => {
    const run = runBarBacktest({
      strategy: new Scripted({ actions: { 0: { kind: 'order', side: 'buy', qty: 2, type: 'limit', price: 100.5 }, 2: { kind: 'order', side: 'sell', qty: 2, type: 'stop', price: 103.5 } } }),
      series: [series(closes, opens)],
      fill: 'market_on_close',
      feeRate: 0,
      cash: 10_000,
    });
    // Bar 1: open 101, low 100 <= 100.5: fills at min(open, limit) = 100.5. Bar 3: low 102 <= 103.5, open 104: at min(104, 103.5).
    expect(run.fills.map((fill) => [fill.step, fill.side, fill.price, fill.qty])).toEqual([[1, 'buy', 100.5, 2], [3, 'sell', 103.5, 2]]);
  });

  it('refuses bad options with typed errors', () => {
    const base = { strategy: new Scripted({ actions: {} }), series: [series(closes)], fill: 'market_on_close' as const, feeRate: 0, cash: 1 };
    for (const [change, code] of [
      [{ fill: 'at_noon' }, 'ERR_BACKTEST_BAD_OPTION'],
      [{ feeRate: -0.1 }, 'ERR_BACKTEST_BAD_OPTION'],
      [{ cash: 0 }, 'ERR_BACKTEST_BAD_OPTION'],
      [{ slippageTicks: Number.NaN }, 'ERR_BACKTEST_BAD_OPTION'],
      [{ series: [] }, 'ERR_BACKTEST_BAD_OPTION'],
    ] as const) {
      expect(() => runBarBacktest({ ...base, ...(change as object) }), JSON.stringify(change)).toThrow(expect.objectContaining({ code }));
    }
  });
});
