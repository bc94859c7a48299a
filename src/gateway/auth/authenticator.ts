/**
 * Who is calling: a short-lived JWT (`Authorization: Bearer <jwt>`, HS256, from POST /api/v1/auth/token)
 * or an API key that signs each request with HMAC-SHA256:
 *
 *   X-Octopus-Key:        the key id
 *   X-Octopus-Timestamp:  milliseconds since the Unix epoch
 *   X-Octopus-Signature:  hex HMAC-SHA256(secret, timestamp + METHOD + path-with-query + body)
 *
 * A signed request is refused outside the receive window (default 5 s either way) and when its
 * signature was already seen inside the window (replay); the seen-signature cache is bounded.
 *
 * Every check here is synchronous (jsonwebtoken and node:crypto HMACs on the calling thread, a few
 * microseconds): none waits on libuv's thread pool, and the gateway can refuse a request from its
 * headers alone, before reading its body. Only password checks (logins) are asynchronous: they run on
 * their own bounded pool (password-pool.ts), behind the login throttle (login-throttle.ts).
 *
 * Tokens carry the signing key's id (`kid`) and must carry `exp`; keys rotate (jwt-keys.ts). A token whose
 * signature checked out is remembered (bounded): the next request with it checks only its expiry and that
 * its key is still accepted, so a rotation with --drop-previous still refuses it at once.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { OctopusError, isOctopusError } from '../../engine/errors.js';
import type { Logger } from '../../engine/logger.js';
import type { StateStore } from '../../store/state-store.js';
import { JwtKeyRing } from './jwt-keys.js';
import { LoginThrottle, defaultLoginThrottleOptions, type FailureOutcome, type LoginThrottleOptions } from './login-throttle.js';
import { SecurityEventLog } from './security-events.js';
import { isRole, permissionsOf, type ApiKeyRecord, type Principal, type UserStore } from './users.js';

export interface AuthOptions {
  tokenLifetimeSeconds: number;
  receiveWindowMs: number;
  /** Bound on remembered signatures; past it, requests are refused rather than replays risked. */
  maxRememberedSignatures: number;
  login?: LoginThrottleOptions;
  logger?: Logger;
}

export const defaultAuthOptions: AuthOptions = { tokenLifetimeSeconds: 900, receiveWindowMs: 5_000, maxRememberedSignatures: 200_000 };

/** Tokens whose signature was checked, remembered so a client's next request skips the HMAC and JSON work. */
const kMaxVerifiedTokens = 10_000;

interface VerifiedToken {
  kid: string;
  /** The key it verified against: a rotation that drops it, or its retirement running out, ends the entry. */
  key: KeyObject;
  exp: number;
  payload: jwt.JwtPayload;
}

/** The request facts authentication needs, read synchronously from uWS before any await. */
export interface AuthRequest {
  method: string;
  pathWithQuery: string;
  authorization: string;
  keyId: string;
  timestamp: string;
  signature: string;
  /**
   * Alpaca-compatible key headers (APCA-API-KEY-ID / APCA-API-SECRET-KEY): the key's secret itself, sent
   * with every request as Alpaca's SDKs do. No signature, so no replay protection: use them over TLS.
   * Optional: absent (or empty) where a caller has none.
   */
  alpacaKeyId?: string;
  alpacaSecret?: string;
  body: string;
}

