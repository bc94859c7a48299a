import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signRequest } from '../src/gateway/auth/authenticator.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from './support/engine-process.js';
import { eventually } from './support/eventually.js';
import { ApiClient, addUsers } from './support/api-client.js';

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

describe('octopus start: help, version, config file, pretty logs', () => {
  it('answers start --help with every option and examples, and --version with the package version', () => {
    const help = octopus(['start', '--help']);
    expect(help.status).toBe(0);
    for (const text of ['--config <file>', '--public-market-data[=false]', '--log-pretty[=false]', 'OCTOPUS_FEED_RATE', 'examples:', 'octopus start --config octopus.toml']) expect(help.stdout).toContain(text);
    const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version as string;
    expect(octopus(['--version'])).toMatchObject({ status: 0, stdout: `octopus ${version}\n` });
    expect(octopus(['help']).stdout).toContain('examples:');
  });

  it('reads octopus.toml with the flag names as keys (flags still win)', async () => {
    const dataDir = temporaryDataDir();
    addUsers(dataDir, [['reader', 'viewer', 'reader-password']]);
    const file = join(dataDir, 'octopus.toml');
    writeFileSync(file, 'symbols = ["ACME", "BETA"]\nfeed-rate = 0\npublic-market-data = false\n');
    engine = await startEngineProcess(['--config', file, '--symbols', 'ACME'], 60_000, dataDir);
    const base = `http://127.0.0.1:${engine.port}`;
    // public-market-data = false from the file: market data needs a login.
    expect((await fetch(`${base}/api/v1/symbols`)).status).toBe(401);
    const reader = await new ApiClient(base).login('reader', 'reader-password');
    // --symbols on the command line wins over the file's list.
    expect((await reader.call('GET', '/api/v1/symbols')).json.map((instrument: { symbol: string }) => instrument.symbol)).toEqual(['ACME']);
  });

  it.each([
    ['an unknown key', 'octopus.toml', 'turbo = true\n'],
    ['a bad value', 'octopus.json', '{"port": "eighty"}'],
    ['malformed TOML', 'octopus.toml', 'port = = 1\n'],
    ['an unknown format', 'octopus.yaml', 'port: 1\n'],
  ])('refuses a config file with %s (exit 2, ERR_CONFIG_INVALID)', (_name, name, text) => {
    const dataDir = temporaryDataDir();
    writeFileSync(join(dataDir, name), text);
    const result = octopus(['start', '--config', join(dataDir, name), '--data-dir', dataDir]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('ERR_CONFIG_INVALID');
  });

  it('starts and serves with --log-pretty, writing human-readable lines instead of JSON', async () => {
    const dataDir = temporaryDataDir();
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const child = spawn(process.execPath, [binary, 'start', '--log-pretty', '--feed-rate', '0', '--port', String(port), '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OCTOPUS_LOG_LEVEL: 'info', QUESTDB_URL: '' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200), { timeoutMs: 60_000, intervalMs: 200 });
      await eventually(() => expect(output).toContain('octopus running'));
      // The format is the feature here: no line is a JSON object.
      expect(output.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      await exited;
    }
  });
});
