/**
 * Alpaca-compatible aliases under `/v2`, so the official Alpaca SDKs trade against Octopus with only
 * their base URL changed (test/system/alpaca-sdk.test.ts drives @alpacahq/alpaca-trade-api). The
 * bodies are the same wire format as /api/v1 (its names already follow Alpaca's); what differs is
 * Alpaca's envelope: lists are bare arrays, a created order is 200, a cancel is 204, cancel-all is 207
 * with one entry per order, and positions lists only open ones. Credentials: the APCA-API-KEY-ID /
 * APCA-API-SECRET-KEY headers (an Octopus API key and its secret), or any Octopus credential.
 *
 *   GET    /v2/account
 *   POST   /v2/orders                 GET /v2/orders?status=&limit=&direction=...
 *   GET    /v2/orders/:id             GET /v2/orders:by_client_order_id?client_order_id=
 *   PATCH  /v2/orders/:id             DELETE /v2/orders/:id      DELETE /v2/orders
 *   GET    /v2/positions              GET /v2/positions/:symbol
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type, type Static } from '@sinclair/typebox';
import { OctopusError } from '../../engine/errors.js';
import { MessageType } from '../../engine/messages.js';
import { route, type RouteContext, type RouteOptions } from '../http/http.js';
import type { WireFormat } from '../wire/format.js';
import { AccountSchema, OrderSchema, PositionSchema, ref } from '../wire/schemas.js';
import { accountOf, decimal, getOrderHandler, limitOf, orderId, orderPage, replaceHandler, replaceRequest, submitCommand, type ExecutionClient } from './order-routes.js';

const kBodyBytesMax = 16_384;
const kListLimitMax = 500;
const kListLimitDefault = 50;

/** Alpaca's order body, restricted to what Octopus trades: simple orders, regular hours. */
const alpacaOrderRequest = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32 }),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    type: Type.Union([Type.Literal('market'), Type.Literal('limit'), Type.Literal('stop'), Type.Literal('stop_limit')]),
    qty: decimal,
    limit_price: Type.Optional(decimal),
    stop_price: Type.Optional(decimal),
    time_in_force: Type.Union([Type.Literal('gtc'), Type.Literal('day'), Type.Literal('ioc'), Type.Literal('fok')]),
    client_order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    extended_hours: Type.Optional(Type.Literal(false)),
    order_class: Type.Optional(Type.Union([Type.Literal('simple'), Type.Literal('')])),
  },
  { additionalProperties: false },
);

const listQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Literal('all')], { description: 'default open' })),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: `1..${kListLimitMax}, default ${kListLimitDefault}` })),
  direction: Type.Optional(Type.Literal('desc', { description: 'newest first (the only order served)' })),
  nested: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'accepted; orders have no legs here' })),
});

const cancelAllEntry = Type.Object({ id: Type.String(), status: Type.Integer(), body: ref(OrderSchema) });

export function alpacaRoutes(execution: ExecutionClient, wire: WireFormat) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    const account = (context: RouteContext): string => context.principal!.username;
    const common = { tag: 'alpaca' } as const;
    route(app, options, {
      ...common,
      method: 'get',
      path: '/v2/account',
      permission: 'read',
      operationId: 'alpacaGetAccount',
      summary: 'Alpaca: the account',
      responses: { 200: ref(AccountSchema) },
      errorStatuses: [503],
      handler: async (context) => ({ status: 200, body: (await accountOf(execution, wire, account(context))).account }),
    });
    route(app, options, {
      ...common,
      method: 'post',
      path: '/v2/orders',
      permission: 'trade',
      operationId: 'alpacaSubmitOrder',
      summary: 'Alpaca: submit an order',
      bodySchema: alpacaOrderRequest,
      maxBodyBytes: kBodyBytesMax,
      responses: { 200: ref(OrderSchema) },
      errorStatuses: [404, 409, 413, 422, 503],
      measure: 'order_ack',
      handler: async (context) => {
        const body = context.body as Static<typeof alpacaOrderRequest>;
        const { order } = await execution(MessageType.SubmitOrder, submitCommand(account(context), { ...body, post_only: false }));
        return { status: 200, body: wire.order(order) };
      },
    });
    route(app, options, {
      ...common,
      method: 'get',
      path: '/v2/orders',
      permission: 'read',
      operationId: 'alpacaListOrders',
      summary: 'Alpaca: orders, newest first',
      querySchema: listQuery,
      responses: { 200: Type.Array(ref(OrderSchema)) },
      errorStatuses: [503],
      handler: async (context) => {
        const status = (new URLSearchParams(context.query).get('status') ?? 'open') as 'open' | 'closed' | 'all';
        const page = await orderPage(execution, account(context), status, limitOf(context.query, kListLimitMax, kListLimitDefault), undefined);
        return { status: 200, body: page.orders.map((order) => wire.order(order)) };
      },
    });
    route(app, options, {
      ...common,
      method: 'get',
      path: '/v2/orders:by_client_order_id',
      permission: 'read',
      operationId: 'alpacaGetOrderByClientId',
      summary: 'Alpaca: one order by client_order_id',
      querySchema: Type.Object({ client_order_id: Type.String({ minLength: 1, maxLength: 64 }) }),
      responses: { 200: ref(OrderSchema) },
      errorStatuses: [404, 503],
      handler: async (context) => {
        const clientOrderId = new URLSearchParams(context.query).get('client_order_id') ?? '';
        return { status: 200, body: wire.order(await execution(MessageType.OrderQuery, { account: account(context), clientOrderId })) };
      },
    });
    orderRoutesById(app, options, execution, wire, account);
    positionRoutes(app, options, execution, wire, account);
  };
}

