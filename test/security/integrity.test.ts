// One owner per data dir and tamper evidence that holds, on real engine processes: a second engine on
// the same data dir, a changed byte in an audit record or a journal record, a damaged LMDB meta page, a
// missing data dir, and a disk that fills up and is then freed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';
import { octopus, startExpectingExit } from './support.js';

const kEngineArgs = ['--feed-rate', '0', '--symbols', 'ACME', '--rate-limit', '10000', '--address-rate-limit', '10000', '--max-order-rate', '10000'];
const engines: EngineProcess[] = [];

afterEach(async () => {
  for (const engine of engines.splice(0)) if (engine.child.exitCode === null) engine.child.kill('SIGKILL');
});

async function engineWithOrders(dataDir: string, orders = 5): Promise<{ engine: EngineProcess; client: ApiClient }> {
  addUsers(dataDir, [['trader', 'trader', 'trader-password-1']]);
  const engine = await startEngineProcess(kEngineArgs, 60_000, dataDir);
  engines.push(engine);
  const client = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('trader', 'trader-password-1');
  for (let index = 0; index < orders; index++) {
    const response = await client.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 90 + index, client_order_id: `o${index}` });
    expect(response.status).toBe(201);
  }
  return { engine, client };
}

/** Rewrites one stored value of a database of `<dataDir>/execution.lmdb` (the engine must be stopped). */
async function tamper(dataDir: string, name: string, key: number, change: (value: Buffer) => Buffer | Record<string, unknown>, encoding: 'binary' | 'msgpack'): Promise<void> {
  const root = open({ path: join(dataDir, 'execution.lmdb'), compression: false, maxDbs: 32 });
  const database = root.openDB<unknown, number>({ name, encoding, keyEncoding: 'ordered-binary' });
  const value = database.get(key);
  expect(value, `${name} record ${key} exists`).toBeDefined();
  await database.put(key, change(value as Buffer));
  await root.close();
}

describe('one engine per data dir', () => {
  it('refuses a second engine on the same data dir (exit 2, ERR_CONFIG_DATA_DIR_IN_USE); the first keeps its orders', async () => {
    const dataDir = temporaryDataDir();
    const { client } = await engineWithOrders(dataDir, 3);
    const second = await startExpectingExit(['--port', '0', '--data-dir', dataDir, ...kEngineArgs]);
    expect(second.code).toBe(2);
    expect(second.output).toMatch(/ERR_CONFIG_DATA_DIR_IN_USE/);
    const listed = await client.call('GET', '/api/v1/orders?status=all');
    expect(listed.json.orders.map((order: { client_order_id: string }) => order.client_order_id).sort()).toEqual(['o0', 'o1', 'o2']);
  });

  it('takes over the lock of an engine that was killed (no stale lock)', async () => {
    const dataDir = temporaryDataDir();
    const { engine } = await engineWithOrders(dataDir, 1);
    await engine.stop('SIGKILL');
    const again = await startEngineProcess(kEngineArgs, 60_000, dataDir);
    engines.push(again);
    expect(again.port).toBeGreaterThan(0);
  });
});

