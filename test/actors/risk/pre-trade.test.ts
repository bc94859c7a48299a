import { describe, expect, it } from 'vitest';
import { PreTradeRisk, defaultRiskLimits, type AccountExposure, type OrderIntent } from '../../../src/actors/risk/pre-trade.js';
import { ComplianceRules } from '../../../src/actors/compliance/rules.js';

const flat: AccountExposure = { cash: 100_000, positionQty: 0, openBuyNotional: 0, openSellQty: 0, openBuyQty: 0, openOrders: 0 };
const limit = (overrides: Partial<OrderIntent> = {}): OrderIntent => ({ account: 'a', symbol: 'X', side: 'buy', type: 'limit', qty: 10, limitPrice: 100, ...overrides });

describe('PreTradeRisk', () => {
  const cases: Array<[string, OrderIntent, Partial<AccountExposure>, number | undefined, string | null]> = [
    ['a plain limit order', limit(), {}, 100, null],
    ['qty above the maximum', limit({ qty: defaultRiskLimits.maxOrderQty + 1, limitPrice: 0.01 }), {}, 0.01, 'ERR_RISK_MAX_QTY'],
    ['a limit 11% above the last trade', limit({ limitPrice: 111 }), {}, 100, 'ERR_RISK_PRICE_COLLAR'],
    ['a limit exactly 10% below', limit({ side: 'sell', limitPrice: 90 }), {}, 100, null],
    ['a market order before any trade', limit({ type: 'market', limitPrice: undefined }), {}, undefined, 'ERR_RISK_NO_REFERENCE_PRICE'],
    ['a limit order before any trade', limit(), {}, undefined, null],
    ['notional above the maximum', limit({ qty: 200_000, limitPrice: 100 }), { cash: 1e9 }, 100, 'ERR_RISK_MAX_NOTIONAL'],
    ['a buy beyond the cash', limit({ qty: 1_001, limitPrice: 100 }), {}, 100, 'ERR_RISK_BUYING_POWER'],
    ['a buy within cash but not with open orders', limit({ qty: 600 }), { openBuyNotional: 50_000 }, 100, 'ERR_RISK_BUYING_POWER'],
    ['a sell that would breach the position limit', limit({ side: 'sell', qty: 10 }), { positionQty: -defaultRiskLimits.maxPositionQty }, 100, 'ERR_RISK_POSITION_LIMIT'],
    ['too many open orders', limit(), { openOrders: defaultRiskLimits.maxOpenOrders }, 100, 'ERR_RISK_MAX_OPEN_ORDERS'],
  ];
  it.each(cases)('%s', (_name, order, exposure, lastPrice, reason) => {
    const decision = new PreTradeRisk().check(order, { ...flat, ...exposure }, lastPrice);
    if (reason === null) expect(decision).toEqual({ ok: true });
    else expect(decision).toMatchObject({ ok: false, reason, message: expect.stringMatching(/^expected .*, was /) });
  });

  it('halts an account or everyone with the kill switch, and resumes', () => {
    const risk = new PreTradeRisk();
    risk.setKillSwitch(true, 'a');
    expect(risk.check(limit(), flat, 100)).toMatchObject({ ok: false, reason: 'ERR_RISK_KILL_SWITCH' });
    expect(risk.check(limit({ account: 'b' }), flat, 100)).toEqual({ ok: true });
    risk.setKillSwitch(true);
    expect(risk.check(limit({ account: 'b' }), flat, 100)).toMatchObject({ ok: false, reason: 'ERR_RISK_KILL_SWITCH' });
    expect(risk.killSwitchState()).toEqual({ global: true, accounts: ['a'] });
    risk.setKillSwitch(false);
    risk.setKillSwitch(false, 'a');
    expect(risk.check(limit(), flat, 100)).toEqual({ ok: true });
  });

  it('limits the order rate per account', () => {
    const nowMs = 0;
    const risk = new PreTradeRisk({ ...defaultRiskLimits, ordersPerSecond: 2 }, () => nowMs);
    const results = Array.from({ length: 5 }, () => risk.check(limit(), flat, 100).ok);
    expect(results).toEqual([true, true, true, true, false]);
    expect(risk.check(limit({ account: 'other' }), flat, 100).ok).toBe(true);
  });
});

describe('ComplianceRules', () => {
  it('refuses restricted symbols globally or per account', () => {
    const rules = new ComplianceRules();
    rules.restrict('HALT');
    rules.restrict('WATCH', 'a');
    expect(rules.check('a', 'HALT')).toMatchObject({ ok: false, reason: 'ERR_COMPLIANCE_RESTRICTED' });
    expect(rules.check('a', 'WATCH')).toMatchObject({ ok: false });
    expect(rules.check('b', 'WATCH')).toEqual({ ok: true });
    rules.lift('HALT');
    expect(rules.check('a', 'HALT')).toEqual({ ok: true });
  });
});
