/**
 * Mean reversion on a rolling z-score of the close, z = (close - mean) / std over `period` bars
 * (population std, the kernel's zScore): long when z < -entry, short when z > entry (with allowShort),
 * flat again once |z| < exit.
 */
import { Strategy, type BarEvent } from '../strategy-api.js';
import type { StreamingZScore } from '../../../kernels/indicators/indicators.js';
import { booleanParam, integerParam, numberParam, ordered, PerSymbol } from './params.js';

export interface ZScoreParams {
  period: number;
  entry: number;
  exit: number;
  allowShort: boolean;
}

export class ZScoreReversion extends Strategy<ZScoreParams> {
  static readonly defaults: Partial<ZScoreParams> = { period: 20, entry: 2, exit: 0.5, allowShort: false };

  static validate(params: ZScoreParams): void {
    integerParam(params, 'period', 2, 100_000);
    numberParam(params, 'entry', 0, 100);
    numberParam(params, 'exit', 0, 100);
    booleanParam(params, 'allowShort');
    ordered(params.exit, params.entry, 'exit < entry');
  }

  private readonly scores = new PerSymbol<StreamingZScore>(() => this.ctx.indicators.zscore(this.params.period));

  override onBar(bar: BarEvent): void {
    const z = this.scores.get(bar.symbol).update(bar.close);
    if (Number.isNaN(z)) return;
    const { entry, exit, allowShort } = this.params;
    if (z < -entry) this.ctx.signal(bar.symbol, 1);
    else if (z > entry && allowShort) this.ctx.signal(bar.symbol, -1);
    else if (Math.abs(z) < exit) this.ctx.signal(bar.symbol, 0);
  }
}
