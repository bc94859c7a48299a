import { describe, expect, it } from 'vitest';
import { AlertEngine, kRulesPerAccountMax, parseCondition, type FiredAlert } from '../../../src/actors/realtime/alerts.js';
import type { Bar, Trade } from '../../../src/engine/messages.js';

const trade = (price: number, timeMs: number, symbol = 'X'): Trade => ({ symbol, price, qty: 1, side: 'buy', tradeId: timeMs, timeMs });
const bar = (volume: number, startMs: number): Bar => ({ symbol: 'X', intervalMs: 1_000, startMs, open: 1, high: 1, low: 1, close: 1, volume, vwap: 1, trades: 1 });

function run(engine: AlertEngine, prices: Array<[number, number]>): FiredAlert[] {
  const fired: FiredAlert[] = [];
  for (const [price, timeMs] of prices) engine.onTrade(trade(price, timeMs), fired);
  return fired;
}

describe('AlertEngine', () => {
  it('fires a price cross once per crossing and honours the cooldown', () => {
    const engine = new AlertEngine();
    engine.add('a', 'X', parseCondition({ kind: 'price_cross', level: 100, direction: 'above' }), 0, 1_000);
    const fired = run(engine, [[99, 0], [100.5, 10], [99, 20], [101, 30], [99, 2_000], [101, 2_010]]);
    expect(fired.map((alert) => alert.time_ms)).toEqual([10, 2_010]);
    expect(fired[0]).toMatchObject({ account: 'a', symbol: 'X', kind: 'price_cross', price: 100.5 });
  });

  it('fires a percent move within a window, in either direction', () => {
    const engine = new AlertEngine();
    engine.add('a', 'X', parseCondition({ kind: 'pct_move', percent: 5, window_ms: 1_000 }), 0, 0);
    expect(run(engine, [[100, 0], [103, 500], [104, 900]])).toEqual([]);
    const fired = run(engine, [[94, 1_200]]);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.message).toContain('-');
  });

  it('fires a volume spike against the average of the previous bars', () => {
    const engine = new AlertEngine();
    engine.add('a', 'X', parseCondition({ kind: 'volume_spike', multiple: 3, lookback: 3, interval_ms: 1_000 }), 0, 0);
    const fired: FiredAlert[] = [];
    for (const [index, volume] of [10, 12, 8, 20, 40].entries()) engine.onBar(bar(volume, index * 1_000), fired);
    expect(fired.map((alert) => alert.time_ms)).toEqual([5_000]);
  });

  it('keeps accounts apart and bounds the rules', () => {
    const engine = new AlertEngine();
    const rule = engine.add('a', 'X', parseCondition({ kind: 'price_cross', level: 1, direction: 'below' }), 0);
    expect(() => engine.remove('b', rule.id)).toThrowError(expect.objectContaining({ code: 'ERR_ALERT_UNKNOWN' }));
    expect(engine.list('b')).toEqual([]);
    for (let index = 1; index < kRulesPerAccountMax; index++) engine.add('a', 'X', parseCondition({ kind: 'price_cross', level: 1, direction: 'below' }), 0);
    expect(() => engine.add('a', 'X', parseCondition({ kind: 'price_cross', level: 1, direction: 'below' }), 0)).toThrowError(
      expect.objectContaining({ code: 'ERR_ALERT_TOO_MANY' }),
    );
    expect(engine.remove('a', rule.id).id).toBe(rule.id);
  });

  it.each([
    ['an unknown kind', { kind: 'moon' }],
    ['a NaN level', { kind: 'price_cross', level: Number.NaN, direction: 'above' }],
    ['a negative level', { kind: 'price_cross', level: -1, direction: 'above' }],
    ['a bad direction', { kind: 'price_cross', level: 1, direction: 'sideways' }],
    ['a zero window', { kind: 'pct_move', percent: 1, window_ms: 0 }],
    ['a fractional lookback', { kind: 'volume_spike', multiple: 2, lookback: 2.5, interval_ms: 1_000 }],
    ['nothing', null],
  ])('refuses %s with ERR_ALERT_BAD_RULE', (_name, condition) => {
    expect(() => parseCondition(condition)).toThrowError(expect.objectContaining({ code: 'ERR_ALERT_BAD_RULE' }));
  });
});
