/**
 * The matching engine (src/actors/execution/order-book.ts) on one book under a realistic order mix:
 * 70 % limit orders added near the touch, 20 % cancels of live orders, 10 % marketable IOC orders that
 * reach up to four levels deep (sized off the liquidity they face; see takeQty). One operation is one order-entry call (add, cancel or take).
 *
 * The baseline is a naive book measured in the same run: one array of orders per side, re-sorted on every
 * insert, cancels by linear search and splice, matching by shifting the head off the array, and fills
 * returned as fresh objects. It implements the same price-time rules for this mix, and both books replay
 * the same recorded stream; before anything is timed the suite replays a prefix on both and checks that
 * they end with the same L2 book and traded quantity.
 *
 * A second baseline is a published library on the same stream: `hft-limit-order-book` (npm, a price-time
 * book on red-black trees of price levels, GTC/IOC/FOK, string order ids). It gets prices in ticks and
 * sizes in lots as plain numbers, and its order ids are preformatted strings (the library needs string
 * ids; formatting them is not its work). Its resulting L2 book is checked against ours on the same prefix.
 *
 * The stream is recorded once by driving a real OrderBook with a seeded generator (cancels pick a random
 * live order, adds are priced off the current touch), so every cancel in it hits a live order on replay.
 * Each measured call replays the next kBatch operations; at the end of the stream the book is rebuilt from
 * the start (inside the timed call, rare enough to touch only p99). p50/p99 are per operation: the
 * batch's divided by kBatch.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { OrderBook as HftOrderBook, Side as HftSide } from 'hft-limit-order-book';
import { OrderBook } from '../../src/actors/execution/book/order-book.js';
import type { Side, TickOrderRequest } from '../../src/actors/execution/book/order-types.js';
import { SeededRandom } from '../../src/engine/random.js';
import { measureCases, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kSuite = 'matching';
const kBatch = 1_000;
const kMidTicks = 10_000;
const kPrefillOps = 1_000;
const kVerifyOps = 20_000;
const kInstrument = { symbol: 'BENCH', tickSize: 0.01, lotSize: 1 };
const kBookOptions = { makerFeeBps: -0.5, takerFeeBps: 2.5, selfTradePrevention: 'none' as const };
const kAccounts = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];

const OpKind = { Add: 0, Cancel: 1, Take: 2 } as const;

/** A recorded order stream in flat arrays (no per-operation objects to chase while replaying). */
interface Stream {
  length: number;
  kind: Uint8Array;
  side: Uint8Array;
  priceTicks: Int32Array;
  qtyLots: Int32Array;
  /** Cancel target, or the account index of an add/take. */
  argument: Int32Array;
}

/** Live order ids with O(1) random pick and removal. */
class LiveSet {
  private readonly ids: number[] = [];
  private readonly indexOf = new Map<number, number>();

  get size(): number {
    return this.ids.length;
  }

  add(id: number): void {
    this.indexOf.set(id, this.ids.length);
    this.ids.push(id);
  }

  delete(id: number): void {
    const index = this.indexOf.get(id);
    if (index === undefined) return;
    const last = this.ids.pop()!;
    if (last !== id) {
      this.ids[index] = last;
      this.indexOf.set(last, index);
    }
    this.indexOf.delete(id);
  }

  pick(random: SeededRandom): number {
    return this.ids[random.nextInt(0, this.ids.length - 1)]!;
  }
}

/** Records `length` operations by driving a real book (the prefix is adds only, to give the book depth). */
function recordStream(length: number, seed: number): { stream: Stream; liveAtEnd: number; levelsAtEnd: number } {
  const random = new SeededRandom(seed);
  const book = new OrderBook(kInstrument, kBookOptions);
  const live = new LiveSet();
  const stream: Stream = {
    length,
    kind: new Uint8Array(length),
    side: new Uint8Array(length),
    priceTicks: new Int32Array(length),
    qtyLots: new Int32Array(length),
    argument: new Int32Array(length),
  };
  const request: TickOrderRequest = { account: '', side: 'buy', type: 'limit', qtyLots: 0, priceTicks: 0, timeInForce: 'gtc' };
  for (let index = 0; index < length; index++) {
    const roll = index < kPrefillOps ? 0 : random.nextFloat();
    const kind = roll < 0.7 || live.size === 0 ? OpKind.Add : roll < 0.9 ? OpKind.Cancel : OpKind.Take;
    stream.kind[index] = kind;
    if (kind === OpKind.Cancel) {
      const orderId = live.pick(random);
      stream.argument[index] = orderId;
      forget(book.cancel(orderId), live);
      continue;
    }
    const side: Side = random.nextFloat() < 0.5 ? 'buy' : 'sell';
    const account = random.nextInt(0, kAccounts.length - 1);
    const priceTicks = kind === OpKind.Add ? passivePrice(book, side, random) : aggressivePrice(book, side);
    const qtyLots = kind === OpKind.Add ? random.nextInt(1, 10) : takeQty(book, side, random);
    stream.side[index] = side === 'buy' ? 0 : 1;
    stream.priceTicks[index] = priceTicks;
    stream.qtyLots[index] = qtyLots;
    stream.argument[index] = account;
    Object.assign(request, { account: kAccounts[account]!, side, priceTicks, qtyLots, timeInForce: kind === OpKind.Add ? 'gtc' : 'ioc' });
    const events = book.submitTicks(request, index);
    forget(events, live);
    const orderId = book.ids.lastOrderId;
    if (book.hasOrder(orderId)) live.add(orderId);
  }
  return { stream, liveAtEnd: book.liveOrderCount, levelsAtEnd: book.snapshot().bids.length + book.snapshot().asks.length };
}

