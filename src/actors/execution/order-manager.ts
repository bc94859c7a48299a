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
 *
 * Every path that can add risk passes the same pre-trade check: a new order, a replace (checked as the
 * order it becomes, without its own current exposure), and a stop when it triggers (a deterministic
 * subset: no order-rate bucket, which is wall-clock state). Market orders, and stop orders when they
 * trigger, carry a protection price at the edge of the price collar, so the cash an order can spend is
 * bounded before it trades.
 *
 * Memory stays bounded by what is open: a closed order leaves the open maps at once, waits in `closing`
 * until its command is durable and the closed-order store has it, then lives only there. Open exposure is
 * kept incrementally (exposure.ts), so the cost of an order does not grow with the orders ever placed.
 */
import { createHash } from 'node:crypto';
import { assert } from '../../engine/assert.js';
import { OctopusError } from '../../engine/errors.js';
import type {
  AccountView,
  BookDelta,
  CancelAllOrders,
  CancelOrder,
  ExecutionReports,
  KillSwitchState,
  MarketDataBatch,
  OrderHistoryEntry,
  OrderRecord,
  OrderStatus,
  ReplaceOrder,
  SetKillSwitch,
  SubmitOrder,
} from '../../engine/messages.js';
import { canonicalJson } from '../../store/audit-log.js';
import { ComplianceRules } from '../compliance/rules.js';
import { PositionBook, type PositionBookState } from '../portfolio/positions.js';
import { PreTradeRisk, defaultRiskLimits, type OrderIntent, type RiskDecision, type RiskLimits } from '../risk/pre-trade.js';
import type { BookEvent } from './book/book-events.js';
import type { Instrument } from './book/instrument-grid.js';
import { MatchingEngine, type EngineState } from './book/matching-engine.js';
import type { OrderBook } from './book/order-book.js';
import type { OrderReason, OrderView } from './book/order-types.js';
import { MemoryClosedOrders, type ClosedOrderStore } from './closed-orders.js';
import { committedPrice, OpenExposure } from './exposure.js';

export type { OrderHistoryEntry, OrderRecord };

/** Every journaled command carries the time it was applied at (milliseconds since the epoch). */
export interface Timed {
  timeMs: number;
}

/** A submit as journaled: for a market order, the protection price the check computed. */
export type SubmitCommand = SubmitOrder & Timed & { protectionPrice?: number | undefined };
export type CancelCommand = CancelOrder & Timed;
export type ReplaceCommand = ReplaceOrder & Timed;
export type CancelAllCommand = CancelAllOrders & Timed;
export type KillSwitchCommand = SetKillSwitch & Timed;

export type Command =
  | { kind: 'submit'; command: SubmitCommand }
  | { kind: 'cancel'; command: CancelCommand }
  | { kind: 'replace'; command: ReplaceCommand }
  | { kind: 'cancel_all'; command: CancelAllCommand }
  | { kind: 'kill_switch'; command: KillSwitchCommand }
  | { kind: 'expire_day'; command: Timed };

export type CommandKind = Command['kind'];
export const kCommandKinds: ReadonlySet<string> = new Set<CommandKind>(['submit', 'cancel', 'replace', 'cancel_all', 'kill_switch', 'expire_day']);

export interface ManagerOptions {
  instruments: Instrument[];
  riskLimits?: RiskLimits;
  startingCash: number;
  makerFeeBps: number;
  takerFeeBps: number;
  restrictedSymbols?: string[];
  /** Where closed orders go; default: in memory (tests, backtests). */
  closedOrders?: ClosedOrderStore;
}

/** What the order manager produced since the last drain: reports, market data, and orders that closed. */
export interface ManagerOutputs {
  reports: ExecutionReports | null;
  market: MarketDataBatch | null;
  closed: OrderRecord[];
}

/** The manager's state in a snapshot (the closed orders are in their store). */
export interface ManagerState {
  engine: EngineState;
  open: OrderRecord[];
  /** Closed but not yet in the closed-order store when the snapshot was taken. */
  closing: OrderRecord[];
  notional: [number, number][];
  positions: PositionBookState;
  killSwitch: KillSwitchState;
  lastQuotes: [string, string][];
  closedDigest: string;
}

