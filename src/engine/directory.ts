/**
 * The actor directory: every actor's name, numeric id, inbox ring and shared status words, built once
 * by the system in the main thread and handed to every worker. Status words are written by one owner
 * each (the supervisor for state and restarts, the actor for its counters) and read by anyone (health).
 *
 * Status buffer: one 64-byte line per actor id (id 0 is the main thread's endpoint):
 *
 *   Int32 view, 16 per line:                                            Float64 view, 8 per line:
 *   [kState][kRestarts][kDeadLetters][kHeartbeat][kWatchdogKills] ...    [kProcessed at float index 3][kHandlerErrors at 4] ...
 *
 * The counters are doubles, so they do not wrap; they have one writer, so a reader may see a value one
 * batch old, never a torn one (aligned 8-byte stores are single-copy atomic on the platforms Node runs on).
 */
import { Ring } from './ring.js';
import { OctopusError } from './errors.js';

export const ActorState = {
  Starting: 0,
  Running: 1,
  Restarting: 2,
  Stopping: 3,
  Stopped: 4,
  /** Failed more often than its restart policy allows: the system runs degraded without it. */
  Dead: 5,
} as const;
export type ActorState = (typeof ActorState)[keyof typeof ActorState];

export const actorStateNames: Record<ActorState, string> = {
  0: 'starting',
  1: 'running',
  2: 'restarting',
  3: 'stopping',
  4: 'stopped',
  5: 'dead',
};

const kIntsPerLine = 16;
const kFloatsPerLine = 8;
const kState = 0;
const kRestarts = 1;
const kDeadLetters = 2;
/** Bumped by the actor's worker while its event loop turns; the watchdog reads it (see system.ts). */
const kHeartbeat = 3;
const kWatchdogKills = 4;
const kProcessed = 3;
const kHandlerErrors = 4;

export const kMainEndpointName = 'main';
export const kMainEndpointId = 0;

export interface DirectoryEntry {
  name: string;
  id: number;
  inbox: SharedArrayBuffer;
  maxMessageBytes: number;
}

/** What crosses to a worker in `workerData`. */
export interface DirectoryData {
  entries: DirectoryEntry[];
  status: SharedArrayBuffer;
}

export class Directory {
  readonly entries: readonly DirectoryEntry[];
  private readonly byName = new Map<string, number>();
  private readonly rings: Ring[];
  private readonly statusInts: Int32Array;
  private readonly statusFloats: Float64Array;
  readonly statusBuffer: SharedArrayBuffer;

  constructor(data: DirectoryData) {
    this.entries = data.entries;
    this.statusBuffer = data.status;
    this.statusInts = new Int32Array(data.status);
    this.statusFloats = new Float64Array(data.status);
    this.rings = data.entries.map((entry) => Ring.attach(entry.inbox, entry.maxMessageBytes, 'multi'));
    for (const entry of data.entries) this.byName.set(entry.name, entry.id);
  }

  /** Builds a directory for `names` (the main endpoint is added as id 0). */
  static create(names: readonly string[], inboxBytes: number, maxMessageBytes: number): Directory {
    const all = [kMainEndpointName, ...names];
    if (new Set(all).size !== all.length) throw new OctopusError('ERR_CONFIG_INVALID', `expected unique actor names, was ${all.join(',')}`);
    const entries = all.map((name, id) => {
      const ring = Ring.create({ capacityBytes: inboxBytes, maxMessageBytes }, 'multi');
      return { name, id, inbox: ring.buffer, maxMessageBytes };
    });
    const status = new SharedArrayBuffer(all.length * kIntsPerLine * 4);
    return new Directory({ entries, status });
  }

  toData(): DirectoryData {
    return { entries: [...this.entries], status: this.statusBuffer };
  }

  /** @throws OctopusError ERR_ACTOR_UNKNOWN for a name that is not in the directory. */
  idOf(name: string): number {
    const id = this.byName.get(name);
    if (id === undefined) throw new OctopusError('ERR_ACTOR_UNKNOWN', `expected one of ${[...this.byName.keys()].join(', ')}, was "${name}"`);
    return id;
  }

  hasName(name: string): boolean {
    return this.byName.has(name);
  }

  nameOf(id: number): string {
    return this.entries[id]?.name ?? `#${id}`;
  }

  inbox(id: number): Ring {
    const ring = this.rings[id];
    if (ring === undefined) throw new OctopusError('ERR_ACTOR_UNKNOWN', `expected an actor id below ${this.rings.length}, was ${id}`);
    return ring;
  }

  state(id: number): ActorState {
    return Atomics.load(this.statusInts, id * kIntsPerLine + kState) as ActorState;
  }

  setState(id: number, state: ActorState): void {
    Atomics.store(this.statusInts, id * kIntsPerLine + kState, state);
  }

  restarts(id: number): number {
    return Atomics.load(this.statusInts, id * kIntsPerLine + kRestarts);
  }

  countRestart(id: number): void {
    Atomics.add(this.statusInts, id * kIntsPerLine + kRestarts, 1);
  }

  deadLetters(id: number): number {
    return Atomics.load(this.statusInts, id * kIntsPerLine + kDeadLetters);
  }

  countDeadLetter(id: number): void {
    Atomics.add(this.statusInts, id * kIntsPerLine + kDeadLetters, 1);
  }

  heartbeat(id: number): number {
    return Atomics.load(this.statusInts, id * kIntsPerLine + kHeartbeat);
  }

  beat(id: number): void {
    Atomics.add(this.statusInts, id * kIntsPerLine + kHeartbeat, 1);
  }

  watchdogKills(id: number): number {
    return Atomics.load(this.statusInts, id * kIntsPerLine + kWatchdogKills);
  }

  countWatchdogKill(id: number): void {
    Atomics.add(this.statusInts, id * kIntsPerLine + kWatchdogKills, 1);
  }

  processed(id: number): number {
    return this.statusFloats[id * kFloatsPerLine + kProcessed]!;
  }

  addProcessed(id: number, count: number): void {
    this.statusFloats[id * kFloatsPerLine + kProcessed] = this.statusFloats[id * kFloatsPerLine + kProcessed]! + count;
  }

  handlerErrors(id: number): number {
    return this.statusFloats[id * kFloatsPerLine + kHandlerErrors]!;
  }

  countHandlerError(id: number): void {
    this.statusFloats[id * kFloatsPerLine + kHandlerErrors] = this.statusFloats[id * kFloatsPerLine + kHandlerErrors]! + 1;
  }
}
