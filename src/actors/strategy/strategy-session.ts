/**
 * One strategy trading through M7 execution: the host (strategy-host.ts) plus a router that turns its
 * orders into SubmitOrder / CancelOrder / ReplaceOrder commands, and a tracker that turns the execution
 * reports back into order updates and fills. The live strategy actor and the backtester's seeded
 * simulated-exchange run both drive strategies through this class; they differ only in the
 * `ExecutionPort` (actor requests over the rings, or direct calls into an ExecutionCore), so the same
 * strategy on the same seeded exchange makes the same orders and gets the same fills.
 *
 * Protocol per market-data batch: `onMarketData` (the strategy reacts; its commands go out at once),
 * then every `onReports` that follows, then `settle()` resolves once every command sent has been
 * answered. The strategy's clock reads the venue time of the data it is handling, so timers and bars
 * from trades are deterministic in both places.
 */
import { OctopusError } from '../../engine/errors.js';
import { SimulatedClock } from '../../engine/clock.js';
import type { Logger } from '../../engine/logger.js';
import type { CancelOrder, ExecutionReports, MarketDataBatch, OrderRecord, ReplaceOrder, SubmitOrder, SubmitResult } from '../../engine/messages.js';
import { PositionSizer, type SizingSpec } from './sizing.js';
import type { Strategy } from './strategy-api.js';
import { StrategyHost, type OrderRouter, type RoutedOrder } from './strategy-host.js';

export interface ExecutionPort {
  submit(body: SubmitOrder): Promise<SubmitResult>;
  cancel(body: CancelOrder): Promise<OrderRecord>;
  replace(body: ReplaceOrder): Promise<OrderRecord>;
}

export interface SessionOptions {
  name: string;
  strategy: Strategy<object>;
  port: ExecutionPort;
  logger: Logger;
  startingCash: number;
  /** Lot size per symbol (quantities are rounded down to it). */
  lotSizes: ReadonlyMap<string, number>;
  /** Pre-trade risk's price collar (market buys are bounded by last × (1 + collar)) plus the taker fee. */
  sizingFeeRate: number;
  sizing?: SizingSpec;
  /** Only these symbols' data reaches the strategy (all when empty). */
  symbols?: readonly string[];
  /** Trades fold into bars of this interval for onBar; 0 = none. */
  barIntervalMs: number;
}

/** Turns order records (cumulative filled qty and average price) into fills, once per increment. */
class RecordTracker {
  private readonly filled = new Map<string, { qty: number; notional: number; status: string }>();
  private readonly fees = new Map<string, number>();

  constructor(private readonly host: StrategyHost, private readonly account: string) {}

  /** Fees paid per symbol so far, from the positions of the account (fills take the increase). */
  private feeIncrease(reports: ExecutionReports, symbol: string): number {
    for (const report of reports.positions) {
      if (report.account !== this.account) continue;
      for (const position of report.positions) {
        if (position.symbol !== symbol) continue;
        const before = this.fees.get(symbol) ?? 0;
        this.fees.set(symbol, position.feesPaid);
        return position.feesPaid - before;
      }
    }
    return 0;
  }

  apply(reports: ExecutionReports): void {
    for (const record of reports.orders) {
      if (record.account !== this.account) continue;
      const known = this.filled.get(record.client_order_id) ?? { qty: 0, notional: 0, status: 'new' };
      if (record.filled_qty > known.qty + 1e-12 && record.filled_avg_price !== null) {
        const notional = record.filled_qty * record.filled_avg_price;
        const qty = record.filled_qty - known.qty;
        const price = (notional - known.notional) / qty;
        known.qty = record.filled_qty;
        known.notional = notional;
        this.host.fill({ clientOrderId: record.client_order_id, symbol: record.symbol, side: record.side, price, qty, fee: this.feeIncrease(reports, record.symbol), timeMs: record.updated_at });
      }
      if (record.status !== known.status) {
        known.status = record.status;
        this.host.orderUpdate({
          clientOrderId: record.client_order_id,
          symbol: record.symbol,
          side: record.side,
          status: record.status,
          qty: record.qty,
          filledQty: record.filled_qty,
          avgPrice: record.filled_avg_price,
          reason: record.reject_reason,
          timeMs: record.updated_at,
        });
      }
      if (record.status === 'filled' || record.status === 'canceled' || record.status === 'expired' || record.status === 'rejected') this.filled.delete(record.client_order_id);
      else this.filled.set(record.client_order_id, known);
    }
  }
}

class ExecutionRouter implements OrderRouter {
  readonly resolvesAtFill = false;
  readonly inFlight = new Set<Promise<unknown>>();
  /** client order id -> execution order id, once known. */
  private readonly orderIds = new Map<string, number>();
  host!: StrategyHost;

  constructor(
    private readonly port: ExecutionPort,
    private readonly account: string,
    private readonly lotSizes: ReadonlyMap<string, number>,
    readonly sizingFeeRate: number,
    private readonly clock: SimulatedClock,
  ) {}

