/**
 * The market-data path end to end on a real engine process: the simulated exchange trades in the engine's
 * own books, the book and the stored history are served over REST, and a user's order trades against
 * the simulated market makers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

let engine: EngineProcess;
let trader: ApiClient;

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['trader', 'trader', 'trader-password']]);
  engine = await startEngineProcess(['--symbols', 'TCHA,FINA', '--feed-rate', '400', '--bar-intervals-ms', '1000'], 60_000, dataDir);
  trader = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('trader', 'trader-password');
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('simulated market (real engine process)', () => {
  it('lists the instruments with their grids', async () => {
    const symbols = await trader.call('GET', '/api/v1/symbols');
    expect(symbols.json).toEqual([
      { symbol: 'TCHA', tick_size: '0.01', lot_size: '1', price_decimals: 2, qty_decimals: 0, tradable: true, venue: null },
      { symbol: 'FINA', tick_size: '0.01', lot_size: '10', price_decimals: 2, qty_decimals: 0, tradable: true, venue: null },
    ]);
  });

  it('serves a live two-sided, uncrossed book', async () => {
    const book = await eventually(async () => {
      const response = await trader.call('GET', '/api/v1/market/TCHA/book?depth=5');
      expect(response.json.bids.length).toBeGreaterThan(0);
      expect(response.json.asks.length).toBeGreaterThan(0);
      return response.json;
    });
    expect(Number(book.bids[0][0])).toBeLessThan(Number(book.asks[0][0]));
    expect(book.bids.length).toBeLessThanOrEqual(5);
    // Levels are [price, qty] as decimal strings with the instrument's decimals, as on /ws.
    for (const level of [...book.bids, ...book.asks]) expect(level).toEqual([expect.stringMatching(/^\d+\.\d{2}$/), expect.stringMatching(/^\d+$/)]);
    const l3 = await trader.call('GET', '/api/v1/market/TCHA/book?depth=3&level=3');
    expect(l3.status).toBe(200);
    expect(l3.json.bids[0].orders[0]).toEqual({ order_id: expect.stringMatching(/^\d+$/), qty: expect.stringMatching(/^\d+$/) });
    expect(JSON.stringify(l3.json)).not.toContain('sim-maker');
    expect((await trader.call('GET', '/api/v1/market/TCHA/book?level=4')).status).toBe(400);
  });

  it('stores trades and serves them and their bars as history', async () => {
    const trades = await eventually(
      async () => {
        const response = await trader.call('GET', '/api/v1/market/TCHA/trades?limit=50');
        expect(response.status).toBe(200);
        expect(response.json.trades.length).toBeGreaterThan(3);
        return response.json.trades;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    for (const trade of trades) {
      expect(trade.symbol).toBe('TCHA');
      expect(trade.price).toMatch(/^\d+\.\d{2}$/);
    }
    // Newest first: a limit keeps the latest trades, and the next page continues below them.
    const times = trades.map((trade: { time_ms: number }) => trade.time_ms);
    expect(times).toEqual([...times].sort((left, right) => right - left));
    const first = await trader.call('GET', '/api/v1/market/TCHA/trades?limit=3');
    const second = await trader.call('GET', `/api/v1/market/TCHA/trades?limit=3&page_token=${first.json.next_page_token}`);
    const both = [...first.json.trades, ...second.json.trades];
    expect(new Set(both.map((trade: { trade_id: string }) => trade.trade_id)).size).toBe(6);
    expect(second.json.trades[0].time_ms).toBeLessThanOrEqual(first.json.trades[2].time_ms);
    const bars = await trader.call('GET', '/api/v1/market/TCHA/bars?interval=1s&limit=100');
    expect(bars.status).toBe(200);
    expect(bars.json.bars.length).toBeGreaterThan(0);
    expect(bars.json.bars[0]).toMatchObject({ symbol: 'TCHA', interval: '1s' });
    const starts = bars.json.bars.map((bar: { time_ms: number }) => bar.time_ms);
    expect(starts).toEqual([...starts].sort((left, right) => right - left));
  });

  it('serves market data without a login by default', async () => {
    const anonymous = new ApiClient(`http://127.0.0.1:${engine.port}`);
    expect((await anonymous.call('GET', '/api/v1/market/TCHA/book?depth=1')).status).toBe(200);
    expect((await anonymous.call('GET', '/api/v1/symbols')).status).toBe(200);
    expect((await anonymous.call('GET', '/api/v1/account')).status).toBe(401);
  });

  it("fills a user's market order against the simulated market makers", async () => {
    const order = await eventually(async () => {
      const response = await trader.call('POST', '/api/v1/orders', { symbol: 'TCHA', side: 'buy', type: 'market', qty: 1, time_in_force: 'ioc' });
      expect(response.status).toBe(201);
      expect(response.json.status).toBe('filled');
      return response.json;
    });
    expect(Number(order.filled_avg_price)).toBeGreaterThan(0);
    const positions = await trader.call('GET', '/api/v1/positions');
    expect(positions.json).toEqual(expect.arrayContaining([expect.objectContaining({ symbol: 'TCHA', qty: '1', side: 'long' })]));
  });

  it.each([
    ['an unknown symbol', '/api/v1/market/NOPE/trades', 404, 'ERR_BOOK_UNKNOWN_SYMBOL'],
    ['an unknown interval', '/api/v1/market/TCHA/bars?interval=7m', 400, 'ERR_HTTP_BAD_REQUEST'],
    ['a bad time', '/api/v1/market/TCHA/trades?from=yesterday-ish', 400, 'ERR_HTTP_BAD_REQUEST'],
    ['from after to', '/api/v1/market/TCHA/trades?from=2000&to=1000', 400, 'ERR_HTTP_BAD_REQUEST'],
    ['a huge limit', '/api/v1/market/TCHA/trades?limit=1000000', 400, 'ERR_HTTP_BAD_REQUEST'],
    ['a bad page token', '/api/v1/market/TCHA/trades?page_token=forged', 400, 'ERR_HTTP_BAD_REQUEST'],
    ['an unknown query parameter', '/api/v1/market/TCHA/trades?limt=5', 400, 'ERR_HTTP_BAD_REQUEST'],
  ])('refuses %s with a typed error', async (_name, path, status, code) => {
    const response = await trader.call('GET', path);
    expect(response.status).toBe(status);
    expect(response.json.error.code).toBe(code);
  });
});
