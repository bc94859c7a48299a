import { describe, expect, it } from 'vitest';
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
