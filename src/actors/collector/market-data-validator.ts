/**
 * The edge check for incoming market data (CSV replay now, venue adapters later): an event passes only
 * when its shape, symbol, prices, quantities, side and time are sound and it is in sequence for its
 * symbol. Everything else is rejected, counted by reason and kept in a small bounded quarantine for
 * inspection; bad data is never passed on. Inside the collector, types then carry the guarantee.
 *
 * Rules (docs/market-data-sim.md, "The validator"):
 * - malformed: not an object, a field of the wrong type, a sequence that is not a whole number >= 0;
 * - unknown_kind: kind not trade, quote or book_delta;
 * - unknown_symbol: a symbol not registered;
 * - bad_price: a price not finite or <= 0;
 * - bad_qty: a trade or quote quantity not finite or <= 0; a book delta's < 0 (0 removes a level);
 * - bad_side: a trade side not buy/sell, a delta side not buy/sell (the side of the level's orders);
 * - bad_time: timeMs not finite or < 0;
 * - crossed_quote: bid >= ask;
 * - out_of_sequence: timeMs before the symbol's last accepted one, or a sequence number not above its last.
 */
import { OctopusError } from '../../engine/errors.js';
import type { MarketEvent } from './market-events.js';

export const kRejectReasons = [
  'malformed',
  'unknown_kind',
  'unknown_symbol',
  'bad_price',
  'bad_qty',
  'bad_side',
  'bad_time',
  'crossed_quote',
  'out_of_sequence',
] as const;
export type RejectReason = (typeof kRejectReasons)[number];

/** An incoming event: a market event, optionally with a per-symbol sequence number from the source. */
export type IncomingMarketEvent = MarketEvent & { sequence?: number };

export interface ValidatorOptions {
  symbols: Iterable<string>;
  /** Registered symbols at most. Default 65536. */
  maxSymbols?: number;
  /** Rejected events kept for inspection (the newest); a power of two. Default 256. */
  quarantineCapacity?: number;
}

export interface ValidatorStats {
  accepted: number;
  rejected: number;
  byReason: Record<RejectReason, number>;
}

export interface QuarantinedEvent {
  reason: RejectReason;
  /** A shallow copy of what arrived (or the value itself when it was not an object). */
  input: unknown;
}

interface SymbolState {
  lastTimeMs: number;
  lastSequence: number;
}

