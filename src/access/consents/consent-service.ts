import type { RecordSecurityEvent } from '../../auth/security-events.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { ConsentChange, ConsentPair, ConsentQuery, ConsentStore } from '../../storage/access/consent-store.js';
import { FILTERED_KINDS, type Consent, type ConsentStatus } from './consent.js';
import { checkGrant, inferKind, type ConsentGrantInput } from './consent-input.js';
import { checkTransition } from './consent-lifecycle.js';

export interface ConsentServiceOptions {
  readonly store: ConsentStore;
  /**
   * Revokes every grant an account holds for a client, on every node (the grant revocation path:
   * its access and refresh tokens stop working on the next request).
   */
  readonly revokeGrants: (accountId: string, clientId: string) => Promise<unknown>;
  readonly record: RecordSecurityEvent;
}

export interface ConsentService {
  /**
   * Records a decision on the pair's one consent: created, or re-activated (whatever its status
   * was) with the client's current filter version and these scopes. Throws `bad-request` naming
   * the field, or `unprocessable` when the holder has no linked Patient.
   */
  grant(input: ConsentGrantInput, actor?: string): Promise<Consent>;
  /**
   * Moves a consent through its lifecycle (consent-lifecycle.ts; `version-conflict` for an
   * impossible move, `not-found` for no consent). Activating an app/service consent, also one
   * active already, confirms it for the client's current filter version.
   */
  setStatus(id: string, status: ConsentStatus, actor?: string): Promise<Consent>;
  /** setStatus(id, 'inactive'). */
  revoke(id: string, actor?: string): Promise<Consent>;
  find(id: string): Promise<Consent | undefined>;
  findPair(pair: ConsentPair): Promise<Consent | undefined>;
  list(query: ConsentQuery): Promise<Consent[]>;
}

export function createConsentService({ store, revokeGrants, record }: ConsentServiceOptions): ConsentService {
  /**
   * An app or service consent that stops being active, or now approves fewer scopes, takes the
   * holder's grants for that client with it (issue 5: "revoking a consent takes effect on the very
   * next request"; tokens carry the scopes approved when they were issued), then the change is
   * recorded.
   */
  async function settle({ before, after }: ConsentChange, actor: string | undefined): Promise<Consent> {
    const stopped = before !== undefined && before.status !== after.status && after.status !== 'active';
    const narrowed = before !== undefined && before.scopes.some((s) => !after.scopes.includes(s));
    if ((stopped || narrowed) && FILTERED_KINDS.has(after.kind) && after.accountId !== undefined && after.clientId !== undefined) {
      await revokeGrants(after.accountId, after.clientId);
    }
    record({
      kind: 'consent-change',
      outcome: 'success',
      accountId: after.accountId,
      clientId: after.clientId,
      detail: {
        consent: after.id,
        kind: after.kind,
        from: before?.status ?? null,
        to: after.status,
        ...(after.organizationId === undefined ? {} : { organization: after.organizationId }),
        ...(after.filterVersion === undefined ? {} : { filterVersion: after.filterVersion }),
        ...(actor === undefined ? {} : { actor }),
      },
    });
    return after;
  }

  async function setStatus(id: string, status: ConsentStatus, actor?: string): Promise<Consent> {
    const change = await store.setStatus(id, status, (current) => checkTransition(current.status, status));
    if (change === undefined) throw new FhirkeepError('not-found', `There is no consent ${id}`);
    return settle(change, actor);
  }

  return {
    async grant(input, actor) {
      const parties = await store.parties({ accountId: input.accountId, organizationId: input.organizationId, clientId: input.clientId });
      const kind = inferKind(input, parties.client?.type);
      return settle(await store.upsert(checkGrant(input, kind, parties)), actor);
    },
    setStatus,
    revoke: (id, actor) => setStatus(id, 'inactive', actor),
    find: (id) => store.find(id),
    findPair: (pair) => store.findPair(pair),
    list: (query) => store.list(query),
  };
}
