import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ring, PushResult } from '../../src/engine/ring.js';
import { OctopusError } from '../../src/engine/errors.js';
import { spawnWorker } from '../../src/engine/worker-spawn.js';

function bytesOf(length: number, fill: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let index = 0; index < length; index++) bytes[index] = (fill + index) & 0xff;
  return bytes;
}

function drainAll(ring: Ring, maxMessages = 1_000_000): Uint8Array[] {
  const out: Uint8Array[] = [];
  ring.drain((data, offset, length) => {
    out.push(data.slice(offset, offset + length));
  }, maxMessages);
  return out;
}

describe('Ring construction', () => {
  const bad: Array<[string, number, number | undefined]> = [
    ['not a power of two', 1000, undefined],
    ['too small', 32, undefined],
    ['zero', 0, undefined],
    ['negative', -64, undefined],
    ['NaN', Number.NaN, undefined],
    ['fractional', 64.5, undefined],
    ['max message larger than a quarter', 1024, 1024],
    ['max message zero', 1024, 0],
  ];
  it.each(bad)('rejects %s with ERR_RING_BAD_CAPACITY', (_name, capacityBytes, maxMessageBytes) => {
    expect(() => Ring.create({ capacityBytes, maxMessageBytes })).toThrowError(
      expect.objectContaining({ code: 'ERR_RING_BAD_CAPACITY' }),
    );
  });

  it('rejects a message larger than its maximum, and the ring stays usable', () => {
    const ring = Ring.create({ capacityBytes: 1024, maxMessageBytes: 100 });
    expect(() => ring.tryPush(new Uint8Array(101))).toThrowError(OctopusError);
    expect(ring.tryPush(bytesOf(100, 1))).toBe(PushResult.Ok);
    expect(drainAll(ring)).toEqual([bytesOf(100, 1)]);
  });
});