/** Events an order keeps in its history at most (the journal has them all). */
const kHistoryMax = 64;
const kClientOrderIdPattern = /^[\x21-\x7e]{1,64}$/;
const closedStatuses: ReadonlySet<OrderStatus> = new Set(['filled', 'canceled', 'expired', 'rejected']);
const kZeroDigest = Buffer.alloc(32);

export function isOpen(record: OrderRecord): boolean {
  return !closedStatuses.has(record.status);
}

/**
 * A closed order's fingerprint for the closed-orders digest: its fields in a fixed order (cheaper than
 * canonical JSON, which sorts keys; this runs once per order that closes, replay included).
 */
function closedFingerprint(record: OrderRecord): string {
  return JSON.stringify([
    record.id, record.client_order_id, record.account, record.symbol, record.side, record.type, record.time_in_force, record.post_only,
    record.qty, record.filled_qty, record.filled_avg_price, record.limit_price, record.stop_price, record.status, record.reject_reason, record.created_at,
  ]);
}

/** The part of an order record the state hash covers (its history and update time are bookkeeping). */
function hashedFields(record: OrderRecord): Omit<OrderRecord, 'history' | 'updated_at'> {
  const { history: _history, updated_at: _updated, ...rest } = record;
  return rest;
}

export class OrderManager {
  readonly engine: MatchingEngine;
  readonly risk: PreTradeRisk;
  readonly compliance = new ComplianceRules();
  readonly positions: PositionBook;
  readonly closedOrders: ClosedOrderStore;
  private readonly takerFeeRate: number;
  /** Open orders by id, and the index of their client order ids and per-account ids. */
  private readonly open = new Map<number, OrderRecord>();
  private readonly openByClientId = new Map<string, number>();
  private readonly openByAccount = new Map<string, Set<number>>();
  /** Closed orders not yet in the closed-order store (their command may not be durable yet). */
  private readonly closing = new Map<number, OrderRecord>();
  private readonly closingByClientId = new Map<string, number>();
  /** Filled notional per open order (for its average fill price). */
  private readonly notional = new Map<number, number>();
  private readonly exposure = new OpenExposure();
  /** XOR of the hashes of every closed order: the state hash covers them without keeping them. */
  private closedDigest = Buffer.from(kZeroDigest);
  private readonly lastQuotes = new Map<string, string>();
  private readonly marketOutbox: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
  /** Orders and accounts changed since the last drain, and orders that closed. */
  private readonly touchedOrders = new Set<OrderRecord>();
  private readonly touchedAccounts = new Set<string>();
  private closedSinceDrain: OrderRecord[] = [];

  constructor(options: ManagerOptions, nowMs?: () => number) {
    this.engine = new MatchingEngine({ bookDefaults: { makerFeeBps: options.makerFeeBps, takerFeeBps: options.takerFeeBps } });
    for (const instrument of options.instruments) this.engine.addBook(instrument).setTriggerGuard((order, trigger) => this.guardTrigger(order, trigger));
    this.risk = new PreTradeRisk(options.riskLimits ?? defaultRiskLimits, nowMs);
    this.positions = new PositionBook(options.startingCash);
    this.closedOrders = options.closedOrders ?? new MemoryClosedOrders();
    this.takerFeeRate = options.takerFeeBps / 10_000;
    for (const symbol of options.restrictedSymbols ?? []) this.compliance.restrict(symbol);
  }

  // -------------------------------------------------------------------------------------------------
  // Queries.

  /** @throws OctopusError ERR_ORDER_UNKNOWN when the account has no order with this id. */
  order(account: string, orderId: number): OrderRecord {
    const record = this.open.get(orderId) ?? this.closing.get(orderId) ?? this.closedOrders.get(orderId);
    if (record === undefined || record.account !== account) throw new OctopusError('ERR_ORDER_UNKNOWN', `expected an order of ${account}, was unknown id ${orderId}`);
    return record;
  }

