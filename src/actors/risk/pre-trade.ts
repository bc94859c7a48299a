/**
 * Pre-trade risk checks (agent M6), run on every order before it reaches the book. Each check either
 * passes or rejects with a reason code; the first failing check decides. Pure: the caller supplies the
 * account's state (cash, positions, open orders) and the market's last prices.
 */
import type { KillSwitchState } from '../../engine/messages.js';
import { RateLimiter } from '../../gateway/auth/rate-limiter.js';

export interface RiskLimits {
  maxOrderQty: number;
  maxOrderNotional: number;
  /** Limit prices further than this fraction from the last trade are refused (0.10 = ±10%). */
  priceCollar: number;
  /** Largest absolute position per symbol after the order, in units. */
  maxPositionQty: number;
  maxOpenOrders: number;
  /** New orders per second per account (sustained; burst is twice that). */
  ordersPerSecond: number;
}

export const defaultRiskLimits: RiskLimits = {
  maxOrderQty: 1_000_000,
  maxOrderNotional: 10_000_000,
  priceCollar: 0.1,
  maxPositionQty: 5_000_000,
  maxOpenOrders: 1_000,
  ordersPerSecond: 100,
};

export interface OrderIntent {
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: 'market' | 'limit' | 'stop' | 'stop_limit';
  qty: number;
  limitPrice?: number | undefined;
  stopPrice?: number | undefined;
}

export interface AccountExposure {
  cash: number;
  /** Signed position in the order's symbol. */
  positionQty: number;
  /** Cash already committed to open buy orders (qty x limit price). */
  openBuyNotional: number;
  /** Quantity already committed to open sell orders in the order's symbol. */
  openSellQty: number;
  /** Quantity already committed to open buy orders in the order's symbol. */
  openBuyQty: number;
  openOrders: number;
}

export type RiskReason =
  | 'ERR_RISK_KILL_SWITCH'
  | 'ERR_RISK_MAX_QTY'
  | 'ERR_RISK_MAX_NOTIONAL'
  | 'ERR_RISK_PRICE_COLLAR'
  | 'ERR_RISK_NO_REFERENCE_PRICE'
  | 'ERR_RISK_BUYING_POWER'
  | 'ERR_RISK_POSITION_LIMIT'
  | 'ERR_RISK_MAX_OPEN_ORDERS'
  | 'ERR_RISK_ORDER_RATE';

export interface CheckOptions {
  orderQty?: number;
  feeRate?: number;
  countRate?: boolean;
}

export type RiskDecision = { ok: true } | { ok: false; reason: RiskReason; message: string };

const pass: RiskDecision = { ok: true };

function reject(reason: RiskReason, message: string): RiskDecision {
  return { ok: false, reason, message };
}

export class PreTradeRisk {
  private globalKill = false;
  private readonly killedAccounts = new Set<string>();
  private readonly orderRate: RateLimiter;

  constructor(
    readonly limits: RiskLimits = defaultRiskLimits,
    nowMs?: () => number,
  ) {
    this.orderRate = new RateLimiter({ ratePerSecond: limits.ordersPerSecond, burst: 2 * limits.ordersPerSecond }, 100_000, nowMs);
  }

  /** Blocks new orders for one account, or for everyone when `account` is undefined. */
  setKillSwitch(active: boolean, account?: string): void {
    if (account === undefined) this.globalKill = active;
    else if (active) this.killedAccounts.add(account);
    else this.killedAccounts.delete(account);
  }

  killSwitchState(): KillSwitchState {
    return { global: this.globalKill, accounts: [...this.killedAccounts].sort() };
  }

  /** Restores the kill switch from a snapshot (the order-rate buckets are wall-clock state, not replayed). */
  importKillSwitch(state: KillSwitchState): void {
    this.globalKill = state.global;
    this.killedAccounts.clear();
    for (const account of state.accounts) this.killedAccounts.add(account);
  }

  /**
   * Checks one order. `lastPrice` is the symbol's last trade (undefined before the first trade).
   * `order.qty` is what the order commits (for a replace: the new total less what already filled);
   * `options.orderQty` the order's total for the size limit; `options.feeRate` the taker fee a buy must be
   * able to pay on top of its notional. Counts towards the account's order rate only when every other
   * check passed and `options.countRate` is not false (a triggered stop is checked without it: replay must
   * decide the same, and the bucket is wall-clock state).
   */
  check(order: OrderIntent, exposure: AccountExposure, lastPrice: number | undefined, options: CheckOptions = {}): RiskDecision {
    const limits = this.limits;
    if (this.globalKill || this.killedAccounts.has(order.account)) {
      return reject('ERR_RISK_KILL_SWITCH', `expected trading enabled for ${order.account}, was halted by the kill switch`);
    }
    const orderQty = options.orderQty ?? order.qty;
    if (orderQty > limits.maxOrderQty) return reject('ERR_RISK_MAX_QTY', `expected qty <= ${limits.maxOrderQty}, was ${orderQty}`);
    if (order.limitPrice !== undefined && lastPrice !== undefined) {
      const distance = Math.abs(order.limitPrice - lastPrice) / lastPrice;
      if (distance > limits.priceCollar + 1e-12) {
        return reject(
          'ERR_RISK_PRICE_COLLAR',
          `expected a limit price within ${limits.priceCollar * 100}% of the last trade ${lastPrice}, was ${order.limitPrice}`,
        );
      }
    }
    // The price the order may trade at, at worst: its limit, else the collar edge around the last trade.
    const referencePrice =
      order.limitPrice ?? (lastPrice === undefined ? undefined : lastPrice * (order.side === 'buy' ? 1 + limits.priceCollar : 1 - limits.priceCollar));
    if (referencePrice === undefined) {
      return reject('ERR_RISK_NO_REFERENCE_PRICE', `expected a last trade price to bound a ${order.type} order, was none yet`);
    }
    const notional = order.qty * referencePrice;
    if (orderQty * referencePrice > limits.maxOrderNotional) return reject('ERR_RISK_MAX_NOTIONAL', `expected notional <= ${limits.maxOrderNotional}, was ${orderQty * referencePrice}`);
    if (order.side === 'buy') {
      const available = exposure.cash - exposure.openBuyNotional * (1 + (options.feeRate ?? 0));
      const cost = notional * (1 + (options.feeRate ?? 0));
      if (cost > available) return reject('ERR_RISK_BUYING_POWER', `expected notional with fees <= available cash ${available}, was ${cost}`);
    }
    const worstPosition =
      order.side === 'buy'
        ? exposure.positionQty + exposure.openBuyQty + order.qty
        : exposure.positionQty - exposure.openSellQty - order.qty;
    if (Math.abs(worstPosition) > limits.maxPositionQty) {
      return reject('ERR_RISK_POSITION_LIMIT', `expected |position| <= ${limits.maxPositionQty} if every open order fills, was ${Math.abs(worstPosition)}`);
    }
    if (exposure.openOrders >= limits.maxOpenOrders) {
      return reject('ERR_RISK_MAX_OPEN_ORDERS', `expected fewer than ${limits.maxOpenOrders} open orders, was ${exposure.openOrders}`);
    }
    if (options.countRate !== false && !this.orderRate.take(order.account).allowed) {
      return reject('ERR_RISK_ORDER_RATE', `expected at most ${limits.ordersPerSecond} orders/s for ${order.account}, was more`);
    }
    return pass;
  }
}
