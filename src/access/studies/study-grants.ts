import type { RegisteredClient } from '../../auth/clients/client.js';
import type { RecordSecurityEvent } from '../../auth/security-events.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { StudyGrant, StudyStore } from '../../storage/access/study-store.js';
import { parseStudyRef } from '../organization-ref.js';

/**
 * Which research studies a research partner may query (docs/research.md). Granting and revoking
 * are an admin's (the API checks the role) or the operator's (the CLI); both are security events.
 */
export interface StudyGrants {
  /**
   * Authorizes the partner for the study `study` names (its id or `system|value`). `not-found`
   * for an unknown client or study; `bad-request` for a client that is not an active research
   * partner, or an identifier several studies share.
   */
  grant(clientId: string, study: string, actor?: string): Promise<StudyGrant>;
  /**
   * The id of the one ResearchStudy `study` names (its id or `system|value`), as a grant finds
   * it: `not-found` when none, `bad-request` for an identifier several studies share.
   */
  find(study: string): Promise<string>;
  /** Withdraws it (`not-found` when the partner holds no grant for that study); the next request is refused. */
  revoke(clientId: string, study: string, actor?: string): Promise<StudyGrant[]>;
  list(clientId?: string): Promise<StudyGrant[]>;
  /**
   * The id of the study a partner's request names (`researchstudy=`), which it must be
   * authorized for; `forbidden` otherwise, in the same words whether the study is unknown or
   * merely not granted, so that partners cannot probe which studies exist.
   */
  authorizedStudy(clientId: string, study: string): Promise<string>;
}

export interface StudyGrantsOptions {
  readonly store: StudyStore;
  readonly client: (id: string) => Promise<RegisteredClient | undefined>;
  readonly record: RecordSecurityEvent;
}

export function createStudyGrants({ store, client, record }: StudyGrantsOptions): StudyGrants {
  const find = async (study: string): Promise<string> => {
    const [studyId, ...others] = await store.studies(parseStudyRef(study));
    if (studyId === undefined) throw new FhirkeepError('not-found', `There is no ResearchStudy ${study}`);
    if (others.length > 0) throw new FhirkeepError('bad-request', `Several ResearchStudies have the identifier ${study}: name one by its id`);
    return studyId;
  };
  return {
    async grant(clientId, study, actor) {
      const partner = await client(clientId);
      if (partner === undefined) throw new FhirkeepError('not-found', `There is no client ${clientId}`);
      if (partner.type !== 'research') throw new FhirkeepError('bad-request', `Client ${clientId} is a ${partner.type} client, not a research partner`);
      if (partner.revoked) throw new FhirkeepError('bad-request', `Client ${clientId} is revoked`);
      const studyId = await find(study);
      const granted = await store.grant(clientId, studyId, actor);
      record({ kind: 'study-grant', outcome: 'success', clientId, accountId: actor, detail: { study: studyId } });
      return granted;
    },

    async revoke(clientId, study, actor) {
      const revoked = await store.revoke(clientId, parseStudyRef(study));
      if (revoked.length === 0) throw new FhirkeepError('not-found', `Client ${clientId} holds no grant for the study ${study}`);
      for (const g of revoked) record({ kind: 'study-revoke', outcome: 'success', clientId, accountId: actor, detail: { study: g.studyId } });
      return revoked;
    },

    find,

    list: (clientId) => store.list(clientId),

    async authorizedStudy(clientId, study) {
      const studyId = await store.granted(clientId, parseStudyRef(study));
      if (studyId === undefined) throw new FhirkeepError('forbidden', 'This research partner is not authorized for the research study it names');
      return studyId;
    },
  };
}

/** A grant as the CLI's --json and the admin API show it. */
export interface StudyGrantView {
  readonly client_id: string;
  readonly study_id: string;
  readonly granted_by?: string;
  readonly granted_at: string;
}

export function studyGrantView(g: StudyGrant): StudyGrantView {
  return { client_id: g.clientId, study_id: g.studyId, ...(g.grantedBy === undefined ? {} : { granted_by: g.grantedBy }), granted_at: g.grantedAt.toISOString() };
}
