import type { Account, Role } from '../auth/accounts/account.js';
import { holderAuditReach } from '../access/audit-access.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { parseDateValue } from '../search/types/date-match.js';
import type { AuditEventStore } from '../storage/audit/audit-event-query.js';
import type { AuditClause } from './audit-event-search.js';
import type { StoredAuditRow } from './audit-row.js';

/** What the account holder asks of her access log (`GET /api/account/access-log` and its page take the same). */
export interface AccessLogQuery {
  /** One application's entries only (its client id). */
  readonly client: string | undefined;
  /** From this day on, to this day (YYYY-MM-DD, UTC), both included. */
  readonly from: string | undefined;
  readonly to: string | undefined;
  /** The page after this entry (an entry id: the `next_cursor` of the page before). */
  readonly cursor: string | undefined;
  readonly count: number;
}

/** One access to the holder's records, in terms she can read. */
export interface AccessLogEntry {
  readonly id: string;
  readonly when: string;
  /** The application (absent: the request came through none, e.g. Fhirkeep's own pages). */
  readonly application: { readonly client_id: string; readonly name: string } | undefined;
  /**
   * The person: herself, or another account by its display name, else by its role. Never an
   * email address or another detail of that account: the log says who read her records, it does
   * not hand her the contact details of the people who did.
   */
  readonly person: { readonly you: boolean; readonly name: string } | undefined;
  /** The organization or research study the application acted for. */
  readonly on_behalf_of: { readonly kind: 'organization' | 'research-study'; readonly name: string } | undefined;
  readonly what: { readonly interaction: string; readonly resource_types: readonly string[] };
  readonly outcome: 'success' | 'refused' | 'failed';
}

export interface AccessLogPage {
  readonly entries: readonly AccessLogEntry[];
  readonly next_cursor: string | undefined;
  /** The applications her log names, for a filter. */
  readonly applications: readonly { readonly client_id: string; readonly name: string }[];
}

export interface AccessLogDeps {
  readonly store: AuditEventStore;
  /** A client's name in the client registry; undefined for one no longer registered. */
  readonly clientName: (clientId: string) => Promise<string | undefined>;
  readonly account: (accountId: string) => Promise<Pick<Account, 'displayName' | 'roles'> | undefined>;
  readonly organizationName: (organizationId: string) => Promise<string | undefined>;
}

export interface AccessLog {
  /** The holder's entries, newest first; refuses (403) an account without a Patient. */
  page(holder: Pick<Account, 'id' | 'patientId'>, query: AccessLogQuery): Promise<AccessLogPage>;
}

const QUERY_PARAMS = new Set(['client', 'from', 'to', 'cursor', 'count']);
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const ENTRY_ID = /^[1-9]\d{0,17}$/;

/** The access log's query from URL parameters (the API's and the page's); a bad one is a 400. */
export function parseAccessLogQuery(params: URLSearchParams, limits: { readonly defaultCount: number; readonly maxCount: number }): AccessLogQuery {
  for (const name of params.keys()) if (!QUERY_PARAMS.has(name)) throw new FhirkeepError('bad-request', `Unknown parameter ${name} (client, from, to, cursor, count)`);
  const value = (name: string) => {
    const v = params.get(name);
    return v === null || v === '' ? undefined : v;
  };
  const day = (name: string) => {
    const v = value(name);
    if (v === undefined) return undefined;
    if (!DAY.test(v)) throw new FhirkeepError('bad-request', `${name} is a day, YYYY-MM-DD`);
    // An impossible day (2026-02-30) is refused as a FHIR date is.
    parseDateValue(v, name);
    return v;
  };
  const cursor = value('cursor');
  if (cursor !== undefined && !ENTRY_ID.test(cursor)) throw new FhirkeepError('bad-request', 'cursor is the next_cursor of a page');
  const count = value('count');
  if (count !== undefined && !/^[1-9]\d{0,3}$/.test(count)) throw new FhirkeepError('bad-request', 'count is a whole number from 1');
  return { client: value('client'), from: day('from'), to: day('to'), cursor, count: Math.min(count === undefined ? limits.defaultCount : Number(count), limits.maxCount) };
}

