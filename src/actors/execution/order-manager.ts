/**
 * The order management core of agent M7: validated commands in, order records, fills and positions out.
 * It runs the pre-trade checks (M6 rules), the compliance rules (M9), the matching engine and position
 * keeping (M8 rules) in one deterministic state machine, so that replaying the journal of applied commands
 * rebuilds identical books, orders, positions and balances (`stateHash` proves it).
 *
 * Two phases per command:
 *   check*  validation, idempotency, risk and compliance against the current state; throws a typed
 *           error and changes nothing. Not replayed: its outcome depends on wall time (order rate).
 *   apply*  the state change; deterministic given the state and the command (its time comes in the
 *           command). These are what the journal records and replays.
 */
import { createHash } from 'node:crypto';
import { OctopusError } from '../../engine/errors.js';
import { canonicalJson } from '../../store/audit-log.js';
import { ComplianceRules } from '../compliance/rules.js';
import { PositionBook, type AccountView } from '../portfolio/positions.js';
import { PreTradeRisk, defaultRiskLimits, type AccountExposure, type RiskLimits } from '../risk/pre-trade.js';
import type { BookEvent } from './book/book-events.js';
import type { Instrument } from './book/instrument-grid.js';
import { MatchingEngine } from './book/matching-engine.js';
import type { OrderBook } from './book/order-book.js';
import type { OrderStatus, OrderType, Side, TimeInForce } from './book/order-types.js';
import type { MarketDataBatch } from '../../engine/messages.js';

export interface SubmitCommand {
  account: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  qty: number;
  limitPrice?: number | undefined;
  stopPrice?: number | undefined;
  timeInForce: TimeInForce;
  postOnly: boolean;
  timeMs: number;
}

export interface CancelCommand {
  account: string;
  orderId: number;
  timeMs: number;
}

export interface ReplaceCommand {
  account: string;
  orderId: number;
  qty?: number | undefined;
  limitPrice?: number | undefined;
  stopPrice?: number | undefined;
  timeMs: number;
}

export interface CancelAllCommand {
  account: string;
  timeMs: number;
}

export interface KillSwitchCommand {
  active: boolean;
  /** Undefined: every account. */
  account?: string | undefined;
  timeMs: number;
}

export type Command =
  | { kind: 'submit'; command: SubmitCommand }
  | { kind: 'cancel'; command: CancelCommand }
  | { kind: 'replace'; command: ReplaceCommand }
  | { kind: 'cancel_all'; command: CancelAllCommand }
  | { kind: 'kill_switch'; command: KillSwitchCommand }
  | { kind: 'expire_day'; command: { timeMs: number } };

export interface OrderHistoryEntry {
  status: OrderStatus | 'replaced' | 'triggered';
  at: number;
  reason: string | null;
  filled_qty: number;
}

/** An order as the API shows it (Alpaca-style field names). */
export interface OrderRecord {
  id: string;
  client_order_id: string;
  account: string;
  symbol: string;
  side: Side;
  type: OrderType;
  time_in_force: TimeInForce;
  post_only: boolean;
  qty: number;
  filled_qty: number;
  filled_avg_price: number | null;
  limit_price: number | null;
  stop_price: number | null;
  status: OrderStatus;
  reject_reason: string | null;
  created_at: number;
  updated_at: number;
  history: OrderHistoryEntry[];
}

export interface ManagerOptions {
  instruments: Instrument[];
  riskLimits?: RiskLimits;
  startingCash: number;
  makerFeeBps: number;
  takerFeeBps: number;
  restrictedSymbols?: string[];
}

/** Events an order keeps in its history at most (the journal has them all). */
const kHistoryMax = 64;
const kClientOrderIdPattern = /^[\x21-\x7e]{1,64}$/;
const closedStatuses: ReadonlySet<OrderStatus> = new Set(['filled', 'canceled', 'expired', 'rejected']);

export function isOpen(record: OrderRecord): boolean {
  return !closedStatuses.has(record.status);
}

export class OrderManager {
  readonly engine: MatchingEngine;
  readonly risk: PreTradeRisk;
  readonly compliance = new ComplianceRules();
  readonly positions: PositionBook;
  private readonly records = new Map<number, OrderRecord>();
  /** account -> client order id -> order id (idempotent retries). */
  private readonly byClientId = new Map<string, Map<string, number>>();
  private readonly notional = new Map<number, number>();
  /** Market data produced by users' commands (the simulated exchange reports its own): drained by the actor. */
  readonly marketOutbox: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
  private readonly lastQuotes = new Map<string, string>();
  /** Orders and accounts changed since the last `drainUpdates` (execution reports for the WS channels). */
  private readonly touchedOrders = new Set<number>();
  private readonly touchedAccounts = new Set<string>();

