/**
 * Pairs trading on two symbols: the spread s = ln(A) - beta × ln(B) and its rolling z-score over `period`
 * bars (population std). z > entry: short A, long B (targets -0.5 and +0.5); z < -entry: the
 * opposite; |z| < exit: both flat. It acts on the bar that completes a timestamp for both legs, so both
 * legs' closes of the same time are used.
 */
import { OctopusError } from '../../../engine/errors.js';
import { Strategy, type BarEvent } from '../strategy-api.js';
import type { StreamingZScore } from '../../../kernels/indicators/indicators.js';
import { integerParam, numberParam, ordered } from './params.js';

export interface PairsParams {
  symbols: [string, string];
  beta: number;
  period: number;
  entry: number;
  exit: number;
}

export class PairsSpread extends Strategy<PairsParams> {
  static readonly defaults: Partial<PairsParams> = { beta: 1, period: 30, entry: 2, exit: 0.5 };

  static validate(params: PairsParams): void {
    const symbols = params.symbols as unknown;
    if (!Array.isArray(symbols) || symbols.length !== 2 || symbols.some((symbol) => typeof symbol !== 'string' || symbol === '') || symbols[0] === symbols[1]) {
      throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected symbols two different symbol names, was ${JSON.stringify(symbols)}`);
    }
    numberParam(params, 'beta', 1e-6, 1e6);
    integerParam(params, 'period', 2, 100_000);
    numberParam(params, 'entry', 0, 100);
    numberParam(params, 'exit', 0, 100);
    ordered(params.exit, params.entry, 'exit < entry');
  }

  private score: StreamingZScore | null = null;
  private readonly closes = [Number.NaN, Number.NaN];
  private readonly times = [Number.NaN, Number.NaN];

  override onStart(): void {
    this.score = this.ctx.indicators.zscore(this.params.period);
  }

  override onBar(bar: BarEvent): void {
    const leg = this.params.symbols.indexOf(bar.symbol);
    if (leg < 0) return;
    this.closes[leg] = bar.close;
    this.times[leg] = bar.timeMs;
    if (this.times[0] !== this.times[1]) return;
    const spread = Math.log(this.closes[0]!) - this.params.beta * Math.log(this.closes[1]!);
    const z = this.score!.update(spread);
    if (Number.isNaN(z)) return;
    const [first, second] = this.params.symbols;
    const { entry, exit } = this.params;
    if (z > entry) this.legs(first, second, -0.5);
    else if (z < -entry) this.legs(first, second, 0.5);
    else if (Math.abs(z) < exit) this.legs(first, second, 0);
  }

  private legs(first: string, second: string, target: number): void {
    this.ctx.signal(first, target);
    this.ctx.signal(second, -target);
  }
}
