/**
 * `octopus backtest`: one backtest over a bar CSV, exactly as the issue specifies,
 *
 *   octopus backtest --strategy sma_cross --params '{"fast":10,"slow":30}' --data bars.csv
 *                    --fill market_on_close|next_open --fees 0.001 --cash 100000 [--json]
 *
 * plus optional --slippage-ticks N, --tick-size X, --sizing '{"kind":"equity_fraction","fraction":0.5}',
 * --close-at-end, --html report.html (the HTML report; the JSON report is written beside it).
 * --json prints the report as one JSON object on stdout (snake_case keys); without it, a progress bar on
 * stderr and a readable table on stdout. --data takes several CSV files separated by commas (each its own
 * symbol, named after the file) for multi-symbol strategies such as pairs.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { OctopusError } from '../../engine/errors.js';
import { loadStrategy } from '../strategy/strategy-loader.js';
import type { SizingSpec } from '../strategy/sizing.js';
import { kBarFillModels, runBarBacktest, type BarFillModel } from './bar-backtest.js';
import { readBarCsv } from './bar-data.js';
import { renderHtmlReport } from './html-report.js';
import { buildReport, type BacktestReport } from './report.js';

export const kBacktestUsage = `usage: octopus backtest --strategy <name|file.ts> --data <bars.csv[,more.csv]> [--params '{...}']
                        [--fill market_on_close|next_open] [--fees 0.001] [--cash 100000] [--json]
                        [--slippage-ticks 0] [--tick-size 0.01] [--sizing '{"kind":"all_in"}'] [--close-at-end]
                        [--html report.html]`;

function invalid(message: string): OctopusError {
  return new OctopusError('ERR_CONFIG_INVALID', message);
}

function numberFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw invalid(`expected ${name} a number, was ${JSON.stringify(value)}`);
  return number;
}

function jsonFlag(value: string | undefined, name: string, fallback: unknown): unknown {
  if (value === undefined) return fallback;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected ${name} valid JSON, was ${JSON.stringify(value.slice(0, 60))}`, { cause: error });
  }
}

interface BacktestArguments {
  strategy: string;
  params: Record<string, unknown>;
  data: string[];
  fill: BarFillModel;
  fees: number;
  cash: number;
  json: boolean;
  slippageTicks: number;
  tickSize: number;
  sizing: SizingSpec;
  closeAtEnd: boolean;
  html: string | undefined;
}

/** @throws OctopusError ERR_CONFIG_INVALID on an unknown flag, a missing or malformed value. */
export function parseBacktestArguments(args: readonly string[]): BacktestArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        strategy: { type: 'string' },
        params: { type: 'string' },
        data: { type: 'string' },
        fill: { type: 'string' },
        fees: { type: 'string' },
        cash: { type: 'string' },
        json: { type: 'boolean' },
        'slippage-ticks': { type: 'string' },
        'tick-size': { type: 'string' },
        sizing: { type: 'string' },
        'close-at-end': { type: 'boolean' },
        html: { type: 'string' },
      },
    });
  } catch (error) {
    throw new OctopusError('ERR_CONFIG_INVALID', `expected backtest flags, was: ${(error as Error).message}\n${kBacktestUsage}`, { cause: error });
  }
  const values = parsed.values;
  if (values.strategy === undefined) throw invalid(`expected --strategy, was missing\n${kBacktestUsage}`);
  if (values.data === undefined) throw invalid(`expected --data, was missing\n${kBacktestUsage}`);
  const fill = (values.fill ?? 'market_on_close') as BarFillModel;
  if (!kBarFillModels.includes(fill)) throw invalid(`expected --fill ${kBarFillModels.join(' or ')}, was ${JSON.stringify(values.fill)}`);
  return {
    strategy: values.strategy,
    params: jsonFlag(values.params, '--params', {}) as Record<string, unknown>,
    data: values.data.split(',').map((path) => path.trim()).filter((path) => path !== ''),
    fill,
    fees: numberFlag(values.fees, '--fees', 0),
    cash: numberFlag(values.cash, '--cash', 100_000),
    json: values.json === true,
    slippageTicks: numberFlag(values['slippage-ticks'], '--slippage-ticks', 0),
    tickSize: numberFlag(values['tick-size'], '--tick-size', 0.01),
    sizing: jsonFlag(values.sizing, '--sizing', { kind: 'all_in' }) as SizingSpec,
    closeAtEnd: values['close-at-end'] === true,
    html: values.html,
  };
}

function progressBar(done: number, total: number): void {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  process.stderr.write(`\rbacktest [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${total === 0 ? 100 : Math.floor((done / total) * 100)}%${done === total ? '\n' : ''}`);
}

function formatValue(value: unknown): string {
  if (value === null) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
  return String(value);
}

/** The readable table: one statistic per line. */
export function reportTable(report: BacktestReport): string {
  const rows: [string, unknown][] = [
    ['strategy', report.strategy],
    ['fill', report.fill],
    ['bars', report.steps],
    ['final equity', report.final_equity],
    ['total return', report.total_return],
    ['CAGR', report.cagr],
    ['annual volatility', report.annual_volatility],
    ['Sharpe', report.sharpe],
    ['Sortino', report.sortino],
    ['Calmar', report.calmar],
    ['max drawdown', report.max_drawdown],
    ['max drawdown days', report.max_drawdown_duration_days],
    ['trades (closed/open)', `${report.trades_closed}/${report.trades_open}`],
    ['win rate', report.win_rate],
    ['profit factor', report.profit_factor],
    ['expectancy', report.expectancy],
    ['average win / loss', `${formatValue(report.average_win)} / ${formatValue(report.average_loss)}`],
    ['best / worst trade', `${formatValue(report.best_trade)} / ${formatValue(report.worst_trade)}`],
    ['exposure', report.exposure],
    ['total fees', report.total_fees],
    ['VaR 95 / CVaR 95', `${formatValue(report.var_95)} / ${formatValue(report.cvar_95)}`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return `${rows.map(([name, value]) => `${name.padEnd(width)}  ${formatValue(value)}`).join('\n')}\n`;
}

/** Runs the command; returns the exit code. @throws OctopusError (bad flags, data, strategy). */
export async function backtestCommand(args: readonly string[]): Promise<number> {
  const options = parseBacktestArguments(args);
  const strategy = await loadStrategy(options.strategy, options.params);
  const series = options.data.map((path) => readBarCsv(path));
  const run = runBarBacktest({
    strategy,
    series,
    fill: options.fill,
    feeRate: options.fees,
    cash: options.cash,
    slippageTicks: options.slippageTicks,
    tickSize: options.tickSize,
    sizing: options.sizing,
    closeAtEnd: options.closeAtEnd,
    ...(options.json ? {} : { onProgress: progressBar }),
  });
  const report = buildReport(run, { strategy: options.strategy, params: { ...strategy.params }, fill: options.fill, fees: options.fees });
  if (options.html !== undefined) {
    writeFileSync(options.html, renderHtmlReport(report, run));
    writeFileSync(options.html.replace(/\.html?$/, '') + '.json', JSON.stringify(report));
  }
  process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : reportTable(report));
  return 0;
}
