/**
 * One actor's (or the main thread's) side of the message plane: it sends into other actors' inboxes,
 * keeps its outstanding requests, and dispatches what arrives in its own inbox to typed handlers.
 * The worker runtime and the main thread's system both use it, so request/response works the same
 * from anywhere.
 *
 * Delivery rules (docs/runtime.md, "Sizes and backpressure"):
 *   - Messages from one endpoint to one target arrive in send order, and none is dropped while the target
 *     lives. A message that finds the target's inbox full waits in this endpoint's outbox for that target
 *     (a FIFO of copies, bounded in bytes) and is pushed as soon as the target frees room; later messages
 *     to the same target queue behind it.
 *   - A message larger than one ring record is cut into fragments (flag Fragment) that the receiver
 *     reassembles; beyond `maxMessageBytes` in all it is refused as `TooLarge`, a value for that one
 *     message, never an exception that kills the sender.
 *   - Producers ask `congestion()` before producing more: it is a promise while any outbox is above its
 *     high-water mark, so a producer waits (the simulated exchange steps less, a consumer stops draining
 *     its own inbox) and the backpressure travels upstream to whoever makes the data.
 */
import { assert } from './assert.js';
import { Codec, Envelope, MessageFlags, kEnvelopeBytes, writeEnvelope, type EnvelopeFields } from './codec.js';
import type { Clock } from './clock.js';
import { ActorState, type Directory } from './directory.js';
import { OctopusError, describeError, type ErrorCode } from './errors.js';
import { MessageType, messageTypeName, type BodyOf, type ReplyOf } from './messages.js';
import { PushResult, type Ring } from './ring.js';

export const SendResult = {
  Ok: 0,
  /** The outbox for the target is at its bound: the caller must slow down (see `congestion`). */
  Full: 1,
  /** The target is stopped or dead: the message was counted as a dead letter. */
  DeadLetter: 2,
  /** The message is larger than `maxMessageBytes` even in fragments: refused, counted. */
  TooLarge: 3,
} as const;
export type SendResult = (typeof SendResult)[keyof typeof SendResult];

/**
 * A handler gets the decoded body and the envelope (a reused object: copy what you keep). For a request
 * its return value (or the value its promise resolves to) is the reply.
 */
export type Handler = (body: unknown, envelope: Envelope) => unknown;

interface PendingRequest {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
}

export interface EndpointOptions {
  /** Most requests this endpoint may have outstanding; more is an ERR_ACTOR_TOO_MANY_PENDING. */
  maxPendingRequests: number;
  /** Messages handled per batch before yielding to the event loop. */
  batchSize: number;
  /** Largest message, fragments included, that may be sent or reassembled. */
  maxMessageBytes: number;
  /** Bytes queued per target at most; beyond, `send` answers Full. */
  maxQueuedBytesPerTarget: number;
  /** Queued bytes per target above which `congestion()` makes producers wait ... */
  highWaterBytes: number;
  /** ... until every outbox is back below this. */
  lowWaterBytes: number;
}

export const defaultEndpointOptions: EndpointOptions = {
  maxPendingRequests: 4_096,
  batchSize: 256,
  maxMessageBytes: 64 << 20,
  maxQueuedBytesPerTarget: 256 << 20,
  highWaterBytes: 2 << 20,
  lowWaterBytes: 512 << 10,
};

/** Counters of the outbound side, for /metrics. */
export interface OutboxStats {
  /** Messages that had to wait in an outbox (the target's inbox was full). */
  queued: number;
  /** Bytes waiting now, over all targets. */
  queuedBytes: number;
  /** Fragments sent (a message too large for one ring record makes several). */
  fragments: number;
  /** Messages refused as larger than maxMessageBytes. */
  tooLarge: number;
  /** Messages refused because an outbox was at its bound. */
  full: number;
  /** Times a producer was told to wait by `congestion()`. */
  congestionWaits: number;
}

/** The messages waiting for room in one target's inbox, oldest first. */
class Outbox {
  readonly messages: Uint8Array[] = [];
  head = 0;
  bytes = 0;
  pumping = false;

