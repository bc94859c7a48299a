import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startGateway, type Gateway } from '../../../src/gateway/http/server.js';
import { route } from '../../../src/gateway/http/http.js';
import { authRoutes } from '../../../src/gateway/routes/auth-routes.js';
import { Authenticator, signRequest } from '../../../src/gateway/auth/authenticator.js';
import { RateLimiter } from '../../../src/gateway/auth/rate-limiter.js';
import { UserStore } from '../../../src/gateway/auth/users.js';
import { openStateStore, type StateStore } from '../../../src/store/state-store.js';

let gateway: Gateway;
let store: StateStore;
let users: UserStore;
let clockMs = Date.now();
let tradeKey: { keyId: string; secret: string };
let readOnlyKey: { keyId: string; secret: string };
let tradesAccepted = 0;
const base = (): string => `http://127.0.0.1:${gateway.port}`;

beforeAll(async () => {
  store = openStateStore(mkdtempSync(join(tmpdir(), 'octopus-auth-')));
  users = new UserStore(store);
  await users.addUser('trader1', 'trader', 'trader-password');
  await users.addUser('viewer1', 'viewer', 'viewer-password');
  await users.addUser('limited', 'trader', 'limited-password');
  tradeKey = await users.addApiKey('trader1', false);
  readOnlyKey = await users.addApiKey('trader1', true);
  const authenticator = new Authenticator(users, store, { tokenLifetimeSeconds: 60, receiveWindowMs: 5_000, maxRememberedSignatures: 1_000 }, () => clockMs);
  gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    health: () => ({ status: 'ok' }),
    security: {
      authenticator,
      principalLimiter: new RateLimiter({ ratePerSecond: 1_000, burst: 1_000 }),
      addressLimiter: new RateLimiter({ ratePerSecond: 10_000, burst: 10_000 }),
    },
    routes: [
      authRoutes(authenticator),
      (app, options) => {
        route(app, options, {
          method: 'post',
          path: '/test/trade',
          permission: 'trade',
          operationId: 'testTrade',
          summary: 'A protected test route',
          tag: 'test',
          responses: { 201: undefined },
          handler: ({ body, principal }) => {
            tradesAccepted++;
            return { status: 201, body: { by: principal!.username, body } };
          },
        });
      },
    ],
  });
});

afterAll(async () => {
  gateway.close();
  await store.close();
});

async function call(method: string, path: string, options: { body?: string; headers?: Record<string, string> } = {}) {
  const response = await fetch(base() + path, { method, body: options.body, headers: options.headers });
  return { status: response.status, json: (await response.json()) as any, headers: response.headers };
}

async function token(username: string, password: string): Promise<string> {
  const { status, json } = await call('POST', '/api/v1/auth/token', { body: JSON.stringify({ username, password }) });
  expect(status).toBe(200);
  return json.access_token as string;
}

function signed(key: { keyId: string; secret: string }, method: string, path: string, body: string, timestampMs = clockMs) {
  const timestamp = String(timestampMs);
  return {
    'x-octopus-key': key.keyId,
    'x-octopus-timestamp': timestamp,
    'x-octopus-signature': signRequest(key.secret, timestamp, method, path, body),
  };
}

