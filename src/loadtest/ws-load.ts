/**
 * WebSocket feed clients under load, the one behind `octopus loadtest ws` and the ws-fanout and
 * feed-latency benches: `connections` clients (the `ws` library) open at `connectRatePerS`, each subscribes
 * to `channels`, and once all are subscribed the data frames are counted for `durationS`.
 *
 * Per client and channel the `seq` of every data frame must be the last one + 1 (a book channel's snapshot
 * sets where it stands, see docs/websocket.md): any other seq is a gap, counted with the frames missed.
 *
 * Latency (when `latency` is set): frames stamped with `emit_ns` (docs/websocket.md: when the execution
 * actor sent the market-data batch, in ns since the Unix epoch) give emit -> receipt; trade frames also give
 * the simulated exchange's event time (`data.time_ms`) -> receipt. Receipt is read the way the engine reads
 * its clock (src/engine/clock.ts: performance.timeOrigin + performance.now(), CLOCK_REALTIME at the time
 * origin carried on by the monotonic clock), so both ends use one clock when they run on one machine; the
 * result carries the measured offset of this process's clock from CLOCK_REALTIME at the start and at the
 * end (their difference is the drift over the run; see `clockOffsetFromRealtimeNs`).
 *
 * The head of a data frame (`{"channel":"…","seq":N,"type":"…"`, as the hub writes it) is read with string
 * searches instead of JSON.parse: at a million frames per second across a few processes, parsing every
 * frame whole would make the clients, not the server, the thing measured. Other frames are JSON.parse'd.
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';
import { latencyHistogram, recordNs, summarize, type LatencySummary } from './latency.js';

export interface WsLoadOptions {
  /** ws://host:port/ws (http:// is taken as ws://; a missing path is /ws). */
  target: string;
  connections: number;
  /** New connections per second while connecting. */
  connectRatePerS: number;
  /** The measured window, after every client has subscribed. */
  durationS: number;
  channels: string[];
  /** Book depth asked for on subscribe. */
  depth: number;
  /** A JWT for `?token=` (only needed for private channels). */
  token?: string;
  latency: boolean;
  onProgress?: (progress: { elapsedS: number; framesPerS: number; open: number; gaps: number }) => void;
  /** Stop waiting for clients to subscribe after this long (default 30 s): the rest count as failed. */
  setupTimeoutS?: number;
  /**
   * Writes the data frames the first client received in the window to `path`, one JSON line each
   * (`{"at_ms": <ms since the window opened>, "frame": "<the frame's text>"}`), at most `maxFrames`: the
   * ws-fanout bench replays them through other servers.
   */
  record?: { path: string; maxFrames: number };
}

export interface WsLoadResult {
  target: string;
  connections: number;
  /** Clients that opened and got their subscription acknowledged. */
  subscribed: number;
  /** Upgrade or subscribe failures by HTTP status / error code. */
  failed: Record<string, number>;
  /** Closes by the server during the run, by close code (4001 = cut off as a slow consumer). */
  closed: Record<string, number>;
  duration_s: number;
  /** Data frames received in the window, over all clients. */
  frames: number;
  frames_per_s: number;
  bytes_per_s: number;
  /** Data frames per client in the window: the least, the median and the most. */
  frames_per_client: { min: number; median: number; max: number };
  /** Frames missed (seq jumps), over all clients and channels, since subscribing. */
  gaps: number;
  clients_with_gaps: number;
  /** Market events per second in the window, over all clients (latency mode; 0 otherwise). */
  events_per_s: number;
  /** emit_ns -> receipt, every stamped data frame in the window (null unless `latency`). */
  emit_latency: LatencySummary | null;
  /** data.time_ms of trade frames -> receipt (null unless `latency`). */
  event_latency: LatencySummary | null;
  /**
   * data.time_ms -> emit_ns of trade frames: how long an event waited inside the engine before its batch
   * was sent. Both stamps come from the engine's clock, so no offset between processes is in it.
   */
  event_to_emit: LatencySummary | null;
  /** This process's clock minus CLOCK_REALTIME, at the start and at the end of the run. */
  clock_offset_ns: { start: number; end: number };
}

