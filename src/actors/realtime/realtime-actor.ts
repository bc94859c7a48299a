/**
 * M3 realtime: aggregates trades into bars for several intervals (OHLCV + VWAP + trade count), evaluates
 * users' alert rules on trades and bars, and forwards completed bars, fired alerts and (optionally) the
 * trades themselves to its subscribers (the gateway in the main thread, the warehouse).
 *
 * Backpressure: while a subscriber is behind, the handler of the batch that found it so returns a promise
 * (the endpoint's congestion), which holds this actor's inbox; its producers then fill that inbox and slow
 * down in turn. Nothing is dropped here.
 */
import { Actor } from '../../engine/actor.js';
import { SendResult } from '../../engine/endpoint.js';
import { OctopusError } from '../../engine/errors.js';
import { MessageType, type AddAlert, type AlertRule, type Bar, type Trade } from '../../engine/messages.js';
import { AlertEngine, parseCondition, type FiredAlert } from './alerts.js';
import { BarAggregator } from './bars.js';
import { StreamingEma, StreamingRsi } from '../../kernels/indicators/indicators.js';

/** Streaming indicators kept per symbol and interval: O(1) per bar (src/kernels/indicators/streaming.ts). */
interface BarIndicators {
  ema: StreamingEma;
  rsi: StreamingRsi;
}

export interface RealtimeOptions {
  /** Bar intervals in ms (each a whole number of ms), e.g. [1_000, 60_000]. */
  barIntervalsMs: number[];
  /** Who receives completed bars. */
  barSubscribers: string[];
  /** Who receives every trade (for live trade channels and storage). */
  tradeSubscribers: string[];
  /** Who receives fired alerts. */
  alertSubscribers: string[];
}

export default class RealtimeActor extends Actor<RealtimeOptions> {
  private aggregators: BarAggregator[] = [];
  private readonly alerts = new AlertEngine();
  private readonly fired: FiredAlert[] = [];
  private readonly indicators = new Map<string, BarIndicators>();
  private timer: NodeJS.Timeout | null = null;
  private tradesSeen = 0;
  private barsEmitted = 0;
  private alertsFired = 0;
  private undelivered = 0;
  private backpressureHolds = 0;

  override start(): void {
    this.aggregators = this.options.barIntervalsMs.map((intervalMs) => new BarAggregator(intervalMs, (bar) => this.publishBar(bar)));
    this.on(MessageType.Trade, (trade) => {
      this.onTrade(trade);
      return this.holdIfBehind();
    });
    this.on(MessageType.MarketDataBatch, (batch) => {
      for (const trade of batch.trades) this.onTrade(trade);
      return this.holdIfBehind();
    });
    this.on(MessageType.AddAlert, (command) => this.addAlert(command));
    this.on(MessageType.RemoveAlert, (command) => this.alerts.remove(command.account, command.id));
    this.on(MessageType.ListAlerts, (command) => this.alerts.list(command.account));
    const smallestMs = Math.min(...this.options.barIntervalsMs);
    this.timer = setInterval(() => {
      const nowMs = this.clock.nowMs();
      for (const aggregator of this.aggregators) aggregator.closeDue(nowMs);
    }, Math.max(10, Math.min(250, smallestMs / 4)));
  }

  /** Undefined when every subscriber keeps up; else a promise that holds the inbox until they catch up. */
  private holdIfBehind(): Promise<void> | undefined {
    const congestion = this.context.endpoint.congestion();
    if (congestion === null) return undefined;
    this.backpressureHolds++;
    return congestion;
  }

  private onTrade(trade: Trade): void {
    this.tradesSeen++;
    for (const aggregator of this.aggregators) aggregator.add(trade);
    for (const subscriber of this.options.tradeSubscribers) this.count(this.send(subscriber, MessageType.Trade, trade));
    this.alerts.onTrade(trade, this.fired);
    this.flushAlerts();
  }

  private publishBar(bar: Bar): void {
    this.barsEmitted++;
    const key = `${bar.symbol}|${bar.intervalMs}`;
    let state = this.indicators.get(key);
    if (state === undefined) this.indicators.set(key, (state = { ema: new StreamingEma(20), rsi: new StreamingRsi(14) }));
    bar.indicators = { ema_20: state.ema.update(bar.close), rsi_14: state.rsi.update(bar.close) };
    for (const subscriber of this.options.barSubscribers) this.count(this.send(subscriber, MessageType.Bar, bar));
    this.alerts.onBar(bar, this.fired);
    this.flushAlerts();
  }

  private flushAlerts(): void {
    if (this.fired.length === 0) return;
    for (const alert of this.fired) {
      this.alertsFired++;
      for (const subscriber of this.options.alertSubscribers) this.count(this.send(subscriber, MessageType.AlertFired, alert));
    }
    this.fired.length = 0;
  }

  /** Only a dead subscriber (counted there as a dead letter) or an outbox at its bound gets here. */
  private count(result: SendResult): void {
    if (result !== SendResult.Ok) this.undelivered++;
  }

  private addAlert(command: AddAlert): AlertRule {
    if (typeof command.symbol !== 'string' || command.symbol === '') throw new OctopusError('ERR_ALERT_BAD_RULE', 'expected a symbol, was none');
    return this.alerts.add(command.account, command.symbol, parseCondition(command.condition), this.clock.nowMs(), command.cooldownMs ?? 60_000);
  }

  override stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  override status(): Record<string, unknown> {
    return {
      trades_seen: this.tradesSeen,
      bars_emitted: this.barsEmitted,
      alerts_fired: this.alertsFired,
      undelivered: this.undelivered,
      backpressure_holds: this.backpressureHolds,
    };
  }
}