/** "Who accessed my data" (issue 9): the trail rows about the holder's Patient, named and described for her. */
export function createAccessLog(deps: AccessLogDeps): AccessLog {
  return {
    async page(holder, query) {
      const reach = holderAuditReach(holder);
      const clauses: AuditClause[] = [
        ...(query.client === undefined ? [] : [{ kind: 'client' as const, ids: [query.client] }]),
        ...(query.from === undefined ? [] : [{ kind: 'date' as const, values: [parseDateValue(`ge${query.from}`, 'from')] }]),
        ...(query.to === undefined ? [] : [{ kind: 'date' as const, values: [parseDateValue(`le${query.to}`, 'to')] }]),
      ];
      const [page, clientIds] = await Promise.all([deps.store.search(reach, { clauses, count: query.count, before: query.cursor, canonical: new URLSearchParams() }), deps.store.clients(reach)]);
      const names = new Map(await Promise.all(clientIds.map(async (id) => [id, (await deps.clientName(id)) ?? id] as const)));
      const entries = await Promise.all(page.rows.map((row) => entryOf(row, holder, names, deps)));
      return { entries, next_cursor: page.next, applications: [...names].map(([client_id, name]) => ({ client_id, name })).sort((a, b) => a.name.localeCompare(b.name)) };
    },
  };
}

async function entryOf(row: StoredAuditRow, holder: Pick<Account, 'id' | 'patientId'>, names: ReadonlyMap<string, string>, deps: AccessLogDeps): Promise<AccessLogEntry> {
  return {
    id: row.seq,
    when: row.recorded.toISOString(),
    application: row.clientId === undefined ? undefined : { client_id: row.clientId, name: names.get(row.clientId) ?? row.clientId },
    person: row.accountId === undefined ? undefined : row.accountId === holder.id ? { you: true, name: 'You' } : { you: false, name: await personName(row.accountId, deps) },
    on_behalf_of: await behalfOf(row.onBehalfOf, deps),
    what: { interaction: row.subtype, resource_types: touchedTypes(row, holder.patientId) },
    outcome: row.outcome === 0 ? 'success' : row.outcome === 4 ? 'refused' : 'failed',
  };
}

/** The types of what was touched; another patient's Patient is not hers to count. */
function touchedTypes(row: StoredAuditRow, patientId: string | undefined): string[] {
  const types = row.entity.flatMap((ref) => {
    const [type = '', id] = ref.split('/', 2);
    return type === '' || (type === 'Patient' && id !== undefined && id !== patientId) ? [] : [type];
  });
  return [...new Set(types)];
}

const ROLE_WORDS: readonly [Role, string][] = [
  ['admin', 'A Fhirkeep administrator'],
  ['practitioner', 'A practitioner'],
  ['researcher', 'A researcher'],
  ['developer', 'A developer'],
  ['patient', 'Another account holder'],
];

async function personName(accountId: string, deps: AccessLogDeps): Promise<string> {
  const account = await deps.account(accountId);
  if (account === undefined) return 'A person whose account no longer exists';
  return account.displayName ?? ROLE_WORDS.find(([role]) => account.roles.includes(role))?.[1] ?? 'Another person';
}

async function behalfOf(text: string | undefined, deps: AccessLogDeps): Promise<AccessLogEntry['on_behalf_of']> {
  if (text === undefined) return undefined;
  const [kind, id = ''] = text.split('/', 2);
  if (kind === 'ResearchStudy') return { kind: 'research-study', name: `research study ${id}` };
  return { kind: 'organization', name: (kind === 'Organization' ? await deps.organizationName(id) : undefined) ?? text };
}
