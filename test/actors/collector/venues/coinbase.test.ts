import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { CoinbaseAdapter, type CoinbaseOptions } from '../../../../src/actors/collector/venues/coinbase.js';
import type { VenueEvent } from '../../../../src/actors/collector/venues/venue-events.js';
import { eventually } from '../../../support/eventually.js';
import { FakeCoinbase, type Level2Change } from './fake-coinbase.js';

const kWait = { timeoutMs: 10_000, intervalMs: 10 };
const kReconnect = { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 50, staleTimeoutMs: 30_000, connectTimeoutMs: 2_000 };
const kTradeTime = '2024-05-01T12:00:01.250000000Z';

describe('CoinbaseAdapter against a local fake Coinbase Advanced Trade', () => {
  let server: FakeCoinbase;
  let adapter: CoinbaseAdapter | undefined;
  let events: VenueEvent[];

  beforeEach(async () => {
    server = await FakeCoinbase.start();
    server.setBook('BTC-USD', [['100.00', '1.5'], ['99.50', '2']], [['100.50', '1'], ['101.00', '3.25']]);
    events = [];
  });

  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    await server.stop();
  });

  function startAdapter(extra: Partial<CoinbaseOptions> = {}): CoinbaseAdapter {
    adapter = new CoinbaseAdapter({ wsUrl: server.wsUrl, productIds: ['BTC-USD'], reconnect: kReconnect, onEvent: (event) => events.push(event), ...extra });
    adapter.start();
    return adapter;
  }

  async function expectBooksEqual(client: CoinbaseAdapter): Promise<void> {
    await eventually(() => {
      const local = client.book('BTC-USD');
      const truth = server.book('BTC-USD');
      expect(local?.synced, 'client book synced').toBe(true);
      expect(local?.bids, 'bids').toEqual(truth.bids);
      expect(local?.asks, 'asks').toEqual(truth.asks);
    }, kWait);
  }

  /** Waits for connection number `count` to have subscribed to all three channels. */
  async function subscribed(count: number): Promise<void> {
    await eventually(() => {
      expect(server.connectionsOpened).toBe(count);
      expect(server.subscribedChannels()).toEqual([['heartbeats', 'level2', 'market_trades']]);
    }, kWait);
  }

  it('subscribes per channel, builds the book from the snapshot and applies updates', async () => {
    const client = startAdapter();
    await subscribed(1);
    await expectBooksEqual(client);
    server.update('BTC-USD', [{ side: 'bid', price: '99.50', qty: '0' }, { side: 'offer', price: '100.25', qty: '0.5' }]);
    server.update('BTC-USD', [{ side: 'bid', price: '100.00', qty: '1.75' }]);
    await expectBooksEqual(client);
    expect(client.stats()).toMatchObject({ snapshots: 1, bookUpdates: 2, gaps: 0, resyncs: 0, invalid: 0 });
    const deltas = events.filter((event) => event.type === 'book' && !event.snapshot);
    expect(deltas[0]).toMatchObject({ venue: 'coinbase', symbol: 'BTC-USD', bids: [[99.5, 0]], asks: [[100.25, 0.5]] });
  });

  it('maps trade side by convention: maker BUY is a seller-aggressor trade (sell), taker BUY is buy', async () => {
    const cases: Array<[string, 'maker' | 'taker', 'BUY' | 'SELL', 'buy' | 'sell']> = [
      ['maker convention, BUY', 'maker', 'BUY', 'sell'],
      ['maker convention, SELL', 'maker', 'SELL', 'buy'],
      ['taker convention, BUY', 'taker', 'BUY', 'buy'],
      ['taker convention, SELL', 'taker', 'SELL', 'sell'],
    ];
    let connections = 0;
    for (const [message, convention, venueSide, side] of cases) {
      events = [];
      const client = startAdapter({ tradeSideIs: convention });
      await subscribed(++connections);
      server.trade('BTC-USD', { id: '12345', price: '100.25', size: '0.010', side: venueSide, time: kTradeTime });
      await eventually(() => expect(events.filter((event) => event.type === 'trade'), message).toHaveLength(1), kWait);
      // The subscription snapshot's historical trade is not re-emitted as new.
      expect(events.filter((event) => event.type === 'trade'), message).toEqual([
        { type: 'trade', venue: 'coinbase', symbol: 'BTC-USD', price: 100.25, qty: 0.01, side, tradeId: 12345, timeMs: Date.UTC(2024, 4, 1, 12, 0, 1, 250) },
      ]);
      await client.stop();
      adapter = undefined;
    }
  });

  it('normalises 5-minute candles and emits a candle as closed when the next one starts', async () => {
    const client = startAdapter({ channels: ['candles'] });
    await eventually(() => expect(server.subscribedChannels()).toEqual([['candles']]), kWait);
    const bar = { open: '100', high: '101.5', low: '99', close: '100.25', volume: '12.5' };
    server.candle('BTC-USD', { ...bar, start: '1714564800' });
    server.candle('BTC-USD', { ...bar, close: '100.5', start: '1714564800' });
    server.candle('BTC-USD', { ...bar, start: '1714565100' });
    server.candle('BTC-USD', { ...bar, high: '1', start: '1714565100' });
    await eventually(() => expect(client.stats()).toMatchObject({ klines: 4, invalid: 1 }), kWait);
    const klines = events.filter((event) => event.type === 'kline');
    expect(klines.map((kline) => [kline.startMs, kline.close, kline.closed])).toEqual([
      [1_714_564_800_000, 100.25, false],
      [1_714_564_800_000, 100.5, false],
      [1_714_564_800_000, 100.5, true],
      [1_714_565_100_000, 100.25, false],
    ]);
    expect(klines[0]).toEqual({
      type: 'kline', venue: 'coinbase', symbol: 'BTC-USD', intervalMs: 300_000, startMs: 1_714_564_800_000,
      open: 100, high: 101.5, low: 99, close: 100.25, volume: 12.5, trades: 0, closed: false,
    });
    // The last candle had high below low: counted invalid (above) and not emitted.
    expect(klines).toHaveLength(4);
  });

  it('counts heartbeats, which keep the sequence going', async () => {
    const client = startAdapter();
    await subscribed(1);
    for (let beat = 0; beat < 3; beat++) server.heartbeat();
    await eventually(() => expect(client.stats().heartbeats).toBe(3), kWait);
    expect(client.stats().gaps).toBe(0);
  });

  it('detects a sequence_num gap, resubscribes level2 and ends equal to the server book', async () => {
    const client = startAdapter();
    await subscribed(1);
    await expectBooksEqual(client);
    server.update('BTC-USD', [{ side: 'bid', price: '98.00', qty: '5' }], { deliver: false });
    server.heartbeat();
    await eventually(() => expect(client.stats().snapshots).toBe(2), kWait);
    server.update('BTC-USD', [{ side: 'offer', price: '100.75', qty: '2' }]);
    await expectBooksEqual(client);
    expect(client.stats()).toMatchObject({ gaps: 1, resyncs: 1, snapshots: 2, reconnects: 0 });
    expect(server.requests.slice(-2)).toEqual(['unsubscribe:level2', 'subscribe:level2']);
  });

  it('reconnects after the server drops the connection, resubscribes every channel and rebuilds the book', async () => {
    const client = startAdapter();
    await subscribed(1);
    await expectBooksEqual(client);
    server.dropConnections();
    server.update('BTC-USD', [{ side: 'bid', price: '99.00', qty: '9' }]);
    await subscribed(2);
    await expectBooksEqual(client);
    server.update('BTC-USD', [{ side: 'offer', price: '102.00', qty: '1' }]);
    await expectBooksEqual(client);
    // The new connection's sequence_num starts again at 0: that is not a gap.
    expect(client.stats()).toMatchObject({ reconnects: 1, gaps: 0, snapshots: 2 });
  });

  it('counts and ignores malformed messages (table of hostile inputs)', async () => {
    const client = startAdapter();
    await subscribed(1);
    await expectBooksEqual(client);
    const trade = { trade_id: '5', product_id: 'BTC-USD', price: '1', size: '1', side: 'BUY', time: kTradeTime };
    const framed: Array<[string, string]> = [
      ['not JSON', '{"channel":'],
      ['JSON array', '[]'],
      ['no sequence_num', JSON.stringify({ channel: 'heartbeats', events: [] })],
      ['events not an array', JSON.stringify({ channel: 'heartbeats', sequence_num: 1, events: {} })],
    ];
    const sequenced: Array<[string, Record<string, unknown>]> = [
      ['unknown channel', { channel: 'ticker_batch', events: [] }],
      ['trade side lower case', { channel: 'market_trades', events: [{ type: 'update', trades: [{ ...trade, side: 'buy' }] }] }],
      ['trade price negative', { channel: 'market_trades', events: [{ type: 'update', trades: [{ ...trade, price: '-1' }] }] }],
      ['trade size zero', { channel: 'market_trades', events: [{ type: 'update', trades: [{ ...trade, size: '0' }] }] }],
      ['trade id not numeric', { channel: 'market_trades', events: [{ type: 'update', trades: [{ ...trade, trade_id: 'abc' }] }] }],
      ['trade time garbage', { channel: 'market_trades', events: [{ type: 'update', trades: [{ ...trade, time: 'yesterday' }] }] }],
      ['trade unknown product', { channel: 'market_trades', events: [{ type: 'update', trades: [{ ...trade, product_id: 'ETH-USD' }] }] }],
      ['trades missing', { channel: 'market_trades', events: [{ type: 'update' }] }],
      ['l2 unknown product', { channel: 'l2_data', events: [{ type: 'update', product_id: 'ETH-USD', updates: [] }] }],
    ];
    for (const [, text] of framed) server.sendRaw(text);
    for (const [, body] of sequenced) server.sendWithSequence(body);
    await eventually(() => expect(client.stats().invalid, 'invalid count').toBe(framed.length + sequenced.length), kWait);
    expect(events.filter((event) => event.type === 'trade')).toEqual([]);
    expect(client.stats()).toMatchObject({ gaps: 0, resyncs: 0 });
    server.update('BTC-USD', [{ side: 'bid', price: '100.00', qty: '0' }]);
    await expectBooksEqual(client);
  });

  it('rebuilds the book when a level2 update for a tracked product is malformed', async () => {
    const client = startAdapter();
    await subscribed(1);
    await expectBooksEqual(client);
    server.sendWithSequence({ channel: 'l2_data', events: [{ type: 'update', product_id: 'BTC-USD', updates: [{ side: 'bid', price_level: '1e2', new_quantity: '1' }] }] });
    await eventually(() => expect(client.stats().snapshots).toBe(2), kWait);
    await expectBooksEqual(client);
    expect(client.stats()).toMatchObject({ invalid: 1, resyncs: 1, gaps: 0 });
  });

  it('seeded soak: random updates, lost messages and dropped connections always end in the server book', async () => {
    const client = startAdapter();
    await subscribed(1);
    let seed = 20_240_501;
    // A fixed linear congruential generator: the same script on every run.
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const changes = (): Level2Change[] =>
      Array.from({ length: 1 + Math.floor(random() * 3) }, (): Level2Change => {
        const bid = random() < 0.5;
        const price = (bid ? 99.75 - Math.floor(random() * 20) * 0.25 : 100.5 + Math.floor(random() * 20) * 0.25).toFixed(2);
        return { side: bid ? 'bid' : 'offer', price, qty: String(Math.floor(random() * 4)) };
      });
    let opened = 1;
    for (let step = 0; step < 300; step++) {
      const roll = random();
      if (roll < 0.02) {
        server.dropConnections();
        await subscribed(++opened);
        continue;
      }
      if (roll < 0.04) server.heartbeat();
      server.update('BTC-USD', changes(), { deliver: roll >= 0.09 });
      if (step % 50 === 49) {
        server.heartbeat();
        await expectBooksEqual(client);
      }
    }
    server.heartbeat();
    await expectBooksEqual(client);
    const stats = client.stats();
    expect(stats.gaps, 'lost messages were noticed').toBeGreaterThan(0);
    expect(stats.reconnects).toBe(opened - 1);
    expect(stats.invalid).toBe(0);
  });

  it('rejects bad options with ERR_CONFIG_INVALID', () => {
    const base: CoinbaseOptions = { wsUrl: 'ws://127.0.0.1:1', productIds: ['BTC-USD'], onEvent: () => undefined };
    const cases: Array<[string, Partial<CoinbaseOptions>]> = [
      ['no products', { productIds: [] }],
      ['lower-case product', { productIds: ['btc-usd'] }],
      ['unknown channel', { channels: ['ticker' as never] }],
      ['no channels', { channels: [] }],
      ['relative URL', { wsUrl: 'advanced-trade-ws' }],
      ['bad side convention', { tradeSideIs: 'aggressor' as never }],
      ['zero level bound', { maxLevelsPerSide: 0 }],
    ];
    for (const [message, patch] of cases) {
      expect(() => new CoinbaseAdapter({ ...base, ...patch }), message).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });
});
