// The endpoint's delivery rules across real worker threads: any batch is split into ring-sized pieces and
// arrives complete and in order (0 to 10M events), a message larger than a ring record is fragmented and
// reassembled, one too large even for that is a typed result, and a slow consumer slows its producer down
// (congestion) instead of losing messages.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendResult } from '../../src/engine/endpoint.js';
import { MessageType, splitMarketData, splitReports, type MarketDataBatch, type Trade } from '../../src/engine/messages.js';
import { ActorSystem } from '../../src/engine/system.js';
import { eventually } from '../support/eventually.js';

const probeModule = new URL('../fixtures/batch-probe-actor.ts', import.meta.url);
const echoModule = new URL('../fixtures/echo-actor.ts', import.meta.url);

interface ProbeStatus {
  received: number;
  pieces: number;
  outOfOrder: number;
  quotes: number;
  deltas: number;
}

/** `count` trades with ids from `firstId`, sharing one symbol string (10M of them fit in memory). */
function trades(count: number, firstId: number): Trade[] {
  const list = new Array<Trade>(count);
  for (let index = 0; index < count; index++) {
    list[index] = { symbol: 'TCHA', price: 100 + (index % 100) / 100, qty: 1 + (index % 7), side: index % 2 === 0 ? 'buy' : 'sell', tradeId: firstId + index, timeMs: 1_700_000_000_000 + index };
  }
  return list;
}

async function probeStatus(system: ActorSystem, name: string): Promise<ProbeStatus> {
  return (await system.request(name, MessageType.StatusRequest, { detail: true }, 30_000)).detail as unknown as ProbeStatus;
}

