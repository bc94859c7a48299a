/**
 * WebSocket abuse: one address taking every slot, anonymous floods, invalid UTF-8 and hostile frames.
 * Each is refused with a typed error (or the connection is failed), and every other connection keeps
 * working; the counts return to zero when the clients leave.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import WebSocket from 'ws';
import type { Gateway } from '../../src/gateway/http/server.js';
import { Authenticator } from '../../src/gateway/auth/authenticator.js';
import { UserStore } from '../../src/gateway/auth/users.js';
import { FeedHub } from '../../src/gateway/ws/hub.js';
import { feedRoutes } from '../../src/gateway/ws/feed-routes.js';
import { openStateStore, type StateStore } from '../../src/store/state-store.js';
import { addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';
import { requestFrom, startSecuredGateway, tokenFor } from './support.js';

interface Client {
  socket: WebSocket;
  frames: Array<Record<string, any>>;
  closeCode: number | undefined;
}

type Opened = { ok: true; client: Client } | { ok: false; status: number; headers: Record<string, unknown>; body: any };

function open(port: number, options: { from?: string; token?: string } = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws${options.token === undefined ? '' : `?token=${options.token}`}`, { localAddress: options.from ?? '127.0.0.1' });
    const client: Client = { socket, frames: [], closeCode: undefined };
    socket.on('message', (data: Buffer) => client.frames.push(JSON.parse(data.toString())));
    socket.on('close', (code) => (client.closeCode = code));
    socket.once('open', () => resolve({ ok: true, client }));
    socket.once('unexpected-response', (_request, response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ ok: false, status: response.statusCode ?? 0, headers: response.headers, body: JSON.parse(text) }));
    });
    socket.once('error', (error) => {
      if (socket.readyState === WebSocket.CONNECTING) reject(error);
    });
  });
}

async function openOk(port: number, options: { from?: string; token?: string } = {}): Promise<Client> {
  const opened = await open(port, options);
  if (!opened.ok) throw new Error(`expected the upgrade to succeed, was ${opened.status} ${JSON.stringify(opened.body)}`);
  return opened.client;
}

async function closeAll(clients: Client[]): Promise<void> {
  for (const client of clients) client.socket.close();
  await eventually(() => expect(clients.every((client) => client.closeCode !== undefined)).toBe(true));
}

/** A text frame with exactly these payload bytes (masked, as a client must), written on the raw socket. */
function rawTextFrame(payload: Buffer): Buffer {
  const mask = Buffer.from([0x11, 0x22, 0x33, 0x44]);
  const masked = Buffer.from(payload.map((byte, index) => byte ^ mask[index % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

describe('/ws caps and hostile frames (in-process gateway, real sockets)', () => {
  let gateway: Gateway;
  let hub: FeedHub;
  let store: StateStore;
  let authenticator: Authenticator;
  let token = '';

  beforeAll(async () => {
    store = openStateStore(mkdtempSync(join(tmpdir(), 'octopus-ws-abuse-')));
    const users = new UserStore(store);
    await users.addUser('trader1', 'trader', 'trader-password');
    authenticator = new Authenticator(users, store);
    hub = new FeedHub({ logger: pino({ level: 'silent' }), heartbeatIntervalMs: 0, maxConnections: 20, maxConnectionsPerAddress: 3, maxAnonymousConnections: 5 });
    gateway = await startSecuredGateway(authenticator, [feedRoutes(hub)]);
    token = await tokenFor(gateway.port, 'trader1', 'trader-password');
  });

  afterAll(async () => {
    hub.close();
    gateway.close();
    await authenticator.close();
    await store.close();
  });

  it('refuses a fourth connection from one address with 429 ERR_WS_TOO_MANY_FROM_ADDRESS, and takes others', async () => {
    const mine = [await openOk(gateway.port, { from: '127.0.0.20' }), await openOk(gateway.port, { from: '127.0.0.20' }), await openOk(gateway.port, { from: '127.0.0.20', token })];
    const refused = await open(gateway.port, { from: '127.0.0.20', token });
    expect(refused).toMatchObject({ ok: false, status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'ERR_WS_TOO_MANY_FROM_ADDRESS' } } });
    expect(hub.connectionsFrom('127.0.0.20')).toBe(3);
    const other = await openOk(gateway.port, { from: '127.0.0.21' });
    await closeAll([mine[0]!]);
    await eventually(() => expect(hub.connectionsFrom('127.0.0.20')).toBe(2));
    const again = await openOk(gateway.port, { from: '127.0.0.20' });
    await closeAll([...mine.slice(1), other, again]);
    await eventually(() => expect(hub.connectionCount).toBe(0));
  });

  it('keeps room for authenticated clients: past the anonymous cap anonymous upgrades get 503 ERR_WS_TOO_MANY_ANONYMOUS, a trader still connects', async () => {
    const anonymous = await Promise.all(Array.from({ length: 5 }, (_, index) => openOk(gateway.port, { from: `127.0.0.${30 + index}` })));
    expect(hub.anonymousConnectionCount).toBe(5);
    const refused = await open(gateway.port, { from: '127.0.0.40' });
    expect(refused).toMatchObject({ ok: false, status: 503, body: { error: { code: 'ERR_WS_TOO_MANY_ANONYMOUS' } } });
    const trader = await openOk(gateway.port, { from: '127.0.0.40', token });
    trader.socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: ['orders'] }));
    await eventually(() => expect(trader.frames.find((frame) => frame.id === 1)).toMatchObject({ type: 'ack' }));
    await closeAll([...anonymous, trader]);
    await eventually(() => expect(hub.anonymousConnectionCount).toBe(0));
  });

  it('refuses presented and wrong credentials with 401 before the upgrade, opening nothing', async () => {
    const refused = await open(gateway.port, { from: '127.0.0.41', token: 'not.a.token' });
    expect(refused).toMatchObject({ ok: false, status: 401, body: { error: { code: 'ERR_AUTH_INVALID' } } });
    expect(hub.connectionCount).toBe(0);
  });

  it('answers a 10,000-level nested frame with ERR_WS_BAD_REQUEST and keeps the connection usable', async () => {
    const client = await openOk(gateway.port, { from: '127.0.0.42' });
    client.socket.send('['.repeat(10_000) + ']'.repeat(10_000));
    client.socket.send(JSON.stringify({ op: 'subscribe', id: 'deep', channels: ['trades:A'], depth: JSON.parse('['.repeat(50) + ']'.repeat(50)) }));
    client.socket.send(JSON.stringify({ op: 'ping', id: 'after' }));
    await eventually(() => expect(client.frames.find((frame) => frame.id === 'after')).toMatchObject({ type: 'ack' }));
    expect(client.frames[0]).toEqual({ type: 'error', error: { code: 'ERR_WS_BAD_REQUEST', message: 'expected JSON nested at most 64 levels deep, was deeper' } });
    expect(client.frames.find((frame) => frame.id === 'deep')?.error.code).toBe('ERR_WS_BAD_REQUEST');
    await closeAll([client]);
  });

  it('fails a connection that sends invalid UTF-8 in a text frame, and only that one', async () => {
    const bystander = await openOk(gateway.port, { from: '127.0.0.43' });
    const offender = await openOk(gateway.port, { from: '127.0.0.44' });
    (offender.socket as unknown as { _socket: { write(bytes: Buffer): void } })._socket.write(rawTextFrame(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])));
    await eventually(() => expect(offender.closeCode).toBeDefined());
    // uWS fails the connection without a close frame (RFC 6455 7.1.7 allows it), so the client sees
    // 1006, not 1007: docs/security.md lists this among the limits.
    expect(offender.closeCode).toBe(1006);
    await eventually(() => expect(hub.connectionsFrom('127.0.0.44')).toBe(0));
    bystander.socket.send(JSON.stringify({ op: 'ping', id: 'still' }));
    await eventually(() => expect(bystander.frames.find((frame) => frame.id === 'still')).toMatchObject({ type: 'ack' }));
    await closeAll([bystander]);
  });
});

