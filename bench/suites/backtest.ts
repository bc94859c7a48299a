/**
 * The backtester (src/actors/backtester) on the SMA crossover (fast 10, slow 30, all-in, market on close):
 *
 *   bars   1M daily-style OHLCV bars through the event-driven engine (simulated clock, strategy host,
 *          bar fill model), against a plain TS loop doing the same arithmetic, and against backtrader
 *          running the same crossover on the same bars (a python3 process spawned in the same run, timing
 *          cerebro.run() only; skipped with a note when python3 or backtrader is missing).
 *   ticks  1M trade ticks through the engine with the real matching engine (orders enter the book
 *          against the tape's liquidity; the averages run on every trade price), against a plain TS loop
 *          applying the same touch rule, and against backtrader fed the same prices as bars.
 *   sweep  a 100-point (fast, slow) grid on 20k bars: backtests per second on the piscina pool, against
 *          the same 100 backtests run one after the other in this thread.
 *
 * One operation is one event (a bar or a tick) or one backtest. Before timing, the engine and the plain
 * loop must end with the same equity (1e-9 relative) and backtrader's final value must agree with the
 * engine's on the bars (1e-6: it is the same strategy), so every row measures the same work. Each case
 * runs `repeats` times and reports the median; p50/p99 are not meaningful for these long runs (null).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBarBacktest } from '../../src/actors/backtester/bar-backtest.js';
import { allocateSeries, type BarSeries } from '../../src/actors/backtester/bar-data.js';
import { closeBacktestPool } from '../../src/actors/backtester/backtest-pool.js';
import { evaluateTask } from '../../src/actors/backtester/backtest-task.js';
import { runSweep } from '../../src/actors/backtester/sweep.js';
import { runTickBacktest } from '../../src/actors/backtester/tick-backtest.js';
import { allocateTicks, type TickColumns } from '../../src/actors/backtester/tick-data.js';
import { instantiateStrategy } from '../../src/actors/strategy/builtin/index.js';
import { SeededRandom } from '../../src/engine/random.js';
import { StreamingSma } from '../../src/kernels/indicators/indicators.js';
import { median, withRatios, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kSuite = 'backtest';
const kFast = 10;
const kSlow = 30;
const kCash = 100_000;
/** Small enough that 1M bars of round trips do not grind the equity to zero, large enough to exercise fees. */
const kFee = 0.00001;
const kDayMs = 86_400_000;

function makeBars(count: number, seed: number): BarSeries {
  const random = new SeededRandom(seed);
  const bars = allocateSeries('BENCH', count);
  let close = 100;
  for (let index = 0; index < count; index++) {
    const open = close * Math.exp(0.002 * random.nextNormal());
    close = Math.max(1, open * Math.exp(0.015 * random.nextNormal()));
    bars.time[index] = Date.UTC(1990, 0, 1) + index * kDayMs;
    bars.open[index] = open;
    bars.close[index] = close;
    bars.high[index] = Math.max(open, close) * 1.004;
    bars.low[index] = Math.min(open, close) * 0.996;
    bars.volume[index] = 1_000;
  }
  return bars;
}

function makeTicks(count: number, seed: number): TickColumns {
  const random = new SeededRandom(seed);
  const ticks = allocateTicks(count, ['BENCH']);
  let priceTicks = 10_000;
  for (let index = 0; index < count; index++) {
    priceTicks = Math.max(100, priceTicks + random.nextInt(-3, 3));
    ticks.time[index] = Date.UTC(2024, 0, 1) + index * 100;
    ticks.price[index] = priceTicks / 100;
    // Deep enough that the all-in order never meets the tape's size limit, as in the plain loop.
    ticks.qty[index] = 1_000_000;
    ticks.side[index] = random.nextFloat() < 0.5 ? 1 : -1;
  }
  return ticks;
}

