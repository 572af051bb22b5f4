import type { RowOf } from '../index/index-tables.js';
import { isObj, str } from './value-shapes.js';

type ReferenceRow = RowOf<'search_reference'>;

const RELATIVE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * Reference rows (R4 §3.1.1.4.10): a relative `Type/id` reference as its target's type and id;
 * an absolute, `urn:` or canonical reference as its URL (canonical `|version` dropped);
 * a logical reference's identifier for `:identifier`. Contained (`#x`) references are not indexed.
 */
export function referenceRows(value: unknown): ReferenceRow[] {
  if (typeof value === 'string') return urlRow(value);
  if (!isObj(value)) return [];
  const rows: ReferenceRow[] = [];
  const ref = str(value.reference);
  if (ref !== null && !ref.startsWith('#')) {
    const m = RELATIVE.exec(ref);
    if (m !== null) rows.push({ target_type: m[1] as string, target_id: m[2] as string, url: null, id_system: null, id_value: null });
    else rows.push(...urlRow(ref));
  }
  if (isObj(value.identifier)) {
    const idValue = str(value.identifier.value);
    if (idValue !== null && idValue.length <= 512) {
      rows.push({ target_type: null, target_id: null, url: null, id_system: str(value.identifier.system), id_value: idValue });
    }
  }
  return rows;
}

/** A reference's text split into its parts as a search value: `Type/id`, `id`, or a URL. */
export function parseRelative(ref: string): { type: string; id: string } | undefined {
  const m = RELATIVE.exec(ref);
  return m === null ? undefined : { type: m[1] as string, id: m[2] as string };
}

function urlRow(url: string): ReferenceRow[] {
  if (url === '' || url.length > 512) return [];
  const bar = url.indexOf('|');
  return [{ target_type: null, target_id: null, url: bar < 0 ? url : url.slice(0, bar), id_system: null, id_value: null }];
}
