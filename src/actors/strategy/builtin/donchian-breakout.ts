/**
 * Donchian breakout (the turtle rule): long when the close breaks above the highest high of the previous
 * `period` bars, flat when it breaks below the lowest low of the previous `exitPeriod` bars (short on a
 * downside break of the `period` channel with allowShort, covered above the `exitPeriod` high). The
 * channels exclude the current bar: they are the values after bar t-1.
 */
import { Strategy, type BarEvent } from '../strategy-api.js';
import type { StreamingDonchian } from '../../../kernels/indicators/indicators.js';
import { booleanParam, integerParam, PerSymbol } from './params.js';

export interface DonchianParams {
  period: number;
  exitPeriod: number;
  allowShort: boolean;
}

interface ChannelState {
  entry: StreamingDonchian;
  exit: StreamingDonchian;
  upper: number;
  lower: number;
  exitUpper: number;
  exitLower: number;
}

export class DonchianBreakout extends Strategy<DonchianParams> {
  static readonly defaults: Partial<DonchianParams> = { period: 20, exitPeriod: 10, allowShort: false };

  static validate(params: DonchianParams): void {
    integerParam(params, 'period', 1, 100_000);
    integerParam(params, 'exitPeriod', 1, 100_000);
    booleanParam(params, 'allowShort');
  }

  private readonly states = new PerSymbol<ChannelState>(() => ({
    entry: this.ctx.indicators.donchian(this.params.period),
    exit: this.ctx.indicators.donchian(this.params.exitPeriod),
    upper: Number.NaN,
    lower: Number.NaN,
    exitUpper: Number.NaN,
    exitLower: Number.NaN,
  }));

  override onBar(bar: BarEvent): void {
    const state = this.states.get(bar.symbol);
    const position = this.ctx.position(bar.symbol);
    if (bar.close > state.upper) this.ctx.signal(bar.symbol, 1);
    else if (bar.close < state.lower && this.params.allowShort) this.ctx.signal(bar.symbol, -1);
    else if ((position > 0 && bar.close < state.exitLower) || (position < 0 && bar.close > state.exitUpper)) this.ctx.signal(bar.symbol, 0);
    const entry = state.entry.update(bar);
    state.upper = entry.upper;
    state.lower = entry.lower;
    const exit = state.exit.update(bar);
    state.exitUpper = exit.upper;
    state.exitLower = exit.lower;
  }
}
