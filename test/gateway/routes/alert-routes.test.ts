import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../../support/engine-process.js';

let engine: EngineProcess;
let alice: ApiClient;
let bob: ApiClient;

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [
    ['alice', 'viewer', 'alice-password'],
    ['bob', 'viewer', 'bob-password'],
  ]);
  engine = await startEngineProcess(['--feed-rate', '0', '--symbols', 'ACME'], 60_000, dataDir);
  alice = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('alice', 'alice-password');
  bob = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('bob', 'bob-password');
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('alert rules over REST', () => {
  it('creates, lists and deletes rules per account', async () => {
    const created = await alice.call('POST', '/api/v1/alerts', { symbol: 'ACME', condition: { kind: 'price_cross', level: 101, direction: 'above' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ symbol: 'ACME', condition: { kind: 'price_cross', level: '101.00', direction: 'above' }, cooldown_ms: expect.any(Number) });
    expect(created.json.created_at).toBe(new Date(created.json.created_at_ms).toISOString());
    expect((await alice.call('GET', '/api/v1/alerts')).json).toHaveLength(1);
    expect((await bob.call('GET', '/api/v1/alerts')).json).toEqual([]);
    expect((await bob.call('DELETE', `/api/v1/alerts/${created.json.id}`)).status).toBe(404);
    expect((await alice.call('DELETE', `/api/v1/alerts/${created.json.id}`)).status).toBe(200);
    expect((await alice.call('GET', '/api/v1/alerts')).json).toEqual([]);
  });

  it.each([
    ['an unknown symbol', { symbol: 'NOPE', condition: { kind: 'price_cross', level: 1, direction: 'above' } }, 404, 'ERR_BOOK_UNKNOWN_SYMBOL'],
    ['an unknown kind', { symbol: 'ACME', condition: { kind: 'astrology' } }, 400, 'ERR_HTTP_BAD_REQUEST'],
    ['a negative level', { symbol: 'ACME', condition: { kind: 'price_cross', level: -5, direction: 'above' } }, 400, 'ERR_ALERT_BAD_RULE'],
    ['a zero window', { symbol: 'ACME', condition: { kind: 'pct_move', percent: 1, window_ms: 0 } }, 400, 'ERR_ALERT_BAD_RULE'],
  ])('refuses %s with a typed error', async (_name, body, status, code) => {
    const response = await alice.call('POST', '/api/v1/alerts', body);
    expect(response.status).toBe(status);
    expect(response.json.error.code).toBe(code);
  });
});
