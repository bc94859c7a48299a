import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { clockOffsetFromRealtimeNs, epochNs, readFrameHead, runWsLoad } from '../../src/loadtest/ws-load.js';

describe('readFrameHead', () => {
  it.each([
    ['a trade frame with both stamps', '{"channel":"trades:A","seq":7,"type":"trade","data":{"price":1,"time_ms":1700000000000},"emit_ns":1700000000000500000}', { channel: 'trades:A', seq: 7, type: 'trade', emitNs: 1700000000000500000, eventMs: 1700000000000 }],
    ['a delta without emit_ns', '{"channel":"book:A","seq":2,"type":"delta","data":{"bids":[[1,2]],"asks":[]}}', { channel: 'book:A', seq: 2, type: 'delta', emitNs: undefined, eventMs: undefined }],
  ])('reads %s', (_name, text, expected) => {
    expect(readFrameHead(text, true)).toEqual(expected);
  });

  it.each([
    ['an ack', '{"type":"ack","id":1,"op":"subscribe","channels":["trades:A"]}'],
    ['a heartbeat', '{"type":"heartbeat","counter":3,"time_ms":1}'],
    ['a frame whose keys come in another order', '{"seq":1,"channel":"trades:A","type":"trade","data":{}}'],
    ['a truncated frame', '{"channel":"trades:A'],
  ])('leaves %s to JSON.parse (null)', (_name, text) => {
    expect(readFrameHead(text, true)).toBeNull();
  });
});

describe('the clock', () => {
  it('reads the engine clock within a millisecond of CLOCK_REALTIME', () => {
    expect(Math.abs(clockOffsetFromRealtimeNs(3))).toBeLessThan(1e6);
    expect(Math.abs(epochNs() - Date.now() * 1e6)).toBeLessThan(1e9);
  });
});

describe('runWsLoad against a stub feed that skips a seq', () => {
  let server: Server;
  let port = 0;
  let timer: NodeJS.Timeout;
  beforeAll(async () => {
    server = createServer();
    const wss = new WebSocketServer({ server, path: '/ws' });
    let seq = 0;
    wss.on('connection', (socket) => {
      socket.on('message', (data) => {
        const request = JSON.parse(data.toString()) as { id: unknown; channels: string[] };
        socket.send(JSON.stringify({ type: 'ack', id: request.id, op: 'subscribe', channels: request.channels }));
      });
    });
    // One seq in ten is skipped (..., 9, 11, ..., 19, 21, ...): every client sees a frame missed every 50 ms.
    timer = setInterval(() => {
      seq += seq % 10 === 9 ? 2 : 1;
      const text = `{"channel":"trades:A","seq":${seq},"type":"trade","data":{"time_ms":${Date.now()}},"emit_ns":${epochNs()}}`;
      for (const client of wss.clients) client.send(text);
    }, 5);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    clearInterval(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('counts the frames, the missed one and the latencies of every client', async () => {
    const result = await runWsLoad({ target: `http://127.0.0.1:${port}`, connections: 3, connectRatePerS: 100, durationS: 0.3, channels: ['trades:A'], depth: 10, latency: true });
    expect(result.subscribed).toBe(3);
    expect(result.frames).toBeGreaterThan(0);
    expect(result.clients_with_gaps).toBe(3);
    expect(result.gaps).toBeGreaterThanOrEqual(3);
    expect(result.emit_latency!.samples).toBe(result.frames);
    expect(result.event_latency!.samples).toBe(result.frames);
    expect(result.event_to_emit!.samples).toBe(result.frames);
    expect(result.events_per_s).toBeGreaterThan(0);
  });

  it('reports refused upgrades by status instead of hanging', async () => {
    const result = await runWsLoad({ target: `http://127.0.0.1:${port}/elsewhere`, connections: 2, connectRatePerS: 100, durationS: 0.1, channels: ['trades:A'], depth: 10, latency: false });
    expect(result.subscribed).toBe(0);
    expect(result.failed).toEqual({ 'HTTP 400': 2 });
  });
});
