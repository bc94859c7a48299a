/**
 * `GET /api/v1/openapi.json`: an OpenAPI 3.1 document generated from the registered routes and the
 * wire schemas (wire/schemas.ts): request bodies from the same TypeBox schemas that validate them,
 * query parameters from the routes' query schemas, every success response and every error status a
 * route answers, with Retry-After on 429. Generated, so it cannot drift from the code; the tests lint
 * it with Redocly and validate real responses against it.
 */
import type { TemplatedApp } from '@trufflesuite/uws-js-unofficial';
import { Type, type TSchema } from '@sinclair/typebox';
import { errorCodes } from '../../engine/errors.js';
import { componentSchemas } from '../wire/schemas.js';
import { isPublic, registeredRoutes, route, type RouteOptions, type RouteSpec } from './http.js';

const errorSchema = Type.Object({
  error: Type.Object({
    code: Type.Union(Object.keys(errorCodes).map((code) => Type.Literal(code))),
    message: Type.String(),
  }),
});

const kErrorDescriptions: Record<number, string> = {
  400: 'Bad request: malformed JSON, a body or query that does not match the schema, an off-grid price',
  401: 'Missing, invalid, expired or tampered credentials',
  403: 'The role or key scope does not allow this (or the kill switch is on)',
  404: 'Unknown order, symbol, alert or route',
  405: 'Method not allowed on this path (see Allow)',
  409: 'Conflict: a reused client_order_id describing another order',
  413: 'Body too large',
  422: 'Refused by pre-trade risk, compliance or the matching rules (a business rejection)',
  429: 'Rate limited or throttled: retry after Retry-After seconds',
  500: 'Internal error',
  502: 'An upstream store (QuestDB) failed the query',
  503: 'Busy, stopping or unavailable: retry later',
  504: 'An actor did not answer in time',
};

const kTagDescriptions: Record<string, string> = {
  auth: 'Tokens and who you are',
  orders: 'Order entry and queries (Alpaca-style)',
  account: 'Positions, cash and P&L',
  market: 'Symbols, trades, bars and the live book',
  alerts: 'Alert rules on the live stream',
  risk: 'Kill switch and risk analytics',
  compute: 'Compute kernels: indicators, VaR, optimisation',
  admin: 'Operator routes',
  operations: 'Health, metrics and this document',
  alpaca: 'Alpaca-compatible aliases under /v2 (APCA-API-KEY-ID / APCA-API-SECRET-KEY)',
  strategies: 'Strategies and backtest jobs',
  test: 'Test routes',
};

/** `/orders/:id` -> `/orders/{id}`; only a whole segment is a parameter (`/orders:by_client_id` is a literal). */
export function openApiPath(path: string): string {
  return path.replace(/\/:([A-Za-z_]+)/g, '/{$1}');
}

/**
 * TypeBox writes JSON Schema draft 7; OpenAPI 3.1 is 2020-12: refs by $id become JSON pointers into
 * components, and tuples (`items: [...]`, `additionalItems`) become `prefixItems` with `items: false`.
 */
export function toOpenApiSchema(schema: TSchema): unknown {
  return JSON.parse(JSON.stringify(schema), (key, value: unknown) => {
    if (key === '$ref' && typeof value === 'string' && !value.startsWith('#')) return `#/components/schemas/${value}`;
    if (typeof value === 'object' && value !== null && Array.isArray((value as { items?: unknown }).items)) {
      const { items, additionalItems: _additionalItems, ...rest } = value as { items: unknown[]; additionalItems?: unknown };
      return { ...rest, prefixItems: items, items: false };
    }
    return value;
  }) as unknown;
}

function schemaOrRef(schema: TSchema): unknown {
  return schema.$id === undefined ? toOpenApiSchema(schema) : { $ref: `#/components/schemas/${schema.$id}` };
}

function errorStatuses(spec: RouteSpec, options: RouteOptions): number[] {
  const statuses = new Set<number>([400, 429, ...(spec.errorStatuses ?? [])]);
  if (!isPublic(spec, options)) {
    statuses.add(401);
    statuses.add(403);
  }
  return [...statuses].sort((left, right) => left - right);
}

