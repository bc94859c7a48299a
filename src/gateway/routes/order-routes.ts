/**
 * Order entry over REST (issue 4): Alpaca-style routes in front of M7 execution. The gateway checks the
 * shape (schemas) and converts decimals given as strings or numbers; the execution actor checks grids,
 * risk and compliance, journals and answers; answers go out in the wire format (wire/format.ts). The
 * caller's account is the authenticated username. alpaca-routes.ts serves the same under /v2.
 *
 *   POST   /api/v1/orders                               submit (client_order_id makes retries idempotent)
 *   GET    /api/v1/orders?status=open|closed|all&limit=  list
 *   GET    /api/v1/orders/:id                            one order, with its history
 *   GET    /api/v1/orders:by_client_id/:client_order_id  one order by the caller's id
 *   PATCH  /api/v1/orders/:id                            replace qty and/or prices
 *   DELETE /api/v1/orders/:id                            cancel
 *   DELETE /api/v1/orders                                cancel all of the caller's open orders
 *   GET    /api/v1/positions, GET /api/v1/account         positions, cash, P&L
 *   POST   /api/v1/risk/kill-switch                      risk_officer: halt (cancel all, block new) or resume
 *   GET    /api/v1/admin/state-hash?full=true|false       admin: state digest (full: compared with a replay of the whole journal)
 */
import { randomUUID } from 'node:crypto';
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type, type Static } from '@sinclair/typebox';
import { OctopusError, type ErrorCode } from '../../engine/errors.js';
import { MessageType, type BodyOf, type ReplyOf } from '../../engine/messages.js';
import { route, type RouteContext, type RouteOptions, type RouteSpec } from '../http/http.js';
import type { WireFormat } from '../wire/format.js';
import { decodePageToken, encodePageToken } from '../wire/page-token.js';
import { AccountSchema, CanceledOrdersSchema, KillSwitchSchema, OrderPageSchema, OrderSchema, PositionSchema, StateHashSchema, ref } from '../wire/schemas.js';

/** The execution actor's order entry and queries, as requests (the orchestrator routes them). */
export type ExecutionClient = <T extends ExecutionMessage>(type: T, body: BodyOf<T>) => Promise<ReplyOf<T>>;

export type ExecutionMessage =
  | typeof MessageType.SubmitOrder
  | typeof MessageType.CancelOrder
  | typeof MessageType.ReplaceOrder
  | typeof MessageType.CancelAllOrders
  | typeof MessageType.SetKillSwitch
  | typeof MessageType.OrderQuery
  | typeof MessageType.OrdersQuery
  | typeof MessageType.AccountQuery
  | typeof MessageType.BookQuery
  | typeof MessageType.KillSwitchQuery
  | typeof MessageType.StateHashQuery;

/** An order request is a few hundred bytes; 16 KiB leaves room and keeps a refused body cheap. */
const kOrderBodyBytesMax = 16_384;

export const decimal = Type.Union([Type.Number(), Type.String({ pattern: '^[0-9]{1,15}(\\.[0-9]{1,12})?$' })], { description: 'a decimal, as a number or a string' });

export const orderRequest = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32 }),
    side: Type.Union([Type.Literal('buy'), Type.Literal('sell')]),
    type: Type.Union([Type.Literal('market'), Type.Literal('limit'), Type.Literal('stop'), Type.Literal('stop_limit')]),
    qty: decimal,
    limit_price: Type.Optional(decimal),
    stop_price: Type.Optional(decimal),
    time_in_force: Type.Optional(Type.Union([Type.Literal('gtc'), Type.Literal('day'), Type.Literal('ioc'), Type.Literal('fok')], { default: 'gtc' })),
    post_only: Type.Optional(Type.Boolean()),
    client_order_id: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

export const replaceRequest = Type.Object(
  { qty: Type.Optional(decimal), limit_price: Type.Optional(decimal), stop_price: Type.Optional(decimal) },
  { additionalProperties: false },
);

