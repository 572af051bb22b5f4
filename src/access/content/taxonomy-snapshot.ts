import { BoundedCache } from '../../bounded-cache.js';
import type { TaxonomyRows } from '../../storage/content/taxonomy-tables.js';
import type { ContentCode, ContentGroup, ContentType, Taxonomy } from './taxonomy.js';

/** Tables with nothing in them (a database before its first seed; tests that need no taxonomy). */
export const EMPTY_TAXONOMY_ROWS: TaxonomyRows = { contentTypes: [], codes: [], groups: [], members: [] };

/** Distinct group expansions kept per snapshot: the keys come from access filters, so they are bounded. */
const EXPANSION_CACHE = 1024;

/**
 * An immutable Taxonomy over the tables as read once; `epoch` tells snapshots apart. Built in
 * linear time; lookups are map reads, group expansions are cached (the snapshot never changes).
 */
export function buildTaxonomy(rows: TaxonomyRows, epoch: number): Taxonomy {
  const contents = new Map<string, ContentType>(rows.contentTypes.map((c) => [c.name, { name: c.name, resourceType: c.resourceType, label: c.label, dynamic: c.dynamic }]));
  const byCode = new Map<string, string>();
  const codesOf = new Map<string, ContentCode[]>();
  for (const c of rows.codes) {
    const coding = `${c.system}|${c.code}`;
    byCode.set(coding, c.contentType);
    const list = codesOf.get(c.contentType) ?? [];
    list.push({ coding, display: c.display ?? undefined });
    codesOf.set(c.contentType, list);
  }
  const groupKey = (system: string, name: string) => `${system}\u0000${name}`;
  const groups = new Map<string, { system: string; name: string; parent: string | undefined; label: string; contents: string[]; children: string[] }>();
  for (const g of rows.groups) groups.set(groupKey(g.system, g.name), { system: g.system, name: g.name, parent: g.parent ?? undefined, label: g.label, contents: [], children: [] });
  for (const g of groups.values()) if (g.parent !== undefined) groups.get(groupKey(g.system, g.parent))?.children.push(g.name);
  for (const m of rows.members) groups.get(groupKey(m.system, m.group))?.contents.push(m.contentType);
  const sorted = [...contents.values()].sort((a, b) => compare(a.name, b.name));
  // Lower-cased text per content type (name, label, codes, displays), so a search is one scan.
  const haystacks = sorted.map((c) => ({
    content: c,
    name: c.name.toLowerCase(),
    text: [c.name, c.label, ...(codesOf.get(c.name) ?? []).flatMap((k) => [k.coding, k.display ?? ''])].join('\n').toLowerCase(),
  }));
  const expansions = new BoundedCache<string, ReadonlySet<string>>(EXPANSION_CACHE);

  const expand = (system: string, name: string, exclude: readonly string[]): ReadonlySet<string> => {
    const out = new Set<string>();
    const skip = new Set(exclude);
    const pending = [name];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const g = groups.get(groupKey(system, next));
      if (g === undefined || skip.has(next)) continue;
      skip.add(next); // a tree, but a cycle made by hand in the tables must not hang a request
      for (const c of g.contents) out.add(c);
      pending.push(...g.children);
    }
    return out;
  };

  return {
    epoch,
    content: (name) => contents.get(name),
    contentOfCode: (coding) => byCode.get(coding),
    hasGroup: (system, name) => groups.has(groupKey(system, name)),
    groupContents: (system, name, exclude) => expansions.getOrSet(JSON.stringify([system, name, [...exclude].sort()]), () => expand(system, name, exclude)),
    codesOf: (name) => codesOf.get(name) ?? [],
    search(text, limit) {
      const needle = text.trim().toLowerCase();
      if (needle === '') return sorted.slice(0, limit);
      // Exact names first, then names containing the text, then any other match; each by name.
      const exact: ContentType[] = [];
      const inName: ContentType[] = [];
      const other: ContentType[] = [];
      for (const h of haystacks) {
        if (h.name === needle) exact.push(h.content);
        else if (h.name.includes(needle)) inName.push(h.content);
        else if (h.text.includes(needle)) other.push(h.content);
      }
      return [...exact, ...inName, ...other].slice(0, limit);
    },
    contents: () => sorted,
    groupSystems: () => [...new Set(rows.groups.map((g) => g.system))].sort(compare),
    groups(system) {
      const out: ContentGroup[] = [];
      const seen = new Set<string>();
      const visit = (names: readonly string[]) => {
        for (const name of [...names].sort(compare)) {
          const g = groups.get(groupKey(system, name));
          if (g === undefined || seen.has(name)) continue;
          seen.add(name);
          out.push({ system, name, parent: g.parent, label: g.label, contents: [...g.contents].sort(compare) });
          visit(g.children);
        }
      };
      visit([...groups.values()].filter((g) => g.system === system && (g.parent === undefined || !groups.has(groupKey(system, g.parent)))).map((g) => g.name));
      return out;
    },
  };
}

/** Code-point order: the same on every node, whatever the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
