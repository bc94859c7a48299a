/**
 * Market regime detection, per symbol, from bars. The rule (docs/strategies.md, "Regimes"):
 *
 *   volatility  σ_t = population std of the last `volatilityWindow` log returns of the close. Its
 *               percentile p = (rank of σ_t among the last `historyLength` values of σ, itself included) /
 *               count. low when p <= lowPercentile (0.25), high when p >= highPercentile (0.75), else
 *               normal; unknown until `volatilityWindow` returns and `minHistory` σ values exist.
 *   trend       ADX(adxPeriod) >= adxThreshold (25) means trending; its direction is the sign of the slope
 *               of SMA(slopeWindow) over the last `slopeBars` bars (sma_t - sma_{t-slopeBars}): up or
 *               down. ADX below the threshold is range; unknown while ADX or the slope is undefined.
 *
 * The live strategy actor publishes each change as a Regime message (the `regime` of the strategy
 * context); backtests run the same detector over their bars.
 */
import { StreamingAdx, StreamingSma, StreamingStandardDeviation } from '../../kernels/indicators/indicators.js';
import type { BarEvent, Regime } from './strategy-api.js';

export interface RegimeOptions {
  volatilityWindow: number;
  historyLength: number;
  minHistory: number;
  lowPercentile: number;
  highPercentile: number;
  adxPeriod: number;
  adxThreshold: number;
  slopeWindow: number;
  slopeBars: number;
}

export const kDefaultRegimeOptions: RegimeOptions = {
  volatilityWindow: 20,
  historyLength: 252,
  minHistory: 20,
  lowPercentile: 0.25,
  highPercentile: 0.75,
  adxPeriod: 14,
  adxThreshold: 25,
  slopeWindow: 50,
  slopeBars: 10,
};

class SymbolRegime {
  readonly deviation: StreamingStandardDeviation;
  readonly adx: StreamingAdx;
  readonly sma: StreamingSma;
  readonly history: Float64Array;
  readonly smaHistory: Float64Array;
  historyCount = 0;
  historyNext = 0;
  smaNext = 0;
  smaCount = 0;
  lastClose = Number.NaN;

  constructor(readonly options: RegimeOptions) {
    this.deviation = new StreamingStandardDeviation(options.volatilityWindow);
    this.adx = new StreamingAdx(options.adxPeriod);
    this.sma = new StreamingSma(options.slopeWindow);
    this.history = new Float64Array(options.historyLength);
    this.smaHistory = new Float64Array(options.slopeBars + 1);
  }

  /** σ's percentile among its history, NaN while the history is short. */
  volatilityPercentile(close: number): number {
    const logReturn = this.lastClose > 0 ? Math.log(close / this.lastClose) : Number.NaN;
    this.lastClose = close;
    if (Number.isNaN(logReturn)) return Number.NaN;
    const sigma = this.deviation.update(logReturn);
    if (Number.isNaN(sigma)) return Number.NaN;
    this.history[this.historyNext] = sigma;
    this.historyNext = (this.historyNext + 1) % this.history.length;
    if (this.historyCount < this.history.length) this.historyCount++;
    if (this.historyCount < this.options.minHistory) return Number.NaN;
    let atOrBelow = 0;
    for (let index = 0; index < this.historyCount; index++) if (this.history[index]! <= sigma) atOrBelow++;
    return atOrBelow / this.historyCount;
  }

  /** sma_t - sma_{t-slopeBars}, NaN until both exist. */
  slope(close: number): number {
    const sma = this.sma.update(close);
    if (Number.isNaN(sma)) return Number.NaN;
    const length = this.smaHistory.length;
    const old = this.smaCount === length ? this.smaHistory[this.smaNext]! : Number.NaN;
    this.smaHistory[this.smaNext] = sma;
    this.smaNext = (this.smaNext + 1) % length;
    if (this.smaCount < length) this.smaCount++;
    return sma - old;
  }
}

export class RegimeDetector {
  readonly options: RegimeOptions;
  private readonly symbols = new Map<string, SymbolRegime>();

  constructor(options: Partial<RegimeOptions> = {}, private readonly maxSymbols = 10_000) {
    this.options = { ...kDefaultRegimeOptions, ...options };
  }

  /** Folds one bar and returns the symbol's regime after it (a new object). */
  update(bar: BarEvent): Regime | null {
    let state = this.symbols.get(bar.symbol);
    if (state === undefined) {
      if (this.symbols.size >= this.maxSymbols) return null;
      this.symbols.set(bar.symbol, (state = new SymbolRegime(this.options)));
    }
    const percentile = state.volatilityPercentile(bar.close);
    const adx = state.adx.update(bar).adx;
    const slope = state.slope(bar.close);
    const { lowPercentile, highPercentile, adxThreshold } = this.options;
    const volatility = Number.isNaN(percentile) ? 'unknown' : percentile <= lowPercentile ? 'low' : percentile >= highPercentile ? 'high' : 'normal';
    let trend: Regime['trend'] = 'unknown';
    if (!Number.isNaN(adx) && !Number.isNaN(slope)) trend = adx < adxThreshold ? 'range' : slope > 0 ? 'up' : slope < 0 ? 'down' : 'range';
    return { symbol: bar.symbol, volatility, trend, volatilityPercentile: percentile, adx, timeMs: bar.timeMs };
  }
}
