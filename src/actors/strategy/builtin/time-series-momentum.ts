/**
 * Time-series momentum (Moskowitz, Ooi & Pedersen 2012): hold the sign of the return over the last
 * `lookback` bars, close[t] / close[t - lookback] - 1: long when positive, flat (short with allowShort)
 * when negative. Re-evaluated every bar; only a change of sign trades.
 */
import { Strategy, type BarEvent } from '../strategy-api.js';
import { booleanParam, integerParam, PerSymbol } from './params.js';

export interface MomentumParams {
  lookback: number;
  allowShort: boolean;
}

/** The last `length` closes, in a ring. */
class CloseWindow {
  private readonly closes: Float64Array;
  private next = 0;
  private count = 0;

  constructor(length: number) {
    this.closes = new Float64Array(length);
  }

  /** Adds a close and returns the one `length` bars before it (NaN until there is one). */
  push(close: number): number {
    const oldest = this.count === this.closes.length ? this.closes[this.next]! : Number.NaN;
    this.closes[this.next] = close;
    this.next = (this.next + 1) % this.closes.length;
    if (this.count < this.closes.length) this.count++;
    return oldest;
  }
}

export class TimeSeriesMomentum extends Strategy<MomentumParams> {
  static readonly defaults: Partial<MomentumParams> = { lookback: 60, allowShort: false };

  static validate(params: MomentumParams): void {
    integerParam(params, 'lookback', 1, 100_000);
    booleanParam(params, 'allowShort');
  }

  private readonly windows = new PerSymbol<CloseWindow>(() => new CloseWindow(this.params.lookback));

  override onBar(bar: BarEvent): void {
    const past = this.windows.get(bar.symbol).push(bar.close);
    if (!(past > 0)) return;
    const momentum = bar.close / past - 1;
    if (momentum > 0) this.ctx.signal(bar.symbol, 1);
    else if (momentum < 0) this.ctx.signal(bar.symbol, this.params.allowShort ? -1 : 0);
  }
}
