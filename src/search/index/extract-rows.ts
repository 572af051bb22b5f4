import type { FhirResource } from '../../storage/types.js';
import type { ParamType, SearchParam } from '../params/search-param.js';
import { dateRows } from '../types/date-values.js';
import { numberRows } from '../types/number-values.js';
import { quantityRows } from '../types/quantity-values.js';
import { referenceRows } from '../types/reference-values.js';
import { stringRows } from '../types/string-values.js';
import { tokenRows } from '../types/token-values.js';
import { uriRows } from '../types/uri-values.js';
import { INDEX_TABLE_NAMES, TABLE_OF, type IndexTable, type RowOf } from './index-tables.js';

/** One index row: its parameter's key and the table's columns. */
export type IndexRow<T extends IndexTable> = RowOf<T> & { readonly param: number };
/** The index rows of one resource (or of several, see index-writes.ts), per table. */
export type IndexRows = { [T in IndexTable]: IndexRow<T>[] };

type Simple = Exclude<ParamType, 'composite' | 'special'>;

const ROWS_OF: { readonly [K in Simple]: (value: unknown) => RowOf<(typeof TABLE_OF)[K]>[] } = {
  token: tokenRows,
  string: stringRows,
  date: dateRows,
  number: numberRows,
  quantity: quantityRows,
  reference: referenceRows,
  uri: uriRows,
};

export function emptyIndexRows(): IndexRows {
  return Object.fromEntries(INDEX_TABLE_NAMES.map((t) => [t, []])) as unknown as IndexRows;
}

/** Every search parameter's index rows for a resource (the indexer's hot path), duplicates removed. */
export function extractIndexRows(resource: FhirResource, params: ReadonlyMap<string, SearchParam>): IndexRows {
  const out = emptyIndexRows();
  const seen = new Set<string>();
  const add = <T extends IndexTable>(table: T, key: number, row: RowOf<T>): void => {
    const id = `${table}\u0000${key}\u0000${Object.values(row).join('\u0000')}`;
    if (seen.has(id)) return;
    seen.add(id);
    // Each row object is fresh from its value function: tagging it saves a copy per row.
    (row as { param?: number }).param = key;
    (out[table] as IndexRow<T>[]).push(row as IndexRow<T>);
  };
  for (const param of params.values()) {
    if (param.aliasOf !== undefined) continue;
    if (param.composite !== undefined) {
      for (const row of compositeRows(param, resource)) add('search_composite', param.key, row);
      continue;
    }
    if (param.accessor === undefined || param.type === 'composite' || param.type === 'special') continue;
    const table = TABLE_OF[param.type];
    const toRows = ROWS_OF[param.type] as (value: unknown) => RowOf<typeof table>[];
    for (const value of param.accessor(resource)) for (const row of toRows(value)) add(table, param.key, row);
  }
  return out;
}

const NULL_VALUE = { v_system: null, v_code: null, v_lo: null, v_hi: null, v_dlo: null, v_dhi: null, v_text: null } as const;

/** A composite's rows: each coding of its first (token) part paired with each value of its second. */
function compositeRows(param: SearchParam, resource: FhirResource): RowOf<'search_composite'>[] {
  const composite = param.composite;
  if (composite === undefined || composite.types[0] !== 'token') return [];
  const rows: RowOf<'search_composite'>[] = [];
  for (const part of composite.parts) {
    for (const node of part.node(resource)) {
      const codes = part.components[0](node).flatMap(tokenRows).filter((t) => t.code !== null);
      if (codes.length === 0) continue;
      const values = part.components[1](node).flatMap((v) => secondValues(composite.types[1], v));
      for (const c of codes) for (const v of values) rows.push({ system: c.system, code: c.code, ...v });
    }
  }
  return rows;
}

type SecondValue = Omit<RowOf<'search_composite'>, 'system' | 'code'>;

function secondValues(type: ParamType, value: unknown): SecondValue[] {
  switch (type) {
    case 'token':
      return tokenRows(value).map((t) => ({ ...NULL_VALUE, v_system: t.system, v_code: t.code }));
    case 'quantity':
      return quantityRows(value).map((q) => ({ ...NULL_VALUE, v_system: q.system, v_code: q.code, v_lo: q.lo, v_hi: q.hi }));
    case 'date':
      return dateRows(value).map((d) => ({ ...NULL_VALUE, v_dlo: d.lo, v_dhi: d.hi }));
    case 'string':
      return stringRows(value).map((s) => ({ ...NULL_VALUE, v_text: s.norm }));
    case 'reference':
      return referenceRows(value).map((r) => ({ ...NULL_VALUE, v_code: r.target_type === null ? r.url : `${r.target_type}/${r.target_id}` }));
    default:
      return [];
  }
}
