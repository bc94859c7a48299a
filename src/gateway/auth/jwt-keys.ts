/**
 * The JWT signing keys: a current key that signs, and the previous one, still accepted for the tokens it
 * signed until they expire (a rotation then logs nobody out). Each key has an id (`kid`, in the token
 * header) and is stored wrapped by the master key (secrets.ts) in the `secrets` database:
 *
 *   jwt_keys = { version, current: {kid, wrapped, createdMs}, previous?: {kid, wrapped, createdMs, retiredMs} }
 *
 * `octopus secret rotate` writes a new version while the engine runs (LMDB allows several processes);
 * the engine reads the small record on every token check and unwraps the keys again only when the
 * version changed, so a rotation takes effect at once. `--drop-previous` also forgets the previous key:
 * every token it signed is refused at once (for a key that leaked).
 */
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Database } from 'lmdb';
import type { StateStore } from '../../store/state-store.js';
import { masterKeyOf, type MasterKey } from './secrets.js';

interface StoredKey {
  kid: string;
  wrapped: string;
  createdMs: number;
  retiredMs?: number;
}

interface StoredKeyRing {
  version: number;
  current: StoredKey;
  previous?: StoredKey;
}

export interface SigningKey {
  kid: string;
  key: Buffer;
  /**
   * The same key as a KeyObject, made once per ring version. jsonwebtoken given a Buffer first tries
   * createPublicKey on it and catches the failure, on every call: that try was half the gateway's CPU
   * under order load.
   */
  keyObject: KeyObject;
}

const kRingKey = 'jwt_keys';
/** Where the engine used to keep its one plaintext key; migrated into the ring on first open. */
const kLegacyKey = 'jwt';
const kKeyBytes = 32;

function newStoredKey(master: MasterKey, nowMs: number, plain: Buffer = randomBytes(kKeyBytes)): StoredKey {
  const kid = randomBytes(8).toString('hex');
  return { kid, wrapped: master.wrap(plain, `jwt:${kid}`), createdMs: nowMs };
}

/** Creates the ring if there is none (from the legacy plaintext key when present), in one transaction. */
function ensureRing(secrets: Database<unknown, string>, master: MasterKey, nowMs: number): void {
  if (secrets.get(kRingKey) !== undefined) return;
  // Synchronous, inside a transaction: two processes starting at once agree on one ring.
  secrets.transactionSync(() => {
    if (secrets.get(kRingKey) !== undefined) return;
    const legacy = secrets.get(kLegacyKey);
    const plain = typeof legacy === 'string' ? Buffer.from(legacy, 'base64url') : undefined;
    const ring: StoredKeyRing = { version: 1, current: newStoredKey(master, nowMs, plain) };
    secrets.putSync(kRingKey, ring);
    if (legacy !== undefined) secrets.removeSync(kLegacyKey);
  });
}

/**
 * Replaces the signing key; the old one stays valid for verification unless `dropPrevious`.
 * Returns the new and the retired key ids.
 */
export function rotateJwtKey(store: StateStore, options: { dropPrevious: boolean; nowMs?: number }): { kid: string; retiredKid: string; version: number } {
  const secrets = store.database<unknown>('secrets');
  const master = masterKeyOf(store);
  const nowMs = options.nowMs ?? Date.now();
  ensureRing(secrets, master, nowMs);
  let result = { kid: '', retiredKid: '', version: 0 };
  secrets.transactionSync(() => {
    const ring = secrets.get(kRingKey) as StoredKeyRing;
    const next: StoredKeyRing = {
      version: ring.version + 1,
      current: newStoredKey(master, nowMs),
      ...(options.dropPrevious ? {} : { previous: { ...ring.current, retiredMs: nowMs } }),
    };
    secrets.putSync(kRingKey, next);
    result = { kid: next.current.kid, retiredKid: ring.current.kid, version: next.version };
  });
  return result;
}

export class JwtKeyRing {
  private readonly secrets: Database<unknown, string>;
  private readonly master: MasterKey;
  private version = -1;
  private current: SigningKey = { kid: '', key: Buffer.alloc(0), keyObject: createSecretKey(Buffer.alloc(1)) };
  private previous: (SigningKey & { acceptUntilMs: number }) | undefined;

  /** @param tokenLifetimeMs how long the previous key stays valid after its retirement (its tokens' longest life). */
  constructor(
    store: StateStore,
    private readonly tokenLifetimeMs: number,
    private readonly nowMs: () => number,
  ) {
    this.secrets = store.database<unknown>('secrets');
    this.master = masterKeyOf(store);
    ensureRing(this.secrets, this.master, nowMs());
    this.refresh();
  }

  signingKey(): SigningKey {
    this.refresh();
    return this.current;
  }

  /**
   * The key a token with this `kid` must verify against, or undefined (unknown, or retired too long ago).
   * The same KeyObject is returned until the ring changes: callers may compare it by identity.
   */
  verificationKey(kid: unknown): KeyObject | undefined {
    this.refresh();
    if (kid === this.current.kid) return this.current.keyObject;
    const previous = this.previous;
    if (previous !== undefined && kid === previous.kid && this.nowMs() < previous.acceptUntilMs) return previous.keyObject;
    return undefined;
  }

  private refresh(): void {
    const ring = this.secrets.get(kRingKey) as StoredKeyRing | undefined;
    if (ring === undefined || ring.version === this.version) return;
    const open = (stored: StoredKey): SigningKey => {
      const key = this.master.unwrap(stored.wrapped, `jwt:${stored.kid}`);
      return { kid: stored.kid, key, keyObject: createSecretKey(key) };
    };
    this.current = open(ring.current);
    this.previous = ring.previous === undefined ? undefined : { ...open(ring.previous), acceptUntilMs: (ring.previous.retiredMs ?? 0) + this.tokenLifetimeMs };
    this.version = ring.version;
  }
}
