/**
 * The WebSocket feed on a real engine process with the simulated exchange running: a real `ws` client
 * rebuilds a book from its snapshot and deltas and matches the server's book on resync, sees trades in
 * sequence, and gets its own execution reports (and nobody else's) on the private orders channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

interface Frame {
  type: string;
  channel?: string;
  seq?: number;
  id?: unknown;
  data?: any;
  error?: { code: string };
}

class FeedClient {
  readonly frames: Frame[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Frame));
  }

  static async open(url: string): Promise<FeedClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new FeedClient(socket);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  of(channel: string): Frame[] {
    return this.frames.filter((frame) => frame.channel === channel);
  }
}

let engine: EngineProcess;
let alice: ApiClient;
let aliceToken = '';
let bobToken = '';

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [
    ['alice', 'trader', 'alice-password'],
    ['bob', 'trader', 'bob-password'],
  ]);
  engine = await startEngineProcess(['--symbols', 'TCHA', '--feed-rate', '300', '--bar-intervals-ms', '1000'], 60_000, dataDir);
  const base = `http://127.0.0.1:${engine.port}`;
  alice = await new ApiClient(base).login('alice', 'alice-password');
  aliceToken = ((await alice.call('POST', '/api/v1/auth/token', { username: 'alice', password: 'alice-password' })).json as { access_token: string }).access_token;
  const bob = new ApiClient(base);
  bobToken = ((await bob.call('POST', '/api/v1/auth/token', { username: 'bob', password: 'bob-password' })).json as { access_token: string }).access_token;
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

/** Price -> qty, both decimal strings as the wire sends them ("0" removes a level). */
type Levels = Map<string, string>;

function applyLevels(levels: Levels, updates: [string, string][]): void {
  for (const [price, qty] of updates) {
    if (Number(qty) === 0) levels.delete(price);
    else levels.set(price, qty);
  }
}

