/**
 * Market data over REST (issue 3): history from the warehouse (M2), the live book from M7 execution.
 *
 *   GET /api/v1/symbols
 *   GET /api/v1/market/:symbol/trades?from=&to=&limit=
 *   GET /api/v1/market/:symbol/bars?interval=1s|1m|5m|1h|1d&from=&to=&limit=
 *   GET /api/v1/market/:symbol/book?depth=&level=2|3
 *
 * `from` and `to` are milliseconds since the Unix epoch or ISO-8601 times; defaults: the last hour.
 * Trades and bars come newest first, `limit` at a time, with a `next_page_token` for the older ones.
 * Public by default, like Binance's and Coinbase's market data (`--public-market-data=false` to require
 * the read permission).
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type } from '@sinclair/typebox';
import { OctopusError } from '../../engine/errors.js';
import type { BarInterval, BarsQuery, BookQuery, L2Book, L3Book, TradesQuery } from '../../engine/messages.js';
import type { BarRow, TradeRow } from '../../actors/warehouse/tick-store/tick-store.js';
import { route, type RouteOptions } from '../http/http.js';
import type { WireFormat } from '../wire/format.js';
import { decodePageToken, encodePageToken } from '../wire/page-token.js';
import { BarPageSchema, InstrumentSchema, L2BookSchema, L3BookSchema, TradePageSchema, ref } from '../wire/schemas.js';

export interface MarketDataClient {
  trades(query: TradesQuery): Promise<TradeRow[]>;
  bars(query: BarsQuery): Promise<BarRow[]>;
  /** level 2: aggregated levels; level 3: every order in priority order (no owners). */
  book(query: BookQuery): Promise<L2Book | L3Book>;
}

const kIntervals = ['1s', '1m', '5m', '1h', '1d'] as const;
const kLimitMax = 10_000;

function parseTime(text: string | null, name: string, fallback: number): number {
  if (text === null || text === '') return fallback;
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(value)) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected ${name} as epoch milliseconds or an ISO-8601 time, was ${JSON.stringify(text)}`);
  return value;
}

function parseLimit(text: string | null, fallback: number): number {
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > kLimitMax) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected limit 1..${kLimitMax}, was ${JSON.stringify(text)}`);
  return value;
}

const timeParameter = Type.String({ description: 'epoch milliseconds or an ISO-8601 time' });
const limitParameter = Type.String({ pattern: '^[0-9]{1,5}$', description: `1..${kLimitMax}` });
const rangeParameters = { from: Type.Optional(timeParameter), to: Type.Optional(timeParameter), limit: Type.Optional(limitParameter), page_token: Type.Optional(Type.String()) };