/** The crossover with running sums: the least a hand-written backtest does. Returns the final equity. */
function plainBarLoop(bars: BarSeries): number {
  const close = bars.close;
  let fastSum = 0;
  let slowSum = 0;
  let previousFast = Number.NaN;
  let previousSlow = Number.NaN;
  let cash = kCash;
  let position = 0;
  let equity = cash;
  for (let index = 0; index < bars.length; index++) {
    const price = close[index]!;
    fastSum += price - (index >= kFast ? close[index - kFast]! : 0);
    slowSum += price - (index >= kSlow ? close[index - kSlow]! : 0);
    const fast = index >= kFast - 1 ? fastSum / kFast : Number.NaN;
    const slow = index >= kSlow - 1 ? slowSum / kSlow : Number.NaN;
    if (previousFast <= previousSlow && fast > slow && position === 0) {
      position = cash / (price * (1 + kFee));
      cash -= position * price + position * price * kFee;
    } else if (previousFast >= previousSlow && fast < slow && position > 0) {
      cash += position * price - position * price * kFee;
      position = 0;
    }
    previousFast = fast;
    previousSlow = slow;
    equity = cash + position * price;
  }
  return equity;
}

/**
 * The same crossover on trade prices with the tape's touch rule (docs/backtest.md), lots of 1, no fee.
 * Prices on a 0.01 grid make exact SMA ties common, where running sums and the kernel's windows round
 * differently; so this loop uses the kernel's StreamingSma, the engine's own arithmetic, and leaves out
 * everything else (host, clock, venue, book).
 */
function plainTickLoop(ticks: TickColumns): number {
  const prices = ticks.price;
  const fastAverage = new StreamingSma(kFast);
  const slowAverage = new StreamingSma(kSlow);
  let previousFast = Number.NaN;
  let previousSlow = Number.NaN;
  let cash = kCash;
  let position = 0;
  let price = 0;
  for (let index = 0; index < ticks.length; index++) {
    price = prices[index]!;
    const buyAggressor = ticks.side[index]! > 0;
    const fast = fastAverage.update(price);
    const slow = slowAverage.update(price);
    if (previousFast <= previousSlow && fast > slow && position === 0) {
      position = Math.floor(cash / price + 1e-9);
      cash -= position * (buyAggressor ? price : (Math.round(price * 100) + 1) / 100);
    } else if (previousFast >= previousSlow && fast < slow && position > 0) {
      cash += position * (buyAggressor ? (Math.round(price * 100) - 1) / 100 : price);
      position = 0;
    }
    previousFast = fast;
    previousSlow = slow;
  }
  return cash + position * price;
}

function engineBars(bars: BarSeries): number {
  const run = runBarBacktest({ strategy: instantiateStrategy('sma_cross', { fast: kFast, slow: kSlow }), series: [bars], fill: 'market_on_close', feeRate: kFee, cash: kCash });
  return run.equity[run.equity.length - 1]!;
}

function engineTicks(ticks: TickColumns): number {
  const run = runTickBacktest({ strategy: instantiateStrategy('sma_cross', { fast: kFast, slow: kSlow, source: 'trades' }), ticks, cash: kCash, feeRate: 0, barIntervalMs: 0, equitySampleMs: 60_000 });
  return run.equity[run.equity.length - 1]!;
}

