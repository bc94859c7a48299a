/**
 * The ws-fanout and feed-latency benches' baselines: a WebSocket server that replays frames recorded from
 * the engine (`octopus loadtest ws --record`) to the same clients, at the recorded pace, in its own process.
 * It speaks just enough of /ws (docs/websocket.md) for `octopus loadtest ws`: `subscribe` is acknowledged,
 * a book channel gets an empty snapshot at its current seq, and every replayed frame is re-numbered per
 * channel (seq + 1) and re-stamped (`emit_ns` = when this server sends it), its channel, type and data as
 * recorded. Each frame is serialised once and sent to every subscriber of its channel:
 *
 *   --impl ws    the `ws` library: a loop over the channel's subscribers, `send` of one shared Buffer each,
 *                a subscriber with over 1 MiB unsent closed with 4001 (as the engine's hub does);
 *   --impl uws   uWebSockets.js (same package as the gateway) topics: one `app.publish` per frame, uWS
 *                closing a subscriber past maxBackpressure (2 MiB): the engine's fan-out without the engine.
 *
 *   node --import tsx bench/workers/fanout-server.ts --impl ws|uws --replay FILE
 * Prints `listening <port>`; ends on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import uws from '@trufflesuite/uws-js-unofficial';
import { WebSocketServer, type WebSocket } from 'ws';
import { epochNs } from '../../src/loadtest/ws-load.js';

interface RecordedFrame {
  atMs: number;
  channel: string;
  type: string;
  /** The recorded `data`, as JSON text. */
  data: string;
}

const kSlowConsumerBytes = 1024 * 1024;
const { values } = parseArgs({ options: { impl: { type: 'string' }, replay: { type: 'string' } }, strict: true });
if ((values.impl !== 'ws' && values.impl !== 'uws') || values.replay === undefined) throw new Error('expected --impl ws|uws --replay FILE');

function load(path: string): RecordedFrame[] {
  const frames: RecordedFrame[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const { at_ms: atMs, frame } = JSON.parse(line) as { at_ms: number; frame: string };
    const parsed = JSON.parse(frame) as { channel: string; type: string; data: unknown };
    frames.push({ atMs, channel: parsed.channel, type: parsed.type, data: JSON.stringify(parsed.data) });
  }
  if (frames.length === 0) throw new Error(`expected recorded frames in ${path}, was none`);
  return frames;
}

const frames = load(values.replay);
const seqByChannel = new Map<string, number>();
const spanMs = frames[frames.length - 1]!.atMs + 1;

function frameText(frame: RecordedFrame): string {
  const seq = (seqByChannel.get(frame.channel) ?? 0) + 1;
  seqByChannel.set(frame.channel, seq);
  return `{"channel":"${frame.channel}","seq":${seq},"type":"${frame.type}","data":${frame.data},"emit_ns":${epochNs()}}`;
}

function subscribeReply(message: string): { ack: string; channels: string[] } | null {
  const request = JSON.parse(message) as { op?: string; id?: unknown; channels?: string[] };
  if (request.op !== 'subscribe' || !Array.isArray(request.channels)) return null;
  return { ack: JSON.stringify({ type: 'ack', id: request.id, op: 'subscribe', channels: request.channels }), channels: request.channels };
}

function snapshotText(channel: string): string {
  return JSON.stringify({ channel, seq: seqByChannel.get(channel) ?? 0, type: 'snapshot', data: { bids: [], asks: [] } });
}

/** Longest one turn of the replay may send for, so that a server that falls behind still accepts and answers. */
const kTurnBudgetMs = 20;

/**
 * Replays the frames at their recorded pace, over and over: `send(channel, text)` for each. A server
 * that cannot keep up falls behind (its frames go out late, and fewer per second) rather than stall.
 */
function replay(send: (channel: string, text: string) => void): void {
  const startMs = performance.now();
  let next = 0;
  let lap = 0;
  const tick = (): void => {
    const elapsedMs = performance.now() - startMs;
    const turnEndMs = performance.now() + kTurnBudgetMs;
    while (lap * spanMs + frames[next]!.atMs <= elapsedMs && performance.now() < turnEndMs) {
      const frame = frames[next]!;
      send(frame.channel, frameText(frame));
      if (++next === frames.length) {
        next = 0;
        lap++;
      }
    }
    setTimeout(tick, 1);
  };
  tick();
}

function serveWs(): void {
  const server = createServer();
  const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
  const subscribers = new Map<string, Set<WebSocket>>();
  wss.on('connection', (socket) => {
    socket.on('message', (data) => {
      const reply = subscribeReply(data.toString());
      if (reply === null) return;
      socket.send(reply.ack);
      for (const channel of reply.channels) {
        let set = subscribers.get(channel);
        if (set === undefined) subscribers.set(channel, (set = new Set()));
        set.add(socket);
        if (channel.startsWith('book:')) socket.send(snapshotText(channel));
      }
    });
    socket.on('close', () => {
      for (const set of subscribers.values()) set.delete(socket);
    });
  });
  replay((channel, text) => {
    const set = subscribers.get(channel);
    if (set === undefined || set.size === 0) return;
    const bytes = Buffer.from(text);
    for (const socket of set) {
      if (socket.bufferedAmount > kSlowConsumerBytes) {
        set.delete(socket);
        socket.close(4001, 'slow consumer');
      } else socket.send(bytes, { binary: false });
    }
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`listening ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

function serveUws(): void {
  const app = uws.App();
  app.ws('/ws', {
    maxPayloadLength: 64 * 1024,
    maxBackpressure: 2 * kSlowConsumerBytes,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    message: (socket, message) => {
      const reply = subscribeReply(Buffer.from(message).toString());
      if (reply === null) return;
      socket.cork(() => {
        socket.send(reply.ack, false);
        for (const channel of reply.channels) {
          socket.subscribe(channel);
          if (channel.startsWith('book:')) socket.send(snapshotText(channel), false);
        }
      });
    },
  });
  replay((channel, text) => {
    if (app.numSubscribers(channel) > 0) app.publish(channel, text, false);
  });
  app.listen('127.0.0.1', 0, (token) => {
    if (token === false) throw new Error('expected to listen on a free port, was refused');
    process.stdout.write(`listening ${uws.us_socket_local_port(token as never)}\n`);
  });
  process.once('SIGTERM', () => process.exit(0));
}

if (values.impl === 'ws') serveWs();
else serveUws();