  constructor(options: ManagerOptions, nowMs?: () => number) {
    this.engine = new MatchingEngine({ bookDefaults: { makerFeeBps: options.makerFeeBps, takerFeeBps: options.takerFeeBps } });
    for (const instrument of options.instruments) this.engine.addBook(instrument);
    this.risk = new PreTradeRisk(options.riskLimits ?? defaultRiskLimits, nowMs);
    this.positions = new PositionBook(options.startingCash);
    for (const symbol of options.restrictedSymbols ?? []) this.compliance.restrict(symbol);
  }

  // -------------------------------------------------------------------------------------------------
  // Queries.

  order(account: string, orderId: number): OrderRecord {
    const record = this.records.get(orderId);
    if (record === undefined || record.account !== account) throw new OctopusError('ERR_ORDER_UNKNOWN', `expected an order of ${account}, was unknown id ${orderId}`);
    return record;
  }

  orderByClientId(account: string, clientOrderId: string): OrderRecord {
    const orderId = this.byClientId.get(account)?.get(clientOrderId);
    if (orderId === undefined) throw new OctopusError('ERR_ORDER_UNKNOWN', `expected an order of ${account}, was unknown client_order_id ${JSON.stringify(clientOrderId)}`);
    return this.order(account, orderId);
  }

  existingForClientId(account: string, clientOrderId: string): OrderRecord | undefined {
    const orderId = this.byClientId.get(account)?.get(clientOrderId);
    return orderId === undefined ? undefined : this.records.get(orderId);
  }

  orders(account: string, status: 'open' | 'closed' | 'all', limit: number): OrderRecord[] {
    const result: OrderRecord[] = [];
    for (const record of this.records.values()) {
      if (record.account !== account) continue;
      if (status === 'open' && !isOpen(record)) continue;
      if (status === 'closed' && isOpen(record)) continue;
      result.push(record);
    }
    return result.slice(-limit).reverse();
  }

  account(account: string): AccountView {
    for (const symbol of this.engine.symbols()) {
      const book = this.engine.book(symbol);
      const last = book.lastTradePriceTicks();
      if (last !== undefined) this.positions.mark(symbol, book.grid.priceOf(last));
    }
    return this.positions.view(account);
  }

  /** A digest of every order, book and balance: equal after a journal replay. */
  stateHash(): string {
    const orders = [...this.records.values()].map(({ history: _history, updated_at: _updated, ...rest }) => rest);
    const books = this.engine.symbols().map((symbol) => this.engine.book(symbol).l3Snapshot());
    const accounts = this.positions.accountNames().sort().map((account) => this.positions.view(account));
    return createHash('sha256').update(canonicalJson({ orders, books, accounts })).digest('hex');
  }

  // -------------------------------------------------------------------------------------------------
  // Phase 1: checks (no state change).

  /**
   * @throws OctopusError ERR_ORDER_BAD_REQUEST / ERR_ORDER_BAD_PRICE / ERR_ORDER_BAD_TICK /
   *   ERR_ORDER_BAD_QTY / ERR_ORDER_BAD_LOT / ERR_BOOK_UNKNOWN_SYMBOL, ERR_COMPLIANCE_RESTRICTED, ERR_RISK_*.
   */
  checkSubmit(command: SubmitCommand): void {
    if (!kClientOrderIdPattern.test(command.clientOrderId)) {
      throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a client_order_id of 1-64 printable characters, was ${JSON.stringify(command.clientOrderId)}`);
    }
    const book = this.engine.book(command.symbol);
    // Converting checks the tick and lot grids and the bounds (typed errors, nothing changes).
    book.toLots(command.qty);
    if (command.limitPrice !== undefined) book.toTicks(command.limitPrice);
    if (command.stopPrice !== undefined) book.toTicks(command.stopPrice);
    const compliance = this.compliance.check(command.account, command.symbol);
    if (!compliance.ok) throw new OctopusError(compliance.reason, compliance.message);
    const last = book.lastTradePriceTicks();
    const decision = this.risk.check(
      { account: command.account, symbol: command.symbol, side: command.side, type: command.type, qty: command.qty, limitPrice: command.limitPrice, stopPrice: command.stopPrice },
      this.exposure(command.account, command.symbol),
      last === undefined ? undefined : book.grid.priceOf(last),
    );
    if (!decision.ok) throw new OctopusError(decision.reason, decision.message);
  }

  /** @throws OctopusError ERR_ORDER_UNKNOWN, ERR_ORDER_BAD_REQUEST (the order is closed). */
  checkCancel(command: CancelCommand): OrderRecord {
    const record = this.order(command.account, command.orderId);
    if (!isOpen(record)) throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected an open order, was ${record.status} order ${record.id}`);
    return record;
  }

