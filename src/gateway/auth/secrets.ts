/**
 * Secrets at rest: a master key in its own file, and the secrets kept in LMDB wrapped by it.
 *
 *   <data-dir>/master.key   64 hex digits (32 random bytes), mode 0600, created once
 *   wrapped value           v1.<iv>.<tag>.<ciphertext>   (base64url; AES-256-GCM, 12-byte random IV)
 *
 * The additional authenticated data is the record's purpose and id (`api_key:ok_...`, `jwt:<kid>`), so
 * a wrapped value copied onto another record does not decrypt. A copy of state.lmdb alone (a backup, a
 * file sent for debugging) therefore reveals no API key secret and no JWT signing key; whoever can read
 * master.key as well can. The key file is created by writing a temporary file and hard-linking it into
 * place: two processes starting at once agree on one key, and no reader sees a half-written file.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OctopusError } from '../../engine/errors.js';
import type { StateStore } from '../../store/state-store.js';

export const kMasterKeyFile = 'master.key';
const kKeyBytes = 32;
const kIvBytes = 12;
const kTagBytes = 16;
const kVersion = 'v1';

export class MasterKey {
  private constructor(
    private readonly key: Buffer,
    readonly path: string,
  ) {}

  /**
   * Reads `<dataDir>/master.key`, creating it on first use; narrows its mode to 0600 if it was wider.
   * @throws OctopusError ERR_SECRET_UNREADABLE when the file exists but does not hold a key.
   */
  static load(dataDir: string): MasterKey {
    const path = join(dataDir, kMasterKeyFile);
    createOnce(path);
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    const text = readFileSync(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(text)) {
      throw new OctopusError('ERR_SECRET_UNREADABLE', `expected ${path} to hold 64 hex digits, was ${text.length} characters of something else`);
    }
    return new MasterKey(Buffer.from(text, 'hex'), path);
  }

  wrap(plain: Buffer, context: string): string {
    const iv = randomBytes(kIvBytes);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
    return [kVersion, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  /** @throws OctopusError ERR_SECRET_UNREADABLE when the value was altered, moved, or wrapped by another master key. */
  unwrap(wrapped: string, context: string): Buffer {
    const parts = wrapped.split('.');
    const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'));
    if (parts.length !== 4 || parts[0] !== kVersion || iv!.length !== kIvBytes || tag!.length !== kTagBytes) {
      throw new OctopusError('ERR_SECRET_UNREADABLE', `expected a ${kVersion} wrapped secret for ${context}, was malformed`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv!);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag!);
      return Buffer.concat([decipher.update(ciphertext!), decipher.final()]);
    } catch (error) {
      throw new OctopusError('ERR_SECRET_UNREADABLE', `expected the secret of ${context} to decrypt with ${this.path}, was not (altered, or another master key)`, { cause: error });
    }
  }
}

function createOnce(path: string): void {
  if (existsSync(path)) return;
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, `${randomBytes(kKeyBytes).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/** One MasterKey per data dir and process (a store knows its file; the key file sits beside it). */
const keysByDirectory = new Map<string, MasterKey>();

export function masterKeyOf(store: StateStore): MasterKey {
  const directory = resolve(store.directory);
  let key = keysByDirectory.get(directory);
  if (key === undefined) {
    key = MasterKey.load(directory);
    // Bounded by the data dirs one process opens (one for the engine; a handful in a test file).
    if (keysByDirectory.size >= 64) keysByDirectory.delete(keysByDirectory.keys().next().value as string);
    keysByDirectory.set(directory, key);
  }
  return key;
}
