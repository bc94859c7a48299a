/**
 * Open-order exposure per account, kept incrementally so that a pre-trade check costs O(1) whatever the
 * number of orders ever placed: each open order's contribution (one open order, the cash it commits if it
 * is a buy, the quantity it adds on its side) is added when it opens and replaced whenever it changes.
 * Entries disappear when an account has no open orders left, so the maps hold only what is open.
 *
 * Sums are kept in integers (notional in 1e-4 units of cash, quantities in 1e-6 units), so they are exact
 * whatever the order of adds and removes: a snapshot restore and a full replay reach the same totals to
 * the bit, and a stop's trigger check (replayed) decides the same way on both.
 */
import { assert } from '../../engine/assert.js';
import type { OrderRecord } from '../../engine/messages.js';

export interface Exposure {
  openOrders: number;
  /** Cash committed to open buy orders: leaves x (limit, else stop) price. */
  openBuyNotional: number;
  /** Leaves of open buy / sell orders in one symbol. */
  openBuyQty: number;
  openSellQty: number;
}

/** Contributions in integer units (see kNotionalUnits, kQtyUnits). */
interface Contribution {
  account: string;
  symbolKey: string;
  buyNotional: number;
  buyQty: number;
  sellQty: number;
}

const kNotionalUnits = 1e4;
const kQtyUnits = 1e6;

interface AccountTotals {
  openOrders: number;
  openBuyNotional: number;
}

interface SymbolTotals {
  openBuyQty: number;
  openSellQty: number;
}

/** Cash a buy order commits per unit: its limit, else its stop; a market order commits nothing once done. */
export function committedPrice(record: Pick<OrderRecord, 'limit_price' | 'stop_price'>): number {
  return record.limit_price ?? record.stop_price ?? 0;
}

export class OpenExposure {
  private readonly byOrder = new Map<number, Contribution>();
  private readonly byAccount = new Map<string, AccountTotals>();
  private readonly bySymbol = new Map<string, SymbolTotals>();

  get openOrderCount(): number {
    return this.byOrder.size;
  }

  /** Sets an order's contribution from its record (removed when the record is closed). */
  update(orderId: number, record: OrderRecord, open: boolean): void {
    this.remove(orderId);
    if (!open) return;
    const leaves = record.qty - record.filled_qty;
    assert(leaves >= 0, () => `expected leaves >= 0 for open order ${orderId}, was ${leaves}`);
    const buy = record.side === 'buy';
    const units = Math.round(leaves * kQtyUnits);
    const contribution: Contribution = {
      account: record.account,
      symbolKey: `${record.account}\u0000${record.symbol}`,
      buyNotional: buy ? Math.round(leaves * committedPrice(record) * kNotionalUnits) : 0,
      buyQty: buy ? units : 0,
      sellQty: buy ? 0 : units,
    };
    this.byOrder.set(orderId, contribution);
    const account = this.byAccount.get(contribution.account) ?? { openOrders: 0, openBuyNotional: 0 };
    account.openOrders++;
    account.openBuyNotional += contribution.buyNotional;
    this.byAccount.set(contribution.account, account);
    const symbol = this.bySymbol.get(contribution.symbolKey) ?? { openBuyQty: 0, openSellQty: 0 };
    symbol.openBuyQty += contribution.buyQty;
    symbol.openSellQty += contribution.sellQty;
    this.bySymbol.set(contribution.symbolKey, symbol);
  }

  remove(orderId: number): void {
    const contribution = this.byOrder.get(orderId);
    if (contribution === undefined) return;
    this.byOrder.delete(orderId);
    const account = this.byAccount.get(contribution.account)!;
    account.openOrders--;
    account.openBuyNotional -= contribution.buyNotional;
    if (account.openOrders === 0) {
      assert(account.openBuyNotional === 0, () => `expected no committed cash once ${contribution.account} has no open orders, was ${account.openBuyNotional}`);
      this.byAccount.delete(contribution.account);
    }
    const symbol = this.bySymbol.get(contribution.symbolKey)!;
    symbol.openBuyQty -= contribution.buyQty;
    symbol.openSellQty -= contribution.sellQty;
    if (symbol.openBuyQty === 0 && symbol.openSellQty === 0) this.bySymbol.delete(contribution.symbolKey);
  }

  /** The account's exposure, optionally leaving one order out (a replace is checked as if it were new). */
  of(account: string, symbol: string, excludeOrderId?: number): Exposure {
    const totals = this.byAccount.get(account);
    const symbolTotals = this.bySymbol.get(`${account}\u0000${symbol}`);
    let openOrders = totals?.openOrders ?? 0;
    let buyNotional = totals?.openBuyNotional ?? 0;
    let buyQty = symbolTotals?.openBuyQty ?? 0;
    let sellQty = symbolTotals?.openSellQty ?? 0;
    const excluded = excludeOrderId === undefined ? undefined : this.byOrder.get(excludeOrderId);
    if (excluded !== undefined && excluded.account === account) {
      openOrders--;
      buyNotional -= excluded.buyNotional;
      if (excluded.symbolKey === `${account}\u0000${symbol}`) {
        buyQty -= excluded.buyQty;
        sellQty -= excluded.sellQty;
      }
    }
    return { openOrders, openBuyNotional: buyNotional / kNotionalUnits, openBuyQty: buyQty / kQtyUnits, openSellQty: sellQty / kQtyUnits };
  }
}
