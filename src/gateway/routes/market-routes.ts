/**
 * Market data over REST (issue 3): history from the warehouse (M2), the live book from M7 execution.
 *
 *   GET /api/v1/symbols
 *   GET /api/v1/market/:symbol/trades?from=&to=&limit=
 *   GET /api/v1/market/:symbol/bars?interval=1s|1m|5m|1h|1d&from=&to=&limit=
 *   GET /api/v1/market/:symbol/book?depth=&level=2|3
 *
 * `from` and `to` are milliseconds since the Unix epoch or ISO-8601 times; defaults: the last hour.
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { OctopusError } from '../../engine/errors.js';
import type { BarInterval, BarsQuery, BookQuery, L2Book, L3Book, TradesQuery } from '../../engine/messages.js';
import type { BarRow, TradeRow } from '../../actors/warehouse/tick-store/tick-store.js';
import { route, type RouteOptions } from '../http/http.js';

export interface InstrumentInfo {
  symbol: string;
  /** null for an external venue's symbol (its grid is the venue's business). */
  tick_size: number | null;
  lot_size: number | null;
  /** Set for symbols that come from an external venue (not tradable here). */
  venue?: string | undefined;
}

export interface MarketDataClient {
  trades(query: TradesQuery): Promise<TradeRow[]>;
  bars(query: BarsQuery): Promise<BarRow[]>;
  /** level 2: aggregated [price, qty, orders]; level 3: every order in priority order (no owners). */
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

export function marketRoutes(instruments: readonly InstrumentInfo[], client: MarketDataClient) {
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
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, {
      method: 'get',
      path: '/api/v1/symbols',
      permission: 'read',
      summary: 'Tradable instruments with their tick and lot sizes',
      handler: () => ({ status: 200, body: instruments }),
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/market/:symbol/trades',
      permission: 'read',
      summary: 'Stored trades in a time range, earliest first',
      handler: async ({ parameters, query }) => {
        const symbol = symbolOf(parameters[0]);
        const limit = parseLimit(new URLSearchParams(query).get('limit'), 1_000);
        return { status: 200, body: await client.trades({ symbol, ...range(query), limit }) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/market/:symbol/bars',
      permission: 'read',
      summary: 'OHLCV + VWAP bars computed from stored trades',
      handler: async ({ parameters, query }) => {
        const symbol = symbolOf(parameters[0]);
        const parameterList = new URLSearchParams(query);
        const interval = parameterList.get('interval') ?? '1m';
        if (!(kIntervals as readonly string[]).includes(interval)) {
          throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected interval ${kIntervals.join('|')}, was ${JSON.stringify(interval)}`);
        }
        const limit = parseLimit(parameterList.get('limit'), 1_000);
        return { status: 200, body: await client.bars({ symbol, ...range(query), limit, interval: interval as BarInterval }) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/market/:symbol/book',
      permission: 'read',
      summary: 'The live book: L2 (aggregated levels) or L3 (every order, in priority order)',
      handler: async ({ parameters, query }) => {
        const symbol = symbolOf(parameters[0]);
        if (instruments.find((instrument) => instrument.symbol === symbol)?.venue !== undefined) {
          throw new OctopusError('ERR_BOOK_UNKNOWN_SYMBOL', `expected a symbol with a book here, was ${symbol} (an external venue's: subscribe to book:${symbol} on /ws)`);
        }
        const parameterList = new URLSearchParams(query);
        const depth = parseLimit(parameterList.get('depth'), 20);
        const levelText = parameterList.get('level') ?? '2';
        if (levelText !== '2' && levelText !== '3') throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected level 2 or 3, was ${JSON.stringify(levelText)}`);
        return { status: 200, body: await client.book({ symbol, depth, level: levelText === '3' ? 3 : 2 }) };
      },
    });
  };
}
