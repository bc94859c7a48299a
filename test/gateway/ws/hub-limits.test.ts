import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import WebSocket from 'ws';
import { startGateway, type Gateway } from '../../../src/gateway/http/server.js';
import { FeedHub } from '../../../src/gateway/ws/hub.js';
import { feedRoutes } from '../../../src/gateway/ws/feed-routes.js';
import { eventually } from '../../support/eventually.js';

let gateway: Gateway;
let hub: FeedHub;

interface Opened {
  socket: WebSocket;
  frames: Array<Record<string, any>>;
  closeCode: number | undefined;
}

function open(): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws`);
    const opened: Opened = { socket, frames: [], closeCode: undefined };
    socket.on('message', (data: Buffer) => opened.frames.push(JSON.parse(data.toString())));
    socket.on('close', (code) => {
      opened.closeCode = code;
    });
    socket.once('open', () => resolve(opened));
    socket.once('unexpected-response', (_request, response) => reject(Object.assign(new Error(`refused ${response.statusCode}`), { status: response.statusCode })));
    socket.once('error', reject);
  });
}

async function reply(client: Opened, id: unknown): Promise<Record<string, any>> {
  return eventually(() => {
    const found = client.frames.find((frame) => frame.id === id);
    if (found === undefined) throw new Error(`expected a reply to ${String(id)}, was none yet`);
    return found;
  });
}

beforeAll(async () => {
  // No heartbeats here, so the frames a client receives are exactly the replies and data frames.
  hub = new FeedHub({ logger: pino({ level: 'silent' }), heartbeatIntervalMs: 0, maxConnections: 3, maxAnonymousConnections: 3, maxSubscriptionsPerConnection: 2, maxChannelsPerOp: 3 });
  hub.setSnapshotProvider('trades', (symbol) => ({ last: [{ symbol, price: 1 }] }));
  gateway = await startGateway({ host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), health: () => ({ status: 'ok' }), routes: [feedRoutes(hub)] });
});

afterAll(() => {
  hub.close();
  gateway.close();
});

describe('/ws limits and lifecycle', () => {
  it('counts seq before any subscriber, and a late subscriber’s snapshot carries the current seq', async () => {
    hub.publish('trades:LATE', 'trade', { price: 1, qty: 1, side: 'buy', time_ms: 0 });
    hub.publish('trades:LATE', 'trade', { price: 2, qty: 1, side: 'buy', time_ms: 0 });
    const client = await open();
    client.socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: ['trades:LATE'] }));
    await eventually(() => expect(client.frames).toHaveLength(2));
    expect(client.frames[1]).toEqual({ channel: 'trades:LATE', seq: 2, type: 'snapshot', data: { last: [{ symbol: 'LATE', price: 1 }] } });
    hub.publish('trades:LATE', 'trade', { price: 3, qty: 1, side: 'buy', time_ms: 0 });
    await eventually(() => expect(client.frames.at(-1)).toMatchObject({ seq: 3, type: 'trade' }));
    client.socket.close();
  });

  it('refuses more than maxSubscriptionsPerConnection and more than maxChannelsPerOp, and stays usable', async () => {
    const client = await open();
    client.socket.send(JSON.stringify({ op: 'subscribe', id: 'four', channels: ['alerts', 'trades:A', 'trades:B', 'trades:C'] }));
    expect((await reply(client, 'four')).error.code).toBe('ERR_WS_BAD_REQUEST');
    client.socket.send(JSON.stringify({ op: 'subscribe', id: 'three', channels: ['alerts', 'trades:A', 'trades:B'] }));
    expect((await reply(client, 'three')).error.code).toBe('ERR_WS_TOO_MANY_SUBSCRIPTIONS');
    client.socket.send(JSON.stringify({ op: 'subscribe', id: 'two', channels: ['alerts', 'alerts'] }));
    expect((await reply(client, 'two')).type).toBe('ack');
    client.socket.send(JSON.stringify({ op: 'subscribe', id: 'repeat', channels: ['alerts', 'trades:A'] }));
    expect((await reply(client, 'repeat')).type).toBe('ack');
    client.socket.close();
    await eventually(() => expect(hub.connectionCount).toBe(0));
  });

  it('refuses the upgrade past maxConnections (503), and closes everyone with 1001 on hub.close()', async () => {
    const clients = [await open(), await open(), await open()];
    await expect(open()).rejects.toMatchObject({ status: 503 });
    hub.close();
    for (const client of clients) await eventually(() => expect(client.closeCode).toBe(1001));
    await expect(open()).rejects.toMatchObject({ status: 503 });
  });
});
