/**
 * Worker-thread entry of every actor: attaches the directory, builds the actor from its module, answers
 * the built-in Ping and StatusRequest, and serves the inbox until told to stop. A handler that throws
 * ends this worker with an error; the supervisor in the main thread restarts it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ActorClass, ActorContext } from './actor.js';
import { createClock } from './clock.js';
import { Directory, type DirectoryData } from './directory.js';
import { Endpoint, type EndpointOptions } from './endpoint.js';
import { describeError } from './errors.js';
import { childLogger } from './logger.js';
import { MessageType } from './messages.js';

export interface ActorWorkerData {
  name: string;
  id: number;
  moduleUrl: string;
  options: unknown;
  directory: DirectoryData;
  clock: 'live' | 'simulated';
  endpointOptions: EndpointOptions;
}

/** Control-plane messages between the supervisor and this worker (over postMessage, not the ring). */
export type SupervisorToWorker = { kind: 'stop' };
export type WorkerToSupervisor =
  | { kind: 'ready' }
  | { kind: 'start_failed'; error: ReturnType<typeof describeError> }
  | { kind: 'crashed'; error: ReturnType<typeof describeError> }
  | { kind: 'stopped' };

/** How often a worker proves its event loop turns (the watchdog allows many missed beats). */
const kHeartbeatMs = 100;

async function main(): Promise<void> {
  const data = workerData as ActorWorkerData;
  const port = parentPort!;
  const directory = new Directory(data.directory);
  const clock = createClock(data.clock);
  const endpoint = new Endpoint(directory, data.id, clock, data.endpointOptions);
  const logger = childLogger({ actor: data.name });
  const module = (await import(data.moduleUrl)) as { default: ActorClass };
  const context: ActorContext<unknown> = { name: data.name, id: data.id, options: data.options, clock, logger, endpoint, directory };
  const actor = new module.default(context as ActorContext<never>);
  endpoint.on(MessageType.Ping, (body) => body);
  endpoint.on(MessageType.StatusRequest, () => ({ name: data.name, detail: { ...actor.status(), outbox: endpoint.stats() } }));
  port.on('message', (message: SupervisorToWorker) => {
    if (message.kind === 'stop') endpoint.stop();
  });
  const skipped = endpoint.inbox.recoverAbandonedBatch();
  if (skipped > 0) {
    directory.addProcessed(data.id, skipped);
    logger.warn({ skipped }, 'previous worker died mid-batch; skipped the messages it had taken, including the one in flight');
  }
  try {
    await actor.start();
  } catch (error) {
    // A start that fails (a config conflict, a corrupt store) is reported with its typed error, so the
    // engine can refuse to start with that error instead of a bare exit code.
    logger.error({ err: error }, 'actor failed to start');
    port.postMessage({ kind: 'start_failed', error: describeError(error) } satisfies WorkerToSupervisor);
    throw error;
  }
  // The heartbeat runs on this worker's event loop: a handler stuck in a synchronous loop stops it.
  const heartbeat = setInterval(() => directory.beat(data.id), kHeartbeatMs);
  heartbeat.unref();
  port.postMessage({ kind: 'ready' } satisfies WorkerToSupervisor);
  try {
    await endpoint.serve();
  } catch (error) {
    logger.error({ err: error }, 'handler failed; actor stops and its supervisor restarts it');
    port.postMessage({ kind: 'crashed', error: describeError(error) } satisfies WorkerToSupervisor);
    throw error;
  }
  clearInterval(heartbeat);
  await actor.stop();
  endpoint.rejectPending('actor stopped');
  port.postMessage({ kind: 'stopped' } satisfies WorkerToSupervisor);
  port.close();
}

await main();
