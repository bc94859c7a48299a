/**
 * Messages between the ring bench's orchestrator (bench/suites/ring.ts, main thread) and its worker
 * threads (bench/workers/ring-worker.ts). Declared once here so both sides agree on the shapes.
 *
 * A measured run has three steps: the orchestrator sends each taking-part worker a job; each worker
 * prepares, answers `Armed` and (if it is a blocking role) parks on the start gate; the orchestrator
 * raises the gate to the job's generation once every worker is armed; each worker then answers with its
 * result. Raising one shared gate lets all producers start within a wake-up of each other, and keeps
 * worker start-up and preparation out of the measured interval.
 *
 * Time crosses threads as nanoseconds since `clockBaseNs` (a `process.hrtime.bigint()` taken by the
 * orchestrator): hrtime reads CLOCK_MONOTONIC, one clock for the whole process, so a stamp taken in one
 * worker can be subtracted from a stamp taken in another. Offsetting by the base keeps the values
 * small enough to be exact in a double.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ProducerMode } from '../../src/engine/ring.js';

/** The start gate: one Int32 holding the generation of the job that may start. */
export const kGateIndex = 0;
/** Payload layout of every bench message: [sequence u32][producer u32][send time f64 ns][filler]. */
export const kSequenceOffset = 0;
export const kProducerOffset = 4;
export const kSendTimeOffset = 8;
export const kMinMessageBytes = 16;

/** Given to every worker at spawn. */
export interface RingWorkerData {
  clockBaseNs: bigint;
  /** Module to load `Ring` and `PushResult` from (a patched copy can be benchmarked against ours). */
  ringModuleUrl: string;
}

export interface RingTarget {
  buffer: SharedArrayBuffer;
  maxMessageBytes: number;
  mode: ProducerMode;
}

export interface GateRef {
  gate: SharedArrayBuffer;
  generation: number;
}

export type RingWorkerJob =
  | { kind: 'take-ports'; ports: MessagePort[] }
  | ({ kind: 'ring-produce'; producerId: number; count: number; messageBytes: number } & RingTarget & GateRef)
  | ({ kind: 'ring-consume'; producers: number; countPerProducer: number; drainBatch: number } & RingTarget & GateRef)
  | ({ kind: 'port-produce'; producerId: number; count: number; messageBytes: number; windowMessages: number; progress: SharedArrayBuffer } & GateRef)
  | { kind: 'port-consume'; producers: number; countPerProducer: number; progress: SharedArrayBuffer }
  | ({ kind: 'ring-latency-produce'; count: number; messageBytes: number; intervalNs: number } & RingTarget & GateRef)
  | ({ kind: 'ring-latency-consume'; count: number; warmupCount: number; consumerState: 'awake' | 'parked' } & RingTarget & GateRef)
  | ({ kind: 'port-latency-produce'; count: number; messageBytes: number; intervalNs: number } & GateRef)
  | ({ kind: 'port-latency-consume'; count: number; warmupCount: number; receiveBy: 'event' | 'poll' } & GateRef);

export type RingWorkerReply =
  | { kind: 'ports-taken' }
  | { kind: 'armed' }
  /**
   * `fullCount`: pushes that found the ring (or the postMessage window) full and had to wait.
   * `cpuShare` (here and below): CPU time this thread got during the job / the job's wall time; near 1 for a
   * thread that never sleeps, unless other threads or processes took its core. NaN where unknown.
   */
  | { kind: 'produced'; startNs: number; endNs: number; fullCount: number; cpuShare: number }
  | { kind: 'consumed'; endNs: number; received: number; orderErrors: number; firstOrderError: string; cpuShare: number }
  | { kind: 'latency'; samples: number; p50Ns: number; p99Ns: number; maxNs: number; clockReadNs: number; cpuShare: number };
