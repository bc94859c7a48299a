/**
 * Smoke test of the bench runner as users run it: a child process `node --import tsx bench/run.ts`,
 * checked for its exit code and for well-formed JSON rows. Quick mode keeps each run to a few seconds;
 * nothing here asserts on how fast anything is.
 */
import { describe, expect, it } from 'vitest';
import { runBench } from '../support/bench-runner.js';

/** Parses stdout as JSON lines and checks every row's fields; returns the rows. */
function jsonRows(stdout: string, suite: string): Array<Record<string, unknown>> {
  const lines = stdout.split('\n').filter((line) => line.length > 0);
  expect(lines.length, 'at least one row').toBeGreaterThan(0);
  return lines.map((line) => {
    const row = JSON.parse(line) as Record<string, unknown>;
    expect(row.suite, `suite of ${line}`).toBe(suite);
    expect(typeof row.case, `case of ${line}`).toBe('string');
    expect(typeof row.unit, `unit of ${line}`).toBe('string');
    expect(row.ops_per_s, `ops_per_s of ${line}`).toBeGreaterThan(0);
    expect(Number.isFinite(row.ops_per_s), `finite ops_per_s of ${line}`).toBe(true);
    for (const field of ['p50_ns', 'p99_ns'] as const) {
      expect(row[field] === null || (typeof row[field] === 'number' && row[field] > 0), `${field} of ${line}`).toBe(true);
    }
    if (row.baseline === null) {
      expect(row.ratio_vs_baseline, `a baseline row has no ratio: ${line}`).toBeNull();
    } else {
      expect(typeof row.baseline, `baseline of ${line}`).toBe('string');
      expect(row.ratio_vs_baseline, `ratio of ${line}`).toBeGreaterThan(0);
    }
    return row;
  });
}

function expectBaselinesPresent(rows: Array<Record<string, unknown>>): void {
  const names = new Set(rows.map((row) => row.case));
  expect(names.size, 'case names are unique').toBe(rows.length);
  for (const row of rows) if (row.baseline !== null) expect(names.has(row.baseline), `baseline "${String(row.baseline)}" is a row`).toBe(true);
}

describe('bench runner', () => {
  const suites: Array<[string, number]> = [
    ['codec', 2],
    // The ring suite starts four worker threads; this also proves they are ended (the run exits).
    ['ring', 2],
    // Starts a gateway, the password pool and the compute pool; the run exiting proves they are ended.
    ['security', 1],
  ];
  it.each(suites)('prints valid JSON rows for --quick --json %s', async (suite, minimumBaselines) => {
    const result = await runBench(['--quick', '--json', suite]);
    expect(result.exitCode, result.stderr).toBe(0);
    const rows = jsonRows(result.stdout, suite);
    expectBaselinesPresent(rows);
    expect(rows.filter((row) => row.baseline === null).length, 'baseline rows').toBeGreaterThanOrEqual(minimumBaselines);
  });

  const badCommandLines: Array<[string, string[]]> = [
    ['an unknown suite', ['--quick', 'no-such-suite']],
    ['an unknown suite after a known one', ['codec', 'no-such-suite']],
    ['an unknown option', ['--fast', 'codec']],
  ];
  it.each(badCommandLines)('exits with 2 and runs nothing for %s', async (_name, args) => {
    const result = await runBench(args);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('exits with 1 when a suite throws, after running the others', async () => {
    // A ring module that does not exist makes the ring suite throw before it starts any worker.
    const result = await runBench(['--quick', '--json', 'ring', 'codec'], { OCTOPUS_BENCH_RING_MODULE: '/nonexistent/ring.ts' });
    expect(result.exitCode).toBe(1);
    expect(jsonRows(result.stdout, 'codec').length).toBeGreaterThan(0);
  });

  it('names the available suites when one is unknown', async () => {
    const result = await runBench(['no-such-suite']);
    expect(result.exitCode).toBe(2);
    for (const suite of ['codec', 'ring']) expect(result.stderr).toContain(suite);
  });
});