function parameters(spec: RouteSpec): unknown[] {
  const path = [...spec.path.matchAll(/\/:([A-Za-z_]+)/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
  const query = Object.entries(spec.querySchema?.properties ?? {}).map(([name, schema]) => {
    const { description, ...rest } = toOpenApiSchema(schema) as { description?: string };
    return { name, in: 'query', required: false, ...(description === undefined ? {} : { description }), schema: rest };
  });
  return [...path, ...query];
}

function operation(spec: RouteSpec, options: RouteOptions): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(spec.responses)) {
    responses[status] = schema === undefined ? { description: 'success, no body' } : { description: 'success', content: { [(spec.contentType ?? 'application/json').split(';')[0]!]: { schema: schemaOrRef(schema) } } };
  }
  for (const status of errorStatuses(spec, options)) responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
  const parameterList = parameters(spec);
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    tags: [spec.tag],
    ...(parameterList.length > 0 ? { parameters: parameterList } : {}),
    ...(spec.bodySchema === undefined ? {} : { requestBody: { required: true, content: { 'application/json': { schema: toOpenApiSchema(spec.bodySchema) } } } }),
    security: isPublic(spec, options) ? [] : [{ bearer: [] }, { apiKey: [], apiKeyTimestamp: [], apiKeySignature: [] }, { alpacaKeyId: [], alpacaSecretKey: [] }],
    ...(spec.permission === undefined ? {} : { 'x-octopus-permission': spec.permission }),
    responses,
  };
}

function errorResponses(): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(kErrorDescriptions)) {
    responses[`Error${status}`] = {
      description,
      ...(status === '429' || status === '503'
        ? { headers: { 'Retry-After': { description: 'seconds to wait before retrying', schema: { type: 'integer', minimum: 1 } } } }
        : {}),
      ...(status === '405' ? { headers: { Allow: { description: 'the methods this path answers', schema: { type: 'string' } } } } : {}),
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

/** Only the error responses some route uses (an unused component is a lint warning). */
function usedErrorResponses(paths: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const text = JSON.stringify(paths);
  return Object.fromEntries(Object.entries(errorResponses()).filter(([name]) => text.includes(`#/components/responses/${name}"`)));
}

export interface OpenApiOptions {
  version?: string;
}

export function openApiDocument(routes: readonly RouteSpec[], options: RouteOptions, documentOptions: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Set<string>();
  for (const spec of routes) {
    const path = openApiPath(spec.path);
    paths[path] ??= {};
    paths[path]![spec.method] = operation(spec, options);
    tags.add(spec.tag);
  }
  const schemas: Record<string, unknown> = { Error: toOpenApiSchema(errorSchema) };
  for (const schema of componentSchemas) {
    const { $id, ...rest } = toOpenApiSchema(schema) as { $id: string };
    schemas[$id] = rest;
  }
  // Only what the paths use, directly or through another schema (the WebSocket-only ones are AsyncAPI's).
  const used = new Set<string>(['Error']);
  let text = JSON.stringify(paths);
  for (let grown = true; grown; ) {
    grown = false;
    for (const name of Object.keys(schemas)) {
      if (used.has(name) || !text.includes(`"#/components/schemas/${name}"`)) continue;
      used.add(name);
      text += JSON.stringify(schemas[name]);
      grown = true;
    }
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Octopus trading engine API',
      version: documentOptions.version ?? '1',
      description: 'The wire format is described in docs/api.md: snake_case, decimals as strings, RFC-3339 times, side buy|sell.',
      license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
    },
    // Relative: the engine that serves the document (whatever its --host and --port).
    servers: [{ url: '/', description: 'this engine' }],
    tags: [...tags].sort().map((name) => ({ name, description: kTagDescriptions[name] ?? name })),
    paths,
    components: {
      schemas,
      responses: usedErrorResponses(paths),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a JWT from POST /api/v1/auth/token' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Octopus-Key', description: 'an API key id; the request also carries X-Octopus-Timestamp and X-Octopus-Signature' },
        apiKeyTimestamp: { type: 'apiKey', in: 'header', name: 'X-Octopus-Timestamp', description: 'milliseconds since the Unix epoch, within 5 s of the server clock' },
        apiKeySignature: { type: 'apiKey', in: 'header', name: 'X-Octopus-Signature', description: 'hex HMAC-SHA256(secret, timestamp + METHOD + path?query + body)' },
        alpacaKeyId: { type: 'apiKey', in: 'header', name: 'APCA-API-KEY-ID', description: 'Alpaca-compatible: the API key id' },
        alpacaSecretKey: { type: 'apiKey', in: 'header', name: 'APCA-API-SECRET-KEY', description: 'Alpaca-compatible: the API key secret itself (use TLS)' },
      },
    },
  };
}

export function openApiRoutes(app: TemplatedApp, options: RouteOptions, documentOptions: OpenApiOptions = {}): void {
  let document: Record<string, unknown> | undefined;
  route(app, options, {
    method: 'get',
    path: '/api/v1/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This document',
    tag: 'operations',
    responses: { 200: Type.Object({}, { additionalProperties: true, description: 'an OpenAPI 3.1 document' }) },
    // Built once, on first request: every route is registered by then.
    handler: () => ({ status: 200, body: (document ??= openApiDocument(registeredRoutes(app), options, documentOptions)) }),
  });
}
