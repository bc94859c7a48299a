/**
 * The TypeScript SDK (sdk/) against a real engine process: its committed types are what
 * openapi-typescript generates from the served document; the typed REST client logs in, trades and
 * reads (with a token and with a signed API key); the stream keeps per-channel sequences, resyncs after
 * a gap and reconnects after a dropped connection.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { OctopusApiError, OctopusStream, createOctopusClient, unwrap, type Frame, type SocketFactory } from '../../sdk/src/index.js';
import { addApiKey, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

let engine: EngineProcess;
let baseUrl: string;
let apiKey: { keyId: string; secret: string };
const nodeSocket: SocketFactory = (url) => new WebSocket(url) as unknown as ReturnType<SocketFactory>;

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['alice', 'trader', 'alice-password']]);
  apiKey = addApiKey(dataDir, 'alice');
  engine = await startEngineProcess(['--symbols', 'ACME', '--feed-rate', '60'], 60_000, dataDir);
  baseUrl = `http://127.0.0.1:${engine.port}`;
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('@octopus/sdk (real engine process)', () => {
  it('ships the types openapi-typescript generates from the served document', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'octopus-sdk-'));
    writeFileSync(join(directory, 'openapi.json'), await (await fetch(`${baseUrl}/api/v1/openapi.json`)).text());
    const generator = new URL('../../node_modules/.bin/openapi-typescript', import.meta.url).pathname;
    const result = spawnSync(generator, [join(directory, 'openapi.json'), '-o', join(directory, 'api-types.ts')], { encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const committed = readFileSync(new URL('../../sdk/src/api-types.ts', import.meta.url), 'utf8');
    expect(readFileSync(join(directory, 'api-types.ts'), 'utf8'), 'sdk/src/api-types.ts is stale: run `npm run generate -w sdk` against an engine').toBe(committed);
  });

  it('trades and reads through the typed REST client, with a token and with a signed API key', async () => {
    const client = createOctopusClient({ baseUrl });
    await client.login('alice', 'alice-password');
    const book = await eventually(async () => {
      const levels = unwrap(await client.GET('/api/v1/market/{symbol}/book', { params: { path: { symbol: 'ACME' }, query: { depth: '1' } } }));
      expect(levels.bids.length).toBeGreaterThan(0);
      return levels;
    });
    const bid = 'level' in book && book.level === 2 ? Number(book.bids[0]![0]) : Number.NaN;
    const order = unwrap(await client.POST('/api/v1/orders', { body: { symbol: 'ACME', side: 'buy', type: 'limit', qty: '2', limit_price: (bid - 1).toFixed(2), client_order_id: 'sdk-a' } }));
    expect(order).toMatchObject({ status: 'new', qty: '2', client_order_id: 'sdk-a' });
    const open = unwrap(await client.GET('/api/v1/orders', { params: { query: { status: 'open', limit: '10' } } }));
    expect(open.orders.map((entry) => entry.id)).toEqual([order.id]);
    // @ts-expect-error: the status query parameter is typed (open | closed | all).
    const refused = await client.GET('/api/v1/orders', { params: { query: { status: 'pending' } } });
    expect(refused.response.status).toBe(400);

    const signed = createOctopusClient({ baseUrl, apiKey });
    expect(unwrap(await signed.GET('/api/v1/me'))).toMatchObject({ username: 'alice', via: 'api_key', key_id: apiKey.keyId });
    const canceled = unwrap(await signed.DELETE('/api/v1/orders/{id}', { params: { path: { id: order.id } } }));
    expect(canceled.status).toBe('canceled');
    const wrong = createOctopusClient({ baseUrl, apiKey: { keyId: apiKey.keyId, secret: 'not-the-secret' } });
    const refusedKey = await wrong.GET('/api/v1/account');
    expect(refusedKey.response.status).toBe(401);
    expect(() => unwrap(refusedKey)).toThrow(OctopusApiError);
  });

  it('streams in sequence, resyncs after a gap, and reconnects after a dropped connection', async () => {
    const frames: Frame[] = [];
    const gaps: string[] = [];
    const stream = new OctopusStream({ url: `ws://127.0.0.1:${engine.port}/ws`, socket: nodeSocket, initialBackoffMs: 50, maxBackoffMs: 200, onFrame: (frame) => frames.push(frame), onGap: (channel) => gaps.push(channel) });
    try {
      await eventually(() => expect(stream.stats.reconnects).toBe(0));
      stream.subscribe(['book:ACME', 'trades:ACME']);
      await eventually(() => expect(frames.filter((frame) => frame.channel === 'book:ACME' && frame.type === 'delta').length).toBeGreaterThan(3), { timeoutMs: 20_000, intervalMs: 50 });
      const ordered = (channel: string): void => {
        const seqs = frames.filter((frame) => frame.channel === channel).map((frame) => frame.seq);
        for (let index = 1; index < seqs.length; index++) expect(seqs[index]! === seqs[index - 1]! + 1 || frames.filter((frame) => frame.channel === channel)[index]!.type === 'snapshot').toBe(true);
      };
      ordered('book:ACME');

      stream.skipSeqForTest('book:ACME');
      await eventually(() => expect(gaps).toContain('book:ACME'), { timeoutMs: 10_000, intervalMs: 20 });
      const snapshots = () => frames.filter((frame) => frame.channel === 'book:ACME' && frame.type === 'snapshot').length;
      await eventually(() => expect(snapshots()).toBe(2), { timeoutMs: 10_000, intervalMs: 20 });
      expect(stream.stats.resyncs).toBe(1);

      stream.dropConnection();
      await eventually(() => expect(stream.stats.reconnects).toBe(1), { timeoutMs: 10_000, intervalMs: 20 });
      await eventually(() => expect(snapshots()).toBe(3), { timeoutMs: 10_000, intervalMs: 20 });
      const before = frames.length;
      await eventually(() => expect(frames.length).toBeGreaterThan(before + 3), { timeoutMs: 10_000, intervalMs: 50 });
      ordered('book:ACME');
    } finally {
      stream.close();
    }
  });
});