const kIssuer = 'octopus';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export class Authenticator {
  private readonly keys: JwtKeyRing;
  readonly throttle: LoginThrottle;
  readonly securityEvents: SecurityEventLog;
  /**
   * signature -> forget-after time (ms since epoch). Each is kept for two receive windows from when it was
   * first seen (a replay is only accepted inside one window of its timestamp), so entries expire in
   * insertion order and the expired ones are always at the front.
   */
  private readonly seenSignatures = new Map<string, number>();
  /** token -> what verifying it proved; bounded, oldest first out. Expiry and the key are checked on every hit. */
  private readonly verifiedTokens = new Map<string, VerifiedToken>();

  constructor(
    private readonly users: UserStore,
    store: StateStore,
    private readonly options: AuthOptions = defaultAuthOptions,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.keys = new JwtKeyRing(store, options.tokenLifetimeSeconds * 1_000, nowMs);
    this.throttle = new LoginThrottle(options.login ?? defaultLoginThrottleOptions, nowMs);
    this.securityEvents = new SecurityEventLog(store, options.logger);
  }

  /**
   * Exchanges a username and password for a JWT, behind the login throttle.
   * @throws OctopusError ERR_AUTH_INVALID for a wrong username or password (the same error for both);
   *   ERR_AUTH_THROTTLED / ERR_AUTH_LOCKED (429) while the username or address is blocked;
   *   ERR_AUTH_BUSY (503) when the password pool's queue is full.
   */
  async issueToken(username: unknown, password: unknown, address = ''): Promise<IssuedToken> {
    if (typeof username !== 'string' || typeof password !== 'string' || username.length > 64 || password.length > 1_024) {
      throw new OctopusError('ERR_AUTH_INVALID', 'expected a username and password (strings), was something else');
    }
    this.throttle.admit(username, address);
    let user;
    try {
      user = await this.users.checkPassword(username, password);
    } catch (error) {
      this.throttle.abandoned(username, address);
      throw error;
    }
    if (user === undefined) {
      this.recordFailure(username, address, this.throttle.failed(username, address));
      throw new OctopusError('ERR_AUTH_INVALID', 'expected a valid username and password, was not');
    }
    this.throttle.succeeded(username, address);
    const nowSeconds = Math.floor(this.nowMs() / 1_000);
    const { kid, keyObject: key } = this.keys.signingKey();
    const token = jwt.sign({ role: user.role, iat: nowSeconds, exp: nowSeconds + this.options.tokenLifetimeSeconds }, key, {
      algorithm: 'HS256',
      keyid: kid,
      subject: user.username,
      issuer: kIssuer,
    });
    return { access_token: token, token_type: 'Bearer', expires_in: this.options.tokenLifetimeSeconds };
  }

  private recordFailure(username: string, address: string, [byUser, byAddress]: [FailureOutcome, FailureOutcome]): void {
    this.securityEvents.record({ type: 'login_failed', username, address, failures: byUser.failures });
    for (const [subject, outcome] of [['username', byUser], ['address', byAddress]] as const) {
      if (outcome.block === undefined) continue;
      this.securityEvents.record({
        type: outcome.block === 'lockout' ? 'login_lockout' : 'login_backoff',
        username,
        address,
        failures: outcome.failures,
        subject,
        blockedForMs: outcome.blockedForMs,
      });
    }
  }

  /**
   * The full check: a token, or a key request with its signature over `request.body`.
   * @throws OctopusError 401 codes: ERR_AUTH_MISSING, ERR_AUTH_INVALID, ERR_AUTH_EXPIRED,
   *   ERR_AUTH_BAD_SIGNATURE, ERR_AUTH_STALE_TIMESTAMP, ERR_AUTH_REPLAYED.
   */
  authenticate(request: AuthRequest): Principal {
    const principal = this.authenticateHeaders(request);
    if (principal.via === 'api_key' && !isAlpacaRequest(request)) this.checkSignature(request);
    return principal;
  }

  /**
   * What the headers alone prove, before any body byte is read: a token completely; a key request up to
   * its signature (known key, fresh timestamp), which `authenticate` then checks with the body.
   * @throws the same errors as authenticate, except ERR_AUTH_BAD_SIGNATURE and ERR_AUTH_REPLAYED.
   */
  authenticateHeaders(request: AuthRequest): Principal {
    if (isAlpacaRequest(request)) return this.alpacaPrincipal(request.alpacaKeyId!, request.alpacaSecret ?? '');
    if (request.keyId !== '') return this.keyPrincipal(request);
    if (request.authorization.startsWith('Bearer ')) return this.authenticateToken(request.authorization.slice('Bearer '.length).trim());
    throw new OctopusError('ERR_AUTH_MISSING', 'expected a Bearer token or a signed API key request, was no credentials');
  }

  private authenticateToken(token: string): Principal {
    const payload = this.verifiedClaims(token);
    // The role comes from the store, not the token: a demoted or deleted user loses access at once.
    const user = typeof payload.sub === 'string' ? this.users.getUser(payload.sub) : undefined;
    if (user === undefined || !isRole(user.role)) throw new OctopusError('ERR_AUTH_INVALID', 'expected a token for an existing user, was not');
    return { username: user.username, role: user.role, permissions: permissionsOf(user.role, false), via: 'jwt' };
  }

  private verifiedClaims(token: string): jwt.JwtPayload {
    const nowSeconds = Math.floor(this.nowMs() / 1_000);
    const known = this.verifiedTokens.get(token);
    if (known !== undefined) {
      // Same rules as jsonwebtoken: expired once now >= exp; and the key must still be one the ring accepts.
      if (nowSeconds >= known.exp) {
        this.verifiedTokens.delete(token);
        throw new OctopusError('ERR_AUTH_EXPIRED', 'expected an unexpired token, was expired');
      }
      if (this.keys.verificationKey(known.kid) === known.key) return known.payload;
      this.verifiedTokens.delete(token);
    }
    const decoded = jwt.decode(token, { complete: true });
    const kid = decoded?.header.kid;
    const key = decoded === null ? undefined : this.keys.verificationKey(kid);
    if (key === undefined || kid === undefined) {
      throw new OctopusError('ERR_AUTH_INVALID', `expected a token signed by a current key, was ${decoded === null ? 'not a JWT' : `key id ${JSON.stringify(kid ?? null)}`}`);
    }
    let payload: string | jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key, { algorithms: ['HS256'], issuer: kIssuer, clockTimestamp: nowSeconds });
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new OctopusError('ERR_AUTH_EXPIRED', 'expected an unexpired token, was expired', { cause: error });
      throw new OctopusError('ERR_AUTH_INVALID', 'expected a valid token, was invalid', { cause: error });
    }
    // jsonwebtoken checks exp only when present; a token without one would never expire.
    if (typeof payload === 'string' || typeof payload.exp !== 'number') throw new OctopusError('ERR_AUTH_INVALID', 'expected a token with an exp claim, was none');
    if (this.verifiedTokens.size >= kMaxVerifiedTokens) this.verifiedTokens.delete(this.verifiedTokens.keys().next().value!);
    this.verifiedTokens.set(token, { kid, key, exp: payload.exp, payload });
    return payload;
  }

  private keyPrincipal(request: AuthRequest): Principal {
    const key = this.users.getApiKey(request.keyId);
    const user = key === undefined ? undefined : this.users.getUser(key.username);
    if (key === undefined || user === undefined) throw new OctopusError('ERR_AUTH_INVALID', 'expected a known API key, was unknown');
    const timestampMs = /^\d{1,16}$/.test(request.timestamp) ? Number(request.timestamp) : Number.NaN;
    const nowMs = this.nowMs();
    if (!(Math.abs(nowMs - timestampMs) <= this.options.receiveWindowMs)) {
      throw new OctopusError('ERR_AUTH_STALE_TIMESTAMP', `expected a timestamp within ${this.options.receiveWindowMs} ms of ${nowMs}, was ${JSON.stringify(request.timestamp)}`);
    }
    return { username: user.username, role: user.role, permissions: permissionsOf(user.role, key.readOnly), via: 'api_key', keyId: key.keyId };
  }

  /**
   * An Alpaca-style request: the key id and its secret in two headers, compared in constant time.
   * @throws OctopusError ERR_AUTH_INVALID for an unknown key or a wrong secret (the same error for both).
   */
  private alpacaPrincipal(keyId: string, givenSecret: string): Principal {
    const key = this.users.getApiKey(keyId);
    const user = key === undefined ? undefined : this.users.getUser(key.username);
    if (key === undefined || user === undefined) throw new OctopusError('ERR_AUTH_INVALID', 'expected a known API key in APCA-API-KEY-ID, was unknown');
    const secret = this.secretOf(key);
    const given = Buffer.from(givenSecret, 'utf8');
    if (given.length !== secret.length || !timingSafeEqual(given, secret)) {
      throw new OctopusError('ERR_AUTH_INVALID', 'expected the key\'s secret in APCA-API-SECRET-KEY, was wrong');
    }
    return { username: user.username, role: user.role, permissions: permissionsOf(user.role, key.readOnly), via: 'api_key', keyId: key.keyId };
  }

  private secretOf(key: ApiKeyRecord): Buffer {
    try {
      return this.users.apiKeySecret(key);
    } catch (error) {
      // The key exists but its secret does not open: the operator's problem, not the caller's; logged, 401 to the caller.
      if (isOctopusError(error)) this.options.logger?.error({ err: error, keyId: key.keyId }, 'API key secret unreadable');
      throw new OctopusError('ERR_AUTH_INVALID', 'expected a usable API key, was unreadable on the server', { cause: error });
    }
  }

  private checkSignature(request: AuthRequest): void {
    const secret = this.secretOf(this.users.getApiKey(request.keyId)!);
    const expected = createHmac('sha256', secret)
      .update(request.timestamp + request.method.toUpperCase() + request.pathWithQuery + request.body)
      .digest();
    const given = /^[0-9a-f]{64}$/i.test(request.signature) ? Buffer.from(request.signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new OctopusError('ERR_AUTH_BAD_SIGNATURE', 'expected an HMAC-SHA256 signature of timestamp+method+path+body, was wrong');
    }
    const nowMs = this.nowMs();
    this.rememberSignature(request.signature.toLowerCase(), nowMs + 2 * this.options.receiveWindowMs, nowMs);
  }

  private rememberSignature(signature: string, expiresMs: number, nowMs: number): void {
    for (const [seen, expiry] of this.seenSignatures) {
      if (expiry > nowMs) break;
      this.seenSignatures.delete(seen);
    }
    if (this.seenSignatures.has(signature)) throw new OctopusError('ERR_AUTH_REPLAYED', 'expected a fresh signature, was a replay');
    if (this.seenSignatures.size >= this.options.maxRememberedSignatures) {
      throw new OctopusError('ERR_RATE_LIMITED', `expected at most ${this.options.maxRememberedSignatures} signed requests per receive window, was more`, { retryAfterSeconds: 1 });
    }
    this.seenSignatures.set(signature, expiresMs);
  }

  /** Ends the password pool's thread, if any (engine shutdown). */
  async close(): Promise<void> {
    await this.users.close();
    await this.securityEvents.flushed();
  }
}

function isAlpacaRequest(request: AuthRequest): boolean {
  return request.alpacaKeyId !== undefined && request.alpacaKeyId !== '';
}

/** Signs a request the way clients must (used by tests and documented for clients). */
export function signRequest(secret: string, timestamp: string, method: string, pathWithQuery: string, body: string): string {
  return createHmac('sha256', secret).update(timestamp + method.toUpperCase() + pathWithQuery + body).digest('hex');
}
