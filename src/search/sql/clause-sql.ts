import { TABLE_OF } from '../index/index-tables.js';
import type { Clause } from '../query/search-query.js';
import { compositeSql } from '../types/composite-match.js';
import { dateSql } from '../types/date-match.js';
import { instantParam, rangeCondition } from '../types/ordered-match.js';
import { numberSql } from '../types/number-match.js';
import { quantitySql } from '../types/quantity-match.js';
import { referenceSql } from '../types/reference-match.js';
import { stringSql } from '../types/string-match.js';
import { tokenSql, tokenTextSql } from '../types/token-match.js';
import { uriSql } from '../types/uri-match.js';
import { any, paramIs } from './fragments.js';
import { q, raw, type SqlText } from './sql-text.js';

/**
 * The read rule of the request's AccessScope over a `resources` row alias: every row a
 * search reaches — results, chain targets, `_has` sources, includes — must satisfy it.
 * `types`: the types the row is known to have (see storage/scope-sql.ts ReadUse).
 */
export type ScopeFilter = (alias: string, types?: readonly string[]) => SqlText | undefined;

/** One clause as a condition on the `resources` row `alias`; `depth` names nested aliases. */
export function clauseSql(alias: string, clause: Clause, scope: ScopeFilter, depth = 1): SqlText {
  switch (clause.kind) {
    case 'token':
      return tokenSql(alias, clause.param.keys, clause.values, clause.modifier === 'not');
    case 'token-text':
      return tokenTextSql(alias, clause.param.keys, clause.values);
    case 'string':
      return stringSql(alias, clause.param.keys, clause.values, clause.modifier);
    case 'date':
      return dateSql(alias, clause.param.keys, clause.values);
    case 'number':
      return numberSql(alias, clause.param.keys, clause.values);
    case 'quantity':
      return quantitySql(alias, clause.param.keys, clause.values);
    case 'reference':
      return referenceSql(alias, clause.param.keys, clause.values);
    case 'uri':
      return uriSql(alias, clause.param.keys, clause.values, clause.modifier);
    case 'composite':
      return compositeSql(alias, clause.param.keys, clause.values);
    case 'missing': {
      const present = q`exists (select 1 from ${raw(TABLE_OF[clause.param.type as keyof typeof TABLE_OF])} x where x.rid = ${raw(alias)}.rid and ${paramIs(clause.param.keys)})`;
      return clause.missing ? q`not ${present}` : present;
    }
    case 'id': {
      const match = q`${raw(alias)}.id = any(${clause.ids as string[]}::text[])`;
      return clause.not ? q`not ${match}` : match;
    }
    case 'last-updated': {
      const col = q`${raw(alias)}.last_updated`;
      return any(clause.values.map((v) => rangeCondition(col, col, v, instantParam)));
    }
    case 'chain': {
      const t = `t${depth}`;
      const targets = clause.targets.map(({ type, inner }) => {
        const pred = scope(t, [type]);
        return q`(x.target_type = ${type} and x.target_id in (
          select ${raw(t)}.id from resources ${raw(t)}
          where ${raw(t)}.tenant = 0 and ${raw(t)}.type = ${type} and not ${raw(t)}.deleted
            and ${clauseSql(t, inner, scope, depth + 1)} ${pred === undefined ? q`` : q`and ${pred}`}))`;
      });
      return q`exists (select 1 from search_reference x where x.rid = ${raw(alias)}.rid and ${paramIs(clause.param.keys)} and ${any(targets)})`;
    }
    case 'has': {
      const h = `h${depth}`;
      const pred = scope(h, [clause.type]);
      return q`${raw(alias)}.id in (
        select x.target_id from search_reference x join resources ${raw(h)} on ${raw(h)}.rid = x.rid
        where ${paramIs(clause.ref.keys)} and x.target_type = ${raw(alias)}.type
          and ${raw(h)}.type = ${clause.type} and not ${raw(h)}.deleted
          and ${clauseSql(h, clause.inner, scope, depth + 1)} ${pred === undefined ? q`` : q`and ${pred}`})`;
    }
  }
}
