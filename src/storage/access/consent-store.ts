import { randomUUID } from 'node:crypto';
import type { Sql, TransactionSql } from 'postgres';
import type { ClientType } from '../../auth/clients/client.js';
import { FILTERED_KINDS, type Consent, type ConsentKind, type ConsentStatus } from '../../access/consents/consent.js';
import { consentResource } from '../../access/consents/consent-resource.js';
import { oneRow } from '../one-row.js';
import { storable } from '../storable.js';

/** The one consent of a pair of parties (unique index consents_pair). */
export interface ConsentPair {
  readonly kind: ConsentKind;
  readonly accountId: string | undefined;
  readonly organizationId: string | undefined;
  readonly clientId: string | undefined;
}

export interface NewConsent extends ConsentPair {
  readonly status: ConsentStatus;
  readonly scopes: readonly string[];
}

/** What the parties of a consent are, as far as granting one needs to know (undefined: no such row). */
export interface ConsentParties {
  readonly account: { readonly patientId: string | undefined } | undefined;
  readonly organization: boolean;
  readonly client: { readonly type: ClientType; readonly revoked: boolean } | undefined;
}

/** Which consents to list; every given field must match. */
export interface ConsentQuery {
  readonly accountId?: string | undefined;
  readonly organizationId?: string | undefined;
  readonly clientId?: string | undefined;
  /** Only consents of this account or of these organizations (what a non-admin may see). */
  readonly visibleTo?: { readonly accountId: string; readonly organizationIds: readonly string[] } | undefined;
}

/** A change and the consent as it was before it (undefined before a first grant). */
export interface ConsentChange {
  readonly before: Consent | undefined;
  readonly after: Consent;
}

export interface ConsentStore {
  parties(ids: Omit<ConsentPair, 'kind'>): Promise<ConsentParties>;
  /**
   * Records a decision on the pair's one consent (created, or replaced whatever its status), in
   * one transaction. app/service: filter_version becomes the client's current one. patient_id is
   * the holder's linked Patient.
   */
  upsert(consent: NewConsent): Promise<ConsentChange>;
  /**
   * Moves a consent to `status` with its row locked; `check` sees the current consent and throws
   * to refuse. Becoming (or staying) active confirms an app/service consent for the client's
   * current filter version. Undefined when there is no such consent.
   */
  setStatus(id: string, status: ConsentStatus, check: (current: Consent) => void): Promise<ConsentChange | undefined>;
  find(id: string): Promise<Consent | undefined>;
  findPair(pair: ConsentPair): Promise<Consent | undefined>;
  /** Newest first. */
  list(query: ConsentQuery): Promise<Consent[]>;
}

interface ConsentRow {
  id: string;
  kind: ConsentKind;
  status: ConsentStatus;
  account_id: string | null;
  organization_id: string | null;
  client_id: string | null;
  patient_id: string | null;
  filter_version: number | null;
  current_filter_version: number | null;
  scopes: string[];
  created_at: Date;
  updated_at: Date;
}

