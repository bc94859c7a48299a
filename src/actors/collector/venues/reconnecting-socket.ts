/**
 * A WebSocket client that stays connected: on close, error or silence it reconnects after an
 * exponential backoff with jitter, bounded in delay and in consecutive attempts. The owner re-sends its
 * subscriptions from `onOpen`, so every connection starts from a clean, known state.
 */
import WebSocket from 'ws';

import { octopusError, type OctopusError } from '../../../engine/errors.js';

export interface ReconnectOptions {
  /** Delay before the first retry; doubled per consecutive failure. */
  initialDelayMs: number;
  /** Upper bound on any one delay. */
  maxDelayMs: number;
  /** Consecutive failed connections (no message received) before giving up for good. */
  maxAttempts: number;
  /** A connection with no message, ping or pong for this long is presumed dead and replaced. */
  staleTimeoutMs: number;
  /** A connection not open after this long is abandoned and retried. */
  connectTimeoutMs: number;
}

export const defaultReconnectOptions: ReconnectOptions = {
  initialDelayMs: 250,
  maxDelayMs: 30_000,
  maxAttempts: 100,
  staleTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
};

/** Largest frame accepted from a venue; Binance and Coinbase frames are far smaller. */
const kMaxPayloadBytes = 16 * 1024 * 1024;

export interface ReconnectingSocketOptions {
  /** Called for every connection, so a reconnect can use an updated URL. */
  url: () => string;
  reconnect: ReconnectOptions;
  onOpen: () => void;
  onMessage: (text: string) => void;
  onClose: () => void;
  /** Called once, when `maxAttempts` consecutive connections failed; the socket then stays down. */
  onGiveUp: (error: OctopusError) => void;
  /** Source of jitter in [0, 1); injectable for tests. */
  random?: () => number;
}

/** Throws ERR_CONFIG_INVALID unless every bound is a positive finite number and the delays are ordered. */
export function validateReconnectOptions(options: ReconnectOptions): void {
  for (const [name, value] of Object.entries(options)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw octopusError('ERR_CONFIG_INVALID', `expected reconnect.${name} a positive finite number, was ${String(value)}`);
    }
  }
  if (options.initialDelayMs > options.maxDelayMs) {
    throw octopusError('ERR_CONFIG_INVALID', `expected reconnect.initialDelayMs <= maxDelayMs, was ${options.initialDelayMs} > ${options.maxDelayMs}`);
  }
}

/** The delay before retry number `attempt` (0-based): half fixed, half jitter, so retries spread out. */
export function backoffDelayMs(attempt: number, options: ReconnectOptions, random: () => number): number {
  const ceilingMs = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 30));
  return ceilingMs / 2 + (random() * ceilingMs) / 2;
}

export class ReconnectingSocket {
  private socket: WebSocket | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchdogTimer: NodeJS.Timeout | null = null;
  private lastActivityMs = 0;
  private failedAttempts = 0;
  private connections = 0;
  private stopped = true;

  constructor(private readonly options: ReconnectingSocketOptions) {
    validateReconnectOptions(options.reconnect);
  }

  /** Connections opened so far, including the first. */
  get openedCount(): number {
    return this.connections;
  }

  get isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Closes the socket and cancels any pending retry; resolves once the socket is closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket === null || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.terminate();
    });
  }

  /** Sends a text frame; false if no connection is open (the owner re-sends from `onOpen`). */
  send(text: string): boolean {
    if (!this.isOpen) return false;
    this.socket!.send(text);
    return true;
  }

  /** Drops the current connection so that a fresh one is made (after a backoff delay). */
  restart(): void {
    this.socket?.terminate();
  }

  private connect(): void {
    this.retryTimer = null;
    if (this.stopped) return;
    const socket = new WebSocket(this.options.url(), {
      maxPayload: kMaxPayloadBytes,
      handshakeTimeout: this.options.reconnect.connectTimeoutMs,
    });
    this.socket = socket;
    let received = false;
    socket.on('open', () => {
      this.connections++;
      this.touch();
      this.options.onOpen();
    });
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      this.touch();
      if (!received) {
        received = true;
        this.failedAttempts = 0;
      }
      // Venues send JSON text; a binary frame is passed on as text and fails validation there.
      this.options.onMessage(isBinary ? '' : data.toString());
    });
    socket.on('ping', () => this.touch());
    socket.on('pong', () => this.touch());
    // Errors are always followed by 'close', where the retry is scheduled; nothing else to do here.
    socket.on('error', () => undefined);
    socket.on('close', () => this.onSocketClosed(socket, received));
    this.startWatchdog();
  }

  private onSocketClosed(socket: WebSocket, received: boolean): void {
    if (this.socket !== socket) return;
    this.socket = null;
    this.clearTimers();
    this.options.onClose();
    if (this.stopped) return;
    if (!received) this.failedAttempts++;
    if (this.failedAttempts >= this.options.reconnect.maxAttempts) {
      this.stopped = true;
      this.options.onGiveUp(
        octopusError('ERR_VENUE_UNREACHABLE', `expected a working connection within ${this.options.reconnect.maxAttempts} attempts, was ${this.failedAttempts} failures`),
      );
      return;
    }
    const delayMs = backoffDelayMs(this.failedAttempts, this.options.reconnect, this.options.random ?? Math.random);
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  private touch(): void {
    this.lastActivityMs = performance.now();
  }

  private startWatchdog(): void {
    this.touch();
    const { staleTimeoutMs } = this.options.reconnect;
    if (this.watchdogTimer !== null) clearInterval(this.watchdogTimer);
    this.watchdogTimer = setInterval(() => {
      if (performance.now() - this.lastActivityMs > staleTimeoutMs) this.socket?.terminate();
    }, Math.max(10, staleTimeoutMs / 4));
  }

  private clearTimers(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.watchdogTimer !== null) clearInterval(this.watchdogTimer);
    this.retryTimer = null;
    this.watchdogTimer = null;
  }
}
