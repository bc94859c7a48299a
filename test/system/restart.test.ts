/**
 * Restarts of the default engine (simulated feed at its default rate) on the same data dir, as a desk
 * does every day: stopped with SIGINT (graceful: a final snapshot) or SIGKILL (no warning: snapshot +
 * journal tail), after a gap of 1 s and of 30 s. Each time every actor must be running within 5 s of the
 * start, the rebuilt state must be the state before the stop (SIGINT: the final snapshot's hash, with
 * nothing left to replay; SIGKILL: what a replay of the whole journal gives), and new orders are taken.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

const kRestartHealthyWithinMs = 5_000;
const dataDir = temporaryDataDir();
let engine: EngineProcess | null = null;

afterAll(async () => {
  if (engine !== null && engine.child.exitCode === null) engine.child.kill('SIGKILL');
});

interface Restore {
  snapshotSeq: number | null;
  snapshotStateHash: string | null;
  replayedRecords: number;
  journalSeq: number;
  stateHash: string;
}

interface Health {
  status: string;
  actors: Record<string, { state: string }>;
  details: { execution?: { restore?: Restore } };
}

async function health(port: number): Promise<Health> {
  return (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as Health;
}

/** Starts the engine; resolves once /health says every actor runs, with how long that took from the spawn. */
async function startHealthy(): Promise<{ engine: EngineProcess; healthyAfterMs: number }> {
  const started = performance.now();
  const process = await startEngineProcess(['--rate-limit', '10000', '--address-rate-limit', '10000'], 60_000, dataDir);
  await eventually(async () => {
    const report = await health(process.port);
    expect(report.status).toBe('ok');
    expect(Object.values(report.actors).every((actor) => actor.state === 'running')).toBe(true);
  }, { timeoutMs: 30_000, intervalMs: 50 });
  return { engine: process, healthyAfterMs: performance.now() - started };
}

async function placeOrders(port: number, tag: string): Promise<void> {
  const trader = await new ApiClient(`http://127.0.0.1:${port}`).login('trader', 'trader-password-1');
  const book = await trader.call('GET', '/api/v1/market/TCHA/book?depth=1');
  const bid = Number(book.json.bids[0]?.[0] ?? book.json.bids[0]?.price ?? 180);
  for (let index = 0; index < 5; index++) {
    const response = await trader.call('POST', '/api/v1/orders', { symbol: 'TCHA', side: 'buy', type: 'limit', qty: 1, limit_price: Math.round((bid - 0.5 - index / 10) * 100) / 100, client_order_id: `${tag}-${index}` });
    expect(response.status, JSON.stringify(response.json)).toBe(201);
  }
}

describe('restarting the default engine on the same data dir', () => {
  it.each([
    ['SIGINT', 1_000],
    ['SIGKILL', 1_000],
    ['SIGINT', 30_000],
    ['SIGKILL', 30_000],
  ] as const)('after %s and a %i ms gap: healthy within 5 s, the same state, and new orders accepted', async (signal, gapMs) => {
    if (engine === null) {
      addUsers(dataDir, [
        ['trader', 'trader', 'trader-password-1'],
        ['admin', 'admin', 'admin-password-1'],
      ]);
      engine = (await startHealthy()).engine;
    }
    await placeOrders(engine.port, `before-${signal}-${gapMs}`);
    const code = await engine.stop(signal);
    if (signal === 'SIGINT') expect(code).toBe(0);
    await delay(gapMs);

    const restarted = await startHealthy();
    engine = restarted.engine;
    expect(restarted.healthyAfterMs, 'every actor running within 5 s of the start').toBeLessThan(kRestartHealthyWithinMs);
    const restore = await eventually(async () => {
      const report = (await health(engine!.port)).details.execution?.restore;
      expect(report).toBeDefined();
      return report!;
    }, { timeoutMs: 10_000, intervalMs: 100 });
    if (signal === 'SIGINT') {
      // Graceful: the final snapshot holds the state at the stop; nothing is left to replay.
      expect(restore.replayedRecords).toBe(0);
      expect(restore.snapshotSeq).toBe(restore.journalSeq);
      expect(restore.stateHash).toBe(restore.snapshotStateHash);
    }
    // Either way the state now is what a replay of the whole journal gives.
    const admin = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('admin', 'admin-password-1');
    const hashes = await admin.call('GET', '/api/v1/admin/state-hash?full=true');
    expect(hashes.status).toBe(200);
    expect(hashes.json.replay_state_hash).toBe(hashes.json.state_hash);
    expect(hashes.json.journal_seq).toBeGreaterThanOrEqual(restore.journalSeq);
    // The orders placed before the stop are all there, and the engine takes new ones.
    const trader = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('trader', 'trader-password-1');
    for (let index = 0; index < 5; index++) {
      const found = await trader.call('GET', `/api/v1/orders:by_client_id/before-${signal}-${gapMs}-${index}`);
      expect(found.status).toBe(200);
    }
    await placeOrders(engine.port, `after-${signal}-${gapMs}`);
  }, 120_000);
});
