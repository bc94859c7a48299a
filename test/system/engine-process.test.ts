import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { startEngineProcess, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';
import WebSocket from 'ws';
import { decodeFrame, type TradeTicks } from '../../src/gateway/ws/feed/codec.js';

let engine: EngineProcess | null = null;

afterEach(async () => {
  if (engine !== null && engine.child.exitCode === null) engine.child.kill('SIGKILL');
  engine = null;
});

async function getJson(port: number, path: string, method = 'GET'): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, body: await response.json() };
}

function cpuTicks(pid: number): number {
  // Fields 14 and 15 of /proc/<pid>/stat are utime and stime in clock ticks (all threads of the process).
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

describe('octopus start (real process, real sockets)', () => {
  it('serves /health with every actor running and bars flowing, and exits 0 on SIGINT', async () => {
    engine = await startEngineProcess(['--feed', 'random-walk', '--feed-rate', '2000', '--bar-intervals-ms', '100,1000']);
    const health = await eventually(async () => {
      const { status, body } = await getJson(engine!.port, '/health');
      expect(status).toBe(200);
      expect(body.status).toBe('ok');
      expect(body.actors.realtime.processed).toBeGreaterThan(100);
      expect(body.bars_received).toBeGreaterThan(0);
      return body;
    });
    expect(Object.keys(health.actors).sort()).toEqual(['collector', 'execution', 'realtime', 'warehouse']);
    for (const actor of Object.values(health.actors) as any[]) {
      expect(actor).toMatchObject({ state: 'running', restarts: 0 });
      expect(actor.inbox_depth).toBeGreaterThanOrEqual(0);
    }
    expect(typeof health.uptime_s).toBe('number');
    expect(await engine.stop('SIGINT')).toBe(0);
    expect(engine.output()).toContain('stopped cleanly');
  });

  it('serves Prometheus metrics', async () => {
    engine = await startEngineProcess(['--feed-rate', '0']);
    const response = await fetch(`http://127.0.0.1:${engine.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();
    expect(text).toContain('# TYPE octopus_actor_processed_total counter');
    expect(text).toMatch(/^octopus_actor_state\{actor="execution",state="running"\} 1$/m);
    expect(text).toMatch(/^octopus_ws_connections 0$/m);
    // The actors' own status is polled in the background: the warehouse's write path shows up.
    await eventually(async () => {
      const later = await (await fetch(`http://127.0.0.1:${engine!.port}/metrics`)).text();
      expect(later).toMatch(/^octopus_warehouse_backlog_rows 0$/m);
    });
    const health = (await (await fetch(`http://127.0.0.1:${engine.port}/health`)).json()) as { details: Record<string, Record<string, unknown>> };
    expect(health.details.warehouse).toMatchObject({ kind: 'lmdb', backpressure_holds: 0 });
    // Every sample line is name{labels} value (families are separated by blank lines); promtool checks the rest (metrics.test.ts).
    // prom-client writes NaN as `Nan` (the event-loop lag mean before its first sample); Prometheus parses NaN in any case.
    for (const line of text.trim().split('\n').filter((candidate) => candidate !== '')) expect(line).toMatch(/^(# (HELP|TYPE) .+|[a-z_:][a-z0-9_:]*(\{[^}]*\})? (-?[0-9.e+-]+|[Nn][Aa][Nn]|[+-]Inf))$/);
    expect(await engine.stop('SIGTERM')).toBe(0);
  });

  it('streams the same trades as JSON decimals and as exact FlatBuffers ticks and lots', async () => {
    engine = await startEngineProcess(['--feed-rate', '400']);
    const symbol = ((await getJson(engine.port, '/api/v1/symbols')).body as { symbol: string; tick_size: string; lot_size: string }[])[0]!;
    const open = (query: string) =>
      new Promise<{ socket: WebSocket; frames: Map<number, unknown> }>((resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${engine!.port}/ws${query}`);
        const frames = new Map<number, unknown>();
        socket.on('message', (data: Buffer, isBinary: boolean) => {
          const frame = (isBinary ? decodeFrame(new Uint8Array(data)) : JSON.parse(data.toString('utf8'))) as { channel?: string; seq: number; type: string };
          if (frame.channel === `trades:${symbol.symbol}` && frame.type === 'trade') frames.set(frame.seq, frame);
        });
        socket.on('open', () => {
          socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: [`trades:${symbol.symbol}`] }));
          resolve({ socket, frames });
        });
        socket.on('error', reject);
      });
    const [json, binary] = await Promise.all([open(''), open('?encoding=flatbuffers')]);
    const both = await eventually(() => {
      const seqs = [...binary.frames.keys()].filter((seq) => json.frames.has(seq));
      expect(seqs.length).toBeGreaterThanOrEqual(5);
      return seqs;
    }, { timeoutMs: 20_000, intervalMs: 50 });
    const decimals = symbol.tick_size.split('.')[1]?.length ?? 0;
    for (const seq of both) {
      const text = json.frames.get(seq) as { data: { price: string; qty: string; side: string } };
      const exact = binary.frames.get(seq) as { tick_size: number; lot_size: number; data: TradeTicks };
      expect(exact.tick_size).toBe(Number(symbol.tick_size));
      expect(exact.lot_size).toBe(Number(symbol.lot_size));
      expect(Number.isInteger(exact.data.price_ticks) && Number.isInteger(exact.data.qty_lots)).toBe(true);
      expect((exact.data.price_ticks * exact.tick_size).toFixed(decimals)).toBe(text.data.price);
      expect(exact.data.qty_lots * exact.lot_size).toBe(Number(text.data.qty));
      expect(exact.data.side).toBe(text.data.side);
    }
    json.socket.close();
    binary.socket.close();
    expect(await engine.stop('SIGTERM')).toBe(0);
  });

  it('answers unknown routes and methods with typed JSON errors', async () => {
    engine = await startEngineProcess(['--feed-rate', '0']);
    const missing = await getJson(engine.port, '/api/v1/nothing');
    expect(missing).toEqual({ status: 404, body: { error: { code: 'ERR_HTTP_NOT_FOUND', message: expect.any(String) } } });
    const wrongMethod = await getJson(engine.port, '/health', 'DELETE');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe('ERR_HTTP_METHOD_NOT_ALLOWED');
    expect(await engine.stop('SIGTERM')).toBe(0);
  });

  it('uses almost no CPU when idle (no feed)', async () => {
    engine = await startEngineProcess(['--feed-rate', '0']);
    await getJson(engine.port, '/health');
    const before = cpuTicks(engine.child.pid!);
    // A resource measurement, not a timing assertion: CPU ticks consumed over a 3 s idle window.
    await delay(3_000);
    const used = cpuTicks(engine.child.pid!) - before;
    // 100 ticks per second on Linux; 3 s at 100% of one core = 300 ticks. Idle must stay under 3%.
    expect(used).toBeLessThan(10);
    expect(await engine.stop('SIGINT')).toBe(0);
  });

  it('refuses bad configuration with a typed error and exit code 2', async () => {
    await expect(startEngineProcess(['--port', 'eighty'])).rejects.toThrow(/exited with 2[\s\S]*ERR_CONFIG_INVALID/);
  });
});
