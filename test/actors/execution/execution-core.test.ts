// The execution core on a real LMDB data dir with a simulated clock: restarts from snapshot + journal tail
// reach the state of a full replay, outputs are released only once durable, catch-up after downtime is
// bounded, closed orders leave memory but stay queryable, and a data dir refuses other settings.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ExecutionCore, type ExecutionOptions, type ExecutionSink } from '../../../src/actors/execution/execution-core.js';
import { SimulatedClock } from '../../../src/engine/clock.js';
import { rootLogger } from '../../../src/engine/logger.js';
import type { ExecutionReports, MarketDataBatch, SubmitOrder } from '../../../src/engine/messages.js';
import { openStateStore, type StateStore } from '../../../src/store/state-store.js';

const kStartMs = Date.UTC(2026, 11, 2, 14, 0, 0);
const logger = rootLogger.child({ test: 'execution-core' });

interface Released {
  kind: 'market' | 'reports';
  seq: number;
  durableAtRelease: number;
  batch?: MarketDataBatch;
  reports?: ExecutionReports;
}

class RecordingSink implements ExecutionSink {
  readonly released: Released[] = [];
  congestedNow = false;
  core: ExecutionCore | null = null;
  publishMarketData(batch: MarketDataBatch, seq: number): void {
    this.released.push({ kind: 'market', seq, durableAtRelease: this.core!.journal.durableSeq, batch });
  }
  publishReports(reports: ExecutionReports, seq: number): void {
    this.released.push({ kind: 'reports', seq, durableAtRelease: this.core!.journal.durableSeq, reports });
  }
  congested(): boolean {
    return this.congestedNow;
  }
}

function options(dataDir: string, overrides: Partial<ExecutionOptions> = {}): ExecutionOptions {
  return {
    dataDir,
    symbols: ['TCHA', 'TCHB', 'FINA'],
    tickSize: 0.01,
    lotSize: 1,
    startingCash: 1_000_000,
    makerFeeBps: 0.5,
    takerFeeBps: 1,
    marketDataSubscribers: [],
    reportSubscribers: [],
    simulation: { seed: 7, takerRatePerSecond: 20, publishMs: 50 },
    snapshotEveryRecords: 1_000_000,
    ...overrides,
  };
}

const stores: StateStore[] = [];

async function openCore(dataDir: string, clock: SimulatedClock, overrides: Partial<ExecutionOptions> = {}): Promise<{ core: ExecutionCore; sink: RecordingSink; store: StateStore }> {
  const store = openStateStore(dataDir, 'execution.lmdb');
  stores.push(store);
  const sink = new RecordingSink();
  const core = new ExecutionCore(options(dataDir, overrides), store, sink, clock, logger);
  sink.core = core;
  await core.open();
  return { core, sink, store };
}

async function closeCore(core: ExecutionCore, store: StateStore): Promise<void> {
  await core.close();
  await store.close();
  stores.splice(stores.indexOf(store), 1);
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

function order(account: string, clientOrderId: string, overrides: Partial<SubmitOrder> = {}): SubmitOrder {
  return { account, clientOrderId, symbol: 'TCHA', side: 'buy', type: 'limit', qty: 10, limitPrice: 180, timeInForce: 'gtc', postOnly: false, ...overrides };
}

/** Runs the exchange for `ms` of simulated time, one tick per 50 ms, and waits for every flush. */
async function run(core: ExecutionCore, clock: SimulatedClock, ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 50) {
    clock.advance(50);
    core.tick();
  }
  await core.durable(null);
}

