/**
 * The `/ws` route module: the uWS WebSocket behaviour in front of a FeedHub. Mount it with
 * `routes: [feedRoutes(hub)]`. The protocol is in docs/websocket.md.
 *
 * Upgrade: credentials are optional (`?token=<jwt>`, `Authorization: Bearer <jwt>`, or a signed API key
 * request on `GET /ws`); presented and wrong -> 401, refused before the upgrade. Without credentials the
 * connection is anonymous and a subscribe to `orders`/`positions` gets an ERR_AUTH_MISSING error frame.
 * `?encoding=flatbuffers` makes trades/quotes/book frames binary for the whole connection.
 *
 * Caps (hub.ts): connections in all, per client address (429 ERR_WS_TOO_MANY_FROM_ADDRESS) and without
 * credentials (503 ERR_WS_TOO_MANY_ANONYMOUS), checked at the upgrade.
 *
 * uWS contract (STYLE rule 8): `onAborted` is attached first and nothing is written after an abort;
 * everything is read from `req` synchronously, and authentication is synchronous, so the upgrade is
 * decided in the same turn; messages are decoded (copied) inside the callback with a nesting bound;
 * replies are corked; sends are checked (see FeedHub.send).
 */
import type { HttpRequest, HttpResponse, TemplatedApp, us_socket_context_t } from '@trufflesuite/uws-js-unofficial';
import { OctopusError, isOctopusError, type ErrorCode } from '../../engine/errors.js';
import type { AuthRequest } from '../auth/authenticator.js';
import type { Principal } from '../auth/users.js';
import { authRequestOf, statusLine, type RouteOptions } from '../http/http.js';
import { parseJsonText } from '../http/json-text.js';
import { kCloseSlowConsumer, type FeedConnection, type FeedEncoding, type FeedHub, type FeedSocket } from './hub.js';
import type { ParsedChannel } from './channels.js';

export const kFeedPath = '/ws';
const ops = ['subscribe', 'unsubscribe', 'resync', 'ping'] as const;
type Op = (typeof ops)[number];

/** The route module: `routes: [feedRoutes(hub)]`. */
export function feedRoutes(hub: FeedHub, path: string = kFeedPath): (app: TemplatedApp, options: RouteOptions) => void {
  return (app, options) => {
    hub.attach(app);
    app.ws<FeedConnection>(path, {
      maxPayloadLength: hub.options.maxPayloadBytes,
      maxBackpressure: 2 * hub.options.slowConsumerBytes,
      // Typed as a number in these bindings; uWS reads it as a boolean.
      closeOnBackpressureLimit: 1,
      idleTimeout: hub.options.idleTimeoutSeconds,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => upgrade(hub, options, res, req, context),
      open: (socket) => hub.opened(socket),
      message: (socket, message, isBinary) => {
        socket.cork(() => onMessage(hub, socket, message, isBinary));
      },
      close: (socket) => hub.closedConnection(socket),
    });
  };
}

function refuse(res: HttpResponse, aborted: { value: boolean }, status: number, code: ErrorCode, message: string, retryAfterSeconds?: number): void {
  if (aborted.value) return;
  aborted.value = true;
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json');
    if (retryAfterSeconds !== undefined) res.writeHeader('retry-after', String(retryAfterSeconds));
    res.end(JSON.stringify(new OctopusError(code, message).toJSON()));
  });
}

