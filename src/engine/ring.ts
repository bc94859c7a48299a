/**
 * A bounded ring of variable-length messages over a SharedArrayBuffer, shared by threads.
 *
 * Many producers (any actor or the main thread) and exactly one consumer (the owning actor). Producers
 * reserve space with a compare-and-swap on the head cursor, copy their bytes, then publish the record by
 * storing its length word last; the consumer reads records in order and stops at the first one whose
 * length word is still zero (reserved but not yet published). A single-producer ring skips the CAS.
 * Why MPSC-per-actor rather than SPSC-per-edge: the `ring` bench measures both producer modes; the CAS
 * costs little when uncontended, and one inbox per actor lets the consumer park on a single word instead
 * of polling N edges (figures in docs/benchmarks.md).
 *
 * Buffer layout (byte offsets; each line is a 64-byte cache line written by one side only, to avoid
 * false sharing: producers write kHead and kPushedCount, the consumer writes kTail and line 5):
 *
 *   0        64        128          192             256            320            384
 *   +--------+---------+------------+---------------+--------------+--------------+-------------------+
 *   | kHead  | kTail   | kConsumer- | kProducer-    | kPushedCount | kPoppedCount | data: capacity    |
 *   | (i32)  | (i32)   | Sleeping   | Waiters (i32) | (i32)        | kBatchActive |  bytes: records   |
 *   |        |         | (i32)      |               |              | kInFlight-   |  [len][pad]       |
 *   |        |         |            |               |              |  Cursor      |  [payload..8]     |
 *   |        |         |            |               |              | kBatchEnd-   |                   |
 *   |        |         |            |               |              |  Cursor,Count|                   |
 *   +--------+---------+------------+---------------+--------------+--------------+-------------------+
 *
 * Cursors are free-running byte counts (wrapping 32-bit integers); `cursor & mask` is the data offset.
 * A record is an 8-byte header (length, then a reserved word) and the payload padded to 8 bytes. A length
 * of kWrapMarker means "the rest of the data area is padding, continue at offset 0". The consumer zeroes
 * every byte it consumed before it publishes its tail, so any future header position reads as zero until
 * a producer publishes it. It zeroes once per batch, just before publishing: until then the headers of
 * the batch's records stay intact, so a replacement consumer can walk them if this one dies mid-batch.
 *
 * The consumer-owned words of line 5 are written with plain stores: only the consumer thread writes them,
 * and only a replacement consumer reads them, after the dead one's thread has ended (which orders them).
 */
import { assert } from './assert.js';
import { EngineError } from './errors.js';

const kControlBytes = 384;
const kIntsPerLine = 16;
const kHead = 0;
const kTail = kIntsPerLine;
const kConsumerSleeping = 2 * kIntsPerLine;
const kProducerWaiters = 3 * kIntsPerLine;
const kPushedCount = 4 * kIntsPerLine;
const kPoppedCount = 5 * kIntsPerLine;
/** Consumer-owned: 1 while a batch is being handled, and the cursor of the message being handled. */
const kBatchActive = 5 * kIntsPerLine + 1;
const kInFlightCursor = 5 * kIntsPerLine + 2;
/** Consumer-owned: where the batch ends and how many messages it held, written before it is zeroed. */
const kBatchEndCursor = 5 * kIntsPerLine + 3;
const kBatchEndCount = 5 * kIntsPerLine + 4;

const kRecordHeaderBytes = 8;
const kWrapMarker = -1;
/** Length word of a zero-byte message: zero itself means "not yet published". */
const kEmptyMarker = -2;
const kMinCapacityBytes = 64;
const kMaxCapacityBytes = 1 << 30;
const kSpinIterations = 200;
/** A waiting producer re-checks at least this often, even if a wake-up was missed. */
const kProducerWaitSliceMs = 50;
/**
 * A consumer wakes waiting producers once it has freed this share of the capacity (or emptied the ring),
 * not after every batch: waking a producer costs a futex syscall on both sides, and a producer woken for
 * one record's room fills it and parks again (with one-message batches that was 44% of the consumer).
 */
const kWakeProducersDivisor = 8;

/** What `tryPush` returns: a value, never an exception, because a full ring is an expected condition. */
export const PushResult = { Ok: 0, Full: 1 } as const;
export type PushResult = (typeof PushResult)[keyof typeof PushResult];

export type ProducerMode = 'single' | 'multi';

export interface RingOptions {
  /** Data area size in bytes; a power of two between 64 B and 1 GiB. */
  capacityBytes: number;
  /** Largest payload accepted; at most a quarter of the capacity so a wrap never starves a message. */
  maxMessageBytes?: number;
}