const kMaxConnections = 100_000;
const kMaxChannels = 256;

/** The engine's clock reading, in ns since the Unix epoch (see the module comment). */
export function epochNs(): number {
  return (performance.timeOrigin + performance.now()) * 1e6;
}

/**
 * This process's clock minus CLOCK_REALTIME, in ns: spin until Date.now() (CLOCK_REALTIME, whole ms) ticks,
 * when the real time is that whole millisecond, and read our clock at once; the median of `samples` such
 * edges. Accurate to a few µs (the spin's read interval); costs up to `samples` ms.
 */
export function clockOffsetFromRealtimeNs(samples = 15): number {
  const offsets: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const before = Date.now();
    let edge = before;
    while (edge === before) edge = Date.now();
    offsets.push(epochNs() - edge * 1e6);
  }
  offsets.sort((left, right) => left - right);
  return offsets[offsets.length >> 1]!;
}

/** The parts of a data frame's head the counters need; `null` when the text is not a data frame. */
export interface FrameHead {
  channel: string;
  seq: number;
  type: string;
  emitNs: number | undefined;
  eventMs: number | undefined;
}

function numberAfter(text: string, key: string, from = 0): number | undefined {
  const at = text.indexOf(key, from);
  if (at < 0) return undefined;
  let end = at + key.length;
  while (end < text.length && '0123456789.-e+'.includes(text[end]!)) end++;
  const value = Number(text.slice(at + key.length, end));
  return Number.isFinite(value) ? value : undefined;
}

/** Reads `{"channel":"C","seq":N,"type":"T"…` (the hub's key order); null for anything else. */
export function readFrameHead(text: string, withTimes: boolean): FrameHead | null {
  if (!text.startsWith('{"channel":"')) return null;
  const channelEnd = text.indexOf('"', 12);
  if (channelEnd < 0 || !text.startsWith('","seq":', channelEnd)) return null;
  const seq = numberAfter(text, '"seq":', channelEnd);
  const typeAt = text.indexOf(',"type":"', channelEnd);
  if (seq === undefined || typeAt < 0) return null;
  const type = text.slice(typeAt + 9, text.indexOf('"', typeAt + 9));
  const head: FrameHead = { channel: text.slice(12, channelEnd), seq, type, emitNs: undefined, eventMs: undefined };
  if (withTimes) {
    const emitAt = text.lastIndexOf(',"emit_ns":');
    head.emitNs = emitAt < 0 ? undefined : numberAfter(text, '"emit_ns":', emitAt);
    head.eventMs = type === 'trade' ? numberAfter(text, '"time_ms":', typeAt) : undefined;
  }
  return head;
}

/** What the run keeps: per-client counters and the shared histograms. */
class WsRun {
  /** Lines for `record`, bounded by its maxFrames. */
  readonly recorded: string[] = [];
  windowStartMs = 0;
  readonly emit = latencyHistogram();
  readonly event = latencyHistogram();
  readonly eventToEmit = latencyHistogram();
  readonly failed = new Map<string, number>();
  readonly closed = new Map<string, number>();
  counting = false;
  /** Set before the clients are closed at the end: closes from then on are ours, not the server's. */
  stopping = false;
  bytes = 0;
  /** Market events in the window (latency mode): a trade or quote frame is one, a book delta one per level. */
  events = 0;
  /** Set when connecting timed out: a client that subscribes later is closed, it was counted as failed. */
  setupOver = false;
  /** The client whose frames `record` keeps. */
  recorder: Client | null = null;
  constructor(readonly options: WsLoadOptions) {}

  static bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

/** One client: its socket, its seq per channel, its counts. */
class Client {
  readonly lastSeq = new Map<string, number>();
  frames = 0;
  gaps = 0;
  subscribed = false;
  socket: WebSocket | null = null;

  constructor(private readonly run: WsRun) {}

