/**
 * A scripted stand-in for the Coinbase Advanced Trade public WebSocket on 127.0.0.1: subscribe and
 * unsubscribe per channel, `l2_data` snapshots and updates, `market_trades`, `heartbeats` and
 * `subscriptions` messages with a per-connection `sequence_num`. The server owns the "true" book per
 * product; tests compare the client's book with `book(productId)`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, WebSocket } from 'ws';

import type { PriceLevel } from '../../../../src/actors/collector/venues/venue-events.js';

export interface Level2Change {
  side: 'bid' | 'offer';
  price: string;
  qty: string;
}

interface Connection {
  socket: WebSocket;
  /** The next sequence_num on this connection. */
  sequence: number;
  /** channel -> subscribed product ids. */
  subscriptions: Map<string, Set<string>>;
}

const kTimestamp = '2024-05-01T12:00:00.123456789Z';

export class FakeCoinbase {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private readonly books = new Map<string, { bids: Map<string, string>; asks: Map<string, string> }>();
  connectionsOpened = 0;
  /** Every subscribe/unsubscribe message received, in order, as `type:channel`. */
  readonly requests: string[] = [];
  private heartbeatCounter = 0;
  private port = 0;

  private constructor() {
    this.http = createServer((_request, response) => response.writeHead(404).end());
    this.wss = new WebSocketServer({ server: this.http, maxPayload: 64 * 1024 });
    this.wss.on('connection', (socket) => this.onConnection(socket));
  }

