import type { RowOf } from '../index/index-tables.js';
import { normalizeText } from '../normalize-text.js';
import { indexable, isObj, str, type Obj } from './value-shapes.js';

type TokenRow = RowOf<'search_token'>;

const CONTACT_SYSTEMS = new Set(['phone', 'fax', 'email', 'pager', 'url', 'sms', 'other']);

/**
 * Token rows of one value (R4 §3.1.1.4.8): a Coding's system and code, each coding of a
 * CodeableConcept, an Identifier's system and value, a ContactPoint's value, and primitives
 * (code, boolean, id, string …) as a code without system. `text` carries the display text
 * (normalised) that the `:text` modifier matches.
 */
export function tokenRows(value: unknown): TokenRow[] {
  if (typeof value === 'string') return value === '' || !indexable(value) ? [] : [{ system: null, code: value, text: null }];
  if (typeof value === 'boolean' || typeof value === 'number') return [{ system: null, code: String(value), text: null }];
  if (!isObj(value)) return [];
  if (Array.isArray(value.coding) || 'text' in value) return codeableConceptRows(value);
  if ('value' in value) return identifierOrContactRows(value);
  return codingRow(value);
}

function codeableConceptRows(cc: Obj): TokenRow[] {
  const rows = Array.isArray(cc.coding) ? cc.coding.flatMap((c) => (isObj(c) ? codingRow(c) : [])) : [];
  const text = str(cc.text);
  if (text === null) return rows;
  // `:text` matches a display or the text alike: a text some coding already displays needs no row of its own.
  const folded = textOf(text);
  if (!rows.some((r) => r.text === folded)) rows.push({ system: null, code: null, text: folded });
  return rows;
}

function codingRow(coding: Obj): TokenRow[] {
  const system = str(coding.system);
  const code = str(coding.code);
  const display = str(coding.display);
  if ((code === null && display === null) || !indexable(code) || !indexable(system)) return [];
  return [{ system, code, text: display === null ? null : textOf(display) }];
}

function identifierOrContactRows(v: Obj): TokenRow[] {
  const value = str(v.value);
  if (value === null || !indexable(value)) return [];
  const system = str(v.system);
  // A ContactPoint's system is its kind (phone, email …), not a namespace: it is matched by value alone.
  if (system !== null && CONTACT_SYSTEMS.has(system) && !('assigner' in v) && !('type' in v)) return [{ system: null, code: value, text: null }];
  if (!indexable(system)) return [];
  const typeText = isObj(v.type) ? str(v.type.text) : null;
  return [{ system, code: value, text: typeText === null ? null : textOf(typeText) }];
}

function textOf(s: string): string {
  return normalizeText(s).slice(0, 512);
}
