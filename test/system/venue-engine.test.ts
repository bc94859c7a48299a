/**
 * A real venue's public feed through a real engine process: a local server speaking Binance's exact
 * formats (test/venues/fake-binance.ts) feeds the collector; trades reach the warehouse and the live
 * channels, and the book a WebSocket client receives equals the venue's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';
import { FakeBinance } from '../actors/collector/venues/fake-binance.js';

let venue: FakeBinance;
let engine: EngineProcess;
let viewer: ApiClient;

beforeAll(async () => {
  venue = await FakeBinance.start();
  venue.setBook('BTCUSDT', 100, [['50000.00', '1.5'], ['49999.00', '2']], [['50001.00', '0.5'], ['50002.50', '3']]);
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['viewer', 'viewer', 'viewer-password']]);
  engine = await startEngineProcess(
    ['--symbols', 'TCHA', '--feed-rate', '0', '--venue', 'binance', '--venue-symbols', 'BTCUSDT', '--venue-ws-url', venue.wsBaseUrl, '--venue-rest-url', venue.restBaseUrl],
    60_000,
    dataDir,
  );
  viewer = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('viewer', 'viewer-password');
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
  await venue?.stop();
});

describe('Binance feed through the engine', () => {
  it('lists the venue symbol, stores its trades and mirrors its book on /ws', async () => {
    const symbols = await viewer.call('GET', '/api/v1/symbols');
    expect(symbols.json).toContainEqual({ symbol: 'BTCUSDT', tick_size: null, lot_size: null, price_decimals: 8, qty_decimals: 8, tradable: false, venue: 'binance' });

    await eventually(() => expect(venue.openConnections).toBeGreaterThan(0), { timeoutMs: 20_000, intervalMs: 100 });
    const now = Date.now();
    // Keep sending until the adapter has synced its book and the trades flow through.
    const trades = await eventually(
      async () => {
        venue.trade('BTCUSDT', { id: Math.floor(Math.random() * 1e9), price: '50000.50', qty: '0.25', buyerIsMaker: true, timeMs: Date.now() });
        venue.depthUpdate('BTCUSDT', [['50000.00', '1.25']], []);
        const response = await viewer.call('GET', `/api/v1/market/BTCUSDT/trades?from=${now - 60_000}&to=${Date.now() + 60_000}`);
        expect(response.json.trades.length).toBeGreaterThan(0);
        return response.json.trades;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    // buyerIsMaker: the seller was the aggressor.
    expect(trades[0]).toMatchObject({ symbol: 'BTCUSDT', price: '50000.50000000', qty: '0.25000000', side: 'sell' });

    const socket = new WebSocket(`ws://127.0.0.1:${engine.port}/ws`);
    const frames: any[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data))));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: ['book:BTCUSDT'], depth: 10 }));
    const snapshot = await eventually(() => {
      const frame = frames.find((candidate) => candidate.channel === 'book:BTCUSDT' && candidate.type === 'snapshot');
      expect(frame).toBeDefined();
      return frame;
    });
    const expected = venue.book('BTCUSDT');
    // JSON levels are decimal strings (8 places for a venue's symbol); the values are the venue's.
    const numeric = (levels: [string, string][]) => levels.map(([price, qty]) => [Number(price), Number(qty)]);
    expect({ bids: numeric(snapshot.data.bids), asks: numeric(snapshot.data.asks) }).toEqual({ bids: expected.bids, asks: expected.asks });
    socket.close();
  });
});
