/**
 * An application's access filter, parsed and validated (src/access/filter/parse-filter.ts
 * reads the expert-mode JSON, the MIDATA query language): the union of its blocks bounds every
 * record the application can see. A block's dimensions are intersected; an absent one does not
 * restrict.
 */
export interface AccessFilter {
  readonly blocks: readonly FilterBlock[];
}

export interface FilterBlock {
  /** `format: fhir/<Type>`: resource types. */
  readonly formats?: readonly string[];
  /**
   * Content types (`content`, plus every content of `group` in `groupSystem` minus the
   * subtrees of `group-exclude`), resolved against the taxonomy as it is now: a group names a
   * category, so a content type an admin adds to it is in every filter naming the group (the
   * consent page describes groups by name).
   */
  readonly contents?: readonly string[];
  /** `code: "<system> <code>"`, kept as `system|code` (the form of the `codes` column). */
  readonly codes?: readonly string[];
  /** self: the account holder's own records; all (the default): own plus those shared with them. */
  readonly owner: 'self' | 'all';
  /** Records written by these clients; `self` stands for the application itself. */
  readonly apps?: readonly string[];
  /** never (the default): no public-pool records; also: they too; only: nothing else. */
  readonly public: 'never' | 'also' | 'only';
  readonly createdAfter?: Date;
  readonly createdBefore?: Date;
  readonly updatedAfter?: Date;
  readonly updatedBefore?: Date;
  /** Security labels (`system|code`) a record must all carry to be read. */
  readonly tags?: readonly string[];
  /** Security labels the application may set on what it writes. */
  readonly allowTags?: readonly string[];
  /** Security labels the platform stamps on every record the application creates. */
  readonly addTags?: readonly string[];
}

/** What an application may write (besides its SMART scopes). */
export const WRITE_MODES = ['none', 'update', 'create', 'any'] as const;
/**
 * none: nothing; update: update records it can read; create: also create, and what it creates or
 * updates must itself pass the filter; any: create, update and delete anywhere its consents reach.
 */
export type WriteMode = (typeof WRITE_MODES)[number];

/** Fhirkeep's own security labels (meta.security), with platform-enforced meanings. */
const FHIRKEEP_SECURITY_SYSTEM = 'http://fhirkeep.org/fhir/CodeSystem/security';
/** The record is in the public pool: every authenticated account may read it (apps: with `public`). */
export const PUBLIC_LABEL = `${FHIRKEEP_SECURITY_SYSTEM}|public`;
/** The record cannot be updated. */
export const READ_ONLY_LABEL = `${FHIRKEEP_SECURITY_SYSTEM}|read-only`;
/** The record comes from a trusted source; the label cannot be dropped. */
export const RELIABLE_LABEL = `${FHIRKEEP_SECURITY_SYSTEM}|reliable`;
