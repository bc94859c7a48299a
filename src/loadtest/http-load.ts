/**
 * An open-loop HTTP/1.1 load generator over keep-alive TCP connections (node:net, requests preformatted,
 * responses parsed incrementally), the one behind `octopus loadtest orders` and the order-entry bench.
 *
 * Open loop: at a fixed offered rate R, request i is *scheduled* at start + i/R whatever happened to the
 * ones before it, and its latency is measured from that scheduled time, not from when it could be sent.
 * A server that stalls therefore shows its stall in the latency of every request scheduled during it
 * (no coordinated omission, as in wrk2/HdrHistogram). A request is sent on the connection with the fewest
 * in flight; when every connection has `pipeline` requests in flight, due requests wait in the client, and
 * their wait counts. Requests still waiting when the run ends were never sent: they are reported as
 * `unsent`, the part of the offered load the server did not absorb. What the warm-up offered and could not
 * send is dropped when the counted window opens, so that window starts with an empty client queue.
 *
 * `rate: 'max'` is closed loop instead: every connection keeps `pipeline` requests in flight and latency is
 * measured from the send. The first `warmupS` seconds are run but not counted.
 */
import { connect, type Socket } from 'node:net';
import { latencyHistogram, recordNs, summarize, type LatencySummary } from './latency.js';

export interface HttpRequestSpec {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpLoadOptions {
  /** http://host:port (a path is ignored: the request spec has one). */
  target: string;
  /** Requests per second offered, or 'max' (closed loop). */
  rate: number | 'max';
  durationS: number;
  warmupS: number;
  connections: number;
  /** Requests in flight per connection at most (1 = no pipelining, like most clients). */
  pipeline: number;
  /** Called for every request (`index` counts from 0). The same spec object again sends the same bytes (encoded once); return a new object for a new request. */
  request: (index: number) => HttpRequestSpec;
  /** Labels a response: '2xx' by default for success, else the body's error.code or 'HTTP <status>'. */
  classify?: (status: number, body: string) => string;
  /** Called about once a second while the run lasts. */
  onProgress?: (progress: LoadProgress) => void;
  /** How long to wait for in-flight responses after the last scheduled request (default 5 s). */
  drainTimeoutS?: number;
}

export interface LoadProgress {
  elapsedS: number;
  completed: number;
  errors: number;
  /** Completed per second over the last interval. */
  ratePerS: number;
  p99NsSoFar: number;
}

export interface HttpLoadResult {
  target: string;
  offered_per_s: number | 'max';
  duration_s: number;
  connections: number;
  pipeline: number;
  /** Counted requests (after the warm-up) that were sent. */
  sent: number;
  /** Counted responses with a 2xx status. */
  ok: number;
  /** Responses per second over the counted window (every status). */
  completed_per_s: number;
  ok_per_s: number;
  /** Scheduled in the counted window but never sent (the client was waiting for the server). */
  unsent: number;
  /** Sent but not answered within the drain timeout. */
  timeouts: number;
  /** Response label -> count: '2xx', 'ERR_RATE_LIMITED', 'HTTP 502', 'ECONNRESET', ... */
  by_code: Record<string, number>;
  /** From the scheduled time (open loop) or the send (closed loop) to the end of the response. */
  latency: LatencySummary;
  /**
   * Open loop only: from the scheduled time to the send, i.e. the generator's own timer granularity (about
   * 1 ms) plus any wait for a free connection. It is inside `latency`; on its own it tells how much of
   * `latency` the client added.
   */
  send_lag: LatencySummary;
}

const kHeaderEnd = Buffer.from('\r\n\r\n');
const kMaxResponseBytes = 16 * 1024 * 1024;
const kMaxConnections = 10_000;
const kMaxPipeline = 1_024;

/** One scheduled or sent request on a connection: when it counts from, and whether it is counted. */
interface InFlight {
  fromNs: number;
  counted: boolean;
}

/** The state of one run: counters, histogram, and what the connections share. */
class Run {
  readonly histogram = latencyHistogram();
  readonly sendLag = latencyHistogram();
  readonly byCode = new Map<string, number>();
  sent = 0;
  ok = 0;
  completed = 0;
  errors = 0;
  nextIndex = 0;
  countFromNs = 0;
  inFlight = 0;
  constructor(readonly options: HttpLoadOptions) {}

  count(label: string): void {
    this.byCode.set(label, (this.byCode.get(label) ?? 0) + 1);
  }

  /** A response (or failure) for `request` arrived at `nowNs`. */
  settle(request: InFlight, label: string, nowNs: number): void {
    this.inFlight--;
    if (!request.counted) return;
    this.completed++;
    this.count(label);
    if (label === '2xx') this.ok++;
    else this.errors++;
    recordNs(this.histogram, nowNs - request.fromNs);
  }
}

export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

function defaultClassify(status: number, body: string): string {
  if (status >= 200 && status < 300) return '2xx';
  const code = /"code"\s*:\s*"([A-Z0-9_]{1,64})"/.exec(body)?.[1];
  return code ?? `HTTP ${status}`;
}

function encodeRequest(spec: HttpRequestSpec, host: string): Buffer {
  const body = Buffer.from(spec.body, 'utf8');
  let head = `${spec.method} ${spec.path} HTTP/1.1\r\nhost: ${host}\r\ncontent-length: ${body.byteLength}\r\n`;
  for (const [name, value] of Object.entries(spec.headers)) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]);
}

