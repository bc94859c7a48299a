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
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { OctopusError } from '../../engine/errors.js';
import type { StateStore } from '../../store/state-store.js';
import { isRole, permissionsOf, type Principal, type UserStore } from './users.js';

export interface AuthOptions {
  tokenLifetimeSeconds: number;
  receiveWindowMs: number;
  /** Bound on remembered signatures; past it, requests are refused rather than replays risked. */
  maxRememberedSignatures: number;
}

export const defaultAuthOptions: AuthOptions = { tokenLifetimeSeconds: 900, receiveWindowMs: 5_000, maxRememberedSignatures: 200_000 };

/** The request facts authentication needs, read synchronously from uWS before any await. */
export interface AuthRequest {
  method: string;
  pathWithQuery: string;
  authorization: string;
  keyId: string;
  timestamp: string;
  signature: string;
  body: string;
}

const kIssuer = 'octopus';

export class Authenticator {
  private readonly secret: Uint8Array;
  /**
   * signature -> forget-after time (ms since epoch). Each is kept for two receive windows from when it was
   * first seen (a replay is only accepted inside one window of its timestamp), so entries expire in
   * insertion order and the expired ones are always at the front.
   */
  private readonly seenSignatures = new Map<string, number>();

  constructor(
    private readonly users: UserStore,
    store: StateStore,
    private readonly options: AuthOptions = defaultAuthOptions,
    private readonly nowMs: () => number = Date.now,
  ) {
    const secrets = store.database<string>('secrets');
    let secret = secrets.get('jwt');
    if (secret === undefined) {
      secret = randomBytes(32).toString('base64url');
      // Synchronous write inside a transaction: two processes starting at once agree on one secret.
      secrets.transactionSync(() => {
        if (secrets.get('jwt') === undefined) secrets.putSync('jwt', secret!);
      });
      secret = secrets.get('jwt')!;
    }
    this.secret = Buffer.from(secret, 'base64url');
  }

  /**
   * Exchanges a username and password for a JWT.
   * @throws OctopusError ERR_AUTH_INVALID for a wrong username or password (the same error for both).
   */
  async issueToken(username: unknown, password: unknown): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number }> {
    if (typeof username !== 'string' || typeof password !== 'string' || username.length > 64 || password.length > 1_024) {
      throw new OctopusError('ERR_AUTH_INVALID', 'expected a username and password (strings), was something else');
    }
    const user = await this.users.checkPassword(username, password);
    if (user === undefined) throw new OctopusError('ERR_AUTH_INVALID', 'expected a valid username and password, was not');
    const nowSeconds = Math.floor(this.nowMs() / 1_000);
    const token = await new SignJWT({ role: user.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.username)
      .setIssuer(kIssuer)
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.options.tokenLifetimeSeconds)
      .sign(this.secret);
    return { access_token: token, token_type: 'Bearer', expires_in: this.options.tokenLifetimeSeconds };
  }

  /**
   * @throws OctopusError 401 codes: ERR_AUTH_MISSING, ERR_AUTH_INVALID, ERR_AUTH_EXPIRED,
   *   ERR_AUTH_BAD_SIGNATURE, ERR_AUTH_STALE_TIMESTAMP, ERR_AUTH_REPLAYED.
   */
  async authenticate(request: AuthRequest): Promise<Principal> {
    if (request.keyId !== '') return this.authenticateKey(request);
    if (request.authorization.startsWith('Bearer ')) return this.authenticateToken(request.authorization.slice('Bearer '.length).trim());
    throw new OctopusError('ERR_AUTH_MISSING', 'expected a Bearer token or a signed API key request, was no credentials');
  }

  private async authenticateToken(token: string): Promise<Principal> {
    let subject: string | undefined;
    try {
      const { payload } = await jwtVerify(token, this.secret, {
        issuer: kIssuer,
        algorithms: ['HS256'],
        currentDate: new Date(this.nowMs()),
      });
      subject = payload.sub;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new OctopusError('ERR_AUTH_EXPIRED', 'expected an unexpired token, was expired', { cause: error });
      throw new OctopusError('ERR_AUTH_INVALID', 'expected a valid token, was invalid', { cause: error });
    }
    // The role comes from the store, not the token: a demoted or deleted user loses access at once.
    const user = subject === undefined ? undefined : this.users.getUser(subject);
    if (user === undefined || !isRole(user.role)) throw new OctopusError('ERR_AUTH_INVALID', 'expected a token for an existing user, was not');
    return { username: user.username, role: user.role, permissions: permissionsOf(user.role, false), via: 'jwt' };
  }

  private authenticateKey(request: AuthRequest): Principal {
    const key = this.users.getApiKey(request.keyId);
    const user = key === undefined ? undefined : this.users.getUser(key.username);
    if (key === undefined || user === undefined) throw new OctopusError('ERR_AUTH_INVALID', 'expected a known API key, was unknown');
    const timestampMs = /^\d{1,16}$/.test(request.timestamp) ? Number(request.timestamp) : Number.NaN;
    const nowMs = this.nowMs();
    if (!(Math.abs(nowMs - timestampMs) <= this.options.receiveWindowMs)) {
      throw new OctopusError('ERR_AUTH_STALE_TIMESTAMP', `expected a timestamp within ${this.options.receiveWindowMs} ms of ${nowMs}, was ${JSON.stringify(request.timestamp)}`);
    }
    const expected = createHmac('sha256', key.secret)
      .update(request.timestamp + request.method.toUpperCase() + request.pathWithQuery + request.body)
      .digest();
    const given = /^[0-9a-f]{64}$/i.test(request.signature) ? Buffer.from(request.signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new OctopusError('ERR_AUTH_BAD_SIGNATURE', 'expected an HMAC-SHA256 signature of timestamp+method+path+body, was wrong');
    }
    this.rememberSignature(request.signature.toLowerCase(), nowMs + 2 * this.options.receiveWindowMs, nowMs);
    return { username: user.username, role: user.role, permissions: permissionsOf(user.role, key.readOnly), via: 'api_key', keyId: key.keyId };
  }

  private rememberSignature(signature: string, expiresMs: number, nowMs: number): void {
    for (const [seen, expiry] of this.seenSignatures) {
      if (expiry > nowMs) break;
      this.seenSignatures.delete(seen);
    }
    if (this.seenSignatures.has(signature)) throw new OctopusError('ERR_AUTH_REPLAYED', 'expected a fresh signature, was a replay');
    if (this.seenSignatures.size >= this.options.maxRememberedSignatures) {
      throw new OctopusError('ERR_RATE_LIMITED', `expected at most ${this.options.maxRememberedSignatures} signed requests per receive window, was more`);
    }
    this.seenSignatures.set(signature, expiresMs);
  }
}

/** Signs a request the way clients must (used by tests and documented for clients). */
export function signRequest(secret: string, timestamp: string, method: string, pathWithQuery: string, body: string): string {
  return createHmac('sha256', secret).update(timestamp + method.toUpperCase() + pathWithQuery + body).digest('hex');
}
