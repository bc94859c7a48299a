/**
 * The message plane between worker threads: our SharedArrayBuffer ring against `postMessage` over a
 * MessageChannel, measured in the same run between the same real worker threads (bench/workers/
 * ring-worker.ts). The main thread only orchestrates: it hands out jobs, opens a shared start gate and
 * collects results.
 *
 * Throughput cases: producers send `count` sequence-numbered messages as fast as they can; the consumer
 * checks their order. msgs/s = messages / (consumer's last receipt - first producer's start), both on the
 * process-wide monotonic clock. Each case runs several times, round-robin with the others so that load
 * from other processes spreads over all cases, and the median is reported.
 *
 * Latency cases: one producer sends a stamped message at a fixed pace; the consumer records receipt time
 * minus send time (one-way, `process.hrtime`, which is one clock for all threads of the process) into a
 * preallocated array. Each case runs a few times (round-robin too); rows carry the median p50 and the
 * median p99 of the runs, and ops_per_s = 1e9 / p50, so the ratio against the baseline is baseline p50 /
 * our p50 (bigger is better, like the throughput ratios).
 *
 * The postMessage payload is the producer's one reused 64-byte Uint8Array (its own ArrayBuffer), posted
 * without transfer: every post structured-clones (copies) it, and the receiver gets a new Uint8Array.
 * postMessage never refuses, so its producer keeps at most a ring's worth of messages in flight (a window
 * the consumer advances through a shared counter); otherwise the baseline would measure an unbounded
 * queue rather than a bounded channel.
 *
 * Environment, for working on the ring: OCTOPUS_BENCH_RING_MODULE=<path to a .ts module exporting Ring and
 * PushResult> benchmarks a candidate ring instead of src/engine/ring.ts; OCTOPUS_BENCH_RING_CASES=<text>
 * keeps only the cases whose name contains the text (and their baselines); OCTOPUS_BENCH_VERBOSE=1 prints
 * every run to stderr.
 */
