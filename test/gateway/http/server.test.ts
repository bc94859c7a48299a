import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { pino } from 'pino';
import { startGateway, type Gateway } from '../../../src/gateway/http/server.js';
import { postJson } from '../../../src/gateway/http/http.js';
import { OctopusError } from '../../../src/engine/errors.js';

let gateway: Gateway;
let status = 'ok';
const base = (): string => `http://127.0.0.1:${gateway.port}`;

beforeAll(async () => {
  gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    health: () => ({ status }),
    maxBodyBytes: 1_024,
    routes: [
      (app, options) => {
        postJson(app, '/test/echo', options, (body) => ({ status: 200, body: { echoed: body } }));
        postJson(app, '/test/slow', options, async (body) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { status: 201, body };
        });
        postJson(app, '/test/typed-error', options, () => {
          throw new OctopusError('ERR_KERNEL_BAD_PERIOD', 'expected a period >= 1, was 0');
        });
        postJson(app, '/test/bug', options, () => {
          throw new TypeError('undefined is not a function');
        });
      },
    ],
  });
});

afterAll(() => gateway.close());

async function post(path: string, body: string): Promise<{ status: number; json: any }> {
  const response = await fetch(base() + path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: response.status, json: await response.json() };
}

describe('gateway HTTP plumbing (real sockets)', () => {
  it('serves /health with 200, and 503 while stopping', async () => {
    expect((await fetch(base() + '/health')).status).toBe(200);
    status = 'stopping';
    expect((await fetch(base() + '/health')).status).toBe(503);
    status = 'ok';
  });

  it('parses a JSON body and answers synchronously or asynchronously', async () => {
    expect(await post('/test/echo', '{"a":[1,2,3]}')).toEqual({ status: 200, json: { echoed: { a: [1, 2, 3] } } });
    expect(await post('/test/slow', '{"b":true}')).toEqual({ status: 201, json: { b: true } });
  });

  const hostile: Array<[string, string, number, string]> = [
    ['malformed JSON', '{"a":', 400, 'ERR_HTTP_MALFORMED_JSON'],
    ['an empty body', '', 400, 'ERR_HTTP_MALFORMED_JSON'],
    ['a body over the limit', JSON.stringify({ data: 'x'.repeat(2_000) }), 413, 'ERR_HTTP_BODY_TOO_LARGE'],
  ];
  it.each(hostile)('answers %s with a typed error', async (_name, body, expectedStatus, code) => {
    const { status: actual, json } = await post('/test/echo', body);
    expect(actual).toBe(expectedStatus);
    expect(json.error.code).toBe(code);
    expect(typeof json.error.message).toBe('string');
  });

  it('maps a thrown OctopusError to its registry status, and a bug to a 500 without details', async () => {
    expect(await post('/test/typed-error', '{}')).toEqual({
      status: 400,
      json: { error: { code: 'ERR_KERNEL_BAD_PERIOD', message: 'expected a period >= 1, was 0' } },
    });
    const bug = await post('/test/bug', '{}');
    expect(bug.status).toBe(500);
    expect(bug.json.error.code).toBe('ERR_INTERNAL');
    expect(bug.json.error.message).not.toContain('undefined is not a function');
  });

  it('survives a client that disconnects in the middle of a body, and keeps serving', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect(gateway.port, '127.0.0.1', () => {
        socket.write('POST /test/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"partial":');
        socket.destroy();
        resolve();
      });
      socket.on('error', reject);
    });
    expect(await post('/test/echo', '1')).toEqual({ status: 200, json: { echoed: 1 } });
  });

  it('answers unknown routes 404 and wrong methods 405', async () => {
    expect((await fetch(base() + '/nope')).status).toBe(404);
    const wrong = await fetch(base() + '/health', { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('ERR_HTTP_METHOD_NOT_ALLOWED');
  });
});
