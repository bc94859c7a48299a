/**
 * A scripted stand-in for Binance spot public market data on 127.0.0.1: combined streams over
 * WebSocket at `/stream?streams=...` and `GET /api/v3/depth`, in Binance's exact field names. The
 * server owns the "true" book per symbol; tests compare the client's book with `book(symbol)`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';

import type { PriceLevel } from '../../../../src/actors/collector/venues/venue-events.js';

type Levels = Array<[price: string, qty: string]>;

interface ServerBook {
  lastUpdateId: number;
  bids: Map<string, string>;
  asks: Map<string, string>;
}

interface Connection {
  socket: WebSocket;
  streams: Set<string>;
}

export class FakeBinance {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly books = new Map<string, ServerBook>();
  /** Snapshots served while frozen, so a test can make the REST book lag the stream. */
  private frozen = new Map<string, string>();
  /** Answer this many upcoming snapshot requests with HTTP 500. */
  failSnapshots = 0;
  connectionsOpened = 0;
  snapshotRequests = 0;
  /** Pong frames received: the client answering `ping()`, as Binance expects every 20 s. */
  pongsReceived = 0;
  private port = 0;

  private constructor() {
    this.http = createServer((request, response) => this.onRequest(request, response));
    this.wss = new WebSocketServer({ server: this.http, path: '/stream', maxPayload: 64 * 1024 });
    this.wss.on('connection', (socket, request) => this.onConnection(socket, request));
  }

  static async start(): Promise<FakeBinance> {
    const server = new FakeBinance();
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    server.port = (server.http.address() as AddressInfo).port;
    return server;
  }

  get wsBaseUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get restBaseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Streams of the open connections, for asserting what the client subscribed to. */
  subscribedStreams(): string[][] {
    return [...this.connections].map((connection) => [...connection.streams]);
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Seeds a symbol's book; nothing is sent (clients learn it from the REST snapshot). */
  setBook(symbol: string, lastUpdateId: number, bids: Levels, asks: Levels): void {
    this.books.set(symbol, { lastUpdateId, bids: new Map(bids), asks: new Map(asks) });
  }

  /** The server's book as numbers, bids highest first, asks lowest first (the client's convention). */
  book(symbol: string): { lastUpdateId: number; bids: PriceLevel[]; asks: PriceLevel[] } {
    const book = this.requireBook(symbol);
    const toLevels = (levels: Map<string, string>, descending: boolean): PriceLevel[] =>
      [...levels].map(([price, qty]): PriceLevel => [Number(price), Number(qty)]).sort((left, right) => (descending ? right[0] - left[0] : left[0] - right[0]));
    return { lastUpdateId: book.lastUpdateId, bids: toLevels(book.bids, true), asks: toLevels(book.asks, false) };
  }

  /**
   * Applies a diff to the server book with ids U = last + 1 .. u = last + `updateIds`, and sends the
   * depthUpdate unless `deliver` is false (a lost message: the client must notice the gap).
   */
  depthUpdate(symbol: string, bids: Levels, asks: Levels, options: { deliver?: boolean; updateIds?: number } = {}): void {
    const book = this.requireBook(symbol);
    const firstUpdateId = book.lastUpdateId + 1;
    const finalUpdateId = book.lastUpdateId + (options.updateIds ?? 1);
    for (const [price, qty] of bids) (Number(qty) === 0 ? book.bids.delete(price) : book.bids.set(price, qty));
    for (const [price, qty] of asks) (Number(qty) === 0 ? book.asks.delete(price) : book.asks.set(price, qty));
    book.lastUpdateId = finalUpdateId;
    if (options.deliver === false) return;
    const data = { e: 'depthUpdate', E: 1_700_000_000_000 + finalUpdateId, s: symbol, U: firstUpdateId, u: finalUpdateId, b: bids, a: asks };
    this.broadcast(`${symbol.toLowerCase()}@depth@100ms`, data);
  }

  /** Sends a trade; `buyerIsMaker` is Binance's `m`. */
  trade(symbol: string, trade: { id: number; price: string; qty: string; buyerIsMaker: boolean; timeMs: number }): void {
    const data = { e: 'trade', E: trade.timeMs + 1, s: symbol, t: trade.id, p: trade.price, q: trade.qty, T: trade.timeMs, m: trade.buyerIsMaker, M: true };
    this.broadcast(`${symbol.toLowerCase()}@trade`, data);
  }

  kline(symbol: string, interval: string, kline: { startMs: number; closeMs: number; open: string; high: string; low: string; close: string; volume: string; trades: number; closed: boolean }): void {
    const k = {
      t: kline.startMs, T: kline.closeMs, s: symbol, i: interval, f: 1, L: kline.trades, o: kline.open, c: kline.close, h: kline.high, l: kline.low,
      v: kline.volume, n: kline.trades, x: kline.closed, q: '0', V: '0', Q: '0', B: '0',
    };
    this.broadcast(`${symbol.toLowerCase()}@kline_${interval}`, { e: 'kline', E: kline.closeMs, s: symbol, k });
  }

  /** Sends a raw text frame to every connection (malformed-input scenarios). */
  sendRaw(text: string): void {
    for (const connection of this.connections) connection.socket.send(text);
  }

  /** Serves snapshots as the books are now until `unfreeze`, while the stream moves on. */
  freezeSnapshots(): void {
    for (const symbol of this.books.keys()) this.frozen.set(symbol, this.snapshotJson(symbol));
  }

  unfreeze(): void {
    this.frozen.clear();
  }

  /** Sends a ping frame to every connection, as Binance does every 20 s. */
  ping(): void {
    for (const connection of this.connections) connection.socket.ping();
  }

  /** Kills every connection without a close handshake, as a network failure would. */
  dropConnections(): void {
    for (const connection of this.connections) connection.socket.terminate();
  }

  private requireBook(symbol: string): ServerBook {
    const book = this.books.get(symbol);
    if (book === undefined) throw new Error(`expected a seeded book for ${symbol}, was none`);
    return book;
  }

  private broadcast(stream: string, data: unknown): void {
    const text = JSON.stringify({ stream, data });
    for (const connection of this.connections) if (connection.streams.has(stream)) connection.socket.send(text);
  }

  private onConnection(socket: WebSocket, request: IncomingMessage): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const connection: Connection = { socket, streams: new Set((url.searchParams.get('streams') ?? '').split('/').filter((stream) => stream.length > 0)) };
    this.connectionsOpened++;
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    socket.on('error', () => undefined);
    socket.on('pong', () => this.pongsReceived++);
  }

  private snapshotJson(symbol: string): string {
    const book = this.requireBook(symbol);
    return JSON.stringify({ lastUpdateId: book.lastUpdateId, bids: [...book.bids], asks: [...book.asks] });
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const symbol = url.searchParams.get('symbol') ?? '';
    if (request.method !== 'GET' || url.pathname !== '/api/v3/depth' || !this.books.has(symbol)) {
      response.writeHead(400, { 'content-type': 'application/json' }).end('{"code":-1121,"msg":"Invalid symbol."}');
      return;
    }
    this.snapshotRequests++;
    if (this.failSnapshots > 0) {
      this.failSnapshots--;
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"code":-1000,"msg":"An unknown error occurred."}');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(this.frozen.get(symbol) ?? this.snapshotJson(symbol));
  }
}
