/**
 * Strategies and backtest jobs over REST and WebSocket, against a real engine process running one
 * strategy file: the strategies list and stop/start, the `strategies` channel, a background backtest
 * job (stored, its HTML report written, progress on the private `jobs` channel), typed refusals.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { shippedBars, smaFixture, expectClose } from '../../actors/backtester/support.js';
import { addUsers, ApiClient } from '../../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../../support/engine-process.js';
import { eventually } from '../../support/eventually.js';

const strategyFile = new URL('../../fixtures/backtest/strategies/tick-reverter.ts', import.meta.url).pathname;
let engine: EngineProcess;
let api: ApiClient;
let token = '';

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['quant', 'trader', 'correct horse battery'], ['other', 'trader', 'correct horse battery']]);
  engine = await startEngineProcess(['--symbols', 'TCHA', '--feed-rate', '40', '--strategy', strategyFile, '--params', '{"period":15,"qty":5,"offset":0.01}'], 90_000, dataDir);
  api = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('quant', 'correct horse battery');
  const login = await fetch(`http://127.0.0.1:${engine.port}/api/v1/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'quant', password: 'correct horse battery' }) });
  token = ((await login.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  await engine.stop('SIGTERM');
});

/** Polls a job until it is done. */
function finishedJob(id: string): Promise<any> {
  return eventually(
    async () => {
      const job = await api.call('GET', `/api/v1/backtests/${id}`);
      expect(job.json.status).toBe('done');
      return job.json;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** Collects the frames of the given channels. */
async function subscribe(channels: string[]): Promise<{ frames: { channel: string; type: string; data: any }[]; close(): void }> {
  const socket = new WebSocket(`ws://127.0.0.1:${engine.port}/ws?token=${token}`);
  const frames: { channel: string; type: string; data: any }[] = [];
  socket.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as { channel?: string; type: string; data: unknown };
    if (frame.channel !== undefined && channels.includes(frame.channel)) frames.push(frame as never);
  });
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ op: 'subscribe', channels }));
  return { frames, close: () => socket.close() };
}

describe('strategies over REST and the strategies channel', () => {
  it('lists the running strategy with its account, P&L and signals; fills arrive on the channel; stop and start', async () => {
    const feed = await subscribe(['strategies']);
    const listed = await eventually(
      async () => {
        const response = await api.call('GET', '/api/v1/strategies');
        expect(response.status).toBe(200);
        expect(response.json[0].fills).toBeGreaterThan(0);
        return response.json;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'tick-reverter', account: 'strategy:tick-reverter', state: 'running', params: { period: 15, qty: 5, offset: 0.01 } });
    expect(typeof listed[0].pnl).toBe('number');
    await eventually(() => expect(feed.frames.some((frame) => frame.type === 'update' && frame.data.kind === 'fill' && frame.data.name === 'tick-reverter')).toBe(true), { timeoutMs: 30_000, intervalMs: 100 });
    const stopped = await api.call('POST', '/api/v1/strategies/tick-reverter/stop', {});
    expect([stopped.status, stopped.json.state]).toEqual([200, 'stopped']);
    const started = await api.call('POST', '/api/v1/strategies/tick-reverter/start', {});
    expect([started.status, started.json.state]).toEqual([200, 'running']);
    const unknown = await api.call('GET', '/api/v1/strategies/nope');
    expect([unknown.status, unknown.json.error.code]).toEqual([404, 'ERR_STRATEGY_UNKNOWN']);
    feed.close();
  });
});

