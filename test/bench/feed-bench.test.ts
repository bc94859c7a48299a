/** The feed bench suite runs in quick mode and returns its four rows against the named baseline. */
import { describe, expect, it } from 'vitest';
import suite from '../../bench/suites/feed.js';

describe('bench suite feed', () => {
  it('returns one row per case, rates positive, ratios against the random-walk baseline', async () => {
    const rows = await suite.run({ quick: true });
    expect(rows.map((row) => row.case)).toEqual(['random-walk feed (no book)', 'simulated exchange step()', 'simulated exchange, busy', 'csv replay parse']);
    for (const row of rows) expect(row.ops_per_s, row.case).toBeGreaterThan(0);
    expect(rows[1]!.baseline).toBe('random-walk feed (no book)');
    expect(rows[1]!.ratio_vs_baseline).toBeGreaterThan(0);
  });
});
