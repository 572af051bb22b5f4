import type { RegisteredClient } from '../auth/clients/client.js';
import type { AccessFilter } from './filter/access-filter.js';
import type { AccessBlock, ConsentRule, Reach, SmartRule } from './scope.js';

/** An application's side of its rule: what depends on the client and its filter alone. */
export interface ApplicationRule {
  /** The client has no access filter (its one block bounds only owner and public). */
  readonly unfiltered: boolean;
  readonly blocks: readonly AccessBlock[];
  readonly settableLabels: ReadonlySet<string> | 'not-platform';
  readonly stampedLabels: readonly string[];
}

/**
 * Compiles an application's access filter: `app: self` becomes its client id, each block learns
 * the resource types it can match (its formats, intersected with its contents' types), and the
 * labels its writes may carry are gathered. Depends only on the client, its filter version and
 * the taxonomy, so callers cache it per (client, filter version, taxonomy epoch).
 * Without a filter, one block bounds nothing but owner (all) and public (never).
 */
export function compileApplicationRule(clientId: string, filter: AccessFilter | undefined, contentResourceType: (content: string) => string | undefined): ApplicationRule {
  if (filter === undefined) return { unfiltered: true, blocks: [{ owner: 'all', public: 'never', types: undefined }], settableLabels: 'not-platform', stampedLabels: [] };
  const blocks = filter.blocks.map((b): AccessBlock => {
    const ofContents = b.contents === undefined ? undefined : new Set(b.contents.flatMap((c) => contentResourceType(c) ?? []));
    const types = b.formats === undefined ? ofContents : new Set(b.formats.filter((f) => ofContents === undefined || ofContents.has(f)));
    return { ...b, ...(b.apps === undefined ? {} : { apps: b.apps.map((a) => (a === 'self' ? clientId : a)) }), types };
  });
  const stamped = [...new Set(filter.blocks.flatMap((b) => b.addTags ?? []))];
  return { unfiltered: false, blocks, settableLabels: new Set([...filter.blocks.flatMap((b) => b.allowTags ?? []), ...stamped]), stampedLabels: stamped };
}

/** A block bounding nothing, the public pool included: all the reach allows, and the pool. */
const REACH_AND_PUBLIC: AccessBlock = { owner: 'all', public: 'also', types: undefined };

/**
 * Who is calling through the application: a signed-in account (and their Patient), or the client
 * itself; a data broker on behalf of an organization, or of none.
 */
export interface Caller {
  readonly accountId: string | undefined;
  readonly patient: string | undefined;
  /**
   * The organization a broker acts for (the request's `grp`, resolved by the authentication
   * layer, which refuses it from any other client). The SQL checks the organization's consent to
   * the broker again on every query.
   */
  readonly organizationId: string | undefined;
  /**
   * The ResearchStudy a research partner's request names (`researchstudy=`, resolved and checked
   * by the authentication layer, which refuses it from any other client). The SQL checks the
   * partner's authorization for it again on every query.
   */
  readonly studyId?: string | undefined;
}

/** The token's SMART scopes, the application's rule and whose records its consents reach, as one rule. */
export function consentRule(smart: SmartRule, client: RegisteredClient, app: ApplicationRule, caller: Caller): ConsentRule {
  const reach = reachOf(client, caller);
  const rule = { kind: 'consented', smart, reach, writeMode: client.writeMode, stampedLabels: app.stampedLabels } as const;
  // An institution's own system without a filter: every record, the public pool included, any label.
  if (reach.kind === 'everyone' && app.unfiltered) return { ...rule, blocks: [REACH_AND_PUBLIC], settableLabels: 'any' };
  // A broker's key alone reaches no holder, but is still an authenticated caller: unless its filter
  // says otherwise, it reads what every caller may, the directory and the public pool.
  if (reach.kind === 'nobody' && client.type === 'broker' && app.unfiltered) return { ...rule, blocks: [REACH_AND_PUBLIC], settableLabels: app.settableLabels };
  return { ...rule, blocks: app.blocks, settableLabels: app.settableLabels };
}

/**
 * A user's token reaches what their consents share with them; a client's own token what its
 * holders' consents share with it: subscriptions for a service; for a broker, the shares with the
 * one organization it acts for, so that a broker serving several organizations never mixes their
 * holders (its key alone reaches none). An institution's own system (reach `all`, set by an
 * admin) reaches every record. A research partner reaches the subjects enrolled in the one
 * study its request names (none named: nobody).
 */
function reachOf(client: RegisteredClient, caller: Caller): Reach {
  // Authentication refuses grp from any other client: one here is a bug there, not a request to answer.
  if (caller.organizationId !== undefined && client.type !== 'broker') throw new Error(`Only a data broker acts for an organization, not client ${client.id} (${client.type})`);
  if (caller.studyId !== undefined && client.type !== 'research') throw new Error(`Only a research partner names a research study, not client ${client.id} (${client.type})`);
  if (client.reach === 'all') return { kind: 'everyone' };
  if (caller.accountId !== undefined) return { kind: 'account', accountId: caller.accountId, clientId: client.id, filterVersion: client.filterVersion, patient: caller.patient };
  switch (client.type) {
    case 'service':
      return { kind: 'subscribers', clientId: client.id, filterVersion: client.filterVersion };
    case 'broker':
      return caller.organizationId === undefined ? { kind: 'nobody' } : { kind: 'broker', clientId: client.id, organizationId: caller.organizationId };
    case 'research':
      return caller.studyId === undefined ? { kind: 'nobody' } : { kind: 'study', clientId: client.id, studyId: caller.studyId };
    default:
      return { kind: 'nobody' };
  }
}

/**
 * What an account reaches on Fhirkeep's own pages (the patient picker, the EHR launch): its own
 * record and what holders share with an organization it belongs to, read only. An admin, who
 * runs the platform, reaches every record.
 */
export function holderRule(smart: SmartRule, account: { readonly id: string; readonly patientId: string | undefined; readonly roles: readonly string[] }): ConsentRule {
  return {
    kind: 'consented',
    smart,
    blocks: compileApplicationRule('', undefined, () => undefined).blocks,
    settableLabels: 'not-platform',
    stampedLabels: [],
    reach: account.roles.includes('admin') ? { kind: 'everyone' } : { kind: 'holder', accountId: account.id, patient: account.patientId },
    writeMode: 'none',
  };
}
