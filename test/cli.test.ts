import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { signRequest } from '../src/gateway/auth/authenticator.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from './support/engine-process.js';

const binary = new URL('../bin/octopus.js', import.meta.url).pathname;

function octopus(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [binary, ...args], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let engine: EngineProcess | null = null;
afterEach(async () => {
  if (engine !== null) await engine.stop('SIGTERM');
  engine = null;
});

describe('octopus user/key commands', () => {
  it('creates a user (password from stdin) and a key that work against a running engine', async () => {
    const dataDir = temporaryDataDir();
    const added = octopus(['user', 'add', 'desk1', '--role', 'trader', '--data-dir', dataDir], 'correct horse battery\n');
    expect(added).toMatchObject({ status: 0, stdout: 'user desk1 added with role trader\n' });
    const key = octopus(['key', 'add', 'desk1', '--data-dir', dataDir]);
    expect(key.status).toBe(0);
    const keyId = /key_id: (\S+)/.exec(key.stdout)?.[1];
    const secret = /secret: (\S+)/.exec(key.stdout)?.[1];
    expect(keyId).toMatch(/^ok_[0-9a-f]{24}$/);
    expect(secret).toBeDefined();

    engine = await startEngineProcess(['--feed-rate', '0'], 60_000, dataDir);
    const base = `http://127.0.0.1:${engine.port}`;
    const login = await fetch(`${base}/api/v1/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'desk1', password: 'correct horse battery' }) });
    expect(login.status).toBe(200);
    const { access_token: jwt } = (await login.json()) as { access_token: string };
    const viaToken = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(await viaToken.json()).toMatchObject({ username: 'desk1', role: 'trader', via: 'jwt' });
    const timestamp = String(Date.now());
    const viaKey = await fetch(`${base}/api/v1/me`, {
      headers: { 'x-octopus-key': keyId!, 'x-octopus-timestamp': timestamp, 'x-octopus-signature': signRequest(secret!, timestamp, 'GET', '/api/v1/me', '') },
    });
    expect(await viaKey.json()).toMatchObject({ username: 'desk1', via: 'api_key', key_id: keyId });
  });

  it.each([
    ['an unknown role', ['user', 'add', 'x1y2z3', '--role', 'wizard', '--password', 'long-enough']],
    ['a short password', ['user', 'add', 'x1y2z3', '--role', 'viewer', '--password', 'short']],
    ['a bad username', ['user', 'add', 'a b', '--role', 'viewer', '--password', 'long-enough']],
    ['a missing role', ['user', 'add', 'x1y2z3', '--password', 'long-enough']],
    ['an unknown flag', ['key', 'add', 'x1y2z3', '--forever']],
  ])('refuses %s with a typed error and exit code 2', (_name, args) => {
    const result = octopus([...args, '--data-dir', temporaryDataDir()]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/ERR_(AUTH|CONFIG)_[A-Z_]+/);
  });

  it('refuses a key for a user that does not exist (exit 1)', () => {
    const result = octopus(['key', 'add', 'ghost', '--data-dir', temporaryDataDir()]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ERR_AUTH_UNKNOWN_USER');
  });
});
