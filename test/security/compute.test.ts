/**
 * Compute requests as a denial-of-service lever: per-role budgets (413 before any work, naming the
 * quantity), a per-role body limit checked before the body is read, and a bounded low-priority pool
 * whose queue, per-caller share and deadline answer 503 with Retry-After, while other routes are served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from '../../src/gateway/http/server.js';
import { computeRoutesOn } from '../../src/gateway/routes/compute-routes.js';
import { ComputePool } from '../../src/gateway/routes/compute-pool.js';
import { computeBudgets } from '../../src/gateway/routes/compute-budget.js';
import { Authenticator } from '../../src/gateway/auth/authenticator.js';
import { UserStore } from '../../src/gateway/auth/users.js';
import { openStateStore, type StateStore } from '../../src/store/state-store.js';
import { requestFrom, sendPartialBody, retryLaterAnswers, startSecuredGateway, tokenFor, type RawResponse } from './support.js';

let store: StateStore;
let authenticator: Authenticator;
const gateways: Gateway[] = [];
const pools: ComputePool[] = [];
const tokens: Record<string, string> = {};

function returns(rows: number, columns: number): number[][] {
  let seed = 7;
  return Array.from({ length: rows }, () =>
    Array.from({ length: columns }, () => {
      seed = (seed * 16_807) % 2_147_483_647;
      return (seed / 2_147_483_647 - 0.5) * 0.02;
    }),
  );
}

function monteCarlo(paths: number, assets: number, horizonDays: number): Record<string, unknown> {
  return { positions: Array(assets).fill(100_000), returns: returns(Math.max(60, 2 * assets), assets), method: 'monte_carlo', confidence: 0.99, horizon_days: horizonDays, paths, seed: 1 };
}

async function serve(pool: ComputePool): Promise<number> {
  pools.push(pool);
  const gateway = await startSecuredGateway(authenticator, [computeRoutesOn(pool)]);
  gateways.push(gateway);
  return gateway.port;
}

function post(port: number, user: string, path: string, body: unknown): Promise<RawResponse> {
  return requestFrom('127.0.0.1', port, 'POST', path, { body: JSON.stringify(body), headers: { authorization: `Bearer ${tokens[user]}` } });
}

let port = 0;

beforeAll(async () => {
  store = openStateStore(mkdtempSync(join(tmpdir(), 'octopus-compute-dos-')));
  const users = new UserStore(store);
  for (const [username, role] of [['vera', 'viewer'], ['rita', 'risk_officer'], ['adam', 'admin']] as const) await users.addUser(username, role, `${username}-password`);
  authenticator = new Authenticator(users, store);
  port = await serve(new ComputePool({ threads: 1, maxQueue: 4, perCallerMax: 2, timeoutMs: 30_000 }));
  for (const username of ['vera', 'rita', 'adam']) {
    tokens[username] = await tokenFor(port, username, `${username}-password`);
  }
});

afterAll(async () => {
  for (const gateway of gateways) gateway.close();
  for (const pool of pools) await pool.close();
  await authenticator.close();
  await store.close();
});

describe('compute budgets by role', () => {
  const overBudget: Array<[string, string, unknown, string]> = [
    ['Monte Carlo paths x assets x horizon', '/api/v1/risk/var', monteCarlo(1_000_000, 10, 20), 'expected paths x assets x horizon_days <= 100000000 for a viewer, was 1000000 x 10 x 20'],
    ['VaR assets', '/api/v1/risk/var', { positions: Array(201).fill(1), returns: returns(5, 201), method: 'historical', confidence: 0.99, horizon_days: 1 }, 'expected assets <= 200 for a viewer, was 201'],
    ['optimiser assets', '/api/v1/portfolio/optimize', { objective: 'min_variance', returns: returns(10, 250) }, 'expected assets <= 200 for a viewer, was 250'],
    ['indicator points', '/api/v1/indicators', { indicator: 'sma', params: { period: 5 }, series: Array(100_001).fill(1) }, 'expected indicator input points <= 100000 for a viewer, was 100001'],
  ];
  it.each(overBudget)('refuses a viewer %s over budget with 413 ERR_COMPUTE_OVER_BUDGET naming it', async (_name, path, body, message) => {
    const response = await post(port, 'vera', path, body);
    expect(response.status).toBe(413);
    expect(response.json.error).toEqual({ code: 'ERR_COMPUTE_OVER_BUDGET', message });
  });

  it('computes the same Monte Carlo request for a risk officer', async () => {
    const response = await post(port, 'rita', '/api/v1/risk/var', monteCarlo(1_000_000, 10, 20));
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ method: 'monte_carlo', paths: 1_000_000 });
    expect(response.json.var).toBeGreaterThan(0);
  });

  it('keeps each role inside the kernels ceiling and orders the roles', () => {
    expect(computeBudgets.viewer.monteCarloNormals).toBeLessThan(computeBudgets.trader.monteCarloNormals);
    expect(computeBudgets.trader.monteCarloNormals).toBeLessThan(computeBudgets.risk_officer.monteCarloNormals);
    expect(computeBudgets.admin.monteCarloNormals).toBe(2e10);
  });

  it('refuses a viewer body over its 1 MiB limit with 413 before reading it', async () => {
    const response = await sendPartialBody(port, ['POST /api/v1/risk/var HTTP/1.1', 'Host: 127.0.0.1', `Authorization: Bearer ${tokens.vera}`], 2 * 1024 * 1024, 1_024);
    expect(response.head).toMatch(/^HTTP\/1\.1 413 /);
    expect(response.body.error).toEqual({ code: 'ERR_HTTP_BODY_TOO_LARGE', message: 'expected a body of at most 1048576 bytes, was 2097152' });
  });
});

describe('the compute pool', () => {
  it('refuses past the queue and past a caller share with 503 ERR_COMPUTE_BUSY and Retry-After, and serves other routes meanwhile', async () => {
    const heavy = monteCarlo(2_000_000, 20, 20);
    const finished: string[] = [];
    const computations = ['adam', 'adam', 'adam', 'rita', 'rita', 'rita'].map((user) =>
      post(port, user, '/api/v1/risk/var', heavy).then((response) => {
        finished.push('compute');
        return response;
      }),
    );
    const light = requestFrom('127.0.0.1', port, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${tokens.vera}` } }).then((response) => {
      finished.push('me');
      return response;
    });
    const answers = await Promise.all(computations);
    expect((await light).status).toBe(200);
    expect(finished.indexOf('me')).toBeLessThan(finished.lastIndexOf('compute'));
    const busy = retryLaterAnswers(answers, 503, 'ERR_COMPUTE_BUSY');
    // Two per caller: the third request of each is refused whatever the queue holds.
    expect(busy.length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((answer) => answer.status === 200).length + busy.length).toBe(6);
  });

  it('stops a computation past its deadline with 503 ERR_COMPUTE_TIMEOUT, and computes again afterwards', async () => {
    // The deadline covers a worker's start (kernels loading under tsx), so it is a few seconds here.
    const quickPort = await serve(new ComputePool({ threads: 1, maxQueue: 4, perCallerMax: 2, timeoutMs: 4_000 }));
    const small = { positions: [1, 2], returns: returns(30, 2), method: 'historical', confidence: 0.95, horizon_days: 1 };
    expect((await post(quickPort, 'adam', '/api/v1/risk/var', small)).status).toBe(200);
    // About 2e10 normals: far longer than the deadline.
    const late = await post(quickPort, 'adam', '/api/v1/risk/var', monteCarlo(10_000_000, 100, 20));
    expect(late.status).toBe(503);
    expect(late.json.error).toEqual({ code: 'ERR_COMPUTE_TIMEOUT', message: 'expected the var computation to finish within 4000 ms, was still running (stopped)' });
    expect(late.headers['retry-after']).toBe('1');
    const again = await post(quickPort, 'adam', '/api/v1/risk/var', small);
    expect(again.status, JSON.stringify(again.json)).toBe(200);
  });

  it('passes the kernels typed errors through from the worker', async () => {
    const response = await post(port, 'vera', '/api/v1/risk/var', { positions: [1, 2], returns: returns(30, 2), method: 'historical', confidence: 0.99, horizon_days: 1000 });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('ERR_RISK_BAD_HORIZON');
  });
});
