// QuestdbSink against a hand-written stub of QuestDB's ILP/HTTP endpoint, to reach the paths a real server
// rarely takes: a request refused as malformed, close while the server is down, batching of requests.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { QuestdbSink, type SinkBatch } from '../../../../src/actors/warehouse/tick-store/questdb-sink.js';
import { eventually } from '../../../support/eventually.js';
import { expectCode } from './tick-store.shared.js';

type Mode = 'ok' | 'down' | 'bad';

let mode: Mode = 'ok';
let requests = 0;
let server: Server;
let port = 0;

function answer(request: IncomingMessage, response: ServerResponse): void {
  request.resume();
  request.on('end', () => {
    requests += 1;
    if (mode === 'ok') {
      response.writeHead(204).end();
    } else if (mode === 'bad') {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"code":"invalid","message":"bad line"}');
    } else {
      response.writeHead(503).end();
    }
  });
}

beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function batch(rowCount: number): SinkBatch {
  return {
    rowCount,
    encode: async (sender) => {
      for (let index = 0; index < rowCount; index++) await sender.table('t').floatColumn('x', index).at(1_700_000_000_000 + index, 'ms');
    },
  };
}

async function openSink(options: { batchRowsMax?: number; flushIntervalMs?: number } = {}): Promise<QuestdbSink> {
  return QuestdbSink.open({ ilpConfig: `http::addr=127.0.0.1:${port}`, retryDelayMsMin: 5, retryDelayMsMax: 20, requestTimeoutMs: 1_000, ...options });
}

describe('QuestdbSink', () => {
  it('sends several batches in one request and acknowledges each', async () => {
    mode = 'ok';
    const sink = await openSink({ batchRowsMax: 100, flushIntervalMs: 60_000 });
    const before = requests;
    const writes = [sink.push(batch(5)), sink.push(batch(5)), sink.push(batch(5))];
    await sink.flush(5_000);
    await Promise.all(writes);
    expect(requests - before, 'one request for three small batches').toBe(1);
    expect(sink.stats(), 'counted').toMatchObject({ rowsWritten: 15, backlogRows: 0, retries: 0, errors: 0 });
    await sink.close(1_000);
  });

  it('rejects a batch the server refuses as malformed with ERR_WAREHOUSE_BAD_ROW and carries on', async () => {
    mode = 'bad';
    const sink = await openSink({ flushIntervalMs: 1 });
    await expectCode(sink.push(batch(3)), 'ERR_WAREHOUSE_BAD_ROW', 'HTTP 400');
    mode = 'ok';
    await sink.push(batch(2));
    expect(sink.stats(), 'one error, no retry').toMatchObject({ rowsWritten: 2, backlogRows: 0, retries: 0, errors: 1 });
    await sink.close(1_000);
  });

  it('keeps retrying while the server is down and rejects what is left on close with ERR_WAREHOUSE_CLOSED', async () => {
    mode = 'down';
    const sink = await openSink({ flushIntervalMs: 1 });
    const write = sink.push(batch(4));
    await eventually(() => expect(sink.stats().retries, 'retries while down').toBeGreaterThan(0), { timeoutMs: 10_000, intervalMs: 10 });
    expect(sink.stats().backlogRows, 'the batch stays buffered').toBe(4);
    await expectCode(sink.flush(50), 'ERR_WAREHOUSE_UNAVAILABLE', 'flush times out while down');
    await sink.close(50);
    await expectCode(write, 'ERR_WAREHOUSE_CLOSED', 'closed before acknowledged');
    await expectCode(sink.push(batch(1)), 'ERR_WAREHOUSE_CLOSED', 'push after close');
    mode = 'ok';
  });

  it.each([
    { why: 'zero batch size', options: { batchRowsMax: 0 } },
    { why: 'fractional interval', options: { flushIntervalMs: 1.5 } },
    { why: 'max delay below min', options: { retryDelayMsMin: 100, retryDelayMsMax: 10 } },
  ])('refuses $why with ERR_WAREHOUSE_BAD_CONFIG', async ({ options }) => {
    await expectCode(QuestdbSink.open({ ilpConfig: `http::addr=127.0.0.1:${port}`, ...options }), 'ERR_WAREHOUSE_BAD_CONFIG', 'config');
  });
});
