/**
 * API-key request signing, as the engine checks it (docs/security.md):
 *
 *   X-Octopus-Key:        the key id
 *   X-Octopus-Timestamp:  milliseconds since the Unix epoch (within 5 s of the server's clock)
 *   X-Octopus-Signature:  hex HMAC-SHA256(secret, timestamp + METHOD + path?query + body)
 *
 * WebCrypto, so the same code signs in Node (>= 20) and in browsers. A signature is accepted once.
 */
export interface ApiKey {
  keyId: string;
  secret: string;
}

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The hex signature of one request. */
export async function signRequest(secret: string, timestamp: string, method: string, pathWithQuery: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return hex(await crypto.subtle.sign('HMAC', key, encoder.encode(timestamp + method.toUpperCase() + pathWithQuery + body)));
}

/** The three headers of a signed request (`nowMs` for tests). */
export async function signedHeaders(apiKey: ApiKey, method: string, pathWithQuery: string, body: string, nowMs = Date.now()): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs));
  return {
    'X-Octopus-Key': apiKey.keyId,
    'X-Octopus-Timestamp': timestamp,
    'X-Octopus-Signature': await signRequest(apiKey.secret, timestamp, method, pathWithQuery, body),
  };
}
