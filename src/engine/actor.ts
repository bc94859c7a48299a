/**
 * The actor base class. An actor module default-exports a subclass; the runtime constructs it inside
 * its own worker thread with an `ActorContext`, registers its handlers, calls `start`, then feeds it
 * messages one batch at a time. Actors share no mutable state: they talk only through messages.
 */
import type { Clock } from './clock.js';
import type { Envelope } from './codec.js';
import type { Directory } from './directory.js';
import type { Endpoint, SendResult } from './endpoint.js';
import type { Logger } from './logger.js';
import type { BodyOf, MessageType, ReplyOf } from './messages.js';

export interface ActorContext<Options = unknown> {
  readonly name: string;
  readonly id: number;
  readonly options: Options;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly endpoint: Endpoint;
  readonly directory: Directory;
}

export abstract class Actor<Options = unknown> {
  constructor(protected readonly context: ActorContext<Options>) {}

  get name(): string {
    return this.context.name;
  }

  protected get options(): Options {
    return this.context.options;
  }

  protected get clock(): Clock {
    return this.context.clock;
  }

  protected get logger(): Logger {
    return this.context.logger;
  }

  /** Registers the typed handler for one message type; call it from the constructor or `start`. */
  protected on<T extends MessageType>(
    type: T,
    handler: (body: BodyOf<T>, envelope: Envelope) => ReplyOf<T> | Promise<ReplyOf<T>> | void | Promise<void>,
    options: { concurrent?: boolean } = {},
  ): void {
    this.context.endpoint.on(type, handler, options);
  }

  protected send<T extends MessageType>(target: string | number, type: T, body: BodyOf<T>): SendResult {
    return this.context.endpoint.send(target, type, body);
  }

  protected request<T extends MessageType>(target: string | number, type: T, body: BodyOf<T>, timeoutMs?: number): Promise<ReplyOf<T>> {
    return this.context.endpoint.request(target, type, body, timeoutMs);
  }

  /** Called once before the first message (open stores, start timers). */
  start(): void | Promise<void> {}

  /** Called once after the inbox is drained at shutdown (flush and close stores, stop timers). */
  stop(): void | Promise<void> {}

  /** Domain status for the control plane (StatusRequest); keep it small. */
  status(): Record<string, unknown> {
    return {};
  }
}

export type ActorClass = new (context: ActorContext<never>) => Actor<never>;
