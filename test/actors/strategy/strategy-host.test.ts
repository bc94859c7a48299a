import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../../../src/engine/clock.js';
import { PositionSizer } from '../../../src/actors/strategy/sizing.js';
import { Strategy, type BarEvent } from '../../../src/actors/strategy/strategy-api.js';
import { StrategyHost, type OrderRouter, type RoutedOrder } from '../../../src/actors/strategy/strategy-host.js';

/** A router that records what it is asked and fills nothing. */
class RecordingRouter implements OrderRouter {
  readonly resolvesAtFill = false;
  readonly sizingFeeRate = 0;
  readonly sent: RoutedOrder[] = [];
  readonly canceled: string[] = [];
  roundQty(_symbol: string, qty: number): number {
    return Math.floor(qty);
  }
  submit(order: RoutedOrder): void {
    this.sent.push(order);
  }
  cancel(clientOrderId: string): void {
    this.canceled.push(clientOrderId);
  }
  replace(): void {}
}

class Probe extends Strategy<Record<string, never>> {
  readonly timers: [string, number][] = [];
  override onTimer(name: string): void {
    this.timers.push([name, this.ctx.clock.nowMs()]);
  }
  override onBar(_bar: BarEvent): void {}
}

function host(strategy: Strategy<object>, router = new RecordingRouter(), clock = new SimulatedClock(0)) {
  return { host: new StrategyHost(strategy, { name: 'probe', account: 'strategy:probe', clock, logger: pino({ level: 'silent' }), router, sizer: new PositionSizer({ kind: 'all_in' }), startingCash: 1_000, maxOpenOrders: 2 }), router, clock };
}

describe('strategy host', () => {
  it('ledger: cash and positions from fills; equity marks at the last price', () => {
    const { host: subject } = host(new Probe({}));
    subject.fill({ clientOrderId: 'x', symbol: 'A', side: 'buy', price: 10, qty: 20, fee: 1, timeMs: 0 });
    subject.bar({ symbol: 'A', timeMs: 1, intervalMs: 0, open: 11, high: 11, low: 11, close: 12, volume: 1 });
    expect([subject.cash, subject.position('A'), subject.equity(), subject.feesPaid]).toEqual([799, 20, 799 + 240, 1]);
  });

  it('signals: a change of target becomes an order for the difference, client ids are <name>-<n>', () => {
    const probe = new Probe({});
    const { host: subject, router } = host(probe);
    subject.bar({ symbol: 'A', timeMs: 1, intervalMs: 0, open: 10, high: 10, low: 10, close: 10, volume: 1 });
    probe.ctx.signal('A', 1);
    probe.ctx.signal('A', 1);
    expect(router.sent.map((order) => [order.clientOrderId, order.side, order.qty])).toEqual([['probe-1', 'buy', 100]]);
    expect(() => probe.ctx.signal('A', 2)).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_BAD_ORDER' }));
  });

  it('bounds open orders and checks order shapes', () => {
    const probe = new Probe({});
    const { host: subject } = host(probe);
    const order = { symbol: 'A', side: 'buy' as const, qty: 1, type: 'limit' as const, limitPrice: 9 };
    probe.ctx.submit(order);
    probe.ctx.submit(order);
    expect(() => probe.ctx.submit(order)).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_TOO_MANY_ORDERS' }));
    expect(subject.openOrderCount()).toBe(2);
    for (const bad of [{ ...order, qty: 0 }, { ...order, side: 'hold' }, { ...order, limitPrice: undefined }, { symbol: 'A', side: 'buy', qty: 1, stopPrice: 3 }]) {
      expect(() => probe.ctx.submit(bad as never), JSON.stringify(bad)).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_BAD_ORDER' }));
    }
    expect(() => probe.ctx.cancel('probe-99')).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_UNKNOWN_ORDER' }));
  });

  it('timers fire on the clock, earliest first; intervals repeat; bounded', () => {
    const probe = new Probe({});
    const { host: subject, clock } = host(probe);
    probe.ctx.setTimer('once', 50);
    probe.ctx.setInterval('every', 30);
    clock.set(100);
    subject.advanceTo(100);
    expect(probe.timers).toEqual([['every', 100], ['once', 100], ['every', 100], ['every', 100]]);
    probe.ctx.cancelTimer('every');
    for (let index = 0; index < 64; index++) probe.ctx.setTimer(`t${index}`, 1_000);
    expect(() => probe.ctx.setTimer('one-more', 1_000)).toThrow(expect.objectContaining({ code: 'ERR_STRATEGY_TOO_MANY_TIMERS' }));
  });

  it('bars from trades: the one OHLCV fold, emitted when a later bucket starts', () => {
    const bars: BarEvent[] = [];
    class Collector extends Strategy<object> {
      override onBar(bar: BarEvent): void {
        bars.push(bar);
      }
    }
    const clock = new SimulatedClock(0);
    const subject = new StrategyHost(new Collector({}), { name: 'c', account: 'strategy:c', clock, logger: pino({ level: 'silent' }), router: new RecordingRouter(), sizer: new PositionSizer({ kind: 'all_in' }), startingCash: 1, barIntervalMs: 1_000 });
    for (const [timeMs, price] of [[100, 10], [500, 12], [900, 9], [1_200, 11]] as const) subject.trade({ symbol: 'A', timeMs, price, qty: 1, side: 'buy' });
    expect(bars).toEqual([{ symbol: 'A', timeMs: 0, intervalMs: 1_000, open: 10, high: 12, low: 9, close: 9, volume: 3 }]);
  });
});