export function marketRoutes(wire: WireFormat, client: MarketDataClient) {
  const instruments = wire.instruments();
  const known = new Set(instruments.map((instrument) => instrument.symbol));
  const symbolOf = (parameter: string | undefined): string => {
    const symbol = parameter ?? '';
    if (!known.has(symbol)) throw new OctopusError('ERR_BOOK_UNKNOWN_SYMBOL', `expected one of ${[...known].join(', ')}, was ${JSON.stringify(symbol)}`);
    return symbol;
  };
  const range = (query: string): { fromMs: number; toMs: number } => {
    const parameters = new URLSearchParams(query);
    const toMs = parseTime(parameters.get('to'), 'to', Date.now());
    const fromMs = parseTime(parameters.get('from'), 'from', toMs - 3_600_000);
    if (fromMs > toMs) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected from <= to, was ${fromMs} > ${toMs}`);
    return { fromMs, toMs };
  };
  /** The range of one page: a cursor moves `to` down to the last row returned. */
  const pageRange = (query: string, cursorTo: number | undefined): { fromMs: number; toMs: number } => {
    const { fromMs, toMs } = range(query);
    return cursorTo === undefined ? { fromMs, toMs } : { fromMs, toMs: Math.max(fromMs, Math.min(toMs, cursorTo)) };
  };
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, {
      method: 'get',
      path: '/api/v1/symbols',
      permission: 'read',
      publicMarketData: true,
      operationId: 'listSymbols',
      summary: 'Instruments with their tick and lot sizes and decimals',
      tag: 'market',
      responses: { 200: Type.Array(ref(InstrumentSchema)) },
      handler: () => ({ status: 200, body: instruments }),
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/market/:symbol/trades',
      permission: 'read',
      publicMarketData: true,
      operationId: 'listTrades',
      summary: 'Stored trades in a time range, newest first, with cursor pagination',
      tag: 'market',
      querySchema: Type.Object(rangeParameters),
      responses: { 200: ref(TradePageSchema) },
      errorStatuses: [404, 502, 503],
      handler: async ({ parameters, query }) => {
        const symbol = symbolOf(parameters[0]);
        const search = new URLSearchParams(query);
        const limit = parseLimit(search.get('limit'), 1_000);
        const token = search.get('page_token');
        const cursor = token === null ? undefined : decodePageToken(token, { to: 'integer', before_id: 'string' });
        const trades = await client.trades({
          symbol,
          ...pageRange(query, cursor?.to as number | undefined),
          limit,
          newestFirst: true,
          ...(cursor === undefined ? {} : { beforeTradeId: cursor.before_id as string }),
        });
        const last = trades.at(-1);
        const next = trades.length === limit && last !== undefined ? encodePageToken({ to: last.timeMs, before_id: last.tradeId }) : null;
        return { status: 200, body: { symbol, trades: trades.map((trade) => wire.trade(trade)), next_page_token: next } };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/market/:symbol/bars',
      permission: 'read',
      publicMarketData: true,
      operationId: 'listBars',
      summary: 'OHLCV + VWAP bars computed from stored trades, newest first, with cursor pagination',
      tag: 'market',
      querySchema: Type.Object({ interval: Type.Optional(Type.Union(kIntervals.map((interval) => Type.Literal(interval)), { description: 'default 1m' })), ...rangeParameters }),
      responses: { 200: ref(BarPageSchema) },
      errorStatuses: [404, 502, 503],
      handler: async ({ parameters, query }) => {
        const symbol = symbolOf(parameters[0]);
        const search = new URLSearchParams(query);
        const interval = (search.get('interval') ?? '1m') as BarInterval;
        const limit = parseLimit(search.get('limit'), 1_000);
        const token = search.get('page_token');
        const cursorTo = token === null ? undefined : (decodePageToken(token, { to: 'integer' }).to as number);
        const bars = await client.bars({ symbol, ...pageRange(query, cursorTo), limit, interval, newestFirst: true });
        const last = bars.at(-1);
        // The next page ends just before the oldest bar returned (bars are whole buckets).
        const next = bars.length === limit && last !== undefined && last.startMs > 0 ? encodePageToken({ to: last.startMs - 1 }) : null;
        return { status: 200, body: { symbol, interval, bars: bars.map((bar) => wire.bar(bar, interval)), next_page_token: next } };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/market/:symbol/book',
      permission: 'read',
      publicMarketData: true,
      operationId: 'getBook',
      summary: 'The live book: L2 (aggregated [price, qty] levels) or L3 (every order, in priority order)',
      tag: 'market',
      querySchema: Type.Object({ depth: Type.Optional(limitParameter), level: Type.Optional(Type.Union([Type.Literal('2'), Type.Literal('3')], { description: 'default 2' })) }),
      responses: { 200: Type.Union([ref(L2BookSchema), ref(L3BookSchema)]) },
      errorStatuses: [404, 503],
      handler: async ({ parameters, query }) => {
        const symbol = symbolOf(parameters[0]);
        if (instruments.find((instrument) => instrument.symbol === symbol)?.tradable === false) {
          throw new OctopusError('ERR_BOOK_UNKNOWN_SYMBOL', `expected a symbol with a book here, was ${symbol} (an external venue's: subscribe to book:${symbol} on /ws)`);
        }
        const search = new URLSearchParams(query);
        const depth = parseLimit(search.get('depth'), 20);
        const level = search.get('level') === '3' ? 3 : 2;
        const book = await client.book({ symbol, depth, level });
        return { status: 200, body: level === 3 ? wire.l3(book as L3Book) : wire.l2(book as L2Book) };
      },
    });
  };
}
