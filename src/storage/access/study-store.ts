import type { Sql } from 'postgres';
import type { StudyRef } from '../../access/organization-ref.js';
import { paramKey } from '../../search/params/param-key.js';
import { oneRow } from '../one-row.js';
import { storable } from '../storable.js';

/** A research partner's authorization for one study (docs/research.md). */
export interface StudyGrant {
  readonly clientId: string;
  /** The ResearchStudy's logical id. */
  readonly studyId: string;
  /** The admin who granted it; undefined for the operator (the CLI). */
  readonly grantedBy: string | undefined;
  readonly grantedAt: Date;
}

export interface StudyStore {
  /** The ids of the existing (not deleted) ResearchStudies `ref` names: none, one, or for an identifier possibly several. */
  studies(ref: StudyRef): Promise<string[]>;
  /**
   * The one study `ref` names that the client holds a grant for and that still exists;
   * undefined when there is none (or, for an identifier shared by several, more than one).
   */
  granted(clientId: string, ref: StudyRef): Promise<string | undefined>;
  /** Grants the study (granting again keeps the first grant). */
  grant(clientId: string, studyId: string, grantedBy: string | undefined): Promise<StudyGrant>;
  /** Removes the client's grants for the studies `ref` names (by id, also of a study since deleted); the ones removed. */
  revoke(clientId: string, ref: StudyRef): Promise<StudyGrant[]>;
  /** Every grant, or one client's, oldest first. */
  list(clientId?: string): Promise<StudyGrant[]>;
}

/** ResearchStudy.identifier, as the search index holds it (a token row: system, code = value). */
const STUDY_IDENTIFIER = paramKey('ResearchStudy', 'identifier');

const storableRef = (ref: StudyRef): boolean => (ref.kind === 'id' ? [ref.id] : [ref.system, ref.value]).every(storable);

interface GrantRow {
  client_id: string;
  study_id: string;
  granted_by: string | null;
  granted_at: Date;
}

export function createStudyStore(sql: Sql): StudyStore {
  // The existing ResearchStudies a reference names, as a subquery yielding their ids.
  const named = (ref: StudyRef) =>
    ref.kind === 'id'
      ? sql`select r.id from resources r where r.tenant = 0 and r.type = 'ResearchStudy' and r.id = ${ref.id} and not r.deleted`
      : sql`select r.id from search_token x join resources r on r.rid = x.rid
            where x.param = ${STUDY_IDENTIFIER} and x.code = ${ref.value} and x.system = ${ref.system}
              and r.type = 'ResearchStudy' and not r.deleted`;
  return {
    async studies(ref) {
      if (!storableRef(ref)) return [];
      return (await sql<{ id: string }[]>`select distinct id from (${named(ref)}) s order by id`).map((r) => r.id);
    },

    async granted(clientId, ref) {
      if (!storableRef(ref) || !storable(clientId)) return undefined;
      // One statement: the study and the grant are read together, with no window between them.
      const rows = await sql<{ study_id: string }[]>`
        select distinct g.study_id from study_grants g
        where g.client_id = ${clientId} and g.study_id in (${named(ref)})`;
      return rows.length === 1 ? rows[0]?.study_id : undefined;
    },

    async grant(clientId, studyId, grantedBy) {
      // Two statements: a select in the insert's statement would not see the row of a concurrent
      // identical grant that committed while this insert waited on it.
      await sql`
        insert into study_grants (client_id, study_id, granted_by) values (${clientId}, ${studyId}, ${grantedBy ?? null})
        on conflict (client_id, study_id) do nothing`;
      const [row] = await sql<GrantRow[]>`select * from study_grants where client_id = ${clientId} and study_id = ${studyId}`;
      return toGrant(oneRow(row));
    },

    async revoke(clientId, ref) {
      if (!storableRef(ref) || !storable(clientId)) return [];
      const which = ref.kind === 'id' ? sql`study_id = ${ref.id}` : sql`study_id in (${named(ref)})`;
      return (await sql<GrantRow[]>`delete from study_grants where client_id = ${clientId} and ${which} returning *`).map(toGrant);
    },

    async list(clientId) {
      const rows =
        clientId === undefined
          ? await sql<GrantRow[]>`select * from study_grants order by granted_at, client_id, study_id`
          : await sql<GrantRow[]>`select * from study_grants where client_id = ${storable(clientId) ? clientId : null} order by granted_at, study_id`;
      return rows.map(toGrant);
    },
  };
}

function toGrant(r: GrantRow): StudyGrant {
  return { clientId: r.client_id, studyId: r.study_id, grantedBy: r.granted_by ?? undefined, grantedAt: r.granted_at };
}
