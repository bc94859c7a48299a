import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponse, runHttpLoad, type HttpRequestSpec } from '../../src/loadtest/http-load.js';

describe('parseResponse', () => {
  it.each([
    ['a complete response', 'HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}', { status: 201, body: '{}', length: 45, close: false }],
    ['a header without its body yet', 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nab', 'incomplete'],
    ['half a header', 'HTTP/1.1 200 OK\r\ncontent-le', 'incomplete'],
    ['no content-length (chunked)', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}', 'malformed'],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', 'malformed'],
  ])('reads %s', (_name, text, expected) => {
    expect(parseResponse(Buffer.from(text))).toEqual(expected);
  });

  it('takes the first of two pipelined responses and says how long it was', () => {
    const first = 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na';
    const parsed = parseResponse(Buffer.from(`${first}HTTP/1.1 429 Too Many\r\ncontent-length: 0\r\n\r\n`));
    expect(parsed).toEqual({ status: 200, body: 'a', length: first.length, close: false });
  });

  it('notices a server that closes the connection after its answer', () => {
    const parsed = parseResponse(Buffer.from('HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\nConnection: close\r\ncontent-length: 0\r\n\r\n'));
    expect(parsed).toMatchObject({ status: 429, close: true });
  });
});

describe('runHttpLoad against a stub server', () => {
  let server: Server;
  let port = 0;
  let received = 0;
  beforeAll(async () => {
    // Every third request is refused with an error body, as the engine would answer it.
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        received++;
        const refused = received % 3 === 0;
        const body = refused ? JSON.stringify({ error: { code: 'ERR_RATE_LIMITED', message: 'x' } }) : '{"status":"expired"}';
        // With a content-length, as uWS answers (the generator reports chunked bodies as EPROTOCOL).
        response.writeHead(refused ? 429 : 201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        response.end(body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const spec: HttpRequestSpec = { method: 'POST', path: '/api/v1/orders', headers: { 'content-type': 'application/json' }, body: '{"qty":1}' };

  it('counts every response of an open-loop run by code, and the server saw each request once', async () => {
    received = 0;
    const result = await runHttpLoad({ target: `http://127.0.0.1:${port}`, rate: 200, durationS: 0.5, warmupS: 0, connections: 2, pipeline: 1, request: () => spec });
    expect(result.sent).toBeGreaterThan(0);
    expect(result.ok + (result.by_code.ERR_RATE_LIMITED ?? 0) + result.timeouts).toBe(result.sent);
    expect(result.by_code.ERR_RATE_LIMITED).toBeGreaterThan(0);
    expect(received).toBe(result.sent);
    expect(result.latency.samples).toBe(result.ok + (result.by_code.ERR_RATE_LIMITED ?? 0));
    expect(result.send_lag.samples).toBe(result.sent);
  });

  it('keeps `pipeline` requests in flight per connection in a closed-loop run', async () => {
    const result = await runHttpLoad({ target: `http://127.0.0.1:${port}`, rate: 'max', durationS: 0.3, warmupS: 0, connections: 3, pipeline: 4, request: () => spec });
    expect(result.sent).toBeGreaterThan(12);
    expect(result.timeouts).toBe(0);
    expect(result.send_lag.samples).toBe(0);
  });

  it('reports a target that refuses connections as errors by code, without hanging', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const result = await runHttpLoad({ target: `http://127.0.0.1:${closedPort}`, rate: 100, durationS: 0.3, warmupS: 0, connections: 1, pipeline: 1, request: () => spec, drainTimeoutS: 1 });
    expect(result.ok).toBe(0);
    expect(result.by_code.ECONNREFUSED).toBeGreaterThan(0);
  });

  it.each([
    ['no connections', { connections: 0 }],
    ['a pipeline over the bound', { pipeline: 5_000 }],
    ['a negative rate', { rate: -1 }],
    ['a zero duration', { durationS: 0 }],
    ['an https target', { target: 'https://127.0.0.1:1' }],
  ])('refuses %s before sending anything', async (_name, override) => {
    await expect(runHttpLoad({ target: `http://127.0.0.1:${port}`, rate: 10, durationS: 1, warmupS: 0, connections: 1, pipeline: 1, request: () => spec, ...override })).rejects.toThrow(RangeError);
  });
});
