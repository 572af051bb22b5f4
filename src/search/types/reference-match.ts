import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ReferenceValue } from '../query/search-query.js';
import { parseToken, unescape } from '../query/value-syntax.js';
import { any, indexed, paramIs } from '../sql/fragments.js';
import { tokenCondition } from './token-match.js';
import { parseRelative } from './reference-values.js';
import { q, type SqlText } from '../sql/sql-text.js';

/**
 * A reference search value (R4 §3.1.1.4.10): `Type/id`, a bare `id` (typed by a `:Type`
 * modifier or left open), this server's own absolute URL (taken as local), any other URL or
 * canonical (`|version` ignored), or with `:identifier` a token.
 */
export function parseReferenceValue(raw: string, name: string, fhirBase: string, typeModifier: string | undefined, identifier: boolean): ReferenceValue {
  const value = unescape(raw);
  if (value === '') throw new FhirkeepError('invalid-parameter', `${name} has an empty value`);
  if (identifier) return { kind: 'identifier', token: parseToken(raw, name) };
  const local = value.startsWith(`${fhirBase}/`) ? value.slice(fhirBase.length + 1) : value;
  const rel = parseRelative(local);
  if (rel !== undefined) {
    if (typeModifier !== undefined && typeModifier !== rel.type) throw new FhirkeepError('invalid-parameter', `${name}:${typeModifier} cannot match a ${rel.type} reference`);
    return { kind: 'local', type: rel.type, id: rel.id };
  }
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(local)) return { kind: 'local', type: typeModifier, id: local };
  if (/^[a-z][a-z0-9+.-]*:/i.test(value)) {
    const bar = value.indexOf('|');
    return { kind: 'url', url: bar < 0 ? value : value.slice(0, bar) };
  }
  throw new FhirkeepError('invalid-parameter', `${name}: "${value}" is not a reference (Type/id, id or an absolute URL)`);
}

export function referenceCondition(v: ReferenceValue): SqlText {
  switch (v.kind) {
    case 'local':
      return v.type === undefined ? q`x.target_id = ${v.id}` : q`(x.target_id = ${v.id} and x.target_type = ${v.type})`;
    case 'url':
      return q`x.url = ${v.url}`;
    case 'identifier':
      return q`(x.id_value is not null and ${tokenCondition(v.token, q`x.id_system`, q`x.id_value`)})`;
  }
}

export function referenceSql(alias: string, keys: readonly number[], values: readonly ReferenceValue[]): SqlText {
  return indexed('search_reference', alias, keys, any(values.map((v) => referenceCondition(v))));
}

/**
 * The resources a reference clause to specific local resources selects, as a rid set: a
 * search for one patient's records starts from it (see search-runner.ts).
 */
export function referenceRidsSql(keys: readonly number[], values: readonly ReferenceValue[]): SqlText {
  return q`select distinct x.rid from search_reference x where ${paramIs(keys)} and ${any(values.map((v) => referenceCondition(v)))}`;
}
