/**
 * Order entry over REST (issue 4): Alpaca-style routes in front of M7 execution. The gateway checks the
 * shape (schemas) and converts decimals given as strings or numbers; the execution actor checks grids,
 * risk and compliance, journals and answers. The caller's account is the authenticated username.
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
import { route, type RouteContext, type RouteOptions } from '../http/http.js';

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

const decimal = Type.Union([Type.Number(), Type.String({ pattern: '^[0-9]{1,15}(\\.[0-9]{1,12})?$' })], { description: 'a decimal, as a number or a string' });

const orderRequest = Type.Object(
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

const replaceRequest = Type.Object(
  { qty: Type.Optional(decimal), limit_price: Type.Optional(decimal), stop_price: Type.Optional(decimal) },
  { additionalProperties: false },
);

const killSwitchRequest = Type.Object(
  { active: Type.Boolean(), account: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  { additionalProperties: false },
);

/** Decimal from a number or a string; refuses non-finite and non-positive values with `code`. */
function toDecimal(value: number | string | undefined, name: string, code: ErrorCode): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new OctopusError(code, `expected ${name} to be a positive finite decimal, was ${JSON.stringify(value)}`);
  return number;
}

function orderId(parameter: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(parameter)) throw new OctopusError('ERR_ORDER_UNKNOWN', `expected an order id, was ${JSON.stringify(parameter)}`);
  return Number(parameter);
}

function queryParameter(query: string, name: string): string | undefined {
  return new URLSearchParams(query).get(name) ?? undefined;
}

export function orderRoutes(execution: ExecutionClient) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    const account = (context: RouteContext): string => context.principal!.username;
    route(app, options, {
      method: 'post',
      path: '/api/v1/orders',
      permission: 'trade',
      summary: 'Submit an order',
      bodySchema: orderRequest,
      maxBodyBytes: kOrderBodyBytesMax,
      responseStatus: 201,
      handler: async (context) => {
        const body = context.body as Static<typeof orderRequest>;
        const command = {
          account: account(context),
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
        const { order, created } = await execution(MessageType.SubmitOrder, command);
        return { status: created ? 201 : 200, body: order };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/orders',
      permission: 'read',
      summary: 'List orders (status=open|closed|all, limit=1..500)',
      handler: async (context) => {
        const status = queryParameter(context.query, 'status') ?? 'open';
        if (status !== 'open' && status !== 'closed' && status !== 'all') {
          throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected status open, closed or all, was ${JSON.stringify(status)}`);
        }
        const limitText = queryParameter(context.query, 'limit') ?? '500';
        const limit = Number(limitText);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected limit 1..500, was ${JSON.stringify(limitText)}`);
        return { status: 200, body: await execution(MessageType.OrdersQuery, { account: account(context), status, limit }) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/orders:by_client_id/:client_order_id',
      permission: 'read',
      summary: 'One order by client_order_id',
      handler: async (context) => ({
        status: 200,
        body: await execution(MessageType.OrderQuery, { account: account(context), clientOrderId: context.parameters[0] ?? '' }),
      }),
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/orders/:id',
      permission: 'read',
      summary: 'One order, with its status history',
      handler: async (context) => ({ status: 200, body: await execution(MessageType.OrderQuery, { account: account(context), orderId: orderId(context.parameters[0] ?? '') }) }),
    });
    route(app, options, {
      method: 'patch',
      path: '/api/v1/orders/:id',
      permission: 'trade',
      summary: 'Replace an order: new total qty and/or prices (a price change or qty increase loses time priority)',
      bodySchema: replaceRequest,
      maxBodyBytes: kOrderBodyBytesMax,
      handler: async (context) => {
        const body = context.body as Static<typeof replaceRequest>;
        const command = {
          account: account(context),
          orderId: orderId(context.parameters[0] ?? ''),
          qty: toDecimal(body.qty, 'qty', 'ERR_ORDER_BAD_QTY'),
          limitPrice: toDecimal(body.limit_price, 'limit_price', 'ERR_ORDER_BAD_PRICE'),
          stopPrice: toDecimal(body.stop_price, 'stop_price', 'ERR_ORDER_BAD_PRICE'),
        };
        return { status: 200, body: await execution(MessageType.ReplaceOrder, command) };
      },
    });
    route(app, options, {
      method: 'delete',
      path: '/api/v1/orders/:id',
      permission: 'trade',
      summary: 'Cancel an order',
      handler: async (context) => ({ status: 200, body: await execution(MessageType.CancelOrder, { account: account(context), orderId: orderId(context.parameters[0] ?? '') }) }),
    });
    route(app, options, {
      method: 'delete',
      path: '/api/v1/orders',
      permission: 'trade',
      summary: "Cancel all of the caller's open orders",
      handler: async (context) => ({ status: 200, body: await execution(MessageType.CancelAllOrders, { account: account(context) }) }),
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/positions',
      permission: 'read',
      summary: 'Open and closed positions with realised and unrealised P&L',
      handler: async (context) => ({ status: 200, body: (await execution(MessageType.AccountQuery, { account: account(context) })).positions }),
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/account',
      permission: 'read',
      summary: 'Cash, equity and P&L',
      handler: async (context) => ({ status: 200, body: await execution(MessageType.AccountQuery, { account: account(context) }) }),
    });
    route(app, options, {
      method: 'post',
      path: '/api/v1/risk/kill-switch',
      permission: 'risk',
      summary: 'Halt trading (cancel all open orders, block new ones) for one account or everyone, or resume',
      bodySchema: killSwitchRequest,
      maxBodyBytes: kOrderBodyBytesMax,
      handler: async (context) => {
        const body = context.body as Static<typeof killSwitchRequest>;
        return { status: 200, body: await execution(MessageType.SetKillSwitch, { active: body.active, ...(body.account === undefined ? {} : { account: body.account }) }) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/admin/state-hash',
      permission: 'admin',
      summary: 'Digest of the execution state and the journal sequence it covers; full=true replays the whole journal into a scratch engine to compare',
      handler: async (context) => {
        const full = queryParameter(context.query, 'full') === 'true';
        return { status: 200, body: await execution(MessageType.StateHashQuery, { full }) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/risk/kill-switch',
      permission: 'read',
      summary: 'Kill switch state',
      handler: async (context) => ({ status: 200, body: await execution(MessageType.KillSwitchQuery, { account: account(context) }) }),
    });
  };
}
