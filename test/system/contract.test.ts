/**
 * The API contract on a real engine process: the served OpenAPI document lints clean with Redocly's
 * recommended rules, and every operation in it is called here with real answers validated against
 * their schemas (ApiClient validates each one), successes and the typical refusals alike; the test
 * fails if any operation of the document was not seen.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiClient, addApiKey, addUsers, contractOf } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

let engine: EngineProcess;
let base: string;
let alice: ApiClient;
let root: ApiClient;
let rita: ApiClient;
let alpaca: ApiClient;
let anonymous: ApiClient;

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [
    ['alice', 'trader', 'alice-password'],
    ['root', 'admin', 'root-password'],
    ['rita', 'risk_officer', 'rita-password'],
  ]);
  const key = addApiKey(dataDir, 'alice');
  engine = await startEngineProcess(['--symbols', 'ACME,BETA', '--feed-rate', '40', '--bar-intervals-ms', '1000'], 60_000, dataDir);
  base = `http://127.0.0.1:${engine.port}`;
  alice = await new ApiClient(base).login('alice', 'alice-password');
  root = await new ApiClient(base).login('root', 'root-password');
  rita = await new ApiClient(base).login('rita', 'rita-password');
  alpaca = new ApiClient(base, '', { 'APCA-API-KEY-ID': key.keyId, 'APCA-API-SECRET-KEY': key.secret });
  anonymous = new ApiClient(base);
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('the OpenAPI contract (real engine process)', () => {
  it('lints clean with Redocly (recommended rules, no warnings)', async () => {
    const document = (await contractOf(base)).document;
    const file = join(mkdtempSync(join(tmpdir(), 'octopus-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(document, null, 2));
    const redocly = new URL('../../node_modules/.bin/redocly', import.meta.url).pathname;
    const result = spawnSync(redocly, ['lint', file, '--format=summary'], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output).toBe(0);
    expect(output).not.toMatch(/^(warning|error)\s/m);
    expect(output).toContain('Your API description is valid');
    // The literal `:by_client_id` stays a literal; query parameters are declared.
    expect(Object.keys(document.paths)).toContain('/api/v1/orders:by_client_id/{client_order_id}');
    const list = document.paths['/api/v1/orders'].get;
    expect(list.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['status', 'limit', 'page_token']);
    expect(document.paths['/api/v1/market/{symbol}/bars'].get.parameters.map((parameter: { name: string }) => parameter.name)).toEqual(['symbol', 'interval', 'from', 'to', 'limit', 'page_token']);
  });

  it('describes /ws in an AsyncAPI 3 document whose refs resolve and whose frames match what the feed sends', async () => {
    const document = (await anonymous.call('GET', '/api/v1/asyncapi.json')).json;
    expect(document.asyncapi).toBe('3.0.0');
    const unresolved = [...JSON.stringify(document).matchAll(/"\$ref":"#\/([^"]+)"/g)].map(([, pointer]) => pointer!).filter((pointer) => pointer.split('/').reduce((node: any, key) => node?.[key], document) === undefined);
    expect(unresolved).toEqual([]);
    for (const name of Object.keys(document.channels)) {
      expect(Object.values<any>(document.operations).some((operation) => operation.channel.$ref === `#/channels/${name}`), `an operation on ${name}`).toBe(true);
    }
    // Real frames against the message payloads.
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
    for (const [name, schema] of Object.entries<object>(document.components.schemas)) ajv.addSchema(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', '"asyncapi:')), `asyncapi:${name}`);
    const validator = (message: string) => ajv.compile(JSON.parse(JSON.stringify(document.components.messages[message].payload).replaceAll('"#/components/schemas/', '"asyncapi:')));
    const socket = new WebSocket(`ws://127.0.0.1:${engine.port}/ws`);
    const frames: any[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: ['trades:ACME', 'book:ACME'] }));
    await eventually(() => expect(frames.filter((frame) => frame.channel === 'trades:ACME').length).toBeGreaterThan(0), { timeoutMs: 20_000, intervalMs: 50 });
    socket.close();
    const trade = validator('tradeFrame');
    const book = validator('bookFrame');
    for (const frame of frames.filter((candidate) => candidate.channel === 'trades:ACME')) expect(trade(frame), ajv.errorsText(trade.errors)).toBe(true);
    for (const frame of frames.filter((candidate) => candidate.channel === 'book:ACME')) expect(book(frame), ajv.errorsText(book.errors)).toBe(true);
  });

  it('answers every operation in the document as documented', async () => {
    await exerciseMarketData();
    await exerciseOrders();
    await exerciseAlpaca();
    await exerciseTheRest();
    const contract = await contractOf(base);
    const missing = contract.operationIds.filter((operationId) => !contract.seen.has(operationId));
    expect(missing, 'operations never called with a validated answer').toEqual([]);
    const statuses = new Set([...contract.seen.values()].flatMap((set) => [...set]));
    for (const status of [200, 201, 204, 207, 400, 401, 403, 404, 409, 422]) expect(statuses.has(status), `status ${status} seen`).toBe(true);
  });
});

async function exerciseMarketData(): Promise<void> {
  expect((await anonymous.call('GET', '/api/v1/symbols')).status).toBe(200);
  await eventually(async () => expect((await anonymous.call('GET', '/api/v1/market/ACME/trades?limit=5')).json.trades.length).toBeGreaterThan(0), { timeoutMs: 30_000, intervalMs: 200 });
  expect((await anonymous.call('GET', '/api/v1/market/ACME/bars?interval=1s&limit=5')).status).toBe(200);
  expect((await anonymous.call('GET', '/api/v1/market/ACME/book?depth=3')).status).toBe(200);
  expect((await anonymous.call('GET', '/api/v1/market/ACME/book?depth=3&level=3')).status).toBe(200);
  expect((await anonymous.call('GET', '/api/v1/market/NOPE/book')).status).toBe(404);
  expect((await anonymous.call('GET', '/api/v1/market/ACME/trades?limit=zero')).status).toBe(400);
}

async function exerciseOrders(): Promise<void> {
  const book = (await alice.call('GET', '/api/v1/market/ACME/book?depth=1')).json;
  const bid = Number(book.bids[0]?.[0] ?? '100.00');
  const price = (bid - 1).toFixed(2);
  const created = await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '2', limit_price: price, client_order_id: 'contract-1' });
  expect(created.status).toBe(201);
  expect((await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '2', limit_price: price, client_order_id: 'contract-1' })).status).toBe(200);
  expect((await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '3', limit_price: price, client_order_id: 'contract-1' })).status).toBe(409);
  expect((await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: (bid * 2).toFixed(2) })).status).toBe(422);
  expect((await anonymous.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: price })).status).toBe(401);
  expect((await rita.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: price })).status).toBe(403);
  const id = created.json.id as string;
  expect((await alice.call('GET', `/api/v1/orders/${id}`)).status).toBe(200);
  expect((await alice.call('GET', '/api/v1/orders/999999')).status).toBe(404);
  expect((await alice.call('GET', '/api/v1/orders:by_client_id/contract-1')).status).toBe(200);
  expect((await alice.call('PATCH', `/api/v1/orders/${id}`, { qty: '3' })).status).toBe(200);
  // Pages: one order per page, newest first, then the older one.
  await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: price, client_order_id: 'contract-2' });
  const first = await alice.call('GET', '/api/v1/orders?status=open&limit=1');
  expect(first.json.orders.map((order: { client_order_id: string }) => order.client_order_id)).toEqual(['contract-2']);
  const second = await alice.call('GET', `/api/v1/orders?status=open&limit=1&page_token=${first.json.next_page_token}`);
  expect(second.json.orders.map((order: { client_order_id: string }) => order.client_order_id)).toEqual(['contract-1']);
  expect((await alice.call('DELETE', `/api/v1/orders/${id}`)).status).toBe(200);
  expect((await alice.call('DELETE', '/api/v1/orders')).json.canceled).toHaveLength(1);
  expect((await alice.call('GET', '/api/v1/positions')).status).toBe(200);
  expect((await alice.call('GET', '/api/v1/account')).status).toBe(200);
}

async function exerciseAlpaca(): Promise<void> {
  expect((await alpaca.call('GET', '/v2/account')).json.id).toBe('alice');
  const bid = Number((await alpaca.call('GET', '/api/v1/market/ACME/book?depth=1')).json.bids[0]?.[0] ?? '100.00');
  const order = await alpaca.call('POST', '/v2/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: (bid - 1).toFixed(2), time_in_force: 'day', client_order_id: 'apca-1' });
  expect(order.status).toBe(200);
  expect((await alpaca.call('GET', '/v2/orders?status=open&limit=10&direction=desc')).json.map((entry: { id: string }) => entry.id)).toContain(order.json.id);
  expect((await alpaca.call('GET', `/v2/orders/${order.json.id}?nested=false`)).status).toBe(200);
  expect((await alpaca.call('GET', '/v2/orders:by_client_order_id?client_order_id=apca-1')).status).toBe(200);
  expect((await alpaca.call('PATCH', `/v2/orders/${order.json.id}`, { qty: '2' })).status).toBe(200);
  expect((await alpaca.call('DELETE', `/v2/orders/${order.json.id}`)).status).toBe(204);
  await alpaca.call('POST', '/v2/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: (bid - 1).toFixed(2), time_in_force: 'gtc' });
  expect((await alpaca.call('DELETE', '/v2/orders')).status).toBe(207);
  expect((await alpaca.call('GET', '/v2/positions')).status).toBe(200);
  expect((await alpaca.call('GET', '/v2/positions/ACME')).status).toBe(404);
  const wrongSecret = new ApiClient(base, '', { 'APCA-API-KEY-ID': 'nope', 'APCA-API-SECRET-KEY': 'nope' });
  expect((await wrongSecret.call('GET', '/v2/account')).status).toBe(401);
}

async function exerciseTheRest(): Promise<void> {
  expect((await anonymous.call('GET', '/health')).status).toBe(200);
  expect((await anonymous.call('GET', '/metrics')).status).toBe(200);
  expect((await anonymous.call('GET', '/api/v1/openapi.json')).status).toBe(200);
  expect((await anonymous.call('GET', '/api/v1/asyncapi.json')).status).toBe(200);
  expect((await anonymous.call('POST', '/api/v1/auth/token', { username: 'alice', password: 'wrong-password' })).status).toBe(401);
  expect((await alice.call('GET', '/api/v1/me')).status).toBe(200);
  expect((await root.call('GET', '/api/v1/security/events?limit=10')).status).toBe(200);
  expect((await root.call('GET', '/api/v1/admin/state-hash')).status).toBe(200);
  expect((await rita.call('POST', '/api/v1/risk/kill-switch', { active: false })).status).toBe(200);
  expect((await alice.call('GET', '/api/v1/risk/kill-switch')).status).toBe(200);
  const alert = await alice.call('POST', '/api/v1/alerts', { symbol: 'ACME', condition: { kind: 'price_cross', level: '1000.00', direction: 'above' } });
  expect(alert.status).toBe(201);
  expect((await alice.call('GET', '/api/v1/alerts')).json).toHaveLength(1);
  expect((await alice.call('DELETE', `/api/v1/alerts/${alert.json.id}`)).status).toBe(200);
  expect((await alice.call('GET', '/api/v1/strategies')).json).toEqual([]);
  expect((await alice.call('GET', '/api/v1/strategies/none')).status).toBe(404);
  expect((await alice.call('POST', '/api/v1/strategies/none/start', {})).status).toBe(404);
  expect((await alice.call('POST', '/api/v1/strategies/none/stop', {})).status).toBe(404);
  const closes = Array.from({ length: 80 }, (_, day) => 100 + 5 * Math.sin(day / 6));
  const bars = { symbol: 'ACME', time: closes.map((_, day) => 1_700_000_000_000 + day * 86_400_000), open: closes, high: closes.map((close) => close + 1), low: closes.map((close) => close - 1), close: closes, volume: closes.map(() => 1_000) };
  const job = await alice.call('POST', '/api/v1/backtests', { strategy: 'sma_cross', params: { fast: 5, slow: 20 }, bars: [bars] });
  expect(job.status).toBe(202);
  expect((await alice.call('GET', `/api/v1/backtests/${job.json.id}`)).status).toBe(200);
  expect((await alice.call('GET', '/api/v1/backtests')).json.map((listed: { id: string }) => listed.id)).toContain(job.json.id);
  await eventually(async () => expect((await alice.call('GET', `/api/v1/backtests/${job.json.id}`)).json.status).toBe('done'));
  expect((await alice.call('GET', `/api/v1/backtests/${job.json.id}/report`)).status).toBe(200);
  expect((await alice.call('GET', '/api/v1/indicators')).status).toBe(200);
  expect((await alice.call('POST', '/api/v1/indicators', { indicator: 'sma', params: { period: 2 }, series: [1, 2, 3, 4] })).status).toBe(200);
  const returns = Array.from({ length: 30 }, (_, day) => [Math.sin(day) / 100, Math.cos(day) / 100]);
  expect((await alice.call('POST', '/api/v1/risk/var', { positions: [1_000, 2_000], returns, method: 'historical', confidence: 0.95, horizon_days: 1 })).status).toBe(200);
  expect((await alice.call('POST', '/api/v1/portfolio/optimize', { objective: 'min_variance', returns })).status).toBe(200);
}
