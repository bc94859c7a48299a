import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type BinaryFrameType, type BookPayload, type QuotePayload, type TradePayload } from '../../../../src/gateway/ws/feed/codec.js';

type Decoder = (bytes: Uint8Array) => unknown;
// The browser decoder is plain JS without type declarations: a non-literal specifier keeps tsc out of it.
const browserDecoderPath: string = '../../../../web/feed-decoder.js';
const { decodeFeedFrame } = (await import(browserDecoderPath)) as { decodeFeedFrame: Decoder };

/** A deterministic generator (LCG), so a failing case reproduces. */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function randomCase(random: () => number): { channel: string; seq: number; type: BinaryFrameType; data: TradePayload | QuotePayload | BookPayload } {
  const seq = Math.floor(random() * Number.MAX_SAFE_INTEGER);
  const price = (): number => Math.round(random() * 1e6) / 100;
  const pick = Math.floor(random() * 4);
  if (pick === 0) {
    const trade: TradePayload = { price: price(), qty: price(), side: random() < 0.5 ? 'buy' : 'sell', time_ms: Math.floor(random() * 2e12) };
    if (random() < 0.5) trade.trade_id = `T-${Math.floor(random() * 1e9)}-é`;
    return { channel: 'trades:ACME', seq, type: 'trade', data: { price: trade.price, qty: trade.qty, side: trade.side, ...(trade.trade_id === undefined ? {} : { trade_id: trade.trade_id }), time_ms: trade.time_ms } };
  }
  if (pick === 1) return { channel: 'quotes:ACME', seq, type: 'quote', data: { bid_price: price(), bid_qty: price(), ask_price: price(), ask_qty: price(), time_ms: 0 } };
  const levels = (): Array<[number, number]> => Array.from({ length: Math.floor(random() * 30) }, () => [price(), random() < 0.2 ? 0 : price()]);
  return { channel: 'book:BRK.B', seq, type: pick === 2 ? 'snapshot' : 'delta', data: { bids: levels(), asks: levels() } };
}

describe('FlatBuffers feed codec', () => {
  it('round-trips 500 random trade, quote and book frames through the TS decoder and the browser decoder', () => {
    const random = generator(7);
    for (let index = 0; index < 500; index++) {
      const frame = randomCase(random);
      const bytes = encodeFrame(frame.channel, frame.seq, frame.type, frame.data).slice();
      expect(decodeFrame(bytes), `case ${index} (TS decoder)`).toEqual(frame);
      expect(decodeFeedFrame(bytes), `case ${index} (browser decoder)`).toEqual(frame);
    }
  });

  it('encodes an empty book and a zero seq', () => {
    const bytes = encodeFrame('book:ACME', 0, 'snapshot', { bids: [], asks: [] }).slice();
    expect(decodeFeedFrame(bytes)).toEqual({ channel: 'book:ACME', seq: 0, type: 'snapshot', data: { bids: [], asks: [] } });
  });

  const hostile: Array<[string, Uint8Array]> = [
    ['an empty message', new Uint8Array(0)],
    ['three bytes', new Uint8Array([1, 2, 3])],
  ];
  it.each(hostile)('the browser decoder throws on %s', (_name, bytes) => {
    expect(() => decodeFeedFrame(bytes)).toThrow(/expected/);
  });
});
