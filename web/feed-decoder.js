/**
 * Decodes the binary (FlatBuffers) frames of the Octopus /ws feed in a browser, with no dependency and
 * no build step: `import { decodeFeedFrame } from './feed-decoder.js'`, open the socket with
 * `?encoding=flatbuffers`, set `socket.binaryType = 'arraybuffer'`, and for each binary message call
 * `decodeFeedFrame(new Uint8Array(event.data))`. Text messages are JSON (acks, errors, heartbeats,
 * snapshots of non-book channels, and every channel without a binary encoding).
 *
 * It reads the FlatBuffers wire format directly for the schema in src/gateway/ws/feed/feed.fbs (field ids
 * below follow the declaration order there; keep the two in step). The result is
 * { channel, seq, type, tick_size, lot_size, data }: data holds exact integers (price_ticks, qty_lots,
 * levels as [price_ticks, qty_lots]); a price is price_ticks * tick_size. Throws Error on bytes that are
 * not a Frame.
 */

const frameTypes = ['snapshot', 'delta', 'trade', 'quote'];
const kBodyTrade = 1;
const kBodyQuote = 2;
const kBodyBook = 3;
const kLevelBytes = 16;
const textDecoder = new TextDecoder();

/** A table reader: the position of field `id`, or 0 when the field is absent (then its default applies). */
function fieldPosition(view, table, id) {
  const vtable = table - view.getInt32(table, true);
  const vtableBytes = view.getUint16(vtable, true);
  const slot = 4 + 2 * id;
  if (slot >= vtableBytes) return 0;
  const offset = view.getUint16(vtable + slot, true);
  return offset === 0 ? 0 : table + offset;
}

function indirect(view, position) {
  return position + view.getUint32(position, true);
}

/** An int64 field as a Number (ticks and lots stay far below 2^53). */
function readInt64(view, table, id) {
  const position = fieldPosition(view, table, id);
  return position === 0 ? 0 : Number(view.getBigInt64(position, true));
}

function readFloat64(view, table, id) {
  const position = fieldPosition(view, table, id);
  return position === 0 ? 0 : view.getFloat64(position, true);
}

function readUint8(view, table, id) {
  const position = fieldPosition(view, table, id);
  return position === 0 ? 0 : view.getUint8(position);
}

function readString(view, table, id) {
  const position = fieldPosition(view, table, id);
  if (position === 0) return undefined;
  const start = indirect(view, position);
  const length = view.getUint32(start, true);
  return textDecoder.decode(new Uint8Array(view.buffer, view.byteOffset + start + 4, length));
}

function readLevels(view, table, id) {
  const position = fieldPosition(view, table, id);
  if (position === 0) return [];
  const start = indirect(view, position);
  const count = view.getUint32(start, true);
  const levels = new Array(count);
  for (let index = 0; index < count; index++) {
    const level = start + 4 + index * kLevelBytes;
    levels[index] = [Number(view.getBigInt64(level, true)), Number(view.getBigInt64(level + 8, true))];
  }
  return levels;
}

function readBody(view, bodyType, body) {
  if (bodyType === kBodyTrade) {
    const tradeId = readString(view, body, 3);
    const trade = { price_ticks: readInt64(view, body, 0), qty_lots: readInt64(view, body, 1), side: readUint8(view, body, 2) === 1 ? 'sell' : 'buy' };
    if (tradeId !== undefined) trade.trade_id = tradeId;
    trade.time_ms = readFloat64(view, body, 4);
    return trade;
  }
  if (bodyType === kBodyQuote) {
    return {
      bid_price_ticks: readInt64(view, body, 0),
      bid_qty_lots: readInt64(view, body, 1),
      ask_price_ticks: readInt64(view, body, 2),
      ask_qty_lots: readInt64(view, body, 3),
      time_ms: readFloat64(view, body, 4),
    };
  }
  if (bodyType === kBodyBook) return { bids: readLevels(view, body, 0), asks: readLevels(view, body, 1) };
  throw new Error(`expected a Trade, Quote or Book body, was body type ${bodyType}`);
}

/** @param {Uint8Array} bytes one binary WebSocket message */
export function decodeFeedFrame(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 8) throw new Error(`expected a FlatBuffers frame of at least 8 bytes, was ${bytes.byteLength}`);
  const frame = indirect(view, 0);
  const seqPosition = fieldPosition(view, frame, 1);
  const type = frameTypes[readUint8(view, frame, 2)];
  if (type === undefined) throw new Error(`expected a known frame type, was ${readUint8(view, frame, 2)}`);
  const bodyPosition = fieldPosition(view, frame, 4);
  if (bodyPosition === 0) throw new Error('expected a frame body, was none');
  return {
    channel: readString(view, frame, 0) ?? '',
    seq: seqPosition === 0 ? 0 : Number(view.getBigUint64(seqPosition, true)),
    type,
    tick_size: readFloat64(view, frame, 5),
    lot_size: readFloat64(view, frame, 6),
    data: readBody(view, readUint8(view, frame, 3), indirect(view, bodyPosition)),
  };
}
