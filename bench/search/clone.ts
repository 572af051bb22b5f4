import type { IngestBundle } from '../ingest.js';
import { parseTransaction } from './bundle.js';

/**
 * Many patients out of few: the same Synthea bundle POSTed again makes new resources (every
 * entry is a POST with urn:uuid references, so the server assigns new ids), but the names and
 * identifiers would repeat, and a search by name or identifier would match every copy. Each
 * clone therefore gets its own family names and identifier values.
 */

/** Letters, so a family name stays a name: 0 → "a", 25 → "z", 26 → "ba". */
export function cloneSuffix(clone: number): string {
  let suffix = '';
  let n = clone;
  do {
    suffix = String.fromCharCode(97 + (n % 26)) + suffix;
    n = Math.floor(n / 26);
  } while (n > 0);
  return suffix;
}

/** Appended, so a prefix search by the original name still finds every clone (realistic, not unique). */
export function clonedFamily(family: string, clone: number): string {
  return `${family}${cloneSuffix(clone)}`;
}

/** Unique per clone, as an identifier is. */
export function clonedIdentifier(value: string, clone: number): string {
  return `${value}-${cloneSuffix(clone)}`;
}

/** A bundle's JSON text rewritten for one clone: Patient family names, and every resource's identifier values. */
export function cloneBundle(text: string, clone: number): string {
  const bundle = parseTransaction(text);
  for (const { resource } of bundle.entry) {
    for (const identifier of resource.identifier ?? []) {
      if (identifier.value !== undefined) identifier.value = clonedIdentifier(identifier.value, clone);
    }
    if (resource.resourceType === 'Patient') {
      for (const name of (resource.name as { family?: string }[] | undefined) ?? []) {
        if (name.family !== undefined) name.family = clonedFamily(name.family, clone);
      }
    }
  }
  return JSON.stringify(bundle);
}

export interface CloneBundle extends IngestBundle {
  /** Index of the source bundle. */
  readonly source: number;
  readonly clone: number;
}

/**
 * Clone 0 of every source bundle, then clone 1 of every one, … until at least `target`
 * resources; made one at a time as the loader asks, so only the bundles in flight are in memory.
 */
export function* clones(sources: readonly IngestBundle[], target: number): Generator<CloneBundle> {
  if (sources.every((s) => s.resources === 0)) return;
  let total = 0;
  for (let clone = 0; total < target; clone++) {
    for (let source = 0; source < sources.length && total < target; source++) {
      const { text, resources } = sources[source] as IngestBundle;
      total += resources;
      yield { text: cloneBundle(text, clone), resources, source, clone };
    }
  }
}