/**
 * Called once per message by `drain`; the bytes are only valid during the call. Returning `false` ends
 * the batch after this message (a consumer that must wait for async work before the next one).
 */
export type RingHandler = (data: Uint8Array, offset: number, length: number) => boolean | void;

function isPowerOfTwo(value: number): boolean {
  return Number.isInteger(value) && value > 0 && (value & (value - 1)) === 0;
}

function align8(value: number): number {
  return (value + 7) & ~7;
}

/** The shared memory of one ring; pass `buffer` to another thread and wrap it there with `Ring.attach`. */
export class Ring {
  readonly buffer: SharedArrayBuffer;
  readonly capacityBytes: number;
  readonly maxMessageBytes: number;
  private readonly control: Int32Array;
  private readonly data: Uint8Array;
  private readonly words: Int32Array;
  private readonly mask: number;
  private readonly multiProducer: boolean;
  /** Set by `wakeConsumer` in the consumer's own thread to end a `waitForMessageAsync` early. */
  private wakeRequested = false;
  /**
   * Single-producer mode only: the producer's own head, and the consumer's tail as this producer last
   * read it. A stale tail under-estimates the room, so it is safe; it is re-read only when the ring looks
   * full. (Not in multi mode: there other producers move the head, and after 4 GiB of their traffic a
   * stale tail would alias a current one.)
   */
  private ownHead: number;
  private cachedTail: number;
  /** Producer only: the tail value a waiting producer sleeps on (set by attemptAsWaiter). */
  private waitTail = 0;
  /** Consumer only: bytes freed since waiting producers were last woken. */
  private freedSinceWake = 0;

  private constructor(buffer: SharedArrayBuffer, maxMessageBytes: number, mode: ProducerMode) {
    this.buffer = buffer;
    this.capacityBytes = buffer.byteLength - kControlBytes;
    this.mask = this.capacityBytes - 1;
    this.maxMessageBytes = maxMessageBytes;
    this.control = new Int32Array(buffer, 0, kControlBytes / 4);
    this.data = new Uint8Array(buffer, kControlBytes, this.capacityBytes);
    this.words = new Int32Array(buffer, kControlBytes, this.capacityBytes / 4);
    this.multiProducer = mode === 'multi';
    this.ownHead = Atomics.load(this.control, kHead);
    this.cachedTail = Atomics.load(this.control, kTail);
  }

  /**
   * Allocates a new ring.
   * @throws EngineError ERR_RING_BAD_CAPACITY when the capacity is not a power of two in range, or the
   *   maximum message size is out of range.
   */
  static create(options: RingOptions, mode: ProducerMode = 'multi'): Ring {
    const { capacityBytes } = options;
    if (!isPowerOfTwo(capacityBytes) || capacityBytes < kMinCapacityBytes || capacityBytes > kMaxCapacityBytes) {
      throw new EngineError(
        'ERR_RING_BAD_CAPACITY',
        `expected a power of two between ${kMinCapacityBytes} and ${kMaxCapacityBytes} bytes, was ${capacityBytes}`,
      );
    }
    const maxMessageBytes = options.maxMessageBytes ?? capacityBytes / 4 - kRecordHeaderBytes;
    if (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1 || maxMessageBytes > capacityBytes / 4 - kRecordHeaderBytes) {
      throw new EngineError(
        'ERR_RING_BAD_CAPACITY',
        `expected maxMessageBytes between 1 and ${capacityBytes / 4 - kRecordHeaderBytes}, was ${maxMessageBytes}`,
      );
    }
    const buffer = new SharedArrayBuffer(kControlBytes + capacityBytes);
    return new Ring(buffer, maxMessageBytes, mode);
  }

  /** Wraps a buffer made by `create` (usually in another thread). */
  static attach(buffer: SharedArrayBuffer, maxMessageBytes: number, mode: ProducerMode = 'multi'): Ring {
    const capacityBytes = buffer.byteLength - kControlBytes;
    if (!isPowerOfTwo(capacityBytes)) {
      throw new EngineError('ERR_RING_BAD_CAPACITY', `expected a ring buffer, was ${buffer.byteLength} bytes`);
    }
    return new Ring(buffer, maxMessageBytes, mode);
  }

  /** Messages pushed but not yet consumed (a snapshot; exact when both sides are quiet). */
  get depth(): number {
    return (Atomics.load(this.control, kPushedCount) - Atomics.load(this.control, kPoppedCount)) | 0;
  }

  get pushedCount(): number {
    return Atomics.load(this.control, kPushedCount) >>> 0;
  }