describe('Ring single-thread behaviour', () => {
  it('delivers zero-length and odd-length messages in order', () => {
    const ring = Ring.create({ capacityBytes: 256 });
    const messages = [bytesOf(0, 0), bytesOf(1, 7), bytesOf(13, 9), bytesOf(0, 0), bytesOf(56, 3)];
    for (const message of messages) expect(ring.tryPush(message)).toBe(PushResult.Ok);
    expect(ring.depth).toBe(messages.length);
    expect(drainAll(ring)).toEqual(messages);
    expect(ring.depth).toBe(0);
    expect(ring.usedBytes).toBe(0);
  });

  it('reports Full without losing what it holds, then accepts again after a drain', () => {
    const ring = Ring.create({ capacityBytes: 256, maxMessageBytes: 56 });
    let pushed = 0;
    while (ring.tryPush(bytesOf(24, pushed)) === PushResult.Ok) pushed++;
    expect(pushed).toBe(256 / 32);
    expect(ring.tryPush(bytesOf(24, 99))).toBe(PushResult.Full);
    const drained = drainAll(ring);
    expect(drained).toEqual(Array.from({ length: pushed }, (_, index) => bytesOf(24, index)));
    expect(ring.tryPush(bytesOf(24, 99))).toBe(PushResult.Ok);
  });

  it('pads to the start when a record does not fit before the end (wrap-around)', () => {
    const ring = Ring.create({ capacityBytes: 128, maxMessageBytes: 24 });
    // 3 records of 32 bytes fill 96 bytes; drain them, then a 32-byte record fits exactly at 96..128,
    // and the next one must wrap.
    for (let round = 0; round < 20; round++) {
      const sizes = [24, 17, 3, 24];
      for (const [index, size] of sizes.entries()) expect(ring.tryPush(bytesOf(size, round + index))).toBe(PushResult.Ok);
      expect(drainAll(ring)).toEqual(sizes.map((size, index) => bytesOf(size, round + index)));
    }
  });

  it('counts a message whose handler throws as consumed, so a poison message cannot wedge the ring', () => {
    const ring = Ring.create({ capacityBytes: 256 });
    ring.tryPush(bytesOf(4, 1));
    ring.tryPush(bytesOf(4, 2));
    expect(() =>
      ring.drain(() => {
        throw new Error('poison');
      }),
    ).toThrowError('poison');
    expect(drainAll(ring)).toEqual([bytesOf(4, 2)]);
  });

  it('matches a FIFO model under random pushes and drains of random sizes (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 128, 256, 1024),
        fc.array(fc.oneof(fc.record({ push: fc.nat(200) }), fc.record({ drain: fc.integer({ min: 1, max: 8 }) })), {
          maxLength: 300,
        }),
        (capacityBytes, operations) => {
          const ring = Ring.create({ capacityBytes });
          const model: Uint8Array[] = [];
          let counter = 0;
          for (const operation of operations) {
            if ('push' in operation) {
              const length = operation.push % (ring.maxMessageBytes + 1);
              const message = bytesOf(length, counter++);
              const free = capacityBytes - ring.usedBytes;
              const result = ring.tryPush(message);
              if (result === PushResult.Ok) model.push(message);
              // A 8-byte-header record that fits even with worst-case wrap padding must be accepted.
              else expect(free).toBeLessThan(2 * (8 + ((length + 7) & ~7)));
            } else {
              const drained: Uint8Array[] = [];
              const expected = model.splice(0, operation.drain);
              ring.drain((data, offset, length) => {
                drained.push(data.slice(offset, offset + length));
              }, operation.drain);
              expect(drained).toEqual(expected);
            }
            expect(ring.depth).toBe(model.length);
          }
          expect(drainAll(ring)).toEqual(model);
          expect(ring.usedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

interface ConsumerReport {
  received: number;
  errors: number;
  firstError: string;
  expected: number[];
}

async function runStress(options: {
  producers: number;
  countPerProducer: number;
  capacityBytes: number;
  minBytes: number;
  maxBytes: number;
  stallMs: number;
}): Promise<{ consumer: ConsumerReport; fullCounts: number[] }> {
  const mode = options.producers === 1 ? 'single' : 'multi';
  const ring = Ring.create({ capacityBytes: options.capacityBytes }, mode);
  const entry = new URL('../fixtures/ring-stress-worker.ts', import.meta.url);
  const common = {
    buffer: ring.buffer,
    maxMessageBytes: ring.maxMessageBytes,
    mode,
    producers: options.producers,
    count: options.countPerProducer,
    minBytes: options.minBytes,
    maxBytes: options.maxBytes,
    stallMs: options.stallMs,
  };
  const finished = (worker: ReturnType<typeof spawnWorker>): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const consumer = spawnWorker(entry, { workerData: { ...common, role: 'consumer', producerId: -1, seed: 0 } });
  const producers = Array.from({ length: options.producers }, (_, producerId) =>
    spawnWorker(entry, { workerData: { ...common, role: 'producer', producerId, seed: 1234 + producerId } }),
  );
  try {
    // Started together so that a worker error anywhere fails the test at once instead of hanging it.
    const [consumerReport, ...producerReports] = await Promise.all([consumer, ...producers].map(finished));
    return {
      consumer: consumerReport as unknown as ConsumerReport,
      fullCounts: producerReports.map((report) => report.fullCount as number),
    };
  } finally {
    await Promise.all([consumer, ...producers].map((worker) => worker.terminate()));
  }
}

describe('Ring consumer replacement', () => {
  const cases: Array<[string, number, number]> = [
    // [name, messages queued, message that kills the consumer (1-based)]
    ['the first message of a batch', 6, 1],
    ['a message after others in the same batch were handled', 6, 3],
    ['the last message of the batch', 6, 6],
  ];
  it.each(cases)('skips what a consumer that died on %s had taken, and delivers the rest', async (_name, queued, dieAt) => {
    const ring = Ring.create({ capacityBytes: 1024 });
    for (let index = 0; index < queued; index++) expect(ring.tryPush(bytesOf(20, index))).toBe(PushResult.Ok);
    const worker = spawnWorker(new URL('../fixtures/ring-dying-consumer.ts', import.meta.url), {
      workerData: { buffer: ring.buffer, maxMessageBytes: ring.maxMessageBytes, dieAt },
    });
    const [exitCode] = await new Promise<number[]>((resolve) => worker.once('exit', (code) => resolve([code])));
    expect(exitCode).toBe(7);
    const replacement = Ring.attach(ring.buffer, ring.maxMessageBytes, 'multi');
    expect(replacement.recoverAbandonedBatch()).toBe(dieAt);
    expect(drainAll(replacement)).toEqual(Array.from({ length: queued - dieAt }, (_, index) => bytesOf(20, dieAt + index)));
    expect(replacement.depth).toBe(0);
    // The ring keeps working after recovery, across the wrap.
    for (let round = 0; round < 50; round++) {
      expect(replacement.tryPush(bytesOf(40, round))).toBe(PushResult.Ok);
      expect(drainAll(replacement)).toEqual([bytesOf(40, round)]);
    }
    expect(replacement.recoverAbandonedBatch()).toBe(0);
  });
});

describe('Ring across real worker threads', () => {
  it('moves 2M messages from one producer with no loss, duplicate or reorder', async () => {
    const { consumer } = await runStress({
      producers: 1,
      countPerProducer: 2_000_000,
      capacityBytes: 1 << 16,
      minBytes: 9,
      maxBytes: 80,
      stallMs: 0,
    });
    expect(consumer.firstError).toBe('');
    expect(consumer.errors).toBe(0);
    expect(consumer.received).toBe(2_000_000);
  });

  it('moves 3 x 500k messages from three concurrent producers, each stream in order', async () => {
    const { consumer } = await runStress({
      producers: 3,
      countPerProducer: 500_000,
      capacityBytes: 1 << 14,
      minBytes: 9,
      maxBytes: 200,
      stallMs: 0,
    });
    expect(consumer.firstError).toBe('');
    expect(consumer.errors).toBe(0);
    expect(consumer.received).toBe(1_500_000);
    expect(consumer.expected).toEqual([500_000, 500_000, 500_000]);
  });

  it('applies backpressure when the consumer stalls, then delivers everything', async () => {
    const { consumer, fullCounts } = await runStress({
      producers: 1,
      countPerProducer: 20_000,
      capacityBytes: 1 << 10,
      minBytes: 9,
      maxBytes: 64,
      stallMs: 300,
    });
    expect(consumer.errors).toBe(0);
    expect(consumer.received).toBe(20_000);
    // The producer used blocking push; it never gave up (fullCount counts 10 s timeouts).
    expect(fullCounts).toEqual([0]);
  });

  it('tryPush reports Full while a consumer is stalled and nothing is dropped', () => {
    const ring = Ring.create({ capacityBytes: 1024 });
    let accepted = 0;
    while (ring.tryPush(bytesOf(40, accepted)) === PushResult.Ok) accepted++;
    expect(ring.tryPush(bytesOf(40, 0))).toBe(PushResult.Full);
    expect(ring.push(bytesOf(40, 0), 40, 20)).toBe(PushResult.Full);
    expect(drainAll(ring)).toHaveLength(accepted);
  });
});
