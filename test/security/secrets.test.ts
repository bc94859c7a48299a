/**
 * Secrets at rest and the JWT key: what a local user or a copy of state.lmdb can learn, rotation, and
 * tokens that must be refused even when correctly signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { signRequest } from '../../src/gateway/auth/authenticator.js';
import { JwtKeyRing } from '../../src/gateway/auth/jwt-keys.js';
import { MasterKey, kMasterKeyFile } from '../../src/gateway/auth/secrets.js';
import { UserStore } from '../../src/gateway/auth/users.js';
import { openStateStore } from '../../src/store/state-store.js';
import { addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { octopus } from './support.js';

let engine: EngineProcess;
let dataDir: string;
let base = '';
let key: { keyId: string; secret: string };

async function login(): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-password' }) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function me(token: string): Promise<{ status: number; code: string | undefined }> {
  const response = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  const json = (await response.json()) as { error?: { code: string } };
  return { status: response.status, code: json.error?.code };
}

/** The key that signs tokens now, read as an insider with the data dir would (to forge claims). */
async function currentSigningKey(): Promise<{ kid: string; key: Buffer }> {
  const store = openStateStore(dataDir);
  try {
    return new JwtKeyRing(store, 900_000, Date.now).signingKey();
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  dataDir = join(temporaryDataDir(), 'data');
  addUsers(dataDir, [['alice', 'trader', 'alice-password']]);
  const added = octopus(['key', 'add', 'alice', '--data-dir', dataDir]);
  expect(added.status).toBe(0);
  key = { keyId: /key_id: (\S+)/.exec(added.stdout)![1]!, secret: /secret: (\S+)/.exec(added.stdout)![1]! };
  engine = await startEngineProcess(['--feed-rate', '0', '--symbols', 'ACME'], 60_000, dataDir);
  base = `http://127.0.0.1:${engine.port}`;
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('secrets at rest (real engine)', () => {
  it('creates the data dir 0700 and every state file and the master key 0600', () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const files = readdirSync(dataDir).filter((name) => name.endsWith('.lmdb') || name.endsWith('.lmdb-lock') || name === kMasterKeyFile);
    expect(files).toEqual(expect.arrayContaining(['state.lmdb', 'state.lmdb-lock', 'execution.lmdb', kMasterKeyFile]));
    for (const name of files) expect(statSync(join(dataDir, name)).mode & 0o777, name).toBe(0o600);
  });

  it('keeps no API key secret and no JWT signing key in plaintext in state.lmdb', async () => {
    const state = readFileSync(join(dataDir, 'state.lmdb'));
    expect(state.includes(Buffer.from(key.secret))).toBe(false);
    const { key: signingKey } = await currentSigningKey();
    expect(signingKey.length).toBe(32);
    expect(state.includes(signingKey)).toBe(false);
    expect(state.includes(Buffer.from(signingKey.toString('base64url')))).toBe(false);
  });

  it('still verifies HMAC-signed API key requests with the wrapped secret', async () => {
    const timestamp = String(Date.now());
    const response = await fetch(`${base}/api/v1/me`, {
      headers: { 'x-octopus-key': key.keyId, 'x-octopus-timestamp': timestamp, 'x-octopus-signature': signRequest(key.secret, timestamp, 'GET', '/api/v1/me', '') },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ username: 'alice', via: 'api_key', key_id: key.keyId });
  });

  it('checks the signature of body-less (GET, DELETE) key requests too: wrong, replayed and unsigned are 401', async () => {
    const timestamp = String(Date.now());
    const headers = (signature: string) => ({ 'x-octopus-key': key.keyId, 'x-octopus-timestamp': timestamp, 'x-octopus-signature': signature });
    const good = signRequest(key.secret, timestamp, 'GET', '/api/v1/orders', '');
    const cases: Array<[string, string, string, string]> = [
      ['GET', '/api/v1/me', signRequest('not-the-secret', timestamp, 'GET', '/api/v1/me', ''), 'ERR_AUTH_BAD_SIGNATURE'],
      ['GET', '/api/v1/me', '', 'ERR_AUTH_BAD_SIGNATURE'],
      ['DELETE', '/api/v1/orders', signRequest('not-the-secret', timestamp, 'DELETE', '/api/v1/orders', ''), 'ERR_AUTH_BAD_SIGNATURE'],
      ['GET', '/api/v1/orders', good, 'ok'],
      ['GET', '/api/v1/orders', good, 'ERR_AUTH_REPLAYED'],
    ];
    for (const [method, path, signature, code] of cases) {
      const response = await fetch(`${base}${path}`, { method, headers: headers(signature) });
      const json = (await response.json()) as { error?: { code: string } };
      expect(response.status, `${method} ${path} ${code}`).toBe(code === 'ok' ? 200 : 401);
      if (code !== 'ok') expect(json.error?.code).toBe(code);
    }
  });
});

describe('JWT claims and keys (real engine)', () => {
  it('refuses a correctly signed token without exp, with another algorithm, or with an unknown key id', async () => {
    const { kid, key: signingKey } = await currentSigningKey();
    const nowSeconds = Math.floor(Date.now() / 1_000);
    const forged: Array<[string, string]> = [
      ['no exp', jwt.sign({ role: 'admin', iat: nowSeconds }, signingKey, { algorithm: 'HS256', keyid: kid, subject: 'alice', issuer: 'octopus' })],
      ['HS512', jwt.sign({ exp: nowSeconds + 60 }, signingKey, { algorithm: 'HS512', keyid: kid, subject: 'alice', issuer: 'octopus' })],
      ['unsigned', jwt.sign({ exp: nowSeconds + 60, sub: 'alice', iss: 'octopus' }, '', { algorithm: 'none', keyid: kid } as jwt.SignOptions)],
      ['no kid', jwt.sign({ exp: nowSeconds + 60 }, signingKey, { algorithm: 'HS256', subject: 'alice', issuer: 'octopus' })],
      ['another issuer', jwt.sign({ exp: nowSeconds + 60 }, signingKey, { algorithm: 'HS256', keyid: kid, subject: 'alice', issuer: 'elsewhere' })],
    ];
    for (const [name, token] of forged) expect(await me(token), name).toEqual({ status: 401, code: 'ERR_AUTH_INVALID' });
    const valid = jwt.sign({ exp: nowSeconds + 60 }, signingKey, { algorithm: 'HS256', keyid: kid, subject: 'alice', issuer: 'octopus' });
    expect((await me(valid)).status).toBe(200);
  });

  it('rotates the signing key while the engine runs: old tokens valid until they expire, refused at once with --drop-previous', async () => {
    const beforeRotation = await login();
    const rotated = octopus(['secret', 'rotate', '--data-dir', dataDir]);
    expect(rotated.status).toBe(0);
    expect(rotated.stdout).toMatch(/JWT signing key rotated: new key [0-9a-f]{16} \(version \d+\); previous key [0-9a-f]{16} accepted until its tokens expire/);
    expect((await me(beforeRotation)).status).toBe(200);
    const afterRotation = await login();
    expect(jwt.decode(afterRotation, { complete: true })!.header.kid).not.toBe(jwt.decode(beforeRotation, { complete: true })!.header.kid);
    expect((await me(afterRotation)).status).toBe(200);

    const dropped = octopus(['secret', 'rotate', '--drop-previous', '--data-dir', dataDir]);
    expect(dropped.status).toBe(0);
    expect(dropped.stdout).toContain('dropped: its tokens are refused now');
    expect(await me(beforeRotation)).toEqual({ status: 401, code: 'ERR_AUTH_INVALID' });
    expect(await me(afterRotation)).toEqual({ status: 401, code: 'ERR_AUTH_INVALID' });
    expect((await me(await login())).status).toBe(200);
  });

  it('refuses `secret rotate` on a data dir without state (exit 2), creating nothing', () => {
    const empty = join(temporaryDataDir(), 'nothing-here');
    const result = octopus(['secret', 'rotate', '--data-dir', empty]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ERR_CONFIG_INVALID: expected a data dir with state.lmdb');
    expect(() => statSync(empty)).toThrow();
  });
});

describe('wrapping', () => {
  it('wraps the plaintext records older versions wrote, and they keep working', async () => {
    const directory = temporaryDataDir();
    const store = openStateStore(directory);
    await store.database('users').put('old', { username: 'old', role: 'trader', passwordHash: 'x', createdMs: 0 });
    await store.database('api_keys').put('ok_legacy', { keyId: 'ok_legacy', username: 'old', secret: 'legacy-secret', readOnly: false, createdMs: 0 });
    await store.database('secrets').put('jwt', Buffer.alloc(32, 7).toString('base64url'));
    const users = new UserStore(store);
    const record = users.getApiKey('ok_legacy')!;
    expect(record).not.toHaveProperty('secret');
    expect(users.apiKeySecret(record).toString('utf8')).toBe('legacy-secret');
    expect(new JwtKeyRing(store, 900_000, Date.now).signingKey().key).toEqual(Buffer.alloc(32, 7));
    expect(store.database('secrets').get('jwt')).toBeUndefined();
    await store.close();
  });

  it('refuses a wrapped secret moved to another record, altered, or opened with another master key (ERR_SECRET_UNREADABLE)', () => {
    const master = MasterKey.load(temporaryDataDir());
    const wrapped = master.wrap(Buffer.from('s3cret'), 'api_key:ok_a');
    expect(master.unwrap(wrapped, 'api_key:ok_a').toString()).toBe('s3cret');
    const other = MasterKey.load(temporaryDataDir());
    const altered = wrapped.slice(0, -2) + (wrapped.endsWith('AA') ? 'BB' : 'AA');
    for (const [name, attempt] of [
      ['moved', () => master.unwrap(wrapped, 'api_key:ok_b')],
      ['altered', () => master.unwrap(altered, 'api_key:ok_a')],
      ['other master key', () => other.unwrap(wrapped, 'api_key:ok_a')],
      ['malformed', () => master.unwrap('v1.x', 'api_key:ok_a')],
    ] as const) {
      expect(attempt, name).toThrowError(expect.objectContaining({ code: 'ERR_SECRET_UNREADABLE' }));
    }
  });

  it('narrows a master key file that other users could read to 0600, and refuses one that holds no key', () => {
    const directory = temporaryDataDir();
    writeFileSync(join(directory, kMasterKeyFile), `${'ab'.repeat(32)}\n`, { mode: 0o644 });
    MasterKey.load(directory);
    expect(statSync(join(directory, kMasterKeyFile)).mode & 0o777).toBe(0o600);
    writeFileSync(join(directory, kMasterKeyFile), 'not a key\n');
    expect(() => MasterKey.load(directory)).toThrowError(expect.objectContaining({ code: 'ERR_SECRET_UNREADABLE' }));
  });
});
