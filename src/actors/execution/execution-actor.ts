/**
 * M7 execution in its own worker: the rings in front of the execution core (execution-core.ts), which
 * holds the books, orders, positions, the simulated exchange, the journal and the snapshots.
 *
 * Commands are handled concurrently with their flushes: each one changes the in-memory state at once, in
 * inbox order, and its reply waits for the journal flush, so a burst of orders shares fsyncs (group
 * commit). A command that was applied but not yet flushed when the process dies was never acknowledged;
 * it is gone after the restart, exactly like an order that never arrived. What a command or a step of the
 * exchange produced reaches the subscribers only once it is durable, split into ring-sized pieces.
 */
import { Actor } from '../../engine/actor.js';
import { SendResult } from '../../engine/endpoint.js';
import { MessageType, splitMarketData, splitReports, type ExecutionReports, type MarketDataBatch } from '../../engine/messages.js';
import { openStateStore, type StateStore } from '../../store/state-store.js';
import { copyRecord, ExecutionCore, type ExecutionOptions } from './execution-core.js';

export type { ExecutionOptions, SimulationOptions } from './execution-core.js';
export { universeFor } from './execution-core.js';

export default class ExecutionActor extends Actor<ExecutionOptions> {
  private store!: StateStore;
  private core!: ExecutionCore;
  private timer: NodeJS.Timeout | null = null;
  private sessionTimer: NodeJS.Timeout | null = null;
  private undelivered = 0;

  override async start(): Promise<void> {
    this.store = openStateStore(this.options.dataDir, 'execution.lmdb');
    this.core = new ExecutionCore(this.options, this.store, {
      publishMarketData: (batch) => this.publishMarketData(batch),
      publishReports: (reports) => this.publishReports(reports),
      congested: () => this.context.endpoint.isCongested(),
    }, this.clock, this.logger);
    this.core.onReplayProgress = () => this.context.directory.beat(this.context.id);
    const restore = await this.core.open();
    this.logger.info(restore, 'execution state rebuilt from the snapshot and the journal');
    this.registerCommands();
    this.registerQueries();
    const tickMs = this.options.simulation?.publishMs ?? 1_000;
    this.timer = setInterval(() => {
      this.core.tick();
      this.core.maybeSnapshot();
    }, tickMs);
    this.scheduleSessionClose();
    // The chains' history before the snapshot is checked in the background (start-up checked the tails).
    this.core.verifyHistory().then(
      (history) => (history.state === 'ok' ? this.logger.info(history, 'journal and audit chains verified') : this.logger.fatal(history, 'journal or audit chain broken: trading halted')),
      (error: unknown) => this.logger.error({ err: error }, 'history verification failed'),
    );
  }

  private registerCommands(): void {
    const core = this.core;
    this.on(MessageType.SubmitOrder, (body) => core.submit(body), { concurrent: true });
    this.on(MessageType.CancelOrder, (body) => core.cancel(body), { concurrent: true });
    this.on(MessageType.ReplaceOrder, (body) => core.replace(body), { concurrent: true });
    this.on(MessageType.CancelAllOrders, (body) => core.cancelAll(body), { concurrent: true });
    this.on(MessageType.SetKillSwitch, (body) => core.setKillSwitch(body), { concurrent: true });
    this.on(MessageType.MarketDataProcessed, (body) => core.acknowledge(body.actor, body.throughMs));
  }

  private registerQueries(): void {
    const core = this.core;
    const manager = core.manager;
    const settle = <T>(value: T | Promise<T>): Promise<T> => Promise.resolve(value);
    this.on(MessageType.OrderQuery, (query) => {
      const record = query.orderId !== undefined ? manager.order(query.account, query.orderId) : manager.orderByClientId(query.account, query.clientOrderId ?? '');
      return settle(core.durable(copyRecord(record)));
    }, { concurrent: true });
    this.on(MessageType.OrdersQuery, (query) => settle(core.durable(manager.orders(query.account, query.status, query.limit, query.beforeId).map(copyRecord))), { concurrent: true });
    this.on(MessageType.AccountQuery, (query) => settle(core.durable(manager.account(query.account))), { concurrent: true });
    this.on(MessageType.BookQuery, (query) => settle(core.durable(query.level === 3 ? core.bookL3(query.symbol, query.depth) : core.bookL2(query.symbol, query.depth))), { concurrent: true });
    this.on(MessageType.KillSwitchQuery, () => settle(core.durable(manager.risk.killSwitchState())), { concurrent: true });
    this.on(MessageType.StateHashQuery, (query) =>
      core.atDurablePoint(() => {
        const live = { stateHash: core.stateHash(), journalSeq: core.journal.lastSeq };
        return query.full ? { ...live, replayStateHash: core.fullReplayStateHash().stateHash } : live;
      }), { concurrent: true });
  }

  /**
   * Expires day orders at each session close, through the journaled command path (so a replay expires
   * the same orders at the same point).
   */
  private scheduleSessionClose(): void {
    const nowMs = this.clock.nowMs();
    const nextMs = this.core.previousSessionClose(nowMs) + 86_400_000;
    this.sessionTimer = setTimeout(() => {
      this.core.expireDay(nextMs).then(
        (expired) => this.logger.info({ expired: expired.length }, 'session closed: day orders expired'),
        (error: unknown) => this.logger.error({ err: error }, 'session close failed'),
      );
      this.scheduleSessionClose();
    }, Math.min(nextMs - nowMs, 2_147_000_000));
  }

  private publishMarketData(batch: MarketDataBatch): void {
    const pieces = splitMarketData(batch);
    for (const subscriber of this.options.marketDataSubscribers) {
      for (const piece of pieces) this.count(this.send(subscriber, MessageType.MarketDataBatch, piece));
    }
  }

  private publishReports(reports: ExecutionReports): void {
    const pieces = splitReports(reports);
    for (const subscriber of this.options.reportSubscribers) {
      for (const piece of pieces) this.count(this.send(subscriber, MessageType.ExecutionReports, piece));
    }
  }

  /** A send that did not go out: only a dead subscriber (counted as a dead letter too) or a bug. */
  private count(result: SendResult): void {
    if (result !== SendResult.Ok) this.undelivered++;
  }

  override async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.sessionTimer !== null) clearTimeout(this.sessionTimer);
    this.sessionTimer = null;
    await this.core.close();
    await this.context.endpoint.flushOutboxes(1_000);
    await this.store.close();
  }

  override status(): Record<string, unknown> {
    return { ...this.core.status(), undelivered: this.undelivered };
  }
}
