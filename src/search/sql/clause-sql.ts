import type { Sql } from 'postgres';
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
import { any, paramIs, type Fragment } from './fragments.js';

/**
 * The read rule of the request's AccessScope over a `resources` row alias: every row a
 * search reaches — results, chain targets, `_has` sources, includes — must satisfy it.
 */
export type ScopeFilter = (alias: string) => Fragment | undefined;

/** One clause as a condition on the `resources` row `alias`; `depth` names nested aliases. */
export function clauseSql(sql: Sql, alias: string, clause: Clause, scope: ScopeFilter, depth = 1): Fragment {
  switch (clause.kind) {
    case 'token':
      return tokenSql(sql, alias, clause.param.keys, clause.values, clause.modifier === 'not');
    case 'token-text':
      return tokenTextSql(sql, alias, clause.param.keys, clause.values);
    case 'string':
      return stringSql(sql, alias, clause.param.keys, clause.values, clause.modifier);
    case 'date':
      return dateSql(sql, alias, clause.param.keys, clause.values);
    case 'number':
      return numberSql(sql, alias, clause.param.keys, clause.values);
    case 'quantity':
      return quantitySql(sql, alias, clause.param.keys, clause.values);
    case 'reference':
      return referenceSql(sql, alias, clause.param.keys, clause.values);
    case 'uri':
      return uriSql(sql, alias, clause.param.keys, clause.values, clause.modifier);
    case 'composite':
      return compositeSql(sql, alias, clause.param.keys, clause.values);
    case 'missing': {
      const present = sql`exists (select 1 from ${sql.unsafe(tableOf(clause.param.type))} x where x.rid = ${sql.unsafe(alias)}.rid and ${paramIs(sql, clause.param.keys)})`;
      return clause.missing ? sql`not ${present}` : present;
    }
    case 'id': {
      const match = sql`${sql.unsafe(alias)}.id = any(${clause.ids as string[]}::text[])`;
      return clause.not ? sql`not ${match}` : match;
    }
    case 'last-updated': {
      const col = sql`${sql.unsafe(alias)}.last_updated`;
      return any(sql, clause.values.map((v) => rangeCondition(sql, col, col, v, instantParam(sql))));
    }
    case 'chain': {
      const t = `t${depth}`;
      const targets = clause.targets.map(({ type, inner }) => {
        const pred = scope(t);
        return sql`(x.target_type = ${type} and x.target_id in (
          select ${sql.unsafe(t)}.id from resources ${sql.unsafe(t)}
          where ${sql.unsafe(t)}.tenant = 0 and ${sql.unsafe(t)}.type = ${type} and not ${sql.unsafe(t)}.deleted
            and ${clauseSql(sql, t, inner, scope, depth + 1)} ${pred === undefined ? sql`` : sql`and ${pred}`}))`;
      });
      return sql`exists (select 1 from search_reference x where x.rid = ${sql.unsafe(alias)}.rid and ${paramIs(sql, clause.param.keys)} and ${any(sql, targets)})`;
    }
    case 'has': {
      const h = `h${depth}`;
      const pred = scope(h);
      return sql`${sql.unsafe(alias)}.id in (
        select x.target_id from search_reference x join resources ${sql.unsafe(h)} on ${sql.unsafe(h)}.rid = x.rid
        where ${paramIs(sql, clause.ref.keys)} and x.target_type = ${sql.unsafe(alias)}.type
          and ${sql.unsafe(h)}.type = ${clause.type} and not ${sql.unsafe(h)}.deleted
          and ${clauseSql(sql, h, clause.inner, scope, depth + 1)} ${pred === undefined ? sql`` : sql`and ${pred}`})`;
    }
  }
}

function tableOf(type: string): string {
  return type === 'composite' ? 'search_composite' : `search_${type}`;
}