  open(url: string, onSettled: () => void): void {
    const { options } = this.run;
    const socket = new WebSocket(url, { perMessageDeflate: false });
    this.socket = socket;
    let settled = false;
    const settle = (failure: string | null): void => {
      if (settled) return;
      settled = true;
      // After the setup timeout a client was already counted as failed ('setup timeout').
      if (failure !== null && !this.run.setupOver) WsRun.bump(this.run.failed, failure);
      onSettled();
    };
    socket.on('unexpected-response', (_request, response) => {
      settle(`HTTP ${response.statusCode}`);
      socket.terminate();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => settle(error.code ?? error.message.slice(0, 40)));
    socket.on('open', () => socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: options.channels, depth: options.depth })));
    socket.on('close', (code) => {
      if (this.subscribed && !this.run.stopping) WsRun.bump(this.run.closed, String(code));
      settle(`closed ${code}`);
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const text = data.toString('utf8');
      const head = readFrameHead(text, options.latency);
      if (head === null) {
        const reply = JSON.parse(text) as { type?: string; op?: string; error?: { code?: string } };
        if (reply.type === 'ack' && reply.op === 'subscribe') {
          if (this.run.setupOver) {
            socket.terminate();
            return;
          }
          this.subscribed = true;
          settle(null);
        } else if (reply.type === 'error') settle(reply.error?.code ?? 'error frame');
        return;
      }
      this.onData(head, text);
    });
  }

  private onData(head: FrameHead, text: string): void {
    const last = this.lastSeq.get(head.channel);
    if (head.type !== 'snapshot' && last !== undefined && head.seq !== last + 1) this.gaps += Math.max(1, head.seq - last - 1);
    this.lastSeq.set(head.channel, head.seq);
    if (!this.run.counting || head.type === 'snapshot') return;
    this.frames++;
    this.run.bytes += text.length;
    const record = this.run.options.record;
    if (record !== undefined && this === this.run.recorder && this.run.recorded.length < record.maxFrames) {
      this.run.recorded.push(JSON.stringify({ at_ms: performance.now() - this.run.windowStartMs, frame: text }));
    }
    if (!this.run.options.latency) return;
    // Deltas are few (one per symbol per published batch), so parsing them whole costs little.
    if (head.type === 'delta') {
      const { data } = JSON.parse(text) as { data: { bids: unknown[]; asks: unknown[] } };
      this.run.events += data.bids.length + data.asks.length;
    } else this.run.events++;
    const receiptNs = epochNs();
    if (head.emitNs !== undefined) recordNs(this.run.emit, receiptNs - head.emitNs);
    if (head.eventMs !== undefined) recordNs(this.run.event, receiptNs - head.eventMs * 1e6);
    if (head.eventMs !== undefined && head.emitNs !== undefined) recordNs(this.run.eventToEmit, head.emitNs - head.eventMs * 1e6);
  }
}

