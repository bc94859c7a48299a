import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startGateway, type Gateway } from '../../../src/gateway/http/server.js';
import { authRoutes } from '../../../src/gateway/routes/auth-routes.js';
import { computeRoutes } from '../../../src/gateway/routes/compute-routes.js';
import { Authenticator } from '../../../src/gateway/auth/authenticator.js';
import { RateLimiter } from '../../../src/gateway/auth/rate-limiter.js';
import { UserStore } from '../../../src/gateway/auth/users.js';
import { openStateStore, type StateStore } from '../../../src/store/state-store.js';
import { indicators } from '../../../src/kernels/indicators/indicators.js';
import { closeRiskWorkers } from '../../../src/actors/risk/var.js';
import { closeComputeWorkers } from '../../../src/gateway/routes/compute-pool.js';

let gateway: Gateway;
let store: StateStore;
let jwt = '';

beforeAll(async () => {
  store = openStateStore(mkdtempSync(join(tmpdir(), 'octopus-compute-')));
  const users = new UserStore(store);
  await users.addUser('quant', 'viewer', 'quant-password');
  const authenticator = new Authenticator(users, store);
  gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    health: () => ({ status: 'ok' }),
    security: {
      authenticator,
      principalLimiter: new RateLimiter({ ratePerSecond: 1_000, burst: 1_000 }),
      addressLimiter: new RateLimiter({ ratePerSecond: 1_000, burst: 1_000 }),
    },
    routes: [authRoutes(authenticator), computeRoutes],
  });
  const response = await fetch(`http://127.0.0.1:${gateway.port}/api/v1/auth/token`, {
    method: 'POST',
    body: JSON.stringify({ username: 'quant', password: 'quant-password' }),
  });
  jwt = ((await response.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  gateway.close();
  await closeRiskWorkers();
  await closeComputeWorkers();
  await store.close();
});

async function post(path: string, body: unknown, authorized = true): Promise<{ status: number; json: any }> {
  const response = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: authorized ? { authorization: `Bearer ${jwt}` } : {},
  });
  return { status: response.status, json: await response.json() };
}

const closes = Array.from({ length: 60 }, (_, index) => 100 + 5 * Math.sin(index / 4) + index * 0.1);