function upgrade(hub: FeedHub, options: RouteOptions, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  const aborted = { value: false };
  res.onAborted(() => {
    aborted.value = true;
  });
  // Everything needed from `req` is read now: it is invalid after this callback returns.
  const query = req.getQuery() ?? '';
  const parameters = new URLSearchParams(query);
  const secWebSocketKey = req.getHeader('sec-websocket-key');
  const secWebSocketProtocol = req.getHeader('sec-websocket-protocol');
  const secWebSocketExtensions = req.getHeader('sec-websocket-extensions');
  const token = parameters.get('token');
  const request = authRequestOf(req, 'GET', query, req.getHeader('authorization') || (token === null ? '' : `Bearer ${token}`));
  const address = Buffer.from(res.getRemoteAddressAsText()).toString();
  const encodingText = parameters.get('encoding') ?? 'json';
  if (encodingText !== 'json' && encodingText !== 'flatbuffers') {
    refuse(res, aborted, 400, 'ERR_WS_BAD_REQUEST', `expected encoding json or flatbuffers, was ${JSON.stringify(encodingText.slice(0, 40))}`);
    return;
  }
  const encoding: FeedEncoding = encodingText;
  let principal: Principal | undefined;
  try {
    principal = authenticateUpgrade(options, request, address);
  } catch (error) {
    if (isOctopusError(error)) {
      if (error.httpStatus === 401) options.observer?.authFailed(error.code);
      if (error.code === 'ERR_RATE_LIMITED') options.observer?.rateLimitRefused('address');
      refuse(res, aborted, error.httpStatus, error.code, error.message, error.retryAfterSeconds);
      return;
    }
    options.logger.error({ err: error }, 'ws upgrade failed');
    refuse(res, aborted, 500, 'ERR_INTERNAL', 'expected the upgrade to complete, was an internal error');
    return;
  }
  // Checked and upgraded in this same synchronous turn (uWS calls `open` inside `upgrade`): the caps
  // cannot be overtaken by a burst of upgrades.
  const refusal = hub.refusal(address, principal === undefined);
  if (refusal !== undefined) {
    hub.stats.upgradesRefused++;
    refuse(res, aborted, refusal.status, refusal.code, refusal.message, refusal.status === 429 ? 1 : undefined);
    return;
  }
  res.cork(() => res.upgrade(hub.newConnectionData(principal, encoding, address), secWebSocketKey, secWebSocketProtocol, secWebSocketExtensions, context));
}

/**
 * The address limit, then the credentials if any were presented (synchronous: tokens and key
 * signatures are checked on this thread); undefined for an anonymous connection.
 * @throws OctopusError 401 for presented and wrong credentials, 429 over the address limit.
 */
function authenticateUpgrade(options: RouteOptions, request: AuthRequest, address: string): Principal | undefined {
  const security = options.security;
  if (security !== undefined) {
    const decision = security.addressLimiter.take(address);
    if (!decision.allowed) {
      throw new OctopusError('ERR_RATE_LIMITED', `expected fewer requests, was over the limit; retry after ${decision.retryAfterSeconds} s`, { retryAfterSeconds: decision.retryAfterSeconds });
    }
  }
  if (request.authorization === '' && request.keyId === '' && request.alpacaKeyId === '') return undefined;
  if (security === undefined) throw new OctopusError('ERR_AUTH_INVALID', 'expected no credentials (this gateway has no authenticator), was some');
  return security.authenticator.authenticate(request);
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}

function onMessage(hub: FeedHub, socket: FeedSocket, message: ArrayBuffer, isBinary: boolean): void {
  if (isBinary) {
    hub.sendError(socket, undefined, 'ERR_WS_BINARY_FRAME', `expected a text frame holding a JSON object, was a binary frame of ${message.byteLength} bytes`);
    return;
  }
  // Decoding copies: uWS reuses the message's memory once this callback returns. uWS has already
  // checked that a text frame is valid UTF-8 (it drops the connection otherwise; docs/security.md).
  const parsed = parseJsonText(Buffer.from(message).toString('utf8'));
  if (!parsed.ok) {
    hub.sendError(socket, undefined, parsed.reason === 'too_deep' ? 'ERR_WS_BAD_REQUEST' : 'ERR_WS_MALFORMED_JSON', parsed.message);
    return;
  }
  const frame = parsed.value;
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    hub.sendError(socket, undefined, 'ERR_WS_BAD_REQUEST', `expected a JSON object, was ${describe(frame)}`);
    return;
  }
  const request = frame as Record<string, unknown>;
  const id = request.id;
  const op = request.op;
  if (typeof op !== 'string' || !(ops as readonly string[]).includes(op)) {
    hub.sendError(socket, id, 'ERR_WS_UNKNOWN_OP', `expected op subscribe, unsubscribe, resync or ping, was ${describe(op)}`);
    return;
  }
  if (op === 'ping') {
    hub.send(socket, JSON.stringify({ type: 'ack', id, op, channels: [], time_ms: Date.now() }), false);
    return;
  }
  handleChannelOp(hub, socket, op as Exclude<Op, 'ping'>, id, request);
}

