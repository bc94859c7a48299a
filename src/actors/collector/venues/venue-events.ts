/**
 * The normalised market-data events that venue adapters emit, and the counters they expose. Both
 * adapters (Binance spot, Coinbase Advanced Trade) translate their venue's wire format into these shapes
 * at the edge, so nothing downstream knows which venue a number came from except through `venue`.
 */
import type { Bar, Trade } from '../../../engine/messages.js';

export type VenueName = 'binance' | 'coinbase';

/** A price level: `[price, qty]`. In a delta, qty 0 means the level was removed. */
export type PriceLevel = [price: number, qty: number];

/** A public trade. `side` is the aggressor's (taker's) side. */
export interface TradeEvent extends Trade {
  type: 'trade';
  venue: VenueName;
}

/**
 * An order-book change. A snapshot (`snapshot: true`) replaces the whole book: bids best (highest)
 * first, asks best (lowest) first. A delta lists only changed levels, qty 0 meaning removed.
 * `sequence` is the venue's update id (Binance `u`, or the snapshot's `lastUpdateId`) or the
 * connection's message sequence number (Coinbase `sequence_num`).
 */
export interface BookEvent {
  type: 'book';
  venue: VenueName;
  symbol: string;
  snapshot: boolean;
  bids: PriceLevel[];
  asks: PriceLevel[];
  sequence: number;
  /** Venue event time, milliseconds since the Unix epoch; 0 when the venue gives none (REST snapshot). */
  timeMs: number;
}

/** A candle. `closed` is false while the bar is still forming (Binance sends it repeatedly). */
export interface KlineEvent extends Omit<Bar, 'vwap' | 'indicators'> {
  type: 'kline';
  venue: VenueName;
  closed: boolean;
}

export type VenueEvent = TradeEvent | BookEvent | KlineEvent;

/** Counters every adapter exposes through `stats()`. All are totals since construction. */
export interface VenueStats {
  /** WebSocket messages received (valid or not). */
  messages: number;
  trades: number;
  bookUpdates: number;
  klines: number;
  heartbeats: number;
  /** Sequence gaps detected (Binance update-id gap, Coinbase sequence_num gap). */
  gaps: number;
  /** Book resynchronisations started (after a gap, an invalid book message, or a full book). */
  resyncs: number;
  /** Order-book snapshots applied (REST for Binance, level2 snapshot for Coinbase). */
  snapshots: number;
  /** Connections re-opened after the first one. */
  reconnects: number;
  /** Messages or fields that failed validation: counted and ignored. */
  invalid: number;
  /** Valid messages deliberately dropped (stale book updates, updates while unsynced, buffer overflow). */
  dropped: number;
}

export function emptyVenueStats(): VenueStats {
  return {
    messages: 0,
    trades: 0,
    bookUpdates: 0,
    klines: 0,
    heartbeats: 0,
    gaps: 0,
    resyncs: 0,
    snapshots: 0,
    reconnects: 0,
    invalid: 0,
    dropped: 0,
  };
}

/** Longest decimal string accepted; real prices and sizes are well under 40 characters. */
const kDecimalLengthMax = 40;
const kDecimalPattern = /^\d+(\.\d+)?$/;

/**
 * Parses a venue decimal string ("0.01000000") into a number. Returns undefined unless the value is a
 * string of plain decimal digits (no sign, exponent, spaces, hex or empty parts) that gives a finite
 * number: venues send strings precisely so that clients do not guess, and anything else is malformed.
 */
export function parseDecimal(value: unknown): number | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > kDecimalLengthMax) return undefined;
  if (!kDecimalPattern.test(value)) return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** A price: a decimal string greater than zero. */
export function parsePrice(value: unknown): number | undefined {
  const parsed = parseDecimal(value);
  return parsed !== undefined && parsed > 0 ? parsed : undefined;
}

/** A non-negative safe integer given as a JSON number (ids, counts, millisecond timestamps). */
export function parseCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** Parses `[["price", "qty"], ...]` into levels; undefined if any entry is malformed or the list is too long. */
export function parseLevelPairs(value: unknown, maxLevels: number): PriceLevel[] | undefined {
  if (!Array.isArray(value) || value.length > maxLevels) return undefined;
  const levels: PriceLevel[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length < 2) return undefined;
    const price = parsePrice(entry[0]);
    const qty = parseDecimal(entry[1]);
    if (price === undefined || qty === undefined) return undefined;
    levels.push([price, qty]);
  }
  return levels;
}
