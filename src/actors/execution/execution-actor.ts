/**
 * M7 execution: order entry's state machine in its own worker. Every state-changing command is checked
 * (validation, idempotency, pre-trade risk, compliance), applied to the books, appended to the LMDB
 * journal and the audit chain, and acknowledged only once both are flushed to disk. At start-up the
 * journal is replayed through the same apply path, so books, orders, positions and balances come back
 * identical (the state hash is logged and served for tests).
 *
 * Commands are handled concurrently with their flushes: each one changes the in-memory state at once,
 * in inbox order, and its reply waits for the flush, so a burst of orders shares fsyncs (group commit).
 * A command that was applied but not yet flushed when the process dies was never acknowledged; it is
 * gone after the restart, exactly like an order that never arrived.
 */
import { Actor } from '../../engine/actor.js';
import { OctopusError } from '../../engine/errors.js';
import { MessageType, type ExecutionCommand, type ExecutionQuery, type ExecutionResult } from '../../engine/messages.js';
import { AuditLog } from '../../store/audit-log.js';
import { Journal } from '../../store/journal.js';
import { openStateStore, type StateStore } from '../../store/state-store.js';
import type { RiskLimits } from '../risk/pre-trade.js';
import { OrderManager, type Command } from './order-manager.js';
import { SimulatedExchange, kDefaultUniverse, type SimulatedSymbol } from './simulated-venue/simulated-exchange.js';
import type { ExecutionReports, MarketDataBatch } from '../../engine/messages.js';
import { SendResult } from '../../engine/endpoint.js';

export interface SimulationOptions {
  seed: number;
  /** Mean taker orders per symbol per second (the feed's intensity). */
  takerRatePerSecond: number;
  /** How often the exchange is stepped and market data published. */
  publishMs: number;
}

export interface ExecutionOptions {
  /** The built-in simulated exchange trading in these books; undefined = users' orders only. */
  simulation?: SimulationOptions;
  /** Who receives market data batches (trades, quotes, book deltas). */
  marketDataSubscribers: string[];
  /** Who receives execution reports (changed orders and positions). */
  reportSubscribers: string[];
  /** Session close, milliseconds after UTC midnight: day orders expire then (default 21:00 UTC). */
  sessionCloseUtcMs?: number;
  dataDir: string;
  symbols: string[];
  tickSize: number;
  lotSize: number;
  startingCash: number;
  makerFeeBps: number;
  takerFeeBps: number;
  riskLimits?: RiskLimits;
  restrictedSymbols?: string[];
  /** BENCH ONLY (OCTOPUS_BENCH_NO_JOURNAL=1, src/config.ts): acknowledge commands without journaling them. */
  benchNoJournal?: boolean;
}

export default class ExecutionActor extends Actor<ExecutionOptions> {
  private store!: StateStore;
  private journal!: Journal;
  private audit!: AuditLog;
  private manager!: OrderManager;
  private commandsApplied = 0;
  private replayed = 0;
  private exchange: SimulatedExchange | null = null;
  private publishTimer: NodeJS.Timeout | null = null;
  private batchesUndelivered = 0;
  private sessionTimer: NodeJS.Timeout | null = null;