function isPositiveFinite(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

export class MarketDataValidator {
  private readonly states = new Map<string, SymbolState>();
  private readonly maxSymbols: number;
  /** A ring of the newest rejects: slot = count & (capacity - 1). */
  private readonly quarantine: QuarantinedEvent[] = [];
  private readonly quarantineCapacity: number;
  private quarantineNext = 0;
  private acceptedCount = 0;
  private readonly counts = new Map<RejectReason, number>(kRejectReasons.map((reason) => [reason, 0]));

  /** @throws OctopusError ERR_CONFIG_INVALID on a bad bound or too many symbols. */
  constructor(options: ValidatorOptions) {
    this.maxSymbols = options.maxSymbols ?? 65_536;
    if (!Number.isSafeInteger(this.maxSymbols) || this.maxSymbols < 1) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected maxSymbols a whole number >= 1, was ${String(this.maxSymbols)}`);
    }
    const capacity = options.quarantineCapacity ?? 256;
    if (!Number.isSafeInteger(capacity) || capacity < 1 || capacity > 65_536 || (capacity & (capacity - 1)) !== 0) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected quarantineCapacity a power of two from 1 to 65536, was ${String(capacity)}`);
    }
    this.quarantineCapacity = capacity;
    for (const symbol of options.symbols) this.addSymbol(symbol);
  }

  /** @throws OctopusError ERR_CONFIG_INVALID on an empty or over-long symbol, or beyond maxSymbols. */
  addSymbol(symbol: string): void {
    if (typeof symbol !== 'string' || symbol.length === 0 || symbol.length > 32) {
      throw new OctopusError('ERR_CONFIG_INVALID', `expected a symbol of 1 to 32 characters, was ${JSON.stringify(symbol)}`);
    }
    if (this.states.has(symbol)) return;
    if (this.states.size >= this.maxSymbols) throw new OctopusError('ERR_CONFIG_INVALID', `expected at most ${this.maxSymbols} symbols, was one more`);
    this.states.set(symbol, { lastTimeMs: Number.NEGATIVE_INFINITY, lastSequence: -1 });
  }

  hasSymbol(symbol: string): boolean {
    return this.states.has(symbol);
  }

  /**
   * Checks one event. Returns null when it is valid (and records its time and sequence as the symbol's
   * last), or the reason it was rejected (counted and quarantined). Never throws on bad input.
   */
  check(input: unknown): RejectReason | null {
    const reason = this.reasonOf(input);
    if (reason === null) {
      this.acceptedCount += 1;
      return null;
    }
    this.counts.set(reason, this.counts.get(reason)! + 1);
    const copy = typeof input === 'object' && input !== null ? { ...input } : input;
    this.quarantine[this.quarantineNext & (this.quarantineCapacity - 1)] = { reason, input: copy };
    this.quarantineNext += 1;
    return reason;
  }

  /** True when `input` is a valid market event (a type guard over check()). */
  accept(input: unknown): input is IncomingMarketEvent {
    return this.check(input) === null;
  }

  stats(): ValidatorStats {
    const byReason = Object.fromEntries(this.counts) as Record<RejectReason, number>;
    let rejected = 0;
    for (const count of this.counts.values()) rejected += count;
    return { accepted: this.acceptedCount, rejected, byReason };
  }

  /** The newest rejected events, oldest first (at most quarantineCapacity). */
  quarantined(): QuarantinedEvent[] {
    const capacity = this.quarantineCapacity;
    const count = Math.min(this.quarantineNext, capacity);
    const result: QuarantinedEvent[] = [];
    for (let index = this.quarantineNext - count; index < this.quarantineNext; index++) result.push(this.quarantine[index & (capacity - 1)]!);
    return result;
  }

  private reasonOf(input: unknown): RejectReason | null {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'malformed';
    const event = input as Record<string, unknown>;
    const kind = event.kind;
    if (kind !== 'trade' && kind !== 'quote' && kind !== 'book_delta') return 'unknown_kind';
    if (typeof event.symbol !== 'string') return 'malformed';
    const state = this.states.get(event.symbol);
    if (state === undefined) return 'unknown_symbol';
    const sequence = event.sequence;
    if (sequence !== undefined && (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0)) return 'malformed';
    const fieldReason = kind === 'trade' ? tradeReason(event) : kind === 'quote' ? quoteReason(event) : deltaReason(event);
    if (fieldReason !== null) return fieldReason;
    const timeMs = event.timeMs;
    if (typeof timeMs !== 'number' || !Number.isFinite(timeMs) || timeMs < 0) return 'bad_time';
    if (timeMs < state.lastTimeMs) return 'out_of_sequence';
    if (sequence !== undefined && sequence <= state.lastSequence) return 'out_of_sequence';
    state.lastTimeMs = timeMs;
    if (sequence !== undefined) state.lastSequence = sequence;
    return null;
  }
}

function tradeReason(event: Record<string, unknown>): RejectReason | null {
  if (!isPositiveFinite(event.price)) return 'bad_price';
  if (!isPositiveFinite(event.qty)) return 'bad_qty';
  if (event.side !== 'buy' && event.side !== 'sell') return 'bad_side';
  if (event.tradeId !== undefined && (typeof event.tradeId !== 'number' || !Number.isSafeInteger(event.tradeId))) return 'malformed';
  return null;
}

function quoteReason(event: Record<string, unknown>): RejectReason | null {
  if (!isPositiveFinite(event.bidPrice) || !isPositiveFinite(event.askPrice)) return 'bad_price';
  if (!isPositiveFinite(event.bidQty) || !isPositiveFinite(event.askQty)) return 'bad_qty';
  if ((event.bidPrice as number) >= (event.askPrice as number)) return 'crossed_quote';
  return null;
}

function deltaReason(event: Record<string, unknown>): RejectReason | null {
  if (event.side !== 'buy' && event.side !== 'sell') return 'bad_side';
  if (!isPositiveFinite(event.price)) return 'bad_price';
  const qty = event.qty;
  if (typeof qty !== 'number' || !Number.isFinite(qty) || qty < 0) return 'bad_qty';
  return null;
}
