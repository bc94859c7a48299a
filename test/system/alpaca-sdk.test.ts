/**
 * Alpaca's official SDK (@alpacahq/alpaca-trade-api) against a real engine process, with nothing
 * between them: only its base path points at the engine, and its APCA-API-KEY-ID / APCA-API-SECRET-KEY
 * headers carry an Octopus API key. Account, orders (submit, list, get, cancel), positions. Every
 * answer the SDK receives is also validated against the served OpenAPI document (through its fetch).
 */
import { trading } from '@alpacahq/alpaca-trade-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, addUsers, contractOf } from '../support/api-client.js';
import type { Contract } from '../support/contract.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

let engine: EngineProcess;
let contract: Contract;
let accounts: trading.AccountsApi;
let orders: trading.OrdersApi;
let positions: trading.PositionsApi;

/** The SDK's fetch, checking each answer against the contract on the way. */
async function validatingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const text = await response.clone().text();
  contract.validate(init?.method ?? 'GET', url.pathname + url.search, response.status, text === '' ? null : JSON.parse(text));
  return response;
}

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['alice', 'trader', 'alice-password']]);
  const key = addApiKey(dataDir, 'alice');
  engine = await startEngineProcess(['--symbols', 'ACME', '--feed-rate', '40'], 60_000, dataDir);
  const basePath = `http://127.0.0.1:${engine.port}`;
  contract = await contractOf(basePath);
  const configuration = new trading.Configuration({ basePath, keyId: key.keyId, secret: key.secret, fetchApi: validatingFetch as typeof fetch });
  accounts = new trading.AccountsApi(configuration);
  orders = new trading.OrdersApi(configuration);
  positions = new trading.PositionsApi(configuration);
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('the Alpaca SDK against Octopus (real engine process)', () => {
  it('reads the account', async () => {
    const account = await accounts.getAccount();
    expect(account).toMatchObject({ id: 'alice', cash: '1000000.00', currency: 'USD', status: 'ACTIVE' });
  });

  it('places a limit order, lists it, reads it and cancels it', async () => {
    const ask = await eventually(async () => {
      const book = (await (await fetch(`http://127.0.0.1:${engine.port}/api/v1/market/ACME/book?depth=1`)).json()) as { asks: [string, string][] };
      expect(book.asks.length).toBeGreaterThan(0);
      return Number(book.asks[0]![0]);
    });
    const price = (ask * 0.95).toFixed(2);
    const order = await orders.postOrder({ postOrderRequest: { symbol: 'ACME', qty: '3', side: 'buy', type: 'limit', timeInForce: 'day', limitPrice: price, clientOrderId: 'sdk-1' } });
    expect(order).toMatchObject({ symbol: 'ACME', qty: '3', side: 'buy', type: 'limit', status: 'new', limitPrice: price, clientOrderId: 'sdk-1', orderClass: 'simple' });
    expect(order.submittedAt).toBeInstanceOf(Date);
    const open = await orders.getAllOrders({ status: 'open' });
    expect(open.map((entry) => entry.id)).toContain(order.id);
    expect((await orders.getOrderByOrderID({ orderId: order.id! })).status).toBe('new');
    await orders.deleteOrderByOrderID({ orderId: order.id! });
    const canceled = await orders.getOrderByOrderID({ orderId: order.id! });
    expect(canceled.status).toBe('canceled');
    expect(canceled.canceledAt).toBeInstanceOf(Date);
  });

  it('buys at market and sees the position with its entry price, value and P&L', async () => {
    const order = await orders.postOrder({ postOrderRequest: { symbol: 'ACME', qty: '2', side: 'buy', type: 'market', timeInForce: 'ioc' } });
    expect(order.status).toBe('filled');
    expect(Number(order.filledAvgPrice)).toBeGreaterThan(0);
    const open = await positions.getAllOpenPositions();
    expect(open).toHaveLength(1);
    const position = open[0]!;
    expect(position).toMatchObject({ symbol: 'ACME', qty: '2', side: 'long' });
    for (const field of [position.avgEntryPrice, position.marketValue, position.unrealizedPl, position.costBasis, position.currentPrice]) expect(field).toMatch(/^-?\d+\.\d+$/);
    expect(Number(position.avgEntryPrice)).toBeCloseTo(Number(order.filledAvgPrice), 6);
  });

  it('cancels everything open', async () => {
    const ask = Number((await positions.getAllOpenPositions())[0]!.currentPrice);
    for (const index of [1, 2]) await orders.postOrder({ postOrderRequest: { symbol: 'ACME', qty: '1', side: 'buy', type: 'limit', timeInForce: 'gtc', limitPrice: (ask * 0.95 - index / 100).toFixed(2) } });
    const canceled = await orders.deleteAllOrders();
    expect(canceled).toHaveLength(2);
    expect(await orders.getAllOrders({ status: 'open' })).toEqual([]);
  });
});
