import type { Taxonomy } from '../content/taxonomy.js';

/**
 * Stands in for the content taxonomy until its store (src/access/content/taxonomy-store.ts, being
 * written beside this) is composed into the server and the CLI: it knows no contents, codes or
 * groups, so only filters on format, owner, app, public, time and tags can be saved meanwhile.
 */
export const NO_TAXONOMY: Taxonomy = {
  content: () => undefined,
  contentOfCode: () => undefined,
  hasGroup: () => false,
  groupContents: () => new Set(),
};