function orderRoutesById(app: TemplatedApp, options: RouteOptions, execution: ExecutionClient, wire: WireFormat, account: (context: RouteContext) => string): void {
  route(app, options, {
    tag: 'alpaca',
    method: 'get',
    path: '/v2/orders/:id',
    permission: 'read',
    operationId: 'alpacaGetOrder',
    summary: 'Alpaca: one order',
    querySchema: Type.Object({ nested: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }),
    responses: { 200: ref(OrderSchema) },
    errorStatuses: [404, 503],
    handler: getOrderHandler(execution, wire),
  });
  route(app, options, {
    tag: 'alpaca',
    method: 'patch',
    path: '/v2/orders/:id',
    permission: 'trade',
    operationId: 'alpacaReplaceOrder',
    summary: 'Alpaca: replace an order (qty, limit_price, stop_price)',
    bodySchema: replaceRequest,
    maxBodyBytes: kBodyBytesMax,
    responses: { 200: ref(OrderSchema) },
    errorStatuses: [404, 413, 422, 503],
    handler: replaceHandler(execution, wire),
  });
  route(app, options, {
    tag: 'alpaca',
    method: 'delete',
    path: '/v2/orders/:id',
    permission: 'trade',
    operationId: 'alpacaCancelOrder',
    summary: 'Alpaca: cancel an order (204)',
    responses: { 204: undefined },
    errorStatuses: [404, 503],
    handler: async (context) => {
      await execution(MessageType.CancelOrder, { account: account(context), orderId: orderId(context.parameters[0] ?? '') });
      return { status: 204, body: undefined };
    },
  });
  route(app, options, {
    tag: 'alpaca',
    method: 'delete',
    path: '/v2/orders',
    permission: 'trade',
    operationId: 'alpacaCancelAllOrders',
    summary: 'Alpaca: cancel every open order (207, one entry per order)',
    responses: { 207: Type.Array(cancelAllEntry) },
    errorStatuses: [503],
    handler: async (context) => {
      const { canceled } = await execution(MessageType.CancelAllOrders, { account: account(context) });
      return { status: 207, body: canceled.map((order) => ({ id: order.id, status: 200, body: wire.order(order) })) };
    },
  });
}

function positionRoutes(app: TemplatedApp, options: RouteOptions, execution: ExecutionClient, wire: WireFormat, account: (context: RouteContext) => string): void {
  const openPositions = async (context: RouteContext) => (await execution(MessageType.AccountQuery, { account: account(context) })).positions.filter((position) => position.qty !== 0);
  route(app, options, {
    tag: 'alpaca',
    method: 'get',
    path: '/v2/positions',
    permission: 'read',
    operationId: 'alpacaListPositions',
    summary: 'Alpaca: open positions',
    responses: { 200: Type.Array(ref(PositionSchema)) },
    errorStatuses: [503],
    handler: async (context) => ({ status: 200, body: (await openPositions(context)).map((position) => wire.position(position)) }),
  });
  route(app, options, {
    tag: 'alpaca',
    method: 'get',
    path: '/v2/positions/:symbol',
    permission: 'read',
    operationId: 'alpacaGetPosition',
    summary: 'Alpaca: the open position in one symbol (404 when flat)',
    responses: { 200: ref(PositionSchema) },
    errorStatuses: [404, 503],
    handler: async (context) => {
      const symbol = context.parameters[0] ?? '';
      const position = (await openPositions(context)).find((candidate) => candidate.symbol === symbol);
      if (position === undefined) throw new OctopusError('ERR_POSITION_UNKNOWN', `expected an open position in ${JSON.stringify(symbol.slice(0, 32))}, was none`);
      return { status: 200, body: wire.position(position) };
    },
  });
}