describe('Endpoint delivery (real workers)', () => {
  let system: ActorSystem;

  beforeAll(async () => {
    system = await ActorSystem.start(
      [
        { name: 'probe', module: probeModule },
        { name: 'slow', module: probeModule, options: { slowMs: 2 } },
        { name: 'echo', module: echoModule },
      ],
      { inboxBytes: 1 << 20 },
    );
  });

  afterAll(async () => {
    await system.stop();
  });

  it('property: a batch of any size reaches the consumer complete and in order, in ring-sized pieces', async () => {
    let nextId = 1;
    let expected = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(0, 1, 1_023, 1_024, 1_025, 2_048, 2_049), fc.integer({ min: 0, max: 200_000 })), async (size) => {
        const batch: MarketDataBatch = { trades: trades(size, nextId), quotes: [], deltas: [] };
        nextId += size;
        expected += size;
        const pieces = splitMarketData(batch);
        expect(pieces.every((piece) => piece.trades.length <= 1_024), 'pieces are bounded').toBe(true);
        const { result } = await system.endpoint.sendAll('probe', MessageType.BatchProbe, pieces);
        expect(result).toBe(SendResult.Ok);
        await eventually(async () => expect((await probeStatus(system, 'probe')).received).toBe(expected), { timeoutMs: 60_000, intervalMs: 20 });
      }),
      { numRuns: 25 },
    );
    expect((await probeStatus(system, 'probe')).outOfOrder).toBe(0);
  });

  it('delivers a 10M-event batch complete and in order, through backpressure', async () => {
    const before = await probeStatus(system, 'probe');
    const firstId = before.received + 1;
    const batch: MarketDataBatch = { trades: trades(10_000_000, firstId), quotes: [], deltas: [] };
    const pieces = splitMarketData(batch);
    expect(pieces).toHaveLength(Math.ceil(10_000_000 / 1_024));
    const { sent, result } = await system.endpoint.sendAll('probe', MessageType.BatchProbe, pieces);
    expect(result).toBe(SendResult.Ok);
    expect(sent).toBe(pieces.length);
    await eventually(async () => expect((await probeStatus(system, 'probe')).received).toBe(before.received + 10_000_000), { timeoutMs: 240_000, intervalMs: 100 });
    expect((await probeStatus(system, 'probe')).outOfOrder).toBe(0);
    // The producer had to wait for the consumer at least once: that is the backpressure path.
    expect(system.endpoint.stats().congestionWaits).toBeGreaterThan(0);
  }, 300_000);

  it('keeps the order of trades, quotes and deltas when they share pieces', () => {
    const batch: MarketDataBatch = {
      trades: trades(1_500, 1),
      quotes: Array.from({ length: 700 }, (_, index) => ({ symbol: 'TCHA', bidPrice: 99, bidQty: index + 1, askPrice: 101, askQty: 1, timeMs: index })),
      deltas: Array.from({ length: 900 }, (_, index) => ({ symbol: 'TCHA', side: 'buy' as const, price: 99, qty: index, timeMs: index })),
    };
    const pieces = splitMarketData(batch, 1_000);
    expect(pieces.map((piece) => piece.trades.length + piece.quotes.length + piece.deltas.length)).toEqual([1_000, 1_000, 1_000, 100]);
    expect(pieces.flatMap((piece) => piece.trades)).toEqual(batch.trades);
    expect(pieces.flatMap((piece) => piece.quotes)).toEqual(batch.quotes);
    expect(pieces.flatMap((piece) => piece.deltas)).toEqual(batch.deltas);
    const reports = { orders: Array.from({ length: 300 }, (_, index) => ({ id: String(index) }) as never), positions: [{ account: 'a', positions: [] }] };
    const reportPieces = splitReports(reports, 128);
    expect(reportPieces.map((piece) => piece.orders.length)).toEqual([128, 128, 44]);
    expect(reportPieces.map((piece) => piece.positions.length)).toEqual([0, 0, 1]);
  });

  it('fragments a message larger than a ring record and reassembles it, in order with the rest', async () => {
    const before = await probeStatus(system, 'probe');
    const firstId = before.received + 1;
    // One unsplit batch of 60k trades is about 2.5 MB: far over the 60 KiB record, under the 64 MiB bound.
    const big: MarketDataBatch = { trades: trades(60_000, firstId), quotes: [], deltas: [] };
    const small: MarketDataBatch = { trades: trades(3, firstId + 60_000), quotes: [], deltas: [] };
    const fragmentsBefore = system.endpoint.stats().fragments;
    expect(system.send('probe', MessageType.BatchProbe, big)).toBe(SendResult.Ok);
    expect(system.send('probe', MessageType.BatchProbe, small)).toBe(SendResult.Ok);
    expect(system.endpoint.stats().fragments - fragmentsBefore).toBeGreaterThan(10);
    await eventually(async () => expect((await probeStatus(system, 'probe')).received).toBe(before.received + 60_003), { timeoutMs: 30_000, intervalMs: 20 });
    const after = await probeStatus(system, 'probe');
    expect(after.outOfOrder).toBe(0);
    expect(after.pieces - before.pieces).toBe(2);
  });

  it('answers a request whose reply is larger than a ring record (fragmented reply)', async () => {
    const text = 'x'.repeat(3_000_000);
    const reply = await system.request('echo', MessageType.Echo, { text, delayMs: 0 }, 30_000);
    expect(reply.text.length).toBe(3_000_000);
  });

  it('refuses a message larger than maxMessageBytes as a typed value, and the sender stays alive', async () => {
    const huge = 'y'.repeat(70 * 1024 * 1024);
    expect(system.send('echo', MessageType.Echo, { text: huge, delayMs: 0 })).toBe(SendResult.TooLarge);
    await expect(system.request('echo', MessageType.Echo, { text: huge, delayMs: 0 })).rejects.toMatchObject({ code: 'ERR_RING_MESSAGE_TOO_LARGE' });
    await expect(system.request('echo', MessageType.Echo, { text: 'still here', delayMs: 0 })).resolves.toEqual({ text: 'still here', delayMs: 0 });
    expect(system.health().actors.echo?.restarts).toBe(0);
  });

  it('slows a producer down to a slow consumer: nothing lost, outbox bounded by the high-water mark', async () => {
    const total = 400_000;
    const pieces = splitMarketData({ trades: trades(total, 1), quotes: [], deltas: [] });
    let maxQueued = 0;
    const watcher = setInterval(() => (maxQueued = Math.max(maxQueued, system.endpoint.stats().queuedBytes)), 5);
    const waitsBefore = system.endpoint.stats().congestionWaits;
    const { result } = await system.endpoint.sendAll('slow', MessageType.BatchProbe, pieces);
    clearInterval(watcher);
    expect(result).toBe(SendResult.Ok);
    await eventually(async () => expect((await probeStatus(system, 'slow')).received).toBe(total), { timeoutMs: 60_000, intervalMs: 50 });
    expect((await probeStatus(system, 'slow')).outOfOrder).toBe(0);
    expect(system.endpoint.stats().congestionWaits).toBeGreaterThan(waitsBefore);
    // The producer stops at the high-water mark (2 MiB) plus at most one piece.
    expect(maxQueued).toBeLessThan(3 * 1024 * 1024);
  });
});