function forget(events: ReturnType<OrderBook['cancel']>, live: LiveSet): void {
  for (const event of events) if (event.kind === 'status' && event.status !== 'partially_filled') live.delete(event.orderId);
}

/** Near the touch on its own side: at the best, improving it by a tick, or a few ticks behind (never crossing). */
function passivePrice(book: OrderBook, side: Side, random: SeededRandom): number {
  const bid = book.bestBidTicks();
  const ask = book.bestAskTicks();
  const behind = Math.floor(-Math.log(1 - random.nextFloat()) * 3);
  if (side === 'buy') {
    const reference = bid ?? (ask ?? kMidTicks + 1) - 1;
    return Math.min(reference + 1 - behind, (ask ?? Number.MAX_SAFE_INTEGER) - 1);
  }
  const reference = ask ?? (bid ?? kMidTicks - 1) + 1;
  return Math.max(reference - 1 + behind, (bid ?? 0) + 1);
}

/**
 * A take is sized off the liquidity it faces (uniform up to 0.2 × the two best opposite levels), so takes
 * eat more when the book is deeper: this keeps the book's size stationary under a fixed 70/20/10 mix, where
 * cancels remove a fixed 0.2 orders per operation whatever the book's size. With this seed the book holds
 * 600-1000 live orders on 35-50 levels all along the 200k-operation stream.
 */
function takeQty(book: OrderBook, side: Side, random: SeededRandom): number {
  const levels = book.snapshot(2)[side === 'buy' ? 'asks' : 'bids'];
  const facing = levels.reduce((total, level) => total + level.qtyLots, 0);
  return Math.max(1, Math.round(random.nextFloat() * 0.2 * facing));
}

/** Three ticks through the opposite touch, so an IOC takes up to four levels. */
function aggressivePrice(book: OrderBook, side: Side): number {
  if (side === 'buy') return (book.bestAskTicks() ?? kMidTicks) + 3;
  return Math.max(1, (book.bestBidTicks() ?? kMidTicks) - 3);
}

// ---------------------------------------------------------------------------------------------------
// The naive baseline.

interface NaiveOrder {
  id: number;
  priceTicks: number;
  qtyLots: number;
  sequence: number;
}

interface NaiveFill {
  makerId: number;
  takerId: number;
  priceTicks: number;
  qtyLots: number;
}

const bidOrder = (a: NaiveOrder, b: NaiveOrder): number => b.priceTicks - a.priceTicks || a.sequence - b.sequence;
const askOrder = (a: NaiveOrder, b: NaiveOrder): number => a.priceTicks - b.priceTicks || a.sequence - b.sequence;

/** Price-time priority the obvious way: sorted arrays, best first, re-sorted on every insert. */
export class NaiveBook {
  readonly bids: NaiveOrder[] = [];
  readonly asks: NaiveOrder[] = [];
  lastOrderId = 0;
  tradedQtyLots = 0;
  private sequence = 0;

  submit(side: Side, priceTicks: number, qtyLots: number, immediateOrCancel: boolean): NaiveFill[] {
    const id = ++this.lastOrderId;
    const fills: NaiveFill[] = [];
    const opposite = side === 'buy' ? this.asks : this.bids;
    let remaining = qtyLots;
    while (remaining > 0 && opposite.length > 0) {
      const best = opposite[0]!;
      if (side === 'buy' ? best.priceTicks > priceTicks : best.priceTicks < priceTicks) break;
      const traded = Math.min(remaining, best.qtyLots);
      fills.push({ makerId: best.id, takerId: id, priceTicks: best.priceTicks, qtyLots: traded });
      best.qtyLots -= traded;
      remaining -= traded;
      this.tradedQtyLots += traded;
      if (best.qtyLots === 0) opposite.shift();
    }
    if (remaining > 0 && !immediateOrCancel) {
      const own = side === 'buy' ? this.bids : this.asks;
      own.push({ id, priceTicks, qtyLots: remaining, sequence: ++this.sequence });
      own.sort(side === 'buy' ? bidOrder : askOrder);
    }
    return fills;
  }

