import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BinanceAdapter } from '../../../../src/actors/collector/venues/binance.js';
import type { VenueEvent } from '../../../../src/actors/collector/venues/venue-events.js';
import { eventually } from '../../../support/eventually.js';
import { FakeBinance } from './fake-binance.js';

const kWait = { timeoutMs: 10_000, intervalMs: 10 };
// Fast, bounded backoff so that reconnect scenarios finish quickly; deterministic jitter.
const kReconnect = { initialDelayMs: 10, maxDelayMs: 50, maxAttempts: 50, staleTimeoutMs: 30_000, connectTimeoutMs: 2_000 };

describe('BinanceAdapter against a local fake Binance', () => {
  let server: FakeBinance;
  let adapter: BinanceAdapter | undefined;
  let events: VenueEvent[];
  let errors: Error[];

  beforeEach(async () => {
    server = await FakeBinance.start();
    server.setBook('BTCUSDT', 100, [['100.00', '1.5'], ['99.50', '2']], [['100.50', '1'], ['101.00', '3.25']]);
    events = [];
    errors = [];
  });

  afterEach(async () => {
    await adapter?.stop();
    adapter = undefined;
    await server.stop();
  });

  function startAdapter(extra: Partial<ConstructorParameters<typeof BinanceAdapter>[0]> = {}): BinanceAdapter {
    adapter = new BinanceAdapter({
      wsBaseUrl: server.wsBaseUrl,
      restBaseUrl: server.restBaseUrl,
      symbols: ['btcusdt'],
      klineIntervals: ['1m'],
      reconnect: kReconnect,
      onEvent: (event) => events.push(event),
      onError: (error) => errors.push(error),
      ...extra,
    });
    adapter.start();
    return adapter;
  }

  /** The client book equals the server book, ids included. */
  async function expectBooksEqual(client: BinanceAdapter): Promise<void> {
    await eventually(() => {
      const local = client.book('BTCUSDT');
      const truth = server.book('BTCUSDT');
      expect(local?.synced, 'client book synced').toBe(true);
      expect(local?.lastUpdateId, 'update id').toBe(truth.lastUpdateId);
      expect(local?.bids, 'bids').toEqual(truth.bids);
      expect(local?.asks, 'asks').toEqual(truth.asks);
    }, kWait);
  }

  async function connected(count: number): Promise<void> {
    await eventually(() => expect(server.connectionsOpened).toBe(count), kWait);
    await eventually(() => expect(server.openConnections).toBe(1), kWait);
  }

  it('subscribes to the combined streams and syncs the book from the snapshot and diffs', async () => {
    const client = startAdapter();
    await connected(1);
    expect(server.subscribedStreams()).toEqual([['btcusdt@trade', 'btcusdt@depth@100ms', 'btcusdt@kline_1m']]);
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await expectBooksEqual(client);
    server.depthUpdate('BTCUSDT', [['99.50', '0'], ['99.75', '4']], [['100.50', '0.5']], { updateIds: 3 });
    server.depthUpdate('BTCUSDT', [], [['100.25', '0.1'], ['101.00', '0']]);
    await expectBooksEqual(client);
    const stats = client.stats();
    expect(stats.snapshots).toBe(1);
    expect(stats.gaps).toBe(0);
    // The first event is older than the snapshot (u <= lastUpdateId) and is dropped, per the rules.
    expect(stats.dropped).toBe(1);
    const snapshot = events.find((event) => event.type === 'book' && event.snapshot);
    expect(snapshot).toMatchObject({ venue: 'binance', symbol: 'BTCUSDT', sequence: 101 });
  });

  it('normalises trades: m=true (buyer is maker) is a seller-aggressor trade, side sell', async () => {
    startAdapter();
    await connected(1);
    server.trade('BTCUSDT', { id: 7, price: '100.25', qty: '0.010', buyerIsMaker: true, timeMs: 1_700_000_000_123 });
    server.trade('BTCUSDT', { id: 8, price: '100.50', qty: '2', buyerIsMaker: false, timeMs: 1_700_000_000_124 });
    await eventually(() => expect(events.filter((event) => event.type === 'trade')).toHaveLength(2), kWait);
    expect(events.filter((event) => event.type === 'trade')).toEqual([
      { type: 'trade', venue: 'binance', symbol: 'BTCUSDT', price: 100.25, qty: 0.01, side: 'sell', tradeId: 7, timeMs: 1_700_000_000_123 },
      { type: 'trade', venue: 'binance', symbol: 'BTCUSDT', price: 100.5, qty: 2, side: 'buy', tradeId: 8, timeMs: 1_700_000_000_124 },
    ]);
  });

  it('normalises klines, open and closed', async () => {
    startAdapter();
    await connected(1);
    const bar = { startMs: 1_700_000_040_000, closeMs: 1_700_000_099_999, open: '100', high: '101.5', low: '99', close: '100.25', volume: '12.5', trades: 42 };
    server.kline('BTCUSDT', '1m', { ...bar, closed: false });
    server.kline('BTCUSDT', '1m', { ...bar, closed: true });
    await eventually(() => expect(events.filter((event) => event.type === 'kline')).toHaveLength(2), kWait);
    expect(events.filter((event) => event.type === 'kline')[1]).toEqual({
      type: 'kline', venue: 'binance', symbol: 'BTCUSDT', intervalMs: 60_000, startMs: 1_700_000_040_000,
      open: 100, high: 101.5, low: 99, close: 100.25, volume: 12.5, trades: 42, closed: true,
    });
  });

  it('detects a lost depth update, resyncs from a new snapshot and ends equal to the server book', async () => {
    const client = startAdapter();
    await connected(1);
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await expectBooksEqual(client);
    server.depthUpdate('BTCUSDT', [['98.00', '5']], [], { deliver: false });
    server.depthUpdate('BTCUSDT', [], [['100.75', '2']]);
    await expectBooksEqual(client);
    const stats = client.stats();
    expect(stats.gaps).toBe(1);
    expect(stats.resyncs).toBe(1);
    expect(stats.snapshots).toBe(2);
    expect(server.snapshotRequests).toBe(2);
  });

  it('replays buffered events over a snapshot that lags the stream (first event straddles lastUpdateId)', async () => {
    const client = startAdapter();
    await connected(1);
    server.freezeSnapshots();
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], [], { updateIds: 2 });
    server.depthUpdate('BTCUSDT', [['97.00', '1']], []);
    await eventually(() => expect(server.snapshotRequests).toBe(1), kWait);
    server.unfreeze();
    await expectBooksEqual(client);
    expect(client.stats().gaps).toBe(0);
    expect(client.stats().bookUpdates).toBe(2);
  });

  it('refetches a snapshot that predates the buffered events', async () => {
    const client = startAdapter();
    await connected(1);
    server.freezeSnapshots();
    server.depthUpdate('BTCUSDT', [['98.00', '5']], [], { deliver: false });
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await eventually(() => expect(server.snapshotRequests).toBeGreaterThanOrEqual(2), kWait);
    expect(client.book('BTCUSDT')?.synced).toBe(false);
    server.unfreeze();
    await expectBooksEqual(client);
  });

  it('refetches a snapshot that fails', async () => {
    const client = startAdapter();
    await connected(1);
    server.failSnapshots = 2;
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await expectBooksEqual(client);
    expect(server.snapshotRequests).toBe(3);
    expect(errors).toEqual([]);
  });

  it('reports ERR_VENUE_SNAPSHOT_FAILED after maxSnapshotAttempts and starts over on a new connection', async () => {
    const client = startAdapter({ maxSnapshotAttempts: 2 });
    await connected(1);
    server.failSnapshots = 2;
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await eventually(() => expect(errors.map((error) => (error as { code?: string }).code)).toEqual(['ERR_VENUE_SNAPSHOT_FAILED']), kWait);
    await connected(2);
    server.depthUpdate('BTCUSDT', [['99.00', '1']], []);
    await expectBooksEqual(client);
    expect(client.stats().reconnects).toBe(1);
  });

  it('reconnects after the server drops the connection, resubscribes and rebuilds the book', async () => {
    const client = startAdapter();
    await connected(1);
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await expectBooksEqual(client);
    server.dropConnections();
    // Changes while disconnected are never delivered; the new snapshot must carry them.
    server.depthUpdate('BTCUSDT', [['99.00', '9']], [], { deliver: false });
    await connected(2);
    expect(server.subscribedStreams()).toEqual([['btcusdt@trade', 'btcusdt@depth@100ms', 'btcusdt@kline_1m']]);
    server.depthUpdate('BTCUSDT', [], [['102.00', '1']]);
    await expectBooksEqual(client);
    expect(client.stats().reconnects).toBe(1);
    expect(client.stats().snapshots).toBe(2);
  });

  it('answers ping frames, and pings alone keep a quiet connection from being taken for stale', async () => {
    const client = startAdapter({ reconnect: { ...kReconnect, staleTimeoutMs: 150 } });
    await connected(1);
    // Each probe pings once; 10 pongs at 20 ms intervals span more than the 150 ms stale timeout.
    await eventually(() => {
      server.ping();
      expect(server.pongsReceived).toBeGreaterThanOrEqual(10);
    }, { timeoutMs: 10_000, intervalMs: 20 });
    expect(server.connectionsOpened).toBe(1);
    expect(client.stats().reconnects).toBe(0);
  });

  it('counts and ignores malformed messages (table of hostile inputs)', async () => {
    const client = startAdapter();
    await connected(1);
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await expectBooksEqual(client);
    const before = client.stats().invalid;
    const hostile: Array<[string, string]> = [
      ['not JSON', '{"stream":'],
      ['JSON null', 'null'],
      ['no data', '{"stream":"btcusdt@trade"}'],
      ['unknown event type', '{"stream":"x","data":{"e":"bogus"}}'],
      ['trade price with exponent', JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', s: 'BTCUSDT', t: 1, p: '1e3', q: '1', T: 1, m: true } })],
      ['trade negative qty', JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', s: 'BTCUSDT', t: 1, p: '1', q: '-1', T: 1, m: true } })],
      ['trade price zero', JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', s: 'BTCUSDT', t: 1, p: '0', q: '1', T: 1, m: true } })],
      ['trade id as string', JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', s: 'BTCUSDT', t: '1', p: '1', q: '1', T: 1, m: true } })],
      ['trade m missing', JSON.stringify({ stream: 'btcusdt@trade', data: { e: 'trade', s: 'BTCUSDT', t: 1, p: '1', q: '1', T: 1 } })],
      ['kline unknown interval', JSON.stringify({ stream: 'btcusdt@kline_1m', data: { e: 'kline', k: { t: 1, s: 'BTCUSDT', i: '7m', o: '1', h: '1', l: '1', c: '1', v: '1', n: 1, x: true } } })],
      ['kline low above high', JSON.stringify({ stream: 'btcusdt@kline_1m', data: { e: 'kline', k: { t: 1, s: 'BTCUSDT', i: '1m', o: '1', h: '1', l: '2', c: '1', v: '1', n: 1, x: true } } })],
      ['depth without ids', JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', s: 'BTCUSDT', b: [], a: [] } })],
      ['depth for unknown symbol', JSON.stringify({ stream: 'ethusdt@depth@100ms', data: { e: 'depthUpdate', s: 'ETHUSDT', U: 1, u: 1, b: [], a: [] } })],
      ['depth U after u', JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', s: 'BTCUSDT', U: 9, u: 8, b: [], a: [] } })],
    ];
    for (const [, text] of hostile) server.sendRaw(text);
    await eventually(() => expect(client.stats().invalid - before, 'invalid count').toBe(hostile.length), kWait);
    expect(events.filter((event) => event.type === 'trade')).toEqual([]);
    expect(events.filter((event) => event.type === 'kline')).toEqual([]);
    // The book is untouched and still continues normally.
    server.depthUpdate('BTCUSDT', [['100.00', '0']], []);
    await expectBooksEqual(client);
    expect(client.stats().gaps).toBe(0);
  });

  it('rebuilds the book when a depth update with valid ids carries a malformed level', async () => {
    const client = startAdapter();
    await connected(1);
    server.depthUpdate('BTCUSDT', [['100.00', '1.75']], []);
    await expectBooksEqual(client);
    // Id 102 is consumed on the server with content the client cannot parse, then the stream goes on.
    server.depthUpdate('BTCUSDT', [['99.00', '1']], [], { deliver: false });
    server.sendRaw(JSON.stringify({ stream: 'btcusdt@depth@100ms', data: { e: 'depthUpdate', E: 1, s: 'BTCUSDT', U: 102, u: 102, b: [['99.00', 'NaN']], a: [] } }));
    server.depthUpdate('BTCUSDT', [], [['103.00', '1']]);
    await expectBooksEqual(client);
    expect(client.stats().invalid).toBe(1);
    expect(client.stats().resyncs).toBeGreaterThanOrEqual(1);
  });

  it('seeded soak: random diffs, lost updates and dropped connections always end in the server book', async () => {
    const client = startAdapter();
    await connected(1);
    let seed = 20_240_501;
    // A fixed linear congruential generator: the same script on every run.
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const levels = (base: number, direction: number): Array<[string, string]> =>
      Array.from({ length: 1 + Math.floor(random() * 3) }, (): [string, string] => [(base + direction * Math.floor(random() * 20) * 0.25).toFixed(2), String(Math.floor(random() * 4))]);
    let opened = 1;
    for (let step = 0; step < 300; step++) {
      const roll = random();
      if (roll < 0.02) {
        server.dropConnections();
        await connected(++opened);
        continue;
      }
      server.depthUpdate('BTCUSDT', levels(99.75, -1), levels(100.5, 1), { deliver: roll >= 0.07, updateIds: 1 + Math.floor(random() * 3) });
      if (step % 50 === 49) {
        server.depthUpdate('BTCUSDT', [], [['150.00', '1']]);
        await expectBooksEqual(client);
      }
    }
    server.depthUpdate('BTCUSDT', [], [['150.00', '2']]);
    await expectBooksEqual(client);
    const stats = client.stats();
    expect(stats.gaps, 'lost updates were noticed').toBeGreaterThan(0);
    expect(stats.reconnects).toBe(opened - 1);
    expect(stats.invalid).toBe(0);
  });

  it('rejects bad options with ERR_CONFIG_INVALID', () => {
    const base = { wsBaseUrl: 'ws://127.0.0.1:1', restBaseUrl: 'http://127.0.0.1:1', symbols: ['BTCUSDT'], onEvent: () => undefined };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['no symbols', { symbols: [] }],
      ['symbol with a slash', { symbols: ['BTC/USDT'] }],
      ['calendar-month kline', { klineIntervals: ['1M'] }],
      ['relative URL', { wsBaseUrl: '/stream' }],
      ['snapshot limit too large', { depthSnapshotLimit: 10_000 }],
      ['no streams', { trades: false, depth: false }],
      ['zero backoff', { reconnect: { initialDelayMs: 0 } }],
      ['initial above max', { reconnect: { initialDelayMs: 10, maxDelayMs: 5 } }],
    ];
    for (const [message, patch] of cases) {
      expect(() => new BinanceAdapter({ ...base, ...patch } as never), message).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });
});
