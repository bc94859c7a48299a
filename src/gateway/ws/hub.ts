/**
 * The /ws fan-out hub. The integrator feeds it from the actors (`publish`, `publishPrivate`) and registers
 * snapshot providers and a symbol validator; the route module (ws-feed-routes.ts) attaches it to the uWS
 * app. Each frame is serialised once per encoding and fanned out with uWS topics (`app.publish`), so the
 * cost of a frame does not grow with the number of subscribers.
 *
 * Topics: `<encoding>|<channel key>` where the encoding is `json` or `fb` and the key is the public channel
 * name (`book:ACME`) or, for private channels, `<channel>@<account>` (`orders@alice`), so a private frame
 * can only reach connections authenticated as that account. Every connection is also subscribed to the
 * `heartbeat` topic.
 *
 * Sequence numbers: each channel key has its own counter, +1 per published frame, starting at 1. A snapshot
 * carries the channel's current seq (the seq of the last frame it already includes), so a client applies
 * the frames with seq > snapshot.seq; a gap (seq != last + 1) means it must send `resync`.
 *
 * Slow consumers: after a publish, the touched channels' subscribers are checked once per event-loop turn
 * (a batch, not per frame), and at once whenever half of `slowConsumerBytes` was published since the last
 * check (a burst inside one turn); one whose buffered amount is over `slowConsumerBytes` is closed with
 * 4001. A buffer therefore stays under 1.5x the limit, below uWS's `maxBackpressure` (2x), past which uWS
 * would skip frames for that connection (measured: it skips, then closes it with no close frame).
 */
import assert from 'node:assert/strict';
import type { TemplatedApp, WebSocket } from '@trufflesuite/uws-js-unofficial';
import { OctopusError, type ErrorCode } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import type { Principal } from '../auth/users.js';
import { encodeFrame, type BinaryFrameType, type InstrumentScale } from './feed/codec.js';
import { binaryKinds, defaultBarIntervals, frameTypesByKind, parseChannel, type ChannelKind, type ParsedChannel, type PrivateChannel } from './channels.js';

export type FeedEncoding = 'json' | 'flatbuffers';

/** What the hub keeps per connection (the uWS user data). */
export interface FeedConnection {
  readonly id: number;
  readonly principal: Principal | undefined;
  /** The account private channels are routed by (the authenticated username). */
  readonly account: string | undefined;
  readonly encoding: FeedEncoding;
  /** The client address, for the per-address connection cap. */
  readonly address: string;
  /** channel name -> book depth (0 for other kinds). */
  readonly subscriptions: Map<string, number>;
  closed: boolean;
}

export type FeedSocket = WebSocket<FeedConnection>;

/** Returns the snapshot's data, or undefined when there is none (the frame then carries `data: null`, or an empty book). */
export type SnapshotProvider = (symbol: string, depth: number, account: string | undefined) => unknown;

export interface FeedHubOptions {
  logger: Logger;
  /** Heartbeat period (default 1000 ms); 0 disables heartbeats (tests that count frames). */
  heartbeatIntervalMs?: number;
  /** A connection whose unsent bytes exceed this is closed with 4001 (default 1 MiB). */
  slowConsumerBytes?: number;
  /** Largest accepted client frame (default 64 KiB); uWS closes the connection (1009) past it. */
  maxPayloadBytes?: number;
  /** uWS idle timeout in seconds (default 120; automatic pings keep live clients open). */
  idleTimeoutSeconds?: number;
  maxConnections?: number;
  /** Connections from one client address at most (default 100): one address cannot take every slot. */
  maxConnectionsPerAddress?: number;
  /**
   * Connections without credentials at most (default half of maxConnections): the rest stays for
   * authenticated clients, so an anonymous flood from many addresses cannot lock traders out.
   */
  maxAnonymousConnections?: number;
  maxSubscriptionsPerConnection?: number;
  /** Most channels in one op. */
  maxChannelsPerOp?: number;
  defaultBookDepth?: number;
  maxBookDepth?: number;
  barIntervals?: readonly string[];
  /** Called with a connection's buffered bytes each time the hub checks it (the send-queue histogram). */
  observeBufferedBytes?: (bytes: number) => void;
}

