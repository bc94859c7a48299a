/**
 * Authentication routes: `POST /api/v1/auth/token` (username + password -> JWT, behind the login
 * throttle: 429 with Retry-After while a username or address is backed off or locked), `GET /api/v1/me`
 * (who the credentials belong to and what they may do) and `GET /api/v1/security/events` (admin: the
 * newest login failures, backoffs and lockouts).
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type, type Static } from '@sinclair/typebox';
import { OctopusError } from '../../engine/errors.js';
import type { Authenticator } from '../auth/authenticator.js';
import { permissions, roles } from '../auth/users.js';
import { route, type RouteOptions } from '../http/http.js';
import { WireFormat } from '../wire/format.js';
import { SecurityEventSchema, ref } from '../wire/schemas.js';

const tokenRequest = Type.Object(
  { username: Type.String({ minLength: 1, maxLength: 64 }), password: Type.String({ minLength: 1, maxLength: 1_024 }) },
  { additionalProperties: false },
);

/** A username (64) and password (1024) in JSON fit easily. */
const kTokenBodyBytesMax = 4_096;

const tokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
});

const meResponse = Type.Object({
  username: Type.String(),
  role: Type.Union(roles.map((role) => Type.Literal(role))),
  permissions: Type.Array(Type.Union(permissions.map((permission) => Type.Literal(permission)))),
  via: Type.Union([Type.Literal('jwt'), Type.Literal('api_key')]),
  key_id: Type.Union([Type.String(), Type.Null()]),
});

export function authRoutes(authenticator: Authenticator, wire: WireFormat = new WireFormat([])) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, {
      method: 'post',
      path: '/api/v1/auth/token',
      operationId: 'issueToken',
      summary: 'Exchange a username and password for a short-lived JWT',
      tag: 'auth',
      bodySchema: tokenRequest,
      errorStatuses: [401, 413, 503],
      // A public route: the body of an unauthenticated request stays small.
      maxBodyBytes: kTokenBodyBytesMax,
      responses: { 200: tokenResponse },
      handler: async ({ body, address }) => {
        const { username, password } = body as Static<typeof tokenRequest>;
        return { status: 200, body: await authenticator.issueToken(username, password, address) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/security/events',
      operationId: 'listSecurityEvents',
      summary: 'The newest login failures, backoffs and lockouts (limit=1..1000, default 100)',
      tag: 'admin',
      permission: 'admin',
      querySchema: Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1..1000' })) }),
      responses: { 200: Type.Array(ref(SecurityEventSchema)) },
      handler: ({ query }) => {
        const text = new URLSearchParams(query).get('limit') ?? '100';
        const limit = Number(text);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected limit 1..1000, was ${JSON.stringify(text)}`);
        return { status: 200, body: authenticator.securityEvents.recent(limit).map((event) => wire.securityEvent(event)) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/me',
      operationId: 'getMe',
      summary: 'Who the credentials belong to and what they may do',
      tag: 'auth',
      permission: 'read',
      responses: { 200: meResponse },
      handler: ({ principal }) => ({
        status: 200,
        body: { username: principal!.username, role: principal!.role, permissions: principal!.permissions, via: principal!.via, key_id: principal!.keyId ?? null },
      }),
    });
  };
}