/**
 * One keep-alive connection: writes requests, parses the responses in order (status line, content-length,
 * body), and hands each to the run. A response it cannot parse, a reset or a close fails what is in
 * flight with that reason and the connection is reopened for what comes next.
 */
class Connection {
  readonly inFlight: InFlight[] = [];
  private socket: Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly run: Run,
    private readonly url: URL,
    private readonly onIdle: () => void,
  ) {}

  private open(): Socket {
    const socket = connect({ host: this.url.hostname, port: Number(this.url.port || 80), noDelay: true });
    // Events of a socket this connection already gave up (and replaced) are not about the current one.
    socket.on('data', (chunk: Buffer) => this.socket === socket && this.onData(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => this.socket === socket && this.fail(error.code ?? 'ESOCKET'));
    socket.on('close', () => this.socket === socket && this.fail('ECLOSED'));
    this.socket = socket;
    return socket;
  }

  send(request: Buffer, entry: InFlight): void {
    this.inFlight.push(entry);
    this.pending.push(request);
  }

  /** Writes what `send` queued in this turn with one system call. */
  flush(): void {
    if (this.pending.length === 0 || this.closed) return;
    const socket = this.socket ?? this.open();
    socket.write(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending));
    this.pending = [];
  }

  close(): void {
    this.closed = true;
    this.socket?.removeAllListeners();
    this.socket?.destroy();
    this.socket = null;
  }

  private fail(reason: string): void {
    if (this.socket === null) return;
    this.socket.removeAllListeners('data');
    this.socket.destroy();
    this.socket = null;
    this.buffered = Buffer.alloc(0);
    this.pending = [];
    const at = nowNs();
    for (const request of this.inFlight.splice(0)) this.run.settle(request, reason, at);
    this.onIdle();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    let settled = false;
    while (this.inFlight.length > 0) {
      const response = parseResponse(this.buffered);
      if (response === 'incomplete') break;
      if (response === 'malformed') {
        this.fail('EPROTOCOL');
        return;
      }
      this.buffered = this.buffered.subarray(response.length);
      const label = (this.run.options.classify ?? defaultClassify)(response.status, response.body);
      this.run.settle(this.inFlight.shift()!, label, nowNs());
      settled = true;
      if (response.close) {
        // The server ends the connection after this answer (the gateway does so after a 429): the next
        // request goes on a new one; any pipelined behind it are lost with the connection.
        this.fail('ECLOSED');
        return;
      }
    }
    if (this.buffered.length > kMaxResponseBytes) this.fail('EPROTOCOL');
    else if (settled) this.onIdle();
  }
}

/** One complete response at the start of `data`, 'incomplete' if more bytes are needed, or 'malformed'. */
export function parseResponse(data: Buffer): { status: number; body: string; length: number; close: boolean } | 'incomplete' | 'malformed' {
  const headerEnd = data.indexOf(kHeaderEnd);
  if (headerEnd < 0) return data.length > 64 * 1024 ? 'malformed' : 'incomplete';
  const head = data.toString('latin1', 0, headerEnd);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  const lengthHeader = /\r\ncontent-length:\s*(\d{1,9})/i.exec(head);
  if (status === null || lengthHeader === null) return 'malformed';
  const bodyStart = headerEnd + kHeaderEnd.length;
  const length = bodyStart + Number(lengthHeader[1]);
  if (data.length < length) return 'incomplete';
  return { status: Number(status[1]), body: data.toString('utf8', bodyStart, length), length, close: /\r\nconnection:\s*close/i.test(head) };
}

function checkOptions(options: HttpLoadOptions): URL {
  const url = new URL(options.target);
  if (url.protocol !== 'http:') throw new RangeError(`expected an http:// target, was ${options.target}`);
  const whole = (value: number, min: number, max: number): boolean => Number.isInteger(value) && value >= min && value <= max;
  if (!whole(options.connections, 1, kMaxConnections)) throw new RangeError(`expected connections in [1, ${kMaxConnections}], was ${options.connections}`);
  if (!whole(options.pipeline, 1, kMaxPipeline)) throw new RangeError(`expected pipeline in [1, ${kMaxPipeline}], was ${options.pipeline}`);
  if (options.rate !== 'max' && !(options.rate > 0 && options.rate <= 10_000_000)) throw new RangeError(`expected rate in (0, 1e7] or max, was ${options.rate}`);
  if (!(options.durationS > 0 && options.durationS <= 3_600)) throw new RangeError(`expected duration in (0, 3600] s, was ${options.durationS}`);
  if (!(options.warmupS >= 0 && options.warmupS <= 600)) throw new RangeError(`expected warm-up in [0, 600] s, was ${options.warmupS}`);
  return url;
}

