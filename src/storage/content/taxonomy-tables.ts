import type { Sql } from 'postgres';

/** Every change to the taxonomy tables is announced here, in the changing transaction (delivered on commit). */
export const TAXONOMY_CHANNEL = 'fhirkeep_taxonomy';

/** The four taxonomy tables, whole: small (thousands of rows), read at start and after every change. */
export interface TaxonomyRows {
  readonly contentTypes: readonly { readonly name: string; readonly resourceType: string; readonly label: string; readonly dynamic: boolean }[];
  readonly codes: readonly { readonly system: string; readonly code: string; readonly contentType: string; readonly display: string | null }[];
  readonly groups: readonly { readonly system: string; readonly name: string; readonly parent: string | null; readonly label: string }[];
  readonly members: readonly { readonly system: string; readonly group: string; readonly contentType: string }[];
}

/** Reads the tables in one snapshot (repeatable read), so codes never name a content type the read missed. */
export async function loadTaxonomyRows(sql: Sql): Promise<TaxonomyRows> {
  return (await sql.begin('isolation level repeatable read read only', async (tx) => {
    const contentTypes = await tx<TaxonomyRows['contentTypes'][number][]>`
      select name, resource_type as "resourceType", label, dynamic from content_types order by name`;
    const codes = await tx<TaxonomyRows['codes'][number][]>`
      select system, code, content_type as "contentType", display from content_codes order by content_type, system, code`;
    const groups = await tx<TaxonomyRows['groups'][number][]>`
      select group_system as system, name, parent, label from content_groups order by group_system, name`;
    const members = await tx<TaxonomyRows['members'][number][]>`
      select group_system as system, group_name as "group", content_type as "contentType" from content_group_members
      order by group_system, group_name, content_type`;
    return { contentTypes, codes, groups, members };
  })) as TaxonomyRows;
}

/**
 * Calls `onChange` whenever any process changes the taxonomy, and `onListen` each time the
 * listening connection is (re)established: changes made while it was down are unknown then.
 * Resolves once listening; the function it resolves to stops listening.
 */
export async function listenTaxonomy(sql: Sql, onChange: () => void, onListen: () => void): Promise<() => Promise<void>> {
  const { unlisten } = await sql.listen(TAXONOMY_CHANNEL, onChange, onListen);
  return unlisten;
}
