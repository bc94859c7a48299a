/**
 * The /ws channel names and what they carry. Public market channels are keyed by symbol; `orders` and
 * `positions` are private: each authenticated connection only ever sees its own account's frames.
 *
 *   trades:SYM  quotes:SYM  book:SYM  bars:<interval>:SYM  alerts  orders  positions  strategies  jobs
 */
export const channelKinds = ['trades', 'quotes', 'book', 'bars', 'alerts', 'orders', 'positions', 'strategies', 'jobs'] as const;
export type ChannelKind = (typeof channelKinds)[number];
export type PrivateChannel = 'orders' | 'positions' | 'jobs';

/** The frame types each channel kind may publish (the first one of book is its snapshot). */
export const frameTypesByKind: Record<ChannelKind, readonly string[]> = {
  trades: ['trade'],
  quotes: ['quote'],
  book: ['delta', 'update'],
  bars: ['bar'],
  alerts: ['alert'],
  orders: ['order'],
  positions: ['position'],
  strategies: ['update'],
  jobs: ['job'],
};

/** Kinds that have a FlatBuffers encoding; the others are always sent as JSON text. */
export const binaryKinds: ReadonlySet<ChannelKind> = new Set(['trades', 'quotes', 'book']);

/** A superset of the configured symbols (src/config.ts accepts [A-Z0-9._-]{1,16}). */
export const kSymbolPattern = /^[A-Z0-9._-]{1,32}$/;
export const defaultBarIntervals = ['1s', '1m', '5m', '15m', '1h', '1d'] as const;

export interface ParsedChannel {
  /** The channel as the client names it (`book:ACME`, `orders`). */
  name: string;
  kind: ChannelKind;
  /** Empty for alerts, orders and positions. */
  symbol: string;
  isPrivate: boolean;
}

export type ChannelParse = { ok: true; channel: ParsedChannel } | { ok: false; code: 'ERR_WS_UNKNOWN_CHANNEL' | 'ERR_WS_UNKNOWN_SYMBOL'; message: string };

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

/** Parses and validates one channel name (pure: `isKnownSymbol` and the intervals come from the caller). */
export function parseChannel(value: unknown, isKnownSymbol: (symbol: string) => boolean, barIntervals: readonly string[]): ChannelParse {
  const unknown = (): ChannelParse => ({
    ok: false,
    code: 'ERR_WS_UNKNOWN_CHANNEL',
    message: `expected a channel trades:SYM, quotes:SYM, book:SYM, bars:<${barIntervals.join('|')}>:SYM, alerts, orders, positions, strategies or jobs, was ${describe(value)}`,
  });
  if (typeof value !== 'string' || value.length > 64) return unknown();
  if (value === 'alerts') return { ok: true, channel: { name: value, kind: 'alerts', symbol: '', isPrivate: false } };
  if (value === 'strategies') return { ok: true, channel: { name: value, kind: 'strategies', symbol: '', isPrivate: false } };
  if (value === 'orders' || value === 'positions' || value === 'jobs') return { ok: true, channel: { name: value, kind: value, symbol: '', isPrivate: true } };
  const parts = value.split(':');
  const kind = parts[0];
  let symbol: string | undefined;
  if ((kind === 'trades' || kind === 'quotes' || kind === 'book') && parts.length === 2) symbol = parts[1];
  else if (kind === 'bars' && parts.length === 3 && barIntervals.includes(parts[1]!)) symbol = parts[2];
  if (symbol === undefined || kind === undefined) return unknown();
  if (!kSymbolPattern.test(symbol) || !isKnownSymbol(symbol)) {
    return { ok: false, code: 'ERR_WS_UNKNOWN_SYMBOL', message: `expected a listed symbol in ${describe(value)}, was ${describe(symbol)}` };
  }
  return { ok: true, channel: { name: value, kind: kind as ChannelKind, symbol, isPrivate: false } };
}