const kBacktraderScript = String.raw`
import json, sys, time
import pandas as pd
import backtrader as bt

path, fast, slow, cash, fee = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
frame = pd.read_csv(path)
frame.index = pd.to_datetime(frame['time'], unit='ms')

class SmaCross(bt.Strategy):
    def __init__(self):
        self.fast = bt.ind.SMA(self.data.close, period=fast)
        self.slow = bt.ind.SMA(self.data.close, period=slow)
    def next(self):
        if len(self) <= slow:
            return
        f0, s0, f1, s1 = self.fast[0], self.slow[0], self.fast[-1], self.slow[-1]
        if not self.position and f1 <= s1 and f0 > s0:
            close = self.data.close[0]
            # A hair under all-in: backtrader refuses an order whose cost exceeds the cash by one ulp.
            self.buy(size=self.broker.getcash() / (close * (1 + fee)) * (1 - 1e-12))
        elif self.position and f1 >= s1 and f0 < s0:
            self.close()

cerebro = bt.Cerebro(stdstats=False)
cerebro.adddata(bt.feeds.PandasData(dataname=frame, open='open', high='high', low='low', close='close', volume='volume', openinterest=None))
cerebro.addstrategy(SmaCross)
cerebro.broker.setcash(cash)
cerebro.broker.setcommission(commission=fee)
cerebro.broker.set_coc(True)
started = time.perf_counter()
cerebro.run()
seconds = time.perf_counter() - started
print(json.dumps({'seconds': seconds, 'final_value': cerebro.broker.getvalue()}))
`;

interface BacktraderResult {
  seconds: number;
  finalValue: number;
}

function backtraderAvailable(): string | null {
  const probe = spawnSync('python3', ['-c', 'import backtrader, pandas'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.error !== undefined) return `python3 not found (${probe.error.message})`;
  if (probe.status !== 0) return 'backtrader or pandas not installed (pip install backtrader pandas)';
  return null;
}

function runBacktrader(directory: string, name: string, time: Float64Array, ohlc: { open: Float64Array; high: Float64Array; low: Float64Array; close: Float64Array }, fee: number): BacktraderResult {
  const csv = join(directory, `${name}.csv`);
  const lines = ['time,open,high,low,close,volume'];
  for (let index = 0; index < time.length; index++) lines.push(`${time[index]},${ohlc.open[index]},${ohlc.high[index]},${ohlc.low[index]},${ohlc.close[index]},1000`);
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const script = join(directory, 'sma_cross_backtrader.py');
  writeFileSync(script, kBacktraderScript);
  const result = spawnSync('python3', [script, csv, String(kFast), String(kSlow), String(kCash), String(fee)], { encoding: 'utf8', timeout: 1_800_000, maxBuffer: 1 << 20 });
  if (result.status !== 0) throw new Error(`backtrader run failed: ${result.stderr.slice(-500)}`);
  const parsed = JSON.parse(result.stdout.trim().split('\n').pop()!) as { seconds: number; final_value: number };
  return { seconds: parsed.seconds, finalValue: parsed.final_value };
}

/** Median seconds of `repeats` calls of fn, with its last result. */
function timed<T>(repeats: number, fn: () => T): { seconds: number; result: T } {
  const seconds: number[] = [];
  let result!: T;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const started = performance.now();
    result = fn();
    seconds.push((performance.now() - started) / 1_000);
  }
  return { seconds: median(seconds), result };
}

function row(name: string, units: number, seconds: number, unit: string): BenchRow {
  return { suite: kSuite, case: name, ops_per_s: units / seconds, p50_ns: null, p99_ns: null, baseline: null, ratio_vs_baseline: null, unit };
}

function expectSame(actual: number, expected: number, tolerance: number, what: string): void {
  if (!(Math.abs(actual - expected) <= tolerance * Math.abs(expected))) throw new Error(`expected ${what} to agree within ${tolerance}, was ${actual} vs ${expected}`);
}