  /** @throws OctopusError ERR_ORDER_UNKNOWN. */
  orderByClientId(account: string, clientOrderId: string): OrderRecord {
    const record = this.existingForClientId(account, clientOrderId);
    if (record === undefined) throw new OctopusError('ERR_ORDER_UNKNOWN', `expected an order of ${account}, was unknown client_order_id ${JSON.stringify(clientOrderId)}`);
    return record;
  }

  existingForClientId(account: string, clientOrderId: string): OrderRecord | undefined {
    const key = `${account}\u0000${clientOrderId}`;
    const openId = this.openByClientId.get(key);
    if (openId !== undefined) return this.open.get(openId);
    const closingId = this.closingByClientId.get(key);
    if (closingId !== undefined) return this.closing.get(closingId);
    return this.closedOrders.getByClientId(account, clientOrderId);
  }

  /** The account's orders, newest first: open ones from memory, closed ones from the closed-order store. */
  orders(account: string, status: 'open' | 'closed' | 'all', limit: number, beforeId = Number.MAX_SAFE_INTEGER): OrderRecord[] {
    const newestFirst = (left: OrderRecord, right: OrderRecord): number => Number(right.id) - Number(left.id);
    const older = (record: OrderRecord): boolean => Number(record.id) < beforeId;
    const open = status === 'closed' ? [] : [...(this.openByAccount.get(account) ?? [])].map((orderId) => this.open.get(orderId)!).filter(older);
    if (status === 'open') return open.sort(newestFirst).slice(0, limit);
    const closing = [...this.closing.values()].filter((record) => record.account === account && older(record));
    const stored = this.closedOrders.list(account, limit, beforeId).filter((record) => !this.closing.has(Number(record.id)));
    return [...open, ...closing, ...stored].sort(newestFirst).slice(0, limit);
  }

  get openOrderCount(): number {
    return this.open.size;
  }

  account(account: string): AccountView {
    for (const symbol of this.engine.symbols()) {
      const book = this.engine.book(symbol);
      const last = book.lastTradePriceTicks();
      if (last !== undefined) this.positions.mark(symbol, book.grid.priceOf(last));
    }
    return this.positions.view(account);
  }

  /** A digest of every order (open, and closed through their XOR digest), book and balance: equal after a journal replay. */
  stateHash(): string {
    const orders = [...this.open.values()].sort((left, right) => Number(left.id) - Number(right.id)).map(hashedFields);
    const books = this.engine.symbols().map((symbol) => this.engine.book(symbol).l3Snapshot());
    const balances = this.positions.balances();
    return createHash('sha256')
      .update(canonicalJson({ orders, books, balances, closed: this.closedDigest.toString('hex'), ids: [this.engine.ids.lastOrderId, this.engine.ids.lastTradeId] }))
      .digest('hex');
  }

  // -------------------------------------------------------------------------------------------------
  // Phase 1: checks (no state change).

  /**
   * Checks a new order and returns the command to journal (a market order gets its protection price).
   * @throws OctopusError ERR_ORDER_BAD_REQUEST / ERR_ORDER_BAD_PRICE / ERR_ORDER_BAD_TICK /
   *   ERR_ORDER_BAD_QTY / ERR_ORDER_BAD_LOT / ERR_BOOK_UNKNOWN_SYMBOL, ERR_COMPLIANCE_RESTRICTED, ERR_RISK_*.
   */
  checkSubmit(command: SubmitCommand): SubmitCommand {
    if (!kClientOrderIdPattern.test(command.clientOrderId)) {
      throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a client_order_id of 1-64 printable characters, was ${JSON.stringify(command.clientOrderId)}`);
    }
    const book = this.engine.book(command.symbol);
    // Converting checks the tick and lot grids and the bounds (typed errors, nothing changes).
    book.toLots(command.qty);
    if (command.limitPrice !== undefined) book.toTicks(command.limitPrice);
    if (command.stopPrice !== undefined) book.toTicks(command.stopPrice);
    this.checkCompliance(command.account, command.symbol);
    const intent: OrderIntent = { account: command.account, symbol: command.symbol, side: command.side, type: command.type, qty: command.qty, limitPrice: command.limitPrice, stopPrice: command.stopPrice };
    throwIfRejected(this.checkRisk(intent, book, undefined, true));
    if (command.type !== 'market') return command;
    return { ...command, protectionPrice: this.protectionPrice(book, command.side, book.lastTradePriceTicks()!) };
  }

  /** @throws OctopusError ERR_ORDER_UNKNOWN, ERR_ORDER_BAD_REQUEST (the order is closed). */
  checkCancel(command: CancelOrder): OrderRecord {
    const record = this.order(command.account, command.orderId);
    if (!isOpen(record)) throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected an open order, was ${record.status} order ${record.id}`);
    return record;
  }