describe('WebSocket feed (real engine process)', () => {
  it('rebuilds the book from snapshot + deltas and matches the server on resync; trades arrive in sequence', async () => {
    const client = await FeedClient.open(`ws://127.0.0.1:${engine.port}/ws`);
    client.send({ op: 'subscribe', id: 'sub-1', channels: ['book:TCHA', 'trades:TCHA'], depth: 1000 });
    await eventually(() => expect(client.frames.find((frame) => frame.type === 'ack' && frame.id === 'sub-1')).toBeDefined());
    // Let the market run for a while.
    await eventually(() => expect(client.of('trades:TCHA').length).toBeGreaterThan(10), { timeoutMs: 30_000, intervalMs: 100 });
    await eventually(() => expect(client.of('book:TCHA').filter((frame) => frame.type !== 'snapshot').length).toBeGreaterThan(10), { timeoutMs: 30_000, intervalMs: 100 });

    client.send({ op: 'resync', id: 'rs-1', channels: ['book:TCHA'] });
    await eventually(() => expect(client.of('book:TCHA').filter((frame) => frame.type === 'snapshot')).toHaveLength(2));
    const bookFrames = client.of('book:TCHA');
    const [first, ...rest] = bookFrames;
    expect(first!.type).toBe('snapshot');
    const bids: Levels = new Map(first!.data.bids);
    const asks: Levels = new Map(first!.data.asks);
    let seq = first!.seq!;
    for (const frame of rest) {
      if (frame.type === 'snapshot') {
        // The resync snapshot: our rebuilt book at the same seq must equal it exactly.
        expect(frame.seq).toBe(seq);
        expect(new Map(frame.data.bids)).toEqual(bids);
        expect(new Map(frame.data.asks)).toEqual(asks);
        break;
      }
      expect(frame.seq, 'book deltas are gap-free').toBe(seq + 1);
      seq = frame.seq!;
      applyLevels(bids, frame.data.bids);
      applyLevels(asks, frame.data.asks);
    }
    const trades = client.of('trades:TCHA');
    for (let index = 1; index < trades.length; index++) expect(trades[index]!.seq).toBe(trades[index - 1]!.seq! + 1);
    expect(trades[0]!.data).toMatchObject({ price: expect.stringMatching(/^\d+\.\d{2}$/), qty: expect.stringMatching(/^\d+$/), side: expect.stringMatching(/^(buy|sell)$/), time: expect.any(String), time_ms: expect.any(Number) });
    client.socket.close();
  });

  it('publishes bars with their streaming indicators', async () => {
    const client = await FeedClient.open(`ws://127.0.0.1:${engine.port}/ws`);
    client.send({ op: 'subscribe', id: 'bars', channels: ['bars:1s:TCHA'] });
    const bar = await eventually(
      () => {
        const frame = client.of('bars:1s:TCHA').find((candidate) => candidate.type === 'bar');
        expect(frame).toBeDefined();
        return frame!.data;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(bar).toMatchObject({ symbol: 'TCHA', interval: '1s', time: new Date(bar.time_ms).toISOString() });
    // null during warm-up (20 and 14 bars), a decimal string after.
    for (const value of [bar.indicators.ema_20, bar.indicators.rsi_14]) expect(value === null || /^\d+\.\d+$/.test(value)).toBe(true);
    expect(Object.keys(bar.indicators).sort()).toEqual(['ema_20', 'rsi_14']);
    expect(Number(bar.high)).toBeGreaterThanOrEqual(Number(bar.low));
    client.socket.close();
  });

  it('sends execution reports to their owner only', async () => {
    const aliceFeed = await FeedClient.open(`ws://127.0.0.1:${engine.port}/ws?token=${aliceToken}`);
    const bobFeed = await FeedClient.open(`ws://127.0.0.1:${engine.port}/ws?token=${bobToken}`);
    aliceFeed.send({ op: 'subscribe', id: 'a', channels: ['orders', 'positions'] });
    bobFeed.send({ op: 'subscribe', id: 'b', channels: ['orders'] });
    await eventually(() => expect(aliceFeed.frames.some((frame) => frame.type === 'ack')).toBe(true));
    await eventually(() => expect(bobFeed.frames.some((frame) => frame.type === 'ack')).toBe(true));
    const order = await eventually(async () => {
      const response = await alice.call('POST', '/api/v1/orders', { symbol: 'TCHA', side: 'buy', type: 'market', qty: 2, time_in_force: 'ioc' });
      expect(response.json.status).toBe('filled');
      return response.json;
    });
    await eventually(() => expect(aliceFeed.of('orders').some((frame) => frame.data.id === order.id && frame.data.status === 'filled')).toBe(true));
    await eventually(() => expect(aliceFeed.of('positions').length).toBeGreaterThan(0));
    expect(bobFeed.of('orders').filter((frame) => frame.data.id === order.id)).toEqual([]);
    aliceFeed.socket.close();
    bobFeed.socket.close();
  });

  it('answers hostile frames with typed errors and stays usable; refuses private channels to anonymous clients', async () => {
    const client = await FeedClient.open(`ws://127.0.0.1:${engine.port}/ws`);
    client.socket.send('{"op":');
    client.send({ op: 'dance', id: 1 });
    client.send({ op: 'subscribe', id: 2, channels: ['trades:NOPE'] });
    client.send({ op: 'subscribe', id: 3, channels: ['orders'] });
    await eventually(() => expect(client.frames.filter((frame) => frame.type === 'error')).toHaveLength(4));
    const codes = client.frames.filter((frame) => frame.type === 'error').map((frame) => frame.error!.code);
    expect(codes).toEqual(['ERR_WS_MALFORMED_JSON', 'ERR_WS_UNKNOWN_OP', 'ERR_WS_UNKNOWN_SYMBOL', 'ERR_AUTH_MISSING']);
    client.send({ op: 'subscribe', id: 4, channels: ['trades:TCHA'] });
    await eventually(() => expect(client.frames.some((frame) => frame.type === 'ack' && frame.id === 4)).toBe(true));
    client.socket.close();
  });
});