describe('authentication over real sockets', () => {
  it('issues a JWT for a valid password, and the token identifies the user', async () => {
    const jwt = await token('trader1', 'trader-password');
    const me = await call('GET', '/api/v1/me', { headers: { authorization: `Bearer ${jwt}` } });
    expect(me).toMatchObject({ status: 200, json: { username: 'trader1', role: 'trader', permissions: ['read', 'trade'], via: 'jwt' } });
  });

  const badLogins: Array<[string, unknown]> = [
    ['a wrong password', { username: 'trader1', password: 'nope-nope' }],
    ['an unknown user', { username: 'ghost', password: 'whatever1' }],
  ];
  it.each(badLogins)('refuses a token for %s with 401 ERR_AUTH_INVALID', async (_name, body) => {
    const { status, json } = await call('POST', '/api/v1/auth/token', { body: JSON.stringify(body) });
    expect(status).toBe(401);
    expect(json.error.code).toBe('ERR_AUTH_INVALID');
  });

  it('refuses a malformed token request with 400, naming the offending field', async () => {
    expect((await call('POST', '/api/v1/auth/token', { body: '[1,2]' })).json.error.code).toBe('ERR_HTTP_BAD_REQUEST');
    const wrongType = await call('POST', '/api/v1/auth/token', { body: JSON.stringify({ username: 'trader1', password: 12345678 }) });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.error.message).toContain('/password');
    const extra = await call('POST', '/api/v1/auth/token', { body: JSON.stringify({ username: 'a', password: 'b', admin: true }) });
    expect(extra.json.error.code).toBe('ERR_HTTP_BAD_REQUEST');
    expect((await call('POST', '/api/v1/auth/token', { body: '{"username":' })).json.error.code).toBe('ERR_HTTP_MALFORMED_JSON');
  });

  it('answers missing, tampered and expired tokens with 401 and the right code, changing nothing', async () => {
    const jwt = await token('trader1', 'trader-password');
    const before = tradesAccepted;
    const tampered = jwt.slice(0, -4) + (jwt.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'ERR_AUTH_MISSING'],
      [{ authorization: 'Bearer not.a.jwt' }, 'ERR_AUTH_INVALID'],
      [{ authorization: `Bearer ${tampered}` }, 'ERR_AUTH_INVALID'],
      [{ authorization: `Basic ${Buffer.from('trader1:trader-password').toString('base64')}` }, 'ERR_AUTH_MISSING'],
    ];
    for (const [headers, code] of cases) {
      const { status, json } = await call('POST', '/test/trade', { body: '{}', headers });
      expect(status, code).toBe(401);
      expect(json.error.code).toBe(code);
    }
    // Accepted once (so the verified-token cache holds it), then refused once expired: the cache checks exp.
    expect((await call('POST', '/test/trade', { body: '{}', headers: { authorization: `Bearer ${jwt}` } })).status).toBe(201);
    const acceptedOnce = tradesAccepted;
    clockMs += 61_000;
    const expired = await call('POST', '/test/trade', { body: '{}', headers: { authorization: `Bearer ${jwt}` } });
    clockMs -= 61_000;
    expect(expired.status).toBe(401);
    expect(expired.json.error.code).toBe('ERR_AUTH_EXPIRED');
    expect(tradesAccepted).toBe(acceptedOnce);
    expect(acceptedOnce).toBe(before + 1);
  });

  it('denies a viewer the trade permission with 403', async () => {
    const jwt = await token('viewer1', 'viewer-password');
    const { status, json } = await call('POST', '/test/trade', { body: '{}', headers: { authorization: `Bearer ${jwt}` } });
    expect(status).toBe(403);
    expect(json.error.code).toBe('ERR_AUTH_FORBIDDEN');
  });

  it('accepts a correctly signed API key request and refuses its replay', async () => {
    const body = '{"qty":1}';
    const headers = signed(tradeKey, 'POST', '/test/trade', body);
    const first = await call('POST', '/test/trade', { body, headers });
    expect(first).toMatchObject({ status: 201, json: { by: 'trader1', body: { qty: 1 } } });
    const replay = await call('POST', '/test/trade', { body, headers });
    expect(replay.status).toBe(401);
    expect(replay.json.error.code).toBe('ERR_AUTH_REPLAYED');
  });

  it('refuses signed requests that were altered, stale, or signed with the wrong secret', async () => {
    const before = tradesAccepted;
    const body = '{"qty":1}';
    const cases: Array<[string, Record<string, string>, string, string]> = [
      ['body changed after signing', signed(tradeKey, 'POST', '/test/trade', body), '{"qty":1000}', 'ERR_AUTH_BAD_SIGNATURE'],
      ['timestamp too old', signed(tradeKey, 'POST', '/test/trade', body, clockMs - 6_000), body, 'ERR_AUTH_STALE_TIMESTAMP'],
      ['timestamp in the future', signed(tradeKey, 'POST', '/test/trade', body, clockMs + 6_000), body, 'ERR_AUTH_STALE_TIMESTAMP'],
      ['wrong secret', signed({ keyId: tradeKey.keyId, secret: 'not-the-secret' }, 'POST', '/test/trade', body), body, 'ERR_AUTH_BAD_SIGNATURE'],
      ['unknown key', signed({ keyId: 'ok_unknown', secret: 'x' }, 'POST', '/test/trade', body), body, 'ERR_AUTH_INVALID'],
      ['garbage signature', { ...signed(tradeKey, 'POST', '/test/trade', body), 'x-octopus-signature': 'zz' }, body, 'ERR_AUTH_BAD_SIGNATURE'],
    ];
    for (const [name, headers, sentBody, code] of cases) {
      const { status, json } = await call('POST', '/test/trade', { body: sentBody, headers });
      expect(status, name).toBe(401);
      expect(json.error.code, name).toBe(code);
    }
    expect(tradesAccepted).toBe(before);
  });

  it('limits a read-only key to reading (403 on trade)', async () => {
    const denied = await call('POST', '/test/trade', { body: '{}', headers: signed(readOnlyKey, 'POST', '/test/trade', '{}') });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe('ERR_AUTH_FORBIDDEN');
    const me = await call('GET', '/api/v1/me', { headers: signed(readOnlyKey, 'GET', '/api/v1/me', '') });
    expect(me).toMatchObject({ status: 200, json: { username: 'trader1', permissions: ['read'], via: 'api_key' } });
  });
});