  cancel(id: number): boolean {
    for (const orders of [this.bids, this.asks]) {
      const index = orders.findIndex((order) => order.id === id);
      if (index >= 0) {
        orders.splice(index, 1);
        return true;
      }
    }
    return false;
  }

  /** Aggregated levels, best first, in the OrderBook snapshot's shape. */
  levels(orders: readonly NaiveOrder[]): Array<{ priceTicks: number; qtyLots: number; orderCount: number }> {
    const levels: Array<{ priceTicks: number; qtyLots: number; orderCount: number }> = [];
    for (const order of orders) {
      const last = levels[levels.length - 1];
      if (last !== undefined && last.priceTicks === order.priceTicks) {
        last.qtyLots += order.qtyLots;
        last.orderCount += 1;
      } else {
        levels.push({ priceTicks: order.priceTicks, qtyLots: order.qtyLots, orderCount: 1 });
      }
    }
    return levels;
  }
}

// ---------------------------------------------------------------------------------------------------
// Replayers: each owns a book and a cursor into the shared stream.

interface Replayer {
  /** Replays operations [from, to) of the stream. */
  replay(from: number, to: number): void;
  reset(): void;
}

class OrderBookReplayer implements Replayer {
  book = new OrderBook(kInstrument, kBookOptions);
  tradedQtyLots = 0;
  private readonly request: TickOrderRequest = { account: '', side: 'buy', type: 'limit', qtyLots: 0, priceTicks: 0, timeInForce: 'gtc' };
  private readonly decimalRequest = { account: '', side: 'buy' as Side, type: 'limit' as const, qty: 0, price: 0, timeInForce: 'gtc' as 'gtc' | 'ioc' };

  constructor(
    private readonly stream: Stream,
    private readonly decimal: boolean,
    private readonly countTrades = false,
  ) {}

  reset(): void {
    this.book = new OrderBook(kInstrument, kBookOptions);
    this.tradedQtyLots = 0;
  }

  replay(from: number, to: number): void {
    const { stream, book } = this;
    for (let index = from; index < to; index++) {
      const kind = stream.kind[index]!;
      let events;
      if (kind === OpKind.Cancel) {
        events = book.cancel(stream.argument[index]!);
      } else if (this.decimal) {
        const request = this.decimalRequest;
        request.account = kAccounts[stream.argument[index]!]!;
        request.side = stream.side[index] === 0 ? 'buy' : 'sell';
        request.price = book.grid.priceOf(stream.priceTicks[index]!);
        request.qty = book.grid.qtyOf(stream.qtyLots[index]!);
        request.timeInForce = kind === OpKind.Add ? 'gtc' : 'ioc';
        events = book.submit(request, index);
      } else {
        const request = this.request;
        request.account = kAccounts[stream.argument[index]!]!;
        request.side = stream.side[index] === 0 ? 'buy' : 'sell';
        request.priceTicks = stream.priceTicks[index]!;
        request.qtyLots = stream.qtyLots[index]!;
        request.timeInForce = kind === OpKind.Add ? 'gtc' : 'ioc';
        events = book.submitTicks(request, index);
      }
      if (this.countTrades) for (const event of events) if (event.kind === 'trade') this.tradedQtyLots += event.qtyLots;
    }
  }
}

class NaiveReplayer implements Replayer {
  book = new NaiveBook();

  constructor(private readonly stream: Stream) {}

  reset(): void {
    this.book = new NaiveBook();
  }

  replay(from: number, to: number): void {
    const { stream, book } = this;
    for (let index = from; index < to; index++) {
      const kind = stream.kind[index]!;
      if (kind === OpKind.Cancel) {
        if (!book.cancel(stream.argument[index]!)) throw new Error(`expected order ${stream.argument[index]} live in the naive book, was not`);
      } else {
        book.submit(stream.side[index] === 0 ? 'buy' : 'sell', stream.priceTicks[index]!, stream.qtyLots[index]!, kind === OpKind.Take);
      }
    }
  }
}

/** hft-limit-order-book replaying the stream; order ids are the same sequence as ours, as strings. */
class HftReplayer implements Replayer {
  book = new HftOrderBook();
  private lastOrderId = 0;
  private readonly idText: string[];

