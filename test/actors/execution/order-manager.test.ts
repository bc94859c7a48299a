import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OrderManager, type Command, type SubmitCommand } from '../../../src/actors/execution/order-manager.js';

const instruments = [{ symbol: 'ACME', tickSize: 0.01, lotSize: 1 }];

function manager(): OrderManager {
  return new OrderManager({ instruments, startingCash: 1_000_000, makerFeeBps: 0.5, takerFeeBps: 1 });
}

function submit(overrides: Partial<SubmitCommand>): Command {
  return {
    kind: 'submit',
    command: { account: 'a', clientOrderId: `c${Math.random()}`, symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limitPrice: 100, timeInForce: 'gtc', postOnly: false, timeMs: 1_000, ...overrides },
  };
}

describe('OrderManager', () => {
  it('expires day orders at the session close and keeps gtc ones', () => {
    const oms = manager();
    const day = oms.applySubmit({ ...(submit({ timeInForce: 'day', clientOrderId: 'day' }).command as SubmitCommand) });
    const gtc = oms.applySubmit({ ...(submit({ timeInForce: 'gtc', clientOrderId: 'gtc', limitPrice: 99 }).command as SubmitCommand) });
    const expired = oms.applyExpireDay(2_000);
    expect(expired.map((record) => record.id)).toEqual([day.id]);
    expect(oms.order('a', Number(day.id))).toMatchObject({ status: 'expired' });
    expect(oms.order('a', Number(gtc.id))).toMatchObject({ status: 'new' });
    // A day order entered after the close is not touched by it.
    const later = oms.applySubmit({ ...(submit({ timeInForce: 'day', clientOrderId: 'later', timeMs: 3_000 }).command as SubmitCommand) });
    expect(oms.applyExpireDay(2_500)).toEqual([]);
    expect(oms.order('a', Number(later.id)).status).toBe('new');
  });

  it('reaches the identical state hash when the same commands are replayed', () => {
    const commands: Command[] = [
      submit({ account: 'a', side: 'sell', qty: 10, limitPrice: 100, clientOrderId: 's1' }),
      submit({ account: 'b', side: 'buy', qty: 4, limitPrice: 100.5, clientOrderId: 'b1', timeMs: 1_001 }),
      { kind: 'replace', command: { account: 'a', orderId: 1, qty: 8, limitPrice: 100.25, timeMs: 1_002 } },
      submit({ account: 'b', side: 'buy', qty: 1, type: 'market', limitPrice: undefined, timeInForce: 'ioc', clientOrderId: 'b2', timeMs: 1_003 }),
      { kind: 'kill_switch', command: { active: true, account: 'a', timeMs: 1_004 } },
      { kind: 'expire_day', command: { timeMs: 1_005 } },
    ];
    const first = manager();
    const second = manager();
    for (const command of commands) first.apply(command);
    for (const command of commands) second.apply(command);
    expect(first.stateHash()).toBe(second.stateHash());
    expect(first.account('b').positions[0]).toMatchObject({ symbol: 'ACME', qty: 5 });
    const third = manager();
    for (const command of commands.slice(0, 3)) third.apply(command);
    expect(third.stateHash()).not.toBe(first.stateHash());
  });
});

// -------------------------------------------------------------------------------------------------------
// One pre-trade path: a replace and a triggered stop are refused exactly as a new order would be.

const limits = { maxOrderQty: 1_000, maxOrderNotional: 50_000, priceCollar: 0.1, maxPositionQty: 500, maxOpenOrders: 5, ordersPerSecond: 1_000_000 };

/** A manager whose ACME book has traded at 100 (so the collar has a reference), alice holding nothing. */
function tradedManager(cash = 40_000): OrderManager {
  const oms = new OrderManager({ instruments, startingCash: cash, makerFeeBps: 0, takerFeeBps: 0, riskLimits: limits }, () => 0);
  oms.applySubmit({ ...(submit({ account: 'mm', side: 'sell', qty: 1, limitPrice: 100, clientOrderId: 'mm1' }).command as SubmitCommand) });
  oms.applySubmit({ ...(submit({ account: 'mm2', side: 'buy', qty: 1, limitPrice: 100, clientOrderId: 'mm2' }).command as SubmitCommand) });
  return oms;
}

