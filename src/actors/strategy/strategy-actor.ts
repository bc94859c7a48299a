/**
 * M4 strategy: runs strategies (built-ins or files, `--strategy path.ts --params '{...}'`) in this
 * worker, each under its own account `strategy:<name>`, trading through M7 execution with SubmitOrder /
 * CancelOrder / ReplaceOrder, so their orders pass the same validation, pre-trade risk and compliance as
 * REST orders. It receives the execution actor's market data and execution reports; each strategy is a
 * StrategySession, the same code the backtester's simulated-exchange run uses.
 *
 * Lockstep: after each market-data batch, once every strategy's commands have been answered, the actor
 * tells execution it handled the data through that time (MarketDataProcessed), and execution steps its
 * simulated exchange only then (SimulationOptions.lockstep), one step at a time. Signals, fills and state
 * changes go to the update subscribers (the gateway's `strategies` channel).
 */
import { Actor } from '../../engine/actor.js';
import { OctopusError } from '../../engine/errors.js';
import { MessageType, type ExecutionReports, type MarketDataBatch, type StrategyControl, type StrategyStatus } from '../../engine/messages.js';
import type { SizingSpec } from './sizing.js';
import { loadStrategy } from './strategy-loader.js';
import { StrategySession } from './strategy-session.js';

export interface StrategyDefinition {
  name: string;
  /** A built-in name or a file path. */
  spec: string;
  params: Record<string, unknown>;
  sizing?: SizingSpec;
}

export interface StrategyActorOptions {
  strategies: StrategyDefinition[];
  /** The execution actor's name. */
  execution: string;
  startingCash: number;
  lotSizes: [string, number][];
  sizingFeeRate: number;
  /** Only these symbols' data reaches strategies (all when empty). */
  symbols: string[];
  barIntervalMs: number;
  /** Acknowledge each batch to execution (its simulation runs in lockstep with this actor). */
  lockstep: boolean;
  /** Who receives StrategyUpdate messages. */
  updateSubscribers: string[];
  /** Base directory for relative strategy files. */
  baseDirectory: string;
}

interface Running {
  definition: StrategyDefinition;
  session: StrategySession;
  state: 'running' | 'stopped' | 'failed';
  error: string | null;
  publishedFills: number;
  publishedSignals: number;
}

const kCommandTimeoutMs = 10_000;
const kSignalsShown = 20;
const kFillsShown = 100;

export default class StrategyActor extends Actor<StrategyActorOptions> {
  private readonly running: Running[] = [];
  private firstDataMs: number | null = null;
  private batches = 0;
  private acknowledging: Promise<void> = Promise.resolve();

  override async start(): Promise<void> {
    for (const definition of this.options.strategies) {
      const strategy = await loadStrategy(definition.spec, definition.params, this.options.baseDirectory);
      const session = new StrategySession({
        name: definition.name,
        strategy,
        port: {
          submit: (body) => this.request(this.options.execution, MessageType.SubmitOrder, body, kCommandTimeoutMs),
          cancel: (body) => this.request(this.options.execution, MessageType.CancelOrder, body, kCommandTimeoutMs),
          replace: (body) => this.request(this.options.execution, MessageType.ReplaceOrder, body, kCommandTimeoutMs),
        },
        logger: this.logger.child({ strategy: definition.name }),
        startingCash: this.options.startingCash,
        lotSizes: new Map(this.options.lotSizes),
        sizingFeeRate: this.options.sizingFeeRate,
        ...(definition.sizing === undefined ? {} : { sizing: definition.sizing }),
        symbols: this.options.symbols,
        barIntervalMs: this.options.barIntervalMs,
      });
      this.running.push({ definition, session, state: 'running', error: null, publishedFills: 0, publishedSignals: 0 });
      session.host.start();
      this.logger.info({ strategy: definition.name, spec: definition.spec }, 'strategy started');
    }
    this.on(MessageType.MarketDataBatch, (batch) => this.onMarketData(batch));
    this.on(MessageType.ExecutionReports, (reports) => this.onReports(reports));
    this.on(MessageType.StrategyControl, (control) => this.control(control));
  }

  /** Runs a hook safely: a throwing strategy is stopped and marked failed; the others go on. */
  private guarded(entry: Running, action: () => void): void {
    if (entry.state !== 'running') return;
    try {
      action();
    } catch (error) {
      entry.state = 'failed';
      entry.error = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
      this.logger.error({ err: error, strategy: entry.definition.name }, 'strategy failed and was stopped');
      this.publish(entry, 'state', { state: entry.state, error: entry.error });
    }
  }

