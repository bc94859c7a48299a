// One behavioural suite for every TickStore implementation; lmdb-tick-store.test.ts and
// questdb-tick-store.test.ts run it. Each case uses its own symbols, so cases share one store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isOctopusError } from '../../../../src/engine/errors.js';
import { bucketStartMs } from '../../../../src/actors/realtime/bars.js';
import {
  kBarIntervalsMs,
  type BarInterval,
  type BarRow,
  type TickStore,
  type TradeRow,
} from '../../../../src/actors/warehouse/tick-store/tick-store.js';

// 2023-11-14T22:13:20Z, a round number of seconds but not of minutes, hours or days.
export const kBaseMs = 1_700_000_000_000;

/** A deterministic generator (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` trades with strictly increasing times (gaps up to maxGapMs), so first/last are unambiguous. */
export function makeTrades(symbol: string, count: number, seed: number, maxGapMs: number, startMs = kBaseMs): TradeRow[] {
  const next = random(seed);
  const trades: TradeRow[] = [];
  let timeMs = startMs;
  for (let index = 0; index < count; index++) {
    timeMs += 1 + Math.floor(next() * maxGapMs);
    trades.push({
      symbol,
      price: Math.round((100 + next() * 10) * 100) / 100,
      qty: Math.round((0.01 + next() * 5) * 1000) / 1000,
      side: next() < 0.5 ? 'buy' : 'sell',
      tradeId: `t${seed}-${index}`,
      timeMs,
    });
  }
  return trades;
}

/** The reference bars, written independently of src/actors/realtime/bars.ts. */
function referenceBars(trades: readonly TradeRow[], intervalMs: number): BarRow[] {
  const groups = new Map<number, TradeRow[]>();
  for (const trade of [...trades].sort((left, right) => left.timeMs - right.timeMs)) {
    const startMs = Math.floor(trade.timeMs / intervalMs) * intervalMs;
    groups.set(startMs, [...(groups.get(startMs) ?? []), trade]);
  }
  return [...groups.entries()].map(([startMs, group]) => {
    const prices = group.map((trade) => trade.price);
    const volume = group.reduce((sum, trade) => sum + trade.qty, 0);
    return {
      symbol: group[0]!.symbol,
      intervalMs,
      startMs,
      open: prices[0]!,
      high: Math.max(...prices),
      low: Math.min(...prices),
      close: prices[prices.length - 1]!,
      volume,
      vwap: group.reduce((sum, trade) => sum + trade.price * trade.qty, 0) / volume,
      trades: group.length,
    };
  });
}

function byTimeThenId(left: TradeRow, right: TradeRow): number {
  if (left.timeMs !== right.timeMs) return left.timeMs - right.timeMs;
  return left.tradeId < right.tradeId ? -1 : left.tradeId > right.tradeId ? 1 : 0;
}

function expectBarsClose(actual: BarRow[], expected: BarRow[], why: string): void {
  expect(actual.map((bar) => bar.startMs), `${why}: bar starts`).toEqual(expected.map((bar) => bar.startMs));
  expected.forEach((bar, index) => {
    const got = actual[index]!;
    const label = `${why}: bar ${index} at ${new Date(bar.startMs).toISOString()}`;
    expect({ ...got, volume: 0, vwap: 0 }, label).toEqual({ ...bar, volume: 0, vwap: 0 });
    // Sums may add in another order on the server; allow for rounding only.
    expect(Math.abs(got.volume - bar.volume) / bar.volume, `${label}: volume`).toBeLessThan(1e-9);
    expect(Math.abs(got.vwap - bar.vwap) / bar.vwap, `${label}: vwap`).toBeLessThan(1e-9);
  });
}

export async function expectCode(promise: Promise<unknown>, code: string, why: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isOctopusError(error) ? error.code : error, why).toBe(code);
}

export interface SharedSuiteOptions {
  readonly open: () => Promise<TickStore>;
  /** Called after close, e.g. to drop tables or remove a temp dir. */
  readonly cleanup: () => Promise<void>;
}

