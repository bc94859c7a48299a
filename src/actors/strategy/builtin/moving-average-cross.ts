/**
 * SMA and EMA crossover. `sma_cross` is the reference rule, checked against vectorbt:
 *   enter (target 1) on bar t when fast <= slow on t-1 and fast > slow on t, both defined on t-1;
 *   exit (target 0, or -1 with allowShort) when fast >= slow on t-1 and fast < slow on t.
 * Because a cross needs both averages on t-1, a regime already in place when the slow average first
 * becomes defined is not entered: the first signal is the first cross after that.
 */
import { OctopusError } from '../../../engine/errors.js';
import { Strategy, type BarEvent, type TradeTick } from '../strategy-api.js';
import { booleanParam, integerParam, ordered, PerSymbol } from './params.js';

export interface CrossParams {
  fast: number;
  slow: number;
  /** Go short (-1) on the down cross instead of flat. Default false. */
  allowShort: boolean;
  /** What the averages run over: bar closes (default) or every trade's price. */
  source: 'bars' | 'trades';
}

interface Updating {
  update(value: number): number;
}

interface CrossState {
  fast: Updating;
  slow: Updating;
  previousFast: number;
  previousSlow: number;
}

abstract class MovingAverageCross extends Strategy<CrossParams> {
  static readonly defaults: Partial<CrossParams> = { fast: 10, slow: 30, allowShort: false, source: 'bars' };

  static validate(params: CrossParams): void {
    integerParam(params, 'fast', 1, 100_000);
    integerParam(params, 'slow', 2, 100_000);
    booleanParam(params, 'allowShort');
    ordered(params.fast, params.slow, 'fast < slow');
    if (params.source !== 'bars' && params.source !== 'trades') throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected source bars or trades, was ${JSON.stringify(params.source)}`);
  }

  private readonly states = new PerSymbol<CrossState>(() => ({
    fast: this.average(this.params.fast),
    slow: this.average(this.params.slow),
    previousFast: Number.NaN,
    previousSlow: Number.NaN,
  }));

  protected abstract average(period: number): Updating;

  override onBar(bar: BarEvent): void {
    if (this.params.source === 'bars') this.step(bar.symbol, bar.close);
  }

  override onTrade(trade: TradeTick): void {
    if (this.params.source === 'trades') this.step(trade.symbol, trade.price);
  }

  private step(symbol: string, price: number): void {
    const state = this.states.get(symbol);
    const fast = state.fast.update(price);
    const slow = state.slow.update(price);
    const previousFast = state.previousFast;
    const previousSlow = state.previousSlow;
    state.previousFast = fast;
    state.previousSlow = slow;
    // NaN compares false, so an undefined average on t-1 or t never makes a cross.
    if (previousFast <= previousSlow && fast > slow) this.ctx.signal(symbol, 1);
    else if (previousFast >= previousSlow && fast < slow) this.ctx.signal(symbol, this.params.allowShort ? -1 : 0);
  }
}

export class SmaCross extends MovingAverageCross {
  protected average(period: number): Updating {
    return this.ctx.indicators.sma(period);
  }
}

export class EmaCross extends MovingAverageCross {
  protected average(period: number): Updating {
    return this.ctx.indicators.ema(period);
  }
}