  /**
   * A replace is checked exactly as the order it would become: the same risk and compliance as a new
   * order, with the order's own current exposure taken out first.
   * @throws as checkCancel, the grid errors of the new price or quantity, ERR_COMPLIANCE_RESTRICTED, ERR_RISK_*.
   */
  checkReplace(command: ReplaceOrder): OrderRecord {
    const record = this.checkCancel(command);
    const book = this.engine.book(record.symbol);
    if (command.qty === undefined && command.limitPrice === undefined && command.stopPrice === undefined) {
      throw new OctopusError('ERR_ORDER_BAD_REQUEST', 'expected a new qty, limit_price or stop_price, was none');
    }
    if (command.qty !== undefined) book.toLots(command.qty);
    if (command.limitPrice !== undefined) book.toTicks(command.limitPrice);
    if (command.stopPrice !== undefined) book.toTicks(command.stopPrice);
    this.checkCompliance(record.account, record.symbol);
    const intent: OrderIntent = {
      account: record.account,
      symbol: record.symbol,
      side: record.side,
      type: record.type,
      qty: command.qty ?? record.qty,
      limitPrice: command.limitPrice ?? record.limit_price ?? undefined,
      stopPrice: command.stopPrice ?? record.stop_price ?? undefined,
    };
    // What the order still commits after the replace: the new total less what already filled.
    const leaves = Math.max(0, intent.qty - record.filled_qty);
    throwIfRejected(this.checkRisk({ ...intent, qty: leaves }, book, Number(record.id), true, intent.qty));
    return record;
  }

  private checkCompliance(account: string, symbol: string): void {
    const compliance = this.compliance.check(account, symbol);
    if (!compliance.ok) throw new OctopusError(compliance.reason, compliance.message);
  }

  /**
   * The pre-trade decision for an order, with its fees in the cash it commits. `excludeOrderId`: an open
   * order whose current exposure the decision leaves out (a replace). `countRate`: false for the
   * deterministic subset (a triggered stop). `orderQty`: the order's total quantity for the size limit.
   */
  private checkRisk(intent: OrderIntent, book: OrderBook, excludeOrderId: number | undefined, countRate: boolean, orderQty = intent.qty): RiskDecision {
    const exposure = this.exposure.of(intent.account, intent.symbol, excludeOrderId);
    const view = this.positions.view(intent.account);
    const positionQty = view.positions.find((position) => position.symbol === intent.symbol)?.qty ?? 0;
    const last = book.lastTradePriceTicks();
    return this.risk.check(
      intent,
      { cash: view.cash, positionQty, ...exposure },
      last === undefined ? undefined : book.grid.priceOf(last),
      { orderQty, feeRate: this.takerFeeRate, countRate },
    );
  }

  /** The worst price a market order may trade at: the collar edge around the reference, on the grid. */
  private protectionPrice(book: OrderBook, side: 'buy' | 'sell', referenceTicks: number): number {
    const collar = this.risk.limits.priceCollar;
    const reference = book.grid.priceOf(referenceTicks);
    const edge = side === 'buy' ? reference * (1 + collar) : reference * (1 - collar);
    const tickSize = book.grid.price.step;
    const ticks = side === 'buy' ? Math.floor(edge / tickSize + 1e-9) : Math.ceil(edge / tickSize - 1e-9);
    return book.grid.priceOf(Math.min(book.grid.maxPriceTicks, Math.max(1, ticks)));
  }