  static async start(): Promise<FakeCoinbase> {
    const server = new FakeCoinbase();
    await new Promise<void>((resolve) => server.http.listen(0, '127.0.0.1', resolve));
    server.port = (server.http.address() as AddressInfo).port;
    return server;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Channels with at least one product, per open connection. */
  subscribedChannels(): string[][] {
    return [...this.connections].map((connection) => [...connection.subscriptions].filter(([, products]) => products.size > 0).map(([channel]) => channel).sort());
  }

  async stop(): Promise<void> {
    for (const connection of this.connections) connection.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  setBook(productId: string, bids: Array<[string, string]>, asks: Array<[string, string]>): void {
    this.books.set(productId, { bids: new Map(bids), asks: new Map(asks) });
  }

  /** The server's book as numbers, bids highest first, asks lowest first (the client's convention). */
  book(productId: string): { bids: PriceLevel[]; asks: PriceLevel[] } {
    const book = this.requireBook(productId);
    const toLevels = (levels: Map<string, string>, descending: boolean): PriceLevel[] =>
      [...levels].map(([price, qty]): PriceLevel => [Number(price), Number(qty)]).sort((left, right) => (descending ? right[0] - left[0] : left[0] - right[0]));
    return { bids: toLevels(book.bids, true), asks: toLevels(book.asks, false) };
  }

  /**
   * Applies changes to the server book and sends one l2_data update. With `deliver: false` the message
   * is lost on the way: its sequence_num is consumed but never sent, as a gap looks to the client.
   */
  update(productId: string, changes: Level2Change[], options: { deliver?: boolean } = {}): void {
    const book = this.requireBook(productId);
    for (const change of changes) {
      const side = change.side === 'bid' ? book.bids : book.asks;
      if (Number(change.qty) === 0) side.delete(change.price);
      else side.set(change.price, change.qty);
    }
    const event = { type: 'update', product_id: productId, updates: changes.map((change) => this.wireLevel(change)) };
    for (const connection of this.subscribers('level2', productId)) {
      if (options.deliver === false) connection.sequence++;
      else this.send(connection, 'l2_data', [event]);
    }
  }

  /** Sends one market_trades update; `side` is the venue's BUY/SELL as sent. */
  trade(productId: string, trade: { id: string; price: string; size: string; side: 'BUY' | 'SELL'; time: string }): void {
    const wire = { trade_id: trade.id, product_id: productId, price: trade.price, size: trade.size, side: trade.side, time: trade.time };
    for (const connection of this.subscribers('market_trades', productId)) this.send(connection, 'market_trades', [{ type: 'update', trades: [wire] }]);
  }

  /** Sends one candles update; `start` is Unix seconds as a string, as Coinbase sends it. */
  candle(productId: string, candle: { start: string; open: string; high: string; low: string; close: string; volume: string }): void {
    const wire = { ...candle, product_id: productId };
    for (const connection of this.subscribers('candles', productId)) this.send(connection, 'candles', [{ type: 'update', candles: [wire] }]);
  }

  heartbeat(): void {
    this.heartbeatCounter++;
    const event = { current_time: '2024-05-01 12:00:00.123456789 +0000 UTC m=+1.0', heartbeat_counter: this.heartbeatCounter };
    for (const connection of this.connections) {
      if ((connection.subscriptions.get('heartbeats')?.size ?? 0) > 0) this.send(connection, 'heartbeats', [event]);
    }
  }

  /** Sends a raw frame to every connection without using up a sequence_num (malformed-frame cases). */
  sendRaw(text: string): void {
    for (const connection of this.connections) connection.socket.send(text);
  }

  /** A raw message body with the connection's next sequence_num filled in, for hostile-field cases. */
  sendWithSequence(body: Record<string, unknown>): void {
    for (const connection of this.connections) {
      connection.socket.send(JSON.stringify({ ...body, sequence_num: connection.sequence++ }));
    }
  }

  dropConnections(): void {
    for (const connection of this.connections) connection.socket.terminate();
  }

  private requireBook(productId: string): { bids: Map<string, string>; asks: Map<string, string> } {
    const book = this.books.get(productId);
    if (book === undefined) throw new Error(`expected a seeded book for ${productId}, was none`);
    return book;
  }

  private wireLevel(change: Level2Change): Record<string, string> {
    return { side: change.side, event_time: kTimestamp, price_level: change.price, new_quantity: change.qty };
  }

  private subscribers(channel: string, productId: string): Connection[] {
    return [...this.connections].filter((connection) => connection.subscriptions.get(channel)?.has(productId) === true);
  }

  private send(connection: Connection, channel: string, events: unknown[]): void {
    const message = { channel, client_id: '', timestamp: kTimestamp, sequence_num: connection.sequence++, events };
    connection.socket.send(JSON.stringify(message));
  }

  private onConnection(socket: WebSocket): void {
    const connection: Connection = { socket, sequence: 0, subscriptions: new Map() };
    this.connectionsOpened++;
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    socket.on('error', () => undefined);
    socket.on('message', (data) => this.onRequest(connection, data.toString()));
  }

  private onRequest(connection: Connection, text: string): void {
    const request = JSON.parse(text) as { type: string; product_ids: string[]; channel: string };
    this.requests.push(`${request.type}:${request.channel}`);
    const products = connection.subscriptions.get(request.channel) ?? new Set<string>();
    connection.subscriptions.set(request.channel, products);
    for (const productId of request.product_ids) (request.type === 'subscribe' ? products.add(productId) : products.delete(productId));
    const summary = Object.fromEntries([...connection.subscriptions].filter(([, ids]) => ids.size > 0).map(([channel, ids]) => [channel, [...ids]]));
    this.send(connection, 'subscriptions', [{ subscriptions: summary }]);
    if (request.type !== 'subscribe') return;
    if (request.channel === 'level2') {
      const events = request.product_ids.map((productId) => {
        const book = this.requireBook(productId);
        const updates = [
          ...[...book.bids].map(([price, qty]) => this.wireLevel({ side: 'bid', price, qty })),
          ...[...book.asks].map(([price, qty]) => this.wireLevel({ side: 'offer', price, qty })),
        ];
        return { type: 'snapshot', product_id: productId, updates };
      });
      this.send(connection, 'l2_data', events);
    }
    if (request.channel === 'market_trades') {
      // Coinbase replays recent trades on subscription; the client must not take them for new ones.
      const history = { trade_id: '1', product_id: request.product_ids[0], price: '1.00', size: '1', side: 'BUY', time: kTimestamp };
      this.send(connection, 'market_trades', [{ type: 'snapshot', trades: [history] }]);
    }
  }
}