  /** @throws as checkCancel, and the grid errors of the new price or quantity; ERR_RISK_PRICE_COLLAR. */
  checkReplace(command: ReplaceCommand): OrderRecord {
    const record = this.checkCancel(command);
    const book = this.engine.book(record.symbol);
    if (command.qty === undefined && command.limitPrice === undefined && command.stopPrice === undefined) {
      throw new OctopusError('ERR_ORDER_BAD_REQUEST', 'expected a new qty, limit_price or stop_price, was none');
    }
    if (command.qty !== undefined) book.toLots(command.qty);
    if (command.limitPrice !== undefined) {
      book.toTicks(command.limitPrice);
      const last = book.lastTradePriceTicks();
      if (last !== undefined) {
        const lastPrice = book.grid.priceOf(last);
        if (Math.abs(command.limitPrice - lastPrice) / lastPrice > this.risk.limits.priceCollar + 1e-12) {
          throw new OctopusError('ERR_RISK_PRICE_COLLAR', `expected a limit price within ${this.risk.limits.priceCollar * 100}% of the last trade ${lastPrice}, was ${command.limitPrice}`);
        }
      }
    }
    if (command.stopPrice !== undefined) book.toTicks(command.stopPrice);
    return record;
  }

  private exposure(account: string, symbol: string): AccountExposure {
    const view = this.positions.view(account);
    let openBuyNotional = 0;
    let openSellQty = 0;
    let openBuyQty = 0;
    let openOrders = 0;
    for (const record of this.records.values()) {
      if (record.account !== account || !isOpen(record)) continue;
      openOrders++;
      const leaves = record.qty - record.filled_qty;
      if (record.side === 'buy') openBuyNotional += leaves * (record.limit_price ?? record.stop_price ?? 0);
      if (record.symbol !== symbol) continue;
      if (record.side === 'buy') openBuyQty += leaves;
      else openSellQty += leaves;
    }
    const positionQty = view.positions.find((position) => position.symbol === symbol)?.qty ?? 0;
    return { cash: view.cash, positionQty, openBuyNotional, openSellQty, openBuyQty, openOrders };
  }

  // -------------------------------------------------------------------------------------------------
  // Phase 2: state changes (journaled and replayed).

  apply(command: Command): OrderRecord | OrderRecord[] | { global: boolean; accounts: string[] } {
    switch (command.kind) {
      case 'submit':
        return this.applySubmit(command.command);
      case 'cancel':
        return this.applyCancel(command.command);
      case 'replace':
        return this.applyReplace(command.command);
      case 'cancel_all':
        return this.applyCancelAll(command.command.account, command.command.timeMs);
      case 'kill_switch':
        return this.applyKillSwitch(command.command);
      case 'expire_day':
        return this.applyExpireDay(command.command.timeMs);
    }
  }

  /** Session close: every live day order entered at or before `timeMs` expires, in every book. */
  applyExpireDay(timeMs: number): OrderRecord[] {
    const expired: OrderRecord[] = [];
    for (const symbol of this.engine.symbols()) {
      const book = this.engine.book(symbol);
      const events = book.expireDayOrders(timeMs);
      for (const event of events) {
        if (event.kind === 'status' && event.status === 'expired') {
          const record = this.records.get(event.orderId);
          if (record !== undefined) expired.push(record);
        }
      }
      this.absorb(book, events, timeMs);
    }
    return expired;
  }

