/**
 * The /ws client: subscribes to channels, checks every data frame's per-channel `seq`, and on a gap
 * asks the server to `resync` (dropping the channel's frames until the fresh snapshot arrives); when
 * the connection drops it reconnects with exponential backoff (with jitter) and subscribes again, and
 * the snapshots that follow restart every sequence. The protocol is docs/websocket.md.
 */
import type { components } from './api-types.js';

export interface Frame<T = unknown> {
  channel: string;
  seq: number;
  type: string;
  data: T;
}

export type Trade = components['schemas']['Trade'];
export type Order = components['schemas']['Order'];
export type Position = components['schemas']['Position'];

/** What the stream tells its user besides data. */
export interface StreamEvents {
  /** Every data and snapshot frame, in order per channel, after the seq check. */
  onFrame?: (frame: Frame) => void;
  /** A gap was seen (expected, got): a resync was requested. */
  onGap?: (channel: string, expected: number, received: number) => void;
  onOpen?: () => void;
  /** The connection closed; `retryInMs` is the wait before the next attempt. */
  onClose?: (code: number, retryInMs: number) => void;
  /** An error frame from the server (bad channel, missing credentials, ...). */
  onError?: (error: { code: string; message: string }) => void;
}

/** The subset of the WebSocket API used here: the browser's, Node 22's, or the `ws` package's. */
interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface StreamOptions extends StreamEvents {
  /** ws://host:port/ws (the token, if any, is added as ?token=). */
  url: string;
  token?: string;
  /** Default: the global WebSocket (browsers, Node >= 22); pass `(url) => new WebSocket(url)` from `ws` on Node 20. */
  socket?: SocketFactory;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Book depth of snapshots. */
  depth?: number;
}

const kOpen = 1;
const kChannelsMax = 256;

export class OctopusStream {
  private socket: SocketLike | undefined;
  private readonly channels = new Set<string>();
  /** channel -> last seq applied; absent while waiting for a snapshot after a gap. */
  private readonly lastSeq = new Map<string, number>();
  private readonly awaitingSnapshot = new Set<string>();
  private attempts = 0;
  private closed = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  /** Counters, for tests and dashboards. */
  readonly stats = { reconnects: 0, gaps: 0, resyncs: 0 };

  constructor(private readonly options: StreamOptions) {
    this.connect();
  }

  /** Adds channels (kept across reconnects). */
  subscribe(channels: readonly string[]): void {
    for (const channel of channels) {
      if (this.channels.size >= kChannelsMax && !this.channels.has(channel)) throw new RangeError(`expected at most ${kChannelsMax} channels, was more`);
      this.channels.add(channel);
    }
    this.send({ op: 'subscribe', channels: [...channels], depth: this.options.depth ?? 50 });
  }

  unsubscribe(channels: readonly string[]): void {
    for (const channel of channels) {
      this.channels.delete(channel);
      this.lastSeq.delete(channel);
      this.awaitingSnapshot.delete(channel);
    }
    this.send({ op: 'unsubscribe', channels: [...channels] });
  }

  /** Stops for good: no reconnect. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket?.close(1000, 'client closed');
  }

  /** Test hook: drops the connection as a network failure would (the stream reconnects). */
  dropConnection(): void {
    this.socket?.close(4000, 'dropped by the client');
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket?.readyState === kOpen) this.socket.send(JSON.stringify({ id: this.nextId++, ...message }));
  }

  private connect(): void {
    const factory: SocketFactory = this.options.socket ?? ((url) => new (globalThis as unknown as { WebSocket: new (url: string) => SocketLike }).WebSocket(url));
    const url = this.options.token === undefined ? this.options.url : `${this.options.url}${this.options.url.includes('?') ? '&' : '?'}token=${encodeURIComponent(this.options.token)}`;
    const socket = factory(url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.lastSeq.clear();
      this.awaitingSnapshot.clear();
      if (this.channels.size > 0) this.send({ op: 'subscribe', channels: [...this.channels], depth: this.options.depth ?? 50 });
      this.options.onOpen?.();
    };
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onerror = () => undefined;
    socket.onclose = (event) => {
      if (this.socket !== socket || this.closed) return;
      const retryInMs = this.backoffMs();
      this.options.onClose?.(event.code, retryInMs);
      this.stats.reconnects++;
      this.timer = setTimeout(() => this.connect(), retryInMs);
    };
  }

  /** Exponential backoff with full jitter, capped. */
  private backoffMs(): number {
    const initial = this.options.initialBackoffMs ?? 250;
    const ceiling = Math.min(this.options.maxBackoffMs ?? 30_000, initial * 2 ** this.attempts++);
    return Math.round(initial / 2 + Math.random() * (ceiling - initial / 2));
  }

  private receive(text: string): void {
    const frame = JSON.parse(text) as Frame & { error?: { code: string; message: string } };
    if (frame.type === 'error') {
      this.options.onError?.(frame.error!);
      return;
    }
    if (frame.type === 'heartbeat' || frame.type === 'ack' || typeof frame.channel !== 'string') return;
    if (frame.type === 'snapshot') {
      this.awaitingSnapshot.delete(frame.channel);
      this.lastSeq.set(frame.channel, frame.seq);
      this.options.onFrame?.(frame);
      return;
    }
    if (this.awaitingSnapshot.has(frame.channel)) return;
    const last = this.lastSeq.get(frame.channel);
    if (last !== undefined && frame.seq !== last + 1) {
      this.stats.gaps++;
      this.options.onGap?.(frame.channel, last + 1, frame.seq);
      this.resync(frame.channel);
      return;
    }
    this.lastSeq.set(frame.channel, frame.seq);
    this.options.onFrame?.(frame);
  }

  private resync(channel: string): void {
    this.stats.resyncs++;
    this.awaitingSnapshot.add(channel);
    this.lastSeq.delete(channel);
    this.send({ op: 'resync', channels: [channel] });
  }

  /** Test hook: pretend a frame of `channel` was missed (the next one shows a gap). */
  skipSeqForTest(channel: string): void {
    const last = this.lastSeq.get(channel);
    if (last !== undefined) this.lastSeq.set(channel, last - 1);
  }
}
