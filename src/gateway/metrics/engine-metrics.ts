/**
 * The engine's /metrics, on prom-client (one Registry per engine, so two engines in one test process
 * do not share counters):
 *
 * - histograms: order-ack latency (gateway receive to 2xx), HTTP latency by route and status, ring hop
 *   (an actor's send to the main thread's handler), WebSocket send queue (buffered bytes per checked
 *   connection), journal flush (kept by the execution actor, polled from its status);
 * - counters: orders by status (from execution reports), order rejections by reason (REST refusals
 *   and rejected orders), rate-limit refusals by limiter, authentication failures by reason;
 * - Node's default metrics (process CPU and memory, event-loop lag, GC) and octopus_build_info;
 * - the actor system's health and the actors' polled status fields (`MetricSample`s), bridged as
 *   gauges and counters whose values are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { HistogramSnapshot } from '../../engine/cumulative-histogram.js';
import type { OrderRecord } from '../../engine/messages.js';
import type { HttpObserver, RouteSpec } from '../http/http.js';

export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
  labels?: Record<string, string>;
}

export interface PolledHistogram {
  name: string;
  help: string;
  /** The latest snapshot, or undefined before the first poll. */
  read: () => HistogramSnapshot | undefined;
}

export interface BuildInfo {
  version: string;
  node: string;
  kernels: string;
}

const kLatencyBucketsSeconds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const kQueueBucketsBytes = [0, 1_024, 16_384, 65_536, 262_144, 524_288, 1_048_576, 2_097_152];
/** A reject reason is an ERR_* code (a bounded set); anything else is counted as "other". */
const kReasonPattern = /^ERR_[A-Z_]{1,60}$/;

type Value = { value: number; labels?: Record<string, string>; metricName?: string };

/** A metric whose values are computed at scrape time (prom-client asks `get()`). */
class ScrapedMetric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly values: () => Value[],
  ) {}

  get(): { name: string; help: string; type: string; values: Value[]; aggregator: string } {
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: 'sum' };
  }

  reset(): void {}
}

function histogramValues(name: string, snapshot: HistogramSnapshot | undefined): Value[] {
  if (snapshot === undefined) return [];
  const values: Value[] = snapshot.buckets.map((bound, index) => ({ metricName: `${name}_bucket`, labels: { le: String(bound) }, value: snapshot.counts[index]! }));
  values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: snapshot.count });
  values.push({ metricName: `${name}_sum`, value: snapshot.sum }, { metricName: `${name}_count`, value: snapshot.count });
  return values;
}

export class EngineMetrics implements HttpObserver {
  readonly registry = new Registry();
  private readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly orderAckSeconds: Histogram<'route'>;
  private readonly ringHopSeconds: Histogram<'message'>;
  private readonly wsQueueBytes: Histogram;
  private readonly orders: Counter<'status'>;
  private readonly rejections: Counter<'reason' | 'source'>;
  private readonly rateLimited: Counter<'limiter'>;
  private readonly authFailures: Counter<'reason'>;
  /** Latest bridged samples by name (the scrape reads them). */
  private samples = new Map<string, MetricSample[]>();

