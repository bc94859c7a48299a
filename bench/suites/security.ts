/**
 * What a flood costs an authenticated user: the latency of a JWT-authenticated request
 * (GET /api/v1/me, one keep-alive connection, one request at a time) on an in-process gateway, while
 *
 * - baseline `jwt request, idle`: nothing else happens;
 * - `jwt request, 32 concurrent wrong-password logins`: 32 clients, each from its own loopback address,
 *   send wrong passwords back to back, with the login throttle relaxed so that every one reaches scrypt
 *   (the worst case for the password pool: one thread, 16 queued, the rest refused 503);
 * - `jwt request, 4 concurrent max-size viewer VaR`: 4 viewers ask for the largest Monte Carlo VaR their
 *   budget allows (1e8 normals), back to back, on the compute pool.
 *
 * Rows report per-request p50 and p99 and requests/s at the p50; the ratio is against the idle baseline
 * of the same run (1.0 = the flood costs the authenticated user nothing).
 */
import { Agent, request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Authenticator } from '../../src/gateway/auth/authenticator.js';
import { defaultLoginThrottleOptions } from '../../src/gateway/auth/login-throttle.js';
import { RateLimiter } from '../../src/gateway/auth/rate-limiter.js';
import { UserStore } from '../../src/gateway/auth/users.js';
import { startGateway } from '../../src/gateway/http/server.js';
import { authRoutes } from '../../src/gateway/routes/auth-routes.js';
import { ComputePool } from '../../src/gateway/routes/compute-pool.js';
import { computeRoutesOn } from '../../src/gateway/routes/compute-routes.js';
import { openStateStore } from '../../src/store/state-store.js';
import { quantileSorted, withRatios, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kSuite = 'security';
const kBaseline = 'jwt request, idle';

function call(port: number, method: string, path: string, options: { agent?: Agent; localAddress?: string; token?: string; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: '127.0.0.1', port, method, path, agent: options.agent ?? false, localAddress: options.localAddress, headers: options.token === undefined ? {} : { authorization: `Bearer ${options.token}` } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** Runs `loop` in `count` concurrent copies until `stop()` is called; resolves when all have ended. */
function flood(count: number, loop: (index: number) => Promise<unknown>): { stop(): Promise<void> } {
  let running = true;
  const loops = Array.from({ length: count }, async (_, index) => {
    while (running) await loop(index);
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function measure(name: string, port: number, agent: Agent, token: string, requests: number): Promise<BenchRow> {
  const latenciesNs: number[] = [];
  for (let index = 0; index < requests; index++) {
    const start = process.hrtime.bigint();
    const status = await call(port, 'GET', '/api/v1/me', { agent, token });
    latenciesNs.push(Number(process.hrtime.bigint() - start));
    if (status !== 200) throw new Error(`expected 200 from /api/v1/me, was ${status}`);
  }
  const sorted = Float64Array.from(latenciesNs).sort();
  const p50 = quantileSorted(sorted, 0.5);
  return { suite: kSuite, case: name, ops_per_s: 1e9 / p50, p50_ns: p50, p99_ns: quantileSorted(sorted, 0.99), baseline: null, ratio_vs_baseline: null, unit: 'request' };
}

function monteCarloBody(): string {
  const assets = 10;
  const returns = Array.from({ length: 60 }, (_, row) => Array.from({ length: assets }, (_, column) => Math.sin(row * 7 + column) * 0.01));
  return JSON.stringify({ positions: Array(assets).fill(1e5), returns, method: 'monte_carlo', confidence: 0.99, horizon_days: 10, paths: 1_000_000, seed: 1 });
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const store = openStateStore(mkdtempSync(join(tmpdir(), 'octopus-bench-security-')));
  const users = new UserStore(store);
  await users.addUser('trader1', 'trader', 'trader-password');
  for (let index = 0; index < 4; index++) await users.addUser(`viewer${index}`, 'viewer', 'viewer-password');
  const relaxed = { ...defaultLoginThrottleOptions, freeFailures: 1_000_000, lockoutFailures: 1_000_001, inFlightPerAddress: 1_000, inFlightPerUser: 1_000 };
  const authenticator = new Authenticator(users, store, { tokenLifetimeSeconds: 900, receiveWindowMs: 5_000, maxRememberedSignatures: 1_000, login: relaxed });
  const pool = new ComputePool();
  const limiter = (): RateLimiter => new RateLimiter({ ratePerSecond: 1_000_000, burst: 1_000_000 });
  const gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    health: () => ({ status: 'ok' }),
    security: { authenticator, principalLimiter: limiter(), addressLimiter: limiter() },
    routes: [authRoutes(authenticator), computeRoutesOn(pool)],
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const requests = options.quick ? 50 : 1_000;
  try {
    const token = (await authenticator.issueToken('trader1', 'trader-password', '127.0.0.1')).access_token;
    const viewers = await Promise.all([0, 1, 2, 3].map(async (index) => (await authenticator.issueToken(`viewer${index}`, 'viewer-password', '127.0.0.1')).access_token));
    await measure('warm-up', gateway.port, agent, token, 20);
    const rows = [await measure(kBaseline, gateway.port, agent, token, requests)];
    const logins = flood(32, (index) =>
      call(gateway.port, 'POST', '/api/v1/auth/token', { localAddress: `127.0.1.${index + 1}`, body: JSON.stringify({ username: `nobody${index}`, password: 'wrong-password' }) }),
    );
    rows.push(await measure('jwt request, 32 concurrent wrong-password logins', gateway.port, agent, token, requests));
    await logins.stop();
    const body = monteCarloBody();
    const compute = flood(4, (index) => call(gateway.port, 'POST', '/api/v1/risk/var', { token: viewers[index]!, body }));
    rows.push(await measure('jwt request, 4 concurrent max-size viewer VaR', gateway.port, agent, token, requests));
    await compute.stop();
    return withRatios(rows, kBaseline);
  } finally {
    agent.destroy();
    gateway.close();
    await pool.close();
    await authenticator.close();
    await store.close();
  }
}

const suite: BenchSuite = { name: kSuite, description: 'JWT request latency while logins or compute requests flood the gateway', run };
export default suite;
