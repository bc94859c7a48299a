import { afterEach, describe, expect, it } from 'vitest';
import { ActorSystem, type ActorSpec } from '../../src/engine/system.js';
import { MessageType } from '../../src/engine/messages.js';
import { SendResult } from '../../src/engine/endpoint.js';
import { eventually } from '../support/eventually.js';

const echoModule = new URL('../fixtures/echo-actor.ts', import.meta.url);
const fastRestart = { initialBackoffMs: 20, maxBackoffMs: 200 };

let system: ActorSystem | null = null;

async function startSystem(specs: ActorSpec[]): Promise<ActorSystem> {
  system = await ActorSystem.start(specs, { inboxBytes: 1 << 18 });
  return system;
}

afterEach(async () => {
  await system?.stop();
  system = null;
});

describe('ActorSystem', () => {
  it('answers a request with the reply of the target actor', async () => {
    const actors = await startSystem([{ name: 'echo', module: echoModule, restart: fastRestart }]);
    await expect(actors.request('echo', MessageType.Echo, { text: 'hello', delayMs: 0 })).resolves.toEqual({ text: 'hello', delayMs: 0 });
    await expect(actors.request('echo', MessageType.Ping, { nonce: 42 })).resolves.toEqual({ nonce: 42 });
    const status = await actors.request('echo', MessageType.StatusRequest, { detail: true });
    expect(status).toMatchObject({ name: 'echo', detail: { echoed: 1 } });
  });

  it('rejects with ERR_ACTOR_TIMEOUT when no reply comes in time, and stays usable', async () => {
    const actors = await startSystem([{ name: 'echo', module: echoModule, restart: fastRestart }]);
    await expect(actors.request('echo', MessageType.Echo, { text: 'slow', delayMs: 2_000 }, 100)).rejects.toMatchObject({
      code: 'ERR_ACTOR_TIMEOUT',
    });
    expect(actors.endpoint.pendingRequests).toBe(0);
  });

  it('rejects unknown actor names with ERR_ACTOR_UNKNOWN', async () => {
    const actors = await startSystem([{ name: 'echo', module: echoModule, restart: fastRestart }]);
    expect(() => actors.send('nobody', MessageType.Ping, { nonce: 1 })).toThrowError(expect.objectContaining({ code: 'ERR_ACTOR_UNKNOWN' }));
  });

  const crashes: Array<[string, 'throw' | 'exit']> = [
    ['a handler that throws', 'throw'],
    ['a worker that dies', 'exit'],
  ];
  it.each(crashes)('restarts the actor after %s, and health shows the restart', async (_name, reason) => {
    const actors = await startSystem([{ name: 'echo', module: echoModule, restart: fastRestart }]);
    expect(actors.send('echo', MessageType.Crash, { reason })).toBe(SendResult.Ok);
    // Sent while the actor is crashing or restarting: the inbox outlives the worker, so it is delivered.
    const reply = actors.request('echo', MessageType.Echo, { text: 'after crash', delayMs: 0 }, 10_000);
    await expect(reply).resolves.toEqual({ text: 'after crash', delayMs: 0 });
    await eventually(() => {
      const health = actors.health();
      expect(health.actors.echo?.restarts).toBe(1);
      expect(health.actors.echo?.state).toBe('running');
      expect(health.status).toBe('ok');
    });
  });

  it('fails the request whose handler throws with the handler error, not a timeout', async () => {
    const actors = await startSystem([{ name: 'echo', module: echoModule, restart: fastRestart }]);
    await expect(actors.request('echo', MessageType.Crash, { reason: 'boom' } as never, 5_000)).rejects.toMatchObject({
      code: 'ERR_ACTOR_HANDLER_FAILED',
      message: 'crash requested: boom',
    });
  });

  it('declares an actor dead after too many restarts; the system runs degraded and counts dead letters', async () => {
    const actors = await startSystem([
      { name: 'echo', module: echoModule, restart: { ...fastRestart, maxRestarts: 2 } },
      { name: 'other', module: echoModule },
    ]);
    for (let crash = 0; crash < 3; crash++) {
      await eventually(() => expect(actors.health().actors.echo?.state).toBe('running'));
      actors.send('echo', MessageType.Crash, { reason: 'throw' });
      await eventually(() => expect(actors.health().actors.echo?.state).not.toBe('running'));
    }
    await eventually(() => expect(actors.health().actors.echo?.state).toBe('dead'));
    expect(actors.send('echo', MessageType.Ping, { nonce: 1 })).toBe(SendResult.DeadLetter);
    const health = actors.health();
    expect(health.status).toBe('degraded');
    expect(health.actors.echo?.dead_letters).toBeGreaterThanOrEqual(1);
    expect(health.actors.echo?.restarts).toBe(2);
    // The rest of the system keeps working.
    await expect(actors.request('other', MessageType.Ping, { nonce: 7 })).resolves.toEqual({ nonce: 7 });
  });

  it('refuses to start when an actor fails during start', async () => {
    await expect(ActorSystem.start([{ name: 'echo', module: echoModule, options: { failOnStart: true } }])).rejects.toMatchObject({
      code: 'ERR_ACTOR_DEAD',
    });
  });

  it('shuts down gracefully: inboxes drained, no worker left running', async () => {
    const actors = await startSystem([
      { name: 'a', module: echoModule },
      { name: 'b', module: echoModule },
    ]);
    const workers = [actors.workerOf('a')!, actors.workerOf('b')!];
    const exits = workers.map((worker) => new Promise<number>((resolve) => worker.once('exit', resolve)));
    for (let index = 0; index < 100; index++) actors.send('a', MessageType.Echo, { text: String(index), delayMs: 0 });
    await actors.stop();
    await Promise.all(exits);
    expect(actors.workerOf('a')).toBeNull();
    expect(actors.workerOf('b')).toBeNull();
    const health = actors.health();
    expect(health.actors.a?.state).toBe('stopped');
    expect(health.actors.a?.processed).toBe(100);
    expect(health.actors.a?.inbox_depth).toBe(0);
    expect(actors.send('a', MessageType.Ping, { nonce: 1 })).toBe(SendResult.DeadLetter);
  });

  it('terminates an actor stuck in a synchronous loop (watchdog) and restarts it; health shows it', async () => {
    system = await ActorSystem.start([{ name: 'echo', module: echoModule, restart: fastRestart }], { inboxBytes: 1 << 18, watchdogMs: 500 });
    const actors = system;
    expect(actors.send('echo', MessageType.Crash, { reason: 'spin' })).toBe(SendResult.Ok);
    await eventually(() => {
      const echo = actors.health().actors.echo!;
      expect(echo.watchdog_kills).toBe(1);
      expect(echo.restarts).toBe(1);
      expect(echo.state).toBe('running');
    }, { timeoutMs: 20_000, intervalMs: 50 });
    // The spinning message is not handed to the new worker again (it would spin forever).
    await expect(actors.request('echo', MessageType.Echo, { text: 'back', delayMs: 0 }, 10_000)).resolves.toEqual({ text: 'back', delayMs: 0 });
    expect(actors.health().actors.echo!.watchdog_kills).toBe(1);
  });

  it('tries a dead actor again after its cool-down, and it runs again', async () => {
    system = await ActorSystem.start([{ name: 'echo', module: echoModule, restart: { ...fastRestart, maxRestarts: 1, reviveAfterMs: 300 } }], { inboxBytes: 1 << 18 });
    const actors = system;
    actors.send('echo', MessageType.Crash, { reason: 'throw' });
    await eventually(() => expect(actors.health().actors.echo!.restarts).toBe(1), { timeoutMs: 10_000, intervalMs: 20 });
    actors.send('echo', MessageType.Crash, { reason: 'throw' });
    await eventually(() => expect(actors.health().actors.echo!.state).toBe('dead'), { timeoutMs: 10_000, intervalMs: 5 });
    await eventually(() => expect(actors.health().actors.echo!.state).toBe('running'), { timeoutMs: 10_000, intervalMs: 20 });
    expect(actors.health().actors.echo!.restarts).toBe(2);
    await expect(actors.request('echo', MessageType.Echo, { text: 'revived', delayMs: 0 })).resolves.toEqual({ text: 'revived', delayMs: 0 });
  });
});
