/**
 * M3 realtime (first cut): aggregates the collector's trades into 1-second bars and forwards each
 * completed bar to the subscribers named in its options (the gateway in the main thread).
 */
import { Actor } from '../../engine/actor.js';
import { SendResult } from '../../engine/endpoint.js';
import { MessageType, type Bar } from '../../engine/messages.js';
import { BarAggregator } from './bar-aggregator.js';

export interface RealtimeOptions {
  barIntervalMs: number;
  subscribers: string[];
}

export default class RealtimeActor extends Actor<RealtimeOptions> {
  private aggregator!: BarAggregator;
  private timer: NodeJS.Timeout | null = null;
  private tradesSeen = 0;
  private barsEmitted = 0;
  private barsUndelivered = 0;

  override start(): void {
    this.aggregator = new BarAggregator(this.options.barIntervalMs, (bar) => this.publish(bar));
    this.on(MessageType.Trade, (trade) => {
      this.tradesSeen++;
      this.aggregator.add(trade);
    });
    this.on(MessageType.LatestBarsRequest, (request) => ({ bars: this.aggregator.latestBars(request.symbols) }));
    this.timer = setInterval(() => this.aggregator.closeDue(this.clock.nowMs()), Math.max(10, this.options.barIntervalMs / 4));
  }

  private publish(bar: Bar): void {
    this.barsEmitted++;
    for (const subscriber of this.options.subscribers) {
      if (this.send(subscriber, MessageType.Bar, bar) !== SendResult.Ok) this.barsUndelivered++;
    }
  }

  override stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  override status(): Record<string, unknown> {
    return { trades_seen: this.tradesSeen, bars_emitted: this.barsEmitted, bars_undelivered: this.barsUndelivered };
  }
}