  applySubmit(command: SubmitCommand): OrderRecord {
    const book = this.engine.book(command.symbol);
    const events = book.submit(
      {
        account: command.account,
        side: command.side,
        type: command.type,
        qty: command.qty,
        ...(command.limitPrice === undefined ? {} : { price: command.limitPrice }),
        ...(command.stopPrice === undefined ? {} : { stopPrice: command.stopPrice }),
        timeInForce: command.timeInForce,
        postOnly: command.postOnly,
      },
      command.timeMs,
    );
    const accepted = events.find((event) => event.kind === 'accepted' || event.kind === 'rejected');
    if (accepted === undefined) throw new OctopusError('ERR_INTERNAL', 'expected the book to accept or reject the order, was neither');
    const record: OrderRecord = {
      id: String(accepted.orderId),
      client_order_id: command.clientOrderId,
      account: command.account,
      symbol: command.symbol,
      side: command.side,
      type: command.type,
      time_in_force: command.timeInForce,
      post_only: command.postOnly,
      qty: command.qty,
      filled_qty: 0,
      filled_avg_price: null,
      limit_price: command.limitPrice ?? null,
      stop_price: command.stopPrice ?? null,
      status: accepted.kind === 'accepted' ? 'new' : 'rejected',
      reject_reason: accepted.kind === 'rejected' ? accepted.reason : null,
      created_at: command.timeMs,
      updated_at: command.timeMs,
      history: [{ status: accepted.kind === 'accepted' ? 'new' : 'rejected', at: command.timeMs, reason: accepted.kind === 'rejected' ? accepted.reason : null, filled_qty: 0 }],
    };
    this.records.set(accepted.orderId, record);
    this.touchedOrders.add(accepted.orderId);
    let clientIds = this.byClientId.get(command.account);
    if (clientIds === undefined) this.byClientId.set(command.account, (clientIds = new Map()));
    clientIds.set(command.clientOrderId, accepted.orderId);
    this.absorb(book, events, command.timeMs);
    return record;
  }

  applyCancel(command: CancelCommand): OrderRecord {
    const record = this.order(command.account, command.orderId);
    const book = this.engine.book(record.symbol);
    this.absorb(book, book.cancel(command.orderId), command.timeMs);
    return record;
  }

  applyReplace(command: ReplaceCommand): OrderRecord {
    const record = this.order(command.account, command.orderId);
    const book = this.engine.book(record.symbol);
    const events = book.replace(command.orderId, {
      ...(command.qty === undefined ? {} : { qty: command.qty }),
      ...(command.limitPrice === undefined ? {} : { price: command.limitPrice }),
      ...(command.stopPrice === undefined ? {} : { stopPrice: command.stopPrice }),
    });
    for (const event of events) {
      if (event.kind === 'replaced' && event.orderId === command.orderId) {
        record.qty = book.grid.qtyOf(event.qtyLots);
        if (record.limit_price !== null) record.limit_price = book.grid.priceOf(event.priceTicks);
        if (record.stop_price !== null) record.stop_price = book.grid.priceOf(event.stopPriceTicks);
        this.recordHistory(record, 'replaced', command.timeMs, null);
        this.touchedOrders.add(command.orderId);
      } else if (event.kind === 'replace_rejected' && event.orderId === command.orderId) {
        throw new OctopusError(event.reason, `expected the replace to be accepted, was refused (${event.reason})`);
      }
    }
    this.absorb(book, events, command.timeMs);
    return record;
  }

  applyCancelAll(account: string, timeMs: number): OrderRecord[] {
    const touched = new Set<number>();
    for (const event of this.engine.cancelAll(account)) if (event.kind === 'status') touched.add(event.orderId);
    // The engine-wide list lives until the next engine call; absorb book by book.
    for (const orderId of touched) {
      const record = this.records.get(orderId)!;
      record.status = 'canceled';
      record.updated_at = timeMs;
      this.recordHistory(record, 'canceled', timeMs, null);
      this.touchedOrders.add(orderId);
    }
    return [...touched].map((orderId) => this.records.get(orderId)!);
  }

  applyKillSwitch(command: KillSwitchCommand): { global: boolean; accounts: string[] } {
    this.risk.setKillSwitch(command.active, command.account);
    if (command.active) {
      const accounts = command.account === undefined ? [...this.byClientId.keys()] : [command.account];
      for (const account of accounts) this.applyCancelAll(account, command.timeMs);
    }
    return this.risk.killSwitchState();
  }

  /**
   * Folds events of a book call made by someone else (the simulated exchange's takers can fill users'
   * resting orders) into order records and positions. Their market data is reported by whoever made the call.
   */
  absorbExternal(book: OrderBook, events: readonly BookEvent[], timeMs: number): void {
    this.absorb(book, events, timeMs, false);
  }

