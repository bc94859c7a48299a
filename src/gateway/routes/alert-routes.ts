/**
 * Alert rules over REST (issue 3, M3 realtime): created here, evaluated on the live stream by the
 * realtime actor, delivered on the `alerts` WebSocket channel to their owner.
 *
 *   POST   /api/v1/alerts        {symbol, condition: {kind: price_cross|pct_move|volume_spike, ...}, cooldown_ms?}
 *   GET    /api/v1/alerts        the caller's rules
 *   DELETE /api/v1/alerts/:id
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type, type Static } from '@sinclair/typebox';
import { OctopusError } from '../../engine/errors.js';
import type { AddAlert, AlertCondition, AlertRule, ListAlerts, RemoveAlert } from '../../engine/messages.js';
import { route, type RouteOptions } from '../http/http.js';
import type { WireFormat } from '../wire/format.js';
import { AlertRuleSchema, ref } from '../wire/schemas.js';
import { decimal } from './order-routes.js';

type ConditionRequest = Static<typeof alertRequest>['condition'];

/** The rule's condition with its decimals as numbers (the realtime actor checks their ranges). */
function conditionOf(condition: ConditionRequest): AlertCondition {
  if (condition.kind === 'price_cross') return { kind: condition.kind, level: Number(condition.level), direction: condition.direction };
  if (condition.kind === 'pct_move') return { kind: condition.kind, percent: Number(condition.percent), window_ms: condition.window_ms };
  return { kind: condition.kind, multiple: Number(condition.multiple), lookback: condition.lookback, interval_ms: condition.interval_ms };
}

const alertRequest = Type.Object(
  {
    symbol: Type.String({ minLength: 1, maxLength: 32 }),
    condition: Type.Union([
      Type.Object({ kind: Type.Literal('price_cross'), level: decimal, direction: Type.Union([Type.Literal('above'), Type.Literal('below')]) }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('pct_move'), percent: decimal, window_ms: Type.Integer() }, { additionalProperties: false }),
      Type.Object({ kind: Type.Literal('volume_spike'), multiple: decimal, lookback: Type.Integer(), interval_ms: Type.Integer() }, { additionalProperties: false }),
    ]),
    cooldown_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
  },
  { additionalProperties: false },
);

/** The realtime actor's alert rules, as requests. */
export interface AlertClient {
  add(command: AddAlert): Promise<AlertRule>;
  remove(command: RemoveAlert): Promise<AlertRule>;
  list(command: ListAlerts): Promise<AlertRule[]>;
}

export function alertRoutes(alerts: AlertClient, isSymbol: (symbol: string) => boolean, wire: WireFormat) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, {
      method: 'post',
      path: '/api/v1/alerts',
      permission: 'read',
      operationId: 'createAlert',
      summary: 'Create an alert rule (price cross, % move in a window, volume spike)',
      tag: 'alerts',
      bodySchema: alertRequest,
      responses: { 201: ref(AlertRuleSchema) },
      errorStatuses: [404, 413, 422, 503],
      handler: async ({ body, principal }) => {
        const request = body as Static<typeof alertRequest>;
        if (!isSymbol(request.symbol)) throw new OctopusError('ERR_BOOK_UNKNOWN_SYMBOL', `expected a known symbol, was ${JSON.stringify(request.symbol)}`);
        const rule = await alerts.add({
          account: principal!.username,
          symbol: request.symbol,
          condition: conditionOf(request.condition),
          ...(request.cooldown_ms === undefined ? {} : { cooldownMs: request.cooldown_ms }),
        });
        return { status: 201, body: wire.alertRule(rule) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/alerts',
      permission: 'read',
      operationId: 'listAlerts',
      summary: "The caller's alert rules",
      tag: 'alerts',
      responses: { 200: Type.Array(ref(AlertRuleSchema)) },
      errorStatuses: [503],
      handler: async ({ principal }) => {
        return { status: 200, body: (await alerts.list({ account: principal!.username })).map((rule) => wire.alertRule(rule)) };
      },
    });
    route(app, options, {
      method: 'delete',
      path: '/api/v1/alerts/:id',
      permission: 'read',
      operationId: 'deleteAlert',
      summary: 'Delete an alert rule',
      tag: 'alerts',
      responses: { 200: ref(AlertRuleSchema) },
      errorStatuses: [404, 503],
      handler: async ({ principal, parameters }) => {
        return { status: 200, body: wire.alertRule(await alerts.remove({ account: principal!.username, id: parameters[0] ?? '' })) };
      },
    });
  };
}
