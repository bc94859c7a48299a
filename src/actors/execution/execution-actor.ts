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

export interface ExecutionOptions {
  dataDir: string;
  symbols: string[];
  tickSize: number;
  lotSize: number;
  startingCash: number;
  makerFeeBps: number;
  takerFeeBps: number;
  riskLimits?: RiskLimits;
  restrictedSymbols?: string[];
}

export default class ExecutionActor extends Actor<ExecutionOptions> {
  private store!: StateStore;
  private journal!: Journal;
  private audit!: AuditLog;
  private manager!: OrderManager;
  private commandsApplied = 0;
  private replayed = 0;

  override start(): void {
    const options = this.options;
    this.store = openStateStore(options.dataDir, 'execution.lmdb');
    this.journal = new Journal(this.store);
    this.audit = new AuditLog(this.store);
    this.manager = new OrderManager({
      instruments: options.symbols.map((symbol) => ({ symbol, tickSize: options.tickSize, lotSize: options.lotSize })),
      startingCash: options.startingCash,
      makerFeeBps: options.makerFeeBps,
      takerFeeBps: options.takerFeeBps,
      ...(options.riskLimits === undefined ? {} : { riskLimits: options.riskLimits }),
      ...(options.restrictedSymbols === undefined ? {} : { restrictedSymbols: options.restrictedSymbols }),
    });
    this.replayed = this.journal.replay((record) => {
      this.manager.apply({ kind: record.kind, command: record.payload } as Command);
    });
    this.logger.info({ replayed: this.replayed, lastSeq: this.journal.lastSeq, stateHash: this.manager.stateHash() }, 'execution state rebuilt from the journal');
    this.on(MessageType.ExecutionCommand, (body) => this.handleCommand(body), { concurrent: true });
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
      default:
        throw new OctopusError('ERR_ORDER_BAD_REQUEST', `expected a known command, was ${JSON.stringify((command as { kind: unknown }).kind)}`);
    }
    this.commandsApplied++;
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
      case 'state_hash':
        return { status: 200, result: { state_hash: this.manager.stateHash(), journal_seq: this.journal.lastSeq } };
    }
  }

  override async stop(): Promise<void> {
    await this.store.close();
  }

  override status(): Record<string, unknown> {
    return { commands_applied: this.commandsApplied, replayed: this.replayed, journal_seq: this.journal.lastSeq };
  }
}

function summarize(result: unknown): unknown {
  if (result !== null && typeof result === 'object' && 'id' in result && 'status' in result) {
    const record = result as { id: string; status: string; filled_qty: number };
    return { id: record.id, status: record.status, filled_qty: record.filled_qty };
  }
  return result;
}