describe('backtest jobs', () => {
  it('runs a backtest in the background: 202, progress on the jobs channel, the result stored with its HTML report', async () => {
    const feed = await subscribe(['jobs']);
    const bars = shippedBars();
    const body = {
      strategy: 'sma_cross',
      params: { fast: 10, slow: 30 },
      bars: [{ symbol: 'FIXTURE', time: Array.from(bars.time), open: Array.from(bars.open), high: Array.from(bars.high), low: Array.from(bars.low), close: Array.from(bars.close), volume: Array.from(bars.volume) }],
      fill: 'next_open',
      fees: 0.001,
      cash: 100_000,
    };
    const submitted = await api.call('POST', '/api/v1/backtests', body);
    expect(submitted.status).toBe(202);
    expect(submitted.json.status).toMatch(/queued|running/);
    const done = await finishedJob(submitted.json.id);
    const reference = smaFixture().runs.find((run) => run.fill === 'next_open' && run.fees === 0.001)!;
    expectClose(done.result.final_equity, reference.equity.at(-1)!, 'final equity');
    expect(existsSync(done.html_report)).toBe(true);
    expect(readFileSync(done.html_report, 'utf8')).toContain('<svg');
    await eventually(() => expect(feed.frames.some((frame) => frame.type === 'job' && frame.data.id === submitted.json.id && frame.data.status === 'done')).toBe(true), { timeoutMs: 10_000, intervalMs: 50 });
    // Another user cannot see it.
    const other = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('other', 'correct horse battery');
    expect((await other.call('GET', `/api/v1/backtests/${submitted.json.id}`)).status).toBe(404);
    expect((await other.call('GET', `/api/v1/backtests/${submitted.json.id}/report`)).status).toBe(404);
    expect((await other.call('GET', '/api/v1/backtests')).json.some((job: { id: string }) => job.id === submitted.json.id)).toBe(false);
    // The owner's list: newest first, no result, the headline statistics of the run.
    const listed = await api.call('GET', '/api/v1/backtests?limit=5');
    expect(listed.status).toBe(200);
    const entry = listed.json.find((job: { id: string }) => job.id === submitted.json.id);
    expect(entry).toMatchObject({ strategy: 'sma_cross', kind: 'backtest', status: 'done', has_report: true });
    expect(entry).not.toHaveProperty('result');
    expect(entry.summary.final_equity).toBeCloseTo(done.result.final_equity, 9);
    expect(entry.summary.trades).toBe(done.result.trades);
    expect((await api.call('GET', '/api/v1/backtests?limit=0')).status).toBe(400);
    const report = await api.call('GET', `/api/v1/backtests/${submitted.json.id}/report`);
    expect(report.status).toBe(200);
    expect(report.headers.get('content-type')).toContain('text/html');
    expect(report.json).toBe(readFileSync(done.html_report, 'utf8'));
    feed.close();
  });

  it('runs a sweep job and reports each point', async () => {
    const bars = shippedBars();
    const series = { time: Array.from(bars.time), open: Array.from(bars.open), high: Array.from(bars.high), low: Array.from(bars.low), close: Array.from(bars.close), volume: Array.from(bars.volume) };
    const submitted = await api.call('POST', '/api/v1/backtests', { kind: 'sweep', strategy: 'sma_cross', bars: [series], sweep: { mode: 'grid', space: { fast: [5, 10], slow: [30, 60] }, objective: 'sharpe' } });
    expect(submitted.status).toBe(202);
    const done = await finishedJob(submitted.json.id);
    expect(done.result.points).toHaveLength(4);
    expect(done.result.best.params).toHaveProperty('fast');
    const report = await api.call('GET', `/api/v1/backtests/${submitted.json.id}/report`);
    expect(report.status).toBe(404);
    expect(report.json.error.code).toBe('ERR_BACKTEST_NO_REPORT');
  });

  const refusals: [string, unknown, number, string][] = [
    ['an unknown strategy', { strategy: 'nope', bars: [{ time: [1], open: [1], high: [1], low: [1], close: [1], volume: [1] }] }, 404, 'ERR_STRATEGY_UNKNOWN'],
    ['no data', { strategy: 'sma_cross' }, 400, 'ERR_BACKTEST_BAD_DATA'],
    ['ragged columns', { strategy: 'sma_cross', bars: [{ time: [1, 2], open: [1], high: [1], low: [1], close: [1], volume: [1] }] }, 400, 'ERR_BACKTEST_BAD_DATA'],
    ['an unknown field', { strategy: 'sma_cross', leverage: 10 }, 400, 'ERR_HTTP_BAD_REQUEST'],
  ];
  for (const [name, body, status, code] of refusals) {
    it(`refuses ${name}`, async () => {
      const response = await api.call('POST', '/api/v1/backtests', body);
      expect([response.status, response.json.error.code]).toEqual([status, code]);
    });
  }

  it('an unknown job id is 404', async () => {
    const response = await api.call('GET', '/api/v1/backtests/00000000-0000-0000-0000-000000000000');
    expect([response.status, response.json.error.code]).toEqual([404, 'ERR_BACKTEST_UNKNOWN_JOB']);
  });
});