export function describeTickStore(name: string, options: SharedSuiteOptions): void {
  describe(`TickStore contract: ${name}`, () => {
    let store: TickStore;

    beforeAll(async () => {
      store = await options.open();
    });

    afterAll(async () => {
      await store?.close();
      await options.cleanup();
    });

    it('round trip: trades come back ordered by (timeMs, tradeId) with exact values, per symbol', async () => {
      const shared = kBaseMs + 5;
      const trades: TradeRow[] = [
        { symbol: 'RT-B', price: 0.1 + 0.2, qty: 1e-8, side: 'sell', tradeId: 'b', timeMs: shared },
        { symbol: 'RT-A', price: 64_250.5, qty: 3, side: 'buy', tradeId: 'z', timeMs: shared },
        { symbol: 'RT-A', price: 64_251, qty: 0.5, side: 'sell', tradeId: 'a', timeMs: shared },
        { symbol: 'RT-A', price: 1e-8, qty: Number.MAX_SAFE_INTEGER, side: 'buy', tradeId: 'm', timeMs: kBaseMs },
        { symbol: 'RT-A', price: 1e12, qty: 2, side: 'buy', tradeId: 'late', timeMs: kBaseMs + 86_400_000 },
      ];
      await store.writeTrades(trades);
      await store.flush();
      for (const symbol of ['RT-A', 'RT-B']) {
        const expected = trades.filter((trade) => trade.symbol === symbol).sort(byTimeThenId);
        const actual = await store.trades(symbol, { fromMs: 0, toMs: kBaseMs + 10 * 86_400_000, limit: 100 });
        expect(actual, `trades of ${symbol}`).toEqual(expected);
      }
      const symbols = await store.symbols();
      expect(symbols, 'symbols() lists both').toEqual(expect.arrayContaining(['RT-A', 'RT-B']));
      expect(symbols, 'symbols() is sorted').toEqual([...symbols].sort());
      expect(store.stats().rowsWritten, 'stats count acknowledged rows').toBeGreaterThanOrEqual(trades.length);
    });

    it('ranges are inclusive at both ends; limits keep the earliest rows', async () => {
      const trades = Array.from({ length: 10 }, (_, index): TradeRow => ({
        symbol: 'RANGE',
        price: 100 + index,
        qty: 1,
        side: 'buy',
        tradeId: `r${index}`,
        timeMs: kBaseMs + index * 1_000,
      }));
      await store.writeTrades(trades);
      await store.flush();
      const cases = [
        { why: 'everything', fromMs: 0, toMs: kBaseMs * 2, limit: 100, ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
        { why: 'both ends inclusive', fromMs: kBaseMs + 2_000, toMs: kBaseMs + 4_000, limit: 100, ids: [2, 3, 4] },
        { why: 'a single instant', fromMs: kBaseMs + 7_000, toMs: kBaseMs + 7_000, limit: 100, ids: [7] },
        { why: 'one ms after a row excludes it', fromMs: kBaseMs + 7_001, toMs: kBaseMs + 7_999, limit: 100, ids: [] },
        { why: 'before all rows', fromMs: 0, toMs: kBaseMs - 1, limit: 100, ids: [] },
        { why: 'limit 1 keeps the earliest', fromMs: 0, toMs: kBaseMs * 2, limit: 1, ids: [0] },
        { why: 'limit inside a range', fromMs: kBaseMs + 3_000, toMs: kBaseMs * 2, limit: 3, ids: [3, 4, 5] },
        { why: 'limit equal to the row count', fromMs: 0, toMs: kBaseMs * 2, limit: 10, ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
        { why: 'the largest limit', fromMs: 0, toMs: kBaseMs * 2, limit: 10_000, ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] },
      ];
      for (const { why, fromMs, toMs, limit, ids } of cases) {
        const actual = await store.trades('RANGE', { fromMs, toMs, limit });
        expect(actual.map((trade) => trade.tradeId), why).toEqual(ids.map((index) => `r${index}`));
      }
      expect(await store.trades('NO-SUCH-SYMBOL', { fromMs: 0, toMs: kBaseMs * 2, limit: 10 }), 'unknown symbol').toEqual([]);
    });

    it('bars for every interval match bars computed here from the same trades', async () => {
      // 600 trades with gaps up to 40 s span about 3.3 hours: many 1s/1m/5m bars, a few 1h, one or two 1d.
      const trades = makeTrades('BARS', 600, 7, 40_000);
      const other = makeTrades('BARS-OTHER', 50, 8, 40_000);
      await store.writeTrades([...trades].reverse());
      await store.writeTrades(other);
      await store.flush();
      const toMs = trades[trades.length - 1]!.timeMs;
      for (const interval of Object.keys(kBarIntervalsMs) as BarInterval[]) {
        const intervalMs = kBarIntervalsMs[interval];
        const expected = referenceBars(trades, intervalMs);
        const actual = await store.bars('BARS', { interval, fromMs: 0, toMs, limit: 10_000 });
        expectBarsClose(actual, expected, `interval ${interval}`);
        const limited = await store.bars('BARS', { interval, fromMs: 0, toMs, limit: 2 });
        expectBarsClose(limited, expected.slice(0, 2), `interval ${interval} with limit 2`);
      }
      // A window that cuts a bucket: only the trades inside [fromMs, toMs] count.
      const fromMs = trades[100]!.timeMs;
      const windowToMs = trades[200]!.timeMs;
      const window = trades.slice(100, 201);
      const actual = await store.bars('BARS', { interval: '5m', fromMs, toMs: windowToMs, limit: 10_000 });
      expectBarsClose(actual, referenceBars(window, 300_000), 'window cutting buckets');
      expect(actual[0]!.startMs, 'the first bucket is aligned, not started at fromMs').toBe(bucketStartMs(fromMs, 300_000));
    });

    it('a retried write stores each trade once', async () => {
      const trades = makeTrades('DEDUP', 200, 11, 500);
      await store.writeTrades(trades);
      await store.writeTrades(trades);
      await store.writeTrades(trades.slice(50, 150));
      await Promise.all([store.writeTrades(trades.slice(0, 10)), store.writeTrades(trades.slice(0, 10))]);
      await store.flush();
      const actual = await store.trades('DEDUP', { fromMs: 0, toMs: kBaseMs * 2, limit: 10_000 });
      expect(actual, 'every trade exactly once').toEqual(trades);
      const bars = await store.bars('DEDUP', { interval: '1d', fromMs: 0, toMs: kBaseMs * 2, limit: 10 });
      expect(bars.reduce((sum, bar) => sum + bar.trades, 0), 'bars count each trade once').toBe(trades.length);
    });

    it('accepts quotes and bars, and an empty batch', async () => {
      const before = store.stats().rowsWritten;
      await store.writeQuotes([
        { symbol: 'Q', bidPrice: 99.5, bidQty: 2, askPrice: 100.5, askQty: 3, timeMs: kBaseMs },
        { symbol: 'Q', bidPrice: 99.6, bidQty: 1, askPrice: 100.4, askQty: 1, timeMs: kBaseMs + 1 },
      ]);
      await store.writeBars(referenceBars(makeTrades('B', 20, 3, 10_000), 60_000));
      await store.writeTrades([]);
      await store.flush();
      expect(store.stats().rowsWritten, 'quotes and bars are counted').toBeGreaterThan(before + 2);
    });

    it('refuses hostile input with typed errors and writes nothing of a bad batch', async () => {
      const good: TradeRow = { symbol: 'HOSTILE', price: 1, qty: 1, side: 'buy', tradeId: 'ok', timeMs: kBaseMs };
      const badTrades: Array<{ why: string; row: unknown; code: string }> = [
        { why: 'NaN price', row: { ...good, price: Number.NaN }, code: 'ERR_WAREHOUSE_BAD_PRICE' },
        { why: 'infinite price', row: { ...good, price: Number.POSITIVE_INFINITY }, code: 'ERR_WAREHOUSE_BAD_PRICE' },
        { why: 'zero price', row: { ...good, price: 0 }, code: 'ERR_WAREHOUSE_BAD_PRICE' },
        { why: 'negative qty', row: { ...good, qty: -1 }, code: 'ERR_WAREHOUSE_BAD_QTY' },
        { why: 'string qty', row: { ...good, qty: '1' }, code: 'ERR_WAREHOUSE_BAD_QTY' },
        { why: 'side 0', row: { ...good, side: 0 }, code: 'ERR_WAREHOUSE_BAD_ROW' },
        { why: 'SQL in a symbol', row: { ...good, symbol: "X' OR '1'='1" }, code: 'ERR_WAREHOUSE_BAD_SYMBOL' },
        { why: 'empty symbol', row: { ...good, symbol: '' }, code: 'ERR_WAREHOUSE_BAD_SYMBOL' },
        { why: 'overlong symbol', row: { ...good, symbol: 'S'.repeat(65) }, code: 'ERR_WAREHOUSE_BAD_SYMBOL' },
        { why: 'newline in a trade id', row: { ...good, tradeId: 'a\nb' }, code: 'ERR_WAREHOUSE_BAD_ROW' },
        { why: 'numeric trade id', row: { ...good, tradeId: 5 }, code: 'ERR_WAREHOUSE_BAD_ROW' },
        { why: 'fractional time', row: { ...good, timeMs: kBaseMs + 0.5 }, code: 'ERR_WAREHOUSE_BAD_TIME' },
        { why: 'negative time', row: { ...good, timeMs: -1 }, code: 'ERR_WAREHOUSE_BAD_TIME' },
        { why: 'time past year 9999', row: { ...good, timeMs: 1e15 }, code: 'ERR_WAREHOUSE_BAD_TIME' },
        { why: 'null row', row: null, code: 'ERR_WAREHOUSE_BAD_ROW' },
      ];
      for (const { why, row, code } of badTrades) {
        await expectCode(store.writeTrades([good, row] as TradeRow[]), code, why);
      }
      await expectCode(store.writeTrades('nope' as unknown as TradeRow[]), 'ERR_WAREHOUSE_BAD_ROW', 'not an array');
      await expectCode(store.writeTrades(new Array(10_001).fill(good)), 'ERR_WAREHOUSE_BATCH_TOO_LARGE', 'batch over the limit');
      await expectCode(
        store.writeQuotes([{ symbol: 'Q', bidPrice: 1, bidQty: 1, askPrice: Number.NaN, askQty: 1, timeMs: kBaseMs }]),
        'ERR_WAREHOUSE_BAD_PRICE',
        'NaN ask',
      );
      await expectCode(
        store.writeBars([{ symbol: 'B', intervalMs: 7, startMs: kBaseMs, open: 1, high: 1, low: 1, close: 1, volume: 1, vwap: 1, trades: 1 }]),
        'ERR_WAREHOUSE_BAD_INTERVAL',
        'unknown bar interval',
      );
      const range = { fromMs: 0, toMs: kBaseMs, limit: 10 };
      const badQueries: Array<{ why: string; run: () => Promise<unknown>; code: string }> = [
        { why: 'from after to', run: () => store.trades('X', { ...range, fromMs: 2, toMs: 1 }), code: 'ERR_WAREHOUSE_BAD_RANGE' },
        { why: 'limit 0', run: () => store.trades('X', { ...range, limit: 0 }), code: 'ERR_WAREHOUSE_BAD_LIMIT' },
        { why: 'limit 10001', run: () => store.trades('X', { ...range, limit: 10_001 }), code: 'ERR_WAREHOUSE_BAD_LIMIT' },
        { why: 'fractional limit', run: () => store.trades('X', { ...range, limit: 1.5 }), code: 'ERR_WAREHOUSE_BAD_LIMIT' },
        { why: 'NaN from', run: () => store.trades('X', { ...range, fromMs: Number.NaN }), code: 'ERR_WAREHOUSE_BAD_TIME' },
        { why: 'SQL in a query symbol', run: () => store.trades("X'; drop table trades; --", range), code: 'ERR_WAREHOUSE_BAD_SYMBOL' },
        { why: 'unknown interval', run: () => store.bars('X', { ...range, interval: '2m' as BarInterval }), code: 'ERR_WAREHOUSE_BAD_INTERVAL' },
        { why: 'prototype key as interval', run: () => store.bars('X', { ...range, interval: 'toString' as BarInterval }), code: 'ERR_WAREHOUSE_BAD_INTERVAL' },
      ];
      for (const { why, run, code } of badQueries) {
        await expectCode(run(), code, why);
      }
      await store.flush();
      expect(await store.trades('HOSTILE', { fromMs: 0, toMs: kBaseMs * 2, limit: 10 }), 'no row of a refused batch').toEqual([]);
    });
  });
}
