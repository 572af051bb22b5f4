import type { ParamType } from '../params/search-param.js';

/**
 * The search index tables: one per parameter type, one row per indexed value, keyed by the
 * resource's `rid` and the parameter's key. Column lists are defined once here; the migration,
 * the writers and the reindexer all use them.
 */
export const INDEX_TABLES = {
  search_token: { system: 'text', code: 'text', text: 'text' },
  search_string: { norm: 'text', exact: 'text' },
  search_date: { lo: 'timestamptz', hi: 'timestamptz' },
  search_number: { lo: 'numeric', hi: 'numeric' },
  search_quantity: { system: 'text', code: 'text', lo: 'numeric', hi: 'numeric', ccode: 'text', clo: 'numeric', chi: 'numeric' },
  search_reference: { target_type: 'text', target_id: 'text', url: 'text', id_system: 'text', id_value: 'text' },
  search_uri: { uri: 'text' },
  search_composite: {
    system: 'text',
    code: 'text',
    v_system: 'text',
    v_code: 'text',
    v_lo: 'numeric',
    v_hi: 'numeric',
    v_dlo: 'timestamptz',
    v_dhi: 'timestamptz',
    v_text: 'text',
  },
} as const;

export type IndexTable = keyof typeof INDEX_TABLES;
export type ColumnsOf<T extends IndexTable> = keyof (typeof INDEX_TABLES)[T];
/** One row's values (null for SQL null), without rid; numbers and instants travel as text. */
export type RowOf<T extends IndexTable> = { readonly [C in ColumnsOf<T>]: string | null };

export const INDEX_TABLE_NAMES = Object.keys(INDEX_TABLES) as IndexTable[];

/** The table that holds a parameter type's rows. */
export const TABLE_OF: Readonly<Record<Exclude<ParamType, 'special'>, IndexTable>> = {
  token: 'search_token',
  string: 'search_string',
  date: 'search_date',
  number: 'search_number',
  quantity: 'search_quantity',
  reference: 'search_reference',
  uri: 'search_uri',
  composite: 'search_composite',
};

export function columnsOf<T extends IndexTable>(table: T): ColumnsOf<T>[] {
  return Object.keys(INDEX_TABLES[table]) as ColumnsOf<T>[];
}
