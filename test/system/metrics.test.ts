/**
 * /metrics on a real engine process: `promtool check metrics` (Debian's prometheus package) accepts the
 * exposition, the histograms move under a small order load, a business rejection is counted as a
 * rejection and not as a handler error, and every metric the Grafana dashboard queries exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ApiClient, addUsers } from '../support/api-client.js';
import { startEngineProcess, temporaryDataDir, type EngineProcess } from '../support/engine-process.js';
import { eventually } from '../support/eventually.js';

const kPromtool = '/usr/bin/promtool';
const hasPromtool = existsSync(kPromtool);
// CI installs it (.ci/run); there a missing binary is a failure, not a skip.
if (!hasPromtool && process.env.CI === 'true') throw new Error(`expected ${kPromtool} in CI (.ci/run installs the prometheus package), was missing`);

let engine: EngineProcess;
let trader: ApiClient;
let metricsUrl: string;

/** Sample value of `name{labels}` (labels as written, sorted as prom-client writes them), summed over matches. */
function sample(text: string, name: string, labelPart = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name || !(match[2] ?? '').includes(labelPart)) continue;
    total += Number(match[3]);
  }
  return total;
}

async function scrape(): Promise<string> {
  return (await fetch(metricsUrl)).text();
}

beforeAll(async () => {
  const dataDir = temporaryDataDir();
  addUsers(dataDir, [['trader', 'trader', 'trader-password']]);
  engine = await startEngineProcess(['--symbols', 'ACME', '--feed-rate', '20'], 60_000, dataDir);
  metricsUrl = `http://127.0.0.1:${engine.port}/metrics`;
  trader = await new ApiClient(`http://127.0.0.1:${engine.port}`).login('trader', 'trader-password');
});

afterAll(async () => {
  await engine?.stop('SIGTERM');
});

describe('Prometheus metrics (real engine process)', () => {
  it.skipIf(!hasPromtool)(`passes promtool check metrics${hasPromtool ? '' : ' (SKIPPED: /usr/bin/promtool absent; apt-get install prometheus)'}`, async () => {
    const text = await scrape();
    const result = spawnSync(kPromtool, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    expect(result.status, `${result.stdout}${result.stderr}`).toBe(0);
    for (const family of ['process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds', 'octopus_build_info', 'octopus_actor_outbox_queued_bytes']) {
      expect(text).toContain(`# TYPE ${family} `);
    }
  });

  it('moves the histograms under a small order load and counts rejections by reason, not as handler errors', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${engine.port}/ws`);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ op: 'subscribe', id: 1, channels: ['trades:ACME', 'book:ACME'] }));
    const before = await scrape();
    const book = await eventually(async () => {
      const response = await trader.call('GET', '/api/v1/market/ACME/book?depth=1');
      expect(response.json.bids.length).toBeGreaterThan(0);
      return response.json;
    });
    const bid = Number(book.bids[0][0]);
    for (let index = 0; index < 10; index++) {
      const response = await trader.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: (bid - 1 - index / 100).toFixed(2) });
      expect(response.status).toBe(201);
    }
    const collar = await trader.call('POST', '/api/v1/orders', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '1', limit_price: (bid * 1.5).toFixed(2) });
    expect(collar.json.error.code).toBe('ERR_RISK_PRICE_COLLAR');
    expect((await trader.call('DELETE', '/api/v1/orders')).json.canceled).toHaveLength(10);
    const after = await eventually(async () => {
      const text = await scrape();
      // The journal histogram comes with the execution actor's status, polled every 2 s.
      expect(sample(text, 'octopus_journal_flush_seconds_count')).toBeGreaterThanOrEqual(sample(before, 'octopus_journal_flush_seconds_count') + 20);
      expect(sample(text, 'octopus_ws_send_queue_bytes_count')).toBeGreaterThan(sample(before, 'octopus_ws_send_queue_bytes_count'));
      return text;
    }, { timeoutMs: 15_000, intervalMs: 250 });
    socket.close();
    expect(sample(after, 'octopus_order_ack_seconds_count') - sample(before, 'octopus_order_ack_seconds_count')).toBe(10);
    expect(sample(after, 'octopus_http_request_duration_seconds_count', 'route="/api/v1/orders",status="201"')).toBe(10);
    expect(sample(after, 'octopus_ring_hop_seconds_count')).toBeGreaterThan(sample(before, 'octopus_ring_hop_seconds_count'));
    expect(sample(after, 'octopus_orders_total', 'status="new"') - sample(before, 'octopus_orders_total', 'status="new"')).toBe(10);
    expect(sample(after, 'octopus_orders_total', 'status="canceled"') - sample(before, 'octopus_orders_total', 'status="canceled"')).toBe(10);
    expect(sample(after, 'octopus_order_rejections_total', 'reason="ERR_RISK_PRICE_COLLAR"')).toBe(1);
    expect(sample(after, 'octopus_actor_handler_errors_total')).toBe(0);
  });

  it('counts authentication failures and rate-limit refusals', async () => {
    await new ApiClient(`http://127.0.0.1:${engine.port}`, 'not-a-token').call('GET', '/api/v1/account');
    const text = await scrape();
    expect(sample(text, 'octopus_auth_failures_total', 'reason="ERR_AUTH_INVALID"')).toBeGreaterThanOrEqual(1);
    expect(text).toContain('# TYPE octopus_rate_limited_total counter');
  });

  it('serves every metric the Grafana dashboard queries', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../ops/grafana/octopus-engine.json', import.meta.url), 'utf8'));
    const expressions: string[] = dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) => panel.targets.map((target) => target.expr));
    expect(expressions.length).toBeGreaterThan(10);
    const text = await scrape();
    const families = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    for (const expression of expressions) {
      for (const [name] of expression.matchAll(/\b(?:octopus|nodejs|process)_[a-z0-9_]+/g)) expect(families.has(name), `${name} (from ${expression})`).toBe(true);
    }
  });
});