  roundQty(symbol: string, qty: number): number {
    const lot = this.lotSizes.get(symbol) ?? 1;
    return Math.floor(qty / lot + 1e-9) * lot;
  }

  private track<T>(promise: Promise<T>, onError: (error: unknown) => void): void {
    const settled = promise.then(
      () => undefined,
      (error: unknown) => onError(error),
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  submit(order: RoutedOrder): void {
    const body: SubmitOrder = {
      account: this.account,
      clientOrderId: order.clientOrderId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      qty: order.qty,
      limitPrice: order.limitPrice,
      stopPrice: order.stopPrice,
      timeInForce: order.timeInForce,
      postOnly: false,
    };
    this.track(
      this.port.submit(body).then((result) => this.orderIds.set(order.clientOrderId, Number(result.order.id))),
      (error) => {
        // Refused before the book (risk, compliance, grids): the order never existed there.
        const reason = error instanceof OctopusError ? error.code : 'ERR_INTERNAL';
        this.host.orderUpdate({ clientOrderId: order.clientOrderId, symbol: order.symbol, side: order.side, status: 'rejected', qty: order.qty, filledQty: 0, avgPrice: null, reason, timeMs: this.clock.nowMs() });
      },
    );
  }

  cancel(clientOrderId: string): void {
    const orderId = this.orderIds.get(clientOrderId);
    if (orderId === undefined) throw new OctopusError('ERR_STRATEGY_UNKNOWN_ORDER', `expected an order the venue has acknowledged, was ${JSON.stringify(clientOrderId)} (still in flight)`);
    this.track(this.port.cancel({ account: this.account, orderId }), (error) => this.host.context.logger.warn({ err: error, clientOrderId }, 'cancel refused'));
  }

  replace(clientOrderId: string, change: { qty?: number; limitPrice?: number; stopPrice?: number }): void {
    const orderId = this.orderIds.get(clientOrderId);
    if (orderId === undefined) throw new OctopusError('ERR_STRATEGY_UNKNOWN_ORDER', `expected an order the venue has acknowledged, was ${JSON.stringify(clientOrderId)} (still in flight)`);
    this.track(this.port.replace({ account: this.account, orderId, ...change }), (error) => this.host.context.logger.warn({ err: error, clientOrderId }, 'replace refused'));
  }
}

export class StrategySession {
  readonly host: StrategyHost;
  readonly clock: SimulatedClock;
  private readonly router: ExecutionRouter;
  private readonly tracker: RecordTracker;
  private readonly symbols: ReadonlySet<string> | null;
  /** The latest venue time handled (what the lockstep acknowledgement carries). */
  handledThroughMs = Number.NEGATIVE_INFINITY;

  constructor(readonly options: SessionOptions) {
    const account = `strategy:${options.name}`;
    this.clock = new SimulatedClock(0);
    this.router = new ExecutionRouter(options.port, account, options.lotSizes, options.sizingFeeRate, this.clock);
    this.host = new StrategyHost(options.strategy, {
      name: options.name,
      account,
      clock: this.clock,
      logger: options.logger,
      router: this.router,
      sizer: new PositionSizer(options.sizing ?? { kind: 'all_in' }),
      startingCash: options.startingCash,
      barIntervalMs: options.barIntervalMs,
    });
    this.router.host = this.host;
    this.tracker = new RecordTracker(this.host, account);
    this.symbols = options.symbols === undefined || options.symbols.length === 0 ? null : new Set(options.symbols);
  }

  private moveClock(timeMs: number): void {
    if (timeMs > this.clock.nowMs()) this.clock.set(timeMs);
    this.host.advanceTo(this.clock.nowMs());
  }

  /** Trades then quotes of the batch, each in order (book deltas are not strategy events). */
  onMarketData(batch: MarketDataBatch): void {
    for (const trade of batch.trades) {
      if (this.symbols !== null && !this.symbols.has(trade.symbol)) continue;
      this.moveClock(trade.timeMs);
      this.host.trade({ symbol: trade.symbol, timeMs: trade.timeMs, price: trade.price, qty: trade.qty, side: trade.side });
    }
    for (const quote of batch.quotes) {
      if (this.symbols !== null && !this.symbols.has(quote.symbol)) continue;
      this.moveClock(quote.timeMs);
      this.host.quote({ symbol: quote.symbol, timeMs: quote.timeMs, bidPrice: quote.bidPrice, bidQty: quote.bidQty, askPrice: quote.askPrice, askQty: quote.askQty });
    }
    for (const list of [batch.trades, batch.quotes, batch.deltas]) for (const event of list) if (event.timeMs > this.handledThroughMs) this.handledThroughMs = event.timeMs;
  }

  onReports(reports: ExecutionReports): void {
    this.tracker.apply(reports);
  }

  /** Resolves once every command sent so far (and any sent meanwhile) has been answered. */
  async settle(): Promise<void> {
    while (this.router.inFlight.size > 0) await Promise.all([...this.router.inFlight]);
  }
}