import { MessageChannel } from 'node:worker_threads';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnWorker } from '../../src/engine/worker-spawn.js';
import type { ProducerMode, Ring } from '../../src/engine/ring.js';
import { BenchWorker, median, withRatios, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';
import { kGateIndex, type GateRef, type RingWorkerData, type RingWorkerJob, type RingWorkerReply } from '../workers/ring-protocol.js';

type RingModule = typeof import('../../src/engine/ring.js');
type Worker = BenchWorker<RingWorkerJob, RingWorkerReply>;

const kSuite = 'ring';
const kRingCapacityBytes = 1 << 20;
const kMaxMessageBytes = 256;
/** About as many 64-byte messages as the ring holds (8-byte header each): the postMessage window. */
const kWindowMessages = Math.floor(kRingCapacityBytes / 72);
const kMaxProducers = 3;
const kReplyTimeoutMs = 120_000;
const kArmTimeoutMs = 30_000;
/**
 * Below this share of a core, a spinning thread was descheduled often enough to distort the p99: at one
 * message every 20 µs, each 1% of a second lost to another thread delays about 1% of the samples by a time
 * slice (milliseconds).
 */
const kMinCpuShare = 0.98;

const candidateModulePath = process.env.OCTOPUS_BENCH_RING_MODULE;
const ringModuleUrl =
  candidateModulePath === undefined || candidateModulePath === ''
    ? new URL('../../src/engine/ring.ts', import.meta.url).href
    : pathToFileURL(resolve(candidateModulePath)).href;
const verbose = process.env.OCTOPUS_BENCH_VERBOSE === '1';
const caseFilter = process.env.OCTOPUS_BENCH_RING_CASES ?? '';

/** The cases selected by OCTOPUS_BENCH_RING_CASES, with the baselines they are compared with. */
function selected<T extends { name: string; baseline: string }>(cases: T[]): T[] {
  const wanted = cases.filter((benchCase) => benchCase.name.includes(caseFilter));
  const baselines = new Set(wanted.map((benchCase) => benchCase.baseline));
  return cases.filter((benchCase) => wanted.includes(benchCase) || baselines.has(benchCase.name));
}

interface Sizes {
  throughputRuns: number;
  messagesPerRun: number;
  latencyRuns: number;
  awakeSamples: number;
  parkedSamples: number;
}

const kFullSizes: Sizes = { throughputRuns: 5, messagesPerRun: 1_000_000, latencyRuns: 3, awakeSamples: 50_000, parkedSamples: 5_000 };
const kQuickSizes: Sizes = { throughputRuns: 2, messagesPerRun: 100_000, latencyRuns: 1, awakeSamples: 2_000, parkedSamples: 300 };

interface ThroughputCase {
  name: string;
  transport: 'ring' | 'port';
  mode: ProducerMode;
  producers: number;
  messageBytes: number;
  drainBatch: number;
  baseline: string;
}

interface LatencyCase {
  name: string;
  transport: 'ring' | 'port';
  /** Ring: poll without parking, or park in waitForMessage. Port: 'event' listener, or 'poll' with receiveMessageOnPort. */
  consumer: 'awake' | 'parked' | 'event' | 'poll';
  intervalNs: number;
  samplesOf: keyof Pick<Sizes, 'awakeSamples' | 'parkedSamples'>;
  baseline: string;
}

function throughputCase(transport: 'ring' | 'port', mode: ProducerMode, producers: number, messageBytes: number, drainBatch: number, baseline: string): ThroughputCase {
  const who = producers === 1 ? '' : ` ${producers}p`;
  const name = transport === 'port' ? `postmessage${who} ${messageBytes}B` : `ring ${mode}${who} ${messageBytes}B drain=${drainBatch}`;
  return { name, transport, mode, producers, messageBytes, drainBatch, baseline };
}

const kPort1 = 'postmessage 64B';
const kPort3 = 'postmessage 3p 64B';
const kThroughputCases: ThroughputCase[] = [
  throughputCase('port', 'single', 1, 64, 1, kPort1),
  throughputCase('ring', 'single', 1, 64, 1, kPort1),
  throughputCase('ring', 'single', 1, 64, 256, kPort1),
  throughputCase('ring', 'multi', 1, 64, 1, kPort1),
  throughputCase('ring', 'multi', 1, 64, 256, kPort1),
  throughputCase('ring', 'multi', 1, 40, 256, kPort1),
  throughputCase('ring', 'multi', 1, 80, 256, kPort1),
  throughputCase('port', 'single', 3, 64, 1, kPort3),
  throughputCase('ring', 'multi', 3, 64, 256, kPort3),
];

/**
 * Latency samples taken in the first 100 ms are dropped: until the JIT has compiled both loops (on
 * background threads that compete with the two spinning workers for this machine's cores), messages
 * queue up and the first few milliseconds measure the compiler, not the channel.
 */
const kLatencyWarmupNs = 100_000_000;
const kFast = 20_000;
const kSlow = 200_000;
const kPortFast = 'postmessage latency every 20us';
const kPortSlow = 'postmessage latency every 200us';
const kLatencyCases: LatencyCase[] = [
  { name: kPortFast, transport: 'port', consumer: 'event', intervalNs: kFast, samplesOf: 'awakeSamples', baseline: kPortFast },
  { name: 'postmessage latency polled every 20us', transport: 'port', consumer: 'poll', intervalNs: kFast, samplesOf: 'awakeSamples', baseline: kPortFast },
  { name: 'ring latency awake every 20us', transport: 'ring', consumer: 'awake', intervalNs: kFast, samplesOf: 'awakeSamples', baseline: kPortFast },
  { name: kPortSlow, transport: 'port', consumer: 'event', intervalNs: kSlow, samplesOf: 'parkedSamples', baseline: kPortSlow },
  { name: 'ring latency parked every 200us', transport: 'ring', consumer: 'parked', intervalNs: kSlow, samplesOf: 'parkedSamples', baseline: kPortSlow },
];

/** The shared start gate: workers park on it until the orchestrator raises it to their job's generation. */
class StartGate {
  readonly buffer = new SharedArrayBuffer(4);
  private readonly words = new Int32Array(this.buffer);
  private generation = 0;

  next(): GateRef {
    this.generation++;
    return { gate: this.buffer, generation: this.generation };
  }

  open(ref: GateRef): void {
    Atomics.store(this.words, kGateIndex, ref.generation);
    Atomics.notify(this.words, kGateIndex);
  }
}

/** Worker 0 consumes; workers 1..3 produce. Producer p is connected to the consumer by its own channel. */
interface Cast {
  consumer: Worker;
  producers: Worker[];
  gate: StartGate;
  ring: RingModule;
}

interface Assignment {
  worker: Worker;
  job: (gate: GateRef) => RingWorkerJob;
}

/** Hands out the jobs, waits until every worker is armed, opens the gate, and collects the results. */
async function runGated<K extends RingWorkerReply['kind']>(cast: Cast, assignments: Assignment[], resultKind: K[]): Promise<Array<Extract<RingWorkerReply, { kind: K }>>> {
  const ref = cast.gate.next();
  for (const assignment of assignments) assignment.worker.send(assignment.job(ref));
  for (const assignment of assignments) await assignment.worker.receive('armed', kArmTimeoutMs);
  cast.gate.open(ref);
  const results: Array<Extract<RingWorkerReply, { kind: K }>> = [];
  for (const [index, assignment] of assignments.entries()) results.push(await assignment.worker.receive(resultKind[index]!, kReplyTimeoutMs));
  return results;
}

/** One throughput run; returns msgs/s. */
async function throughputRun(cast: Cast, benchCase: ThroughputCase, ring: Ring | null, messagesPerRun: number): Promise<number> {
  const countPerProducer = Math.floor(messagesPerRun / benchCase.producers);
  const producers = cast.producers.slice(0, benchCase.producers);
  const progress = new SharedArrayBuffer(4 * kMaxProducers);
  const target = ring === null ? null : { buffer: ring.buffer, maxMessageBytes: kMaxMessageBytes, mode: benchCase.mode };
  const consumerJob = (gate: GateRef): RingWorkerJob =>
    target === null
      ? { kind: 'port-consume', producers: benchCase.producers, countPerProducer, progress }
      : { kind: 'ring-consume', ...target, ...gate, producers: benchCase.producers, countPerProducer, drainBatch: benchCase.drainBatch };
  const producerJob = (producerId: number) => (gate: GateRef): RingWorkerJob =>
    target === null
      ? { kind: 'port-produce', ...gate, producerId, count: countPerProducer, messageBytes: benchCase.messageBytes, windowMessages: kWindowMessages, progress }
      : { kind: 'ring-produce', ...target, ...gate, producerId, count: countPerProducer, messageBytes: benchCase.messageBytes };
  const assignments: Assignment[] = [
    { worker: cast.consumer, job: consumerJob },
    ...producers.map((worker, producerId) => ({ worker, job: producerJob(producerId) })),
  ];
  const [consumed, ...produced] = await runGated(cast, assignments, ['consumed', ...producers.map(() => 'produced' as const)]);
  if (consumed === undefined || consumed.kind !== 'consumed') throw new Error('expected a consumer result, was none');
  const total = countPerProducer * benchCase.producers;
  if (consumed.received !== total || consumed.orderErrors !== 0) {
    throw new Error(`${benchCase.name}: expected ${total} messages in order, was ${consumed.received} with ${consumed.orderErrors} out of order (${consumed.firstOrderError})`);
  }
  const startNs = Math.min(...produced.map((result) => (result.kind === 'produced' ? result.startNs : Number.POSITIVE_INFINITY)));
  const messagesPerSecond = (total * 1e9) / (consumed.endNs - startNs);
  if (verbose) {
    const fulls = produced.map((result) => (result.kind === 'produced' ? result.fullCount : 0));
    const shares = produced.map((result) => (result.kind === 'produced' ? result.cpuShare.toFixed(2) : '?'));
    process.stderr.write(
      `ring: ${benchCase.name}: ${(messagesPerSecond / 1e6).toFixed(3)}M msg/s, producer waits for room ${fulls.join('/')}, ` +
        `cpu share consumer ${consumed.cpuShare.toFixed(2)} producers ${shares.join('/')}\n`,
    );
  }
  return messagesPerSecond;
}

/**
 * The paced producer always spins, and so does an awake or polling consumer: each needs a core of its
 * own. When one got clearly less (other processes on this machine), the latency measured is the
 * scheduler's time slice, not the channel's; say so on stderr rather than let the number stand alone.
 */
function warnIfStarved(benchCase: LatencyCase, consumerShare: number, producerShare: number): void {
  const consumerSpins = benchCase.consumer === 'awake' || benchCase.consumer === 'poll';
  const starved = producerShare < kMinCpuShare || (consumerSpins && consumerShare < kMinCpuShare);
  if (!starved) return;
  process.stderr.write(
    `ring: warning: ${benchCase.name}: spinning threads did not get a core each (cpu share consumer ${consumerShare.toFixed(2)}, ` +
      `producer ${producerShare.toFixed(2)}; other load on this machine?); its latency shows scheduling delays, rerun when quieter\n`,
  );
}

/** One latency run; returns its p50 and p99 in nanoseconds. */
async function latencyRun(cast: Cast, benchCase: LatencyCase, sizes: Sizes): Promise<{ p50Ns: number; p99Ns: number }> {
  const warmupCount = Math.ceil(kLatencyWarmupNs / benchCase.intervalNs);
  const count = warmupCount + sizes[benchCase.samplesOf];
  const producer = cast.producers[0]!;
  let assignments: Assignment[];
  if (benchCase.transport === 'ring') {
    const ring = cast.ring.Ring.create({ capacityBytes: kRingCapacityBytes, maxMessageBytes: kMaxMessageBytes }, 'multi');
    const target = { buffer: ring.buffer, maxMessageBytes: kMaxMessageBytes, mode: 'multi' as const };
    const consumerState = benchCase.consumer === 'parked' ? 'parked' : 'awake';
    assignments = [
      { worker: cast.consumer, job: (gate) => ({ kind: 'ring-latency-consume', ...target, ...gate, count, warmupCount, consumerState }) },
      { worker: producer, job: (gate) => ({ kind: 'ring-latency-produce', ...target, ...gate, count, messageBytes: 64, intervalNs: benchCase.intervalNs }) },
    ];
  } else {
    const receiveBy = benchCase.consumer === 'poll' ? 'poll' : 'event';
    assignments = [
      { worker: cast.consumer, job: (gate) => ({ kind: 'port-latency-consume', ...gate, count, warmupCount, receiveBy }) },
      { worker: producer, job: (gate) => ({ kind: 'port-latency-produce', ...gate, count, messageBytes: 64, intervalNs: benchCase.intervalNs }) },
    ];
  }
  const [latency, produced] = await runGated(cast, assignments, ['latency', 'produced']);
  if (latency?.kind !== 'latency' || produced?.kind !== 'produced') throw new Error('expected latency and producer results, was none');
  if (verbose) {
    process.stderr.write(
      `ring: ${benchCase.name}: ${latency.samples} samples, p50 ${latency.p50Ns.toFixed(0)} ns, p99 ${latency.p99Ns.toFixed(0)} ns, ` +
        `max ${latency.maxNs.toFixed(0)} ns, clock read ${latency.clockReadNs.toFixed(0)} ns, ` +
        `cpu share consumer ${latency.cpuShare.toFixed(2)} producer ${produced.cpuShare.toFixed(2)}\n`,
    );
  }
  warnIfStarved(benchCase, latency.cpuShare, produced.cpuShare);
  return { p50Ns: latency.p50Ns, p99Ns: latency.p99Ns };
}

/** Latency cases, round-robin like the throughput ones; each row has the median p50 and median p99 of its runs. */
async function measureLatency(cast: Cast, sizes: Sizes): Promise<BenchRow[]> {
  const cases = selected(kLatencyCases);
  const p50s: number[][] = cases.map(() => []);
  const p99s: number[][] = cases.map(() => []);
  for (let run = 0; run < sizes.latencyRuns; run++) {
    for (const [index, benchCase] of cases.entries()) {
      const { p50Ns, p99Ns } = await latencyRun(cast, benchCase, sizes);
      p50s[index]!.push(p50Ns);
      p99s[index]!.push(p99Ns);
    }
  }
  return cases.map((benchCase, index) => {
    const p50Ns = median(p50s[index]!);
    return { suite: kSuite, case: benchCase.name, ops_per_s: 1e9 / p50Ns, p50_ns: p50Ns, p99_ns: median(p99s[index]!), baseline: null, ratio_vs_baseline: null, unit: 'msg (1e9/p50)' };
  });
}

async function measureThroughput(cast: Cast, sizes: Sizes): Promise<BenchRow[]> {
  const cases = selected(kThroughputCases);
  const rings = cases.map((benchCase) =>
    benchCase.transport === 'ring' ? cast.ring.Ring.create({ capacityBytes: kRingCapacityBytes, maxMessageBytes: kMaxMessageBytes }, benchCase.mode) : null,
  );
  const rates: number[][] = cases.map(() => []);
  // Round-robin: run r of every case before run r+1 of any, so a burst of outside load hits all cases.
  for (let run = 0; run < sizes.throughputRuns; run++) {
    for (const [index, benchCase] of cases.entries()) {
      rates[index]!.push(await throughputRun(cast, benchCase, rings[index]!, sizes.messagesPerRun));
    }
  }
  return cases.map((benchCase, index) => ({
    suite: kSuite,
    case: benchCase.name,
    ops_per_s: median(rates[index]!),
    p50_ns: null,
    p99_ns: null,
    baseline: null,
    ratio_vs_baseline: null,
    unit: 'msg',
  }));
}

/** Fills each row's baseline and ratio from its case's declared baseline. */
function withDeclaredBaselines(rows: BenchRow[], baselineOf: (name: string) => string): BenchRow[] {
  const groups = new Map<string, BenchRow[]>();
  for (const row of rows) {
    const baseline = baselineOf(row.case);
    groups.set(baseline, [...(groups.get(baseline) ?? []), row]);
  }
  return [...groups.entries()].flatMap(([baseline, group]) => withRatios(group, baseline));
}

async function startCast(ring: RingModule): Promise<{ cast: Cast; workers: Worker[] }> {
  const workerData: RingWorkerData = { clockBaseNs: process.hrtime.bigint(), ringModuleUrl };
  const entry = new URL('../workers/ring-worker.ts', import.meta.url);
  const workers = Array.from({ length: 1 + kMaxProducers }, (_, index) => {
    const label = index === 0 ? 'consumer' : `producer ${index - 1}`;
    return new BenchWorker<RingWorkerJob, RingWorkerReply>(label, spawnWorker(entry, { workerData }));
  });
  const [consumer, ...producers] = workers as [Worker, ...Worker[]];
  const channels = producers.map(() => new MessageChannel());
  consumer.send({ kind: 'take-ports', ports: channels.map((channel) => channel.port2) }, channels.map((channel) => channel.port2));
  producers.forEach((producer, index) => producer.send({ kind: 'take-ports', ports: [channels[index]!.port1] }, [channels[index]!.port1]));
  for (const worker of workers) await worker.receive('ports-taken', kArmTimeoutMs);
  return { cast: { consumer, producers, gate: new StartGate(), ring }, workers };
}

const suite: BenchSuite = {
  name: kSuite,
  description:
    `SharedArrayBuffer ring vs postMessage between worker threads (1 MiB ring; postMessage window ${kWindowMessages} msgs). ` +
    'Throughput: median of runs. Latency: one-way, paced, hrtime; ratio = baseline p50 / our p50.' +
    (candidateModulePath ? ` Ring module: ${candidateModulePath}.` : ''),
  async run(options: BenchOptions): Promise<BenchRow[]> {
    const sizes = options.quick ? kQuickSizes : kFullSizes;
    const ring = (await import(ringModuleUrl)) as RingModule;
    const { cast, workers } = await startCast(ring);
    try {
      const throughput = await measureThroughput(cast, sizes);
      const latency = await measureLatency(cast, sizes);
      const baselineOf = (name: string): string =>
        [...kThroughputCases, ...kLatencyCases].find((benchCase) => benchCase.name === name)?.baseline ?? name;
      return [...withDeclaredBaselines(throughput, baselineOf), ...withDeclaredBaselines(latency, baselineOf)];
    } finally {
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  },
};

export default suite;
