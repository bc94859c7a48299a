/**
 * One worker of the ring bench (see bench/suites/ring.ts). It takes jobs from the orchestrator one at a
 * time: produce into or consume from a ring, send or receive over a MessagePort, or the paced latency
 * variants of both. A blocking job runs to completion on this thread (no event loop turns in between),
 * as an actor's inbox loop would; between jobs the worker idles in its event loop.
 *
 * Every consumer checks the per-producer order of what it receives, so a bench that loses or reorders
 * messages fails instead of reporting a fast number.
 */
import { readFileSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { quantileSorted } from '../lib.js';
import {
  kGateIndex,
  kMinMessageBytes,
  kProducerOffset,
  kSendTimeOffset,
  kSequenceOffset,
  type GateRef,
  type RingWorkerData,
  type RingWorkerJob,
  type RingWorkerReply,
} from './ring-protocol.js';

import type { Ring as RingType } from '../../src/engine/ring.js';

type RingModule = typeof import('../../src/engine/ring.js');
type JobOf<K extends RingWorkerJob['kind']> = Extract<RingWorkerJob, { kind: K }>;

const setup = workerData as RingWorkerData;
const { Ring, PushResult } = (await import(setup.ringModuleUrl)) as RingModule;
const clockBaseNs = setup.clockBaseNs;
const orchestrator = parentPort!;

/** Bounds on every wait, so a broken peer fails the bench instead of hanging it. */
const kGateTimeoutMs = 30_000;
const kPushTimeoutMs = 10_000;
const kIdleTimeoutMs = 30_000;
/** How often a port consumer publishes its progress to the producer's flow-control window. */
const kProgressEveryMessages = 256;

/** Nanoseconds since the orchestrator's clock base, on the process-wide monotonic clock. */
function nowNs(): number {
  return Number(process.hrtime.bigint() - clockBaseNs);
}

function reply(message: RingWorkerReply): void {
  orchestrator.postMessage(message);
}

/**
 * CPU time of this thread in milliseconds, from /proc/thread-self/stat (utime + stime, fields 14 and 15,
 * in clock ticks of 10 ms: USER_HZ is 100 on Linux x86-64 and arm64). NaN elsewhere. Coarse, but over a
 * run of a second it tells whether a spinning thread really had its core.
 */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Measures the share of a core this thread gets from now until `share()` is called. */
function cpuShareMeter(): { share: () => number } {
  const cpuStartMs = threadCpuMs();
  const wallStartMs = performance.now();
  return {
    share: () => {
      const wallMs = performance.now() - wallStartMs;
      return wallMs < 200 ? Number.NaN : (threadCpuMs() - cpuStartMs) / wallMs;
    },
  };
}

function readU32(data: Uint8Array, offset: number): number {
  return (data[offset]! | (data[offset + 1]! << 8) | (data[offset + 2]! << 16) | (data[offset + 3]! << 24)) >>> 0;
}

const f64Scratch = new Float64Array(1);
const f64ScratchBytes = new Uint8Array(f64Scratch.buffer);

/** Reads a float64 (native byte order, as the producer wrote it) at any offset without allocating a view. */
function readF64(data: Uint8Array, offset: number): number {
  for (let index = 0; index < 8; index++) f64ScratchBytes[index] = data[offset + index]!;
  return f64Scratch[0]!;
}

/** Parks until the orchestrator raises the gate to this job's generation. */
function waitForGate({ gate, generation }: GateRef): void {
  const words = new Int32Array(gate);
  const deadlineMs = performance.now() + kGateTimeoutMs;
  for (;;) {
    const current = Atomics.load(words, kGateIndex);
    if (current >= generation) return;
    const remainingMs = deadlineMs - performance.now();
    if (remainingMs <= 0) throw new Error(`expected the start gate to reach ${generation} within ${kGateTimeoutMs} ms, was ${current}`);
    Atomics.wait(words, kGateIndex, current, remainingMs);
  }
}

/** Tracks the next expected sequence number of each producer. */
class OrderCheck {
  private readonly expected: Uint32Array;
  errors = 0;
  firstError = '';

  constructor(producers: number) {
    this.expected = new Uint32Array(producers);
  }

  see(producerId: number, sequence: number): void {
    const expected = this.expected[producerId];
    if (sequence !== expected) {
      if (this.errors === 0) this.firstError = `producer ${producerId}: expected sequence ${expected}, was ${sequence}`;
      this.errors++;
    }
    this.expected[producerId] = sequence + 1;
  }
}

/** A message buffer of exactly `messageBytes` (its own ArrayBuffer, so a structured clone copies only it). */
function benchMessage(messageBytes: number, producerId: number): { bytes: Uint8Array; words: Uint32Array; floats: Float64Array } {
  if (!(messageBytes >= kMinMessageBytes && messageBytes % 8 === 0)) {
    throw new Error(`expected a message size >= ${kMinMessageBytes} and a multiple of 8, was ${messageBytes}`);
  }
  const bytes = new Uint8Array(messageBytes);
  const words = new Uint32Array(bytes.buffer);
  words[kProducerOffset >> 2] = producerId;
  return { bytes, words, floats: new Float64Array(bytes.buffer) };
}

/** Pushes `bytes`, counting the pushes that found the ring full; throws when it stays full too long. */
function pushCounted(ring: RingType, bytes: Uint8Array, length: number): number {
  if (ring.tryPush(bytes, length) === PushResult.Ok) return 0;
  if (ring.push(bytes, length, kPushTimeoutMs) !== PushResult.Ok) {
    throw new Error(`expected the consumer to make room within ${kPushTimeoutMs} ms, was still full`);
  }
  return 1;
}

function ringProduce(job: JobOf<'ring-produce'>): void {
  const ring = Ring.attach(job.buffer, job.maxMessageBytes, job.mode);
  const message = benchMessage(job.messageBytes, job.producerId);
  reply({ kind: 'armed' });
  waitForGate(job);
  const meter = cpuShareMeter();
  const startNs = nowNs();
  let fullCount = 0;
  for (let sequence = 0; sequence < job.count; sequence++) {
    message.words[kSequenceOffset >> 2] = sequence;
    fullCount += pushCounted(ring, message.bytes, job.messageBytes);
  }
  reply({ kind: 'produced', startNs, endNs: nowNs(), fullCount, cpuShare: meter.share() });
}

/** Drains until `total` messages arrived: `drain`, and park in `waitForMessage` when the ring is empty. */
function drainUntil(ring: RingType, handler: (data: Uint8Array, offset: number, length: number) => void, total: () => boolean, drainBatch: number): void {
  let idleSinceMs = performance.now();
  while (!total()) {
    if (ring.drain(handler, drainBatch) !== 0) continue;
    if (ring.waitForMessage(1_000)) {
      idleSinceMs = performance.now();
    } else if (performance.now() - idleSinceMs > kIdleTimeoutMs) {
      throw new Error(`expected a message within ${kIdleTimeoutMs} ms, was none`);
    }
  }
}

function ringConsume(job: JobOf<'ring-consume'>): void {
  const ring = Ring.attach(job.buffer, job.maxMessageBytes, job.mode);
  const total = job.producers * job.countPerProducer;
  const order = new OrderCheck(job.producers);
  let received = 0;
  const handler = (data: Uint8Array, offset: number): void => {
    order.see(readU32(data, offset + kProducerOffset), readU32(data, offset + kSequenceOffset));
    received++;
  };
  reply({ kind: 'armed' });
  waitForGate(job);
  const meter = cpuShareMeter();
  drainUntil(ring, handler, () => received >= total, job.drainBatch);
  const endNs = nowNs();
  reply({ kind: 'consumed', endNs, received, orderErrors: order.errors, firstOrderError: order.firstError, cpuShare: meter.share() });
}

// ---------------------------------------------------------------------------------------------------
// MessagePort roles. A producer holds one port; the consumer holds one port per producer.

let ports: MessagePort[] = [];
/** The port consumer's current job; the ports' listeners forward to it. */
let portHandler: ((value: unknown, portIndex: number) => void) | null = null;

function takePorts(job: JobOf<'take-ports'>): void {
  for (const port of ports) port.close();
  ports = job.ports;
  ports.forEach((port, portIndex) => {
    port.on('message', (value: unknown) => {
      if (portHandler === null) throw new Error(`expected no message on port ${portIndex} between jobs, was one`);
      portHandler(value, portIndex);
    });
  });
  reply({ kind: 'ports-taken' });
}

function portProduce(job: JobOf<'port-produce'>): void {
  const port = ports[0]!;
  const progress = new Int32Array(job.progress);
  const message = benchMessage(job.messageBytes, job.producerId);
  reply({ kind: 'armed' });
  waitForGate(job);
  const meter = cpuShareMeter();
  const startNs = nowNs();
  let fullCount = 0;
  for (let sequence = 0; sequence < job.count; sequence++) {
    // postMessage never refuses, so without this window a fast producer queues without bound; the window
    // (about a ring's worth of messages) makes the baseline bounded like the ring.
    if (sequence - Atomics.load(progress, job.producerId) >= job.windowMessages) {
      fullCount++;
      for (;;) {
        const seen = Atomics.load(progress, job.producerId);
        if (sequence - seen < job.windowMessages) break;
        if (Atomics.wait(progress, job.producerId, seen, kPushTimeoutMs) === 'timed-out') {
          throw new Error(`expected the port consumer to progress within ${kPushTimeoutMs} ms, was stuck at ${seen}`);
        }
      }
    }
    message.words[kSequenceOffset >> 2] = sequence;
    port.postMessage(message.bytes);
  }
  reply({ kind: 'produced', startNs, endNs: nowNs(), fullCount, cpuShare: meter.share() });
}

function portConsume(job: JobOf<'port-consume'>): void {
  const progress = new Int32Array(job.progress);
  const total = job.producers * job.countPerProducer;
  const order = new OrderCheck(job.producers);
  const receivedPerPort = new Int32Array(job.producers);
  let received = 0;
  const meter = cpuShareMeter();
  portHandler = (value, portIndex) => {
    const bytes = value as Uint8Array;
    order.see(readU32(bytes, kProducerOffset), readU32(bytes, kSequenceOffset));
    const count = ++receivedPerPort[portIndex]!;
    if (count % kProgressEveryMessages === 0 || count === job.countPerProducer) {
      Atomics.store(progress, portIndex, count);
      Atomics.notify(progress, portIndex);
    }
    if (++received === total) {
      portHandler = null;
      const endNs = nowNs();
      reply({ kind: 'consumed', endNs, received, orderErrors: order.errors, firstOrderError: order.firstError, cpuShare: meter.share() });
    }
  };
  reply({ kind: 'armed' });
}

// ---------------------------------------------------------------------------------------------------
// Latency roles: the producer sends one stamped message every `intervalNs` (busy-waiting in between, so
// the pacing itself costs no wake-up), the consumer records receipt time minus send time.

/** Cost of one `nowNs()` read; one such read sits inside every measured latency. */
function clockReadCostNs(): number {
  const reads = 10_000;
  const startNs = nowNs();
  for (let index = 0; index < reads; index++) nowNs();
  return (nowNs() - startNs) / reads;
}

function latencyReply(latencies: Float64Array, warmupCount: number, cpuShare: number): RingWorkerReply {
  const sorted = latencies.subarray(warmupCount).sort();
  return {
    kind: 'latency',
    samples: sorted.length,
    p50Ns: quantileSorted(sorted, 0.5),
    p99Ns: quantileSorted(sorted, 0.99),
    maxNs: sorted[sorted.length - 1] ?? Number.NaN,
    clockReadNs: clockReadCostNs(),
    cpuShare,
  };
}

/** Sends `count` stamped messages through `send`, one every `intervalNs`; returns the start time. */
function pacedSend(count: number, intervalNs: number, message: ReturnType<typeof benchMessage>, send: () => number): { startNs: number; fullCount: number } {
  const startNs = nowNs();
  let fullCount = 0;
  let nextNs = startNs;
  for (let sequence = 0; sequence < count; sequence++) {
    while (nowNs() < nextNs) {
      // Busy-wait: the pause between messages must not itself be a sleep and wake-up of this thread.
    }
    message.words[kSequenceOffset >> 2] = sequence;
    const sendNs = nowNs();
    message.floats[kSendTimeOffset >> 3] = sendNs;
    fullCount += send();
    nextNs = sendNs + intervalNs;
  }
  return { startNs, fullCount };
}

function ringLatencyProduce(job: JobOf<'ring-latency-produce'>): void {
  const ring = Ring.attach(job.buffer, job.maxMessageBytes, job.mode);
  const message = benchMessage(job.messageBytes, 0);
  reply({ kind: 'armed' });
  waitForGate(job);
  const meter = cpuShareMeter();
  const { startNs, fullCount } = pacedSend(job.count, job.intervalNs, message, () => pushCounted(ring, message.bytes, job.messageBytes));
  reply({ kind: 'produced', startNs, endNs: nowNs(), fullCount, cpuShare: meter.share() });
}

function ringLatencyConsume(job: JobOf<'ring-latency-consume'>): void {
  const ring = Ring.attach(job.buffer, job.maxMessageBytes, job.mode);
  const latencies = new Float64Array(job.count);
  const order = new OrderCheck(1);
  let floats: Float64Array | null = null;
  let received = 0;
  const handler = (data: Uint8Array, offset: number): void => {
    const receivedNs = nowNs();
    // Payloads start 8-byte aligned in the ring's buffer, so the stamp can be read as a float64 element.
    floats ??= new Float64Array(data.buffer, data.byteOffset, data.byteLength >> 3);
    latencies[received++] = receivedNs - floats[(offset + kSendTimeOffset) >> 3]!;
    order.see(0, readU32(data, offset + kSequenceOffset));
  };
  reply({ kind: 'armed' });
  waitForGate(job);
  const meter = cpuShareMeter();
  if (job.consumerState === 'parked') {
    drainUntil(ring, handler, () => received >= job.count, 256);
  } else {
    // Awake: poll without ever parking, as an actor that is busy (or spinning by design) would.
    const startMs = performance.now();
    let emptyPolls = 0;
    while (received < job.count) {
      if (ring.drain(handler, 256) !== 0) continue;
      if ((++emptyPolls & 0xfffff) === 0 && performance.now() - startMs > kIdleTimeoutMs + job.count / 10) {
        throw new Error(`expected ${job.count} messages, was ${received} when the poll loop gave up`);
      }
    }
  }
  if (order.errors !== 0) throw new Error(`expected messages in order, was not: ${order.firstError}`);
  reply(latencyReply(latencies, job.warmupCount, meter.share()));
}

function portLatencyProduce(job: JobOf<'port-latency-produce'>): void {
  const port = ports[0]!;
  const message = benchMessage(job.messageBytes, 0);
  reply({ kind: 'armed' });
  waitForGate(job);
  const meter = cpuShareMeter();
  const { startNs } = pacedSend(job.count, job.intervalNs, message, () => {
    port.postMessage(message.bytes);
    return 0;
  });
  reply({ kind: 'produced', startNs, endNs: nowNs(), fullCount: 0, cpuShare: meter.share() });
}

function portLatencyConsume(job: JobOf<'port-latency-consume'>): void {
  const latencies = new Float64Array(job.count);
  const order = new OrderCheck(1);
  let received = 0;
  const meter = cpuShareMeter();
  const record = (value: unknown): void => {
    const receivedNs = nowNs();
    const bytes = value as Uint8Array;
    latencies[received++] = receivedNs - readF64(bytes, kSendTimeOffset);
    order.see(0, readU32(bytes, kSequenceOffset));
  };
  const finish = (): void => {
    if (order.errors !== 0) throw new Error(`expected messages in order, was not: ${order.firstError}`);
    reply(latencyReply(latencies, job.warmupCount, meter.share()));
  };
  if (job.receiveBy === 'event') {
    portHandler = (value) => {
      record(value);
      if (received === job.count) {
        portHandler = null;
        finish();
      }
    };
    reply({ kind: 'armed' });
    return;
  }
  // Poll: spin on receiveMessageOnPort, so no event-loop wake-up is involved (the port's listener never
  // fires, because this loop takes every message first).
  const port = ports[0]!;
  reply({ kind: 'armed' });
  waitForGate(job);
  const startMs = performance.now();
  while (received < job.count) {
    const message = receiveMessageOnPort(port);
    if (message !== undefined) record(message.message);
    else if (performance.now() - startMs > kIdleTimeoutMs + job.count / 10) {
      throw new Error(`expected ${job.count} messages, was ${received} when the poll loop gave up`);
    }
  }
  finish();
}

orchestrator.on('message', (job: RingWorkerJob) => {
  switch (job.kind) {
    case 'take-ports':
      return takePorts(job);
    case 'ring-produce':
      return ringProduce(job);
    case 'ring-consume':
      return ringConsume(job);
    case 'port-produce':
      return portProduce(job);
    case 'port-consume':
      return portConsume(job);
    case 'ring-latency-produce':
      return ringLatencyProduce(job);
    case 'ring-latency-consume':
      return ringLatencyConsume(job);
    case 'port-latency-produce':
      return portLatencyProduce(job);
    case 'port-latency-consume':
      return portLatencyConsume(job);
  }
});
