/**
 * One actor's (or the main thread's) side of the message plane: it sends into other actors' inboxes,
 * keeps its outstanding requests, and dispatches what arrives in its own inbox to typed handlers.
 * The worker runtime and the main thread's system both use it, so request/response works the same
 * from anywhere.
 */
import { Codec, Envelope, MessageFlags } from './codec.js';
import type { Clock } from './clock.js';
import { ActorState, type Directory } from './directory.js';
import { OctopusError, describeError } from './errors.js';
import { MessageType, messageTypeName, type BodyOf, type ReplyOf } from './messages.js';
import { PushResult, type Ring } from './ring.js';

export const SendResult = {
  Ok: 0,
  /** The target's inbox is full: backpressure; retry later or shed load. */
  Full: 1,
  /** The target is stopped or dead: the message was counted as a dead letter. */
  DeadLetter: 2,
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
}

export const defaultEndpointOptions: EndpointOptions = { maxPendingRequests: 4_096, batchSize: 256 };

export class Endpoint {
  readonly id: number;
  readonly name: string;
  readonly inbox: Ring;
  /** Set while an async handler runs; the serve loop awaits it before the next message. */
  private inFlight: Promise<void> | null = null;
  private readonly codec = new Codec();
  private readonly envelope = new Envelope();
  private readonly timestamp = new Uint32Array(2);
  private readonly handlers = new Map<number, Handler>();
  private readonly concurrentTypes = new Set<number>();
  private readonly pending = new Map<number, PendingRequest>();
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

  /** Fire-and-forget. Never blocks; a full inbox is reported, not waited on. */
  send<T extends MessageType>(target: string | number, type: T, body: BodyOf<T>): SendResult {
    const targetId = typeof target === 'number' ? target : this.directory.idOf(target);
    return this.post(targetId, type, body, MessageFlags.None, 0);
  }

  /**
   * Sends a request and resolves with the reply.
   * @throws (rejects) OctopusError ERR_ACTOR_TIMEOUT after `timeoutMs`, ERR_RING_FULL when the target's
   *   inbox is full, ERR_ACTOR_DEAD when it is stopped or dead, ERR_ACTOR_TOO_MANY_PENDING past the bound,
   *   or the error the target's handler threw (its code kept).
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
    const result = this.post(targetId, type, body, MessageFlags.None, correlation);
    if (result === SendResult.Full) {
      return Promise.reject(new OctopusError('ERR_RING_FULL', `expected room in ${this.directory.nameOf(targetId)}'s inbox, was full`));
    }
    if (result === SendResult.DeadLetter) {
      return Promise.reject(new OctopusError('ERR_ACTOR_DEAD', `expected ${this.directory.nameOf(targetId)} to be running, was ${this.directory.state(targetId)}`));
    }
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

  private post(targetId: number, type: MessageType, body: unknown, flags: number, correlation: number): SendResult {
    const state = this.directory.state(targetId);
    if (state === ActorState.Stopped || state === ActorState.Dead) {
      this.directory.countDeadLetter(targetId);
      return SendResult.DeadLetter;
    }
    this.clock.nowNsParts(this.timestamp);
    this.sequence = (this.sequence + 1) >>> 0;
    const bytes = this.codec.encode(
      { type, source: this.id, flags, seq: this.sequence, corr: correlation, tsHigh: this.timestamp[0]!, tsLow: this.timestamp[1]! },
      body,
    );
    return this.directory.inbox(targetId).tryPush(bytes) === PushResult.Ok ? SendResult.Ok : SendResult.Full;
  }

  private reply(targetId: number, type: MessageType, correlation: number, body: unknown, flags: number): void {
    // A reply that cannot be delivered (requester gone or its inbox full) is dropped: the requester's
    // timeout reports it. Count it so it is visible.
    if (this.post(targetId, type, body ?? null, MessageFlags.Reply | flags, correlation) !== SendResult.Ok) {
      this.directory.countDeadLetter(targetId);
    }
  }

  private settle(correlation: number, flags: number, body: unknown): void {
    const request = this.pending.get(correlation);
    if (request === undefined) return; // timed out already
    this.pending.delete(correlation);
    clearTimeout(request.timer);
    if ((flags & MessageFlags.Error) !== 0) {
      const description = body as { code?: string; message?: string };
      const code = (description.code ?? 'ERR_ACTOR_HANDLER_FAILED') as OctopusError['code'];
      request.reject(new OctopusError(code, description.message ?? 'handler failed'));
    } else {
      request.resolve(body);
    }
  }

  private readonly dispatch = (data: Uint8Array, offset: number, length: number): boolean => {
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
          throw error;
        },
      );
      return false;
    }
    if (correlation !== 0) this.reply(source, type, correlation, result, MessageFlags.None);
    return true;
  };

  private failRequest(source: number, type: MessageType, correlation: number, error: unknown): void {
    this.directory.countHandlerError(this.id);
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
