import type { Sql } from 'postgres';
import type { AuditReach } from '../../access/audit-access.js';
import type { AuditClause, AuditSearch } from '../../audit/audit-event-search.js';
import type { AuditAction, AuditOutcome, StoredAuditRow } from '../../audit/audit-row.js';
import { all, any } from '../../search/sql/fragments.js';
import { q, raw, render, type SqlText } from '../../search/sql/sql-text.js';
import { instantParam, rangeCondition } from '../../search/types/ordered-match.js';
import { actingConsent } from '../consent-sql.js';

/** A page of the trail, newest first. */
export interface AuditPage {
  readonly rows: readonly StoredAuditRow[];
  /** Where the next page starts (the last row's `seq`), when there are more rows. */
  readonly next: string | undefined;
}

/** Reads the audit trail (src/storage/migrations/011-audit-trail.ts), only ever within a reach. */
export interface AuditEventStore {
  search(reach: AuditReach, search: AuditSearch): Promise<AuditPage>;
  /** One row by its id, if the reach sees it. */
  read(reach: AuditReach, id: string): Promise<StoredAuditRow | undefined>;
  /** The applications the rows the reach sees name (the access log's filter offers these). */
  clients(reach: AuditReach): Promise<string[]>;
}

const COLUMNS = raw(
  'a.seq::text as seq, a.recorded, a.type, a.subtype, a.action, a.outcome, a.outcome_desc, a.account_id, a.client_id, a.on_behalf_of, a.ip, a.request_id, a.entity, a.query, a.patient_ids, a.detail',
);

/** An id is the row's number; anything else (or a number past bigint) names no row. */
const SEQ = /^[1-9]\d{0,17}$/;

export function createAuditEventStore(sql: Sql): AuditEventStore {
  const rows = async (query: SqlText): Promise<StoredAuditRow[]> => {
    const { text, params } = render(query);
    return ((await sql.unsafe(text, params as never[])) as unknown as DbRow[]).map(toRow);
  };
  return {
    async search(reach, search) {
      if (search.count === 0) return { rows: [], next: undefined };
      const where = all([...reachConditions(reach), ...search.clauses.map((c) => clauseCondition(c, reach)), ...(search.before === undefined ? [] : [q`a.seq < ${search.before}::bigint`])]);
      // Newest first on the primary key: a deep page costs what the first does.
      const found = await rows(q`select ${COLUMNS} from audit_events a where ${where} order by a.seq desc limit ${search.count + 1}`);
      const page = found.slice(0, search.count);
      return { rows: page, next: found.length > search.count ? page[page.length - 1]?.seq : undefined };
    },
    async read(reach, id) {
      if (!SEQ.test(id)) return undefined;
      const [row] = await rows(q`select ${COLUMNS} from audit_events a where ${all([q`a.seq = ${id}::bigint`, ...reachConditions(reach)])}`);
      return row;
    },
    async clients(reach) {
      const { text, params } = render(q`select distinct a.client_id from audit_events a where ${all([q`a.client_id is not null`, ...reachConditions(reach)])}`);
      return ((await sql.unsafe(text, params as never[])) as unknown as { client_id: string }[]).map((r) => r.client_id).sort();
    },
  };
}

/** The reach as SQL: a patient's rows through the GIN index on patient_ids; the acting consent checked in the same statement. */
function reachConditions(reach: AuditReach): SqlText[] {
  const acting = reach.acting === undefined ? undefined : actingConsent(reach.acting);
  return [...(reach.kind === 'patient' ? [q`a.patient_ids @> array[${reach.patientId}]::text[]`] : []), ...(acting === undefined ? [] : [acting])];
}

/**
 * A clause as SQL. In a patient's reach, a clause may only test what her view of a row shows
 * (src/audit/audit-event-resource.ts), or matching would tell her what it hides: `patient` names
 * her alone, and `entity` matches only rows about no one but her.
 */
function clauseCondition(c: AuditClause, reach: AuditReach): SqlText {
  if (reach.kind === 'patient' && c.kind === 'patient') return c.ids.includes(reach.patientId) ? q`true` : q`false`;
  if (reach.kind === 'patient' && c.kind === 'entity') {
    const visible = c.refs.filter((r) => !r.startsWith('Patient/'));
    return visible.length === 0 ? q`false` : q`(a.entity && ${visible}::text[] and a.patient_ids <@ array[${reach.patientId}]::text[])`;
  }
  switch (c.kind) {
    case 'date':
      // The recorded instant is a point: its range at the search value's precision holds it or not (R4 §3.1.1.4.6).
      return any(c.values.map((v) => rangeCondition(q`a.recorded`, q`a.recorded`, v, instantParam)));
    case 'patient':
      return q`a.patient_ids && ${c.ids}::text[]`;
    case 'agent':
      return q`(a.client_id = any(${c.ids}::text[]) or a.account_id = any(${c.ids}::text[]))`;
    case 'client':
      return q`a.client_id = any(${c.ids}::text[])`;
    case 'entity':
      return q`a.entity && ${c.refs}::text[]`;
    case 'code':
      return c.codes.length === 0 ? q`false` : q`a.${raw(c.column)} = any(${c.codes}::text[])`;
    case 'outcome':
      return q`a.outcome = any(${c.codes}::smallint[])`;
  }
}

interface DbRow {
  seq: string;
  recorded: Date;
  type: string;
  subtype: string;
  action: AuditAction;
  outcome: AuditOutcome;
  outcome_desc: string | null;
  account_id: string | null;
  client_id: string | null;
  on_behalf_of: string | null;
  ip: string | null;
  request_id: string | null;
  entity: string[];
  query: string | null;
  patient_ids: string[];
  detail: Record<string, unknown>;
}

function toRow(r: DbRow): StoredAuditRow {
  return {
    seq: r.seq,
    recorded: r.recorded,
    type: r.type,
    subtype: r.subtype,
    action: r.action,
    outcome: r.outcome,
    outcomeDesc: r.outcome_desc ?? undefined,
    accountId: r.account_id ?? undefined,
    clientId: r.client_id ?? undefined,
    onBehalfOf: r.on_behalf_of ?? undefined,
    ip: r.ip ?? undefined,
    requestId: r.request_id ?? undefined,
    entity: r.entity,
    query: r.query ?? undefined,
    patientIds: r.patient_ids,
    detail: r.detail,
  };
}
