/**
 * Encoding and decoding of ring messages: our Codec (24-byte envelope + msgpackr body with the
 * catalogue's shared record structures) against JSON, for a Trade and a Bar body. One operation is one
 * message.
 *
 * The JSON baseline does the same job end to end, to bytes: it writes the same 24-byte envelope, then
 * `JSON.stringify` + `TextEncoder.encodeInto` into a preallocated buffer (our codec also writes into a
 * reused buffer); decoding reads the envelope with the same `decodeEnvelope`, then `TextDecoder.decode` +
 * `JSON.parse`. Bodies are built with their keys in the catalogue's declared order, as the engine does.
 *
 * Each measured call handles a batch of messages, because one call of well under a microsecond is
 * dominated by the timer reads around it; p50/p99 are per message: the batch's p50/p99 divided by its
 * size (so p99 is the p99 of batch means, which hides single slow messages inside a batch).
 */
import { deepStrictEqual } from 'node:assert/strict';
import { Codec, Envelope, kEnvelopeBytes, MessageFlags, type EnvelopeFields } from '../../src/engine/codec.js';
import { MessageType, type Bar, type Trade } from '../../src/engine/messages.js';
import { measureCases, type BenchOptions, type BenchRow, type BenchSuite } from '../lib.js';

const kSuite = 'codec';
const kMessagesPerCall = 100;

const trade: Trade = { symbol: 'BTCUSDT', price: 67_123.45, qty: 0.0123, side: 'buy', tradeId: 3_912_345_678, timeMs: 1_717_171_717_123 };
const bar: Bar = {
  symbol: 'BTCUSDT',
  intervalMs: 60_000,
  startMs: 1_717_171_680_000,
  open: 67_100.1,
  high: 67_150.5,
  low: 67_080.25,
  close: 67_123.45,
  volume: 12.345_6,
  vwap: 67_111.78,
  trades: 1_234,
};

function envelopeFields(type: MessageType): EnvelopeFields {
  const tsNs = 1_717_171_717_123_456_789;
  const tsHigh = Math.floor(tsNs / 4_294_967_296);
  return { type, source: 3, flags: MessageFlags.None, seq: 42, corr: 0, tsHigh, tsLow: tsNs - tsHigh * 4_294_967_296 };
}

/** JSON to bytes behind the same envelope, into one reused buffer (as the codec does). */
class JsonCodec {
  private readonly buffer = new Uint8Array(64 * 1024);
  private readonly view = new DataView(this.buffer.buffer);
  private readonly body = this.buffer.subarray(kEnvelopeBytes);
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  /** @returns the encoded length; the bytes are `bytes()` up to it, valid until the next encode. */
  encode(fields: EnvelopeFields, body: unknown): number {
    const view = this.view;
    view.setUint16(0, fields.type, true);
    view.setUint16(2, fields.source, true);
    view.setUint32(4, fields.flags, true);
    view.setUint32(8, fields.seq, true);
    view.setUint32(12, fields.corr, true);
    view.setUint32(16, fields.tsHigh, true);
    view.setUint32(20, fields.tsLow, true);
    const { read, written } = this.encoder.encodeInto(JSON.stringify(body), this.body);
    if (read === undefined || written === undefined) throw new Error('expected encodeInto to report its progress, was undefined');
    return kEnvelopeBytes + written;
  }

  bytes(): Uint8Array {
    return this.buffer;
  }

  decodeBody(data: Uint8Array, offset: number, length: number): unknown {
    return JSON.parse(this.decoder.decode(data.subarray(offset + kEnvelopeBytes, offset + length)));
  }
}

interface Prepared {
  codecBytes: Uint8Array;
  jsonBytes: Uint8Array;
}

/** Encodes `body` both ways into stable copies and checks that both decode back to it. */
function prepare(codec: Codec, json: JsonCodec, type: MessageType, body: object): Prepared {
  const codecBytes = codec.encode(envelopeFields(type), body).slice();
  const jsonBytes = json.bytes().slice(0, json.encode(envelopeFields(type), body));
  deepStrictEqual(codec.decodeBody(codecBytes, 0, codecBytes.length), body, 'codec round trip');
  deepStrictEqual(json.decodeBody(jsonBytes, 0, jsonBytes.length), body, 'JSON round trip');
  return { codecBytes, jsonBytes };
}

const sizeCodec = new Codec();
const sizeJson = new JsonCodec();
const tradeSizes = prepare(sizeCodec, sizeJson, MessageType.Trade, trade);
const barSizes = prepare(sizeCodec, sizeJson, MessageType.Bar, bar);

function repeat(fn: () => unknown): () => unknown {
  return () => {
    let last: unknown;
    for (let index = 0; index < kMessagesPerCall; index++) last = fn();
    return last;
  };
}

/** Per-message p50/p99 from per-batch timings. */
function perMessage(rows: BenchRow[]): BenchRow[] {
  return rows.map((row) => ({
    ...row,
    p50_ns: row.p50_ns === null ? null : row.p50_ns / kMessagesPerCall,
    p99_ns: row.p99_ns === null ? null : row.p99_ns / kMessagesPerCall,
  }));
}

async function measureBody(name: string, type: MessageType, body: object, options: BenchOptions): Promise<BenchRow[]> {
  const codec = new Codec();
  const json = new JsonCodec();
  const { codecBytes, jsonBytes } = prepare(codec, json, type, body);
  const fields = envelopeFields(type);
  const envelope = new Envelope();
  const unitsPerCall = kMessagesPerCall;
  const encodeRows = await measureCases(
    kSuite,
    [
      { name: `${name} encode json`, fn: repeat(() => json.encode(fields, body)), unitsPerCall },
      { name: `${name} encode codec`, fn: repeat(() => codec.encode(fields, body)), unitsPerCall },
    ],
    `${name} encode json`,
    'msg',
    options,
  );
  const decodeRows = await measureCases(
    kSuite,
    [
      {
        name: `${name} decode json`,
        fn: repeat(() => (codec.decodeEnvelope(jsonBytes, 0, jsonBytes.length, envelope), json.decodeBody(jsonBytes, 0, jsonBytes.length))),
        unitsPerCall,
      },
      {
        name: `${name} decode codec`,
        fn: repeat(() => (codec.decodeEnvelope(codecBytes, 0, codecBytes.length, envelope), codec.decodeBody(codecBytes, 0, codecBytes.length))),
        unitsPerCall,
      },
    ],
    `${name} decode json`,
    'msg',
    options,
  );
  return perMessage([...encodeRows, ...decodeRows]);
}

const suite: BenchSuite = {
  name: kSuite,
  description:
    `Codec (envelope + msgpackr records) vs JSON + TextEncoder/TextDecoder, per message. Encoded sizes incl. the ${kEnvelopeBytes}-byte envelope: ` +
    `Trade ${tradeSizes.codecBytes.length} B (JSON ${tradeSizes.jsonBytes.length} B), Bar ${barSizes.codecBytes.length} B (JSON ${barSizes.jsonBytes.length} B)`,
  async run(options: BenchOptions): Promise<BenchRow[]> {
    return [...(await measureBody('trade', MessageType.Trade, trade, options)), ...(await measureBody('bar', MessageType.Bar, bar, options))];
  },
};

export default suite;
