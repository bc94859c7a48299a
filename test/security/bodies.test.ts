/**
 * Hostile request lines and bodies against a real engine process: each is refused with a typed 4xx,
 * and the account is exactly as it was (no order, no cash moved).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { sendPartialBody } from './support.js';

let engine: EngineProcess;
let alice: ApiClient;
let base = '';
let token = '';

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['alice', 'trader', 'alice-password']]);
  // An order rate of 1/s (burst 2) so that the rate limit is reachable in a test.
  engine = await startEngineProcess(['--feed-rate', '0', '--symbols', 'ACME,BETA', '--max-order-rate', '1'], 60_000, dataDir);
  base = `http://127.0.0.1:${engine.port}`;
  alice = await new ApiClient(base).login('alice', 'alice-password');
  const login = await fetch(`${base}/api/v1/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-password' }) });
  token = ((await login.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

/** What must not change: the open orders and the cash. */
async function accountState(): Promise<unknown> {
  const [orders, account] = await Promise.all([alice.call('GET', '/api/v1/orders?status=all'), alice.call('GET', '/api/v1/account')]);
  return { orders: orders.json, cash: account.json.cash };
}

describe('hostile bodies and paths (real engine)', () => {
  it('answers a 10,000-level nested JSON body 400 ERR_HTTP_BAD_REQUEST (not 500), changing nothing', async () => {
    const before = await accountState();
    const cases: Array<[string, string]> = [
      ['/api/v1/risk/var', '['.repeat(10_000) + ']'.repeat(10_000)],
      ['/api/v1/risk/var', `{"method":"historical","confidence":0.99,"horizon_days":1,"positions":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`],
      // Under the order route's 16 KiB body limit, so that the nesting is what is refused.
      ['/api/v1/orders', '['.repeat(5_000) + ']'.repeat(5_000)],
    ];
    for (const [path, body] of cases) {
      const response = await alice.call('POST', path, body);
      expect(response.status).toBe(400);
      expect(response.json.error).toMatchObject({ code: 'ERR_HTTP_BAD_REQUEST', message: 'expected JSON nested at most 64 levels deep, was deeper' });
    }
    expect(await accountState()).toEqual(before);
  });

  const malformedPaths = ['/api/v1/market/%E0%A4%A/trades', '/api/v1/market/%ZZ/book', '/api/v1/orders:by_client_id/%E0%A4%A'];
  it.each(malformedPaths)('answers malformed percent-encoding in %s with 400 ERR_HTTP_BAD_REQUEST (not 500)', async (path) => {
    const response = await alice.call('GET', path);
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('ERR_HTTP_BAD_REQUEST');
    expect(response.json.error.message).toMatch(/^expected a percent-encoded UTF-8 path segment, was "%/);
  });

  it('still decodes a well-formed percent-encoded path segment once', async () => {
    const response = await alice.call('GET', '/api/v1/market/AC%4DE/book');
    expect(response.status).toBe(200);
  });

  it('answers PUT /api/v1/orders 405 with Allow naming the methods the path has', async () => {
    const before = await accountState();
    const response = await fetch(`${base}/api/v1/orders`, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST, DELETE, GET');
    expect(((await response.json()) as any).error).toEqual({ code: 'ERR_HTTP_METHOD_NOT_ALLOWED', message: 'expected POST, DELETE, GET, was PUT' });
    const onOrder = await fetch(`${base}/api/v1/orders/1`, { method: 'POST', body: '{}' });
    expect(onOrder.status).toBe(405);
    expect(onOrder.headers.get('allow')).toBe('PATCH, DELETE, GET');
    expect(await accountState()).toEqual(before);
  });

  it('refuses an unauthenticated 8 MB POST with 401 before its body arrives, and closes the connection', async () => {
    // Only 1 KiB of the declared 8 MiB is ever sent: the answer cannot have waited for the body.
    const response = await sendPartialBody(engine.port, ['POST /api/v1/orders HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json'], 8 * 1024 * 1024, 1_024);
    expect(response.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(response.body.error.code).toBe('ERR_AUTH_MISSING');
    const forged = await sendPartialBody(engine.port, ['POST /api/v1/risk/var HTTP/1.1', 'Host: 127.0.0.1', 'Authorization: Bearer forged.token.here'], 8 * 1024 * 1024, 1_024);
    expect(forged.head).toMatch(/^HTTP\/1\.1 401 /);
    expect(forged.body.error.code).toBe('ERR_AUTH_INVALID');
  });

  it('refuses an authenticated body whose Content-Length is over the route limit with 413 before reading it', async () => {
    const before = await accountState();
    const response = await sendPartialBody(engine.port, ['POST /api/v1/orders HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${token}`], 1024 * 1024, 1_024);
    expect(response.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(response.body.error).toEqual({ code: 'ERR_HTTP_BODY_TOO_LARGE', message: 'expected a body of at most 16384 bytes, was 1048576' });
    expect(await accountState()).toEqual(before);
  });
});

describe('order entry edge cases (real engine)', () => {
  it('refuses a reused client_order_id with a different symbol, side or qty with 409 naming the conflict, keeping one order', async () => {
    const first = await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 5, limit_price: 10, client_order_id: 'dup-1' });
    expect(first.status).toBe(201);
    const before = await accountState();
    const conflicts: Array<[Record<string, unknown>, string]> = [
      [{ symbol: 'BETA' }, 'symbol "ACME" (was "BETA")'],
      [{ side: 'sell' }, 'side "buy" (was "sell")'],
      [{ qty: 6 }, 'qty 5 (was 6)'],
      [{ limit_price: 11 }, 'limit_price 10 (was 11)'],
    ];
    for (const [change, named] of conflicts) {
      const retry = await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 5, limit_price: 10, client_order_id: 'dup-1', ...change });
      expect(retry.status, JSON.stringify(change)).toBe(409);
      expect(retry.json.error.code).toBe('ERR_ORDER_CLIENT_ID_CONFLICT');
      expect(retry.json.error.message).toContain(`order ${first.json.id}`);
      expect(retry.json.error.message).toContain(named);
    }
    // A true retry is still idempotent.
    const same = await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '5', limit_price: '10.00', client_order_id: 'dup-1' });
    expect(same.status).toBe(200);
    expect(same.json.id).toBe(first.json.id);
    expect(await accountState()).toEqual(before);
  });

  it('answers ERR_RISK_ORDER_RATE with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let refused: Response | undefined;
    // 1 order/s, burst 2: a quick run of five must be refused at least once.
    for (let index = 0; index < 5 && refused === undefined; index++) {
      const response = await fetch(`${base}/api/v1/orders`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({ symbol: 'BETA', side: 'buy', type: 'limit', qty: 1, limit_price: 1 }),
      });
      statuses.push(response.status);
      if (response.status === 429) refused = response;
      else await response.arrayBuffer();
    }
    expect(refused, `statuses ${statuses.join(',')}`).toBeDefined();
    expect(((await refused!.json()) as any).error.code).toBe('ERR_RISK_ORDER_RATE');
    expect(refused!.headers.get('retry-after')).toBe('1');
  });
});
