import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { PUBLIC_LABEL, READ_ONLY_LABEL, RELIABLE_LABEL } from './filter/access-filter.js';
import type { ConsentRule } from './scope.js';

/** Security labels only the platform gives meaning to: an application without a filter may not set them. */
const PLATFORM_LABELS: ReadonlySet<string> = new Set([PUBLIC_LABEL, READ_ONLY_LABEL, RELIABLE_LABEL]);

/**
 * The security-label rules on an application's writes (docs/access.md): labels are `system|code`
 * of meta.security. `before` is the record as stored (undefined for a create).
 * - a read-only record cannot be updated or deleted;
 * - `reliable` cannot be dropped; `public` cannot be added or removed by an update;
 * - every label the write adds must be one the filter lets the application set (`allow-tag`,
 *   `add-tag`); without a filter, any label but Fhirkeep's own (an institution's own system: any).
 */
export function checkLabels(rule: ConsentRule, before: readonly string[] | undefined, after: readonly string[] | undefined): void {
  if (before?.includes(READ_ONLY_LABEL)) throw refused(after === undefined ? 'The record is read-only: it cannot be deleted' : 'The record is read-only: it cannot be updated');
  if (after === undefined) return;
  if (before?.includes(RELIABLE_LABEL) && !after.includes(RELIABLE_LABEL)) throw refused(`The security label ${RELIABLE_LABEL} cannot be removed`);
  if (before !== undefined && before.includes(PUBLIC_LABEL) !== after.includes(PUBLIC_LABEL)) throw refused('Whether a record is public cannot be changed by an update');
  const added = after.filter((l) => !(before ?? []).includes(l));
  const settable = rule.settableLabels;
  const refusedLabel = settable === 'any' ? undefined : added.find((l) => (settable === 'not-platform' ? PLATFORM_LABELS.has(l) : !settable.has(l)));
  if (refusedLabel !== undefined) throw refused(`This application may not set the security label ${refusedLabel}`);
}

/** The record with the labels the application's filter stamps on what it creates (`add-tag`). */
export function stampLabels<R extends { meta?: { [key: string]: unknown } }>(rule: ConsentRule, resource: R): R {
  if (rule.stampedLabels.length === 0) return resource;
  const given = resource.meta?.security;
  const security: unknown[] = Array.isArray(given) ? given : [];
  const present = new Set(labelsOf(security));
  const missing = rule.stampedLabels.filter((l) => !present.has(l)).map(codingOf);
  return missing.length === 0 ? resource : { ...resource, meta: { ...resource.meta, security: [...security, ...missing] } };
}

/** `system|code` of each coding with a code. */
export function labelsOf(security: unknown): string[] {
  if (!Array.isArray(security)) return [];
  return security.flatMap((c: { system?: unknown; code?: unknown }) => (typeof c?.code === 'string' ? [`${typeof c.system === 'string' ? c.system : ''}|${c.code}`] : []));
}

function codingOf(label: string): { system?: string; code: string } {
  const bar = label.indexOf('|');
  const system = label.slice(0, bar);
  return system === '' ? { code: label.slice(bar + 1) } : { system, code: label.slice(bar + 1) };
}

function refused(message: string): FhirkeepError {
  return new FhirkeepError('forbidden', message);
}
