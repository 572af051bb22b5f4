/**
 * The content taxonomy as the access engine reads it: an in-memory snapshot of the
 * `content_types`, `content_codes`, `content_groups` tables (src/access/content/taxonomy-store.ts
 * loads it and keeps it current on every node). Every member answers from one snapshot, so a
 * synchronous caller (compiling a scope) never sees half of a change.
 */
export interface Taxonomy {
  /**
   * Grows by one with every reload of the tables (never repeats in a process): anything derived
   * from the taxonomy, such as a compiled access scope, can be cached against it.
   */
  readonly epoch: number;
  /** The content type named so, if known. */
  content(name: string): ContentType | undefined;
  /** The content type a coding (`system|code`) maps to, if any. */
  contentOfCode(coding: string): string | undefined;
  /** Whether `system` has a group named so. */
  hasGroup(system: string, name: string): boolean;
  /** Every content type in the group and its subgroups, minus the subtrees of `exclude`. */
  groupContents(system: string, name: string, exclude: readonly string[]): ReadonlySet<string>;
  /** The codings (`system|code`) mapped to a content type, in order. */
  codesOf(name: string): readonly ContentCode[];
  /** Content types whose name, label or one of whose codes (or displays) contains `text`, best first. */
  search(text: string, limit: number): readonly ContentType[];
  /** Every content type, by name. */
  contents(): readonly ContentType[];
  /** The group systems that have groups, by name. */
  groupSystems(): readonly string[];
  /** The groups of a system, parents before their children, siblings by name. */
  groups(system: string): readonly ContentGroup[];
}

export interface ContentType {
  readonly name: string;
  readonly resourceType: string;
  readonly label: string;
  readonly dynamic: boolean;
}

export interface ContentCode {
  /** `system|code`, the form of the resources' `codes` column. */
  readonly coding: string;
  readonly display: string | undefined;
}

export interface ContentGroup {
  readonly system: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly label: string;
  /** Its own members (not its subgroups'), by name. */
  readonly contents: readonly string[];
}

/** The group system a group belongs to unless named. */
export const DEFAULT_GROUP_SYSTEM = 'v1';
/** Where auto-registered content types go (FHIRKEEP_CONTENT_AUTO_REGISTER), in the default system. */
export const DYNAMIC_GROUP = 'dynamic';
/** The longest label a content type or group may have. */
export const MAX_LABEL = 200;
