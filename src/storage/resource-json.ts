import { randomUUID } from 'node:crypto';
import type { FhirResource } from './types.js';

/**
 * The stored JSON: resourceType, id and meta first (as people expect to read them), the rest
 * as sent. R4 §3.1.0.1.2: versionId and lastUpdated belong to the server and lead meta (in
 * Meta's element order); the client's other meta (source, profile, security, tag) is kept.
 */
export function resourceJson(resource: FhirResource, id: string, versionId: string, lastUpdated: string): string {
  const { resourceType, id: _id, meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...clientMeta } = meta ?? {};
  return JSON.stringify({ resourceType, id, meta: { versionId, lastUpdated, ...clientMeta }, ...rest });
}

/**
 * Stands for versionId and lastUpdated in JSON built before the database has chosen them (an
 * update's next version and its time). Random per process, so no client text can contain it.
 */
const MARK = `fhirkeep-${randomUUID()}`;
export const PENDING_META_FIELDS = `"versionId":"${MARK}","lastUpdated":"${MARK}"`;

/** `resourceJson` with both server-owned meta fields left to `PENDING_META_FIELDS`. */
export function pendingResourceJson(resource: FhirResource, id: string): string {
  return resourceJson(resource, id, MARK, MARK);
}

/** Fills in what the database chose, exactly as the database's own replacement does. */
export function settledResourceJson(pending: string, versionId: number, lastUpdated: Date): string {
  return pending.replace(PENDING_META_FIELDS, `"versionId":"${versionId}","lastUpdated":"${lastUpdated.toISOString()}"`);
}
