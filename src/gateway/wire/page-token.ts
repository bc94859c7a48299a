/**
 * Cursor pagination: a `limit` query answers the newest rows first and a `next_page_token` that asks
 * for the rows just older than the last one returned. The token is opaque to clients (base64url of a
 * small JSON object) and checked field by field when it comes back, so a forged one is a 400, never
 * a crash or a different query.
 */
import { OctopusError } from '../../engine/errors.js';

const kTokenLengthMax = 512;

export function encodePageToken(cursor: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/**
 * The cursor in `token`, with the integer and string fields `shape` names.
 * @throws OctopusError ERR_HTTP_BAD_REQUEST for a token that is not one this gateway made.
 */
export function decodePageToken<K extends string>(token: string, shape: Record<K, 'integer' | 'string'>): Record<K, number | string> {
  const refuse = (): never => {
    throw new OctopusError('ERR_HTTP_BAD_REQUEST', `expected a page_token from a previous answer, was ${JSON.stringify(token.slice(0, 40))}`);
  };
  if (token.length > kTokenLengthMax || !/^[A-Za-z0-9_-]+$/.test(token)) return refuse();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return refuse();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse();
  const fields = value as Record<string, unknown>;
  const cursor = {} as Record<K, number | string>;
  for (const [name, kind] of Object.entries(shape) as [K, 'integer' | 'string'][]) {
    const field = fields[name];
    if (kind === 'integer' ? !Number.isSafeInteger(field) || (field as number) < 0 : typeof field !== 'string' || field.length > 128) return refuse();
    cursor[name] = field as number | string;
  }
  return cursor;
}
