/**
 * Alert rules evaluated on the live stream (agent M3): users create them over REST and receive what
 * fires on the `alerts` WebSocket channel.
 *
 *   price_cross   fires when the last price crosses `level` (from below for "above", from above for "below")
 *   pct_move      fires when the price moved by at least `percent` within the last `window_ms`
 *   volume_spike  fires when a completed bar's volume is at least `multiple` x the average of the previous
 *                 `lookback` bars of the same interval
 *
 * Each rule fires at most once per `cooldown_ms` (default 60 s). Rules are bounded per account and in
 * total; the evaluation is O(rules on the symbol) per trade.
 */
import { OctopusError } from '../../engine/errors.js';
import type { AlertCondition, AlertFired, AlertRule, Bar, Trade } from '../../engine/messages.js';

export type { AlertCondition, AlertRule };

/** A fired alert is the catalogue's AlertFired message. */
export type FiredAlert = AlertFired;

export const kRulesPerAccountMax = 100;
export const kRulesMax = 10_000;
const kWindowMsMax = 86_400_000;
const kLookbackMax = 1_000;
/** Trades kept per symbol for percent-move windows. */
const kPriceHistoryMax = 10_000;

interface SymbolState {
  lastPrice: number | undefined;
  /** (time, price) pairs for pct_move windows, oldest first. */
  times: number[];
  prices: number[];
  /** interval -> recent bar volumes, oldest first. */
  volumes: Map<number, number[]>;
}

