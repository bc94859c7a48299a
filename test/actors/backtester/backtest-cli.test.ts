import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBacktestArguments } from '../../../src/actors/backtester/backtest-cli.js';
import { expectClose, kFixtureDir, smaFixture } from './support.js';

const binary = new URL('../../../bin/octopus.js', import.meta.url).pathname;

function octopus(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [binary, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('octopus backtest (the real command, as a process)', () => {
  const bars = `${kFixtureDir}bars.csv`;

  it('--json prints one JSON object with the snake_case statistics, equal to the vectorbt fixture', () => {
    const result = octopus(['backtest', '--strategy', 'sma_cross', '--params', '{"fast":10,"slow":30}', '--data', bars, '--fill', 'next_open', '--fees', '0.001', '--cash', '100000', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as Record<string, unknown>;
    for (const key of ['final_equity', 'total_return', 'cagr', 'sharpe', 'sortino', 'max_drawdown', 'calmar', 'trades', 'win_rate', 'profit_factor', 'exposure', 'total_fees', 'var_95', 'cvar_95', 'trade_list', 'fill_list', 'equity_curve']) {
      expect(report, key).toHaveProperty(key);
    }
    const reference = smaFixture().runs.find((run) => run.fill === 'next_open' && run.fees === 0.001)!;
    expectClose(report.final_equity as number, reference.equity.at(-1)!, 'final equity');
    expect(report.trades).toBe(reference.trades.length);
    expect(result.stderr).toBe('');
  });

  it('without --json: a readable table on stdout and a progress bar on stderr; --html writes the page and the JSON beside it', () => {
    const directory = mkdtempSync(join(tmpdir(), 'octopus-backtest-'));
    const html = join(directory, 'report.html');
    const result = octopus(['backtest', '--strategy', 'sma_cross', '--params', '{"fast":10,"slow":30}', '--data', bars, '--fill', 'market_on_close', '--fees', '0', '--cash', '100000', '--html', html]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^strategy\s+sma_cross$/m);
    expect(result.stdout).toMatch(/^Sharpe\s+-?\d+\.\d+$/m);
    expect(result.stderr).toContain('100%');
    expect(readFileSync(html, 'utf8')).toContain('<svg');
    expect(existsSync(join(directory, 'report.json'))).toBe(true);
  });

  it('runs a strategy file', () => {
    const result = octopus(['backtest', '--strategy', `${kFixtureDir}strategies/buy-and-hold.ts`, '--params', '{"qty":5}', '--data', bars, '--json']);
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { fill_list: { qty: number; bar: number }[]; trades_open: number };
    expect(report.fill_list.map((fill) => [fill.bar, fill.qty])).toEqual([[0, 5]]);
    expect(report.trades_open).toBe(1);
  });

  const refusals: [string, string[], RegExp][] = [
    ['an unknown strategy', ['--strategy', 'nope', '--data', bars], /ERR_STRATEGY_UNKNOWN/],
    ['bad params JSON', ['--strategy', 'sma_cross', '--params', '{fast:', '--data', bars], /ERR_CONFIG_INVALID/],
    ['bad params', ['--strategy', 'sma_cross', '--params', '{"fast":30,"slow":10}', '--data', bars], /ERR_STRATEGY_BAD_PARAMS/],
    ['a bad fill model', ['--strategy', 'sma_cross', '--data', bars, '--fill', 'vwap'], /ERR_CONFIG_INVALID/],
    ['a missing file', ['--strategy', 'sma_cross', '--data', '/nonexistent/bars.csv'], /ERR_BACKTEST_BAD_DATA/],
    ['an unknown flag', ['--strategy', 'sma_cross', '--data', bars, '--leverage', '10'], /ERR_CONFIG_INVALID/],
  ];
  for (const [name, args, pattern] of refusals) {
    it(`refuses ${name} with a typed error and a non-zero exit`, () => {
      const result = octopus(['backtest', ...args]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(pattern);
      expect(result.stdout).toBe('');
    });
  }

  it('parses the issue\'s exact command line', () => {
    const parsed = parseBacktestArguments(['--strategy', 'sma_cross', '--params', '{"fast":10,"slow":30}', '--data', 'bars.csv', '--fill', 'next_open', '--fees', '0.001', '--cash', '100000', '--json']);
    expect(parsed).toMatchObject({ strategy: 'sma_cross', params: { fast: 10, slow: 30 }, data: ['bars.csv'], fill: 'next_open', fees: 0.001, cash: 100_000, json: true });
  });
});
