import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStrategy, loadStrategyClass } from '../../../src/actors/strategy/strategy-loader.js';

describe('strategy loader', () => {
  it('loads built-ins by name and files (TypeScript through tsx), merging defaults', async () => {
    expect((await loadStrategy('sma_cross', { fast: 5 })).params).toMatchObject({ fast: 5, slow: 30 });
    const file = new URL('../../fixtures/backtest/strategies/buy-and-hold.ts', import.meta.url).pathname;
    expect((await loadStrategy(file, {})).params).toEqual({ qty: 10 });
  });

  it('refuses unknown names, files that do not load, and files without a strategy class', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'octopus-loader-'));
    writeFileSync(join(directory, 'broken.ts'), 'export default class {');
    writeFileSync(join(directory, 'plain.mjs'), 'export default 42;');
    await expect(loadStrategyClass('no_such_strategy')).rejects.toMatchObject({ code: 'ERR_STRATEGY_UNKNOWN' });
    await expect(loadStrategyClass(join(directory, 'missing.ts'))).rejects.toMatchObject({ code: 'ERR_STRATEGY_LOAD_FAILED' });
    await expect(loadStrategyClass(join(directory, 'broken.ts'))).rejects.toMatchObject({ code: 'ERR_STRATEGY_LOAD_FAILED' });
    await expect(loadStrategyClass(join(directory, 'plain.mjs'))).rejects.toMatchObject({ code: 'ERR_STRATEGY_LOAD_FAILED' });
    await expect(loadStrategy('sma_cross', [1, 2])).rejects.toMatchObject({ code: 'ERR_STRATEGY_BAD_PARAMS' });
  });
});
