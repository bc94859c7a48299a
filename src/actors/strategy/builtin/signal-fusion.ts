/**
 * Signal fusion: several member strategies' signals for one symbol combined into one target, weighted by
 * each member's recent risk-adjusted performance (docs/strategies.md, "Signal fusion"):
 *
 *   r_i,t   = s_i,t-1 × (close_t / close_t-1 - 1)      member i's return from holding its own last target
 *   score_i = max(0, mean(r_i) / std(r_i))              over the last `lookback` bars (sample std; 0 if std = 0)
 *   w_i     = score_i / Σ_j score_j                     (equal weights while every score is 0)
 *   target  = clamp(Σ_i w_i × s_i,t, -1, 1), rounded to a multiple of `step`
 *
 * Members run inside this strategy with a context whose `signal` only records their target and whose
 * `submit`, `cancel` and `replace` refuse (ERR_STRATEGY_BAD_ORDER): the fused target is what trades, then
 * sized by the run's sizer (volatility target, fractional Kelly, max position).
 */
import { OctopusError } from '../../../engine/errors.js';
import { Strategy, type BarEvent, type QuoteTick, type StrategyContext, type TradeTick } from '../strategy-api.js';
import { instantiateStrategy } from './index.js';
import { integerParam, numberParam, PerSymbol } from './params.js';

export interface FusionMember {
  strategy: string;
  params?: Record<string, unknown>;
}

export interface FusionParams {
  members: FusionMember[];
  lookback: number;
  step: number;
}

const kMaxMembers = 16;

/** The last `length` returns of one member on one symbol, with its last target and close. */
class MemberTrack {
  readonly returns: Float64Array;
  count = 0;
  next = 0;
  target = 0;
  lastClose = Number.NaN;

  constructor(length: number) {
    this.returns = new Float64Array(length);
  }

  record(close: number): void {
    if (this.lastClose > 0) {
      this.returns[this.next] = this.target * (close / this.lastClose - 1);
      this.next = (this.next + 1) % this.returns.length;
      if (this.count < this.returns.length) this.count++;
    }
    this.lastClose = close;
  }

  score(): number {
    if (this.count < 2) return 0;
    let sum = 0;
    for (let index = 0; index < this.count; index++) sum += this.returns[index]!;
    const mean = sum / this.count;
    let squares = 0;
    for (let index = 0; index < this.count; index++) squares += (this.returns[index]! - mean) ** 2;
    const std = Math.sqrt(squares / (this.count - 1));
    return std > 0 ? Math.max(0, mean / std) : 0;
  }
}

export class SignalFusion extends Strategy<FusionParams> {
  static readonly defaults: Partial<FusionParams> = { lookback: 60, step: 0.1 };

  static validate(params: FusionParams): void {
    if (!Array.isArray(params.members) || params.members.length < 1 || params.members.length > kMaxMembers) {
      throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected members a list of 1 to ${kMaxMembers} {strategy, params}, was ${JSON.stringify(params.members)?.slice(0, 80)}`);
    }
    for (const member of params.members) {
      if (typeof member?.strategy !== 'string' || member.strategy === 'fusion') {
        throw new OctopusError('ERR_STRATEGY_BAD_PARAMS', `expected each member to name a built-in strategy other than fusion, was ${JSON.stringify(member)?.slice(0, 80)}`);
      }
    }
    integerParam(params, 'lookback', 2, 10_000);
    numberParam(params, 'step', 0.001, 1);
  }

  private members: Strategy<object>[] = [];
  private readonly tracks = new PerSymbol<MemberTrack[]>(() => this.members.map(() => new MemberTrack(this.params.lookback)));
  /** Targets each member set while handling the current event, by member index. */
  private readonly pending = new Map<number, Map<string, number>>();

  override onStart(): void {
    this.members = this.params.members.map((member, index) => {
      const strategy = instantiateStrategy(member.strategy, member.params ?? {});
      strategy.ctx = this.memberContext(index);
      return strategy;
    });
    for (const member of this.members) member.onStart();
  }

  /** The parent's context, except that signals are recorded and orders refused. */
  private memberContext(index: number): StrategyContext {
    const refuse = (): never => {
      throw new OctopusError('ERR_STRATEGY_BAD_ORDER', 'expected fusion members to trade through signals only, was an order');
    };
    return {
      ...this.ctx,
      name: `${this.ctx.name}.${index}`,
      submit: refuse,
      cancel: refuse,
      replace: refuse,
      signal: (symbol: string, target: number) => {
        let targets = this.pending.get(index);
        if (targets === undefined) this.pending.set(index, (targets = new Map()));
        targets.set(symbol, target);
      },
    };
  }

  override onBar(bar: BarEvent): void {
    const tracks = this.tracks.get(bar.symbol);
    for (const track of tracks) track.record(bar.close);
    for (const member of this.members) member.onBar(bar);
    this.fuse(bar.symbol);
  }

  override onTrade(trade: TradeTick): void {
    for (const member of this.members) member.onTrade(trade);
  }

  override onQuote(quote: QuoteTick): void {
    for (const member of this.members) member.onQuote(quote);
  }

  override onStop(): void {
    for (const member of this.members) member.onStop();
  }

  /** Applies the members' new targets and signals the weighted one for every symbol touched. */
  private fuse(current: string): void {
    const touched = new Set<string>([current]);
    for (const [index, targets] of this.pending) {
      for (const [symbol, target] of targets) {
        this.tracks.get(symbol)[index]!.target = target;
        touched.add(symbol);
      }
    }
    this.pending.clear();
    for (const symbol of touched) {
      const tracks = this.tracks.get(symbol);
      const scores = tracks.map((track) => track.score());
      const total = scores.reduce((sum, score) => sum + score, 0);
      let fused = 0;
      tracks.forEach((track, index) => {
        fused += (total > 0 ? scores[index]! / total : 1 / tracks.length) * track.target;
      });
      const step = this.params.step;
      this.ctx.signal(symbol, Math.max(-1, Math.min(1, Math.round(fused / step) * step)) + 0);
    }
  }
}
