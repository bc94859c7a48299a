/**
 * Password hashing with scrypt (RFC 7914) from node:crypto. Stored form:
 * `scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>`, so parameters can be raised later without
 * breaking old hashes. Verification is constant-time.
 *
 * The asynchronous forms run on libuv's thread pool (fine for the CLI). The engine verifies passwords
 * with the synchronous forms on a dedicated worker thread instead (password-pool.ts): libuv's pool is
 * shared with WebCrypto, DNS and file I/O, and 32 concurrent logins queued there stalled everything else.
 */
import { randomBytes, scrypt as scryptCallback, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const kCost = 16_384;
const kBlockSize = 8;
const kParallelism = 1;
const kKeyBytes = 64;
const kSaltBytes = 16;
/** The largest parameters a stored hash may ask for: a tampered record must not make one check cost minutes. */
const kCostMax = 1 << 20;
const kKeyBytesMax = 128;

interface ParsedHash {
  salt: Buffer;
  expected: Buffer;
  options: ScryptOptions;
}

function scrypt(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function newSalt(): { salt: Buffer; options: ScryptOptions } {
  return { salt: randomBytes(kSaltBytes), options: { N: kCost, r: kBlockSize, p: kParallelism, maxmem: 64 * 1024 * 1024 } };
}

function formatHash(salt: Buffer, key: Buffer): string {
  return ['scrypt', kCost, kBlockSize, kParallelism, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** The parts of a stored hash, or undefined when it is malformed or asks for absurd parameters. */
function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [cost, blockSize, parallelism] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![cost, blockSize, parallelism].every((value) => Number.isSafeInteger(value) && value > 0)) return undefined;
  if (cost > kCostMax || blockSize > 64 || parallelism > 16) return undefined;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length === 0 || expected.length > kKeyBytesMax) return undefined;
  return { salt, expected, options: { N: cost, r: blockSize, p: parallelism, maxmem: 256 * 1024 * 1024 } };
}

export async function hashPassword(password: string): Promise<string> {
  const { salt, options } = newSalt();
  return formatHash(salt, await scrypt(password, salt, kKeyBytes, options));
}

export function hashPasswordSync(password: string): string {
  const { salt, options } = newSalt();
  return formatHash(salt, scryptSync(password, salt, kKeyBytes, options));
}

/** False for a wrong password or a malformed stored hash; never throws on bad input. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  return timingSafeEqual(await scrypt(password, parsed.salt, parsed.expected.length, parsed.options), parsed.expected);
}

/** As verifyPassword, on the calling thread (the password worker's). */
export function verifyPasswordSync(password: string, stored: string): boolean {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  return timingSafeEqual(scryptSync(password, parsed.salt, parsed.expected.length, parsed.options), parsed.expected);
}