  constructor(build: BuildInfo, private readonly collect: () => MetricSample[], polled: readonly PolledHistogram[]) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named *_total break promtool's lint; the same counts stay in nodejs_active_{handles,requests,resources} by type.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.httpSeconds = new Histogram({ name: 'octopus_http_request_duration_seconds', help: 'HTTP requests from receipt to answer, by route template and status.', labelNames: ['method', 'route', 'status'], buckets: kLatencyBucketsSeconds, registers });
    this.orderAckSeconds = new Histogram({ name: 'octopus_order_ack_seconds', help: 'Order entry from gateway receipt to the 2xx answer (journaled and acknowledged).', labelNames: ['route'], buckets: kLatencyBucketsSeconds, registers });
    this.ringHopSeconds = new Histogram({ name: 'octopus_ring_hop_seconds', help: 'From an actor sending a message to the main thread handling it.', labelNames: ['message'], buckets: kLatencyBucketsSeconds, registers });
    this.wsQueueBytes = new Histogram({ name: 'octopus_ws_send_queue_bytes', help: 'Bytes buffered for a WebSocket connection when the hub checks it.', buckets: kQueueBucketsBytes, registers });
    this.orders = new Counter({ name: 'octopus_orders_total', help: 'Order updates reported by execution, by the status reached.', labelNames: ['status'], registers });
    this.rejections = new Counter({ name: 'octopus_order_rejections_total', help: 'Orders refused (REST) or rejected (execution), by reason code.', labelNames: ['reason', 'source'], registers });
    this.rateLimited = new Counter({ name: 'octopus_rate_limited_total', help: 'Requests refused by a rate limiter.', labelNames: ['limiter'], registers });
    this.authFailures = new Counter({ name: 'octopus_auth_failures_total', help: 'Requests refused for their credentials, by reason code.', labelNames: ['reason'], registers });
    const info = new Gauge({ name: 'octopus_build_info', help: 'Always 1; the labels say what runs.', labelNames: ['version', 'node', 'kernels'], registers });
    info.set({ version: build.version, node: build.node, kernels: build.kernels }, 1);
    for (const histogram of polled) this.registry.registerMetric(new ScrapedMetric(histogram.name, histogram.help, 'histogram', () => histogramValues(histogram.name, histogram.read())) as never);
  }

  // ---- HttpObserver ----

  request(method: string, route: string, status: number, seconds: number, measure: RouteSpec['measure'], code?: string): void {
    this.httpSeconds.observe({ method, route, status: String(status) }, seconds);
    if (measure !== 'order_ack') return;
    if (status >= 200 && status < 300) this.orderAckSeconds.observe({ route }, seconds);
    else if (code !== undefined && status !== 401 && status !== 429) this.rejections.inc({ reason: code, source: 'gateway' });
  }

  rateLimitRefused(limiter: 'address' | 'principal'): void {
    this.rateLimited.inc({ limiter });
  }

  authFailed(code: string): void {
    this.authFailures.inc({ reason: code });
  }

  // ---- engine events ----

  orderReports(orders: readonly OrderRecord[]): void {
    for (const order of orders) {
      this.orders.inc({ status: order.status });
      if (order.status === 'rejected') this.rejections.inc({ reason: order.reject_reason !== null && kReasonPattern.test(order.reject_reason) ? order.reject_reason : 'other', source: 'execution' });
    }
  }

  ringHop(message: string, seconds: number): void {
    // Clocks of two threads can disagree by a little: a negative hop is clamped, not dropped.
    this.ringHopSeconds.observe({ message }, Math.max(0, seconds));
  }

  wsBuffered(bytes: number): void {
    this.wsQueueBytes.observe(bytes);
  }

  /** The text exposition (version 0.0.4), with the bridged samples as of now. */
  async text(): Promise<string> {
    this.bridge(this.collect());
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Registers a scraped metric per new sample name; each reads the latest samples of its name. */
  private bridge(samples: readonly MetricSample[]): void {
    const byName = new Map<string, MetricSample[]>();
    for (const sample of samples) {
      let list = byName.get(sample.name);
      if (list === undefined) byName.set(sample.name, (list = []));
      list.push(sample);
    }
    for (const [name, list] of byName) {
      if (this.samples.has(name)) continue;
      const first = list[0]!;
      this.registry.registerMetric(new ScrapedMetric(name, first.help, first.type, () => (this.samples.get(name) ?? []).map((sample) => ({ value: sample.value, labels: sample.labels ?? {} }))) as never);
    }
    // Names that vanish (an actor's detail not polled yet) stay registered and scrape empty.
    const next = new Map<string, MetricSample[]>();
    for (const name of this.samples.keys()) next.set(name, []);
    for (const [name, list] of byName) next.set(name, list);
    this.samples = next;
  }
}