  /** Takes the orders and positions changed since the last call (copies, safe to send). */
  drainUpdates(): { orders: OrderRecord[]; positions: { account: string; positions: unknown[] }[] } | null {
    if (this.touchedOrders.size === 0 && this.touchedAccounts.size === 0) return null;
    const orders = [...this.touchedOrders].map((orderId) => this.records.get(orderId)!).filter((record) => record !== undefined);
    const positions = [...this.touchedAccounts].map((account) => ({ account, positions: this.account(account).positions as unknown[] }));
    this.touchedOrders.clear();
    this.touchedAccounts.clear();
    return { orders, positions };
  }

  /** Takes the market data produced since the last call. */
  drainMarketData(): MarketDataBatch | null {
    const outbox = this.marketOutbox;
    if (outbox.trades.length === 0 && outbox.quotes.length === 0 && outbox.deltas.length === 0) return null;
    const batch = { trades: outbox.trades.splice(0), quotes: outbox.quotes.splice(0), deltas: outbox.deltas.splice(0) };
    return batch;
  }

  /** Folds a book's events into order records and positions (and, for our own calls, market data). */
  private absorb(book: OrderBook, events: readonly BookEvent[], timeMs: number, reportMarketData = true): void {
    let levelsChanged = false;
    for (const event of events) {
      if (reportMarketData && event.kind === 'trade') {
        this.marketOutbox.trades.push({
          symbol: book.symbol,
          price: book.grid.priceOf(event.priceTicks),
          qty: book.grid.qtyOf(event.qtyLots),
          side: event.aggressorSide === 'buy' ? 1 : -1,
          tradeId: event.tradeId,
          timeMs,
        });
        continue;
      }
      if (reportMarketData && event.kind === 'level') {
        levelsChanged = true;
        this.marketOutbox.deltas.push({ symbol: book.symbol, side: event.side === 'buy' ? 'bid' : 'ask', price: book.grid.priceOf(event.priceTicks), qty: book.grid.qtyOf(event.qtyLots), timeMs });
        continue;
      }
      if (event.kind === 'fill') {
        const record = this.records.get(event.orderId);
        if (record === undefined) continue;
        const price = book.grid.priceOf(event.priceTicks);
        const qty = book.grid.qtyOf(event.qtyLots);
        const notional = (this.notional.get(event.orderId) ?? 0) + price * qty;
        this.notional.set(event.orderId, notional);
        record.filled_qty = book.grid.qtyOf(event.filledQtyLots);
        record.filled_avg_price = notional / record.filled_qty;
        record.updated_at = timeMs;
        this.positions.apply({ account: event.account, symbol: book.symbol, side: event.side, price, qty, fee: book.grid.cashOf(event.feeCashUnits) });
        this.touchedOrders.add(event.orderId);
        this.touchedAccounts.add(event.account);
      } else if (event.kind === 'status') {
        const record = this.records.get(event.orderId);
        if (record === undefined) continue;
        record.status = event.status;
        record.filled_qty = book.grid.qtyOf(event.filledQtyLots);
        if (event.reason !== null) record.reject_reason = event.reason;
        record.updated_at = timeMs;
        this.recordHistory(record, event.status, timeMs, event.reason);
        this.touchedOrders.add(event.orderId);
      } else if (event.kind === 'triggered') {
        const record = this.records.get(event.orderId);
        if (record !== undefined) this.recordHistory(record, 'triggered', timeMs, null);
      }
    }
    if (levelsChanged) this.reportQuote(book, timeMs);
  }

  private reportQuote(book: OrderBook, timeMs: number): void {
    const bid = book.bestBidTicks();
    const ask = book.bestAskTicks();
    if (bid === undefined || ask === undefined) return;
    const top = book.snapshot(1);
    const bidLevel = top.bids[0]!;
    const askLevel = top.asks[0]!;
    const key = `${bidLevel.priceTicks}:${bidLevel.qtyLots}:${askLevel.priceTicks}:${askLevel.qtyLots}`;
    if (this.lastQuotes.get(book.symbol) === key) return;
    this.lastQuotes.set(book.symbol, key);
    this.marketOutbox.quotes.push({
      symbol: book.symbol,
      bidPrice: book.grid.priceOf(bidLevel.priceTicks),
      bidQty: book.grid.qtyOf(bidLevel.qtyLots),
      askPrice: book.grid.priceOf(askLevel.priceTicks),
      askQty: book.grid.qtyOf(askLevel.qtyLots),
      timeMs,
    });
  }

  private recordHistory(record: OrderRecord, status: OrderHistoryEntry['status'], at: number, reason: string | null): void {
    record.history.push({ status, at, reason, filled_qty: record.filled_qty });
    if (record.history.length > kHistoryMax) record.history.splice(1, record.history.length - kHistoryMax);
  }
}