  private onMarketData(batch: MarketDataBatch): void {
    this.batches++;
    if (this.firstDataMs === null) {
      const first = [...batch.trades, ...batch.quotes, ...batch.deltas].reduce((min, event) => Math.min(min, event.timeMs), Number.POSITIVE_INFINITY);
      if (Number.isFinite(first)) this.firstDataMs = first;
    }
    let throughMs = Number.NEGATIVE_INFINITY;
    for (const entry of this.running) {
      this.guarded(entry, () => entry.session.onMarketData(batch));
      this.publishNews(entry);
    }
    for (const list of [batch.trades, batch.quotes, batch.deltas]) for (const event of list) throughMs = Math.max(throughMs, event.timeMs);
    if (this.options.lockstep) this.acknowledgeAfterCommands(throughMs);
  }

  /** Acknowledges in order, each once every strategy's commands so far have been answered. */
  private acknowledgeAfterCommands(throughMs: number): void {
    this.acknowledging = this.acknowledging
      .then(() => Promise.all(this.running.map((entry) => entry.session.settle())))
      .then(() => {
        this.send(this.options.execution, MessageType.MarketDataProcessed, { actor: this.name, throughMs });
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'acknowledgement failed'));
  }

  private onReports(reports: ExecutionReports): void {
    for (const entry of this.running) {
      this.guarded(entry, () => entry.session.onReports(reports));
      this.publishNews(entry);
    }
  }

  /** New signals and fills since the last call, to the update subscribers. */
  private publishNews(entry: Running): void {
    const host = entry.session.host;
    for (; entry.publishedFills < host.fills.length; entry.publishedFills++) {
      const fill = host.fills[entry.publishedFills]!;
      this.publish(entry, 'fill', { client_order_id: fill.clientOrderId, symbol: fill.symbol, side: fill.side, price: fill.price, qty: fill.qty, fee: fill.fee, time_ms: fill.timeMs });
    }
    // The host trims its signal list; count from what it keeps.
    entry.publishedSignals = Math.min(entry.publishedSignals, host.signals.length);
    for (; entry.publishedSignals < host.signals.length; entry.publishedSignals++) {
      const signal = host.signals[entry.publishedSignals]!;
      this.publish(entry, 'signal', { symbol: signal.symbol, target: signal.target, time_ms: signal.timeMs });
    }
  }

  private publish(entry: Running, kind: 'signal' | 'fill' | 'state', data: Record<string, unknown>): void {
    for (const subscriber of this.options.updateSubscribers) this.send(subscriber, MessageType.StrategyUpdate, { name: entry.definition.name, kind, data });
  }

  private control(control: StrategyControl): StrategyStatus[] {
    if (control.op === 'list') return this.running.map((entry) => this.statusOf(entry));
    const entry = this.running.find((candidate) => candidate.definition.name === control.name);
    if (entry === undefined) throw new OctopusError('ERR_STRATEGY_UNKNOWN', `expected a running strategy's name (${this.running.map((candidate) => candidate.definition.name).join(', ')}), was ${JSON.stringify(control.name)}`);
    if (control.op === 'stop' && entry.state === 'running') {
      entry.state = 'stopped';
      entry.session.host.stop();
    } else if (control.op === 'start' && entry.state !== 'running') {
      entry.state = 'running';
      entry.error = null;
      entry.session.host.start();
    }
    this.publish(entry, 'state', { state: entry.state });
    return [this.statusOf(entry)];
  }

  private statusOf(entry: Running): StrategyStatus {
    const host = entry.session.host;
    const positions: Record<string, number> = {};
    for (const [symbol, qty] of host.openPositions()) if (qty !== 0) positions[symbol] = qty;
    const equity = host.equity();
    return {
      name: entry.definition.name,
      strategy: entry.definition.spec,
      account: host.context.account,
      state: entry.state,
      params: { ...entry.session.host.strategy.params },
      cash: host.cash,
      equity,
      pnl: equity - this.options.startingCash,
      positions,
      fills: host.fills.length,
      open_orders: host.openOrderCount(),
      signals: host.signals.slice(-kSignalsShown).map((signal) => ({ symbol: signal.symbol, target: signal.target, time_ms: signal.timeMs })),
      recent_fills: host.fills.slice(-kFillsShown).map((fill) => ({ client_order_id: fill.clientOrderId, symbol: fill.symbol, side: fill.side, price: fill.price, qty: fill.qty, fee: fill.fee, time_ms: fill.timeMs })),
      error: entry.error,
      first_data_ms: this.firstDataMs,
    };
  }

  override status(): Record<string, unknown> {
    return { strategies: this.running.length, batches: this.batches, first_data_ms: this.firstDataMs };
  }
}
