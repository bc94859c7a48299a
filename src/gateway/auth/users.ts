/**
 * Users, roles and API keys, kept in the LMDB state store. Passwords are scrypt hashes. API key secrets
 * must be recoverable, because the server recomputes each request's HMAC (as exchanges do): they are
 * stored wrapped by the data dir's master key (secrets.ts), never in plaintext, and shown to the user
 * once, at creation. Records written by older versions with a plaintext secret are wrapped on open.
 */
import { randomBytes } from 'node:crypto';
import { OctopusError } from '../../engine/errors.js';
import type { StateStore } from '../../store/state-store.js';
import { hashPassword } from './passwords.js';
import { createPasswordPool, type PasswordVerifier } from './password-pool.js';
import { masterKeyOf, type MasterKey } from './secrets.js';

export const roles = ['trader', 'viewer', 'risk_officer', 'admin'] as const;
export type Role = (typeof roles)[number];

export const permissions = ['read', 'trade', 'risk', 'admin'] as const;
export type Permission = (typeof permissions)[number];

const rolePermissions: Record<Role, readonly Permission[]> = {
  viewer: ['read'],
  trader: ['read', 'trade'],
  risk_officer: ['read', 'risk'],
  admin: ['read', 'trade', 'risk', 'admin'],
};

export interface UserRecord {
  username: string;
  role: Role;
  passwordHash: string;
  createdMs: number;
}

export interface ApiKeyRecord {
  keyId: string;
  username: string;
  /** The secret wrapped by the master key (secrets.ts), additional data `api_key:<keyId>`. */
  wrappedSecret: string;
  readOnly: boolean;
  createdMs: number;
}

/** What `addApiKey` returns: the record and, this once, the secret itself. */
export interface IssuedApiKey extends ApiKeyRecord {
  secret: string;
}

/** An API key record as older versions wrote it (plaintext secret). */
interface LegacyApiKeyRecord extends Omit<ApiKeyRecord, 'wrappedSecret'> {
  secret: string;
}

export interface Principal {
  username: string;
  role: Role;
  permissions: readonly Permission[];
  /** How the request proved who it is. */
  via: 'jwt' | 'api_key';
  keyId?: string;
}

const kUsernamePattern = /^[A-Za-z0-9_.-]{3,32}$/;
const kPasswordBytesMin = 8;
const kPasswordBytesMax = 1_024;

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

export function permissionsOf(role: Role, readOnly: boolean): readonly Permission[] {
  const granted = rolePermissions[role];
  return readOnly ? granted.filter((permission) => permission === 'read') : granted;
}

export class UserStore {
  private readonly users;
  private readonly keys;
  private readonly master: MasterKey;

  /** @param passwords where password checks run (default: a pool of one thread; password-pool.ts). */
  constructor(
    store: StateStore,
    private readonly passwords: PasswordVerifier = createPasswordPool(),
  ) {
    this.users = store.database<UserRecord>('users');
    this.keys = store.database<ApiKeyRecord | LegacyApiKeyRecord>('api_keys');
    this.master = masterKeyOf(store);
    this.wrapLegacySecrets();
  }

  /** Ends the password pool's thread, if one was started. */
  close(): Promise<void> {
    return this.passwords.close();
  }

  private wrapLegacySecrets(): void {
    const legacy: LegacyApiKeyRecord[] = [];
    for (const { value } of this.keys.getRange({})) if ('secret' in value) legacy.push(value);
    if (legacy.length === 0) return;
    this.keys.transactionSync(() => {
      for (const { secret, ...rest } of legacy) this.keys.putSync(rest.keyId, { ...rest, wrappedSecret: this.wrap(rest.keyId, secret) });
    });
  }

  private wrap(keyId: string, secret: string): string {
    return this.master.wrap(Buffer.from(secret, 'utf8'), `api_key:${keyId}`);
  }

  /**
   * @throws OctopusError ERR_AUTH_BAD_USERNAME, ERR_AUTH_BAD_ROLE, ERR_AUTH_WEAK_PASSWORD,
   *   ERR_AUTH_USER_EXISTS.
   */
  async addUser(username: string, role: string, password: string): Promise<UserRecord> {
    if (!kUsernamePattern.test(username)) {
      throw new OctopusError('ERR_AUTH_BAD_USERNAME', `expected 3-32 characters of [A-Za-z0-9_.-], was ${JSON.stringify(username)}`);
    }
    if (!isRole(role)) throw new OctopusError('ERR_AUTH_BAD_ROLE', `expected one of ${roles.join(', ')}, was ${JSON.stringify(role)}`);
    const passwordBytes = Buffer.byteLength(password, 'utf8');
    if (passwordBytes < kPasswordBytesMin || passwordBytes > kPasswordBytesMax) {
      throw new OctopusError('ERR_AUTH_WEAK_PASSWORD', `expected a password of ${kPasswordBytesMin}-${kPasswordBytesMax} bytes, was ${passwordBytes}`);
    }
    const record: UserRecord = { username, role, passwordHash: await hashPassword(password), createdMs: Date.now() };
    const created = await this.users.ifNoExists(username, () => {
      this.users.put(username, record);
    });
    if (!created) throw new OctopusError('ERR_AUTH_USER_EXISTS', `expected a new username, was existing "${username}"`);
    return record;
  }

  getUser(username: string): UserRecord | undefined {
    return this.users.get(username);
  }

  /** The user when the password matches, else undefined (never says which part was wrong). */
  async checkPassword(username: string, password: string): Promise<UserRecord | undefined> {
    const user = this.users.get(username);
    if (user === undefined) {
      // Spend the same time as a real check so that timing does not reveal which usernames exist.
      await this.passwords.verify(password, kDummyHash);
      return undefined;
    }
    return (await this.passwords.verify(password, user.passwordHash)) ? user : undefined;
  }

  /** @throws OctopusError ERR_AUTH_UNKNOWN_USER. */
  async addApiKey(username: string, readOnly: boolean): Promise<IssuedApiKey> {
    if (this.users.get(username) === undefined) throw new OctopusError('ERR_AUTH_UNKNOWN_USER', `expected an existing user, was "${username}"`);
    const keyId = `ok_${randomBytes(12).toString('hex')}`;
    const secret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = { keyId, username, wrappedSecret: this.wrap(keyId, secret), readOnly, createdMs: Date.now() };
    await this.keys.put(record.keyId, record);
    return { ...record, secret };
  }

  getApiKey(keyId: string): ApiKeyRecord | undefined {
    const record = this.keys.get(keyId);
    return record === undefined || 'secret' in record ? undefined : record;
  }

  /**
   * The key's secret, unwrapped for one HMAC check (not cached: plaintext secrets stay out of long-lived memory).
   * @throws OctopusError ERR_SECRET_UNREADABLE when the master key does not open it.
   */
  apiKeySecret(record: ApiKeyRecord): Buffer {
    return this.master.unwrap(record.wrappedSecret, `api_key:${record.keyId}`);
  }
}

const kDummyHash = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$' + 'A'.repeat(86);
