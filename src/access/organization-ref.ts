/** How a request names an organization: by its id, or by its identifier (`system|value`). */
export type OrganizationRef = { readonly kind: 'id'; readonly id: string } | { readonly kind: 'identifier'; readonly system: string; readonly value: string };

/**
 * Reads a `grp` value as FHIR token search does: `<system>|<value>`, split on the first `|`
 * (a value may contain more), is an identifier when both sides are non-empty. Anything else,
 * `|` or not, is an id: ids are opaque, and one that no organization has simply matches none.
 */
export function parseOrganizationRef(grp: string): OrganizationRef {
  const bar = grp.indexOf('|');
  if (bar > 0 && bar < grp.length - 1) return { kind: 'identifier', system: grp.slice(0, bar), value: grp.slice(bar + 1) };
  return { kind: 'id', id: grp };
}

/** A ResearchStudy is named the same way: `researchstudy=` and `study grant --study` take its id or `system|value`. */
export type StudyRef = OrganizationRef;
export const parseStudyRef: (text: string) => StudyRef = parseOrganizationRef;