  get usedBytes(): number {
    return (Atomics.load(this.control, kHead) - Atomics.load(this.control, kTail)) | 0;
  }

  // ---------------------------------------------------------------------------------------------------
  // Producer side.

  /**
   * Copies `length` bytes of `source` into the ring as one message, or reports `Full` without waiting.
   * Allocates nothing.
   * @throws EngineError ERR_RING_MESSAGE_TOO_LARGE when the message can never fit (a caller bug).
   */
  tryPush(source: Uint8Array, length: number = source.length): PushResult {
    if (length > this.maxMessageBytes || length < 0) {
      throw new EngineError('ERR_RING_MESSAGE_TOO_LARGE', `expected at most ${this.maxMessageBytes} bytes, was ${length}`);
    }
    const recordBytes = kRecordHeaderBytes + align8(length);
    const control = this.control;
    let head: number;
    let padding: number;
    if (!this.multiProducer) {
      head = this.ownHead;
      const offset = head & this.mask;
      const contiguous = this.capacityBytes - offset;
      padding = recordBytes > contiguous ? contiguous : 0;
      if (((head - this.cachedTail) | 0) + padding + recordBytes > this.capacityBytes) {
        this.cachedTail = Atomics.load(control, kTail);
        if (((head - this.cachedTail) | 0) + padding + recordBytes > this.capacityBytes) return PushResult.Full;
      }
      this.ownHead = (head + padding + recordBytes) | 0;
      // Only this producer reads the head back (the consumer goes by length words): no fence needed.
      control[kHead] = this.ownHead;
    } else {
      for (;;) {
        head = Atomics.load(control, kHead);
        const tail = Atomics.load(control, kTail);
        const offset = head & this.mask;
        const contiguous = this.capacityBytes - offset;
        padding = recordBytes > contiguous ? contiguous : 0;
        const used = (head - tail) | 0;
        if (used + padding + recordBytes > this.capacityBytes) return PushResult.Full;
        const next = (head + padding + recordBytes) | 0;
        if (Atomics.compareExchange(control, kHead, head, next) === head) break;
      }
    }
    let offset = head & this.mask;
    if (padding !== 0) {
      Atomics.store(this.words, offset >> 2, kWrapMarker);
      offset = 0;
    }
    this.data.set(length === source.length ? source : source.subarray(0, length), offset + kRecordHeaderBytes);
    // Publishing the length last is what makes the payload visible to the consumer.
    Atomics.store(this.words, offset >> 2, length === 0 ? kEmptyMarker : length);
    Atomics.add(control, kPushedCount, 1);
    if (Atomics.load(control, kConsumerSleeping) === 1 && Atomics.compareExchange(control, kConsumerSleeping, 1, 0) === 1) {
      Atomics.notify(control, kConsumerSleeping);
    }
    return PushResult.Ok;
  }