  get isEmpty(): boolean {
    return this.head === this.messages.length;
  }

  add(bytes: Uint8Array): void {
    this.messages.push(bytes);
    this.bytes += bytes.length;
  }

  shift(): void {
    const message = this.messages[this.head]!;
    this.messages[this.head] = undefined as unknown as Uint8Array;
    this.head++;
    this.bytes -= message.length;
    if (this.head === this.messages.length) {
      this.messages.length = 0;
      this.head = 0;
    }
  }

  clear(): number {
    const dropped = this.messages.length - this.head;
    this.messages.length = 0;
    this.head = 0;
    this.bytes = 0;
    return dropped;
  }
}

/** A message arriving in fragments from one source. */
interface Reassembly {
  parts: Uint8Array[];
  bytes: number;
  nextIndex: number;
}

/** How long the outbox pump waits for room in one go before it re-checks the target's state. */
const kPumpWaitMs = 100;

export class Endpoint {
  readonly id: number;
  readonly name: string;
  readonly inbox: Ring;
  /** Set while an async handler runs; the serve loop awaits it before the next message. */
  private inFlight: Promise<void> | null = null;
  private readonly codec = new Codec();
  private readonly envelope = new Envelope();
  private readonly fragmentEnvelope = new Envelope();
  private readonly timestamp = new Uint32Array(2);
  private readonly handlers = new Map<number, Handler>();
  private readonly concurrentTypes = new Set<number>();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly outboxes = new Map<number, Outbox>();
  private readonly reassembly = new Map<number, Reassembly>();
  private congestionWaiters: (() => void)[] = [];
  private readonly outboxStats: OutboxStats = { queued: 0, queuedBytes: 0, fragments: 0, tooLarge: 0, full: 0, congestionWaits: 0 };
  private sequence = 0;
  private nextCorrelation = 1;
  private stopRequested = false;

  constructor(
    readonly directory: Directory,
    id: number,
    private readonly clock: Clock,
    private readonly options: EndpointOptions = defaultEndpointOptions,
  ) {
    this.id = id;
    this.name = directory.nameOf(id);
    this.inbox = directory.inbox(id);
    assert(options.lowWaterBytes < options.highWaterBytes, `expected lowWaterBytes < highWaterBytes, was ${options.lowWaterBytes} >= ${options.highWaterBytes}`);
    assert(options.highWaterBytes <= options.maxQueuedBytesPerTarget, 'expected highWaterBytes <= maxQueuedBytesPerTarget');
  }

  /**
   * Registers the handler for one message type (one handler per type). By default an async handler
   * holds the inbox until it settles (strict order). With `concurrent`, the next messages are handled
   * while its promise is pending and the reply goes out when it settles: for handlers that change state
   * synchronously and then wait for I/O (the journal's flush), so that waits overlap (group commit).
   */
  on<T extends MessageType>(
    type: T,
    handler: (body: BodyOf<T>, envelope: Envelope) => ReplyOf<T> | Promise<ReplyOf<T>> | void | Promise<void>,
    options: { concurrent?: boolean } = {},
  ): void {
    if (this.handlers.has(type)) throw new OctopusError('ERR_CONFIG_INVALID', `expected one handler for ${messageTypeName(type)}, was two`);
    this.handlers.set(type, handler as Handler);
    if (options.concurrent === true) this.concurrentTypes.add(type);
  }

  get pendingRequests(): number {
    return this.pending.size;
  }

  /** A copy of the outbound counters. */
  stats(): OutboxStats {
    let queuedBytes = 0;
    for (const outbox of this.outboxes.values()) queuedBytes += outbox.bytes;
    return { ...this.outboxStats, queuedBytes };
  }

  /**
   * Fire-and-forget, in order, never blocking: the message goes into the target's inbox, or waits in
   * this endpoint's outbox for it. Check `congestion()` before producing more.
   */
  send<T extends MessageType>(target: string | number, type: T, body: BodyOf<T>): SendResult {
    const targetId = typeof target === 'number' ? target : this.directory.idOf(target);
    return this.post(targetId, type, body, MessageFlags.None, 0, true);
  }

