import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Codec, Envelope, MessageFlags, kEnvelopeBytes } from '../../src/engine/codec.js';
import { MessageType, recordStructures, type Trade } from '../../src/engine/messages.js';
import { OrderManager } from '../../src/actors/execution/order-manager.js';
import { submitCommand } from '../../src/gateway/routes/order-routes.js';

function roundTrip(codec: Codec, fields: Parameters<Codec['encode']>[0], body: unknown): { envelope: Envelope; body: unknown } {
  const bytes = codec.encode(fields, body);
  // Place the message at an odd offset inside a larger buffer, as a ring would.
  const data = new Uint8Array(bytes.length + 13);
  data.set(bytes, 5);
  const envelope = codec.decodeEnvelope(data, 5, bytes.length, new Envelope());
  return { envelope, body: codec.decodeBody(data, 5, bytes.length) };
}

const baseFields = { type: MessageType.Trade, source: 3, flags: MessageFlags.None, seq: 7, corr: 0, tsHigh: 0x17a2b3c4, tsLow: 0xfedcba98 };

describe('Codec', () => {
  it('round-trips a trade as a compact shared record', () => {
    const codec = new Codec();
    const trade: Trade = { symbol: 'ACME', price: 101.25, qty: 300, side: 'buy', tradeId: 99, timeMs: 1_795_000_000_000 };
    const { envelope, body } = roundTrip(codec, baseFields, trade);
    expect(body).toEqual(trade);
    expect(envelope).toMatchObject({ type: MessageType.Trade, source: 3, seq: 7, corr: 0, tsHigh: 0x17a2b3c4, tsLow: 0xfedcba98 });
    expect(envelope.tsNs()).toBe((0x17a2b3c4n << 32n) | 0xfedcba98n);
    // The shared structure means no key names on the wire.
    expect(codec.encode(baseFields, trade).length).toBeLessThan(kEnvelopeBytes + JSON.stringify(trade).length / 2);
  });

  it('decodes what another thread encoded (independent codecs share the catalogue structures)', () => {
    const writer = new Codec();
    const reader = new Codec();
    const bar = { symbol: 'X', intervalMs: 1000, startMs: 5, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10, vwap: 1.2, trades: 3 };
    const bytes = writer.encode({ ...baseFields, type: MessageType.Bar }, bar);
    expect(reader.decodeBody(bytes, 0, bytes.length)).toEqual(bar);
    // A body of a shape outside the catalogue is self-describing, so it still decodes elsewhere.
    const odd = { unusual: [1, 2, 3], nested: { a: 'b' } };
    const oddBytes = writer.encode({ ...baseFields, type: MessageType.Echo }, odd);
    expect(new Codec().decodeBody(oddBytes, 0, oddBytes.length)).toEqual(odd);
  });

  const malformed: Array<[string, Uint8Array]> = [
    ['shorter than an envelope', new Uint8Array(10)],
    ['unknown type', Uint8Array.from([0xff, 0xff, ...new Array<number>(30).fill(0)])],
  ];
  it.each(malformed)('rejects a message %s with a typed error', (_name, bytes) => {
    expect(() => new Codec().decodeEnvelope(bytes, 0, bytes.length, new Envelope())).toThrowError(
      expect.objectContaining({ code: expect.stringMatching(/^ERR_CODEC_/) }),
    );
  });

  it('rejects an undecodable body with ERR_CODEC_MALFORMED', () => {
    const bytes = new Uint8Array(kEnvelopeBytes + 3);
    bytes[0] = MessageType.Ping;
    // A str8 header announcing 255 bytes, followed by only two: truncated.
    bytes.set([0xd9, 0xff, 0x41], kEnvelopeBytes);
    expect(() => new Codec().decodeBody(bytes, 0, bytes.length)).toThrowError(expect.objectContaining({ code: 'ERR_CODEC_MALFORMED' }));
  });

  it('never lets a "__proto__" key in a body reach an object prototype', () => {
    const codec = new Codec();
    const hostile = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    const { body } = roundTrip(codec, baseFields, hostile);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect((body as Record<string, unknown>).a).toBe(1);
  });

  it('round-trips any envelope and any JSON-like body (property)', () => {
    const codec = new Codec();
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(MessageType)),
        fc.integer({ min: 0, max: 0xffff }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.jsonValue(),
        (type, source, seq, corr, tsLow, body) => {
          // msgpackr renames a "__proto__" key on decode (prototype-pollution guard): tested on its own below.
          fc.pre(!JSON.stringify(body).includes('"__proto__"'));
          const fields = { type, source, flags: MessageFlags.Reply, seq, corr, tsHigh: 1, tsLow };
          const decoded = roundTrip(codec, fields, body);
          expect(decoded.envelope).toMatchObject({ type, source, seq, corr, tsLow, flags: MessageFlags.Reply });
          // msgpack has no -0; JSON-like values otherwise survive exactly.
          expect(decoded.body).toEqual(JSON.parse(JSON.stringify(body)) ?? body);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('sends the order path as shared records: a command, its reply and its report carry no key names', () => {
    const isShared = (object: object): boolean => recordStructures.some((keys) => keys.join() === Object.keys(object).join());
    const command = submitCommand('alice', { symbol: 'ACME', side: 'buy', type: 'limit', qty: '2', limit_price: 100 });
    const oms = new OrderManager({ instruments: [{ symbol: 'ACME', tickSize: 0.01, lotSize: 1 }], startingCash: 1_000_000, makerFeeBps: 0, takerFeeBps: 0 });
    const order = oms.applySubmit({ ...command, timeMs: 1_000 });
    const reports = oms.drainOutputs().reports!;
    for (const [name, object] of [['command', command], ['order', order], ['history entry', order.history[0]!], ['reply', { order, created: true }], ['reports', reports], ['positions', reports.positions[0] ?? { account: 'a', positions: [] }]] as const) {
      expect(isShared(object), name).toBe(true);
    }
    // Shared: the reply is a fraction of its JSON size.
    expect(new Codec().encode(baseFields, { order, created: true }).length).toBeLessThan(JSON.stringify({ order, created: true }).length / 2);
  });

  it('decodes from a SharedArrayBuffer into values that do not depend on the ring bytes afterwards', () => {
    const writer = new Codec();
    const reader = new Codec();
    const ring = new Uint8Array(new SharedArrayBuffer(1 << 16));
    const body = { order: { id: '7', text: 'x'.repeat(10_000) }, created: true, list: ['ab', 'cd'] };
    const bytes = writer.encode({ ...baseFields, type: MessageType.Echo }, body);
    ring.set(bytes, 333);
    const decoded = reader.decodeBody(ring, 333, bytes.length);
    ring.fill(0xc1);
    const small = writer.encode({ ...baseFields, type: MessageType.Echo }, { other: 1 });
    ring.set(small, 0);
    expect(reader.decodeBody(ring, 0, small.length)).toEqual({ other: 1 });
    expect(decoded).toEqual(body);
  });
});
