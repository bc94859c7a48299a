/**
 * `octopus loadtest orders`: REST order entry under an open-loop load (http-load.ts). Each request is
 * `POST /api/v1/orders` of a small limit order, IOC by default and priced away from the market, so it is
 * checked, journaled, acknowledged and ends unfilled (canceled: nothing at its price) without trading: the
 * order path without the market.
 *
 * Credentials: a username and password (one login, then a bearer token on every request) or an API key
 * (every request signed with HMAC-SHA256, see src/gateway/auth/authenticator.ts, and given its own
 * client_order_id so that no two signatures are equal), or a bearer token as is. The price: `--price`, else 8 % under the best bid of the
 * symbol's book (inside the risk collar of 10 % around the last trade), else 1.00 when the book is empty.
 */
import { signRequest } from '../gateway/auth/authenticator.js';
import { runHttpLoad, type HttpLoadOptions, type HttpLoadResult, type HttpRequestSpec, type LoadProgress } from './http-load.js';

export type Credentials = { kind: 'password'; username: string; password: string } | { kind: 'api_key'; keyId: string; secret: string } | { kind: 'token'; token: string };

/** The load's shape is the generator's; what is sent is built from the order fields. */
export interface OrderLoadOptions extends Pick<HttpLoadOptions, 'target' | 'rate' | 'durationS' | 'warmupS' | 'connections' | 'pipeline'> {
  credentials: Credentials;
  symbol: string;
  side: 'buy' | 'sell';
  qty: string;
  /** Undefined: derived from the book (see the module comment). */
  price: string | undefined;
  timeInForce: 'ioc' | 'gtc' | 'day' | 'fok';
  onProgress?: (progress: LoadProgress) => void;
}

export interface OrderLoadResult extends HttpLoadResult {
  order: { symbol: string; side: string; qty: string; limit_price: string; time_in_force: string };
}

const kOrdersPath = '/api/v1/orders';
/** How far under the best bid (over the best ask for a sell) an order is priced, as a fraction. */
const kAwayFromMarket = 0.08;

async function fetchJson(url: string, init: RequestInit = {}): Promise<{ status: number; json: unknown }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}

/** The headers of one authenticated request; for an API key, a fresh signature each time. */
async function authenticator(base: string, credentials: Credentials): Promise<(method: string, path: string, body: string) => Record<string, string>> {
  if (credentials.kind === 'token') return () => ({ authorization: `Bearer ${credentials.token}` });
  if (credentials.kind === 'api_key') {
    return (method, path, body) => {
      const timestamp = String(Date.now());
      return { 'x-octopus-key': credentials.keyId, 'x-octopus-timestamp': timestamp, 'x-octopus-signature': signRequest(credentials.secret, timestamp, method, path, body) };
    };
  }
  const login = await fetchJson(`${base}/api/v1/auth/token`, { method: 'POST', body: JSON.stringify({ username: credentials.username, password: credentials.password }) });
  const token = (login.json as { access_token?: unknown } | null)?.access_token;
  if (login.status !== 200 || typeof token !== 'string') throw new Error(`expected a login of ${credentials.username} to answer 200 with a token, was ${login.status} ${JSON.stringify(login.json)}`);
  return () => ({ authorization: `Bearer ${token}` });
}

/** A price away from the market: under the best bid for a buy, over the best ask for a sell. */
async function awayPrice(base: string, symbol: string, side: 'buy' | 'sell', headers: Record<string, string>): Promise<string> {
  const book = await fetchJson(`${base}/api/v1/market/${encodeURIComponent(symbol)}/book?depth=1`, { headers });
  if (book.status !== 200) throw new Error(`expected the book of ${symbol} (to price the orders; or pass --price), was ${book.status} ${JSON.stringify(book.json)}`);
  // Levels are [price, qty] decimal strings (docs/api.md).
  const levels = book.json as { bids?: string[][]; asks?: string[][] };
  const bestBid = levels.bids?.[0]?.[0] === undefined ? undefined : Number(levels.bids[0][0]);
  const bestAsk = levels.asks?.[0]?.[0] === undefined ? undefined : Number(levels.asks[0][0]);
  const reference = side === 'buy' ? (bestBid ?? bestAsk) : (bestAsk ?? bestBid);
  if (reference === undefined) return '1.00';
  const price = side === 'buy' ? reference * (1 - kAwayFromMarket) : reference * (1 + kAwayFromMarket);
  // Two decimals: the simulated instruments trade on a 0.01 grid; a coarser grid needs --price.
  return (side === 'buy' ? Math.floor(price * 100) / 100 : Math.ceil(price * 100) / 100).toFixed(2);
}

/** Runs the order load. @throws Error when the login or the pricing request fails (nothing was sent). */
export async function runOrderLoad(options: OrderLoadOptions): Promise<OrderLoadResult> {
  const base = new URL(options.target).origin;
  const headersFor = await authenticator(base, options.credentials);
  const price = options.price ?? (await awayPrice(base, options.symbol, options.side, headersFor('GET', `/api/v1/market/${options.symbol}/book?depth=1`, '')));
  const order = { symbol: options.symbol, side: options.side, qty: options.qty, limit_price: price, time_in_force: options.timeInForce };
  const body = JSON.stringify({ ...order, type: 'limit' });
  const fixed: HttpRequestSpec = { method: 'POST', path: kOrdersPath, headers: { 'content-type': 'application/json', ...headersFor('POST', kOrdersPath, body) }, body };
  // Two signed requests must differ (the engine refuses a signature it has seen: replay protection), and
  // two in the same millisecond would sign the same text: each gets its own client_order_id.
  const runId = Date.now().toString(36);
  const signed = (index: number): HttpRequestSpec => {
    const signedBody = JSON.stringify({ ...order, type: 'limit', client_order_id: `lt-${runId}-${index}` });
    return { method: 'POST', path: kOrdersPath, headers: { 'content-type': 'application/json', ...headersFor('POST', kOrdersPath, signedBody) }, body: signedBody };
  };
  const request = options.credentials.kind === 'api_key' ? signed : () => fixed;
  const { rate, durationS, warmupS, connections, pipeline } = options;
  const result = await runHttpLoad({
    target: base,
    rate,
    durationS,
    warmupS,
    connections,
    pipeline,
    request,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });
  return { ...result, order };
}