function handleChannelOp(hub: FeedHub, socket: FeedSocket, op: 'subscribe' | 'unsubscribe' | 'resync', id: unknown, request: Record<string, unknown>): void {
  const data = socket.getUserData();
  const names = request.channels;
  if (!Array.isArray(names) || names.length === 0 || names.length > hub.options.maxChannelsPerOp) {
    hub.sendError(socket, id, 'ERR_WS_BAD_REQUEST', `expected channels, an array of 1 to ${hub.options.maxChannelsPerOp} channel names, was ${describe(names)}`);
    return;
  }
  const parsed = hub.parseChannels(names);
  if (!parsed.ok) {
    hub.sendError(socket, id, parsed.code, parsed.message);
    return;
  }
  const channels = parsed.channels;
  if (op !== 'unsubscribe' && data.account === undefined && channels.some((channel) => channel.isPrivate)) {
    hub.sendError(socket, id, 'ERR_AUTH_MISSING', 'expected an authenticated connection (?token= or Authorization at upgrade) for orders/positions, was anonymous');
    return;
  }
  if (op === 'subscribe') {
    subscribe(hub, socket, id, request, channels);
    return;
  }
  if (op === 'resync') {
    const missing = channels.find((channel) => !data.subscriptions.has(channel.name));
    if (missing !== undefined) {
      hub.sendError(socket, id, 'ERR_WS_NOT_SUBSCRIBED', `expected a subscribed channel to resync, was ${missing.name}`);
      return;
    }
    if (!ack(hub, socket, id, op, channels)) return;
    for (const channel of channels) if (!hub.sendSnapshot(socket, channel)) return;
    return;
  }
  for (const channel of channels) hub.unsubscribe(socket, channel.name);
  ack(hub, socket, id, op, channels);
}

function ack(hub: FeedHub, socket: FeedSocket, id: unknown, op: string, channels: readonly ParsedChannel[]): boolean {
  return hub.send(socket, JSON.stringify({ type: 'ack', id, op, channels: channels.map((channel) => channel.name) }), false);
}

function subscribe(hub: FeedHub, socket: FeedSocket, id: unknown, request: Record<string, unknown>, channels: readonly ParsedChannel[]): void {
  const data = socket.getUserData();
  const depthValue = request.depth ?? hub.options.defaultBookDepth;
  if (typeof depthValue !== 'number' || !Number.isInteger(depthValue) || depthValue < 1 || depthValue > hub.options.maxBookDepth) {
    hub.sendError(socket, id, 'ERR_WS_BAD_REQUEST', `expected depth an integer in [1, ${hub.options.maxBookDepth}], was ${describe(request.depth)}`);
    return;
  }
  const added = new Set(channels.filter((channel) => !data.subscriptions.has(channel.name)).map((channel) => channel.name)).size;
  if (data.subscriptions.size + added > hub.options.maxSubscriptionsPerConnection) {
    hub.sendError(socket, id, 'ERR_WS_TOO_MANY_SUBSCRIPTIONS', `expected at most ${hub.options.maxSubscriptionsPerConnection} subscriptions, was ${data.subscriptions.size + added}`);
    return;
  }
  for (const channel of channels) hub.subscribe(socket, channel, depthValue);
  if (!ack(hub, socket, id, 'subscribe', channels)) return;
  // Subscribed and snapshotted in the same synchronous turn: no frame can fall between the two.
  for (const channel of channels) {
    if (hub.hasSnapshotOnSubscribe(channel.kind) && !hub.sendSnapshot(socket, channel)) return;
  }
}

export { kCloseSlowConsumer };
