/**
 * Cheap denial of service through the login route: throttling per username and per address (backoff,
 * lockout, 429 with Retry-After, recorded in the security-event log), password checks on their own
 * bounded pool (JWT-authenticated requests never wait behind them), and a real engine that refuses the
 * right password during a backoff.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from '../../src/gateway/http/server.js';
import { Authenticator } from '../../src/gateway/auth/authenticator.js';
import { LoginThrottle, defaultLoginThrottleOptions, type LoginThrottleOptions } from '../../src/gateway/auth/login-throttle.js';
import { createPasswordPool } from '../../src/gateway/auth/password-pool.js';
import { UserStore } from '../../src/gateway/auth/users.js';
import { openStateStore, type StateStore } from '../../src/store/state-store.js';
import { addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { requestFrom, retryLaterAnswers, startSecuredGateway, tokenFor } from './support.js';

const options: LoginThrottleOptions = { ...defaultLoginThrottleOptions, freeFailures: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, lockoutFailures: 8, lockoutMs: 600_000 };

function refusal(attempt: () => void): { code: string; retryAfterSeconds: number | undefined } | undefined {
  try {
    attempt();
    return undefined;
  } catch (error) {
    return { code: (error as { code: string }).code, retryAfterSeconds: (error as { retryAfterSeconds?: number }).retryAfterSeconds };
  }
}

describe('LoginThrottle (injected clock)', () => {
  it('backs a username off exponentially after the free failures, from any address, then locks it', () => {
    let nowMs = 0;
    const throttle = new LoginThrottle(options, () => nowMs);
    const delays: number[] = [];
    for (let failure = 1; failure <= 8; failure++) {
      const address = `10.0.0.${failure}`;
      throttle.admit('alice', address);
      const [byUser] = throttle.failed('alice', address);
      delays.push(byUser.blockedForMs);
      const blocked = refusal(() => throttle.admit('alice', '10.9.9.9'));
      if (failure <= 3) expect(blocked, `failure ${failure} is free`).toBeUndefined();
      else expect(blocked?.code, `failure ${failure}`).toBe(failure === 8 ? 'ERR_AUTH_LOCKED' : 'ERR_AUTH_THROTTLED');
      if (blocked === undefined) throttle.abandoned('alice', '10.9.9.9');
      nowMs += byUser.blockedForMs;
    }
    expect(delays).toEqual([0, 0, 0, 1_000, 2_000, 4_000, 8_000, 600_000]);
  });

  it('refuses the right password during a lockout (the verdict comes before any check) with Retry-After', () => {
    let nowMs = 0;
    const throttle = new LoginThrottle(options, () => nowMs);
    for (let failure = 0; failure < 8; failure++) {
      throttle.admit('bob', `10.1.0.${failure}`);
      throttle.failed('bob', `10.1.0.${failure}`);
      nowMs += 8_000;
    }
    nowMs += 60_000;
    expect(refusal(() => throttle.admit('bob', '10.2.0.1'))).toEqual({ code: 'ERR_AUTH_LOCKED', retryAfterSeconds: 600 - 68 });
    nowMs += 600_000;
    expect(refusal(() => throttle.admit('bob', '10.2.0.1'))).toBeUndefined();
    throttle.succeeded('bob', '10.2.0.1');
    expect(throttle.trackedKeys.users).toBe(0);
  });

  it('backs an address off across usernames, and a success does not clear the address', () => {
    let nowMs = 0;
    const throttle = new LoginThrottle(options, () => nowMs);
    for (let failure = 0; failure < 4; failure++) {
      throttle.admit(`user${failure}`, '10.3.0.1');
      throttle.failed(`user${failure}`, '10.3.0.1');
    }
    expect(refusal(() => throttle.admit('someone-else', '10.3.0.1'))?.code).toBe('ERR_AUTH_THROTTLED');
    nowMs += 1_000;
    throttle.admit('mine', '10.3.0.1');
    throttle.succeeded('mine', '10.3.0.1');
    throttle.admit('user9', '10.3.0.1');
    throttle.failed('user9', '10.3.0.1');
    expect(refusal(() => throttle.admit('another', '10.3.0.1'))).toEqual({ code: 'ERR_AUTH_THROTTLED', retryAfterSeconds: 2 });
  });

  it('bounds concurrent checks per username and per address, and the maps by maxKeys', () => {
    const throttle = new LoginThrottle({ ...options, inFlightPerUser: 1, inFlightPerAddress: 2, maxKeys: 3 }, () => 0);
    throttle.admit('carol', '10.4.0.1');
    expect(refusal(() => throttle.admit('carol', '10.4.0.2'))).toEqual({ code: 'ERR_AUTH_THROTTLED', retryAfterSeconds: 1 });
    throttle.admit('dave', '10.4.0.1');
    expect(refusal(() => throttle.admit('erin', '10.4.0.1'))?.code).toBe('ERR_AUTH_THROTTLED');
    throttle.abandoned('carol', '10.4.0.1');
    throttle.abandoned('dave', '10.4.0.1');
    for (let index = 0; index < 10; index++) {
      throttle.admit(`u${index}`, `10.5.0.${index}`);
      throttle.failed(`u${index}`, `10.5.0.${index}`);
    }
    expect(throttle.trackedKeys).toEqual({ users: 3, addresses: 3 });
  });

  it('refuses inconsistent options', () => {
    expect(() => new LoginThrottle({ ...options, lockoutFailures: 3 })).toThrow(RangeError);
    expect(() => new LoginThrottle({ ...options, maxDelayMs: 10 })).toThrow(RangeError);
  });
});

describe('the login route under a flood (real sockets, in-process gateway)', () => {
  let gateway: Gateway;
  let store: StateStore;
  let authenticator: Authenticator;
  let token = '';

  beforeAll(async () => {
    store = openStateStore(mkdtempSync(join(tmpdir(), 'octopus-dos-')));
    const users = new UserStore(store, createPasswordPool({ threads: 1, maxQueue: 8 }));
    await users.addUser('trader1', 'trader', 'trader-password');
    await users.addUser('root1', 'admin', 'root1-password');
    authenticator = new Authenticator(users, store, { tokenLifetimeSeconds: 60, receiveWindowMs: 5_000, maxRememberedSignatures: 1_000, login: options });
    gateway = await startSecuredGateway(authenticator, []);
    token = await tokenFor(gateway.port, 'trader1', 'trader-password');
  });

  afterAll(async () => {
    gateway.close();
    await authenticator.close();
    await store.close();
  });

  it('answers every JWT request while password checks queue, and refuses checks past the pool queue with 503 ERR_AUTH_BUSY', async () => {
    const finished: string[] = [];
    const logins = Array.from({ length: 24 }, (_, index) =>
      requestFrom(`127.0.0.${10 + index}`, gateway.port, 'POST', '/api/v1/auth/token', { body: JSON.stringify({ username: `nobody${index}`, password: 'wrong-password' }) }).then((response) => {
        finished.push('login');
        return response;
      }),
    );
    const jwtRequests = Array.from({ length: 20 }, () =>
      requestFrom('127.0.0.2', gateway.port, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${token}` } }).then((response) => {
        finished.push('jwt');
        return response;
      }),
    );
    const [loginAnswers, jwtAnswers] = await Promise.all([Promise.all(logins), Promise.all(jwtRequests)]);
    expect(jwtAnswers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    // No JWT check waited for scrypt: the last answer of all was a login's.
    expect(finished.lastIndexOf('jwt')).toBeLessThan(finished.lastIndexOf('login'));
    const busy = retryLaterAnswers(loginAnswers, 503, 'ERR_AUTH_BUSY');
    expect(busy.length).toBeGreaterThan(0);
    expect(loginAnswers.filter((answer) => answer.status === 401).length + busy.length).toBe(24);
  });

  it('refuses the right password after repeated failures with 429 and Retry-After, and records the events', async () => {
    const attempt = (password: string) => requestFrom('127.0.0.50', gateway.port, 'POST', '/api/v1/auth/token', { body: JSON.stringify({ username: 'root1', password }) });
    for (let failure = 0; failure < 4; failure++) expect((await attempt('wrong-password')).status).toBe(401);
    const right = await attempt('root1-password');
    expect(right.status).toBe(429);
    expect(right.json.error.code).toBe('ERR_AUTH_THROTTLED');
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(right.json).not.toHaveProperty('access_token');
    await authenticator.securityEvents.flushed();
    const events = authenticator.securityEvents.recent(20).filter((event) => event.username === 'root1');
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['login_failed', 'login_backoff']));
    for (const subject of ['username', 'address'] as const) {
      expect(events.find((event) => event.type === 'login_backoff' && event.subject === subject), subject).toMatchObject({ failures: 4, blockedForMs: 1_000, address: '127.0.0.50' });
    }
  });
});

describe('login throttling in a real engine', () => {
  let engine: EngineProcess;

  beforeAll(async () => {
    const dataDir = temporaryDataDir();
    addUsers(dataDir, [['alice', 'trader', 'alice-password'], ['root', 'admin', 'root-password']]);
    engine = await startEngineProcess(['--feed-rate', '0', '--symbols', 'ACME'], 60_000, dataDir);
  });

  afterAll(async () => {
    await engine?.stop('SIGTERM');
  });

  it('after six wrong passwords refuses the right one with 429 ERR_AUTH_THROTTLED and Retry-After, and admins can read why', async () => {
    const attempt = (username: string, password: string, from = '127.0.0.1') =>
      requestFrom(from, engine.port, 'POST', '/api/v1/auth/token', { body: JSON.stringify({ username, password }) });
    const statuses: number[] = [];
    for (let failure = 0; failure < 6; failure++) statuses.push((await attempt('alice', 'wrong-password')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    // From another address as well: the username itself is backed off.
    const right = await attempt('alice', 'alice-password', '127.0.0.77');
    expect(right.status).toBe(429);
    expect(right.json.error.code).toBe('ERR_AUTH_THROTTLED');
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const admin = await attempt('root', 'root-password', '127.0.0.78');
    expect(admin.status).toBe(200);
    const events = await requestFrom('127.0.0.78', engine.port, 'GET', '/api/v1/security/events?limit=50', { headers: { authorization: `Bearer ${admin.json.access_token}` } });
    expect(events.status).toBe(200);
    expect(events.json.filter((event: { username: string }) => event.username === 'alice').map((event: { type: string }) => event.type)).toEqual(
      expect.arrayContaining(['login_failed', 'login_backoff']),
    );
    const viewerOfEvents = await requestFrom('127.0.0.79', engine.port, 'GET', '/api/v1/security/events', { headers: { authorization: 'Bearer nope' } });
    expect(viewerOfEvents.status).toBe(401);
  });
});