  /**
   * Pushes, waiting (blocking this thread, in slices) up to `timeoutMs` for space. Never call it on a
   * thread that runs an event loop that must stay responsive (the gateway): use `pushAsync` there.
   * @returns Ok, or Full when the timeout passed with the ring still full.
   */
  push(source: Uint8Array, length: number = source.length, timeoutMs = 1_000): PushResult {
    if (this.tryPush(source, length) === PushResult.Ok) return PushResult.Ok;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const result = this.attemptAsWaiter(source, length, deadline);
      if (result !== null) return result;
      Atomics.wait(this.control, kTail, this.waitTail, Math.min(deadline - performance.now(), kProducerWaitSliceMs));
      Atomics.sub(this.control, kProducerWaiters, 1);
    }
  }

  /**
   * Like `push`, but waits with `Atomics.waitAsync`, so the calling thread's event loop keeps running.
   * `owned`: the caller keeps `source` unchanged until the promise settles, so no copy is taken.
   */
  async pushAsync(source: Uint8Array, length: number = source.length, timeoutMs = 1_000, owned = false): Promise<PushResult> {
    if (this.tryPush(source, length) === PushResult.Ok) return PushResult.Ok;
    // The bytes may be a reused encode buffer: keep our own copy while we wait.
    const copy = owned ? source : source.slice(0, length);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const result = this.attemptAsWaiter(copy, length, deadline);
      if (result !== null) return result;
      const waiting = Atomics.waitAsync(this.control, kTail, this.waitTail, Math.min(deadline - performance.now(), kProducerWaitSliceMs));
      if (waiting.async) await waiting.value;
      Atomics.sub(this.control, kProducerWaiters, 1);
    }
  }

  /**
   * One attempt of a waiting producer: records the tail to wait on, counts itself as a waiter (so the
   * consumer notifies), then retries. Returns the result when done (waiter count restored), or null when
   * the caller must wait on `waitTail` and then uncount itself.
   */
  private attemptAsWaiter(source: Uint8Array, length: number, deadline: number): PushResult | null {
    this.waitTail = Atomics.load(this.control, kTail);
    Atomics.add(this.control, kProducerWaiters, 1);
    const pushed = this.tryPush(source, length) === PushResult.Ok;
    if (pushed || deadline - performance.now() <= 0) {
      Atomics.sub(this.control, kProducerWaiters, 1);
      return pushed ? PushResult.Ok : PushResult.Full;
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------------
  // Consumer side (one thread only).

  /** True when a published message is waiting at the tail. */
  hasMessage(): boolean {
    const offset = Atomics.load(this.control, kTail) & this.mask;
    return Atomics.load(this.words, offset >> 2) !== 0;
  }

  /**
   * Hands up to `maxMessages` published messages to `handler`, in order, then frees their space.
   * If the handler throws, the message that threw counts as consumed (so a poison message cannot wedge
   * a restarted consumer) and the error propagates.
   * @returns how many messages were handed over.
   */
  drain(handler: RingHandler, maxMessages = 1_024): number {
    const control = this.control;
    const words = this.words;
    const data = this.data;
    const start = Atomics.load(control, kTail);
    let tail = start;
    let count = 0;
    // The consumed bytes not yet zeroed: [zeroFrom, zeroTo), always just behind the cursor.
    let zeroFrom = start & this.mask;
    let zeroTo = zeroFrom;
    control[kBatchEndCursor] = start;
    control[kBatchActive] = 1;
    try {
      while (count < maxMessages) {
        const offset = tail & this.mask;
        if (offset !== zeroTo) {
          // The batch wrapped to offset 0: zero the span behind it now, before reading the next header,
          // which may be this batch's own first record (when the batch went all the way round).
          data.fill(0, zeroFrom, zeroTo);
          zeroFrom = offset;
          zeroTo = offset;
        }
        const word = Atomics.load(words, offset >> 2);
        if (word === 0) break;
        if (word === kWrapMarker) {
          zeroTo = this.capacityBytes;
          tail = (tail + this.capacityBytes - offset) | 0;
          continue;
        }
        this.assertLengthWord(word, offset);
        const length = word === kEmptyMarker ? 0 : word;
        const recordBytes = kRecordHeaderBytes + align8(length);
        count++;
        let keepGoing: boolean | void = true;
        control[kInFlightCursor] = tail;
        try {
          keepGoing = handler(data, offset + kRecordHeaderBytes, length);
        } finally {
          zeroTo = offset + recordBytes;
          tail = (tail + recordBytes) | 0;
        }
        if (keepGoing === false) break;
      }
    } finally {
      // Record where the batch ends before zeroing it: from here on its headers cannot be walked.
      control[kBatchEndCount] = count;
      control[kBatchEndCursor] = tail;
      data.fill(0, zeroFrom, zeroTo);
      control[kBatchActive] = 0;
      if (tail !== start) {
        Atomics.store(control, kTail, tail);
        control[kPoppedCount] = (control[kPoppedCount]! + count) | 0;
        this.wakeProducersIfRoom((tail - start) | 0);
      }
    }
    return count;
  }

  /**
   * Called by a consumer that replaces one that died in the middle of a batch (its thread was killed, so
   * the batch's tail was never published). The messages before the one in flight were handled: they are
   * skipped, not handled twice. The one in flight may have killed its consumer: it is skipped too, so a
   * poison message cannot kill every restart (at-most-once for that single message).
   * @returns how many messages were skipped (0 when the previous consumer ended cleanly).
   */
  recoverAbandonedBatch(): number {
    const control = this.control;
    if (Atomics.load(control, kBatchActive) === 0) return 0;
    const inFlight = Atomics.load(control, kInFlightCursor);
    let tail = Atomics.load(control, kTail);
    const batchEnd = Atomics.load(control, kBatchEndCursor);
    if (batchEnd !== tail) {
      // It died after it had handled the whole batch and started zeroing it: finish that, skip nothing.
      this.zeroSpan(tail, batchEnd);
      Atomics.store(control, kTail, batchEnd);
      control[kPoppedCount] = (control[kPoppedCount]! + control[kBatchEndCount]!) | 0;
      control[kBatchActive] = 0;
      if (Atomics.load(control, kProducerWaiters) > 0) Atomics.notify(control, kTail);
      return 0;
    }
    let skipped = 0;
    for (;;) {
      const offset = tail & this.mask;
      const word = Atomics.load(this.words, offset >> 2);
      if (word === 0) break;
      if (word === kWrapMarker) {
        this.data.fill(0, offset, this.capacityBytes);
        tail = (tail + this.capacityBytes - offset) | 0;
        continue;
      }
      this.assertLengthWord(word, offset);
      const recordBytes = kRecordHeaderBytes + align8(word === kEmptyMarker ? 0 : word);
      this.data.fill(0, offset, offset + recordBytes);
      const wasInFlight = tail === inFlight;
      tail = (tail + recordBytes) | 0;
      skipped++;
      if (wasInFlight) break;
    }
    Atomics.store(control, kTail, tail);
    control[kPoppedCount] = (control[kPoppedCount]! + skipped) | 0;
    control[kBatchActive] = 0;
    if (Atomics.load(control, kProducerWaiters) > 0) Atomics.notify(control, kTail);
    return skipped;
  }

  /**
   * A length word read from shared memory is trusted only within the ring's own bounds: a larger one means
   * the memory was corrupted (or written by a buggy producer), and reading past it would hand garbage on.
   */
  private assertLengthWord(word: number, offset: number): void {
    assert(word === kEmptyMarker || word > 0, () => `expected a record length word > 0 at offset ${offset}, was ${word}`);
    assert(word === kEmptyMarker || offset + kRecordHeaderBytes + word <= this.capacityBytes, () => `expected a record inside the ring at offset ${offset}, was ${word} bytes long`);
  }

  /** Zeroes the data bytes from cursor `from` up to cursor `to` (at most the capacity), across the wrap. */
  private zeroSpan(from: number, to: number): void {
    const bytes = (to - from) | 0;
    const start = from & this.mask;
    const end = start + bytes;
    if (end <= this.capacityBytes) {
      this.data.fill(0, start, end);
    } else {
      this.data.fill(0, start, this.capacityBytes);
      this.data.fill(0, 0, end - this.capacityBytes);
    }
  }

  /** Wakes producers parked in `push` once enough room was freed (see kWakeProducersDivisor). */
  private wakeProducersIfRoom(freedBytes: number): void {
    this.freedSinceWake += freedBytes;
    if (Atomics.load(this.control, kProducerWaiters) === 0) return;
    if (this.freedSinceWake < this.capacityBytes / kWakeProducersDivisor && this.hasMessage()) return;
    this.freedSinceWake = 0;
    Atomics.notify(this.control, kTail);
  }

  /**
   * Blocks this thread until a message is published or `timeoutMs` passes: a short bounded spin, then
   * `Atomics.wait`. For worker threads without an event loop to keep alive (benches, the stress test).
   * @returns true when a message is ready.
   */
  waitForMessage(timeoutMs: number): boolean {
    for (let spin = 0; spin < kSpinIterations; spin++) if (this.hasMessage()) return true;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      Atomics.store(this.control, kConsumerSleeping, 1);
      // Re-check after announcing sleep: a producer that published before it saw the flag will not wake us.
      if (this.hasMessage()) break;
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) break;
      Atomics.wait(this.control, kConsumerSleeping, 1, remainingMs);
      // A wake-up can come from a producer that published a later record while an earlier one is still
      // being written (many producers): loop until the record at the tail is published or time is up.
    }
    Atomics.store(this.control, kConsumerSleeping, 0);
    return this.hasMessage();
  }

  /**
   * Resolves when a message is published or `timeoutMs` passes, without blocking the event loop: a short
   * bounded spin, then `Atomics.waitAsync`.
   */
  async waitForMessageAsync(timeoutMs: number): Promise<boolean> {
    for (let spin = 0; spin < kSpinIterations; spin++) if (this.hasMessage()) return true;
    const deadline = performance.now() + timeoutMs;
    this.wakeRequested = false;
    for (;;) {
      Atomics.store(this.control, kConsumerSleeping, 1);
      if (this.hasMessage() || this.wakeRequested) break;
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) break;
      const waiting = Atomics.waitAsync(this.control, kConsumerSleeping, 1, remainingMs);
      if (waiting.async) await waiting.value;
    }
    Atomics.store(this.control, kConsumerSleeping, 0);
    return this.hasMessage();
  }

  /** Wakes a consumer parked in `waitForMessage*` (used to make it notice a stop request). */
  wakeConsumer(): void {
    this.wakeRequested = true;
    Atomics.store(this.control, kConsumerSleeping, 0);
    Atomics.notify(this.control, kConsumerSleeping);
  }
}
