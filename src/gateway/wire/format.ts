/**
 * The one conversion from the engine's internal messages (decimals as doubles, epoch-ms numbers,
 * camelCase where a module chose it) to the wire format (schemas.ts, docs/api.md). REST routes and
 * JSON WebSocket frames both go through here; nothing else in the gateway formats a price.
 *
 * Exactness: inside, a price is the double nearest its decimal (the matching engine's grid converts
 * through exact integers, see instrument-grid.ts), so `toFixed(decimals)` with the instrument's
 * decimals prints exactly the decimal it stands for: the error of the double is far below half a unit
 * of the last place. Money (cash, equity, P&L, fees) is a sum of whole cash units (tick x lot) that may
 * carry float noise from the additions (999999.9800000001); printed with the money decimals (the
 * largest price + quantity decimals of any tradable instrument) the noise is rounded away. Averages
 * (fill and entry prices, VWAP) are not on the tick grid: they get `kAverageExtraDecimals` more places.
 */
import type { Static } from '@sinclair/typebox';
import { assert } from '../../engine/assert.js';
import type {
  AccountView,
  AlertFired,
  AlertRule,
  Bar,
  KillSwitchState,
  L2Book,
  L3Book,
  OrderRecord,
  PositionView,
  Quote,
  StateHash,
  Trade,
} from '../../engine/messages.js';
import type { BarRow, TradeRow } from '../../actors/warehouse/tick-store/tick-store.js';
import type { SecurityEvent } from '../auth/security-events.js';
import { DecimalGrid } from '../../actors/execution/book/instrument-grid.js';
import type {
  AccountSchema,
  AlertRuleSchema,
  AlertSchema,
  BarSchema,
  BookLevelsSchema,
  InstrumentSchema,
  L2BookSchema,
  L3BookSchema,
  OrderSchema,
  PositionSchema,
  QuoteSchema,
  SecurityEventSchema,
  StateHashSchema,
  TradeSchema,
} from './schemas.js';

export type WireOrder = Static<typeof OrderSchema>;
export type WirePosition = Static<typeof PositionSchema>;
export type WireAccount = Static<typeof AccountSchema>;
export type WireTrade = Static<typeof TradeSchema>;
export type WireQuote = Static<typeof QuoteSchema>;
export type WireBar = Static<typeof BarSchema>;
export type WireLevels = Static<typeof BookLevelsSchema>;
export type WireInstrument = Static<typeof InstrumentSchema>;

/** Places beyond the tick's for prices that are averages (filled_avg_price, avg_entry_price, vwap). */
export const kAverageExtraDecimals = 4;
/** Places of ratios (unrealized_plpc, RSI). */
const kRatioDecimals = 6;
/** External venues' symbols have no grid here; their feeds carry at most 8 decimals (Binance, Coinbase). */
export const kVenueDecimals = 8;
const kMoneyDecimalsMin = 2;

export interface InstrumentSpec {
  symbol: string;
  /** null for an external venue's symbol. */
  tickSize: number | null;
  lotSize: number | null;
  venue?: string | undefined;
}

interface Precision {
  price: number;
  qty: number;
  tickSize: number | null;
  lotSize: number | null;
  venue: string | null;
}