function positiveFinite(value: unknown, name: string, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) {
    throw new OctopusError('ERR_ALERT_BAD_RULE', `expected ${name} to be a positive finite number up to ${max}, was ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Validates an untrusted condition.
 * @throws OctopusError ERR_ALERT_BAD_RULE.
 */
export function parseCondition(input: unknown): AlertCondition {
  const value = (input ?? {}) as Record<string, unknown>;
  switch (value.kind) {
    case 'price_cross':
      if (value.direction !== 'above' && value.direction !== 'below') {
        throw new OctopusError('ERR_ALERT_BAD_RULE', `expected direction above or below, was ${JSON.stringify(value.direction)}`);
      }
      return { kind: 'price_cross', level: positiveFinite(value.level, 'level'), direction: value.direction };
    case 'pct_move':
      return { kind: 'pct_move', percent: positiveFinite(value.percent, 'percent', 1_000), window_ms: Math.round(positiveFinite(value.window_ms, 'window_ms', kWindowMsMax)) };
    case 'volume_spike': {
      const lookback = positiveFinite(value.lookback, 'lookback', kLookbackMax);
      if (!Number.isInteger(lookback)) throw new OctopusError('ERR_ALERT_BAD_RULE', `expected a whole lookback, was ${lookback}`);
      return { kind: 'volume_spike', multiple: positiveFinite(value.multiple, 'multiple', 1_000), lookback, interval_ms: Math.round(positiveFinite(value.interval_ms, 'interval_ms', kWindowMsMax)) };
    }
    default:
      throw new OctopusError('ERR_ALERT_BAD_RULE', `expected kind price_cross, pct_move or volume_spike, was ${JSON.stringify(value.kind)}`);
  }
}

export class AlertEngine {
  private readonly rules = new Map<string, AlertRule>();
  private readonly bySymbol = new Map<string, Set<string>>();
  private readonly lastFired = new Map<string, number>();
  private readonly symbols = new Map<string, SymbolState>();
  private nextId = 1;

  add(account: string, symbol: string, condition: AlertCondition, nowMs: number, cooldownMs = 60_000): AlertRule {
    const owned = [...this.rules.values()].filter((rule) => rule.account === account).length;
    if (owned >= kRulesPerAccountMax || this.rules.size >= kRulesMax) {
      throw new OctopusError('ERR_ALERT_TOO_MANY', `expected at most ${kRulesPerAccountMax} rules per account and ${kRulesMax} in all, was more`);
    }
    const rule: AlertRule = { id: `al_${this.nextId++}`, account, symbol, condition, cooldown_ms: Math.max(0, Math.round(cooldownMs)), created_ms: nowMs };
    this.rules.set(rule.id, rule);
    let ids = this.bySymbol.get(symbol);
    if (ids === undefined) this.bySymbol.set(symbol, (ids = new Set()));
    ids.add(rule.id);
    return rule;
  }

  /** @throws OctopusError ERR_ALERT_UNKNOWN for a rule that is not the account's. */
  remove(account: string, id: string): AlertRule {
    const rule = this.rules.get(id);
    if (rule === undefined || rule.account !== account) throw new OctopusError('ERR_ALERT_UNKNOWN', `expected an alert rule of ${account}, was unknown ${JSON.stringify(id)}`);
    this.rules.delete(id);
    this.bySymbol.get(rule.symbol)?.delete(id);
    this.lastFired.delete(id);
    return rule;
  }

  list(account: string): AlertRule[] {
    return [...this.rules.values()].filter((rule) => rule.account === account);
  }

  onTrade(trade: Trade, fired: FiredAlert[]): void {
    const state = this.state(trade.symbol);
    const previous = state.lastPrice;
    state.lastPrice = trade.price;
    state.times.push(trade.timeMs);
    state.prices.push(trade.price);
    if (state.times.length > kPriceHistoryMax) {
      state.times.splice(0, state.times.length - kPriceHistoryMax);
      state.prices.splice(0, state.prices.length - kPriceHistoryMax);
    }
    for (const id of this.bySymbol.get(trade.symbol) ?? []) {
      const rule = this.rules.get(id)!;
      const condition = rule.condition;
      if (condition.kind === 'price_cross' && previous !== undefined) {
        const crossed = condition.direction === 'above' ? previous < condition.level && trade.price >= condition.level : previous > condition.level && trade.price <= condition.level;
        if (crossed) this.fire(rule, trade.price, trade.timeMs, `${trade.symbol} crossed ${condition.direction} ${condition.level} at ${trade.price}`, fired);
      } else if (condition.kind === 'pct_move') {
        const reference = this.priceAt(state, trade.timeMs - condition.window_ms);
        if (reference !== undefined) {
          const movePercent = ((trade.price - reference) / reference) * 100;
          if (Math.abs(movePercent) >= condition.percent) {
            this.fire(rule, trade.price, trade.timeMs, `${trade.symbol} moved ${movePercent.toFixed(2)}% in ${condition.window_ms} ms`, fired);
          }
        }
      }
    }
  }

  onBar(bar: Bar, fired: FiredAlert[]): void {
    const state = this.state(bar.symbol);
    let volumes = state.volumes.get(bar.intervalMs);
    if (volumes === undefined) state.volumes.set(bar.intervalMs, (volumes = []));
    for (const id of this.bySymbol.get(bar.symbol) ?? []) {
      const rule = this.rules.get(id)!;
      const condition = rule.condition;
      if (condition.kind !== 'volume_spike' || condition.interval_ms !== bar.intervalMs || volumes.length < condition.lookback) continue;
      const recent = volumes.slice(-condition.lookback);
      const average = recent.reduce((sum, volume) => sum + volume, 0) / recent.length;
      if (average > 0 && bar.volume >= condition.multiple * average) {
        this.fire(rule, bar.close, bar.startMs + bar.intervalMs, `${bar.symbol} volume ${bar.volume} is ${(bar.volume / average).toFixed(1)}x the last ${condition.lookback} bars`, fired);
      }
    }
    volumes.push(bar.volume);
    if (volumes.length > kLookbackMax) volumes.shift();
  }

  private fire(rule: AlertRule, price: number, timeMs: number, message: string, fired: FiredAlert[]): void {
    const last = this.lastFired.get(rule.id);
    if (last !== undefined && timeMs - last < rule.cooldown_ms) return;
    this.lastFired.set(rule.id, timeMs);
    fired.push({ rule_id: rule.id, account: rule.account, symbol: rule.symbol, kind: rule.condition.kind, message, price, time_ms: timeMs });
  }

  /** The last price at or before `timeMs` among the kept history (undefined if the history is shorter). */
  private priceAt(state: SymbolState, timeMs: number): number | undefined {
    let low = 0;
    let high = state.times.length - 1;
    if (high < 0 || state.times[0]! > timeMs) return undefined;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (state.times[middle]! <= timeMs) low = middle;
      else high = middle - 1;
    }
    return state.prices[low];
  }

  private state(symbol: string): SymbolState {
    let state = this.symbols.get(symbol);
    if (state === undefined) {
      state = { lastPrice: undefined, times: [], prices: [], volumes: new Map() };
      this.symbols.set(symbol, state);
    }
    return state;
  }
}