  /**
   * The book asks before a user's stop becomes active: the same risk as a new order at the trigger price
   * (no rate bucket: replay must decide the same). A stop market order gets its protection price here.
   */
  private guardTrigger(order: OrderView, triggerPriceTicks: number): { reason: OrderReason } | { protectionPriceTicks: number } | null {
    const record = this.open.get(order.orderId);
    if (record === undefined) return null;
    const book = this.engine.book(record.symbol);
    const leaves = book.grid.qtyOf(order.leavesQtyLots);
    const protection = record.type === 'stop' ? this.protectionPrice(book, record.side, triggerPriceTicks) : undefined;
    const intent: OrderIntent = { account: record.account, symbol: record.symbol, side: record.side, type: record.type, qty: leaves, limitPrice: record.limit_price ?? protection, stopPrice: undefined };
    const decision = this.checkRisk(intent, book, order.orderId, false, record.qty);
    if (!decision.ok) {
      if (decision.reason === 'ERR_RISK_ORDER_RATE' || decision.reason === 'ERR_RISK_MAX_OPEN_ORDERS' || decision.reason === 'ERR_RISK_NO_REFERENCE_PRICE' || decision.reason === 'ERR_RISK_MAX_QTY') {
        // Limits on entering orders, already passed when this one was entered.
      } else {
        return { reason: decision.reason };
      }
    }
    return protection === undefined ? null : { protectionPriceTicks: book.toTicks(protection) };
  }

  // -------------------------------------------------------------------------------------------------
  // Phase 2: state changes (journaled and replayed).

