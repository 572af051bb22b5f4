import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ConsentParties, NewConsent } from '../../storage/access/consent-store.js';
import { FILTERED_KINDS, type ConsentKind, type GrantStatus } from './consent.js';

/** A consent to grant, as the API, the CLI and the authorization pages ask for one. */
export interface ConsentGrantInput {
  /** Inferred from the parties when absent: a service-type client means a subscription. */
  readonly kind?: ConsentKind | undefined;
  readonly accountId?: string | undefined;
  readonly organizationId?: string | undefined;
  readonly clientId?: string | undefined;
  /** Default active. */
  readonly status?: GrantStatus | undefined;
  /** app/service: the SMART scopes approved. */
  readonly scopes?: readonly string[] | undefined;
}

/** Which parties each kind joins (the consents table's check constraint). */
const PARTIES: Readonly<Record<ConsentKind, { account: boolean; organization: boolean; client: boolean }>> = {
  app: { account: true, organization: false, client: true },
  service: { account: true, organization: false, client: true },
  organization: { account: true, organization: true, client: false },
  broker: { account: false, organization: true, client: true },
};

/** The client type each client-facing kind is given to. */
const CLIENT_TYPE_OF: Partial<Record<ConsentKind, string>> = { app: 'smart', service: 'service', broker: 'broker' };

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const bad = (field: string, message: string) => new FhirkeepError('bad-request', `${field}: ${message}`, { details: [{ message: `${field}: ${message}`, expression: field }] });

/** The kind the parties name, when the input does not say. */
export function inferKind(input: ConsentGrantInput, clientType: string | undefined): ConsentKind {
  if (input.kind !== undefined) return input.kind;
  const has = { account: input.accountId !== undefined, organization: input.organizationId !== undefined, client: input.clientId !== undefined };
  if (!has.account && has.organization && has.client) return 'broker';
  if (has.account && has.organization && !has.client) return 'organization';
  if (has.account && has.client && !has.organization) return clientType === 'service' ? 'service' : 'app';
  throw bad('kind', 'name an account and a client (app, service), an account and an organization, or an organization and a broker client');
}

/**
 * Checks a grant against its parties: each kind joins exactly its parties, which exist; the
 * client is of the kind's type and not revoked; a holder's consent shares their own record, so
 * the account needs a linked Patient (422 otherwise). Field names are the API's.
 */
export function checkGrant(input: ConsentGrantInput, kind: ConsentKind, parties: ConsentParties): NewConsent {
  const needs = PARTIES[kind];
  const given = { account: input.accountId, organization: input.organizationId, client: input.clientId };
  for (const field of ['account', 'organization', 'client'] as const) {
    if (needs[field] && given[field] === undefined) throw bad(field, `a ${kind} consent names its ${field}`);
    if (!needs[field] && given[field] !== undefined) throw bad(field, `a ${kind} consent has no ${field}`);
  }
  if (needs.account && parties.account === undefined) throw bad('account', `there is no account ${given.account ?? ''}`);
  if (needs.organization && !parties.organization) throw bad('organization', `there is no organization ${given.organization ?? ''}`);
  if (needs.client) {
    if (parties.client === undefined) throw bad('client', `there is no client ${given.client ?? ''}`);
    if (parties.client.revoked) throw bad('client', `client ${given.client ?? ''} is revoked`);
    const type = CLIENT_TYPE_OF[kind];
    if (parties.client.type !== type) throw bad('client', `a ${kind} consent is given to a ${type ?? ''} client, and ${given.client ?? ''} is a ${parties.client.type} client`);
  }
  // A subscription or a share gives the holder's own record; consent to an app lets it act for
  // the account (a practitioner's app sees what is shared with them), so any account may give it.
  if (needs.account && kind !== 'app' && parties.account?.patientId === undefined) {
    const message = `account: ${given.account ?? ''} has no linked Patient, and a consent shares the holder's own record (link one: user create --patient)`;
    throw new FhirkeepError('unprocessable', message, { details: [{ message, expression: 'account' }] });
  }
  const scopes = input.scopes ?? [];
  if (scopes.length > 0 && !FILTERED_KINDS.has(kind)) throw bad('scope', `a ${kind} consent has no scopes`);
  const malformed = scopes.find((s) => !SCOPE_TOKEN.test(s));
  if (malformed !== undefined) throw bad('scope', `${JSON.stringify(malformed)} is not a scope`);
  return {
    kind,
    accountId: given.account,
    organizationId: given.organization,
    clientId: given.client,
    status: input.status ?? 'active',
    scopes: [...new Set(scopes)],
  };
}
