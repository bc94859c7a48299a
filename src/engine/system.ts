/**
 * The actor system, in the main thread: spawns each actor in its own worker thread, routes by name
 * (through the shared directory: any thread writes straight into any actor's inbox), supervises (a
 * crashed actor is logged, counted and restarted with exponential backoff, or declared dead when it
 * fails too often: the system then runs degraded), reports health, and shuts down gracefully.
 *
 * An actor's inbox outlives its worker: messages sent while it restarts wait for the new worker.
 * Messages sent to an actor that is stopped or dead are counted as dead letters. A dead actor is tried
 * again after `reviveAfterMs` (a full disk that was freed, a venue back up): it does not need a restart
 * of the whole engine.
 *
 * Watchdog: every worker bumps a heartbeat word in the shared directory from its event loop. A running
 * actor whose heartbeat has not moved for `watchdogMs` is stuck in a synchronous loop; it is terminated
 * (counted on /health) and restarted like a crashed one, from its snapshot and journal.
 */
import { extname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { ActorWorkerData, SupervisorToWorker, WorkerToSupervisor } from './actor-worker.js';
import { createClock, type Clock } from './clock.js';
import { ActorState, Directory, actorStateNames, kMainEndpointId } from './directory.js';
import { Endpoint, defaultEndpointOptions, type EndpointOptions, type SendResult } from './endpoint.js';
import type { Envelope } from './codec.js';
import { errorCodes, OctopusError, type ErrorCode } from './errors.js';
import { rootLogger, type Logger } from './logger.js';
import type { BodyOf, MessageType, ReplyOf } from './messages.js';
import { spawnWorker } from './worker-spawn.js';

export interface RestartPolicy {
  /** More restarts than this within `windowMs` and the actor is declared dead. */
  maxRestarts: number;
  windowMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  /** A dead actor is started again after this long (0 = never). */
  reviveAfterMs: number;
}

export const defaultRestartPolicy: RestartPolicy = { maxRestarts: 5, windowMs: 60_000, initialBackoffMs: 100, maxBackoffMs: 5_000, reviveAfterMs: 30_000 };

export interface ActorSpec {
  name: string;
  /** The module whose default export is the actor class. */
  module: URL;
  options?: unknown;
  restart?: Partial<RestartPolicy>;
}

export interface SystemOptions {
  /** Inbox ring size per actor in bytes (power of two). */
  inboxBytes: number;
  maxMessageBytes: number;
  clock: 'live' | 'simulated';
  /** How long `start` waits for each actor to report ready. */
  startTimeoutMs: number;
  /** How long `stop` waits for actors to drain and exit before it terminates them. */
  stopTimeoutMs: number;
  endpoint: EndpointOptions;
  logger: Logger;
  /** A running actor whose heartbeat stalls this long is terminated and restarted (0 = no watchdog). */
  watchdogMs: number;
}

export const defaultSystemOptions: SystemOptions = {
  inboxBytes: 1 << 20,
  maxMessageBytes: 60 * 1024,
  clock: 'live',
  startTimeoutMs: 30_000,
  stopTimeoutMs: 1_500,
  endpoint: defaultEndpointOptions,
  logger: rootLogger,
  watchdogMs: 10_000,
};

export interface ActorHealth {
  state: string;
  restarts: number;
  inbox_depth: number;
  processed: number;
  handler_errors: number;
  dead_letters: number;
  watchdog_kills: number;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'stopping';
  uptime_s: number;
  actors: Record<string, ActorHealth>;
  dead_letters: number;
}

const actorWorkerUrl = new URL(`./actor-worker${extname(new URL(import.meta.url).pathname)}`, import.meta.url);

class Supervised {
  worker: Worker | null = null;
  readonly restartTimesMs: number[] = [];
  restartTimer: NodeJS.Timeout | null = null;
  exited: Promise<void> = Promise.resolve();
  /** The typed error a failed start reported, if any. */
  startError: { code?: string; message: string } | null = null;
  lastBeat = -1;
  lastBeatChangeMs = 0;
  constructor(
    readonly spec: ActorSpec,
    readonly id: number,
    readonly policy: RestartPolicy,
  ) {}
}

export class ActorSystem {
  readonly directory: Directory;
  readonly endpoint: Endpoint;
  readonly clock: Clock;
  private readonly supervised: Supervised[];
  private readonly startedMs = performance.now();
  private stopping = false;
  private serving: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private watchdogTimer: NodeJS.Timeout | null = null;

  private constructor(
    specs: readonly ActorSpec[],
    private readonly options: SystemOptions,
  ) {
    this.logger = options.logger;
    this.directory = Directory.create(
      specs.map((spec) => spec.name),
      options.inboxBytes,
      options.maxMessageBytes,
    );
    this.clock = createClock(options.clock);
    this.endpoint = new Endpoint(this.directory, kMainEndpointId, this.clock, options.endpoint);
    this.directory.setState(kMainEndpointId, ActorState.Running);
    this.supervised = specs.map(
      (spec) => new Supervised(spec, this.directory.idOf(spec.name), { ...defaultRestartPolicy, ...spec.restart }),
    );
  }

  /**
   * Spawns every actor and resolves once all have reported ready.
   * @throws OctopusError ERR_CONFIG_INVALID for duplicate names; rejects if an actor fails to start.
   */
  static async start(specs: readonly ActorSpec[], options: Partial<SystemOptions> = {}): Promise<ActorSystem> {
    const system = new ActorSystem(specs, { ...defaultSystemOptions, ...options });
    system.serving = system.endpoint.serve().catch((error: unknown) => {
      system.logger.error({ err: error }, 'main endpoint handler failed');
    });
    try {
      await Promise.all(system.supervised.map((actor) => system.spawn(actor)));
    } catch (error) {
      await system.stop();
      throw error;
    }
    system.startWatchdog();
    return system;
  }

  /** Registers a main-thread handler (e.g. the gateway listening for bars). */
  on<T extends MessageType>(type: T, handler: (body: BodyOf<T>, envelope: Envelope) => ReplyOf<T> | void): void {
    this.endpoint.on(type, handler);
  }

  send<T extends MessageType>(target: string, type: T, body: BodyOf<T>): SendResult {
    return this.endpoint.send(target, type, body);
  }

  request<T extends MessageType>(target: string, type: T, body: BodyOf<T>, timeoutMs?: number): Promise<ReplyOf<T>> {
    return this.endpoint.request(target, type, body, timeoutMs);
  }

  get actorNames(): string[] {
    return this.supervised.map((actor) => actor.spec.name);
  }

  /** The worker currently running an actor (tests use it to simulate a crash). */
  workerOf(name: string): Worker | null {
    return this.find(name).worker;
  }

  private find(name: string): Supervised {
    const actor = this.supervised.find((candidate) => candidate.spec.name === name);
    if (actor === undefined) throw new OctopusError('ERR_ACTOR_UNKNOWN', `expected one of ${this.actorNames.join(', ')}, was "${name}"`);
    return actor;
  }

  private spawn(actor: Supervised): Promise<void> {
    const data: ActorWorkerData = {
      name: actor.spec.name,
      id: actor.id,
      moduleUrl: actor.spec.module.href,
      options: actor.spec.options ?? {},
      directory: this.directory.toData(),
      clock: this.options.clock,
      endpointOptions: this.options.endpoint,
    };
    this.directory.setState(actor.id, ActorState.Starting);
    const worker = spawnWorker(actorWorkerUrl, { workerData: data, name: `octopus:${actor.spec.name}` });
    actor.worker = worker;
    let resolveExit!: () => void;
    actor.exited = new Promise((resolve) => (resolveExit = resolve));
    return new Promise<void>((resolve, reject) => {
      // A start that makes progress (a long journal replay beats the heartbeat as it goes) is not a
      // hang: the timeout counts from the last beat, not from the spawn.
      let lastBeat = this.directory.heartbeat(actor.id);
      let lastProgressMs = performance.now();
      const startTimer = setInterval(() => {
        const beat = this.directory.heartbeat(actor.id);
        if (beat !== lastBeat) {
          lastBeat = beat;
          lastProgressMs = performance.now();
          return;
        }
        if (performance.now() - lastProgressMs < this.options.startTimeoutMs) return;
        clearInterval(startTimer);
        reject(new OctopusError('ERR_ACTOR_TIMEOUT', `expected ${actor.spec.name} ready, or making progress, within ${this.options.startTimeoutMs} ms, was neither`));
      }, Math.min(1_000, this.options.startTimeoutMs));
      worker.on('message', (message: WorkerToSupervisor) => {
        if (message.kind === 'ready') {
          clearInterval(startTimer);
          actor.startError = null;
          actor.lastBeat = this.directory.heartbeat(actor.id);
          actor.lastBeatChangeMs = performance.now();
          if (!this.stopping) this.directory.setState(actor.id, ActorState.Running);
          this.logger.info({ actor: actor.spec.name, restarts: this.directory.restarts(actor.id) }, 'actor running');
          resolve();
        } else if (message.kind === 'stopped') {
          void worker.terminate();
        } else if (message.kind === 'start_failed') {
          actor.startError = message.error;
        } else if (message.kind === 'crashed') {
          this.logger.error({ actor: actor.spec.name, error: message.error }, 'actor crashed');
        }
      });
      worker.on('error', (error) => {
        this.logger.error({ actor: actor.spec.name, err: error }, 'actor worker failed');
      });
      worker.on('exit', (code) => {
        clearInterval(startTimer);
        actor.worker = null;
        resolveExit();
        if (this.stopping) {
          this.directory.setState(actor.id, ActorState.Stopped);
          resolve();
          return;
        }
        this.logger.warn({ actor: actor.spec.name, code }, 'actor exited unexpectedly');
        // A first start that fails is a configuration error, not something to retry forever.
        if (this.directory.state(actor.id) === ActorState.Starting && this.directory.restarts(actor.id) === 0 && actor.restartTimesMs.length === 0) {
          this.directory.setState(actor.id, ActorState.Dead);
          const reported = actor.startError;
          reject(
            reported?.code !== undefined && reported.code in errorCodes
              ? new OctopusError(reported.code as ErrorCode, reported.message)
              : new OctopusError('ERR_ACTOR_DEAD', `expected ${actor.spec.name} to start, was exit code ${code}${reported === null ? '' : ` (${reported.message})`}`),
          );
          return;
        }
        this.scheduleRestart(actor);
      });
    });
  }

  private scheduleRestart(actor: Supervised): void {
    const nowMs = performance.now();
    while (actor.restartTimesMs.length > 0 && nowMs - actor.restartTimesMs[0]! > actor.policy.windowMs) actor.restartTimesMs.shift();
    if (actor.restartTimesMs.length >= actor.policy.maxRestarts) {
      this.directory.setState(actor.id, ActorState.Dead);
      this.logger.error(
        { actor: actor.spec.name, restarts: actor.restartTimesMs.length, windowMs: actor.policy.windowMs, reviveAfterMs: actor.policy.reviveAfterMs },
        'actor failed too often; it stays down (the system runs degraded) until it is tried again',
      );
      if (actor.policy.reviveAfterMs > 0) this.scheduleRevive(actor);
      return;
    }
    const backoffMs = Math.min(actor.policy.maxBackoffMs, actor.policy.initialBackoffMs * 2 ** actor.restartTimesMs.length);
    actor.restartTimesMs.push(nowMs);
    this.directory.setState(actor.id, ActorState.Restarting);
    this.directory.countRestart(actor.id);
    this.logger.info({ actor: actor.spec.name, backoffMs }, 'restarting actor');
    actor.restartTimer = setTimeout(() => {
      actor.restartTimer = null;
      if (this.stopping) return;
      this.spawn(actor).catch((error: unknown) => {
        this.logger.error({ actor: actor.spec.name, err: error }, 'actor restart failed');
        if (!this.stopping) this.scheduleRestart(actor);
      });
    }, backoffMs);
  }

  /** Tries a dead actor again after its cool-down (what killed it may have gone away). */
  private scheduleRevive(actor: Supervised): void {
    actor.restartTimer = setTimeout(() => {
      actor.restartTimer = null;
      if (this.stopping) return;
      actor.restartTimesMs.length = 0;
      this.directory.countRestart(actor.id);
      this.logger.info({ actor: actor.spec.name }, 'trying a dead actor again');
      this.spawn(actor).catch((error: unknown) => {
        this.logger.error({ actor: actor.spec.name, err: error }, 'actor revive failed');
        if (!this.stopping) this.scheduleRevive(actor);
      });
    }, actor.policy.reviveAfterMs);
  }

  /** Checks every running actor's heartbeat; a stalled one is terminated (its exit restarts it). */
  private startWatchdog(): void {
    const limitMs = this.options.watchdogMs;
    if (limitMs <= 0) return;
    this.watchdogTimer = setInterval(() => {
      const nowMs = performance.now();
      for (const actor of this.supervised) {
        if (actor.worker === null || this.directory.state(actor.id) !== ActorState.Running) continue;
        const beat = this.directory.heartbeat(actor.id);
        if (beat !== actor.lastBeat) {
          actor.lastBeat = beat;
          actor.lastBeatChangeMs = nowMs;
          continue;
        }
        if (nowMs - actor.lastBeatChangeMs < limitMs) continue;
        this.logger.error({ actor: actor.spec.name, stalledMs: Math.round(nowMs - actor.lastBeatChangeMs) }, 'actor stuck (no heartbeat): terminating it; it restarts from its snapshot and journal');
        this.directory.countWatchdogKill(actor.id);
        actor.lastBeatChangeMs = nowMs;
        void actor.worker.terminate();
      }
    }, Math.max(50, Math.floor(limitMs / 4)));
    this.watchdogTimer.unref();
  }

  health(): HealthReport {
    const actors: Record<string, ActorHealth> = {};
    let degraded = false;
    let deadLetters = this.directory.deadLetters(kMainEndpointId);
    for (const actor of this.supervised) {
      const state = this.directory.state(actor.id);
      if (state !== ActorState.Running) degraded = true;
      const actorDeadLetters = this.directory.deadLetters(actor.id);
      deadLetters += actorDeadLetters;
      actors[actor.spec.name] = {
        state: actorStateNames[state],
        restarts: this.directory.restarts(actor.id),
        inbox_depth: this.directory.inbox(actor.id).depth,
        processed: this.directory.processed(actor.id),
        handler_errors: this.directory.handlerErrors(actor.id),
        dead_letters: actorDeadLetters,
        watchdog_kills: this.directory.watchdogKills(actor.id),
      };
    }
    return {
      status: this.stopping ? 'stopping' : degraded ? 'degraded' : 'ok',
      uptime_s: Math.round((performance.now() - this.startedMs) / 100) / 10,
      actors,
      dead_letters: deadLetters,
    };
  }

  /**
   * Stops every actor: each drains its inbox and runs its `stop` (closing stores), then exits; workers
   * still running after `stopTimeoutMs` are terminated. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.stopping) {
      await Promise.all(this.supervised.map((actor) => actor.exited));
      return;
    }
    this.stopping = true;
    if (this.watchdogTimer !== null) clearInterval(this.watchdogTimer);
    for (const actor of this.supervised) {
      if (actor.restartTimer !== null) clearTimeout(actor.restartTimer);
      if (actor.worker !== null) {
        this.directory.setState(actor.id, ActorState.Stopping);
        actor.worker.postMessage({ kind: 'stop' } satisfies SupervisorToWorker);
      } else {
        this.directory.setState(actor.id, ActorState.Stopped);
      }
    }
    const deadline = setTimeout(() => {
      for (const actor of this.supervised) {
        if (actor.worker !== null) {
          this.logger.warn({ actor: actor.spec.name }, 'actor did not stop in time; terminating it');
          void actor.worker.terminate();
        }
      }
    }, this.options.stopTimeoutMs);
    await Promise.all(this.supervised.map((actor) => actor.exited));
    clearTimeout(deadline);
    this.endpoint.stop();
    await this.serving;
    this.endpoint.rejectPending('system stopped');
    this.directory.setState(kMainEndpointId, ActorState.Stopped);
  }
}