  apply(command: Command): OrderRecord | OrderRecord[] | KillSwitchState {
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
          const record = this.open.get(event.orderId);
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
        ...(command.protectionPrice === undefined ? {} : { protectionPrice: command.protectionPrice }),
        timeInForce: command.timeInForce,
        postOnly: command.postOnly,
      },
      command.timeMs,
    );
    const accepted = events.find((event) => event.kind === 'accepted' || event.kind === 'rejected');
    if (accepted === undefined) throw new OctopusError('ERR_INTERNAL', 'expected the book to accept or reject the order, was neither');
    const status: OrderStatus = accepted.kind === 'accepted' ? 'new' : 'rejected';
    const reason = accepted.kind === 'rejected' ? accepted.reason : null;
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
      status,
      reject_reason: reason,
      created_at: command.timeMs,
      updated_at: command.timeMs,
      history: [{ status, at: command.timeMs, reason, filled_qty: 0 }],
    };
    this.addOpen(accepted.orderId, record);
    this.touch(accepted.orderId, record);
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
        record.updated_at = command.timeMs;
        this.recordHistory(record, 'replaced', command.timeMs, null);
        this.touch(command.orderId, record);
      } else if (event.kind === 'replace_rejected' && event.orderId === command.orderId) {
        throw new OctopusError(event.reason, `expected the replace to be accepted, was refused (${event.reason})`);
      }
    }
    this.absorb(book, events, command.timeMs);
    return record;
  }

  applyCancelAll(account: string, timeMs: number): OrderRecord[] {
    const canceled: OrderRecord[] = [];
    for (const symbol of this.engine.symbols()) {
      const book = this.engine.book(symbol);
      const events = book.cancelAll(account);
      for (const event of events) {
        if (event.kind === 'status' && event.status === 'canceled') {
          const record = this.open.get(event.orderId);
          if (record !== undefined) canceled.push(record);
        }
      }
      this.absorb(book, events, timeMs);
    }
    return canceled;
  }

  applyKillSwitch(command: KillSwitchCommand): KillSwitchState {
    this.risk.setKillSwitch(command.active, command.account);
    if (command.active) {
      const accounts = command.account === undefined ? [...this.openByAccount.keys()].sort() : [command.account];
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

  /** Takes what changed since the last call: execution reports, market data, and the orders that closed. */
  drainOutputs(): ManagerOutputs {
    let reports: ExecutionReports | null = null;
    if (this.touchedOrders.size > 0 || this.touchedAccounts.size > 0) {
      reports = {
        orders: [...this.touchedOrders],
        positions: [...this.touchedAccounts].map((account) => ({ account, positions: this.account(account).positions })),
      };
      this.touchedOrders.clear();
      this.touchedAccounts.clear();
    }
    const outbox = this.marketOutbox;
    const market =
      outbox.trades.length + outbox.quotes.length + outbox.deltas.length === 0
        ? null
        : { trades: outbox.trades.splice(0), quotes: outbox.quotes.splice(0), deltas: outbox.deltas.splice(0) };
    const closed = this.closedSinceDrain;
    this.closedSinceDrain = [];
    return { reports, market, closed };
  }

  /**
   * Replay's drain: what changed is history (no reports, no market data are built), only the orders that
   * closed are taken, for the closed-order store.
   */
  drainClosed(): OrderRecord[] {
    this.touchedOrders.clear();
    this.touchedAccounts.clear();
    const outbox = this.marketOutbox;
    outbox.trades.length = 0;
    outbox.quotes.length = 0;
    outbox.deltas.length = 0;
    const closed = this.closedSinceDrain;
    this.closedSinceDrain = [];
    return closed;
  }

  /** Stores closed orders in the closed-order store; once committed they leave memory. */
  async persistClosed(records: readonly OrderRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.closedOrders.put(records);
    for (const record of records) {
      const orderId = Number(record.id);
      if (this.closing.get(orderId) !== record) continue;
      this.closing.delete(orderId);
      this.closingByClientId.delete(`${record.account}\u0000${record.client_order_id}`);
    }
  }

  // -------------------------------------------------------------------------------------------------
  // Snapshots.

  exportState(): ManagerState {
    return {
      engine: this.engine.exportState(),
      open: [...this.open.values()],
      closing: [...this.closing.values()],
      notional: [...this.notional],
      positions: this.positions.exportState(),
      killSwitch: this.risk.killSwitchState(),
      lastQuotes: [...this.lastQuotes],
      closedDigest: this.closedDigest.toString('hex'),
    };
  }

  /**
   * Loads a snapshot into this (fresh) manager. The orders that were closing go to the closed-order store
   * again (the returned promise), since the snapshot may have been taken before they were stored.
   */
  importState(state: ManagerState): Promise<void> {
    assert(this.open.size === 0, `expected a fresh order manager to import into, was ${this.open.size} open orders`);
    this.engine.importState(state.engine);
    for (const record of state.open) {
      this.addOpen(Number(record.id), record);
      this.exposure.update(Number(record.id), record, true);
    }
    for (const [orderId, notional] of state.notional) this.notional.set(orderId, notional);
    this.positions.importState(state.positions);
    this.risk.importKillSwitch(state.killSwitch);
    for (const [symbol, key] of state.lastQuotes) this.lastQuotes.set(symbol, key);
    this.closedDigest = Buffer.from(state.closedDigest, 'hex');
    for (const record of state.closing) this.markClosing(record);
    return this.persistClosed(state.closing);
  }

  // -------------------------------------------------------------------------------------------------
  // Bookkeeping.

  private addOpen(orderId: number, record: OrderRecord): void {
    this.open.set(orderId, record);
    this.openByClientId.set(`${record.account}\u0000${record.client_order_id}`, orderId);
    let ids = this.openByAccount.get(record.account);
    if (ids === undefined) this.openByAccount.set(record.account, (ids = new Set()));
    ids.add(orderId);
  }

  /** Records that an order changed: reported, its exposure updated, and moved out when it closed. */
  private touch(orderId: number, record: OrderRecord): void {
    this.touchedOrders.add(record);
    const open = isOpen(record);
    this.exposure.update(orderId, record, open);
    if (open || !this.open.has(orderId)) return;
    this.open.delete(orderId);
    this.openByClientId.delete(`${record.account}\u0000${record.client_order_id}`);
    const ids = this.openByAccount.get(record.account)!;
    ids.delete(orderId);
    if (ids.size === 0) this.openByAccount.delete(record.account);
    this.notional.delete(orderId);
    this.markClosing(record);
    this.closedSinceDrain.push(record);
    const digest = createHash('sha256').update(closedFingerprint(record)).digest();
    for (let index = 0; index < 32; index++) this.closedDigest[index]! ^= digest[index]!;
  }

  private markClosing(record: OrderRecord): void {
    this.closing.set(Number(record.id), record);
    this.closingByClientId.set(`${record.account}\u0000${record.client_order_id}`, Number(record.id));
  }

  /** Folds a book's events into order records and positions (and, for our own calls, market data). */
  private absorb(book: OrderBook, events: readonly BookEvent[], timeMs: number, reportMarketData = true): void {
    let levelsChanged = false;
    for (const event of events) {
      if (event.kind === 'trade') {
        if (reportMarketData) this.marketOutbox.trades.push({ symbol: book.symbol, price: book.grid.priceOf(event.priceTicks), qty: book.grid.qtyOf(event.qtyLots), side: event.aggressorSide, tradeId: event.tradeId, timeMs });
        continue;
      }
      if (event.kind === 'level') {
        if (!reportMarketData) continue;
        levelsChanged = true;
        const delta: BookDelta = { symbol: book.symbol, side: event.side, price: book.grid.priceOf(event.priceTicks), qty: book.grid.qtyOf(event.qtyLots), timeMs };
        this.marketOutbox.deltas.push(delta);
        continue;
      }
      const record = event.kind === 'fill' || event.kind === 'status' || event.kind === 'triggered' ? this.open.get(event.orderId) : undefined;
      if (record === undefined) continue;
      if (event.kind === 'fill') this.absorbFill(book, event, record, timeMs);
      else if (event.kind === 'status') {
        record.status = event.status;
        record.filled_qty = book.grid.qtyOf(event.filledQtyLots);
        if (event.reason !== null) record.reject_reason = event.reason;
        record.updated_at = timeMs;
        this.recordHistory(record, event.status, timeMs, event.reason);
        this.touch(event.orderId, record);
      } else if (event.kind === 'triggered') {
        this.recordHistory(record, 'triggered', timeMs, null);
        this.touchedOrders.add(record);
      }
    }
    if (levelsChanged) this.reportQuote(book, timeMs);
  }

  private absorbFill(book: OrderBook, event: Extract<BookEvent, { kind: 'fill' }>, record: OrderRecord, timeMs: number): void {
    const price = book.grid.priceOf(event.priceTicks);
    const qty = book.grid.qtyOf(event.qtyLots);
    const notional = (this.notional.get(event.orderId) ?? 0) + price * qty;
    this.notional.set(event.orderId, notional);
    record.filled_qty = book.grid.qtyOf(event.filledQtyLots);
    record.filled_avg_price = notional / record.filled_qty;
    record.updated_at = timeMs;
    const cashBefore = this.positions.account(event.account).cash;
    const fee = book.grid.cashOf(event.feeCashUnits);
    this.positions.apply({ account: event.account, symbol: book.symbol, side: event.side, price, qty, fee });
    // Cash conservation: a fill moves exactly its notional plus its fee.
    const expectedCash = cashBefore - (event.side === 'buy' ? price * qty : -price * qty) - fee;
    assert(Math.abs(this.positions.account(event.account).cash - expectedCash) <= 1e-6 * Math.max(1, Math.abs(expectedCash)), () => `expected cash ${expectedCash} after a fill of ${record.id}, was ${this.positions.account(event.account).cash}`);
    this.touch(event.orderId, record);
    this.touchedAccounts.add(event.account);
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

function throwIfRejected(decision: RiskDecision): void {
  if (!decision.ok) throw new OctopusError(decision.reason, decision.message);
}

export { committedPrice };
