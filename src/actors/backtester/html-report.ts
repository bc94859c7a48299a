/**
 * The HTML report saved beside the JSON one: a self-contained page (no scripts, no network) with the
 * statistics, the equity curve, the drawdown, and the price of each symbol with its trades marked
 * (green triangles: entries, red: exits), as inline SVG. Long series are thinned to at most kMaxPoints
 * points per line (every k-th point, the last kept), which changes the picture, not the numbers.
 */
import type { BacktestRun } from './bar-backtest.js';
import type { BacktestReport } from './report.js';

const kMaxPoints = 2_000;
const kWidth = 960;
const kHeight = 220;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

interface Scale {
  x(index: number): number;
  y(value: number): number;
}

function scaleFor(values: ArrayLike<number>, count: number): Scale {
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < values.length; index++) {
    const value = values[index]!;
    if (Number.isNaN(value)) continue;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  if (!(high > low)) {
    high = (Number.isFinite(high) ? high : 0) + 1;
    low = high - 2;
  }
  return {
    x: (index) => (count <= 1 ? 0 : (index / (count - 1)) * kWidth),
    y: (value) => kHeight - ((value - low) / (high - low)) * (kHeight - 10) - 5,
  };
}

function polyline(values: ArrayLike<number>, scale: Scale, color: string): string {
  const step = Math.max(1, Math.ceil(values.length / kMaxPoints));
  const points: string[] = [];
  for (let index = 0; index < values.length; index += step) {
    if (!Number.isNaN(values[index]!)) points.push(`${scale.x(index).toFixed(1)},${scale.y(values[index]!).toFixed(1)}`);
  }
  const last = values.length - 1;
  if (last >= 0 && last % step !== 0 && !Number.isNaN(values[last]!)) points.push(`${scale.x(last).toFixed(1)},${scale.y(values[last]!).toFixed(1)}`);
  return `<polyline fill="none" stroke="${color}" stroke-width="1.2" points="${points.join(' ')}"/>`;
}

function chart(title: string, body: string): string {
  return `<h2>${escapeHtml(title)}</h2><svg viewBox="0 0 ${kWidth} ${kHeight}" width="100%" height="${kHeight}" style="background:#fafafa;border:1px solid #ddd">${body}</svg>`;
}

function priceChart(symbol: string, closes: Float64Array, report: BacktestReport): string {
  const scale = scaleFor(closes, closes.length);
  const marks = report.trade_list
    .filter((trade) => trade.symbol === symbol)
    .flatMap((trade) => {
      const entry = `<path d="M${scale.x(trade.entry_bar).toFixed(1)},${(scale.y(trade.entry_price) + 6).toFixed(1)} l-4,7 h8 z" fill="#1a7f37"><title>entry ${trade.entry_time} @ ${trade.entry_price}</title></path>`;
      if (trade.open) return [entry];
      return [entry, `<path d="M${scale.x(trade.exit_bar).toFixed(1)},${(scale.y(trade.exit_price) - 6).toFixed(1)} l-4,-7 h8 z" fill="#cf222e"><title>exit ${trade.exit_time} @ ${trade.exit_price} pnl ${trade.pnl.toFixed(2)}</title></path>`];
    });
  return chart(`${symbol}: price and trades`, polyline(closes, scale, '#555') + marks.join(''));
}

function statisticsTable(report: BacktestReport): string {
  const keys: (keyof BacktestReport)[] = ['final_equity', 'total_return', 'cagr', 'annual_volatility', 'sharpe', 'sortino', 'calmar', 'max_drawdown', 'max_drawdown_duration_days', 'trades_closed', 'trades_open', 'win_rate', 'profit_factor', 'expectancy', 'exposure', 'total_fees', 'var_95', 'cvar_95'];
  const cell = (value: unknown): string => (typeof value === 'number' ? (Number.isInteger(value) ? String(value) : value.toFixed(4)) : value === null ? '-' : escapeHtml(String(value)));
  return `<table>${keys.map((key) => `<tr><th>${escapeHtml(key)}</th><td>${cell(report[key])}</td></tr>`).join('')}</table>`;
}

export function renderHtmlReport(report: BacktestReport, run: BacktestRun): string {
  const equityScale = scaleFor(run.equity, run.equity.length);
  const drawdownValues = Float64Array.from(report.equity_curve.drawdown);
  const drawdownScale = scaleFor(drawdownValues, drawdownValues.length);
  const prices = [...run.closes].map(([symbol, closes]) => priceChart(symbol, closes, report)).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Backtest: ${escapeHtml(report.strategy)}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;max-width:1000px}th{text-align:left;padding-right:16px;font-weight:500}td{font-variant-numeric:tabular-nums}</style></head>
<body><h1>Backtest: ${escapeHtml(report.strategy)}</h1><p>params ${escapeHtml(JSON.stringify(report.params))}, fill ${escapeHtml(report.fill)}, fees ${report.fees}, cash ${report.cash}</p>
${statisticsTable(report)}
${chart('Equity', polyline(run.equity, equityScale, '#0969da'))}
${chart('Drawdown', polyline(drawdownValues, drawdownScale, '#cf222e'))}
${prices}
</body></html>
`;
}
