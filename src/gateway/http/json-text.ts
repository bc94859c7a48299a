/**
 * Parsing untrusted JSON text (HTTP bodies, WebSocket frames) with a nesting bound. V8's JSON.parse
 * copes with deep nesting, but everything after it recurses (schema checks, JSON.stringify in error
 * messages): a 10,000-level body overflowed the stack there and answered 500. The depth is checked on
 * the text first, in one pass, so a hostile body costs one linear scan and is refused as bad input.
 */

/** Deeper than any request the API defines (an order is 1 level, a returns matrix 3). */
export const kJsonDepthMax = 64;

const kQuote = 0x22;
const kBackslash = 0x5c;
const kOpenBrace = 0x7b;
const kOpenBracket = 0x5b;
const kCloseBrace = 0x7d;
const kCloseBracket = 0x5d;

/** The deepest nesting of arrays and objects in `text`, scanning no further than `limit + 1`. */
export function jsonDepth(text: string, limit = kJsonDepthMax): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === kBackslash) index++;
      else if (code === kQuote) inString = false;
    } else if (code === kQuote) {
      inString = true;
    } else if (code === kOpenBrace || code === kOpenBracket) {
      depth++;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    } else if (code === kCloseBrace || code === kCloseBracket) {
      depth--;
    }
  }
  return deepest;
}

export type ParsedJson = { ok: true; value: unknown } | { ok: false; reason: 'malformed' | 'too_deep'; message: string };

/** Parses `text`, refusing malformed JSON and nesting deeper than `maxDepth`; never throws. */
export function parseJsonText(text: string, maxDepth = kJsonDepthMax): ParsedJson {
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) return { ok: false, reason: 'too_deep', message: `expected JSON nested at most ${maxDepth} levels deep, was deeper` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: 'malformed', message: `expected JSON, was unparseable (${(error as Error).message})` };
  }
}