async function sweepRows(options: BenchOptions): Promise<BenchRow[]> {
  const bars = makeBars(options.quick ? 2_000 : 20_000, 77);
  const space = { fast: [2, 4, 6, 8, 10, 12, 14, 16, 18, 20], slow: [25, 30, 35, 40, 45, 50, 55, 60, 65, 70] };
  const task = { strategy: 'sma_cross', series: [bars], fill: 'market_on_close' as const, feeRate: kFee, cash: kCash };
  const points = space.fast.flatMap((fast) => space.slow.map((slow) => ({ fast, slow })));
  const sequential = timed(1, () => points.map((params) => evaluateTask({ ...task, params }).statistics.final_equity));
  // A first pool run starts the threads (not timed), the second is measured.
  await runSweep(task, { mode: 'grid', space, objective: 'sharpe' });
  const started = performance.now();
  const pooled = await runSweep(task, { mode: 'grid', space, objective: 'sharpe' });
  const pooledSeconds = (performance.now() - started) / 1_000;
  pooled.points.forEach((point, index) => expectSame(point.statistics!.final_equity, sequential.result[index]!, 1e-12, `sweep point ${index}`));
  await closeBacktestPool();
  const baseline = `sweep 100-point grid, ${bars.length} bars: one thread`;
  return withRatios([row(baseline, points.length, sequential.seconds, 'backtest'), row(`sweep 100-point grid, ${bars.length} bars: piscina pool`, points.length, pooledSeconds, 'backtest')], baseline);
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const count = options.quick ? 20_000 : 1_000_000;
  const repeats = options.quick ? 1 : 3;
  const bars = makeBars(count, 20_240_601);
  const ticks = makeTicks(count, 20_240_602);
  expectSame(engineBars(bars), plainBarLoop(bars), 1e-9, 'engine and plain loop final equity (bars)');
  expectSame(engineTicks(ticks), plainTickLoop(ticks), 1e-9, 'engine and plain loop final equity (ticks)');
  const barLoop = timed(repeats, () => plainBarLoop(bars));
  const barEngine = timed(repeats, () => engineBars(bars));
  const tickLoop = timed(repeats, () => plainTickLoop(ticks));
  const tickEngine = timed(repeats, () => engineTicks(ticks));
  const label = `${count / 1_000_000 >= 1 ? `${count / 1_000_000}M` : `${count / 1_000}k`}`;
  const barsBaseline = `bars ${label}: plain TS loop`;
  const ticksBaseline = `ticks ${label}: plain TS loop`;
  const rows = [
    ...withRatios([row(barsBaseline, count, barLoop.seconds, 'event'), row(`bars ${label}: event-driven engine`, count, barEngine.seconds, 'event')], barsBaseline),
    ...withRatios([row(ticksBaseline, count, tickLoop.seconds, 'event'), row(`ticks ${label}: engine + matching`, count, tickEngine.seconds, 'event')], ticksBaseline),
  ];
  const missing = backtraderAvailable();
  if (missing !== null) {
    process.stderr.write(`backtest bench: backtrader rows skipped: ${missing}\n`);
  } else {
    const directory = mkdtempSync(join(tmpdir(), 'octopus-bench-backtest-'));
    try {
      const barsTrader = runBacktrader(directory, 'bars', bars.time, bars, kFee);
      expectSame(barsTrader.finalValue, barEngine.result, 1e-6, 'backtrader and engine final equity (bars)');
      const tickTrader = runBacktrader(directory, 'ticks', ticks.time, { open: ticks.price, high: ticks.price, low: ticks.price, close: ticks.price }, 0);
      const barsTraderName = `bars ${label}: backtrader`;
      const ticksTraderName = `ticks ${label}: backtrader (prices as bars)`;
      rows.push(
        ...withRatios([row(barsTraderName, count, barsTrader.seconds, 'event'), row(`bars ${label}: event-driven engine`, count, barEngine.seconds, 'event')], barsTraderName),
        ...withRatios([row(ticksTraderName, count, tickTrader.seconds, 'event'), row(`ticks ${label}: engine + matching`, count, tickEngine.seconds, 'event')], ticksTraderName),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }
  rows.push(...(await sweepRows(options)));
  return rows;
}

const suite: BenchSuite = {
  name: kSuite,
  description: 'SMA crossover backtests: events/s on bars and on trade ticks (with matching) vs a plain TS loop and backtrader; sweep backtests/s',
  run,
};

export default suite;
