/**
 * Position sizing (the M6 rules a strategy's signals go through): a signal's target exposure in [-1, 1]
 * becomes a quantity. Every sizer but `fixed` yields a fraction of equity; the quantity is then
 * fraction × equity / (price × (1 + fee)), so `all_in` on a flat book buys cash / (price × (1 + fee)) as
 * the default requires. Formulas: docs/strategies.md ("Signals and sizing").
 *
 *   all_in            fraction = target
 *   equity_fraction   fraction = target × f
 *   fixed             qty = target × q (no equity involved)
 *   vol_target        fraction = target × min(maxFraction, σ* / σ̂), σ̂ the annualised sample std of the
 *                     last `lookback` simple returns of the closes (Moreira & Muir 2017)
 *   kelly             fraction = target × clamp(k × μ̂ / σ̂², 0, maxFraction), μ̂, σ̂² the per-bar mean and
 *                     sample variance of the last `lookback` returns (continuous Kelly, Thorp 2006)
 * `maxPositionQty` then caps |qty| (the max position limit).
 */
import { OctopusError } from '../../engine/errors.js';

export type SizingSpec =
  | { kind: 'all_in' }
  | { kind: 'equity_fraction'; fraction: number }
  | { kind: 'fixed'; qty: number }
  | { kind: 'vol_target'; annualVolatility: number; lookback: number; maxFraction: number; periodsPerYear: number }
  | { kind: 'kelly'; kellyFraction: number; lookback: number; maxFraction: number };

const kLookbackMax = 10_000;

function bad(message: string): OctopusError {
  return new OctopusError('ERR_BACKTEST_BAD_OPTION', message);
}

function checkPositive(value: unknown, name: string, max = Number.MAX_VALUE): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) throw bad(`expected ${name} a finite number in (0, ${max}], was ${String(value)}`);
  return value;
}

/** @throws OctopusError ERR_BACKTEST_BAD_OPTION on an unknown kind or a bad parameter. */
export function checkSizing(spec: SizingSpec): SizingSpec {
  switch (spec?.kind) {
    case 'all_in':
      return spec;
    case 'equity_fraction':
      checkPositive(spec.fraction, 'sizing.fraction', 100);
      return spec;
    case 'fixed':
      checkPositive(spec.qty, 'sizing.qty');
      return spec;
    case 'vol_target':
      checkPositive(spec.annualVolatility, 'sizing.annualVolatility', 10);
      checkPositive(spec.maxFraction, 'sizing.maxFraction', 100);
      checkPositive(spec.periodsPerYear, 'sizing.periodsPerYear', 1e9);
      if (!Number.isInteger(spec.lookback) || spec.lookback < 2 || spec.lookback > kLookbackMax) throw bad(`expected sizing.lookback an integer in [2, ${kLookbackMax}], was ${spec.lookback}`);
      return spec;
    case 'kelly':
      checkPositive(spec.kellyFraction, 'sizing.kellyFraction', 1);
      checkPositive(spec.maxFraction, 'sizing.maxFraction', 100);
      if (!Number.isInteger(spec.lookback) || spec.lookback < 2 || spec.lookback > kLookbackMax) throw bad(`expected sizing.lookback an integer in [2, ${kLookbackMax}], was ${spec.lookback}`);
      return spec;
    default:
      throw bad(`expected sizing.kind all_in, equity_fraction, fixed, vol_target or kelly, was ${JSON.stringify((spec as { kind?: unknown } | undefined)?.kind)}`);
  }
}

/** A ring of the last `capacity` returns with running sums (O(1) per update). */
class ReturnWindow {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;
  private lastClose = Number.NaN;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  add(close: number): void {
    if (this.lastClose > 0 && close > 0) {
      this.values[this.next] = close / this.lastClose - 1;
      this.next = (this.next + 1) % this.values.length;
      if (this.count < this.values.length) this.count++;
    }
    this.lastClose = close;
  }

  /** Mean and sample variance of the window; NaN until it is full. */
  moments(): { mean: number; variance: number } {
    if (this.count < this.values.length) return { mean: Number.NaN, variance: Number.NaN };
    let sum = 0;
    for (const value of this.values) sum += value;
    const mean = sum / this.count;
    let squares = 0;
    for (const value of this.values) squares += (value - mean) ** 2;
    return { mean, variance: squares / (this.count - 1) };
  }
}

export class PositionSizer {
  readonly spec: SizingSpec;
  private readonly windows = new Map<string, ReturnWindow>();

  /** @throws OctopusError ERR_BACKTEST_BAD_OPTION. */
  constructor(
    spec: SizingSpec,
    readonly maxPositionQty = Number.POSITIVE_INFINITY,
    private readonly maxSymbols = 10_000,
  ) {
    this.spec = checkSizing(spec);
    if (!(maxPositionQty > 0)) throw bad(`expected maxPositionQty > 0, was ${maxPositionQty}`);
  }

  /** True when quantities come from a fraction of equity (resolved at the fill price in bar runs). */
  get isFractional(): boolean {
    return this.spec.kind !== 'fixed';
  }

  /** Feeds a close (the volatility and Kelly sizers estimate from closes). */
  observe(symbol: string, close: number): void {
    if (this.spec.kind !== 'vol_target' && this.spec.kind !== 'kelly') return;
    let window = this.windows.get(symbol);
    if (window === undefined) {
      if (this.windows.size >= this.maxSymbols) return;
      this.windows.set(symbol, (window = new ReturnWindow(this.spec.lookback)));
    }
    window.add(close);
  }

  /** The signed fraction of equity for a target (0 while an estimating sizer warms up). Not for `fixed`. */
  equityFraction(symbol: string, target: number): number {
    const spec = this.spec;
    switch (spec.kind) {
      case 'all_in':
        return target;
      case 'equity_fraction':
        return target * spec.fraction;
      case 'fixed':
        throw new OctopusError('ERR_INTERNAL', 'expected a fractional sizer, was fixed');
      case 'vol_target': {
        const { variance } = this.windows.get(symbol)?.moments() ?? { variance: Number.NaN };
        const annual = Math.sqrt(variance * spec.periodsPerYear);
        if (!(annual > 0)) return 0;
        return target * Math.min(spec.maxFraction, spec.annualVolatility / annual);
      }
      case 'kelly': {
        const { mean, variance } = this.windows.get(symbol)?.moments() ?? { mean: Number.NaN, variance: Number.NaN };
        if (!(variance > 0)) return 0;
        return target * Math.min(spec.maxFraction, Math.max(0, (spec.kellyFraction * mean) / variance));
      }
    }
  }

  /** The target quantity of a fixed sizer. */
  fixedQty(target: number): number {
    if (this.spec.kind !== 'fixed') throw new OctopusError('ERR_INTERNAL', `expected the fixed sizer, was ${this.spec.kind}`);
    return this.capQty(target * this.spec.qty);
  }

  /** Applies the max position limit to a signed quantity. */
  capQty(qty: number): number {
    return Math.max(-this.maxPositionQty, Math.min(this.maxPositionQty, qty));
  }
}
