import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, type BinaryFrameType, type BookPayload, type InstrumentScale, type QuotePayload, type TradePayload } from '../../../../src/gateway/ws/feed/codec.js';

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

interface Case {
  channel: string;
  seq: number;
  type: BinaryFrameType;
  scale: InstrumentScale;
  data: TradePayload | QuotePayload | BookPayload;
  /** What a decoder must return: the same values in whole ticks and lots. */
  expected: unknown;
}

const scales: InstrumentScale[] = [
  { tickSize: 0.01, lotSize: 1 },
  { tickSize: 0.05, lotSize: 0.001 },
  { tickSize: 0.25, lotSize: 100 },
  { tickSize: 1e-8, lotSize: 1e-8 },
];

function randomCase(random: () => number): Case {
  const seq = Math.floor(random() * Number.MAX_SAFE_INTEGER);
  const scale = scales[Math.floor(random() * scales.length)]!;
  // Values on the grid, as the engine's are: a whole number of steps times the step (float noise and all).
  const ticks = (): number => Math.floor(random() * 1e7);
  const lots = (): number => Math.floor(random() * 1e6);
  const price = (count: number): number => count * scale.tickSize;
  const qty = (count: number): number => count * scale.lotSize;
  const base = { seq, scale, tick_size: scale.tickSize, lot_size: scale.lotSize };
  const pick = Math.floor(random() * 4);
  if (pick === 0) {
    const [p, q] = [ticks(), lots()];
    const side = random() < 0.5 ? 'buy' : 'sell';
    const tradeId = random() < 0.5 ? `T-${Math.floor(random() * 1e9)}-é` : undefined;
    const time = Math.floor(random() * 2e12);
    const idField = tradeId === undefined ? {} : { trade_id: tradeId };
    return {
      ...base,
      channel: 'trades:ACME',
      type: 'trade',
      data: { price: price(p), qty: qty(q), side, ...idField, time_ms: time },
      expected: { channel: 'trades:ACME', seq, type: 'trade', tick_size: scale.tickSize, lot_size: scale.lotSize, data: { price_ticks: p, qty_lots: q, side, ...idField, time_ms: time } },
    } as Case;
  }
  if (pick === 1) {
    const [bp, bq, ap, aq] = [ticks(), lots(), ticks(), lots()];
    return {
      ...base,
      channel: 'quotes:ACME',
      type: 'quote',
      data: { bid_price: price(bp), bid_qty: qty(bq), ask_price: price(ap), ask_qty: qty(aq), time_ms: 0 },
      expected: { channel: 'quotes:ACME', seq, type: 'quote', tick_size: scale.tickSize, lot_size: scale.lotSize, data: { bid_price_ticks: bp, bid_qty_lots: bq, ask_price_ticks: ap, ask_qty_lots: aq, time_ms: 0 } },
    };
  }
  const levels = (): Array<[number, number]> => Array.from({ length: Math.floor(random() * 30) }, () => [ticks(), random() < 0.2 ? 0 : lots()]);
  const [bids, asks] = [levels(), levels()];
  const type = pick === 2 ? 'snapshot' : 'delta';
  return {
    ...base,
    channel: 'book:BRK.B',
    type,
    data: { bids: bids.map(([p, q]) => [price(p), qty(q)]), asks: asks.map(([p, q]) => [price(p), qty(q)]) },
    expected: { channel: 'book:BRK.B', seq, type, tick_size: scale.tickSize, lot_size: scale.lotSize, data: { bids, asks } },
  };
}

describe('FlatBuffers feed codec', () => {
  it('round-trips 500 random trade, quote and book frames as exact ticks and lots through the TS and the browser decoder', () => {
    const random = generator(7);
    for (let index = 0; index < 500; index++) {
      const frame = randomCase(random);
      const bytes = encodeFrame(frame.channel, frame.seq, frame.type, frame.data, frame.scale).slice();
      expect(decodeFrame(bytes), `case ${index} (TS decoder)`).toEqual(frame.expected);
      expect(decodeFeedFrame(bytes), `case ${index} (browser decoder)`).toEqual(frame.expected);
    }
  });

  it('encodes an empty book and a zero seq', () => {
    const bytes = encodeFrame('book:ACME', 0, 'snapshot', { bids: [], asks: [] }, { tickSize: 0.01, lotSize: 1 }).slice();
    expect(decodeFeedFrame(bytes)).toEqual({ channel: 'book:ACME', seq: 0, type: 'snapshot', tick_size: 0.01, lot_size: 1, data: { bids: [], asks: [] } });
  });

  const hostile: Array<[string, Uint8Array]> = [
    ['an empty message', new Uint8Array(0)],
    ['three bytes', new Uint8Array([1, 2, 3])],
  ];
  it.each(hostile)('the browser decoder throws on %s', (_name, bytes) => {
    expect(() => decodeFeedFrame(bytes)).toThrow(/expected/);
  });
});
