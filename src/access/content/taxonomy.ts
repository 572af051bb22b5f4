/**
 * The content taxonomy as the access engine reads it: an in-memory snapshot of the
 * `content_types`, `content_codes`, `content_groups` tables (src/access/content/taxonomy-store.ts
 * loads it and keeps it current on every node).
 */
export interface Taxonomy {
  /** The content type named so, if known. */
  content(name: string): ContentType | undefined;
  /** The content type a coding (`system|code`) maps to, if any. */
  contentOfCode(coding: string): string | undefined;
  /** Whether `system` has a group named so. */
  hasGroup(system: string, name: string): boolean;
  /** Every content type in the group and its subgroups, minus the subtrees of `exclude`. */
  groupContents(system: string, name: string, exclude: readonly string[]): ReadonlySet<string>;
}

export interface ContentType {
  readonly name: string;
  readonly resourceType: string;
  readonly label: string;
  readonly dynamic: boolean;
}
