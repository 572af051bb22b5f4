import type { Migration } from './migration.js';

/**
 * The search index (docs/search.md): one table per parameter type, one row per indexed value.
 * Each table has a lookup index led by the parameter key and its value (a search is a range
 * scan of it, in rid order where the value is an equality, so keyset pages stay fast) and a
 * `(rid, param)` index that answers "this resource's values" (a search driven by another,
 * more selective clause probes it, and rewrites delete by it).
 */
const LOOKUPS: readonly string[] = [
  'create index search_token_lookup on search_token (param, code, rid) include (system)',
  'create index search_token_rid on search_token (rid, param) include (system, code)',
  'create index search_string_lookup on search_string (param, norm text_pattern_ops, rid)',
  'create index search_string_rid on search_string (rid, param)',
  'create index search_date_lo on search_date (param, lo, hi)',
  'create index search_date_hi on search_date (param, hi, lo)',
  'create index search_date_rid on search_date (rid, param) include (lo, hi)',
  'create index search_number_lookup on search_number (param, lo, hi)',
  'create index search_number_rid on search_number (rid, param)',
  'create index search_quantity_lookup on search_quantity (param, ccode, clo)',
  'create index search_quantity_raw on search_quantity (param, code, lo)',
  'create index search_quantity_rid on search_quantity (rid, param)',
  'create index search_reference_lookup on search_reference (param, target_id, rid) include (target_type)',
  'create index search_reference_url on search_reference (param, url) where url is not null',
  'create index search_reference_identifier on search_reference (param, id_value) where id_value is not null',
  'create index search_reference_rid on search_reference (rid, param) include (target_type, target_id)',
  'create index search_uri_lookup on search_uri (param, uri text_pattern_ops)',
  'create index search_uri_rid on search_uri (rid, param)',
  'create index search_composite_lookup on search_composite (param, code, rid)',
  'create index search_composite_rid on search_composite (rid, param)',
];

export const searchIndex: Migration = {
  version: 2,
  name: 'search index tables',
  sql: `
create table search_token     (rid bigint not null, param int not null, system text, code text, text text);
create table search_string    (rid bigint not null, param int not null, norm text not null, exact text not null);
create table search_date      (rid bigint not null, param int not null, lo timestamptz not null, hi timestamptz not null);
create table search_number    (rid bigint not null, param int not null, lo numeric not null, hi numeric not null);
create table search_quantity  (rid bigint not null, param int not null, system text, code text, lo numeric not null, hi numeric not null,
                               ccode text, clo numeric, chi numeric);
create table search_reference (rid bigint not null, param int not null, target_type text, target_id text, url text,
                               id_system text, id_value text);
create table search_uri       (rid bigint not null, param int not null, uri text not null);
create table search_composite (rid bigint not null, param int not null, system text, code text, v_system text, v_code text,
                               v_lo numeric, v_hi numeric, v_dlo timestamptz, v_dhi timestamptz, v_text text);
${LOOKUPS.map((l) => `${l};`).join('\n')}

-- Parameter and value are correlated (category=laboratory is common, code=8302-2 is not): the
-- planner needs their joint frequencies to choose between driving from a clause and probing it.
create statistics search_token_param_code (mcv, ndistinct) on param, code from search_token;
create statistics search_reference_param_target (mcv, ndistinct) on param, target_id from search_reference;
create statistics search_string_param_norm (mcv, ndistinct) on param, norm from search_string;

-- Which indexer version built the rows: a start with a newer indexer rebuilds them (reindex).
create table search_index_state (
  singleton boolean primary key default true check (singleton),
  version   int not null,
  -- Highest rid the running rebuild has done, so an interrupted one resumes.
  done_rid  bigint,
  complete  boolean not null
);
insert into search_index_state (version, done_rid, complete) values (0, null, false);

-- The foundation's identifier-only index, replaced by search_token.
drop table resource_tokens;
`,
};
