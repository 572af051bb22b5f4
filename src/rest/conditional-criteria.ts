import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { MatchCriteria, TokenCriterion } from '../storage/types.js';

/** Result parameters that shape a response and never select resources (R4 §3.1.1.5). */
const RESULT_PARAMETERS = new Set(['_format', '_pretty', '_summary', '_elements']);

/**
 * Turns the search part of a conditional interaction (R4 §3.1.0.8–3.1.0.11) into storage
 * criteria. The foundation indexes `_id` and `identifier`; any other parameter is refused
 * by name rather than ignored, because ignoring it would widen the match and could update or
 * delete the wrong resource.
 */
export function parseConditionalCriteria(type: string, query: URLSearchParams): MatchCriteria {
  const ids: string[] = [];
  const tokens: TokenCriterion[] = [];
  let any = false;
  for (const [name, value] of query) {
    if (RESULT_PARAMETERS.has(name)) continue;
    any = true;
    if (value === '') throw new FhirkeepError('invalid-parameter', `Search parameter ${name} has no value`);
    if (name === '_id') {
      if (value.includes(',')) throw new FhirkeepError('invalid-parameter', '_id takes one value in a conditional interaction');
      ids.push(value);
    } else if (name === 'identifier') {
      tokens.push(parseToken('identifier', value));
    } else {
      throw new FhirkeepError(
        'invalid-parameter',
        `Search parameter ${name} is not supported in conditional interactions (supported: _id, identifier)`,
      );
    }
  }
  if (!any) throw new FhirkeepError('invalid-parameter', 'A conditional interaction needs search criteria');
  return { type, ...(ids.length > 0 ? { ids } : {}), ...(tokens.length > 0 ? { tokens } : {}) };
}

/** FHIR R4 §3.1.1.4.8 token syntax: `[system]|[code]` or `[code]`; `\|` escapes a bar. */
function parseToken(param: string, value: string): TokenCriterion {
  const bar = findUnescapedBar(value);
  if (bar < 0) return { param, code: unescape(value) };
  const system = unescape(value.slice(0, bar));
  const code = unescape(value.slice(bar + 1));
  if (code === '') throw new FhirkeepError('invalid-parameter', `${param} needs a value after "|"`);
  return { param, system, code };
}

function findUnescapedBar(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '|') return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\([\\|,$])/g, '$1');
}
