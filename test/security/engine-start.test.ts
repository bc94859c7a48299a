/**
 * Starting an engine where it must not start: a port another process listens on (a second engine, or
 * any program), a host that is no address, a replay file that does not exist. Each exits 2 with a typed
 * error naming the problem, and the engine already on the port keeps serving.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { startExpectingExit } from './support.js';

let first: EngineProcess | undefined;

afterAll(async () => {
  await first?.stop('SIGTERM');
});

describe('one engine per port', () => {
  it('refuses a second engine on the same port (exit 2, ERR_CONFIG_PORT_IN_USE naming it) and the first keeps every connection', async () => {
    first = await startEngineProcess(['--feed-rate', '0']);
    const second = await startExpectingExit(['--port', String(first.port), '--data-dir', temporaryDataDir(), '--feed-rate', '0']);
    expect(second.code).toBe(2);
    expect(second.output).toContain('ERR_CONFIG_PORT_IN_USE');
    expect(second.output).toContain(`port ${first.port}`);
    // No SO_REUSEPORT sharing: every new connection reaches the first engine (it alone has this data dir's health).
    for (let attempt = 0; attempt < 20; attempt++) {
      const response = await fetch(`http://127.0.0.1:${first.port}/health`);
      expect(response.status).toBe(200);
    }
    expect(first.child.exitCode).toBeNull();
  });

  it('refuses a port that any other program listens on', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as { port: number }).port;
    try {
      const engine = await startExpectingExit(['--port', String(port), '--data-dir', temporaryDataDir(), '--feed-rate', '0']);
      expect(engine.code).toBe(2);
      expect(engine.output).toMatch(new RegExp(`ERR_CONFIG_PORT_IN_USE: expected port ${port} on 127.0.0.1 to be free`));
    } finally {
      holder.close();
    }
  });
});

describe('configuration refused before anything starts', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an impossible IPv4 address as --host', ['--host', '256.1.1.1'], /ERR_CONFIG_INVALID: expected --host to be an IP address or a host name, was "256\.1\.1\.1"/],
    ['a --replay file that does not exist', ['--replay', '/nonexistent.csv'], /ERR_CONFIG_INVALID: expected --replay to name a readable file, was "\/nonexistent\.csv" \(ENOENT\)/],
    ['a directory as the --replay file', ['--replay', '/tmp'], /ERR_CONFIG_INVALID: expected --replay to name a readable file, was "\/tmp"/],
  ];
  it.each(cases)('refuses %s with exit 2 and a message that names it', async (_name, args, message) => {
    const dataDir = temporaryDataDir();
    const engine = await startExpectingExit(['--port', '0', '--data-dir', dataDir, '--feed-rate', '0', ...args]);
    expect(engine.code).toBe(2);
    expect(engine.output).toMatch(message);
    expect(engine.output).not.toContain('port in use');
    expect(engine.output).not.toContain('gateway listening');
  });
});