  /** True while any outbox is above its high-water mark (a producer should hold back). */
  isCongested(): boolean {
    for (const outbox of this.outboxes.values()) if (outbox.bytes > this.options.highWaterBytes) return true;
    return false;
  }

  /**
   * Sends many messages to one target in order, waiting whenever the outboxes are congested: the
   * producer's side of backpressure, for code that can await (a replay, a test, a bulk export).
   * @returns how many were sent; stops at the first DeadLetter or TooLarge result.
   */
  async sendAll<T extends MessageType>(target: string | number, type: T, bodies: Iterable<BodyOf<T>>): Promise<{ sent: number; result: SendResult }> {
    let sent = 0;
    for (const body of bodies) {
      for (;;) {
        const result = this.send(target, type, body);
        if (result === SendResult.Ok) break;
        if (result !== SendResult.Full) return { sent, result };
        await (this.congestion() ?? new Promise<void>((resolve) => setTimeout(resolve, 5)));
      }
      sent++;
      const congestion = this.congestion();
      if (congestion !== null) await congestion;
    }
    return { sent, result: SendResult.Ok };
  }

  /**
   * Null when every outbox is below its high-water mark; otherwise a promise that resolves once they are
   * all back below the low-water mark (or their targets are gone). Producers await it before making more.
   */
  congestion(): Promise<void> | null {
    if (!this.isCongested()) return null;
    this.outboxStats.congestionWaits++;
    return new Promise<void>((resolve) => this.congestionWaiters.push(resolve));
  }

