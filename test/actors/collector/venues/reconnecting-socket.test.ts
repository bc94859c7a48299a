import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';

import type { OctopusError } from '../../../../src/engine/errors.js';
import {
  ReconnectingSocket,
  backoffDelayMs,
  defaultReconnectOptions,
  validateReconnectOptions,
  type ReconnectOptions,
} from '../../../../src/actors/collector/venues/reconnecting-socket.js';
import { eventually } from '../../../support/eventually.js';

const kWait = { timeoutMs: 10_000, intervalMs: 10 };
const kFast: ReconnectOptions = { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 3, staleTimeoutMs: 30_000, connectTimeoutMs: 2_000 };

describe('backoff', () => {
  it('doubles from initialDelayMs up to maxDelayMs, half fixed and half jitter', () => {
    const options = { ...defaultReconnectOptions, initialDelayMs: 100, maxDelayMs: 1_000 };
    const cases: Array<[string, number, number, number]> = [
      ['first retry, no jitter', 0, 0, 50],
      ['first retry, full jitter', 0, 1, 100],
      ['third retry', 2, 0.5, 300],
      ['capped', 10, 1, 1_000],
      ['huge attempt count stays capped', 1e9, 0, 500],
    ];
    for (const [message, attempt, random, expected] of cases) expect(backoffDelayMs(attempt, options, () => random), message).toBe(expected);
  });

  it('validates every bound', () => {
    const bad: Array<[string, Partial<ReconnectOptions>]> = [
      ['zero initial', { initialDelayMs: 0 }],
      ['NaN max', { maxDelayMs: Number.NaN }],
      ['infinite attempts', { maxAttempts: Number.POSITIVE_INFINITY }],
      ['negative stale', { staleTimeoutMs: -1 }],
      ['initial above max', { initialDelayMs: 100, maxDelayMs: 10 }],
    ];
    for (const [message, patch] of bad) {
      expect(() => validateReconnectOptions({ ...defaultReconnectOptions, ...patch }), message).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });
});

describe('ReconnectingSocket', () => {
  it('gives up with ERR_VENUE_UNREACHABLE after maxAttempts refused connections', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const errors: OctopusError[] = [];
    const socket = new ReconnectingSocket({
      url: () => `ws://127.0.0.1:${port}`,
      reconnect: kFast,
      onOpen: () => undefined,
      onMessage: () => undefined,
      onClose: () => undefined,
      onGiveUp: (error) => errors.push(error),
    });
    socket.start();
    await eventually(() => expect(errors.map((error) => error.code)).toEqual(['ERR_VENUE_UNREACHABLE']), kWait);
    expect(socket.send('x'), 'send while down').toBe(false);
    await socket.stop();
  });

  it('replaces a connection that goes silent for staleTimeoutMs', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http });
    let connections = 0;
    // The server greets once, then says nothing: the client must notice and reconnect.
    wss.on('connection', (client) => {
      connections++;
      client.send('hello');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const received: string[] = [];
    const socket = new ReconnectingSocket({
      url: () => `ws://127.0.0.1:${port}`,
      reconnect: { ...kFast, staleTimeoutMs: 100, maxAttempts: 100 },
      onOpen: () => undefined,
      onMessage: (text) => received.push(text),
      onClose: () => undefined,
      onGiveUp: () => undefined,
    });
    socket.start();
    await eventually(() => expect(connections).toBeGreaterThanOrEqual(2), kWait);
    expect(socket.openedCount).toBeGreaterThanOrEqual(2);
    await socket.stop();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
});
