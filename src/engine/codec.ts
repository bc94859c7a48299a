/**
 * Encodes and decodes ring messages: a fixed 24-byte envelope followed by the msgpack body.
 *
 *   byte 0      2        4        8       12      16       20       24
 *        +------+--------+--------+-------+-------+--------+--------+------------------+
 *        | type | source | flags  | seq   | corr  | ts hi  | ts lo  | msgpack body ... |
 *        | u16  | u16    | u32    | u32   | u32   | u32    | u32    |                  |
 *        +------+--------+--------+-------+-------+--------+--------+------------------+
 *   little-endian; ts = nanoseconds since the Unix epoch as two 32-bit halves (exact, no BigInt on the
 *   hot path); corr = correlation id of a request and its reply (0 = none).
 *
 * The envelope is fixed-layout so a router can read the type and target without decoding the body. The
 * body uses msgpackr with the catalogue's shared record structures. msgpackr writes into its own reused
 * buffer, with the envelope's 24 bytes reserved at its start, so encoding makes no copy; the bytes are
 * valid until the next `encode` on the same codec.
 */
import { Packr, RESERVE_START_SPACE } from 'msgpackr';
import { OctopusError } from './errors.js';
import { isMessageType, recordStructures, type MessageType } from './messages.js';

export const kEnvelopeBytes = 24;

export const MessageFlags = {
  None: 0,
  /** The message answers the request with the same correlation id. */
  Reply: 1,
  /** A reply whose body is an error description `{ code, message }`. */
  Error: 2,
  /**
   * One piece of a message too large for one ring record: its payload is a slice of the whole message's
   * bytes (envelope included), `seq` is the piece's index (0 starts a new message), and the last piece
   * also carries FragmentLast. The receiver reassembles per source, then handles the whole message.
   */
  Fragment: 4,
  FragmentLast: 8,
} as const;

/** A decoded envelope; `decodeEnvelope` fills a caller-owned instance so decoding allocates nothing. */
export class Envelope {
  type: MessageType = 0 as MessageType;
  source = 0;
  flags = 0;
  seq = 0;
  corr = 0;
  tsHigh = 0;
  tsLow = 0;

  /** Timestamp in nanoseconds since the Unix epoch (allocates a BigInt; not for the hot path). */
  tsNs(): bigint {
    return (BigInt(this.tsHigh) << 32n) | BigInt(this.tsLow);
  }

  /** Timestamp in milliseconds since the Unix epoch (a float; sub-millisecond digits kept). */
  tsMs(): number {
    return (this.tsHigh * 4_294_967_296 + this.tsLow) / 1e6;
  }
}

export interface EnvelopeFields {
  type: MessageType;
  source: number;
  flags: number;
  seq: number;
  corr: number;
  /** Nanoseconds since the Unix epoch, as a (possibly inexact) double; see `Clock.nowNsParts`. */
  tsHigh: number;
  tsLow: number;
}

function readU16(data: Uint8Array, offset: number): number {
  return data[offset]! | (data[offset + 1]! << 8);
}

function readU32(data: Uint8Array, offset: number): number {
  return (data[offset]! | (data[offset + 1]! << 8) | (data[offset + 2]! << 16) | (data[offset + 3]! << 24)) >>> 0;
}

function writeU16(data: Uint8Array, offset: number, value: number): void {
  data[offset] = value & 0xff;
  data[offset + 1] = (value >>> 8) & 0xff;
}

function writeU32(data: Uint8Array, offset: number, value: number): void {
  data[offset] = value & 0xff;
  data[offset + 1] = (value >>> 8) & 0xff;
  data[offset + 2] = (value >>> 16) & 0xff;
  data[offset + 3] = (value >>> 24) & 0xff;
}

/** Builds a Packr that knows the catalogue's record structures; one per thread (it is stateful). */
export function createPackr(): Packr {
  const structures = recordStructures.map((keys) => [...keys]);
  return new Packr({
    structures,
    // Freeze the shared set at the catalogue: a body of another shape is encoded self-describing
    // instead of growing a table the other threads do not have.
    maxSharedStructures: structures.length,
    useRecords: true,
    moreTypes: false,
  });
}