function feedUrl(options: WsLoadOptions): string {
  const url = new URL(options.target.replace(/^http/, 'ws'));
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new RangeError(`expected a ws:// or http:// target, was ${options.target}`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  return url.toString();
}

function checkOptions(options: WsLoadOptions): void {
  if (!(Number.isInteger(options.connections) && options.connections >= 1 && options.connections <= kMaxConnections)) throw new RangeError(`expected connections in [1, ${kMaxConnections}], was ${options.connections}`);
  if (!(options.channels.length >= 1 && options.channels.length <= kMaxChannels)) throw new RangeError(`expected 1 to ${kMaxChannels} channels, was ${options.channels.length}`);
  if (!(options.connectRatePerS > 0 && options.connectRatePerS <= 100_000)) throw new RangeError(`expected a connect rate in (0, 100000] per s, was ${options.connectRatePerS}`);
  if (!(options.durationS > 0 && options.durationS <= 3_600)) throw new RangeError(`expected duration in (0, 3600] s, was ${options.durationS}`);
}

/** Opens the clients at the connect rate; resolves when every one has subscribed or failed. */
async function connectAll(run: WsRun, url: string, clients: readonly Client[]): Promise<void> {
  const { options } = run;
  let settled = 0;
  let givenUp = false;
  await new Promise<void>((resolve) => {
    // Clients still unsettled then count as failed ('setup timeout'); the run goes on with the others.
    const timer = setTimeout(() => {
      givenUp = true;
      run.setupOver = true;
      const unsettled = clients.length - settled;
      if (unsettled > 0) run.failed.set('setup timeout', unsettled);
      resolve();
    }, (options.setupTimeoutS ?? 30) * 1_000);
    const onSettled = (): void => {
      if (++settled < clients.length) return;
      clearTimeout(timer);
      resolve();
    };
    const intervalMs = 1_000 / options.connectRatePerS;
    const startMs = performance.now();
    let next = 0;
    const openDue = (): void => {
      if (givenUp) return;
      const due = Math.min(clients.length, Math.floor((performance.now() - startMs) / intervalMs) + 1);
      while (next < due) clients[next++]!.open(url, onSettled);
      if (next < clients.length) setTimeout(openDue, Math.max(1, intervalMs));
    };
    openDue();
  });
}

/**
 * Runs the clients and resolves with what they received in the window.
 * @throws RangeError on options out of bounds.
 */
export async function runWsLoad(options: WsLoadOptions): Promise<WsLoadResult> {
  checkOptions(options);
  const url = feedUrl(options);
  const run = new WsRun(options);
  const offsetStart = options.latency ? clockOffsetFromRealtimeNs() : 0;
  const clients = Array.from({ length: options.connections }, () => new Client(run));
  await connectAll(run, url, clients);
  const startMs = performance.now();
  run.recorder = clients.find((client) => client.subscribed) ?? null;
  run.windowStartMs = startMs;
  run.counting = true;
  let lastFrames = 0;
  const progress = setInterval(() => {
    const frames = clients.reduce((total, client) => total + client.frames, 0);
    const open = clients.filter((client) => client.socket?.readyState === WebSocket.OPEN).length;
    options.onProgress?.({ elapsedS: (performance.now() - startMs) / 1_000, framesPerS: frames - lastFrames, open, gaps: clients.reduce((total, client) => total + client.gaps, 0) });
    lastFrames = frames;
  }, 1_000);
  await new Promise((resolve) => setTimeout(resolve, options.durationS * 1_000));
  run.counting = false;
  run.stopping = true;
  const elapsedS = (performance.now() - startMs) / 1_000;
  clearInterval(progress);
  const offsetEnd = options.latency ? clockOffsetFromRealtimeNs() : 0;
  await closeAll(clients);
  if (options.record !== undefined) writeFileSync(options.record.path, run.recorded.length === 0 ? '' : `${run.recorded.join('\n')}\n`);
  return wsResult(run, clients, elapsedS, { start: offsetStart, end: offsetEnd });
}

async function closeAll(clients: readonly Client[]): Promise<void> {
  await Promise.all(
    clients.map(
      (client) =>
        new Promise<void>((resolve) => {
          const socket = client.socket;
          if (socket === null || socket.readyState === WebSocket.CLOSED) return resolve();
          socket.removeAllListeners('message');
          socket.once('close', () => resolve());
          socket.terminate();
        }),
    ),
  );
}

function wsResult(run: WsRun, clients: readonly Client[], elapsedS: number, clockOffsetNs: { start: number; end: number }): WsLoadResult {
  const perClient = clients.filter((client) => client.subscribed).map((client) => client.frames).sort((left, right) => left - right);
  const frames = perClient.reduce((total, count) => total + count, 0);
  return {
    target: run.options.target,
    connections: run.options.connections,
    subscribed: perClient.length,
    failed: Object.fromEntries(run.failed),
    closed: Object.fromEntries(run.closed),
    duration_s: elapsedS,
    frames,
    frames_per_s: frames / elapsedS,
    bytes_per_s: run.bytes / elapsedS,
    frames_per_client: { min: perClient[0] ?? 0, median: perClient[perClient.length >> 1] ?? 0, max: perClient[perClient.length - 1] ?? 0 },
    gaps: clients.reduce((total, client) => total + client.gaps, 0),
    clients_with_gaps: clients.filter((client) => client.gaps > 0).length,
    events_per_s: run.events / elapsedS,
    emit_latency: run.options.latency ? summarize(run.emit) : null,
    event_latency: run.options.latency ? summarize(run.event) : null,
    event_to_emit: run.options.latency ? summarize(run.eventToEmit) : null,
    clock_offset_ns: clockOffsetNs,
  };
}
