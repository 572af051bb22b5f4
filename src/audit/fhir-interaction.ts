import type { FhirMethod } from '../rest/fhir-request.js';
import type { AuditAction } from './audit-row.js';

/** What a FHIR request is, for its audit row: the interaction (AuditEvent.subtype), its action, the resource it names. */
export interface AuditedInteraction {
  /** A restful-interaction code (`read`, `search-type`, `transaction` …) or an operation's name (`everything`, `export`). */
  readonly subtype: string;
  readonly action: AuditAction;
  /** `Type/id` of an instance-level request. */
  readonly entity?: string;
}

/**
 * Classifies a request by method and path (below the FHIR base), the shapes the router answers
 * (src/rest/router.ts); the adapter classifies a request it refuses before routing the same way.
 * `metadata` is not audited: it reads no data. A Bundle POSTed to the base is `bundle` until it
 * is read and known as a batch or a transaction.
 */
export function interactionOf(method: FhirMethod, path: string): AuditedInteraction | undefined {
  const [type, second, third, fourth] = path === '' ? [] : path.split('/');
  if (type === undefined) return method === 'POST' ? { subtype: 'bundle', action: 'E' } : { subtype: 'search-system', action: 'R' };
  if (type === 'metadata' && second === undefined) return undefined;
  if (type === '_history') return { subtype: 'history-system', action: 'R' };
  if (type === '$export') return { subtype: 'export', action: 'E' };
  if (second === undefined) return TYPE_LEVEL[method];
  if (second === '_history') return { subtype: 'history-type', action: 'R' };
  if (second === '_search') return { subtype: 'search-type', action: 'R' };
  if (second === '$export') return { subtype: 'export', action: 'E' };
  if (second === '$docref') return { subtype: 'docref', action: 'R' };
  const entity = `${type}/${second}`;
  if (third === undefined) return { ...INSTANCE_LEVEL[method], entity };
  if (third === '_history') return fourth === undefined ? { subtype: 'history-instance', action: 'R', entity } : { subtype: 'vread', action: 'R', entity };
  if (third === '$everything') return { subtype: 'everything', action: 'R', entity };
  if (third === '$export') return { subtype: 'export', action: 'E', entity };
  return { ...INSTANCE_LEVEL[method], entity };
}

/** By method at a type (`POST` creates, `PUT` and `DELETE` are conditional); a method the router refuses there counts as its search. */
const TYPE_LEVEL: Readonly<Record<FhirMethod, AuditedInteraction>> = {
  GET: { subtype: 'search-type', action: 'R' },
  POST: { subtype: 'create', action: 'C' },
  PUT: { subtype: 'update', action: 'U' },
  PATCH: { subtype: 'search-type', action: 'R' },
  DELETE: { subtype: 'delete', action: 'D' },
};

/** By method at an instance; a method the router refuses there counts as its read. */
const INSTANCE_LEVEL: Readonly<Record<FhirMethod, AuditedInteraction>> = {
  GET: { subtype: 'read', action: 'R' },
  POST: { subtype: 'read', action: 'R' },
  PUT: { subtype: 'update', action: 'U' },
  PATCH: { subtype: 'patch', action: 'U' },
  DELETE: { subtype: 'delete', action: 'D' },
};