function newOrder(overrides: Partial<SubmitCommand>): SubmitCommand {
  return { account: 'alice', clientOrderId: `n${Math.random()}`, symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limitPrice: 95, timeInForce: 'gtc', postOnly: false, timeMs: 1_000, ...overrides };
}

describe('OrderManager pre-trade on every path', () => {
  const cases: Array<[string, Partial<SubmitCommand>, string]> = [
    ['a quantity above the maximum', { qty: 60_000_000, limitPrice: 95 }, 'ERR_RISK_MAX_QTY'],
    ['a notional above the maximum', { qty: 600, limitPrice: 105 }, 'ERR_RISK_MAX_NOTIONAL'],
    ['a limit outside the price collar', { limitPrice: 120 }, 'ERR_RISK_PRICE_COLLAR'],
    ['a buy beyond the cash', { qty: 450, limitPrice: 101 }, 'ERR_RISK_BUYING_POWER'],
    ['a sell beyond the position limit', { side: 'sell', qty: 300, limitPrice: 95 }, 'ERR_RISK_POSITION_LIMIT'],
  ];

  it.each(cases)('refuses a replace to %s exactly as it refuses the new order', (_name, change, code) => {
    const oms = tradedManager();
    // The same order entered new is refused with `code` ...
    const sell = change.side === 'sell';
    if (sell) oms.applySubmit(newOrder({ side: 'sell', qty: 300, limitPrice: 95, clientOrderId: 'short' }));
    expect(() => oms.checkSubmit(newOrder(change)), 'as a new order').toThrowError(expect.objectContaining({ code }));
    // ... and so is a replace of a small resting order into it.
    const small = oms.applySubmit(newOrder({ side: change.side ?? 'buy', qty: 1, limitPrice: 95, clientOrderId: 'small' }));
    const hashBefore = oms.stateHash();
    const replace = { account: 'alice', orderId: Number(small.id), qty: change.qty, limitPrice: change.limitPrice };
    expect(() => oms.checkReplace(replace), 'as a replace').toThrowError(expect.objectContaining({ code }));
    expect(oms.stateHash(), 'a refused replace changes nothing').toBe(hashBefore);
  });

  it('checks a replace without the order own exposure (a replace to the same size passes)', () => {
    const oms = tradedManager(10_000);
    // 99 x 100 = 9,900 of 10,000 committed: a second order of that size would not fit, the same order replaced does.
    const record = oms.applySubmit(newOrder({ qty: 99, limitPrice: 100, clientOrderId: 'big' }));
    expect(() => oms.checkSubmit(newOrder({ qty: 99, limitPrice: 100 }))).toThrowError(expect.objectContaining({ code: 'ERR_RISK_BUYING_POWER' }));
    expect(() => oms.checkReplace({ account: 'alice', orderId: Number(record.id), qty: 99, limitPrice: 99 })).not.toThrow();
    expect(() => oms.checkReplace({ account: 'alice', orderId: Number(record.id), qty: 120 })).toThrowError(expect.objectContaining({ code: 'ERR_RISK_BUYING_POWER' }));
  });

  it('cancels a stop whose trigger would take the account past its cash, and records why', () => {
    const oms = tradedManager(1_000);
    // A buy stop at 101 for 9: 909 committed at entry, fine. Then the cash goes elsewhere.
    const stop = oms.applySubmit(newOrder({ type: 'stop', limitPrice: undefined, stopPrice: 101, qty: 9, clientOrderId: 'stop' }));
    oms.applySubmit(newOrder({ qty: 9, limitPrice: 100, clientOrderId: 'spend' }));
    // A trade at 101 triggers it: the order it becomes no longer passes buying power.
    oms.applySubmit({ ...(submit({ account: 'mm', side: 'sell', qty: 1, limitPrice: 101, clientOrderId: 'mm3' }).command as SubmitCommand) });
    oms.applySubmit({ ...(submit({ account: 'mm2', side: 'buy', qty: 1, limitPrice: 101, clientOrderId: 'mm4' }).command as SubmitCommand) });
    expect(oms.order('alice', Number(stop.id))).toMatchObject({ status: 'canceled', reject_reason: 'ERR_RISK_BUYING_POWER' });
    expect(oms.positions.view('alice').cash).toBeGreaterThanOrEqual(0);
  });

  it('protects a market buy at the collar edge: it cannot sweep the book beyond it', () => {
    const oms = tradedManager(1_000_000);
    // Liquidity at 100 (1) and far above the collar at 150.
    oms.applySubmit({ ...(submit({ account: 'mm', side: 'sell', qty: 1, limitPrice: 100, clientOrderId: 'a1' }).command as SubmitCommand) });
    oms.applySubmit({ ...(submit({ account: 'mm', side: 'sell', qty: 500, limitPrice: 150, clientOrderId: 'a2' }).command as SubmitCommand) });
    const command = oms.checkSubmit(newOrder({ type: 'market', limitPrice: undefined, qty: 10, timeInForce: 'ioc' }));
    expect(command.protectionPrice).toBe(110);
    const record = oms.applySubmit(command);
    expect(record).toMatchObject({ status: 'canceled', filled_qty: 1, reject_reason: 'ERR_ORDER_NO_LIQUIDITY' });
  });

  it('property: no sequence of commands takes an account past its limits', () => {
    // Not vacuous: count the runs in which alice actually traded.
    let tradedRuns = 0;
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            kind: fc.constantFrom('limit', 'limit', 'market', 'stop', 'stop_limit', 'replace', 'replace', 'cancel', 'counterparty', 'counterparty', 'counterparty'),
            side: fc.constantFrom('buy', 'sell'),
            qty: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 150, max: 300 })),
            offset: fc.integer({ min: -2, max: 2 }),
            pick: fc.nat(),
          }),
          { minLength: 10, maxLength: 60 },
        ),
        (steps) => {
          const oms = tradedManager(50_000);
          let last = 100;
          for (const [index, step] of steps.entries()) {
            const price = Math.max(1, Math.round(last * (1 + step.offset / 100) * 100) / 100);
            try {
              if (step.kind === 'counterparty') {
                // Somebody else sweeps the book 3% through the last price, filling resting orders.
                const sweep = Math.round(last * (step.side === 'buy' ? 1.03 : 0.97) * 100) / 100;
                oms.applySubmit(newOrder({ account: 'other', side: step.side, qty: step.qty + 100, limitPrice: sweep, clientOrderId: `o${index}`, timeInForce: 'ioc' }));
              } else if (step.kind === 'replace' || step.kind === 'cancel') {
                const open = oms.orders('alice', 'open', 100);
                if (open.length === 0) continue;
                const target = open[step.pick % open.length]!;
                if (step.kind === 'cancel') oms.applyCancel({ account: 'alice', orderId: Number(target.id), timeMs: 1_000 + index });
                else {
                  // Replaces go large: the path that once skipped the pre-trade checks.
                  const change = { account: 'alice', orderId: Number(target.id), qty: step.qty + 150, ...(target.limit_price === null ? {} : { limitPrice: price }) };
                  oms.checkReplace(change);
                  oms.applyReplace({ ...change, timeMs: 1_000 + index });
                }
              } else {
                const type = step.kind as SubmitCommand['type'];
                const command = newOrder({
                  side: step.side,
                  type,
                  qty: step.qty,
                  clientOrderId: `a${index}`,
                  limitPrice: type === 'limit' || type === 'stop_limit' ? price : undefined,
                  stopPrice: type === 'stop' || type === 'stop_limit' ? price : undefined,
                  timeInForce: type === 'market' ? 'ioc' : 'gtc',
                  timeMs: 1_000 + index,
                });
                oms.applySubmit(oms.checkSubmit(command));
              }
            } catch (error) {
              // Refusals are typed and change nothing; anything else is a bug.
              expect(String((error as { code?: string }).code ?? error)).toMatch(/^ERR_(RISK|ORDER|BOOK)_/);
            }
            const view = oms.positions.view('alice');
            expect(view.cash, `cash after step ${index}`).toBeGreaterThanOrEqual(-1e-6);
            for (const position of view.positions) expect(Math.abs(position.qty), `position after step ${index}`).toBeLessThanOrEqual(limits.maxPositionQty);
            expect(oms.orders('alice', 'open', 100).length).toBeLessThanOrEqual(limits.maxOpenOrders);
            const book = oms.engine.book('ACME');
            const traded = book.lastTradePriceTicks();
            if (traded !== undefined) last = book.grid.priceOf(traded);
          }
          if (oms.positions.view('alice').positions.length > 0) tradedRuns++;
        },
      ),
      { numRuns: 1_000 },
    );
    expect(tradedRuns).toBeGreaterThan(150);
  });
});
