/**
 * Encodes and decodes the binary (FlatBuffers) /ws frames for trades, quotes and book channels. The
 * schema is feed.fbs beside this file; the classes under generated/ come from flatc and are committed
 * (scripts/flatc-feed.sh). Binary frames carry exact integers: prices in ticks, quantities in lots of the
 * instrument, with its tick and lot size in the frame.
 * One Builder is reused for every frame (STYLE rule 2): `encodeFrame` returns a view into it that is
 * valid until the next call, which is enough because uWS copies what it sends or publishes.
 */
import * as flatbuffers from 'flatbuffers';
import { Body, Book, Frame, FrameType, Level, Quote, Side, Trade } from './generated/feed_generated.js';

export type PriceLevel = [price: number, qty: number];

/** What the engine publishes (decimals, as the JSON frames); the encoder turns them into ticks and lots. */
export interface TradePayload {
  price: number;
  qty: number;
  side: 'buy' | 'sell';
  trade_id?: string;
  time_ms: number;
}

export interface QuotePayload {
  bid_price: number;
  bid_qty: number;
  ask_price: number;
  ask_qty: number;
  time_ms: number;
}

/** A snapshot (levels best first) or a delta (changed levels only; qty 0 removes a level). */
export interface BookPayload {
  bids: PriceLevel[];
  asks: PriceLevel[];
}

export type BinaryFrameType = 'snapshot' | 'delta' | 'trade' | 'quote';

/** The instrument's steps: a binary frame carries prices in ticks and quantities in lots of these. */
export interface InstrumentScale {
  tickSize: number;
  lotSize: number;
}

/** Levels as they travel: [price_ticks, qty_lots]. */
export type TickLevel = [priceTicks: number, qtyLots: number];

export interface TradeTicks {
  price_ticks: number;
  qty_lots: number;
  side: 'buy' | 'sell';
  trade_id?: string;
  time_ms: number;
}

export interface QuoteTicks {
  bid_price_ticks: number;
  bid_qty_lots: number;
  ask_price_ticks: number;
  ask_qty_lots: number;
  time_ms: number;
}

export interface BookTicks {
  bids: TickLevel[];
  asks: TickLevel[];
}

/** A decoded binary frame: integers as sent, and the steps that turn them into decimals (price = price_ticks * tick_size). */
export interface DecodedFrame {
  channel: string;
  seq: number;
  type: BinaryFrameType;
  tick_size: number;
  lot_size: number;
  data: TradeTicks | QuoteTicks | BookTicks;
}

/**
 * The whole number of steps in `value`. Engine prices sit on the tick grid (the book matches in ticks),
 * so the division is a whole number up to float noise; rounding removes the noise.
 */
function steps(value: number, step: number): bigint {
  return BigInt(Math.round(value / step));
}

const frameTypes: Record<BinaryFrameType, FrameType> = {
  snapshot: FrameType.Snapshot,
  delta: FrameType.Delta,
  trade: FrameType.Trade,
  quote: FrameType.Quote,
};

const kInitialBuilderBytes = 4_096;
const builder = new flatbuffers.Builder(kInitialBuilderBytes);

function levelVector(levels: readonly PriceLevel[], scale: InstrumentScale): number {
  // Structs in a vector are written back to front.
  builder.startVector(16, levels.length, 8);
  for (let index = levels.length - 1; index >= 0; index--) {
    const level = levels[index]!;
    Level.createLevel(builder, steps(level[0], scale.tickSize), steps(level[1], scale.lotSize));
  }
  return builder.endVector();
}

