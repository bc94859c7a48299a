/**
 * `GET /api/v1/openapi.json`: an OpenAPI 3.1 document generated from the registered routes' TypeBox
 * schemas (the same schemas that validate the requests), so the document cannot drift from the code.
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type } from '@sinclair/typebox';
import { errorCodes } from '../../engine/errors.js';
import { registeredRoutes, route, type RouteOptions, type RouteSpec } from './http.js';

const errorSchema = Type.Object({
  error: Type.Object({
    code: Type.Union(Object.keys(errorCodes).map((code) => Type.Literal(code))),
    message: Type.String(),
  }),
});

function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, '{$1}');
}

function operation(spec: RouteSpec): Record<string, unknown> {
  const parameters = [...spec.path.matchAll(/:([A-Za-z_]+)/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
  const responses: Record<string, unknown> = {
    [String(spec.responseStatus ?? 200)]: {
      description: 'success',
      content: { 'application/json': { schema: spec.responseSchema ?? {} } },
    },
    default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
  };
  return {
    summary: spec.summary ?? `${spec.method.toUpperCase()} ${spec.path}`,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(spec.bodySchema === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: spec.bodySchema } } } }),
    ...(spec.permission === undefined ? {} : { security: [{ bearer: [] }, { apiKey: [] }], 'x-octopus-permission': spec.permission }),
    responses,
  };
}

export function openApiDocument(routes: readonly RouteSpec[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of routes) {
    const path = openApiPath(spec.path);
    paths[path] ??= {};
    paths[path]![spec.method] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Octopus trading engine API', version: '1' },
    paths,
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Octopus-Key',
          description: 'with X-Octopus-Timestamp (ms) and X-Octopus-Signature = hex HMAC-SHA256(secret, timestamp + METHOD + path + body)',
        },
      },
    },
  };
}

export function openApiRoutes(app: TemplatedApp, options: RouteOptions): void {
  route(app, options, {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    handler: () => ({ status: 200, body: openApiDocument(registeredRoutes(app)) }),
  });
}
