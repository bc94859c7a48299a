/**
 * Encodes and decodes the binary (FlatBuffers) /ws frames for trades, quotes and book channels. The
 * schema is feed.fbs beside this file; the classes under generated/ come from flatc and are committed.
 * One Builder is reused for every frame (STYLE rule 2): `encodeFrame` returns a view into it that is
 * valid until the next call, which is enough because uWS copies what it sends or publishes.
 */
import * as flatbuffers from 'flatbuffers';
import { Body, Book, Frame, FrameType, Level, Quote, Side, Trade } from './generated/feed_generated.js';

export type PriceLevel = [price: number, qty: number];

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

export interface DecodedFrame {
  channel: string;
  seq: number;
  type: BinaryFrameType;
  data: TradePayload | QuotePayload | BookPayload;
}

const frameTypes: Record<BinaryFrameType, FrameType> = {
  snapshot: FrameType.Snapshot,
  delta: FrameType.Delta,
  trade: FrameType.Trade,
  quote: FrameType.Quote,
};

const kInitialBuilderBytes = 4_096;
const builder = new flatbuffers.Builder(kInitialBuilderBytes);

function levelVector(levels: readonly PriceLevel[]): number {
  // Structs in a vector are written back to front.
  builder.startVector(16, levels.length, 8);
  for (let index = levels.length - 1; index >= 0; index--) {
    const level = levels[index]!;
    Level.createLevel(builder, level[0], level[1]);
  }
  return builder.endVector();
}

function encodeBody(type: BinaryFrameType, payload: unknown): { bodyType: Body; body: number } {
  if (type === 'trade') {
    const trade = payload as TradePayload;
    const tradeId = trade.trade_id === undefined ? 0 : builder.createString(trade.trade_id);
    Trade.startTrade(builder);
    Trade.addPrice(builder, trade.price);
    Trade.addQty(builder, trade.qty);
    Trade.addSide(builder, trade.side === 'sell' ? Side.Sell : Side.Buy);
    if (tradeId !== 0) Trade.addTradeId(builder, tradeId);
    Trade.addTimeMs(builder, trade.time_ms);
    return { bodyType: Body.Trade, body: Trade.endTrade(builder) };
  }
  if (type === 'quote') {
    const quote = payload as QuotePayload;
    return { bodyType: Body.Quote, body: Quote.createQuote(builder, quote.bid_price, quote.bid_qty, quote.ask_price, quote.ask_qty, quote.time_ms) };
  }
  const book = payload as BookPayload;
  const bids = levelVector(book.bids);
  const asks = levelVector(book.asks);
  return { bodyType: Body.Book, body: Book.createBook(builder, bids, asks) };
}

/** Encodes one frame; the returned bytes are valid until the next call. */
export function encodeFrame(channel: string, seq: number, type: BinaryFrameType, payload: unknown): Uint8Array {
  builder.clear();
  const { bodyType, body } = encodeBody(type, payload);
  const channelOffset = builder.createString(channel);
  Frame.startFrame(builder);
  Frame.addChannel(builder, channelOffset);
  Frame.addSeq(builder, BigInt(seq));
  Frame.addType(builder, frameTypes[type]);
  Frame.addBodyType(builder, bodyType);
  Frame.addBody(builder, body);
  builder.finish(Frame.endFrame(builder));
  return builder.asUint8Array();
}

function decodeLevels(count: number, at: (index: number) => Level | null): PriceLevel[] {
  const levels: PriceLevel[] = [];
  for (let index = 0; index < count; index++) {
    const level = at(index)!;
    levels.push([level.price(), level.qty()]);
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
  const base = { channel: frame.channel() ?? '', seq: Number(frame.seq()), type };
  switch (frame.bodyType()) {
    case Body.Trade: {
      const trade = frame.body(new Trade()) as Trade;
      const tradeId = trade.tradeId();
      return {
        ...base,
        data: { price: trade.price(), qty: trade.qty(), side: trade.side() === Side.Sell ? 'sell' : 'buy', ...(tradeId === null ? {} : { trade_id: tradeId }), time_ms: trade.timeMs() },
      };
    }
    case Body.Quote: {
      const quote = frame.body(new Quote()) as Quote;
      return { ...base, data: { bid_price: quote.bidPrice(), bid_qty: quote.bidQty(), ask_price: quote.askPrice(), ask_qty: quote.askQty(), time_ms: quote.timeMs() } };
    }
    case Body.Book: {
      const book = frame.body(new Book()) as Book;
      return { ...base, data: { bids: decodeLevels(book.bidsLength(), (index) => book.bids(index)), asks: decodeLevels(book.asksLength(), (index) => book.asks(index)) } };
    }
    default:
      throw new Error(`expected a Trade, Quote or Book body, was body type ${frame.bodyType()}`);
  }
}
