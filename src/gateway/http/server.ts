/**
 * The HTTP/WebSocket gateway on uWebSockets.js. It serves `GET /health` and whatever route modules the
 * engine mounts (each a function that registers its routes); the market-data and order-entry work add
 * REST routes and WS channels the same way. See http.ts for the uWS contract every route keeps.
 */
import { createServer } from 'node:net';
import uws from '@trufflesuite/uws-js-unofficial';
import type { TemplatedApp, us_listen_socket } from '@trufflesuite/uws-js-unofficial';
import { OctopusError } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import { Type } from '@sinclair/typebox';
import { notFound, route, type HttpObserver, type RouteOptions, type Security } from './http.js';
import { openApiRoutes } from './openapi.js';

export type RouteModule = (app: TemplatedApp, options: RouteOptions) => void;

export interface GatewayOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  logger: Logger;
  /** The health document; `status` decides the HTTP code (503 while stopping). */
  health: () => { status: string };
  /** Extra route modules, registered before the catch-all 404. */
  routes?: RouteModule[];
  /** Largest accepted request body (default 8 MiB: big enough for a long price series). */
  maxBodyBytes?: number;
  /** Authentication and rate limits for protected routes. */
  security?: Security;
  /** Receives every answered request, rate-limit refusal and auth failure (metrics). */
  observer?: HttpObserver;
  /** Serve market-data reads without credentials (default true). */
  publicMarketData?: boolean;
  /** The engine's version, for the OpenAPI document. */
  version?: string;
}

export interface Gateway {
  readonly port: number;
  close(): void;
}

const kActorHealth = Type.Object({
  state: Type.String(),
  restarts: Type.Integer(),
  inbox_depth: Type.Integer(),
  processed: Type.Integer(),
  handler_errors: Type.Integer(),
  dead_letters: Type.Integer(),
});

/** The health document: status and uptime always; the engine adds its actors and counters. */
const kHealthSchema = Type.Object(
  {
    status: Type.Union([Type.Literal('ok'), Type.Literal('degraded'), Type.Literal('stopping')]),
    uptime_s: Type.Optional(Type.Number()),
    actors: Type.Optional(Type.Record(Type.String(), kActorHealth)),
    dead_letters: Type.Optional(Type.Integer()),
  },
  { additionalProperties: true },
);

export const kDefaultMaxBodyBytes = 8 * 1024 * 1024;

/** uSockets' listen option that leaves SO_REUSEPORT off: a second engine on the port fails instead of sharing it. */
const kListenExclusivePort = 1;

/**
 * Starts listening, alone on the port.
 * @throws (rejects) OctopusError ERR_CONFIG_PORT_IN_USE when another process listens on the port;
 *   ERR_CONFIG_INVALID when the host is not an address of this machine or the port is not allowed.
 */
export function startGateway(options: GatewayOptions): Promise<Gateway> {
  const app = uws.App();
  const routeOptions: RouteOptions = {
    logger: options.logger,
    maxBodyBytes: options.maxBodyBytes ?? kDefaultMaxBodyBytes,
    ...(options.security === undefined ? {} : { security: options.security }),
    ...(options.observer === undefined ? {} : { observer: options.observer }),
    publicMarketData: options.publicMarketData ?? true,
  };
  route(app, routeOptions, {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Engine health: every actor, the kernels, the feed (503 while stopping)',
    tag: 'operations',
    responses: { 200: kHealthSchema },
    errorStatuses: [503],
    handler: () => {
      const report = options.health();
      return { status: report.status === 'stopping' ? 503 : 200, body: report };
    },
  });
  for (const register of options.routes ?? []) register(app, routeOptions);
  openApiRoutes(app, routeOptions, { version: options.version ?? '1' });
  notFound(app, routeOptions);
  return new Promise((resolve, reject) => {
    // The native listen takes (host, port, options, callback); these typings only declare it without a host.
    const listen = app.listen as unknown as (host: string, port: number, listenOptions: number, callback: (token: us_listen_socket | false) => void) => TemplatedApp;
    listen.call(app, options.host, options.port, kListenExclusivePort, (token) => {
      if (token === false) {
        listenFailure(options.host, options.port).then(reject, reject);
        return;
      }
      const port = uws.us_socket_local_port(token as never);
      options.logger.info({ host: options.host, port }, 'gateway listening');
      let closed = false;
      resolve({
        port,
        close() {
          if (closed) return;
          closed = true;
          uws.us_listen_socket_close(token);
        },
      });
    });
  });
}

/** uWS only says that listening failed; node:net, trying the same address, says why. */
async function listenFailure(host: string, port: number): Promise<OctopusError> {
  const probe = createServer();
  const code = await new Promise<string | undefined>((resolve) => {
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'unknown'));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
  if (code === 'EADDRINUSE') {
    return new OctopusError('ERR_CONFIG_PORT_IN_USE', `expected port ${port} on ${host} to be free, was in use by another process (another engine?)`);
  }
  if (code === 'EACCES') return new OctopusError('ERR_CONFIG_INVALID', `expected permission to listen on port ${port}, was refused (ports below 1024 need privileges)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code?.startsWith('EAI_') === true) {
    return new OctopusError('ERR_CONFIG_INVALID', `expected --host to be an address of this machine, was ${JSON.stringify(host)} (${code})`);
  }
  return new OctopusError('ERR_CONFIG_INVALID', `expected to listen on ${host}:${port}, was refused (${code ?? 'the address became free again; retry'})`);
}