describe('ExecutionCore', () => {
  it('property: snapshot + journal tail reaches the same state hash as a full replay', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('submit', 'cancel', 'replace', 'run', 'snapshot', 'crash'), fc.integer({ min: 0, max: 1_000_000 })), { minLength: 5, maxLength: 40 }),
        async (steps) => {
          const dataDir = mkdtempSync(join(tmpdir(), 'octopus-core-'));
          const clock = new SimulatedClock(kStartMs);
          let opened = await openCore(dataDir, clock);
          const submitted: number[] = [];
          for (const [index, [step, value]] of steps.entries()) {
            const core = opened.core;
            if (step === 'run') await run(core, clock, 50 + (value % 400));
            if (step === 'snapshot') await core.snapshot();
            if (step === 'crash') {
              // Killed: no final snapshot; the restart loads the last one and replays the journal after it.
              await core.settled();
              const before = core.stateHash();
              await opened.store.close();
              stores.splice(stores.indexOf(opened.store), 1);
              opened = await openCore(dataDir, clock);
              expect(opened.core.stateHash(), `after a crash at step ${index}`).toBe(before);
              continue;
            }
            if (step === 'submit') {
              const book = core.bookL2('TCHA', 1);
              const mid = ((book.bids[0]?.[0] ?? 180) + (book.asks[0]?.[0] ?? 180)) / 2;
              const price = Math.round(mid * (1 + ((value % 11) - 5) / 1_000) * 100) / 100;
              const result = await core.submit(order('alice', `c${index}`, { side: value % 2 === 0 ? 'buy' : 'sell', limitPrice: price, qty: 1 + (value % 50) }));
              submitted.push(Number(result.order.id));
            }
            if ((step === 'cancel' || step === 'replace') && submitted.length > 0) {
              const orderId = submitted[value % submitted.length]!;
              const record = core.manager.order('alice', orderId);
              if (record.status !== 'new' && record.status !== 'partially_filled') continue;
              if (step === 'cancel') await core.cancel({ account: 'alice', orderId });
              else await core.replace({ account: 'alice', orderId, qty: record.qty + 1 }).catch(() => undefined);
            }
            // Restart now and then, from whatever snapshot exists.
            if (value % 7 === 0) {
              const before = core.stateHash();
              await closeCore(core, opened.store);
              opened = await openCore(dataDir, clock);
              expect(opened.core.stateHash(), `after a restart at step ${index}`).toBe(before);
            }
          }
          const full = opened.core.fullReplayStateHash();
          expect(full.stateHash).toBe(opened.core.stateHash());
          await closeCore(opened.core, opened.store);
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);

  it('releases reports and market data only once their journal record is durable, in order', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-core-'));
    const clock = new SimulatedClock(kStartMs);
    const { core, sink, store } = await openCore(dataDir, clock, { durabilityDelayMs: 150 });
    await run(core, clock, 300);
    const book = core.bookL2('TCHA', 1);
    // A marketable order: it trades at once, so its command produces reports and market data.
    const submitting = core.submit(order('bob', 'take', { limitPrice: book.asks[0]![0], qty: 5 }));
    const seq = core.journal.lastSeq;
    expect(sink.released.some((entry) => entry.seq === seq), 'nothing of it before the flush').toBe(false);
    for (let tick = 0; tick < 5; tick++) {
      clock.advance(50);
      core.tick();
    }
    const { order: acknowledged } = await submitting;
    expect(core.journal.durableSeq, 'the ack comes after the flush').toBeGreaterThanOrEqual(seq);
    await core.durable(null);
    expect(sink.released.length).toBeGreaterThan(0);
    for (const entry of sink.released) expect(entry.seq, `released seq ${entry.seq} was durable`).toBeLessThanOrEqual(entry.durableAtRelease);
    const seqs = sink.released.map((entry) => entry.seq);
    expect(seqs, 'in journal order').toEqual([...seqs].sort((left, right) => left - right));
    const report = sink.released.find((entry) => entry.reports?.orders.some((record) => record.client_order_id === 'take'));
    expect(report?.seq).toBe(seq);
    expect(acknowledged.status === 'filled' || acknowledged.status === 'partially_filled').toBe(true);
    await closeCore(core, store);
  });

  it('skips a long downtime with a journaled sim_resume and catches up a short one in bounded slices', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-core-'));
    const clock = new SimulatedClock(kStartMs);
    let opened = await openCore(dataDir, clock);
    await run(opened.core, clock, 1_000);
    await closeCore(opened.core, opened.store);
    // One hour later: no trading happened meanwhile, the exchange resumes at the current time.
    clock.advance(3_600_000);
    opened = await openCore(dataDir, clock);
    const status = opened.core.status();
    expect(status.sim_resumes).toBe(1);
    expect(status.sim_skipped_ms).toBeGreaterThanOrEqual(3_600_000);
    expect(status.sim_lag_ms).toBe(0);
    // A one-second lag is caught up in slices of at most 500 ms per tick.
    clock.advance(1_500);
    const before = opened.core.status().simulated_time_ms as number;
    opened.core.tick();
    expect((opened.core.status().simulated_time_ms as number) - before).toBeLessThanOrEqual(500);
    await opened.core.durable(null);
    expect(opened.core.fullReplayStateHash().stateHash).toBe(opened.core.stateHash());
    await closeCore(opened.core, opened.store);
  });

  it('does not step while the receivers are congested (backpressure), and counts it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-core-'));
    const clock = new SimulatedClock(kStartMs);
    const { core, sink, store } = await openCore(dataDir, clock);
    await run(core, clock, 200);
    sink.congestedNow = true;
    const time = core.status().simulated_time_ms;
    await run(core, clock, 500);
    expect(core.status().simulated_time_ms).toBe(time);
    expect(core.status().backpressure_ticks).toBe(10);
    sink.congestedNow = false;
    await run(core, clock, 100);
    expect(core.status().simulated_time_ms).not.toBe(time);
    await closeCore(core, store);
  });

  it('moves closed orders out of memory into the store, still queryable by id and client id after a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-core-'));
    const clock = new SimulatedClock(kStartMs);
    let opened = await openCore(dataDir, clock, { simulation: undefined });
    const ids: string[] = [];
    for (let index = 0; index < 50; index++) ids.push((await opened.core.submit(order('carol', `k${index}`, { limitPrice: 100 + index / 100 }))).order.id);
    for (const id of ids.slice(0, 40)) await opened.core.cancel({ account: 'carol', orderId: Number(id) });
    await opened.core.durable(null);
    expect(opened.core.manager.openOrderCount).toBe(10);
    await closeCore(opened.core, opened.store);
    opened = await openCore(dataDir, clock, { simulation: undefined });
    const { manager } = opened.core;
    expect(manager.openOrderCount).toBe(10);
    expect(manager.order('carol', Number(ids[3]))).toMatchObject({ status: 'canceled', client_order_id: 'k3' });
    expect(manager.orderByClientId('carol', 'k3').id).toBe(ids[3]);
    expect(manager.orders('carol', 'closed', 500)).toHaveLength(40);
    expect(manager.orders('carol', 'all', 5).map((record) => record.id)).toEqual(ids.slice(45).reverse());
    // An idempotent retry of a closed order returns it, not a second order.
    const retry = await opened.core.submit(order('carol', 'k3', { limitPrice: 100 + 3 / 100 }));
    expect(retry).toMatchObject({ created: false, order: { id: ids[3], status: 'canceled' } });
    await closeCore(opened.core, opened.store);
  });

  it.each([
    ['other symbols', { symbols: ['TCHA'] }, /symbols/],
    ['another starting cash', { startingCash: 5 }, /startingCash/],
    ['other fees', { takerFeeBps: 3 }, /takerFeeBps/],
    ['another seed', { simulation: { seed: 8, takerRatePerSecond: 20, publishMs: 50 } }, /seed 7/],
  ])('refuses to open a data dir with %s (ERR_CONFIG_DATA_DIR_CONFLICT), changing nothing', async (_name, overrides, detail) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-core-'));
    const clock = new SimulatedClock(kStartMs);
    const opened = await openCore(dataDir, clock);
    const seq = opened.core.journal.lastSeq;
    await closeCore(opened.core, opened.store);
    await expect(openCore(dataDir, clock, overrides as Partial<ExecutionOptions>)).rejects.toMatchObject({ code: 'ERR_CONFIG_DATA_DIR_CONFLICT', message: expect.stringMatching(detail) });
    for (const store of stores.splice(0)) await store.close();
    const again = await openCore(dataDir, clock);
    expect(again.core.journal.lastSeq).toBeGreaterThanOrEqual(seq);
    await closeCore(again.core, again.store);
  });

  it('accepts a restart with another feed rate, journaled so that a replay follows it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'octopus-core-'));
    const clock = new SimulatedClock(kStartMs);
    let opened = await openCore(dataDir, clock);
    await run(opened.core, clock, 500);
    await closeCore(opened.core, opened.store);
    opened = await openCore(dataDir, clock, { simulation: { seed: 7, takerRatePerSecond: 200, publishMs: 50 } });
    await run(opened.core, clock, 500);
    expect(opened.core.fullReplayStateHash().stateHash).toBe(opened.core.stateHash());
    await closeCore(opened.core, opened.store);
    // Without a simulation (feed rate 0) the exchange is restored but not stepped.
    opened = await openCore(dataDir, clock, { simulation: undefined });
    const time = opened.core.status().simulated_time_ms;
    await run(opened.core, clock, 500);
    expect(opened.core.status().simulated_time_ms).toBe(time);
    await closeCore(opened.core, opened.store);
  });
});