  override start(): void {
    const options = this.options;
    this.store = openStateStore(options.dataDir, 'execution.lmdb');
    this.journal = new Journal(this.store);
    this.audit = new AuditLog(this.store);
    this.manager = new OrderManager({
      instruments: universeFor(options.symbols, options.tickSize, options.lotSize).map(({ symbol, tickSize, lotSize }) => ({ symbol, tickSize, lotSize })),
      startingCash: options.startingCash,
      makerFeeBps: options.makerFeeBps,
      takerFeeBps: options.takerFeeBps,
      ...(options.riskLimits === undefined ? {} : { riskLimits: options.riskLimits }),
      ...(options.restrictedSymbols === undefined ? {} : { restrictedSymbols: options.restrictedSymbols }),
    });
    this.replayed = this.journal.replay((record) => {
      if (record.kind === 'sim_start') this.exchange = this.createExchange((record.payload as { startTimeMs: number }).startTimeMs);
      else if (record.kind === 'sim_step') this.exchange?.step((record.payload as { untilMs: number }).untilMs);
      else this.manager.apply({ kind: record.kind, command: record.payload } as Command);
    });
    // What the replay traded is history, not live market data or news for the order channels.
    this.manager.drainMarketData();
    this.manager.drainUpdates();
    if (options.simulation !== undefined) {
      if (this.exchange === null) {
        const startTimeMs = Math.floor(this.clock.nowMs());
        this.exchange = this.createExchange(startTimeMs);
        void this.journal.append('sim_start', { startTimeMs, seed: options.simulation.seed }, startTimeMs);
      }
      this.publishTimer = setInterval(() => this.stepAndPublish(), options.simulation.publishMs);
    } else if (options.marketDataSubscribers.length > 0) {
      this.publishTimer = setInterval(() => this.publish(null), 50);
    }
    this.logger.info({ replayed: this.replayed, lastSeq: this.journal.lastSeq, stateHash: this.manager.stateHash() }, 'execution state rebuilt from the journal');
    this.on(MessageType.ExecutionCommand, (body) => this.handleCommand(body), { concurrent: true });
    this.scheduleSessionClose();
    this.on(MessageType.ExecutionQuery, async (body) => this.handleQuery(body), { concurrent: true });
  }