describe('POST /api/v1/indicators', () => {
  it('computes RSI aligned with the input, null during warm-up, equal to the kernel facade', async () => {
    const { status, json } = await post('/api/v1/indicators', { indicator: 'rsi', params: { period: 14 }, series: closes });
    expect(status).toBe(200);
    expect(Object.keys(json)).toEqual(['values']);
    expect(json.values).toHaveLength(closes.length);
    expect(json.values.slice(0, 14)).toEqual(new Array(14).fill(null));
    const expected = indicators.compute('rsi', { period: 14 }, Float64Array.from(closes));
    expect(json.values.slice(14)).toEqual(Array.from(Object.values(expected)[0]!.slice(14)));
  });

  it('returns named arrays for multi-output indicators (MACD)', async () => {
    const { status, json } = await post('/api/v1/indicators', { indicator: 'macd', series: closes });
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(['histogram', 'macd', 'signal']);
  });

  it('reads OHLCV columns for indicators that need them (ATR)', async () => {
    const high = closes.map((close) => close + 1);
    const low = closes.map((close) => close - 1);
    const { status, json } = await post('/api/v1/indicators', { indicator: 'atr', params: { period: 14 }, ohlcv: { high, low, close: closes } });
    expect(status).toBe(200);
    expect(json.values.at(-1)).toBeGreaterThan(0);
  });

  const hostile: Array<[string, unknown, number, string]> = [
    ['an unknown indicator', { indicator: 'astrology', series: closes }, 400, 'ERR_KERNEL_UNKNOWN_INDICATOR'],
    ['period 0', { indicator: 'sma', params: { period: 0 }, series: closes }, 400, 'ERR_KERNEL_BAD_PERIOD'],
    ['a fractional period', { indicator: 'sma', params: { period: 2.5 }, series: closes }, 400, 'ERR_KERNEL_BAD_PERIOD'],
    ['a string in the series', { indicator: 'sma', series: [1, 'two', 3] }, 400, 'ERR_HTTP_BAD_REQUEST'],
    ['no input at all', { indicator: 'sma' }, 400, 'ERR_KERNEL_BAD_INPUT'],
    ['OHLCV columns of different lengths', { indicator: 'atr', ohlcv: { high: [1, 2, 3], low: [1, 2], close: [1, 2, 3] } }, 400, 'ERR_KERNEL_BAD_INPUT'],
    ['an unknown field', { indicator: 'sma', series: closes, turbo: true }, 400, 'ERR_HTTP_BAD_REQUEST'],
    ['malformed JSON', '{"indicator":', 400, 'ERR_HTTP_MALFORMED_JSON'],
  ];
  it.each(hostile)('answers %s with a typed error', async (_name, body, status, code) => {
    const response = await post('/api/v1/indicators', body);
    expect(response.status).toBe(status);
    expect(response.json.error.code).toBe(code);
  });

  it('requires credentials', async () => {
    const response = await post('/api/v1/indicators', { indicator: 'sma', series: closes }, false);
    expect(response.status).toBe(401);
  });

  it('serves the catalogue', async () => {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/api/v1/indicators`, { headers: { authorization: `Bearer ${jwt}` } });
    const body = (await response.json()) as { indicators: { name: string }[] };
    expect(body.indicators.map((indicator) => indicator.name)).toEqual(expect.arrayContaining(['sma', 'ema', 'rsi', 'macd', 'atr', 'adx']));
  });
});

describe('POST /api/v1/risk/var', () => {
  const returns = Array.from({ length: 250 }, (_, day) => [0.01 * Math.sin(day), 0.012 * Math.cos(day * 1.3), 0.008 * Math.sin(day * 0.7 + 1)]);

  it('answers parametric VaR whose components sum to the total', async () => {
    const { status, json } = await post('/api/v1/risk/var', { positions: [1_000_000, 500_000, 250_000], returns, method: 'parametric', confidence: 0.99, horizon_days: 10 });
    expect(status).toBe(200);
    expect(json.var).toBeGreaterThan(0);
    expect(json.es).toBeGreaterThan(json.var);
    const sum = json.components.reduce((total: number, component: { component_var: number }) => total + component.component_var, 0);
    expect(sum).toBeCloseTo(json.var, 6);
  });

  it('answers Monte Carlo VaR on worker threads, reproducibly for a seed', async () => {
    const request = { positions: [1_000_000, 500_000, 250_000], returns, method: 'monte_carlo', confidence: 0.99, horizon_days: 5, paths: 20_000, seed: 7 };
    const first = await post('/api/v1/risk/var', request);
    const second = await post('/api/v1/risk/var', request);
    expect(first.status).toBe(200);
    expect(first.json.var).toBe(second.json.var);
  });

  it.each([
    ['confidence 1', { confidence: 1 }, 'ERR_HTTP_BAD_REQUEST'],
    ['an unknown method', { method: 'vibes' }, 'ERR_HTTP_BAD_REQUEST'],
    ['positions that do not match the returns', { positions: [1, 2] }, 'ERR_RISK_BAD_RETURNS'],
  ])('refuses %s with a typed error', async (_name, change, code) => {
    const response = await post('/api/v1/risk/var', { positions: [1, 2, 3], returns, method: 'parametric', confidence: 0.99, horizon_days: 1, ...change });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe(code);
  });
});

describe('POST /api/v1/portfolio/optimize', () => {
  const covariance = [
    [0.04, 0.006, 0.002],
    [0.006, 0.09, 0.01],
    [0.002, 0.01, 0.0225],
  ];
  const expected_returns = [0.08, 0.12, 0.06];

  it('returns long-only minimum-variance weights that sum to one', async () => {
    const { status, json } = await post('/api/v1/portfolio/optimize', { objective: 'min_variance', covariance, expected_returns });
    expect(status).toBe(200);
    expect(json.weights.reduce((total: number, weight: number) => total + weight, 0)).toBeCloseTo(1, 9);
    for (const weight of json.weights) expect(weight).toBeGreaterThanOrEqual(-1e-12);
  });

  it.each([
    ['a covariance that is not positive definite', { objective: 'min_variance', covariance: [[1, 2], [2, 1]], expected_returns: [0.1, 0.1] }, 'ERR_KERNEL_NOT_POSITIVE_DEFINITE'],
    ['bounds that cannot reach the budget', { objective: 'min_variance', covariance, expected_returns, constraints: { max_weight: 0.2 } }, 'ERR_KERNEL_INFEASIBLE'],
    ['an unknown objective', { objective: 'yolo', covariance, expected_returns }, 'ERR_HTTP_BAD_REQUEST'],
  ])('refuses %s with a typed error', async (_name, body, code) => {
    const response = await post('/api/v1/portfolio/optimize', body);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(response.json.error.code).toBe(code);
  });
});