  /**
   * Sends a request and resolves with the reply. A request never waits in the outbox: when it cannot go
   * straight into the target's inbox it fails at once (load shedding), unless it needs fragments.
   * @throws (rejects) OctopusError ERR_ACTOR_TIMEOUT after `timeoutMs`, ERR_RING_FULL when the target's
   *   inbox is full, ERR_RING_MESSAGE_TOO_LARGE, ERR_ACTOR_DEAD when it is stopped or dead,
   *   ERR_ACTOR_TOO_MANY_PENDING past the bound, or the error the target's handler threw (its code kept).
   */
  request<T extends MessageType>(target: string | number, type: T, body: BodyOf<T>, timeoutMs = 5_000): Promise<ReplyOf<T>> {
    const targetId = typeof target === 'number' ? target : this.directory.idOf(target);
    if (this.pending.size >= this.options.maxPendingRequests) {
      return Promise.reject(
        new OctopusError('ERR_ACTOR_TOO_MANY_PENDING', `expected at most ${this.options.maxPendingRequests} pending requests, was more`),
      );
    }
    const correlation = this.nextCorrelation;
    this.nextCorrelation = (this.nextCorrelation + 1) >>> 0 || 1;
    const result = this.post(targetId, type, body, MessageFlags.None, correlation, false);
    if (result !== SendResult.Ok) return Promise.reject(this.sendError(result, targetId, type));
    return new Promise<ReplyOf<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlation);
        reject(
          new OctopusError(
            'ERR_ACTOR_TIMEOUT',
            `expected a reply to ${messageTypeName(type)} from ${this.directory.nameOf(targetId)} within ${timeoutMs} ms, was none`,
          ),
        );
      }, timeoutMs);
      this.pending.set(correlation, { resolve: resolve as (value: unknown) => void, reject, timer });
    });
  }

  private sendError(result: SendResult, targetId: number, type: MessageType): OctopusError {
    const target = this.directory.nameOf(targetId);
    if (result === SendResult.DeadLetter) return new OctopusError('ERR_ACTOR_DEAD', `expected ${target} to be running, was ${this.directory.state(targetId)}`);
    if (result === SendResult.TooLarge) return new OctopusError('ERR_RING_MESSAGE_TOO_LARGE', `expected a ${messageTypeName(type)} of at most ${this.options.maxMessageBytes} bytes, was larger`);
    return new OctopusError('ERR_RING_FULL', `expected room in ${target}'s inbox, was full`);
  }

  /**
   * Encodes and routes one message: straight into the target's inbox when nothing of ours waits ahead of
   * it, else (when `mayQueue`, or when it needs fragments) into the outbox behind what waits.
   */
  private post(targetId: number, type: MessageType, body: unknown, flags: number, correlation: number, mayQueue: boolean): SendResult {
    const state = this.directory.state(targetId);
    if (state === ActorState.Stopped || state === ActorState.Dead) {
      this.directory.countDeadLetter(targetId);
      return SendResult.DeadLetter;
    }
    this.clock.nowNsParts(this.timestamp);
    this.sequence = (this.sequence + 1) >>> 0;
    const fields: EnvelopeFields = { type, source: this.id, flags, seq: this.sequence, corr: correlation, tsHigh: this.timestamp[0]!, tsLow: this.timestamp[1]! };
    const bytes = this.codec.encode(fields, body);
    const ring = this.directory.inbox(targetId);
    if (bytes.length > ring.maxMessageBytes) return this.postFragments(targetId, ring, bytes, fields);
    const outbox = this.outboxes.get(targetId);
    if ((outbox === undefined || outbox.isEmpty) && ring.tryPush(bytes) === PushResult.Ok) return SendResult.Ok;
    if (!mayQueue) return SendResult.Full;
    return this.enqueue(targetId, [bytes.slice()], bytes.length);
  }

  /** Cuts an encoded message into ring-sized fragments and queues them together, in order. */
  private postFragments(targetId: number, ring: Ring, bytes: Uint8Array, fields: EnvelopeFields): SendResult {
    if (bytes.length > this.options.maxMessageBytes) {
      this.outboxStats.tooLarge++;
      return SendResult.TooLarge;
    }
    const pieceBytes = ring.maxMessageBytes - kEnvelopeBytes;
    assert(pieceBytes > 0, `expected room for a fragment in a ${ring.maxMessageBytes}-byte record, was none`);
    const count = Math.ceil(bytes.length / pieceBytes);
    const fragments: Uint8Array[] = [];
    for (let index = 0; index < count; index++) {
      const slice = bytes.subarray(index * pieceBytes, Math.min(bytes.length, (index + 1) * pieceBytes));
      const fragment = new Uint8Array(kEnvelopeBytes + slice.length);
      const last = index === count - 1;
      writeEnvelope(fragment, { ...fields, flags: MessageFlags.Fragment | (last ? MessageFlags.FragmentLast : 0), seq: index, corr: fields.corr });
      fragment.set(slice, kEnvelopeBytes);
      fragments.push(fragment);
    }
    this.outboxStats.fragments += count;
    return this.enqueue(targetId, fragments, bytes.length);
  }

  private enqueue(targetId: number, messages: Uint8Array[], bytes: number): SendResult {
    let outbox = this.outboxes.get(targetId);
    if (outbox === undefined) this.outboxes.set(targetId, (outbox = new Outbox()));
    if (outbox.bytes + bytes > this.options.maxQueuedBytesPerTarget) {
      this.outboxStats.full++;
      return SendResult.Full;
    }
    for (const message of messages) outbox.add(message);
    this.outboxStats.queued++;
    if (!outbox.pumping) this.pump(targetId, outbox).catch((error: unknown) => this.reportPumpFailure(targetId, error));
    return SendResult.Ok;
  }

  /** Pushes an outbox's messages in order as room appears; drops them (dead letters) if the target dies. */
  private async pump(targetId: number, outbox: Outbox): Promise<void> {
    outbox.pumping = true;
    const ring = this.directory.inbox(targetId);
    try {
      while (!outbox.isEmpty) {
        const state = this.directory.state(targetId);
        if (state === ActorState.Stopped || state === ActorState.Dead) {
          const dropped = outbox.clear();
          for (let index = 0; index < dropped; index++) this.directory.countDeadLetter(targetId);
          break;
        }
        const message = outbox.messages[outbox.head]!;
        if ((await ring.pushAsync(message, message.length, kPumpWaitMs, true)) === PushResult.Ok) {
          outbox.shift();
          if (outbox.bytes <= this.options.lowWaterBytes) this.releaseCongestion();
        }
      }
    } finally {
      outbox.pumping = false;
      this.releaseCongestion();
    }
  }

  private releaseCongestion(): void {
    if (this.congestionWaiters.length === 0) return;
    for (const outbox of this.outboxes.values()) if (outbox.bytes > this.options.lowWaterBytes) return;
    const waiters = this.congestionWaiters;
    this.congestionWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private reportPumpFailure(targetId: number, error: unknown): void {
    // A failed push is a broken ring (an assertion): nothing sensible can continue in this thread.
    setImmediate(() => {
      throw new OctopusError('ERR_INTERNAL', `expected the outbox for ${this.directory.nameOf(targetId)} to drain, was a failure`, { cause: error });
    });
  }

  private reply(targetId: number, type: MessageType, correlation: number, body: unknown, flags: number): void {
    let result = this.post(targetId, type, body ?? null, MessageFlags.Reply | flags, correlation, true);
    if (result === SendResult.TooLarge) {
      const error = { code: 'ERR_RING_MESSAGE_TOO_LARGE', message: `expected a reply to ${messageTypeName(type)} of at most ${this.options.maxMessageBytes} bytes, was larger` };
      result = this.post(targetId, type, error, MessageFlags.Reply | MessageFlags.Error, correlation, true);
    }
    // A reply that cannot be delivered (requester gone or its outbox full) is dropped: the requester's
    // timeout reports it. Count it so it is visible.
    if (result !== SendResult.Ok) this.directory.countDeadLetter(targetId);
  }

  private settle(correlation: number, flags: number, body: unknown): void {
    const request = this.pending.get(correlation);
    if (request === undefined) return; // timed out already
    this.pending.delete(correlation);
    clearTimeout(request.timer);
    if ((flags & MessageFlags.Error) !== 0) {
      const description = body as { code?: string; message?: string };
      const code = (description.code ?? 'ERR_ACTOR_HANDLER_FAILED') as ErrorCode;
      request.reject(new OctopusError(code, description.message ?? 'handler failed'));
    } else {
      request.resolve(body);
    }
  }

  /**
   * Collects one fragment; returns the whole message once its last fragment is in, else null. A fragment
   * with index 0 starts over (a sender that died mid-message leaves a partial one behind).
   */
  private collectFragment(data: Uint8Array, offset: number, length: number, envelope: Envelope): Uint8Array | null {
    let entry = this.reassembly.get(envelope.source);
    if (envelope.seq === 0 || entry === undefined) {
      entry = { parts: [], bytes: 0, nextIndex: 0 };
      this.reassembly.set(envelope.source, entry);
    }
    if (envelope.seq !== entry.nextIndex || entry.bytes + length > this.options.maxMessageBytes) {
      // Out of sequence (a lost start) or over the bound: the message cannot be rebuilt; drop it.
      this.reassembly.delete(envelope.source);
      this.directory.countDeadLetter(this.id);
      return null;
    }
    entry.parts.push(data.slice(offset + kEnvelopeBytes, offset + length));
    entry.bytes += length - kEnvelopeBytes;
    entry.nextIndex++;
    if ((envelope.flags & MessageFlags.FragmentLast) === 0) return null;
    this.reassembly.delete(envelope.source);
    const whole = new Uint8Array(entry.bytes);
    let at = 0;
    for (const part of entry.parts) {
      whole.set(part, at);
      at += part.length;
    }
    return whole;
  }

  private readonly dispatch = (data: Uint8Array, offset: number, length: number): boolean => {
    const first = this.codec.decodeEnvelope(data, offset, length, this.fragmentEnvelope);
    if ((first.flags & MessageFlags.Fragment) !== 0) {
      const whole = this.collectFragment(data, offset, length, first);
      return whole === null ? true : this.handle(whole, 0, whole.length);
    }
    return this.handle(data, offset, length);
  };

  private handle(data: Uint8Array, offset: number, length: number): boolean {
    const envelope = this.codec.decodeEnvelope(data, offset, length, this.envelope);
    const body = this.codec.decodeBody(data, offset, length);
    if ((envelope.flags & MessageFlags.Reply) !== 0) {
      this.settle(envelope.corr, envelope.flags, body);
      return true;
    }
    const { type, source, corr: correlation } = envelope;
    const handler = this.handlers.get(type);
    if (handler === undefined) {
      if (correlation !== 0) {
        this.reply(source, type, correlation, { code: 'ERR_ACTOR_NO_HANDLER', message: `expected a handler for ${messageTypeName(type)} in ${this.name}, was none` }, MessageFlags.Error);
      }
      this.directory.countDeadLetter(this.id);
      return true;
    }
    let result: unknown;
    try {
      result = handler(body, envelope);
    } catch (error) {
      this.failRequest(source, type, correlation, error);
      if (isExpectedError(error)) return true;
      throw error;
    }
    if (result instanceof Promise && this.concurrentTypes.has(type)) {
      result.then(
        (value: unknown) => {
          if (correlation !== 0) this.reply(source, type, correlation, value, MessageFlags.None);
        },
        (error: unknown) => this.failRequest(source, type, correlation, error),
      );
      return true;
    }
    if (result instanceof Promise) {
      // Keep order: nothing else is handled until this settles.
      this.inFlight = result.then(
        (value: unknown) => {
          if (correlation !== 0) this.reply(source, type, correlation, value, MessageFlags.None);
        },
        (error: unknown) => {
          this.failRequest(source, type, correlation, error);
          if (!isExpectedError(error)) throw error;
        },
      );
      return false;
    }
    if (correlation !== 0) this.reply(source, type, correlation, result, MessageFlags.None);
    return true;
  }

  /**
   * Answers a failed request with its error. A typed OctopusError is an expected outcome (bad input, an
   * unknown order): it is the reply, not a fault of this actor, so it does not count as a handler error.
   */
  private failRequest(source: number, type: MessageType, correlation: number, error: unknown): void {
    if (!isExpectedError(error)) this.directory.countHandlerError(this.id);
    if (correlation === 0) return;
    const description = describeError(error);
    this.reply(source, type, correlation, { code: description.code ?? 'ERR_ACTOR_HANDLER_FAILED', message: description.message }, MessageFlags.Error);
  }

  /**
   * Handles up to one batch. Rejects when a handler throws (the actor is then restarted by its
   * supervisor).
   * @returns how many messages were taken from the inbox.
   */
  async handleBatch(): Promise<number> {
    const count = this.inbox.drain(this.dispatch, this.options.batchSize);
    if (count > 0) this.directory.addProcessed(this.id, count);
    if (this.inFlight !== null) {
      const inFlight = this.inFlight;
      this.inFlight = null;
      await inFlight;
    }
    return count;
  }

  /**
   * The consumer loop: handle batches, yield to the event loop between them (timers and control
   * messages keep running), park on the inbox when idle. Ends when `stop` is called, after handling
   * what is already in the inbox (bounded by `drainLimit` messages).
   */
  async serve(drainLimit = 100_000): Promise<void> {
    while (!this.stopRequested) {
      const count = await this.handleBatch();
      if (count > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      else await this.inbox.waitForMessageAsync(1_000);
    }
    let drained = 0;
    while (drained < drainLimit) {
      const count = await this.handleBatch();
      if (count === 0) break;
      drained += count;
    }
  }

  /** Resolves once every outbox is empty or `timeoutMs` passed (shutdown: deliver what was sent). */
  async flushOutboxes(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline && [...this.outboxes.values()].some((outbox) => !outbox.isEmpty)) {
      await new Promise<void>((resolve) => setTimeout(resolve, 5));
    }
  }

  stop(): void {
    this.stopRequested = true;
    this.inbox.wakeConsumer();
  }

  /** Rejects every outstanding request (used at shutdown). */
  rejectPending(reason: string): void {
    for (const [correlation, request] of this.pending) {
      clearTimeout(request.timer);
      request.reject(new OctopusError('ERR_ACTOR_STOPPED', `expected a reply, was cut off: ${reason}`));
      this.pending.delete(correlation);
    }
  }
}

/** Typed errors are outcomes for the requester, not faults of the handler. */
function isExpectedError(error: unknown): boolean {
  return error instanceof OctopusError && error.code !== 'ERR_INTERNAL';
}