  constructor(private readonly stream: Stream) {
    // Every add and take takes the next id; cancels name one of those. Formatted once, outside the timing.
    this.idText = Array.from({ length: stream.length + 1 }, (_, id) => String(id));
  }

  reset(): void {
    this.book = new HftOrderBook();
    this.lastOrderId = 0;
  }

  replay(from: number, to: number): void {
    const { stream, book, idText } = this;
    for (let index = from; index < to; index++) {
      const kind = stream.kind[index]!;
      if (kind === OpKind.Cancel) {
        if (book.cancel(idText[stream.argument[index]!]!) === undefined) throw new Error(`expected order ${stream.argument[index]} live in hft-limit-order-book, was not`);
        continue;
      }
      const side = stream.side[index] === 0 ? HftSide.BUY : HftSide.SELL;
      const result = book.limit({ side, id: idText[++this.lastOrderId]!, size: stream.qtyLots[index]!, price: stream.priceTicks[index]!, timeInForce: (kind === OpKind.Take ? 'IOC' : 'GTC') as never });
      if (result.err !== null) throw new Error(`expected hft-limit-order-book to take order ${index}, was ${result.err.message}`);
    }
  }

  /** Levels as [priceTicks, qtyLots], best first. */
  levels(): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    const [asks, bids] = this.book.depth();
    return { bids: [...bids].sort((a, b) => b[0] - a[0]), asks: [...asks].sort((a, b) => a[0] - b[0]) };
  }
}

/** Both books replay the same prefix and must agree on the resulting book and traded quantity. */
function verify(stream: Stream, length: number): void {
  const ours = new OrderBookReplayer(stream, false, true);
  const naive = new NaiveReplayer(stream);
  ours.replay(0, length);
  naive.replay(0, length);
  const snapshot = ours.book.snapshot();
  deepStrictEqual(
    { bids: snapshot.bids, asks: snapshot.asks, traded: ours.tradedQtyLots },
    { bids: naive.book.levels(naive.book.bids), asks: naive.book.levels(naive.book.asks), traded: naive.book.tradedQtyLots },
    'OrderBook and the naive book disagree on the same stream',
  );
  ours.book.assertInvariants();
  const library = new HftReplayer(stream);
  library.replay(0, length);
  const pairs = (levels: ReadonlyArray<{ priceTicks: number; qtyLots: number }>): Array<[number, number]> => levels.map((level) => [level.priceTicks, level.qtyLots]);
  deepStrictEqual(library.levels(), { bids: pairs(snapshot.bids), asks: pairs(snapshot.asks) }, 'OrderBook and hft-limit-order-book disagree on the same stream');
}

/** A bench function: the next kBatch operations, rebuilding the book from the start at the stream's end. */
function batches(replayer: Replayer, stream: Stream): () => void {
  let cursor = stream.length;
  return () => {
    if (cursor + kBatch > stream.length) {
      replayer.reset();
      replayer.replay(0, kPrefillOps);
      cursor = kPrefillOps;
    }
    replayer.replay(cursor, cursor + kBatch);
    cursor += kBatch;
  };
}

async function run(options: BenchOptions): Promise<BenchRow[]> {
  const length = options.quick ? 12_000 : 200_000;
  const { stream, liveAtEnd, levelsAtEnd } = recordStream(length, 20_240_601);
  verify(stream, Math.min(length, kVerifyOps));
  if (process.env.OCTOPUS_BENCH_VERBOSE === '1') {
    process.stderr.write(`matching: ${length} operations recorded; at the end ${liveAtEnd} live orders on ${levelsAtEnd} levels\n`);
  }
  const baseline = 'naive sorted arrays';
  const rows = await measureCases(
    kSuite,
    [
      { name: baseline, fn: batches(new NaiveReplayer(stream), stream), unitsPerCall: kBatch },
      { name: 'hft-limit-order-book (npm)', fn: batches(new HftReplayer(stream), stream), unitsPerCall: kBatch },
      { name: 'OrderBook.submitTicks', fn: batches(new OrderBookReplayer(stream, false), stream), unitsPerCall: kBatch },
      { name: 'OrderBook.submit (decimal)', fn: batches(new OrderBookReplayer(stream, true), stream), unitsPerCall: kBatch },
    ],
    baseline,
    'order',
    options,
  );
  return rows.map((row) => ({
    ...row,
    p50_ns: row.p50_ns === null ? null : row.p50_ns / kBatch,
    p99_ns: row.p99_ns === null ? null : row.p99_ns / kBatch,
  }));
}

const suite: BenchSuite = {
  name: kSuite,
  description: 'order book on a 70/20/10 add/cancel/take mix vs a naive re-sorting book and hft-limit-order-book (npm)',
  run,
};

export default suite;