describe('OpenAPI', () => {
  it('publishes an OpenAPI 3.1 document generated from the route schemas', async () => {
    const { status, json } = await call('GET', '/api/v1/openapi.json');
    expect(status).toBe(200);
    expect(json.openapi).toBe('3.1.0');
    const token = json.paths['/api/v1/auth/token'].post;
    expect(token.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
    expect(json.paths['/api/v1/me'].get.security).toEqual([{ bearer: [] }, { apiKey: [], apiKeyTimestamp: [], apiKeySignature: [] }, { alpacaKeyId: [], alpacaSecretKey: [] }]);
    expect(json.paths['/api/v1/auth/token'].post.security).toEqual([]);
    expect(json.paths['/api/v1/me'].get.operationId).toBe('getMe');
    expect(Object.keys(json.paths['/api/v1/me'].get.responses).sort()).toEqual(['200', '400', '401', '403', '429']);
    expect(json.components.responses.Error429.headers['Retry-After'].schema.type).toBe('integer');
    expect(json.components.schemas.Error.properties.error.properties.code.anyOf.length).toBeGreaterThan(10);
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once a principal is over its limit', async () => {
    const limitedStore = openStateStore(mkdtempSync(join(tmpdir(), 'octopus-rate-')));
    const limitedUsers = new UserStore(limitedStore);
    await limitedUsers.addUser('burst', 'trader', 'burst-password');
    const authenticator = new Authenticator(limitedUsers, limitedStore);
    const limited = await startGateway({
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
      health: () => ({ status: 'ok' }),
      security: {
        authenticator,
        principalLimiter: new RateLimiter({ ratePerSecond: 1, burst: 3 }),
        addressLimiter: new RateLimiter({ ratePerSecond: 1_000, burst: 1_000 }),
      },
      routes: [authRoutes(authenticator)],
    });
    try {
      const login = await fetch(`http://127.0.0.1:${limited.port}/api/v1/auth/token`, {
        method: 'POST',
        body: JSON.stringify({ username: 'burst', password: 'burst-password' }),
      });
      const { access_token: jwt } = (await login.json()) as { access_token: string };
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let index = 0; index < 5; index++) {
        const response = await fetch(`http://127.0.0.1:${limited.port}/api/v1/me`, { headers: { authorization: `Bearer ${jwt}` } });
        statuses.push(response.status);
        if (response.status === 429) {
          retryAfter = response.headers.get('retry-after');
          expect(((await response.json()) as any).error.code).toBe('ERR_RATE_LIMITED');
        }
      }
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      limited.close();
      await limitedStore.close();
    }
  });

  it('refills a bucket over time (token bucket, injected clock)', () => {
    let nowMs = 0;
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 2 }, 10, () => nowMs);
    expect([limiter.take('a').allowed, limiter.take('a').allowed, limiter.take('a').allowed]).toEqual([true, true, false]);
    expect(limiter.take('a').retryAfterSeconds).toBe(1);
    nowMs += 500;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('b').allowed).toBe(true);
  });
});