const killSwitchRequest = Type.Object(
  { active: Type.Boolean(), account: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  { additionalProperties: false },
);

/** Decimal from a number or a string; refuses non-finite and non-positive values with `code`. */
export function toDecimal(value: number | string | undefined, name: string, code: ErrorCode): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new OctopusError(code, `expected ${name} to be a positive finite decimal, was ${JSON.stringify(value)}`);
  return number;
}

export function orderId(parameter: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(parameter)) throw new OctopusError('ERR_ORDER_UNKNOWN', `expected an order id, was ${JSON.stringify(parameter)}`);
  return Number(parameter);
}

function queryParameter(query: string, name: string): string | undefined {
  return new URLSearchParams(query).get(name) ?? undefined;
}

const kOrderListLimitMax = 500;
const limitParameter = (maximum: number) => Type.String({ pattern: '^[0-9]{1,4}$', description: `1..${maximum}` });
const statusParameter = Type.Union([Type.Literal('open'), Type.Literal('closed'), Type.Literal('all')], { description: 'default open' });

/** `limit` as an integer in [1, maximum], or `fallback` when absent. */
export function limitOf(query: string, maximum: number, fallback: number): number {
  const text = queryParameter(query, 'limit');
  if (text === undefined) return fallback;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > maximum) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected limit 1..${maximum}, was ${JSON.stringify(text)}`);
  return limit;
}

/** The command of a new order, from a checked request body. */
export function submitCommand(account: string, body: Static<typeof orderRequest>) {
  return {
    account,
    clientOrderId: body.client_order_id ?? randomUUID(),
    symbol: body.symbol,
    side: body.side,
    type: body.type,
    qty: toDecimal(body.qty, 'qty', 'ERR_ORDER_BAD_QTY')!,
    limitPrice: toDecimal(body.limit_price, 'limit_price', 'ERR_ORDER_BAD_PRICE'),
    stopPrice: toDecimal(body.stop_price, 'stop_price', 'ERR_ORDER_BAD_PRICE'),
    timeInForce: body.time_in_force ?? 'gtc',
    postOnly: body.post_only ?? false,
  };
}

export function replaceCommand(account: string, id: string, body: Static<typeof replaceRequest>) {
  return {
    account,
    orderId: orderId(id),
    qty: toDecimal(body.qty, 'qty', 'ERR_ORDER_BAD_QTY'),
    limitPrice: toDecimal(body.limit_price, 'limit_price', 'ERR_ORDER_BAD_PRICE'),
    stopPrice: toDecimal(body.stop_price, 'stop_price', 'ERR_ORDER_BAD_PRICE'),
  };
}

const callerOf = (context: RouteContext): string => context.principal!.username;

/** GET one order by the id in the path (v1 and /v2). */
export function getOrderHandler(execution: ExecutionClient, wire: WireFormat): RouteSpec['handler'] {
  return async (context) => ({ status: 200, body: wire.order(await execution(MessageType.OrderQuery, { account: callerOf(context), orderId: orderId(context.parameters[0] ?? '') })) });
}

/** PATCH one order by the id in the path, with a `replaceRequest` body (v1 and /v2). */
export function replaceHandler(execution: ExecutionClient, wire: WireFormat): RouteSpec['handler'] {
  return async (context) => ({
    status: 200,
    body: wire.order(await execution(MessageType.ReplaceOrder, replaceCommand(callerOf(context), context.parameters[0] ?? '', context.body as Static<typeof replaceRequest>))),
  });
}

export function orderRoutes(execution: ExecutionClient, wire: WireFormat) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    const account = (context: RouteContext): string => context.principal!.username;
    orderEntryRoutes(app, options, execution, wire, account);
    orderQueryRoutes(app, options, execution, wire, account);
    accountRoutes(app, options, execution, wire, account);
  };
}

type AccountOf = (context: RouteContext) => string;

function orderEntryRoutes(app: TemplatedApp, options: RouteOptions, execution: ExecutionClient, wire: WireFormat, account: AccountOf): void {
  route(app, options, {
    method: 'post',
    path: '/api/v1/orders',
    permission: 'trade',
    operationId: 'submitOrder',
    summary: 'Submit an order (201; 200 with the existing order for a retried client_order_id)',
    tag: 'orders',
    bodySchema: orderRequest,
    maxBodyBytes: kOrderBodyBytesMax,
    responses: { 200: ref(OrderSchema), 201: ref(OrderSchema) },
    errorStatuses: [404, 409, 413, 422, 503],
    measure: 'order_ack',
    handler: async (context) => {
      const { order, created } = await execution(MessageType.SubmitOrder, submitCommand(account(context), context.body as Static<typeof orderRequest>));
      return { status: created ? 201 : 200, body: wire.order(order) };
    },
  });
  route(app, options, {
    method: 'patch',
    path: '/api/v1/orders/:id',
    permission: 'trade',
    operationId: 'replaceOrder',
    summary: 'Replace an order: new total qty and/or prices (a price change or qty increase loses time priority)',
    tag: 'orders',
    bodySchema: replaceRequest,
    maxBodyBytes: kOrderBodyBytesMax,
    responses: { 200: ref(OrderSchema) },
    errorStatuses: [404, 413, 422, 503],
    handler: replaceHandler(execution, wire),
  });
  route(app, options, {
    method: 'delete',
    path: '/api/v1/orders/:id',
    permission: 'trade',
    operationId: 'cancelOrder',
    summary: 'Cancel an order (400 when it is no longer open)',
    tag: 'orders',
    responses: { 200: ref(OrderSchema) },
    errorStatuses: [404, 503],
    handler: async (context) => ({ status: 200, body: wire.order(await execution(MessageType.CancelOrder, { account: account(context), orderId: orderId(context.parameters[0] ?? '') })) }),
  });
  route(app, options, {
    method: 'delete',
    path: '/api/v1/orders',
    permission: 'trade',
    operationId: 'cancelAllOrders',
    summary: "Cancel all of the caller's open orders",
    tag: 'orders',
    responses: { 200: ref(CanceledOrdersSchema) },
    errorStatuses: [503],
    handler: async (context) => {
      const { canceled } = await execution(MessageType.CancelAllOrders, { account: account(context) });
      return { status: 200, body: { canceled: canceled.map((order) => wire.order(order)) } };
    },
  });
}

/** One page of the caller's orders, newest first, and the token of the next (older) one. */
export async function orderPage(execution: ExecutionClient, account: string, status: 'open' | 'closed' | 'all', limit: number, pageToken: string | undefined) {
  const beforeId = pageToken === undefined ? undefined : (decodePageToken(pageToken, { before_id: 'integer' }).before_id as number);
  const orders = await execution(MessageType.OrdersQuery, { account, status, limit, ...(beforeId === undefined ? {} : { beforeId }) });
  const last = orders.at(-1);
  return { orders, next_page_token: orders.length === limit && last !== undefined ? encodePageToken({ before_id: Number(last.id) }) : null };
}

function orderQueryRoutes(app: TemplatedApp, options: RouteOptions, execution: ExecutionClient, wire: WireFormat, account: AccountOf): void {
  route(app, options, {
    method: 'get',
    path: '/api/v1/orders',
    permission: 'read',
    operationId: 'listOrders',
    summary: 'List orders, newest first, with cursor pagination',
    tag: 'orders',
    querySchema: Type.Object({ status: Type.Optional(statusParameter), limit: Type.Optional(limitParameter(kOrderListLimitMax)), page_token: Type.Optional(Type.String()) }),
    responses: { 200: ref(OrderPageSchema) },
    errorStatuses: [503],
    handler: async (context) => {
      const status = (queryParameter(context.query, 'status') ?? 'open') as 'open' | 'closed' | 'all';
      const page = await orderPage(execution, account(context), status, limitOf(context.query, kOrderListLimitMax, kOrderListLimitMax), queryParameter(context.query, 'page_token'));
      return { status: 200, body: { orders: page.orders.map((order) => wire.order(order)), next_page_token: page.next_page_token } };
    },
  });
  route(app, options, {
    method: 'get',
    path: '/api/v1/orders:by_client_id/:client_order_id',
    permission: 'read',
    operationId: 'getOrderByClientId',
    summary: 'One order by client_order_id',
    tag: 'orders',
    responses: { 200: ref(OrderSchema) },
    errorStatuses: [404, 503],
    handler: async (context) => ({
      status: 200,
      body: wire.order(await execution(MessageType.OrderQuery, { account: account(context), clientOrderId: context.parameters[0] ?? '' })),
    }),
  });
  route(app, options, {
    method: 'get',
    path: '/api/v1/orders/:id',
    permission: 'read',
    operationId: 'getOrder',
    summary: 'One order, with its status history',
    tag: 'orders',
    responses: { 200: ref(OrderSchema) },
    errorStatuses: [404, 503],
    handler: getOrderHandler(execution, wire),
  });
}

/** The caller's account in the wire format (trading_blocked from the kill switch). */
export async function accountOf(execution: ExecutionClient, wire: WireFormat, account: string) {
  const [view, killSwitch] = await Promise.all([execution(MessageType.AccountQuery, { account }), execution(MessageType.KillSwitchQuery, { account })]);
  return { view, account: wire.account(view, killSwitch.global || killSwitch.accounts.includes(account)) };
}

function accountRoutes(app: TemplatedApp, options: RouteOptions, execution: ExecutionClient, wire: WireFormat, account: AccountOf): void {
  route(app, options, {
    method: 'get',
    path: '/api/v1/positions',
    permission: 'read',
    operationId: 'listPositions',
    summary: 'Open and closed (flat) positions with realised and unrealised P&L',
    tag: 'account',
    responses: { 200: Type.Array(ref(PositionSchema)) },
    errorStatuses: [503],
    handler: async (context) => ({ status: 200, body: (await execution(MessageType.AccountQuery, { account: account(context) })).positions.map((position) => wire.position(position)) }),
  });
  route(app, options, {
    method: 'get',
    path: '/api/v1/account',
    permission: 'read',
    operationId: 'getAccount',
    summary: 'Cash, equity and P&L',
    tag: 'account',
    responses: { 200: ref(AccountSchema) },
    errorStatuses: [503],
    handler: async (context) => ({ status: 200, body: (await accountOf(execution, wire, account(context))).account }),
  });
  route(app, options, {
    method: 'post',
    path: '/api/v1/risk/kill-switch',
    permission: 'risk',
    operationId: 'setKillSwitch',
    summary: 'Halt trading (cancel all open orders, block new ones) for one account or everyone, or resume',
    tag: 'risk',
    bodySchema: killSwitchRequest,
    maxBodyBytes: kOrderBodyBytesMax,
    responses: { 200: ref(KillSwitchSchema) },
    errorStatuses: [413, 503],
    handler: async (context) => {
      const body = context.body as Static<typeof killSwitchRequest>;
      return { status: 200, body: wire.killSwitch(await execution(MessageType.SetKillSwitch, { active: body.active, ...(body.account === undefined ? {} : { account: body.account }) })) };
    },
  });
  route(app, options, {
    method: 'get',
    path: '/api/v1/risk/kill-switch',
    permission: 'read',
    operationId: 'getKillSwitch',
    summary: 'Kill switch state',
    tag: 'risk',
    responses: { 200: ref(KillSwitchSchema) },
    errorStatuses: [503],
    handler: async (context) => ({ status: 200, body: wire.killSwitch(await execution(MessageType.KillSwitchQuery, { account: account(context) })) }),
  });
  route(app, options, {
    method: 'get',
    path: '/api/v1/admin/state-hash',
    permission: 'admin',
    operationId: 'getStateHash',
    summary: 'Digest of the execution state and the journal sequence it covers; full=true replays the whole journal into a scratch engine to compare',
    tag: 'admin',
    querySchema: Type.Object({ full: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])) }),
    responses: { 200: ref(StateHashSchema) },
    errorStatuses: [503],
    handler: async (context) => ({ status: 200, body: wire.stateHash(await execution(MessageType.StateHashQuery, { full: queryParameter(context.query, 'full') === 'true' })) }),
  });
}