/** consents.id is a uuid: anything else names no consent (and would be a type error in SQL). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createConsentStore(sql: Sql): ConsentStore {
  // Each consent with its client's current filter version (app/service: outdated when they differ).
  const selectConsents = (tx: Sql | TransactionSql) =>
    tx`select c.id, c.kind, c.status, c.account_id, c.organization_id, c.client_id, c.patient_id, c.filter_version,
              c.scopes, c.created_at, c.updated_at, cl.filter_version as current_filter_version
       from consents c left join clients cl on cl.id = c.client_id`;

  /** Writes the FHIR Consent of a changed row, then reads the row back. */
  async function render(tx: TransactionSql, id: string): Promise<Consent> {
    const [row] = await tx<ConsentRow[]>`${selectConsents(tx)} where c.id = ${id}`;
    const consent = toConsent(oneRow(row));
    await tx`update consents set resource = ${tx.json(consent.resource as never)} where id = ${id}`;
    return consent;
  }

  const lockPair = (tx: TransactionSql, p: ConsentPair) =>
    tx<ConsentRow[]>`${selectConsents(tx)}
      where c.kind = ${p.kind} and coalesce(c.account_id, '') = ${p.accountId ?? ''}
        and coalesce(c.organization_id, '') = ${p.organizationId ?? ''} and coalesce(c.client_id, '') = ${p.clientId ?? ''}
      for update of c`;

  return {
    async parties(p) {
      if (![p.accountId, p.organizationId, p.clientId].every(storable)) return { account: undefined, organization: false, client: undefined };
      const [account] = p.accountId === undefined ? [] : await sql<{ patient_id: string | null }[]>`select patient_id from accounts where id = ${p.accountId}`;
      const [organization] =
        p.organizationId === undefined ? [] : await sql<{ id: string }[]>`select id from organizations where id = ${p.organizationId}`;
      const [client] =
        p.clientId === undefined ? [] : await sql<{ type: ClientType; revoked: boolean }[]>`select type, revoked_at is not null as revoked from clients where id = ${p.clientId}`;
      return {
        account: account === undefined ? undefined : { patientId: account.patient_id ?? undefined },
        organization: organization !== undefined,
        client,
      };
    },

    upsert(c) {
      return sql.begin(async (tx) => {
        const [prior] = await lockPair(tx, c);
        const filtered = FILTERED_KINDS.has(c.kind);
        const [row] = await tx<{ id: string }[]>`
          insert into consents (id, kind, status, account_id, organization_id, client_id, patient_id, filter_version, scopes, resource)
          values (${randomUUID()}, ${c.kind}, ${c.status}, ${c.accountId ?? null}, ${c.organizationId ?? null}, ${c.clientId ?? null},
                  (select patient_id from accounts where id = ${c.accountId ?? null}),
                  ${filtered ? tx`(select filter_version from clients where id = ${c.clientId ?? null})` : null},
                  ${tx.array([...c.scopes])}::text[], '{}')
          on conflict (kind, coalesce(account_id, ''), coalesce(organization_id, ''), coalesce(client_id, ''))
          do update set status = excluded.status, patient_id = excluded.patient_id, filter_version = excluded.filter_version,
                        scopes = excluded.scopes, updated_at = now()
          returning id`;
        return { before: prior === undefined ? undefined : toConsent(prior), after: await render(tx, oneRow(row).id) };
      });
    },

    async setStatus(id, status, check) {
      if (!UUID.test(id)) return undefined;
      return sql.begin(async (tx) => {
        const [row] = await tx<ConsentRow[]>`${selectConsents(tx)} where c.id = ${id} for update of c`;
        if (row === undefined) return undefined;
        const before = toConsent(row);
        check(before);
        // Activating is agreeing to the client's filter as it is now (issue 5: re-confirmation).
        await tx`
          update consents set status = ${status}, updated_at = now(),
            filter_version = case when ${status} = 'active' and kind in ('app', 'service')
                                  then (select filter_version from clients where id = consents.client_id) else filter_version end
          where id = ${id}`;
        return { before, after: await render(tx, id) };
      });
    },

    async find(id) {
      if (!UUID.test(id)) return undefined;
      const [row] = await sql<ConsentRow[]>`${selectConsents(sql)} where c.id = ${id}`;
      return row === undefined ? undefined : toConsent(row);
    },

    async findPair(p) {
      if (![p.accountId, p.organizationId, p.clientId].every(storable)) return undefined;
      const [row] = await sql<ConsentRow[]>`${selectConsents(sql)}
        where c.kind = ${p.kind} and coalesce(c.account_id, '') = ${p.accountId ?? ''}
          and coalesce(c.organization_id, '') = ${p.organizationId ?? ''} and coalesce(c.client_id, '') = ${p.clientId ?? ''}`;
      return row === undefined ? undefined : toConsent(row);
    },

    async list(q) {
      if (![q.accountId, q.organizationId, q.clientId, q.visibleTo?.accountId, ...(q.visibleTo?.organizationIds ?? [])].every(storable)) return [];
      const v = q.visibleTo;
      const rows = await sql<ConsentRow[]>`${selectConsents(sql)}
        where true
        ${q.accountId === undefined ? sql`` : sql`and c.account_id = ${q.accountId}`}
        ${q.organizationId === undefined ? sql`` : sql`and c.organization_id = ${q.organizationId}`}
        ${q.clientId === undefined ? sql`` : sql`and c.client_id = ${q.clientId}`}
        ${v === undefined ? sql`` : sql`and (c.account_id = ${v.accountId} or c.organization_id = any(${sql.array([...v.organizationIds])}::text[]))`}
        order by c.updated_at desc, c.id`;
      return rows.map(toConsent);
    },
  };
}


function toConsent(r: ConsentRow): Consent {
  const facts = {
    id: r.id,
    kind: r.kind,
    status: r.status,
    accountId: r.account_id ?? undefined,
    organizationId: r.organization_id ?? undefined,
    clientId: r.client_id ?? undefined,
    patientId: r.patient_id ?? undefined,
    filterVersion: r.filter_version ?? undefined,
    scopes: r.scopes,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  return { ...facts, currentFilterVersion: FILTERED_KINDS.has(r.kind) ? (r.current_filter_version ?? undefined) : undefined, resource: consentResource(facts) };
}