/** Writes an envelope into the first 24 bytes of `bytes`. */
export function writeEnvelope(bytes: Uint8Array, fields: EnvelopeFields): void {
  writeU16(bytes, 0, fields.type);
  writeU16(bytes, 2, fields.source);
  writeU32(bytes, 4, fields.flags);
  writeU32(bytes, 8, fields.seq);
  writeU32(bytes, 12, fields.corr);
  writeU32(bytes, 16, fields.tsHigh);
  writeU32(bytes, 20, fields.tsLow);
}

export class Codec {
  private readonly packr = createPackr();
  /**
   * Bodies are decoded from a copy in this ordinary buffer, not from the ring's SharedArrayBuffer:
   * msgpackr's native string extraction is about 4.5x slower on a SharedArrayBuffer (12.6 vs 2.8 µs for
   * an order reply), and copying a body costs a memcpy. Grows to the largest body seen.
   */
  private scratch = new Uint8Array(4_096);
  /** The last `data` seen and whether it lives in a SharedArrayBuffer (a ring passes the same view each call). */
  private lastData: Uint8Array | null = null;
  private lastShared = false;

  /**
   * Encodes an envelope and body. The returned bytes are a view of this codec's reused buffer: push them
   * into a ring before the next `encode`.
   */
  encode(fields: EnvelopeFields, body: unknown): Uint8Array {
    const bytes = this.packr.pack(body, RESERVE_START_SPACE | kEnvelopeBytes) as Uint8Array;
    writeEnvelope(bytes, fields);
    return bytes;
  }

  /**
   * Reads the envelope of the message at `data[offset .. offset+length)` into `envelope`.
   * @throws OctopusError ERR_CODEC_MALFORMED when the message is shorter than an envelope or its type is
   *   not in the catalogue.
   */
  decodeEnvelope(data: Uint8Array, offset: number, length: number, envelope: Envelope): Envelope {
    if (length < kEnvelopeBytes) {
      throw new OctopusError('ERR_CODEC_MALFORMED', `expected at least ${kEnvelopeBytes} bytes, was ${length}`);
    }
    const type = readU16(data, offset);
    if (!isMessageType(type)) throw new OctopusError('ERR_CODEC_UNKNOWN_TYPE', `expected a catalogue type, was ${type}`);
    envelope.type = type;
    envelope.source = readU16(data, offset + 2);
    envelope.flags = readU32(data, offset + 4);
    envelope.seq = readU32(data, offset + 8);
    envelope.corr = readU32(data, offset + 12);
    envelope.tsHigh = readU32(data, offset + 16);
    envelope.tsLow = readU32(data, offset + 20);
    return envelope;
  }

  /**
   * Decodes the body of the message at `data[offset .. offset+length)`. No decoded value refers to
   * `data` (messages carry no binary values; strings are copied), so the ring may reuse the bytes at once.
   * @throws OctopusError ERR_CODEC_MALFORMED when the body is not valid msgpack.
   */
  decodeBody(data: Uint8Array, offset: number, length: number): unknown {
    if (data !== this.lastData) {
      this.lastData = data;
      this.lastShared = data.buffer instanceof SharedArrayBuffer;
    }
    if (!this.lastShared) return this.unpack(data, offset + kEnvelopeBytes, offset + length);
    const bodyLength = Math.max(0, length - kEnvelopeBytes);
    if (this.scratch.length < bodyLength) this.scratch = new Uint8Array(Math.max(bodyLength, this.scratch.length * 2));
    this.scratch.set(data.subarray(offset + kEnvelopeBytes, offset + length));
    return this.unpack(this.scratch, 0, bodyLength);
  }

  private unpack(source: Uint8Array, start: number, end: number): unknown {
    try {
      return this.packr.unpack(source, { start, end } as never);
    } catch (error) {
      throw new OctopusError('ERR_CODEC_MALFORMED', `expected a msgpack body, was undecodable (${String(error)})`, {
        cause: error,
      });
    }
  }
}