function encodeBody(type: BinaryFrameType, payload: unknown, scale: InstrumentScale): { bodyType: Body; body: number } {
  if (type === 'trade') {
    const trade = payload as TradePayload;
    const tradeId = trade.trade_id === undefined ? 0 : builder.createString(trade.trade_id);
    Trade.startTrade(builder);
    Trade.addPriceTicks(builder, steps(trade.price, scale.tickSize));
    Trade.addQtyLots(builder, steps(trade.qty, scale.lotSize));
    Trade.addSide(builder, trade.side === 'sell' ? Side.Sell : Side.Buy);
    if (tradeId !== 0) Trade.addTradeId(builder, tradeId);
    Trade.addTimeMs(builder, trade.time_ms);
    return { bodyType: Body.Trade, body: Trade.endTrade(builder) };
  }
  if (type === 'quote') {
    const quote = payload as QuotePayload;
    const body = Quote.createQuote(builder, steps(quote.bid_price, scale.tickSize), steps(quote.bid_qty, scale.lotSize), steps(quote.ask_price, scale.tickSize), steps(quote.ask_qty, scale.lotSize), quote.time_ms);
    return { bodyType: Body.Quote, body };
  }
  const book = payload as BookPayload;
  const bids = levelVector(book.bids, scale);
  const asks = levelVector(book.asks, scale);
  return { bodyType: Body.Book, body: Book.createBook(builder, bids, asks) };
}

/** Encodes one frame, prices in ticks and quantities in lots of `scale`; the bytes are valid until the next call. */
export function encodeFrame(channel: string, seq: number, type: BinaryFrameType, payload: unknown, scale: InstrumentScale): Uint8Array {
  builder.clear();
  const { bodyType, body } = encodeBody(type, payload, scale);
  const channelOffset = builder.createString(channel);
  Frame.startFrame(builder);
  Frame.addChannel(builder, channelOffset);
  Frame.addSeq(builder, BigInt(seq));
  Frame.addType(builder, frameTypes[type]);
  Frame.addBodyType(builder, bodyType);
  Frame.addBody(builder, body);
  Frame.addTickSize(builder, scale.tickSize);
  Frame.addLotSize(builder, scale.lotSize);
  builder.finish(Frame.endFrame(builder));
  return builder.asUint8Array();
}

function decodeLevels(count: number, at: (index: number) => Level | null): TickLevel[] {
  const levels: TickLevel[] = [];
  for (let index = 0; index < count; index++) {
    const level = at(index)!;
    levels.push([Number(level.priceTicks()), Number(level.qtyLots())]);
  }
  return levels;
}

const typeNames: Record<number, BinaryFrameType> = { [FrameType.Snapshot]: 'snapshot', [FrameType.Delta]: 'delta', [FrameType.Trade]: 'trade', [FrameType.Quote]: 'quote' };

/**
 * Decodes one binary frame (tests and Node clients; browsers use web/feed-decoder.js).
 * @throws Error when the bytes are not a Frame with a known body.
 */
export function decodeFrame(bytes: Uint8Array): DecodedFrame {
  const frame = Frame.getRootAsFrame(new flatbuffers.ByteBuffer(bytes));
  const type = typeNames[frame.type()];
  if (type === undefined) throw new Error(`expected a known frame type, was ${frame.type()}`);
  const base = { channel: frame.channel() ?? '', seq: Number(frame.seq()), type, tick_size: frame.tickSize(), lot_size: frame.lotSize() };
  switch (frame.bodyType()) {
    case Body.Trade: {
      const trade = frame.body(new Trade()) as Trade;
      const tradeId = trade.tradeId();
      return {
        ...base,
        data: { price_ticks: Number(trade.priceTicks()), qty_lots: Number(trade.qtyLots()), side: trade.side() === Side.Sell ? 'sell' : 'buy', ...(tradeId === null ? {} : { trade_id: tradeId }), time_ms: trade.timeMs() },
      };
    }
    case Body.Quote: {
      const quote = frame.body(new Quote()) as Quote;
      return {
        ...base,
        data: { bid_price_ticks: Number(quote.bidPriceTicks()), bid_qty_lots: Number(quote.bidQtyLots()), ask_price_ticks: Number(quote.askPriceTicks()), ask_qty_lots: Number(quote.askQtyLots()), time_ms: quote.timeMs() },
      };
    }
    case Body.Book: {
      const book = frame.body(new Book()) as Book;
      return { ...base, data: { bids: decodeLevels(book.bidsLength(), (index) => book.bids(index)), asks: decodeLevels(book.asksLength(), (index) => book.asks(index)) } };
    }
    default:
      throw new Error(`expected a Trade, Quote or Book body, was body type ${frame.bodyType()}`);
  }
}