describe('/ws caps in a real engine', () => {
  let engine: EngineProcess;

  beforeAll(async () => {
    const dataDir = temporaryDataDir();
    addUsers(dataDir, [['alice', 'trader', 'alice-password']]);
    engine = await startEngineProcess(['--feed-rate', '0', '--symbols', 'ACME', '--ws-max-per-address', '2', '--ws-max-anonymous', '3'], 60_000, dataDir);
  });

  afterAll(async () => {
    await engine?.stop('SIGTERM');
  });

  it('applies --ws-max-per-address and --ws-max-anonymous', async () => {
    const two = [await openOk(engine.port, { from: '127.0.0.60' }), await openOk(engine.port, { from: '127.0.0.60' })];
    expect(await open(engine.port, { from: '127.0.0.60' })).toMatchObject({ ok: false, status: 429, body: { error: { code: 'ERR_WS_TOO_MANY_FROM_ADDRESS' } } });
    const third = await openOk(engine.port, { from: '127.0.0.61' });
    expect(await open(engine.port, { from: '127.0.0.62' })).toMatchObject({ ok: false, status: 503, body: { error: { code: 'ERR_WS_TOO_MANY_ANONYMOUS' } } });
    const login = await requestFrom('127.0.0.62', engine.port, 'POST', '/api/v1/auth/token', { body: JSON.stringify({ username: 'alice', password: 'alice-password' }) });
    const trader = await openOk(engine.port, { from: '127.0.0.62', token: login.json.access_token });
    await closeAll([...two, third, trader]);
  });
});