  private async handleCommand(body: ExecutionCommand): Promise<ExecutionResult> {
    const timeMs = Math.round(this.clock.nowMs());
    const command = { kind: body.kind, command: { ...body.command, timeMs } } as Command;
    let status = 200;
    let result: unknown;
    switch (command.kind) {
      case 'submit': {
        const existing = this.manager.existingForClientId(command.command.account, command.command.clientOrderId);
        // An idempotent retry: the same client order id returns the order it created, never a second one.
        if (existing !== undefined) return { status: 200, result: existing };
        this.manager.checkSubmit(command.command);
        result = this.manager.applySubmit(command.command);
        status = 201;
        break;
      }
      case 'cancel':
        this.manager.checkCancel(command.command);
        result = this.manager.applyCancel(command.command);
        break;
      case 'replace':
        this.manager.checkReplace(command.command);
        result = this.manager.applyReplace(command.command);
        break;
      case 'cancel_all':
        result = { canceled: this.manager.applyCancelAll(command.command.account, timeMs) };
        break;
      case 'kill_switch':
        result = this.manager.applyKillSwitch(command.command);
        break;
      case 'expire_day':
        result = { expired: this.manager.applyExpireDay(timeMs) };
        break;
      default:
        throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a known command, was ${JSON.stringify((command as { kind: unknown }).kind)}`);
    }
    this.commandsApplied++;
    if (this.options.benchNoJournal === true) {
      this.reportUpdates();
      return { status, result };
    }
    // Appended in apply order (sequence numbers are taken synchronously), flushed together.
    const journaled = this.journal.append(command.kind, command.command, timeMs);
    const audited = this.audit.append({ type: command.kind, command: command.command, result: summarize(result) }, timeMs);
    try {
      await Promise.all([journaled, audited]);
    } catch (error) {
      // The state in memory is ahead of the disk and cannot be trusted: crash, restart, replay.
      this.logger.fatal({ err: error }, 'journal write failed; restarting from the journal');
      setImmediate(() => process.exit(70));
      throw new OctopusError('ERR_INTERNAL', 'expected the command to be journaled, was a storage failure', { cause: error });
    }
    // Reported once durable, like the acknowledgement.
    this.reportUpdates();
    return { status, result };
  }

  private handleQuery(query: ExecutionQuery): ExecutionResult {
    switch (query.query) {
      case 'order':
        return { status: 200, result: this.manager.order(query.account, query.orderId ?? -1) };
      case 'by_client_id':
        return { status: 200, result: this.manager.orderByClientId(query.account, query.clientOrderId ?? '') };
      case 'orders':
        return { status: 200, result: this.manager.orders(query.account, query.status ?? 'open', query.limit ?? 500) };
      case 'account':
        return { status: 200, result: this.manager.account(query.account) };
      case 'kill_switch':
        return { status: 200, result: this.manager.risk.killSwitchState() };
      case 'book':
        return { status: 200, result: this.bookSnapshot(query.symbol ?? '', query.depth ?? 20) };
      case 'book_l3':
        return { status: 200, result: this.bookL3(query.symbol ?? '', query.depth ?? 20) };
      case 'state_hash':
        return { status: 200, result: { state_hash: this.manager.stateHash(), journal_seq: this.journal.lastSeq } };
    }
  }

  private createExchange(startTimeMs: number): SimulatedExchange {
    const simulation = this.options.simulation!;
    return new SimulatedExchange({
      seed: simulation.seed,
      engine: this.manager.engine,
      symbols: universeFor(this.options.symbols, this.options.tickSize, this.options.lotSize),
      startTimeMs,
      takers: { ratePerSecond: simulation.takerRatePerSecond },
      onBookEvents: (book, events, timeMs) => this.manager.absorbExternal(book, events, timeMs),
    });
  }

  /**
   * Steps the simulated exchange to now and publishes what it and the users' orders produced. The step
   * is journaled (its time only: the exchange is deterministic), so a replay reproduces the books exactly.
   */
  private stepAndPublish(): void {
    const exchange = this.exchange!;
    const untilMs = Math.min(Math.floor(this.clock.nowMs()), exchange.timeMs + exchange.config.maxAdvanceMs);
    if (untilMs < exchange.timeMs + exchange.config.stepMs) {
      this.publish(null);
      return;
    }
    // Not awaited: a step needs no acknowledgement, and commands journaled after it are flushed after it.
    this.journal.append('sim_step', { untilMs }, untilMs).catch((error: unknown) => this.logger.error({ err: error }, 'journal append failed'));
    const events = exchange.step(untilMs);
    const batch: MarketDataBatch = { trades: [], quotes: [], deltas: [] };
    for (const event of events) {
      if (event.kind === 'trade') {
        batch.trades.push({ symbol: event.symbol, price: event.price, qty: event.qty, side: event.side === 'buy' ? 1 : -1, tradeId: event.tradeId, timeMs: event.timeMs });
      } else if (event.kind === 'quote') {
        batch.quotes.push({ symbol: event.symbol, bidPrice: event.bidPrice, bidQty: event.bidQty, askPrice: event.askPrice, askQty: event.askQty, timeMs: event.timeMs });
      } else {
        batch.deltas.push({ symbol: event.symbol, side: event.side, price: event.price, qty: event.qty, timeMs: event.timeMs });
      }
    }
    this.publish(batch);
  }

  /**
   * Expires day orders at each session close, through the journaled command path (so a replay expires
   * the same orders at the same point).
   */
  private scheduleSessionClose(): void {
    const closeMs = this.options.sessionCloseUtcMs ?? 21 * 3_600_000;
    const nowMs = this.clock.nowMs();
    const dayMs = 86_400_000;
    let nextMs = Math.floor(nowMs / dayMs) * dayMs + closeMs;
    if (nextMs <= nowMs) nextMs += dayMs;
    this.sessionTimer = setTimeout(() => {
      this.handleCommand({ kind: 'expire_day', command: {} }).then(
        (result) => this.logger.info({ expired: (result.result as { expired: unknown[] }).expired.length }, 'session closed: day orders expired'),
        (error: unknown) => this.logger.error({ err: error }, 'session close failed'),
      );
      this.scheduleSessionClose();
    }, Math.min(nextMs - nowMs, 2_147_000_000));
  }

  /** Sends the execution reports (changed orders, positions) to the report subscribers. */
  private reportUpdates(): void {
    const updates = this.manager.drainUpdates();
    if (updates === null) return;
    for (const subscriber of this.options.reportSubscribers) {
      if (this.send(subscriber, MessageType.ExecutionReports, updates as unknown as ExecutionReports) !== SendResult.Ok) this.batchesUndelivered++;
    }
  }

  /** Sends the batch plus the market data of users' orders since the last publish. */
  private publish(batch: MarketDataBatch | null): void {
    this.reportUpdates();
    const own = this.manager.drainMarketData();
    let merged = batch;
    if (own !== null) {
      if (merged === null) merged = own;
      else {
        merged.trades.push(...own.trades);
        merged.quotes.push(...own.quotes);
        merged.deltas.push(...own.deltas);
      }
    }
    if (merged === null || merged.trades.length + merged.quotes.length + merged.deltas.length === 0) return;
    for (const subscriber of this.options.marketDataSubscribers) {
      if (this.send(subscriber, MessageType.MarketDataBatch, merged) !== SendResult.Ok) this.batchesUndelivered++;
    }
  }

  /** The L2 book in decimals: {symbol, bids: [[price, qty, orders]], asks: [...]}, best first. */
  private bookSnapshot(symbol: string, depth: number): unknown {
    const book = this.manager.engine.book(symbol);
    const snapshot = book.snapshot(depth);
    const level = (entry: { priceTicks: number; qtyLots: number; orderCount: number }) => [book.grid.priceOf(entry.priceTicks), book.grid.qtyOf(entry.qtyLots), entry.orderCount];
    return { symbol, bids: snapshot.bids.map(level), asks: snapshot.asks.map(level) };
  }

  /**
   * The L3 book (order by order, in priority order) in decimals, without the owners: levels
   * {price, orders: [{order_id, qty}]}, best first, at most `depth` levels per side.
   */
  private bookL3(symbol: string, depth: number): unknown {
    const book = this.manager.engine.book(symbol);
    const snapshot = book.l3Snapshot();
    const level = (entry: { priceTicks: number; orders: { orderId: number; leavesQtyLots: number }[] }) => ({
      price: book.grid.priceOf(entry.priceTicks),
      orders: entry.orders.map((order) => ({ order_id: order.orderId, qty: book.grid.qtyOf(order.leavesQtyLots) })),
    });
    return { symbol, bids: snapshot.bids.slice(0, depth).map(level), asks: snapshot.asks.slice(0, depth).map(level) };
  }

  override async stop(): Promise<void> {
    if (this.publishTimer !== null) clearInterval(this.publishTimer);
    this.publishTimer = null;
    if (this.sessionTimer !== null) clearTimeout(this.sessionTimer);
    this.sessionTimer = null;
    await this.store.close();
  }

  override status(): Record<string, unknown> {
    return {
      commands_applied: this.commandsApplied,
      replayed: this.replayed,
      journal_seq: this.journal.lastSeq,
      simulated_time_ms: this.exchange?.timeMs ?? null,
      batches_undelivered: this.batchesUndelivered,
    };
  }
}

/**
 * The instruments of `symbols`: those of the simulated exchange's default universe keep its sector, grids,
 * start price and volatility; any other symbol trades on the configured grids around 100.
 */
export function universeFor(symbols: readonly string[], tickSize: number, lotSize: number): SimulatedSymbol[] {
  return symbols.map(
    (symbol) => kDefaultUniverse.find((known) => known.symbol === symbol) ?? { symbol, sector: 'other', tickSize, lotSize, startPrice: 100, annualVolatility: 0.3 },
  );
}

function summarize(result: unknown): unknown {
  if (result !== null && typeof result === 'object' && 'id' in result && 'status' in result) {
    const record = result as { id: string; status: string; filled_qty: number };
    return { id: record.id, status: record.status, filled_qty: record.filled_qty };
  }
  return result;
}
