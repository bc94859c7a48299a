/**
 * Authentication routes: `POST /api/v1/auth/token` (username + password -> JWT) and `GET /api/v1/me`
 * (who the credentials belong to and what they may do).
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { OctopusError } from '../engine/errors.js';
import type { Authenticator } from './auth/authenticator.js';
import { route, type RouteOptions } from './http.js';

export function authRoutes(authenticator: Authenticator) {
  return (app: TemplatedApp, options: RouteOptions): void => {
    route(app, options, {
      method: 'post',
      path: '/api/v1/auth/token',
      handler: async ({ body }) => {
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected {"username": string, "password": string}, was ${Array.isArray(body) ? 'an array' : typeof body}`);
        }
        const { username, password } = body as Record<string, unknown>;
        return { status: 200, body: await authenticator.issueToken(username, password) };
      },
    });
    route(app, options, {
      method: 'get',
      path: '/api/v1/me',
      permission: 'read',
      handler: ({ principal }) => ({
        status: 200,
        body: { username: principal!.username, role: principal!.role, permissions: principal!.permissions, via: principal!.via, key_id: principal!.keyId ?? null },
      }),
    });
  };
}
