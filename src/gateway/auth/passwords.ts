/**
 * Password hashing with scrypt (RFC 7914) from node:crypto. Stored form:
 * `scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>`, so parameters can be raised later without
 * breaking old hashes. Verification is constant-time.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const kCost = 16_384;
const kBlockSize = 8;
const kParallelism = 1;
const kKeyBytes = 64;
const kSaltBytes = 16;

function scrypt(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keyBytes, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(kSaltBytes);
  const key = await scrypt(password, salt, kKeyBytes, { N: kCost, r: kBlockSize, p: kParallelism, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', kCost, kBlockSize, kParallelism, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** False for a wrong password or a malformed stored hash; never throws on bad input. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [cost, blockSize, parallelism] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![cost, blockSize, parallelism].every((value) => Number.isSafeInteger(value) && value > 0)) return false;
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (expected.length === 0) return false;
  const key = await scrypt(password, salt, expected.length, { N: cost, r: blockSize, p: parallelism, maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(key, expected);
}
