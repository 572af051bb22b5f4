/** Far deeper than any FHIR resource nests (a Bundle entry's Questionnaire with 25 levels of items is ~55). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * How deep a JSON text nests arrays and objects, counted on the text (brackets outside strings)
 * without parsing it, stopping as soon as it passes `limit`. Run on every JSON body before
 * anything parses or walks it: validators, patches and filters recurse, and a body nested ten
 * thousand levels deep would exhaust their stack.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** application/json and every `+json` type (RFC 6839 §3.1): fhir+json, json-patch+json … */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return media === 'application/json' || media.endsWith('+json');
}