describe('tamper evidence', () => {
  it('audit verify refuses a missing data dir and does not create it', () => {
    const missing = join(tmpdir(), `octopus-missing-${process.pid}-${Date.now()}`);
    const result = octopus(['audit', 'verify', '--data-dir', missing]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/ERR_CONFIG_INVALID/);
    expect(existsSync(missing)).toBe(false);
  });

  it('audit verify reads the chains the engine writes', async () => {
    const dataDir = temporaryDataDir();
    const { engine } = await engineWithOrders(dataDir, 4);
    const result = octopus(['audit', 'verify', '--data-dir', dataDir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^journal chain intact: [1-9][0-9]* records/m);
    expect(result.stdout).toMatch(/^audit chain intact: 4 records/m);
    await engine.stop();
  });

  it('one changed byte in an audit record: verify exits 1 naming it, and the engine halts trading', async () => {
    const dataDir = temporaryDataDir();
    const { engine } = await engineWithOrders(dataDir, 4);
    expect(await engine.stop()).toBe(0);
    await tamper(dataDir, 'audit', 2, (value) => ({ ...(value as unknown as Record<string, unknown>), timeMs: ((value as unknown as { timeMs: number }).timeMs + 1) }), 'msgpack');
    const verify = octopus(['audit', 'verify', '--data-dir', dataDir]);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/^audit chain BROKEN at record 2 /m);
    // The engine starts (reads still work) but refuses to trade, and says so.
    const halted = await startEngineProcess(kEngineArgs, 60_000, dataDir);
    engines.push(halted);
    const client = await new ApiClient(`http://127.0.0.1:${halted.port}`).login('trader', 'trader-password-1');
    await eventually(async () => {
      const response = await client.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 90, client_order_id: 'after-tamper' });
      expect(response.status).toBe(503);
      expect(response.json.error.code).toBe('ERR_STORE_INTEGRITY_HALT');
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const health = (await (await fetch(`http://127.0.0.1:${halted.port}/health`)).json()) as { status: string; details: { execution: { integrity: string } } };
    expect(health.status).toBe('degraded');
    expect(health.details.execution.integrity).toMatch(/audit record 2/);
  });

  it('one changed byte in a journal record: the engine refuses to start naming it; --recover truncates there, audited', async () => {
    const dataDir = temporaryDataDir();
    const { engine } = await engineWithOrders(dataDir, 6);
    // Killed: no final snapshot, so the damaged record is in the tail that start-up replays.
    await engine.stop('SIGKILL');
    const root = open({ path: join(dataDir, 'execution.lmdb'), compression: false, maxDbs: 32 });
    const commands = root.openDB<Buffer, number>({ name: 'commands', encoding: 'binary', keyEncoding: 'ordered-binary' });
    const last = [...commands.getKeys({ reverse: true, limit: 1 })][0]!;
    await root.close();
    await tamper(dataDir, 'commands', last - 2, (value) => {
      const copy = Buffer.from(value);
      copy[copy.length - 3]! ^= 0x01;
      return copy;
    }, 'binary');
    const refused = await startExpectingExit(['--port', '0', '--data-dir', dataDir, ...kEngineArgs]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(new RegExp(`ERR_STORE_CORRUPT: expected journal record ${last - 2} to match its chain hash`));
    expect(refused.output).toMatch(/--recover/);
    const recovered = await startEngineProcess([...kEngineArgs, '--recover'], 60_000, dataDir);
    engines.push(recovered);
    expect(recovered.output()).toMatch(/journal recovered: truncated at the last good record/);
    const client = await new ApiClient(`http://127.0.0.1:${recovered.port}`).login('trader', 'trader-password-1');
    expect((await client.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 90, client_order_id: 'after-recover' })).status).toBe(201);
    expect(await recovered.stop()).toBe(0);
    const verify = octopus(['audit', 'verify', '--data-dir', dataDir]);
    expect(verify.status).toBe(0);
    // The records up to the last good one stayed; the recovery itself is in the audit chain.
    const kept = Number(/^journal chain intact: (\d+) records/m.exec(verify.stdout)?.[1]);
    expect(kept).toBeGreaterThanOrEqual(last - 3);
    const root2 = open({ path: join(dataDir, 'execution.lmdb'), compression: false, maxDbs: 32, readOnly: true });
    const audit = root2.openDB<{ event: { type: string } }, number>({ name: 'audit', encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    expect([...audit.getRange({})].map(({ value }) => value.event.type)).toContain('recover');
    await root2.close();
  });

  it('a damaged LMDB meta page: a typed error and exit 1, never a segfault of the engine', async () => {
    const dataDir = temporaryDataDir();
    const { engine } = await engineWithOrders(dataDir, 2);
    expect(await engine.stop()).toBe(0);
    const file = join(dataDir, 'execution.lmdb');
    const bytes = readFileSync(file);
    for (const page of [0, 4096]) bytes.fill(0xff, page + 24, page + 200);
    writeFileSync(file, bytes);
    const refused = await startExpectingExit(['--port', '0', '--data-dir', dataDir, ...kEngineArgs]);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/ERR_STORE_UNREADABLE: expected .*execution\.lmdb to be a readable LMDB file, was damaged/);
    expect(octopus(['audit', 'verify', '--data-dir', dataDir]).status).toBe(1);
  });
});

/** A small tmpfs, when this process may mount one (root in CI); null otherwise. */
function smallDisk(megabytes: number): string | null {
  const mountPoint = join(tmpdir(), `octopus-disk-${process.pid}-${Date.now()}`);
  mkdirSync(mountPoint, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', mountPoint], { stdio: 'ignore' });
    return mountPoint;
  } catch {
    rmSync(mountPoint, { recursive: true, force: true });
    return null;
  }
}

describe('disk full, then freed', () => {
  const disk = smallDisk(48);
  it.skipIf(disk === null)('refuses orders while the disk is full (none acknowledged and lost), and trades again once it is freed, without a restart', async () => {
    const dataDir = join(disk!, 'data');
    try {
      const { engine, client } = await engineWithOrders(dataDir, 2);
      // Fill the disk with a ballast file until writes fail.
      const ballast = join(disk!, 'ballast');
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${ballast}`, 'bs=1M', 'count=64'], { stdio: 'ignore' });
      } catch {
        // dd stops at "No space left on device": the disk is full, as wanted.
      }
      const acknowledged: string[] = [];
      const refusals: string[] = [];
      for (let index = 0; index < 200; index++) {
        const response = await client.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 80, client_order_id: `full-${index}` }).catch(() => null);
        if (response?.status === 201) acknowledged.push(`full-${index}`);
        else if (response !== null) {
          // Refused, typed, and not acknowledged: a storage failure is not a lost order.
          refusals.push(`${response.status} ${response.json?.error?.code}`);
          if (refusals.length >= 3) break;
        }
      }
      expect(refusals.length, 'the full disk was noticed').toBeGreaterThan(0);
      for (const refusal of refusals) expect(refusal).toMatch(/^(503 ERR_STORE_WRITE_FAILED|503 ERR_ACTOR_\w+|503 ERR_RING_FULL|504 ERR_ACTOR_TIMEOUT)$/);
      rmSync(ballast, { force: true });
      // The execution actor comes back by itself (restart or revive) and accepts orders again.
      await eventually(async () => {
        const response = await client.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: 1, limit_price: 80, client_order_id: 'after-freed' });
        expect([200, 201]).toContain(response.status);
      }, { timeoutMs: 90_000, intervalMs: 500 });
      const health = (await (await fetch(`http://127.0.0.1:${engine.port}/health`)).json()) as { actors: { execution: { state: string; restarts: number } } };
      expect(health.actors.execution.state).toBe('running');
      expect(health.actors.execution.restarts, 'the execution actor restarted from its journal').toBeGreaterThanOrEqual(1);
      // Every order acknowledged while the disk filled up is still there.
      for (const clientOrderId of acknowledged) expect((await client.call('GET', `/api/v1/orders:by_client_id/${clientOrderId}`)).status).toBe(200);
      await engine.stop();
    } finally {
      try {
        execFileSync('umount', ['-l', disk!], { stdio: 'ignore' });
      } catch {
        // Left for the OS to tidy.
      }
    }
  }, 180_000);
});