/** A decimal string with exactly `places` decimals (no exponent, no "-0"). */
export function decimalString(value: number, places: number): string {
  assert(Number.isFinite(value), () => `expected a finite decimal to format, was ${value}`);
  assert(Math.abs(value) < 1e21, () => `expected a decimal below 1e21 to format, was ${value}`);
  const text = value.toFixed(places);
  // (-0.001).toFixed(2) is "-0.00": a zero has no sign.
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** Whole milliseconds: clocks inside give fractions (performance.now()-based), the wire does not. */
export function wholeMs(timeMs: number): number {
  return Math.floor(timeMs);
}

let lastRfc3339Ms = Number.NaN;
let lastRfc3339 = '';

/** RFC 3339 UTC with milliseconds. An order's times are mostly one millisecond: the last one is kept. */
export function rfc3339(timeMs: number): string {
  const whole = wholeMs(timeMs);
  if (whole !== lastRfc3339Ms) {
    lastRfc3339 = new Date(whole).toISOString();
    lastRfc3339Ms = whole;
  }
  return lastRfc3339;
}

function nullable<T>(value: T | null | undefined, format: (value: T) => string): string | null {
  return value === null || value === undefined ? null : format(value);
}

/** Formats every engine value for one set of instruments (the engine's, fixed at start). */
export class WireFormat {
  private readonly precision = new Map<string, Precision>();
  readonly moneyDecimals: number;
  readonly currency = 'USD';
  private readonly venuePrecision: Precision = { price: kVenueDecimals, qty: kVenueDecimals, tickSize: null, lotSize: null, venue: null };

  constructor(instruments: readonly InstrumentSpec[]) {
    let moneyDecimals = kMoneyDecimalsMin;
    for (const instrument of instruments) {
      if (instrument.tickSize === null || instrument.lotSize === null) {
        this.precision.set(instrument.symbol, { ...this.venuePrecision, venue: instrument.venue ?? null });
        continue;
      }
      const price = new DecimalGrid(instrument.tickSize, 'price').decimalPlaces;
      const qty = new DecimalGrid(instrument.lotSize, 'quantity').decimalPlaces;
      this.precision.set(instrument.symbol, { price, qty, tickSize: instrument.tickSize, lotSize: instrument.lotSize, venue: null });
      moneyDecimals = Math.max(moneyDecimals, price + qty);
    }
    this.moneyDecimals = moneyDecimals;
  }

  private of(symbol: string): Precision {
    return this.precision.get(symbol) ?? this.venuePrecision;
  }

  private readonly scales = new Map<string, { tickSize: number; lotSize: number }>();

  /**
   * The steps of the symbol's binary (FlatBuffers) frames: its tick and lot size; for a venue symbol
   * without them, one unit of the last decimal its JSON frames show.
   */
  scale(symbol: string): { tickSize: number; lotSize: number } {
    let scale = this.scales.get(symbol);
    if (scale === undefined) {
      const precision = this.of(symbol);
      scale = { tickSize: precision.tickSize ?? 10 ** -precision.price, lotSize: precision.lotSize ?? 10 ** -precision.qty };
      this.scales.set(symbol, scale);
    }
    return scale;
  }

  price(symbol: string, value: number): string {
    return decimalString(value, this.of(symbol).price);
  }

  qty(symbol: string, value: number): string {
    return decimalString(value, this.of(symbol).qty);
  }

  averagePrice(symbol: string, value: number): string {
    return decimalString(value, this.of(symbol).price + kAverageExtraDecimals);
  }

  money(value: number): string {
    return decimalString(value, this.moneyDecimals);
  }

  instruments(): WireInstrument[] {
    return [...this.precision].map(([symbol, precision]) => ({
      symbol,
      tick_size: nullable(precision.tickSize, (tick) => decimalString(tick, precision.price)),
      lot_size: nullable(precision.lotSize, (lot) => decimalString(lot, precision.qty)),
      price_decimals: precision.price,
      qty_decimals: precision.qty,
      tradable: precision.venue === null,
      venue: precision.venue,
    }));
  }

  order(record: OrderRecord): WireOrder {
    const symbol = record.symbol;
    const at = (status: string): string | null => {
      const entry = record.history.find((candidate) => candidate.status === status);
      return entry === undefined ? null : rfc3339(entry.at);
    };
    return {
      id: record.id,
      client_order_id: record.client_order_id,
      symbol,
      asset_class: 'us_equity',
      side: record.side,
      type: record.type,
      order_type: record.type,
      order_class: 'simple',
      time_in_force: record.time_in_force,
      post_only: record.post_only,
      extended_hours: false,
      qty: this.qty(symbol, record.qty),
      filled_qty: this.qty(symbol, record.filled_qty),
      filled_avg_price: nullable(record.filled_avg_price, (price) => this.averagePrice(symbol, price)),
      limit_price: nullable(record.limit_price, (price) => this.price(symbol, price)),
      stop_price: nullable(record.stop_price, (price) => this.price(symbol, price)),
      status: record.status,
      reject_reason: record.reject_reason,
      created_at: rfc3339(record.created_at),
      updated_at: rfc3339(record.updated_at),
      submitted_at: rfc3339(record.created_at),
      filled_at: at('filled'),
      canceled_at: at('canceled'),
      expired_at: at('expired'),
      failed_at: at('rejected'),
      created_at_ms: wholeMs(record.created_at),
      updated_at_ms: wholeMs(record.updated_at),
      history: record.history.map((entry) => ({ status: entry.status, at: rfc3339(entry.at), at_ms: wholeMs(entry.at), reason: entry.reason, filled_qty: this.qty(symbol, entry.filled_qty) })),
    };
  }

  position(view: PositionView): WirePosition {
    const symbol = view.symbol;
    const costBasis = view.qty * view.averagePrice;
    const unrealizedPlpc = view.unrealizedPnl === null || costBasis === 0 ? null : decimalString(view.unrealizedPnl / Math.abs(costBasis), kRatioDecimals);
    return {
      asset_id: symbol,
      symbol,
      exchange: 'OCTOPUS',
      asset_class: 'us_equity',
      side: view.qty > 0 ? 'long' : view.qty < 0 ? 'short' : 'flat',
      qty: this.qty(symbol, view.qty),
      qty_available: this.qty(symbol, view.qty),
      avg_entry_price: this.averagePrice(symbol, view.averagePrice),
      current_price: nullable(view.markPrice, (price) => this.price(symbol, price)),
      market_value: nullable(view.marketValue, (value) => this.money(value)),
      cost_basis: this.money(costBasis),
      unrealized_pl: nullable(view.unrealizedPnl, (value) => this.money(value)),
      unrealized_plpc: unrealizedPlpc,
      realized_pl: this.money(view.realizedPnl),
      fees_paid: this.money(view.feesPaid),
    };
  }

  account(view: AccountView, tradingBlocked: boolean): WireAccount {
    let longValue = 0;
    let shortValue = 0;
    for (const position of view.positions) {
      const value = position.marketValue ?? position.qty * position.averagePrice;
      if (value > 0) longValue += value;
      else shortValue += value;
    }
    return {
      id: view.account,
      account_number: view.account,
      status: 'ACTIVE',
      currency: this.currency,
      cash: this.money(view.cash),
      equity: this.money(view.equity),
      portfolio_value: this.money(view.equity),
      buying_power: this.money(Math.max(0, view.cash)),
      long_market_value: this.money(longValue),
      short_market_value: this.money(shortValue),
      realized_pl: this.money(view.realizedPnl),
      unrealized_pl: this.money(view.unrealizedPnl),
      fees_paid: this.money(view.feesPaid),
      trading_blocked: tradingBlocked,
      pattern_day_trader: false,
    };
  }

  trade(trade: Trade | TradeRow): WireTrade {
    return {
      symbol: trade.symbol,
      trade_id: String(trade.tradeId),
      price: this.price(trade.symbol, trade.price),
      qty: this.qty(trade.symbol, trade.qty),
      side: trade.side,
      time: rfc3339(trade.timeMs),
      time_ms: wholeMs(trade.timeMs),
    };
  }

  quote(quote: Quote): WireQuote {
    const symbol = quote.symbol;
    return {
      symbol,
      bid_price: this.price(symbol, quote.bidPrice),
      bid_qty: this.qty(symbol, quote.bidQty),
      ask_price: this.price(symbol, quote.askPrice),
      ask_qty: this.qty(symbol, quote.askQty),
      time: rfc3339(quote.timeMs),
      time_ms: wholeMs(quote.timeMs),
    };
  }

  bar(bar: Bar | BarRow, interval: string): WireBar {
    const symbol = bar.symbol;
    const indicators = (bar as Bar).indicators;
    const finite = (value: number, format: (value: number) => string): string | null => (Number.isFinite(value) ? format(value) : null);
    return {
      symbol,
      interval,
      time: rfc3339(bar.startMs),
      time_ms: wholeMs(bar.startMs),
      open: this.price(symbol, bar.open),
      high: this.price(symbol, bar.high),
      low: this.price(symbol, bar.low),
      close: this.price(symbol, bar.close),
      volume: this.qty(symbol, bar.volume),
      vwap: this.averagePrice(symbol, bar.vwap),
      trade_count: bar.trades,
      ...(indicators === undefined
        ? {}
        : { indicators: { ema_20: finite(indicators.ema_20, (value) => this.averagePrice(symbol, value)), rsi_14: finite(indicators.rsi_14, (value) => decimalString(value, kRatioDecimals)) } }),
    };
  }

  /** Levels [price, qty] (extra fields such as an order count are dropped: both APIs send two). */
  levels(symbol: string, levels: readonly (readonly number[])[]): [string, string][] {
    return levels.map((level) => [this.price(symbol, level[0]!), this.qty(symbol, level[1]!)]);
  }

  l2(book: L2Book): Static<typeof L2BookSchema> {
    return { symbol: book.symbol, level: 2, bids: this.levels(book.symbol, book.bids), asks: this.levels(book.symbol, book.asks) };
  }

  l3(book: L3Book): Static<typeof L3BookSchema> {
    const side = (levels: L3Book['bids']) =>
      levels.map((level) => ({
        price: this.price(book.symbol, level.price),
        orders: level.orders.map((order) => ({ order_id: String(order.order_id), qty: this.qty(book.symbol, order.qty) })),
      }));
    return { symbol: book.symbol, level: 3, bids: side(book.bids), asks: side(book.asks) };
  }

  alertRule(rule: AlertRule): Static<typeof AlertRuleSchema> {
    const condition = rule.condition;
    const wireCondition =
      condition.kind === 'price_cross'
        ? { kind: condition.kind, level: this.price(rule.symbol, condition.level), direction: condition.direction }
        : condition.kind === 'pct_move'
          ? { kind: condition.kind, percent: String(condition.percent), window_ms: condition.window_ms }
          : { kind: condition.kind, multiple: String(condition.multiple), lookback: condition.lookback, interval_ms: condition.interval_ms };
    return { id: rule.id, symbol: rule.symbol, condition: wireCondition, cooldown_ms: rule.cooldown_ms, created_at: rfc3339(rule.created_ms), created_at_ms: wholeMs(rule.created_ms) };
  }

  alert(alert: AlertFired): Static<typeof AlertSchema> {
    return { rule_id: alert.rule_id, symbol: alert.symbol, kind: alert.kind, message: alert.message, price: this.price(alert.symbol, alert.price), time: rfc3339(alert.time_ms), time_ms: wholeMs(alert.time_ms) };
  }

  killSwitch(state: KillSwitchState): KillSwitchState {
    return { global: state.global, accounts: [...state.accounts] };
  }

  stateHash(hash: StateHash): Static<typeof StateHashSchema> {
    return { state_hash: hash.stateHash, journal_seq: hash.journalSeq, ...(hash.replayStateHash === undefined ? {} : { replay_state_hash: hash.replayStateHash }) };
  }

  securityEvent(event: SecurityEvent): Static<typeof SecurityEventSchema> {
    return {
      seq: event.seq,
      type: event.type,
      username: event.username,
      address: event.address,
      failures: event.failures,
      subject: event.subject ?? null,
      blocked_for_ms: event.blockedForMs ?? null,
      time: rfc3339(event.timeMs),
      time_ms: wholeMs(event.timeMs),
    };
  }
}