/**
 * Runs the load and resolves with the counted window's result.
 * @throws RangeError on options out of bounds (before anything is sent).
 */
export async function runHttpLoad(options: HttpLoadOptions): Promise<HttpLoadResult> {
  const url = checkOptions(options);
  const run = new Run(options);
  const host = url.host;
  const startNs = nowNs();
  run.countFromNs = startNs + options.warmupS * 1e9;
  const endNs = run.countFromNs + options.durationS * 1e9;
  const intervalNs = options.rate === 'max' ? 0 : 1e9 / options.rate;
  let dispatchScheduled = false;
  const dispatchSoon = (): void => {
    if (dispatchScheduled) return;
    dispatchScheduled = true;
    setImmediate(() => {
      dispatchScheduled = false;
      dispatch();
    });
  };
  // A connection that got its answers takes the requests waiting for it at once, not at the next tick.
  const connections = Array.from({ length: options.connections }, () => new Connection(run, url, dispatchSoon));
  let unsent = 0;
  const encode = requestEncoder(options.request, host);
  let backlogDropped = false;
  const dispatch = (): void => {
    const now = nowNs();
    if (now >= endNs) return;
    if (!backlogDropped && intervalNs > 0 && now >= run.countFromNs) {
      // What the warm-up offered and the server did not take is dropped, so the counted window starts
      // with an empty client queue instead of the warm-up's backlog.
      backlogDropped = true;
      run.nextIndex = Math.max(run.nextIndex, Math.ceil((run.countFromNs - startNs) / intervalNs));
    }
    for (;;) {
      const scheduledNs = intervalNs === 0 ? now : startNs + run.nextIndex * intervalNs;
      if (scheduledNs > now || scheduledNs >= endNs) break;
      const connection = leastLoaded(connections);
      if (connection.inFlight.length >= options.pipeline) break;
      const entry: InFlight = { fromNs: scheduledNs, counted: scheduledNs >= run.countFromNs };
      connection.send(encode(run.nextIndex), entry);
      run.nextIndex++;
      run.inFlight++;
      if (!entry.counted) continue;
      run.sent++;
      if (intervalNs > 0) recordNs(run.sendLag, now - scheduledNs);
    }
    for (const connection of connections) connection.flush();
  };
  const progress = startProgress(run, startNs);
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      dispatch();
      if (nowNs() < endNs) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  if (intervalNs > 0) unsent = Math.max(0, Math.ceil((endNs - Math.max(run.countFromNs, startNs + run.nextIndex * intervalNs)) / intervalNs));
  await drain(run, options.drainTimeoutS ?? 5);
  clearInterval(progress);
  const timeouts = run.inFlight;
  for (const connection of connections) connection.close();
  return result(run, options, unsent, timeouts);
}

/** Encodes each request, reusing the bytes while the factory returns the same spec object. */
function requestEncoder(request: (index: number) => HttpRequestSpec, host: string): (index: number) => Buffer {
  let lastSpec: HttpRequestSpec | null = null;
  let lastBytes: Buffer = Buffer.alloc(0);
  return (index) => {
    const spec = request(index);
    if (spec !== lastSpec) {
      lastSpec = spec;
      lastBytes = encodeRequest(spec, host);
    }
    return lastBytes;
  };
}

function leastLoaded(connections: readonly Connection[]): Connection {
  let best = connections[0]!;
  for (const connection of connections) if (connection.inFlight.length < best.inFlight.length) best = connection;
  return best;
}

async function drain(run: Run, timeoutS: number): Promise<void> {
  const deadlineNs = nowNs() + timeoutS * 1e9;
  while (run.inFlight > 0 && nowNs() < deadlineNs) await new Promise((resolve) => setTimeout(resolve, 5));
}

function startProgress(run: Run, startNs: number): NodeJS.Timeout {
  let lastCompleted = 0;
  let lastNs = startNs;
  return setInterval(() => {
    const now = nowNs();
    const completed = run.completed;
    run.options.onProgress?.({
      elapsedS: (now - startNs) / 1e9,
      completed,
      errors: run.errors,
      ratePerS: ((completed - lastCompleted) * 1e9) / (now - lastNs),
      p99NsSoFar: run.histogram.count > 0 ? run.histogram.percentile(99) : Number.NaN,
    });
    lastCompleted = completed;
    lastNs = now;
  }, 1_000);
}

function result(run: Run, options: HttpLoadOptions, unsent: number, timeouts: number): HttpLoadResult {
  const byCode = Object.fromEntries([...run.byCode.entries()].sort((left, right) => right[1] - left[1]));
  if (timeouts > 0) byCode.timeout = timeouts;
  return {
    target: options.target,
    offered_per_s: options.rate,
    duration_s: options.durationS,
    connections: options.connections,
    pipeline: options.pipeline,
    sent: run.sent,
    ok: run.ok,
    completed_per_s: run.completed / options.durationS,
    ok_per_s: run.ok / options.durationS,
    unsent,
    timeouts,
    by_code: byCode,
    latency: summarize(run.histogram),
    send_lag: summarize(run.sendLag),
  };
}
