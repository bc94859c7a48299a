import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrderLoadResult } from '../../src/loadtest/orders.js';
import type { WsLoadResult } from '../../src/loadtest/ws-load.js';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';

const binary = new URL('../../bin/octopus.js', import.meta.url).pathname;

function octopus(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [binary, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function loadtestJson<T>(args: string[]): T {
  const result = octopus(['loadtest', ...args, '--json', '--quiet']);
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

let engine: EngineProcess;
let dataDir: string;
let target = '';
let key = { id: '', secret: '' };

beforeAll(async () => {
  dataDir = temporaryDataDir();
  addUsers(dataDir, [['desk', 'trader', 'desk-password-1']]);
  const added = octopus(['key', 'add', 'desk', '--data-dir', dataDir]);
  key = { id: /key_id: (\S+)/.exec(added.stdout)![1]!, secret: /secret: (\S+)/.exec(added.stdout)![1]! };
  // The simulated feed runs (the books have prices); the per-user request limit stays at its default (50/s).
  engine = await startEngineProcess(['--max-order-rate', '100000'], 60_000, dataDir);
  target = `http://127.0.0.1:${engine.port}`;
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('octopus loadtest orders (real engine process on loopback)', () => {
  it('submits IOC orders priced away from the book; each is acknowledged and ends unfilled in the engine', async () => {
    const result = loadtestJson<OrderLoadResult>(['orders', '--target', target, '--rate', '30', '--duration', '1', '--warmup', '0', '--connections', '2', '--username', 'desk', '--password', 'desk-password-1']);
    expect(result.sent).toBeGreaterThan(0);
    expect(result.by_code).toEqual({ '2xx': result.sent });
    expect(result.order).toMatchObject({ symbol: 'TCHA', side: 'buy', time_in_force: 'ioc' });
    expect(Number(result.order.limit_price)).toBeGreaterThan(1);
    const desk = await new ApiClient(target).login('desk', 'desk-password-1');
    const closed = await desk.call('GET', '/api/v1/orders?status=closed&limit=500');
    // An IOC that finds nothing at its price ends canceled (no liquidity) with nothing filled.
    const unfilled = (closed.json.orders as Array<{ status: string; filled_qty: string; limit_price: string }>).filter(
      (order) => (order.status === 'canceled' || order.status === 'expired') && order.filled_qty === '0' && order.limit_price === result.order.limit_price,
    );
    expect(unfilled.length).toBeGreaterThanOrEqual(result.ok);
  });

  it('signs every request with an API key, none refused as a replay', () => {
    const result = loadtestJson<OrderLoadResult>(['orders', '--target', target, '--rate', '30', '--duration', '1', '--warmup', '0', '--connections', '4', '--key-id', key.id, '--key-secret', key.secret]);
    expect(result.sent).toBeGreaterThan(0);
    expect(result.by_code).toEqual({ '2xx': result.sent });
  });

  it('counts the engine’s refusals by error code (over the per-user limit of 50/s)', () => {
    const result = loadtestJson<OrderLoadResult>(['orders', '--target', target, '--rate', '400', '--duration', '1', '--warmup', '0', '--connections', '8', '--username', 'desk', '--password', 'desk-password-1']);
    expect(result.by_code.ERR_RATE_LIMITED, JSON.stringify(result.by_code)).toBeGreaterThan(0);
    // Every sent request is counted once, under its code (timeouts under 'timeout').
    expect(Object.values(result.by_code).reduce((total, count) => total + count, 0)).toBe(result.sent);
    expect(result.ok).toBe(result.by_code['2xx'] ?? 0);
  });

  it('prints a table with the latency percentiles and the responses by code', () => {
    const result = octopus(['loadtest', 'orders', '--target', target, '--rate', '10', '--duration', '0.5', '--warmup', '0', '--connections', '1', '--username', 'desk', '--password', 'desk-password-1', '--quiet']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/latency +p50 .+ p99 .+ p99\.9 /);
    expect(result.stdout).toMatch(/responses by code:\n +2xx +\d+/);
  });

  it.each([
    ['no credentials', ['orders', '--target', 'http://127.0.0.1:1', '--rate', '1', '--duration', '1', '--connections', '1'], /ERR_CONFIG_INVALID: expected credentials/],
    ['a rate that is not a number', ['orders', '--target', 'http://127.0.0.1:1', '--rate', 'fast', '--duration', '1', '--connections', '1', '--token', 'x'], /ERR_CONFIG_INVALID: expected --rate/],
    ['an unknown flag', ['ws', '--target', 'http://127.0.0.1:1', '--bogus'], /ERR_CONFIG_INVALID/],
    ['an unknown kind', ['trades'], /expected "loadtest orders" or "loadtest ws"/],
  ])('refuses %s with exit code 2', (_name, args, message) => {
    const result = octopus(['loadtest', ...args]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it('says in one line, exit code 1, when the target refuses', () => {
    const result = octopus(['loadtest', 'orders', '--target', 'http://127.0.0.1:1', '--rate', '1', '--duration', '1', '--connections', '1', '--username', 'desk', '--password', 'x']);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('octopus loadtest ws (real engine process on loopback)', () => {
  it('subscribes every client to trades and book, counts frames without gaps and measures the latency', () => {
    const result = loadtestJson<WsLoadResult>(['ws', '--target', target, '--rate', '50', '--duration', '1.5', '--connections', '4', '--symbols', 'TCHA,TCHB,TCHC', '--latency']);
    expect(result.subscribed).toBe(4);
    expect(result.failed).toEqual({});
    expect(result.frames).toBeGreaterThan(0);
    expect(result.gaps).toBe(0);
    expect(result.emit_latency!.samples).toBeGreaterThan(0);
  });
});
