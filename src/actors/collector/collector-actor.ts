/**
 * M1 collector (first cut): runs the seeded random-walk feed at a configured rate and sends every trade
 * to the realtime actor. When the realtime inbox is full the collector holds the trade and retries on
 * its next tick (backpressure: it generates nothing new meanwhile), so no trade is silently dropped.
 */
import { Actor } from '../../engine/actor.js';
import { SendResult } from '../../engine/endpoint.js';
import { MessageType, type Trade } from '../../engine/messages.js';
import { RandomWalkFeed, defaultRandomWalkOptions } from './random-walk-feed.js';

export interface CollectorOptions {
  symbols: string[];
  seed: number;
  /** Trades per second across all symbols; 0 disables the feed (an idle engine). */
  tradesPerSecond: number;
  /** Where trades go. */
  target: string;
  /** Generation tick; trades for the tick are sent as one burst. */
  tickMs?: number;
}

const kMaxTradesPerTick = 100_000;

export default class CollectorActor extends Actor<CollectorOptions> {
  private feed!: RandomWalkFeed;
  private timer: NodeJS.Timeout | null = null;
  private held: Trade | null = null;
  private owed = 0;
  private tradesSent = 0;
  private backpressureTicks = 0;
  private lastTickMs = 0;

  override start(): void {
    this.feed = new RandomWalkFeed({ ...defaultRandomWalkOptions, symbols: this.options.symbols, seed: this.options.seed });
    if (this.options.tradesPerSecond <= 0) return;
    const tickMs = this.options.tickMs ?? 10;
    this.lastTickMs = this.clock.nowMs();
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  private tick(): void {
    const nowMs = this.clock.nowMs();
    // Trades owed since the last tick, from the elapsed time, so the rate holds even when timers are late.
    this.owed = Math.min(kMaxTradesPerTick, this.owed + ((nowMs - this.lastTickMs) * this.options.tradesPerSecond) / 1_000);
    this.lastTickMs = nowMs;
    while (this.owed >= 1) {
      const trade = this.held ?? this.feed.next(nowMs);
      const result = this.send(this.options.target, MessageType.Trade, trade);
      if (result === SendResult.Full) {
        this.held = trade;
        this.backpressureTicks++;
        return;
      }
      // A dead-letter result means the target is gone for good: the trade is counted there, not retried.
      this.held = null;
      this.owed -= 1;
      this.tradesSent++;
    }
  }

  override stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  override status(): Record<string, unknown> {
    return { trades_sent: this.tradesSent, backpressure_ticks: this.backpressureTicks, holding: this.held !== null };
  }
}
