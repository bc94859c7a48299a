/**
 * `GET /api/v1/asyncapi.json`: an AsyncAPI 3.0 document of the `/ws` protocol (docs/websocket.md),
 * generated from the same wire schemas as the REST document (wire/schemas.ts) and the channel list
 * (channels.ts), so the frames it describes are the ones the hub sends.
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type } from '@sinclair/typebox';
import { toOpenApiSchema } from '../http/openapi.js';
import { route, type RouteOptions } from '../http/http.js';
import { AlertSchema, BarSchema, BookLevelsSchema, OrderSchema, PositionSchema, QuoteSchema, TradeSchema, componentSchemas } from '../wire/schemas.js';

/** A data frame `{channel, seq, type, data, emit_ns?}` carrying `data`. */
function frame(type: string | string[], data: unknown): Record<string, unknown> {
  return {
    type: 'object',
    required: ['channel', 'seq', 'type', 'data'],
    properties: {
      channel: { type: 'string' },
      seq: { type: 'integer', minimum: 0, description: 'per channel: +1 per frame; a snapshot carries the current seq' },
      type: Array.isArray(type) ? { enum: type } : { const: type },
      data,
      emit_ns: { type: 'number', description: 'market data: when the producing actor sent it, ns since the Unix epoch' },
    },
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

interface ChannelSpec {
  name: string;
  address: string;
  description: string;
  message: string;
  parameters?: Record<string, { description: string }>;
}

const kChannels: ChannelSpec[] = [
  { name: 'trades', address: 'trades:{symbol}', description: 'Trade prints (side = the aggressor)', message: 'tradeFrame', parameters: { symbol: { description: 'a listed symbol' } } },
  { name: 'quotes', address: 'quotes:{symbol}', description: 'Top of book', message: 'quoteFrame', parameters: { symbol: { description: 'a listed symbol' } } },
  { name: 'book', address: 'book:{symbol}', description: 'A snapshot, then deltas of [price, qty] (qty "0" removes a level)', message: 'bookFrame', parameters: { symbol: { description: 'a listed symbol' } } },
  {
    name: 'bars',
    address: 'bars:{interval}:{symbol}',
    description: 'Completed live bars with streaming indicators',
    message: 'barFrame',
    parameters: { interval: { description: '1s 1m 5m 15m 1h 1d' }, symbol: { description: 'a listed symbol' } },
  },
  { name: 'orders', address: 'orders', description: "Private: the caller's order updates", message: 'orderFrame' },
  { name: 'positions', address: 'positions', description: "Private: the caller's positions after each change", message: 'positionsFrame' },
  { name: 'alerts', address: 'alerts', description: "The caller's fired alerts (the public stream when anonymous)", message: 'alertFrame' },
];

function messages(): Record<string, unknown> {
  const message = (name: string, title: string, payload: unknown) => ({ [name]: { name, title, contentType: 'application/json', payload } });
  return {
    ...message('tradeFrame', 'Trade', frame('trade', ref(TradeSchema.$id!))),
    ...message('quoteFrame', 'Quote', frame('quote', ref(QuoteSchema.$id!))),
    ...message('bookFrame', 'Book snapshot or delta', frame(['snapshot', 'delta', 'update'], ref(BookLevelsSchema.$id!))),
    ...message('barFrame', 'Bar', frame('bar', ref(BarSchema.$id!))),
    ...message('orderFrame', 'Order update', frame('order', ref(OrderSchema.$id!))),
    ...message('positionsFrame', 'Positions', frame('position', { type: 'array', items: ref(PositionSchema.$id!) })),
    ...message('alertFrame', 'Alert', frame('alert', ref(AlertSchema.$id!))),
    ...message('request', 'Client op', {
      type: 'object',
      required: ['op'],
      properties: {
        op: { enum: ['subscribe', 'unsubscribe', 'resync', 'ping'] },
        id: { description: 'echoed in the reply' },
        channels: { type: 'array', items: { type: 'string' }, maxItems: 64 },
        depth: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    }),
    ...message('reply', 'Ack, error or heartbeat', {
      type: 'object',
      required: ['type'],
      properties: {
        type: { enum: ['ack', 'error', 'heartbeat'] },
        id: {},
        op: { type: 'string' },
        channels: { type: 'array', items: { type: 'string' } },
        error: toOpenApiSchema(Type.Object({ code: Type.String(), message: Type.String() })),
        counter: { type: 'integer' },
        time_ms: { type: 'integer' },
      },
    }),
  };
}

export function asyncApiDocument(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {
    control: { address: '/ws', title: 'Client ops and server replies', messages: { request: { $ref: '#/components/messages/request' }, reply: { $ref: '#/components/messages/reply' } } },
  };
  const operations: Record<string, unknown> = {
    sendOp: { action: 'send', channel: { $ref: '#/channels/control' }, messages: [{ $ref: '#/channels/control/messages/request' }], summary: 'subscribe, unsubscribe, resync or ping' },
    receiveReply: { action: 'receive', channel: { $ref: '#/channels/control' }, messages: [{ $ref: '#/channels/control/messages/reply' }] },
  };
  for (const channel of kChannels) {
    channels[channel.name] = {
      address: channel.address,
      description: channel.description,
      ...(channel.parameters === undefined ? {} : { parameters: channel.parameters }),
      messages: { [channel.message]: { $ref: `#/components/messages/${channel.message}` } },
    };
    operations[`receive${channel.name[0]!.toUpperCase()}${channel.name.slice(1)}`] = { action: 'receive', channel: { $ref: `#/channels/${channel.name}` }, messages: [{ $ref: `#/channels/${channel.name}/messages/${channel.message}` }] };
  }
  const schemas: Record<string, unknown> = {};
  for (const schema of componentSchemas) {
    const { $id, ...rest } = toOpenApiSchema(schema) as { $id: string };
    schemas[$id] = rest;
  }
  return {
    asyncapi: '3.0.0',
    info: { title: 'Octopus /ws feed', version, description: 'JSON frames in the wire format of docs/api.md; ?encoding=flatbuffers makes trades, quotes and book frames binary (src/gateway/ws/feed/feed.fbs).' },
    defaultContentType: 'application/json',
    servers: { engine: { host: '127.0.0.1:8080', protocol: 'ws', pathname: '/ws', description: 'this engine (its --host and --port); ?token=<jwt> for private channels' } },
    channels,
    operations,
    components: { messages: messages(), schemas },
  };
}

export function asyncApiRoutes(version: string) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    let document: Record<string, unknown> | undefined;
    route(app, options, {
      method: 'get',
      path: '/api/v1/asyncapi.json',
      operationId: 'getAsyncApi',
      summary: 'The AsyncAPI 3.0 document of /ws',
      tag: 'operations',
      responses: { 200: Type.Object({}, { additionalProperties: true, description: 'an AsyncAPI 3.0 document' }) },
      handler: () => ({ status: 200, body: (document ??= asyncApiDocument(version)) }),
    });
  };
}
