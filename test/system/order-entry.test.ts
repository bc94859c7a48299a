import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';

let engine: EngineProcess;
let dataDir: string;
let alice: ApiClient;
let bob: ApiClient;
let viewer: ApiClient;
let officer: ApiClient;

async function connect(): Promise<void> {
  const base = `http://127.0.0.1:${engine.port}`;
  alice = await new ApiClient(base).login('alice', 'alice-password');
  bob = await new ApiClient(base).login('bob', 'bob-password');
  viewer = await new ApiClient(base).login('vera', 'vera-password');
  officer = await new ApiClient(base).login('rita', 'rita-password');
}

beforeAll(async () => {
  dataDir = temporaryDataDir();
  addUsers(dataDir, [
    ['alice', 'trader', 'alice-password'],
    ['bob', 'trader', 'bob-password'],
    ['vera', 'viewer', 'vera-password'],
    ['rita', 'risk_officer', 'rita-password'],
  ]);
  engine = await startEngineProcess(['--feed-rate', '0', '--symbols', 'ACME,BETA'], 60_000, dataDir);
  await connect();
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('order entry over REST (real engine process)', () => {
  let restingId = '';

  it('accepts a resting limit order (201, status new) and matches a crossing one', async () => {
    const sell = await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'sell', type: 'limit', qty: '10', limit_price: '100.00', client_order_id: 'a-1' });
    expect(sell.status).toBe(201);
    // The wire format (docs/api.md): decimals as strings with the instrument's decimals (ACME: tick 0.01, lot 1).
    expect(sell.json).toMatchObject({ symbol: 'ACME', side: 'sell', qty: '10', limit_price: '100.00', status: 'new', client_order_id: 'a-1', filled_qty: '0', order_class: 'simple' });
    expect(sell.json.submitted_at).toBe(new Date(sell.json.created_at_ms).toISOString());
    restingId = sell.json.id;
    const buy = await bob.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 4, limit_price: 100, time_in_force: 'ioc' });
    expect(buy.status).toBe(201);
    expect(buy.json).toMatchObject({ status: 'filled', filled_qty: '4', filled_avg_price: '100.000000' });
    expect(buy.json.filled_at).toEqual(expect.any(String));
    const resting = await alice.call('GET', `/api/v1/orders/${restingId}`);
    expect(resting.json).toMatchObject({ status: 'partially_filled', filled_qty: '4' });
    expect(resting.json.history.map((entry: { status: string }) => entry.status)).toEqual(['new', 'partially_filled']);
  });

  it('returns the existing order for a retried client_order_id, never a second one', async () => {
    const retry = await alice.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'sell', type: 'limit', qty: '10', limit_price: '100.00', client_order_id: 'a-1' });
    expect(retry.status).toBe(200);
    expect(retry.json.id).toBe(restingId);
    const byClientId = await alice.call('GET', '/api/v1/orders:by_client_id/a-1');
    expect(byClientId.json.id).toBe(restingId);
    const open = await alice.call('GET', '/api/v1/orders?status=open');
    expect(open.json.orders.map((order: { id: string }) => order.id)).toEqual([restingId]);
    expect(open.json.next_page_token).toBeNull();
  });

  it('keeps positions, cash and fees per account', async () => {
    const bobPositions = await bob.call('GET', '/api/v1/positions');
    expect(bobPositions.json).toEqual([expect.objectContaining({ symbol: 'ACME', qty: '4', side: 'long', avg_entry_price: '100.000000', market_value: '400.00' })]);
    const aliceAccount = await alice.call('GET', '/api/v1/account');
    // Alice sold 4 @ 100 as maker (0.5 bp fee): cash 1,000,000 + 400 - 0.02, exact (money with fixed decimals).
    expect(aliceAccount.json).toMatchObject({ cash: '1000399.98', fees_paid: '0.02', currency: 'USD', trading_blocked: false });
    const alicePositions = await alice.call('GET', '/api/v1/positions');
    expect(alicePositions.json[0]).toMatchObject({ qty: '-4', side: 'short', unrealized_pl: '0.00' });
  });

  const hostile: Array<[string, unknown, number, string]> = [
    ['an off-tick price', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 100.001 }, 400, 'ERR_ORDER_BAD_TICK'],
    ['a negative quantity', { symbol: 'ACME', side: 'buy', type: 'limit', qty: -1, limit_price: 100 }, 400, 'ERR_ORDER_BAD_QTY'],
    ['a zero quantity', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 0, limit_price: 100 }, 400, 'ERR_ORDER_BAD_QTY'],
    ['a fractional lot', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1.5, limit_price: 100 }, 400, 'ERR_ORDER_BAD_LOT'],
    ['a huge quantity', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1e300, limit_price: 100 }, 400, 'ERR_ORDER_BAD_QTY'],
    ['an infinite quantity (1e999)', '{"symbol":"ACME","side":"buy","type":"limit","qty":1e999,"limit_price":100}', 400, 'ERR_HTTP_BAD_REQUEST'],
    ['a quantity that is not a number', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 'ten', limit_price: 100 }, 400, 'ERR_HTTP_BAD_REQUEST'],
    ['an unknown symbol', { symbol: 'NOPE', side: 'buy', type: 'limit', qty: 1, limit_price: 100 }, 404, 'ERR_BOOK_UNKNOWN_SYMBOL'],
    ['an unknown side', { symbol: 'ACME', side: 'short', type: 'limit', qty: 1, limit_price: 100 }, 400, 'ERR_HTTP_BAD_REQUEST'],
    ['a limit order without a price', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1 }, 400, 'ERR_ORDER_BAD_PRICE'],
    ['a price outside the 10% collar', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 111 }, 422, 'ERR_RISK_PRICE_COLLAR'],
    ['more than the buying power', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 20_000, limit_price: 100 }, 422, 'ERR_RISK_BUYING_POWER'],
    ['malformed JSON', '{"symbol":', 400, 'ERR_HTTP_MALFORMED_JSON'],
  ];
  it.each(hostile)('refuses %s with a typed error and changes nothing', async (_name, body, status, code) => {
    const before = await bob.call('GET', '/api/v1/orders?status=all');
    const response = await bob.call('POST', '/api/v1/orders', body);
    expect(response.status).toBe(status);
    expect(response.json.error.code).toBe(code);
    expect((await bob.call('GET', '/api/v1/orders?status=all')).json).toEqual(before.json);
  });

  it('replaces and cancels, reporting each transition', async () => {
    const replaced = await alice.call('PATCH', `/api/v1/orders/${restingId}`, { qty: 8, limit_price: '101.50' });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ qty: '8', limit_price: '101.50', status: 'partially_filled' });
    const canceled = await alice.call('DELETE', `/api/v1/orders/${restingId}`);
    expect(canceled.json).toMatchObject({ status: 'canceled', filled_qty: '4' });
    expect(canceled.json.canceled_at).toEqual(expect.any(String));
    const again = await alice.call('DELETE', `/api/v1/orders/${restingId}`);
    expect(again.status).toBe(400);
    const unknown = await alice.call('DELETE', '/api/v1/orders/999999');
    expect(unknown).toMatchObject({ status: 404, json: { error: { code: 'ERR_ORDER_UNKNOWN' } } });
    // Another account's order is as unknown as a missing one.
    expect((await bob.call('GET', `/api/v1/orders/${restingId}`)).status).toBe(404);
  });

  it('denies a viewer the right to trade (403), and lets a risk officer halt and resume trading', async () => {
    const denied = await viewer.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 100 });
    expect(denied).toMatchObject({ status: 403, json: { error: { code: 'ERR_AUTH_FORBIDDEN' } } });
    expect((await alice.call('POST', '/api/v1/risk/kill-switch', { active: true })).status).toBe(403);

    const open = await bob.call('POST', '/api/v1/orders', { symbol: 'BETA', side: 'buy', type: 'limit', qty: 5, limit_price: 50 });
    expect(open.json.status).toBe('new');
    const halted = await officer.call('POST', '/api/v1/risk/kill-switch', { active: true, account: 'bob' });
    expect(halted).toMatchObject({ status: 200, json: { global: false, accounts: ['bob'] } });
    expect((await bob.call('GET', `/api/v1/orders/${open.json.id}`)).json.status).toBe('canceled');
    const blocked = await bob.call('POST', '/api/v1/orders', { symbol: 'BETA', side: 'buy', type: 'limit', qty: 5, limit_price: 50 });
    expect(blocked).toMatchObject({ status: 403, json: { error: { code: 'ERR_RISK_KILL_SWITCH' } } });
    await officer.call('POST', '/api/v1/risk/kill-switch', { active: false, account: 'bob' });
    expect((await bob.call('POST', '/api/v1/orders', { symbol: 'BETA', side: 'buy', type: 'limit', qty: 5, limit_price: 50 })).status).toBe(201);
  });

  it('comes back with identical orders and balances after a restart (journal replay)', async () => {
    const snapshot = async () => ({
      aliceOrders: (await alice.call('GET', '/api/v1/orders?status=all')).json,
      bobOrders: (await bob.call('GET', '/api/v1/orders?status=all')).json,
      aliceAccount: (await alice.call('GET', '/api/v1/account')).json,
      bobAccount: (await bob.call('GET', '/api/v1/account')).json,
      killSwitch: (await bob.call('GET', '/api/v1/risk/kill-switch')).json,
    });
    const before = await snapshot();
    expect(await engine.stop('SIGTERM')).toBe(0);
    engine = await startEngineProcess(['--feed-rate', '0', '--symbols', 'ACME,BETA'], 60_000, dataDir);
    await connect();
    expect(await snapshot()).toEqual(before);
  });
});
