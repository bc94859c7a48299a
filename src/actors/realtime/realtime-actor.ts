/**
 * M3 realtime: aggregates trades into bars for several intervals (OHLCV + VWAP + trade count), evaluates
 * users' alert rules on trades and bars, and forwards completed bars, fired alerts and (optionally) the
 * trades themselves to its subscribers (the gateway in the main thread, the warehouse).
 */
import { Actor } from '../../engine/actor.js';
import { SendResult } from '../../engine/endpoint.js';
import { OctopusError } from '../../engine/errors.js';
import { MessageType, type AlertCommand, type Bar, type ExecutionResult, type Trade } from '../../engine/messages.js';
import { AlertEngine, parseCondition, type FiredAlert } from './alerts.js';
import { BarAggregator } from './bars.js';
import { StreamingEma, StreamingRsi } from '../../kernels/indicators/indicators.js';

/** Streaming indicators kept per symbol and interval: O(1) per bar (src/kernels/reference/indicators-streaming.ts). */
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

  override start(): void {
    this.aggregators = this.options.barIntervalsMs.map((intervalMs) => new BarAggregator(intervalMs, (bar) => this.publishBar(bar)));
    this.on(MessageType.Trade, (trade) => this.onTrade(trade));
    this.on(MessageType.MarketDataBatch, (batch) => {
      for (const trade of batch.trades) this.onTrade(trade);
    });
    this.on(MessageType.LatestBarsRequest, (request) => ({ bars: this.aggregators.flatMap((aggregator) => aggregator.latestBars(request.symbols)) }));
    this.on(MessageType.AlertCommand, async (command) => this.onAlertCommand(command), { concurrent: true });
    const smallestMs = Math.min(...this.options.barIntervalsMs);
    this.timer = setInterval(() => {
      const nowMs = this.clock.nowMs();
      for (const aggregator of this.aggregators) aggregator.closeDue(nowMs);
    }, Math.max(10, Math.min(250, smallestMs / 4)));
  }

  private onTrade(trade: Trade): void {
    this.tradesSeen++;
    for (const aggregator of this.aggregators) aggregator.add(trade);
    for (const subscriber of this.options.tradeSubscribers) this.deliver(subscriber, MessageType.Trade, trade);
    this.alerts.onTrade(trade, this.fired);
    this.flushAlerts();
  }

  private publishBar(bar: Bar): void {
    this.barsEmitted++;
    const key = `${bar.symbol}|${bar.intervalMs}`;
    let state = this.indicators.get(key);
    if (state === undefined) this.indicators.set(key, (state = { ema: new StreamingEma(20), rsi: new StreamingRsi(14) }));
    bar.indicators = { ema_20: state.ema.update(bar.close), rsi_14: state.rsi.update(bar.close) };
    for (const subscriber of this.options.barSubscribers) this.deliver(subscriber, MessageType.Bar, bar);
    this.alerts.onBar(bar, this.fired);
    this.flushAlerts();
  }

  private flushAlerts(): void {
    if (this.fired.length === 0) return;
    for (const alert of this.fired) {
      this.alertsFired++;
      for (const subscriber of this.options.alertSubscribers) this.deliver(subscriber, MessageType.AlertFired, alert);
    }
    this.fired.length = 0;
  }

  private deliver<T extends typeof MessageType.Trade | typeof MessageType.Bar | typeof MessageType.AlertFired>(
    subscriber: string,
    type: T,
    body: T extends typeof MessageType.Trade ? Trade : T extends typeof MessageType.Bar ? Bar : FiredAlert,
  ): void {
    if (this.send(subscriber, type, body as never) !== SendResult.Ok) this.undelivered++;
  }

  private onAlertCommand(command: AlertCommand): ExecutionResult {
    switch (command.op) {
      case 'add': {
        if (typeof command.symbol !== 'string' || command.symbol === '') throw new OctopusError('ERR_ALERT_BAD_RULE', 'expected a symbol, was none');
        const rule = this.alerts.add(command.account, command.symbol, parseCondition(command.condition), this.clock.nowMs(), command.cooldownMs ?? 60_000);
        return { status: 201, result: rule };
      }
      case 'remove':
        return { status: 200, result: this.alerts.remove(command.account, command.id ?? '') };
      case 'list':
        return { status: 200, result: this.alerts.list(command.account) };
    }
  }

  override stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  override status(): Record<string, unknown> {
    return { trades_seen: this.tradesSeen, bars_emitted: this.barsEmitted, alerts_fired: this.alertsFired, undelivered: this.undelivered };
  }
}