export const kCloseSlowConsumer = 4001;
export const kCloseGoingAway = 1001;
export const kHeartbeatTopic = 'heartbeat';
/** Binary frames of a symbol without a registered scale: steps of 1e-8, exact to 8 decimals. */
const kFallbackScale: InstrumentScale = { tickSize: 1e-8, lotSize: 1e-8 };

interface ResolvedOptions extends Required<Omit<FeedHubOptions, 'logger' | 'observeBufferedBytes'>> {
  logger: Logger;
  observeBufferedBytes: ((bytes: number) => void) | undefined;
}

function resolveOptions(options: FeedHubOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    logger: options.logger,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
    slowConsumerBytes: options.slowConsumerBytes ?? 1024 * 1024,
    maxPayloadBytes: options.maxPayloadBytes ?? 64 * 1024,
    idleTimeoutSeconds: options.idleTimeoutSeconds ?? 120,
    maxConnections: options.maxConnections ?? 10_000,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? Math.min(100, options.maxConnections ?? 10_000),
    maxAnonymousConnections: options.maxAnonymousConnections ?? Math.max(1, Math.floor((options.maxConnections ?? 10_000) / 2)),
    maxSubscriptionsPerConnection: options.maxSubscriptionsPerConnection ?? 256,
    maxChannelsPerOp: options.maxChannelsPerOp ?? 64,
    defaultBookDepth: options.defaultBookDepth ?? 50,
    maxBookDepth: options.maxBookDepth ?? 1_000,
    barIntervals: options.barIntervals ?? defaultBarIntervals,
    observeBufferedBytes: options.observeBufferedBytes,
  };
  const positive = (name: keyof ResolvedOptions, max: number): void => {
    const value = resolved[name] as number;
    if (!Number.isInteger(value) || value < 1 || value > max) throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} an integer in [1, ${max}], was ${value}`);
  };
  positive('slowConsumerBytes', 1 << 30);
  positive('maxPayloadBytes', 16 * 1024 * 1024);
  positive('maxConnections', 1_000_000);
  positive('maxConnectionsPerAddress', resolved.maxConnections);
  positive('maxAnonymousConnections', resolved.maxConnections);
  positive('maxSubscriptionsPerConnection', 100_000);
  positive('maxChannelsPerOp', 10_000);
  positive('maxBookDepth', 100_000);
  positive('defaultBookDepth', resolved.maxBookDepth);
  // uWS accepts 0 (off) or at least 8 seconds.
  if (!(resolved.idleTimeoutSeconds === 0 || (Number.isInteger(resolved.idleTimeoutSeconds) && resolved.idleTimeoutSeconds >= 8 && resolved.idleTimeoutSeconds <= 960))) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected idleTimeoutSeconds 0 or an integer in [8, 960], was ${resolved.idleTimeoutSeconds}`);
  }
  if (!(Number.isInteger(resolved.heartbeatIntervalMs) && resolved.heartbeatIntervalMs >= 0)) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected heartbeatIntervalMs an integer >= 0, was ${resolved.heartbeatIntervalMs}`);
  }
  return resolved;
}

function topicOf(encoding: 'json' | 'fb', key: string): string {
  return `${encoding}|${key}`;
}

export class FeedHub {
  readonly options: ResolvedOptions;
  private app: TemplatedApp | undefined;
  /** channel key -> last published seq. Bounded by (symbols x kinds) + (accounts x 2). */
  private readonly seqByKey = new Map<string, number>();
  private readonly sockets = new Set<FeedSocket>();
  /** address -> open connections from it; bounded by the connection count (an entry goes at zero). */
  private readonly connectionsByAddress = new Map<string, number>();
  private anonymousConnections = 0;
  /** channel key -> its subscribed sockets, for the slow-consumer check after a publish. */
  private readonly socketsByKey = new Map<string, Set<FeedSocket>>();
  private readonly dirtyKeys = new Set<string>();
  private checkScheduled = false;
  /** Bytes published since the subscribers were last checked (the trigger of a check inside a burst). */
  private bytesSinceCheck = 0;
  private readonly snapshotProviders = new Map<ChannelKind, SnapshotProvider>();
  private isKnownSymbol: (symbol: string) => boolean = () => true;
  private bookFormatter: ((symbol: string, book: BookLike) => unknown) | undefined;
  private scaleOf: (symbol: string) => InstrumentScale | undefined = () => undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatCounter = 0;
  private nextConnectionId = 1;
  private closed = false;
  /** Counters for /metrics and tests. */
  readonly stats = { framesPublished: 0, slowConsumersClosed: 0, errorsSent: 0, upgradesRefused: 0 };

  constructor(options: FeedHubOptions) {
    this.options = resolveOptions(options);
  }

  /** Registers the provider of snapshots for one channel kind (book: `(symbol, depth) => {bids, asks}`). */
  setSnapshotProvider(kind: ChannelKind, provider: SnapshotProvider): void {
    this.snapshotProviders.set(kind, provider);
  }

  /** How a book snapshot's numeric levels are written in JSON frames (the wire format's decimal strings). */
  setBookFormatter(format: (symbol: string, book: { bids: Array<[number, number]>; asks: Array<[number, number]> }) => unknown): void {
    this.bookFormatter = format;
  }

  /**
   * The tick and lot size of each symbol, for binary frames (prices in ticks, quantities in lots). Until
   * set, and for a symbol it does not know, binary frames use steps of 1e-8 (exact to 8 decimals).
   */
  setInstrumentScale(scaleOf: (symbol: string) => InstrumentScale | undefined): void {
    this.scaleOf = scaleOf;
  }

  private scale(symbol: string): InstrumentScale {
    return this.scaleOf(symbol) ?? kFallbackScale;
  }

  /** Registers the symbol validator; until then every well-formed symbol is accepted. */
  setSymbolValidator(isKnownSymbol: (symbol: string) => boolean): void {
    this.isKnownSymbol = isKnownSymbol;
  }

  /** Called by the route module once the app exists; starts the heartbeat. */
  attach(app: TemplatedApp): void {
    assert.equal(this.app, undefined, 'a FeedHub serves one app');
    this.app = app;
    if (this.options.heartbeatIntervalMs > 0) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatIntervalMs);
      this.heartbeatTimer.unref();
    }
  }

  /** The last seq published on a channel key (0 before the first frame). */
  currentSeq(key: string): number {
    return this.seqByKey.get(key) ?? 0;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * Publishes one frame on a public channel (`trades:ACME`, `book:ACME`, `bars:1m:ACME`, `alerts`) and
   * returns its seq. `type` must fit the channel (trade, quote, delta/update, bar, alert). `emitNs`, when
   * given, goes out as the JSON frame's `emit_ns` (when the producing actor sent the data, ns since the
   * Unix epoch; docs/websocket.md), for clients that measure the feed's latency.
   * @throws AssertionError when the channel or type is malformed (a caller bug, not bad input).
   */
  publish(channel: string, type: string, payload: unknown, emitNs?: number, binaryPayload: unknown = payload): number {
    const parsed = parseChannel(channel, () => true, this.options.barIntervals);
    assert.ok(parsed.ok, `publish: ${parsed.ok ? '' : parsed.message}`);
    assert.ok(!parsed.channel.isPrivate, `publish: ${channel} is private, use publishPrivate`);
    return this.fanOut(parsed.channel, channel, type, payload, emitNs, binaryPayload);
  }

  /** Publishes one frame on an account's private channel (`orders`, `positions`) and returns its seq. */
  publishPrivate(account: string, channel: PrivateChannel | 'alerts', type: string, payload: unknown): number {
    assert.ok(channel === 'orders' || channel === 'positions' || channel === 'alerts' || channel === 'jobs', `publishPrivate: expected orders, positions, alerts or jobs, was ${channel}`);
    assert.ok(account.length > 0, 'publishPrivate: expected an account');
    return this.fanOut({ name: channel, kind: channel, symbol: '', isPrivate: true }, `${channel}@${account}`, type, payload);
  }

  /** `payload` goes out as JSON text; `binaryPayload` (numbers, FlatBuffers' shape) as binary frames. */
  private fanOut(channel: ParsedChannel, key: string, type: string, payload: unknown, emitNs?: number, binaryPayload: unknown = payload): number {
    assert.ok(frameTypesByKind[channel.kind].includes(type), `expected a ${frameTypesByKind[channel.kind].join('/')} frame on ${channel.name}, was ${type}`);
    const seq = (this.seqByKey.get(key) ?? 0) + 1;
    this.seqByKey.set(key, seq);
    this.stats.framesPublished++;
    const app = this.app;
    if (app === undefined || this.closed) return seq;
    const jsonTopic = topicOf('json', key);
    if (app.numSubscribers(jsonTopic) > 0) {
      const text = JSON.stringify(emitNs === undefined ? { channel: channel.name, seq, type, data: payload } : { channel: channel.name, seq, type, data: payload, emit_ns: emitNs });
      this.bytesSinceCheck += text.length;
      app.publish(jsonTopic, text, false);
    }
    if (binaryKinds.has(channel.kind)) {
      const binaryTopic = topicOf('fb', key);
      if (app.numSubscribers(binaryTopic) > 0) {
        const bytes = encodeFrame(channel.name, seq, binaryType(type), binaryPayload, this.scale(channel.symbol));
        this.bytesSinceCheck += bytes.byteLength;
        app.publish(binaryTopic, bytes, true);
      }
    }
    if (this.socketsByKey.has(key)) this.markDirty(key);
    // A burst inside one turn: check now, before any connection can pass uWS's maxBackpressure (2x the
    // limit) and have frames skipped; between checks a buffer grows by at most half the limit.
    if (this.bytesSinceCheck > this.options.slowConsumerBytes / 2) this.checkDirty();
    return seq;
  }

  private markDirty(key: string): void {
    this.dirtyKeys.add(key);
    if (this.checkScheduled) return;
    this.checkScheduled = true;
    setImmediate(() => {
      this.checkScheduled = false;
      this.checkDirty();
    });
  }

  /** Checks the subscribers of every channel published on since the last check. */
  private checkDirty(): void {
    this.bytesSinceCheck = 0;
    for (const dirty of this.dirtyKeys) {
      for (const socket of this.socketsByKey.get(dirty) ?? []) this.checkBackpressure(socket);
    }
    this.dirtyKeys.clear();
  }

  /** Closes a connection that is too far behind; returns false if it was closed. */
  checkBackpressure(socket: FeedSocket): boolean {
    const data = socket.getUserData();
    if (data.closed) return false;
    const buffered = socket.getBufferedAmount();
    this.options.observeBufferedBytes?.(buffered);
    if (buffered <= this.options.slowConsumerBytes) return true;
    this.options.logger.warn({ connection: data.id, buffered }, 'ws slow consumer closed');
    this.closeSlow(socket, `slow consumer: ${buffered} bytes unsent, limit ${this.options.slowConsumerBytes}`);
    return false;
  }

  /**
   * Ends a slow connection with 4001. It is unsubscribed first: uWS keeps a closing socket subscribed
   * until the client answers the close, and frames queued behind the close frame would push it over
   * maxBackpressure, where uWS drops the connection without a close code.
   */
  private closeSlow(socket: FeedSocket, reason: string): void {
    this.stats.slowConsumersClosed++;
    socket.getUserData().closed = true;
    for (const topic of socket.getTopics()) socket.unsubscribe(topic);
    socket.end(kCloseSlowConsumer, reason);
  }

  private heartbeat(): void {
    const app = this.app;
    if (app === undefined || this.closed) return;
    this.heartbeatCounter++;
    app.publish(kHeartbeatTopic, JSON.stringify({ type: 'heartbeat', counter: this.heartbeatCounter, time_ms: Date.now() }), false);
    for (const socket of this.sockets) this.checkBackpressure(socket);
  }

  // ---- connection lifecycle, called by the route module ----

  newConnectionData(principal: Principal | undefined, encoding: FeedEncoding, address = ''): FeedConnection {
    return { id: this.nextConnectionId++, principal, account: principal?.username, encoding, address, subscriptions: new Map(), closed: false };
  }

  /** True when another connection may be accepted. */
  hasRoom(): boolean {
    return !this.closed && this.sockets.size < this.options.maxConnections;
  }

  /**
   * Why a new connection from `address` would be refused, or undefined when it may open. The route
   * checks and upgrades in one synchronous turn (uWS calls `open` inside `upgrade`), so the counts
   * cannot be overtaken between the check and the open.
   */
  refusal(address: string, anonymous: boolean): { status: number; code: ErrorCode; message: string } | undefined {
    const { maxConnections, maxConnectionsPerAddress, maxAnonymousConnections } = this.options;
    if (!this.hasRoom()) return { status: 503, code: 'ERR_WS_TOO_MANY_CONNECTIONS', message: `expected fewer than ${maxConnections} connections, was at the limit` };
    const fromAddress = this.connectionsByAddress.get(address) ?? 0;
    if (fromAddress >= maxConnectionsPerAddress) {
      return { status: 429, code: 'ERR_WS_TOO_MANY_FROM_ADDRESS', message: `expected fewer than ${maxConnectionsPerAddress} connections from ${address}, was ${fromAddress}` };
    }
    if (anonymous && this.anonymousConnections >= maxAnonymousConnections) {
      return {
        status: 503,
        code: 'ERR_WS_TOO_MANY_ANONYMOUS',
        message: `expected fewer than ${maxAnonymousConnections} anonymous connections, was at the limit (authenticate with ?token= or Authorization)`,
      };
    }
    return undefined;
  }

  /** Open connections from one address (tests, /metrics). */
  connectionsFrom(address: string): number {
    return this.connectionsByAddress.get(address) ?? 0;
  }

  get anonymousConnectionCount(): number {
    return this.anonymousConnections;
  }

  opened(socket: FeedSocket): void {
    const data = socket.getUserData();
    this.sockets.add(socket);
    this.connectionsByAddress.set(data.address, (this.connectionsByAddress.get(data.address) ?? 0) + 1);
    if (data.principal === undefined) this.anonymousConnections++;
    socket.subscribe(kHeartbeatTopic);
  }

  closedConnection(socket: FeedSocket): void {
    const data = socket.getUserData();
    data.closed = true;
    if (!this.sockets.delete(socket)) return;
    const fromAddress = (this.connectionsByAddress.get(data.address) ?? 1) - 1;
    if (fromAddress <= 0) this.connectionsByAddress.delete(data.address);
    else this.connectionsByAddress.set(data.address, fromAddress);
    if (data.principal === undefined) this.anonymousConnections--;
    assert.ok(this.anonymousConnections >= 0, 'anonymous connection count went negative');
    for (const name of data.subscriptions.keys()) this.forgetSubscriber(this.keyOf(data, name), socket);
  }

  /** Ends every connection with 1001 and stops the heartbeat. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    for (const socket of [...this.sockets]) {
      const data = socket.getUserData();
      if (data.closed) continue;
      data.closed = true;
      socket.end(kCloseGoingAway, 'server shutting down');
    }
  }

  // ---- client operations ----

  /** Validates channel names for one op; returns the parsed channels or the first error. */
  parseChannels(values: readonly unknown[]): { ok: true; channels: ParsedChannel[] } | { ok: false; code: ErrorCode; message: string } {
    const channels: ParsedChannel[] = [];
    for (const value of values) {
      const parsed = parseChannel(value, this.isKnownSymbol, this.options.barIntervals);
      if (!parsed.ok) return parsed;
      channels.push(parsed.channel);
    }
    return { ok: true, channels };
  }

  keyOf(data: FeedConnection, name: string): string {
    // An authenticated connection's `alerts` are its own rules' alerts; anonymous ones get the public stream.
    if (name === 'alerts' && data.account !== undefined) return `alerts@${data.account}`;
    return name === 'orders' || name === 'positions' || name === 'jobs' ? `${name}@${data.account ?? ''}` : name;
  }

  /** Subscribes (idempotent: a repeated subscribe sends a fresh snapshot and updates the depth). */
  subscribe(socket: FeedSocket, channel: ParsedChannel, depth: number): void {
    const data = socket.getUserData();
    const key = this.keyOf(data, channel.name);
    const useBinary = data.encoding === 'flatbuffers' && binaryKinds.has(channel.kind);
    socket.subscribe(topicOf(useBinary ? 'fb' : 'json', key));
    data.subscriptions.set(channel.name, channel.kind === 'book' ? depth : 0);
    let subscribers = this.socketsByKey.get(key);
    if (subscribers === undefined) this.socketsByKey.set(key, (subscribers = new Set()));
    subscribers.add(socket);
  }

  unsubscribe(socket: FeedSocket, name: string): void {
    const data = socket.getUserData();
    if (!data.subscriptions.delete(name)) return;
    const key = this.keyOf(data, name);
    socket.unsubscribe(topicOf('json', key));
    socket.unsubscribe(topicOf('fb', key));
    this.forgetSubscriber(key, socket);
  }

  private forgetSubscriber(key: string, socket: FeedSocket): void {
    const subscribers = this.socketsByKey.get(key);
    if (subscribers === undefined) return;
    subscribers.delete(socket);
    if (subscribers.size === 0) this.socketsByKey.delete(key);
  }

  /** Whether a snapshot is sent on subscribe: always for book, for other kinds when a provider exists. */
  hasSnapshotOnSubscribe(kind: ChannelKind): boolean {
    return kind === 'book' || this.snapshotProviders.has(kind);
  }

  /** Sends the channel's snapshot at its current seq to one connection. */
  sendSnapshot(socket: FeedSocket, channel: ParsedChannel): boolean {
    const data = socket.getUserData();
    const key = this.keyOf(data, channel.name);
    const depth = data.subscriptions.get(channel.name) ?? this.options.defaultBookDepth;
    const seq = this.currentSeq(key);
    const provided = this.snapshotProviders.get(channel.kind)?.(channel.symbol, depth, data.account);
    const snapshot = channel.kind === 'book' ? trimBook(provided, depth) : (provided ?? null);
    if (data.encoding === 'flatbuffers' && binaryKinds.has(channel.kind) && snapshot !== null && channel.kind === 'book') {
      return this.send(socket, encodeFrame(channel.name, seq, 'snapshot', snapshot, this.scale(channel.symbol)), true);
    }
    const frameData = channel.kind === 'book' && snapshot !== null && this.bookFormatter !== undefined ? this.bookFormatter(channel.symbol, snapshot as BookLike) : snapshot;
    return this.send(socket, JSON.stringify({ channel: channel.name, seq, type: 'snapshot', data: frameData }), false);
  }

  /** Sends one control or snapshot frame, checking the result and the buffered amount. */
  send(socket: FeedSocket, message: string | Uint8Array, isBinary: boolean): boolean {
    const data = socket.getUserData();
    if (data.closed) return false;
    const status = socket.send(message, isBinary);
    // 2 = dropped at maxBackpressure: this connection can no longer be trusted to have every frame.
    if (status === 2) {
      this.closeSlow(socket, 'slow consumer: a frame was dropped at the backpressure limit');
      return false;
    }
    return this.checkBackpressure(socket);
  }

  sendError(socket: FeedSocket, id: unknown, code: ErrorCode, message: string): void {
    this.stats.errorsSent++;
    this.send(socket, JSON.stringify({ type: 'error', ...(id === undefined ? {} : { id }), error: { code, message } }), false);
  }
}

function binaryType(type: string): BinaryFrameType {
  return type === 'update' ? 'delta' : (type as BinaryFrameType);
}

interface BookLike {
  bids: Array<[number, number]>;
  asks: Array<[number, number]>;
}

function trimBook(provided: unknown, depth: number): BookLike {
  const book = provided as Partial<BookLike> | undefined;
  return { bids: (book?.bids ?? []).slice(0, depth), asks: (book?.asks ?? []).slice(0, depth) };
}
