/**
 * Positions, cash and P&L per account (agent M8), settled from fills with the average-cost method:
 * a fill that increases a position moves its average price; one that reduces it realises
 * (fill price - average price) x closed quantity (sign-adjusted); one that crosses zero closes the old
 * position and opens the remainder at the fill price. Fees are paid in cash and counted as realised
 * cost. Unrealised P&L marks the open quantity to the last price.
 */
import { assert } from '../../engine/assert.js';
import { OctopusError } from '../../engine/errors.js';
import type { AccountView, PositionView } from '../../engine/messages.js';

export interface Fill {
  account: string;
  symbol: string;
  side: 'buy' | 'sell';
  price: number;
  qty: number;
  fee: number;
}

export interface Position {
  symbol: string;
  /** Signed: positive long, negative short. */
  qty: number;
  averagePrice: number;
  realizedPnl: number;
  feesPaid: number;
}

export interface AccountState {
  account: string;
  cash: number;
  positions: Map<string, Position>;
}

export type { AccountView, PositionView };

/** Balances and positions for a snapshot and the state hash: [account, cash, [symbol, qty, averagePrice, realizedPnl, feesPaid][]]. */
export type AccountTuple = [string, number, [string, number, number, number, number][]];

export interface PositionBookState {
  accounts: AccountTuple[];
  /** Last fill price per symbol (marks between fills come from the books, at query time). */
  marks: [string, number][];
}

const kQtyEpsilon = 1e-9;

export class PositionBook {
  private readonly accounts = new Map<string, AccountState>();
  private readonly marks = new Map<string, number>();

  constructor(private readonly startingCash: number) {}

  account(account: string): AccountState {
    let state = this.accounts.get(account);
    if (state === undefined) {
      state = { account, cash: this.startingCash, positions: new Map() };
      this.accounts.set(account, state);
    }
    return state;
  }

  /**
   * Settles one fill.
   * @throws OctopusError ERR_INTERNAL for a fill with a non-finite or non-positive price or quantity
   *   (fills come from the matching engine: a bad one is a broken invariant).
   */
  apply(fill: Fill): void {
    if (!(fill.price > 0) || !(fill.qty > 0) || !Number.isFinite(fill.price) || !Number.isFinite(fill.qty) || !Number.isFinite(fill.fee)) {
      throw new OctopusError('ERR_INTERNAL', `expected a fill with positive finite price and qty, was ${JSON.stringify(fill)}`);
    }
    const state = this.account(fill.account);
    let position = state.positions.get(fill.symbol);
    if (position === undefined) {
      position = { symbol: fill.symbol, qty: 0, averagePrice: 0, realizedPnl: 0, feesPaid: 0 };
      state.positions.set(fill.symbol, position);
    }
    const signedQty = fill.side === 'buy' ? fill.qty : -fill.qty;
    state.cash -= signedQty * fill.price + fill.fee;
    position.feesPaid += fill.fee;
    position.realizedPnl -= fill.fee;
    const sameDirection = position.qty === 0 || Math.sign(position.qty) === Math.sign(signedQty);
    if (sameDirection) {
      const newQty = position.qty + signedQty;
      position.averagePrice = (position.qty * position.averagePrice + signedQty * fill.price) / newQty;
      position.qty = newQty;
    } else {
      const closing = Math.min(Math.abs(signedQty), Math.abs(position.qty));
      position.realizedPnl += closing * (fill.price - position.averagePrice) * Math.sign(position.qty);
      const remaining = position.qty + signedQty;
      if (Math.abs(remaining) < kQtyEpsilon) {
        position.qty = 0;
        position.averagePrice = 0;
      } else if (Math.sign(remaining) === Math.sign(position.qty)) {
        position.qty = remaining;
      } else {
        position.qty = remaining;
        position.averagePrice = fill.price;
      }
    }
    this.marks.set(fill.symbol, fill.price);
  }

  /** Records the last traded price of a symbol, used to mark open positions. */
  mark(symbol: string, price: number): void {
    if (price > 0 && Number.isFinite(price)) this.marks.set(symbol, price);
  }

  /** The account's cash, positions and P&L; a read, so an account nobody traded in is not created. */
  view(account: string): AccountView {
    const state = this.accounts.get(account) ?? { account, cash: this.startingCash, positions: new Map<string, Position>() };
    let realizedPnl = 0;
    let unrealizedPnl = 0;
    let feesPaid = 0;
    let marketValueTotal = 0;
    const positions: PositionView[] = [];
    for (const position of state.positions.values()) {
      const markPrice = this.marks.get(position.symbol) ?? null;
      const marketValue = markPrice === null ? null : position.qty * markPrice;
      const unrealized = markPrice === null ? null : position.qty * (markPrice - position.averagePrice);
      realizedPnl += position.realizedPnl;
      feesPaid += position.feesPaid;
      unrealizedPnl += unrealized ?? 0;
      marketValueTotal += marketValue ?? position.qty * position.averagePrice;
      positions.push({ ...position, markPrice, marketValue, unrealizedPnl: unrealized });
    }
    return { account, cash: state.cash, equity: state.cash + marketValueTotal, realizedPnl, unrealizedPnl, feesPaid, positions };
  }

  accountNames(): string[] {
    return [...this.accounts.keys()];
  }

  /** Every account's cash and positions, accounts sorted by name (the marks are left out: see PositionBookState). */
  balances(): AccountTuple[] {
    return [...this.accounts.values()]
      .sort((left, right) => (left.account < right.account ? -1 : left.account > right.account ? 1 : 0))
      .map((state) => [
        state.account,
        state.cash,
        [...state.positions.values()].map((position): [string, number, number, number, number] => [position.symbol, position.qty, position.averagePrice, position.realizedPnl, position.feesPaid]),
      ]);
  }

  exportState(): PositionBookState {
    return { accounts: this.balances(), marks: [...this.marks] };
  }

  /** Loads a state made by `exportState` into this (empty) book. */
  importState(state: PositionBookState): void {
    assert(this.accounts.size === 0, `expected an empty position book to import into, was ${this.accounts.size} accounts`);
    for (const [account, cash, positions] of state.accounts) {
      const map = new Map<string, Position>();
      for (const [symbol, qty, averagePrice, realizedPnl, feesPaid] of positions) map.set(symbol, { symbol, qty, averagePrice, realizedPnl, feesPaid });
      this.accounts.set(account, { account, cash, positions: map });
    }
    for (const [symbol, price] of state.marks) this.marks.set(symbol, price);
  }
}
