/**
 * Smoke test of the end-to-end suites (engine, load and baseline servers each in their own process):
 * `bench/run.ts --quick --json order-entry ws-fanout feed-latency` must exit 0 with well-formed rows that
 * measured something. Nothing here asserts on how fast anything is.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-runner.js';

interface Row {
  suite: string;
  case: string;
  ops_per_s: number;
  baseline: string | null;
  note?: string;
}

describe('the end-to-end bench suites, --quick', () => {
  it('run the engine, the load generator and the baselines as processes and report every case', async () => {
    const result = await runBench(['--quick', '--json', 'feed-latency', 'order-entry', 'ws-fanout'], {}, 170_000);
    expect(result.exitCode, result.stderr).toBe(0);
    const rows = result.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Row);
    for (const suite of ['feed-latency', 'order-entry', 'ws-fanout']) {
      const ofSuite = rows.filter((row) => row.suite === suite);
      expect(ofSuite.length, suite).toBeGreaterThan(1);
      expect(ofSuite.filter((row) => row.baseline === null), `${suite} has one baseline per group`).not.toHaveLength(0);
      for (const row of ofSuite) expect(row.ops_per_s, `${suite}/${row.case}`).toBeGreaterThan(0);
    }
    const fanout = rows.filter((row) => row.suite === 'ws-fanout' && row.case.endsWith('delivered'));
    for (const row of fanout) expect(row.note, row.case).toMatch(/20\/20 subscribed; gaps 0/);
    const orders = rows.find((row) => row.case === 'engine, 64 conn, max offered');
    expect(orders?.note).toMatch(/target >= 30k\/s: (met|MISSED)/);
  }, 180_000);
});
