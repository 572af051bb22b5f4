import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { FhirResource } from '../../storage/types.js';
import type { FhirMethod, FhirRequestHeaders } from '../fhir-request.js';

/** One entry of a batch or transaction, checked and split into what a FhirRequest needs. */
export interface BundleEntryRequest {
  /** Position in Bundle.entry, for responses and error messages. */
  readonly index: number;
  readonly method: FhirMethod | 'HEAD';
  /** Path below the FHIR base, e.g. `Patient/1`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly fullUrl?: string;
  /** The entry's resource (POST, PUT), mutable so references can be rewritten. */
  readonly resource?: FhirResource;
  readonly headers: FhirRequestHeaders;
}

export interface ParsedBundle {
  readonly type: 'batch' | 'transaction';
  readonly entries: readonly BundleEntryRequest[];
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Checks the shape of a batch/transaction Bundle (R4 §3.1.0.11) and splits each entry's request.
 * Entry resources are validated later by the interaction each entry runs.
 */
export function parseBundle(value: unknown, fhirBase: string, maxEntries: number): ParsedBundle {
  const bundle = value as { resourceType?: unknown; type?: unknown; entry?: unknown } | null;
  if (bundle === null || typeof bundle !== 'object' || Array.isArray(bundle) || bundle.resourceType !== 'Bundle') {
    throw new FhirkeepError('invalid-resource', 'POST to the FHIR base takes a Bundle of type batch or transaction');
  }
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') {
    throw new FhirkeepError('invalid-resource', `Bundle.type must be batch or transaction, got ${JSON.stringify(bundle.type)}`, {
      details: [{ message: 'must be batch or transaction', expression: 'Bundle.type' }],
    });
  }
  const raw = bundle.entry ?? [];
  if (!Array.isArray(raw)) throw new FhirkeepError('invalid-resource', 'Bundle.entry must be an array');
  if (raw.length > maxEntries) {
    throw new FhirkeepError('payload-too-large', `A bundle may hold at most ${maxEntries} entries; this one has ${raw.length}`);
  }
  return { type: bundle.type, entries: raw.map((e, i) => parseEntry(e, i, fhirBase)) };
}

function parseEntry(value: unknown, index: number, fhirBase: string): BundleEntryRequest {
  const where = `Bundle.entry[${index}]`;
  const fail = (message: string, expression = where): never => {
    throw new FhirkeepError('invalid-resource', `${where}: ${message}`, { details: [{ message, expression }] });
  };
  const entry = value as { fullUrl?: unknown; resource?: unknown; request?: Record<string, unknown> } | null;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return fail('an entry must be an object');
  const request = entry.request;
  if (request === undefined || request === null || typeof request !== 'object') return fail('request is required', `${where}.request`);
  const method = request.method;
  if (typeof method !== 'string' || !METHODS.has(method)) return fail('request.method must be GET, HEAD, POST, PUT, PATCH or DELETE', `${where}.request.method`);
  const rawUrl = request.url;
  if (typeof rawUrl !== 'string' || rawUrl === '') return fail('request.url is required', `${where}.request.url`);
  let url = rawUrl;
  if (url.startsWith(`${fhirBase}/`)) url = url.slice(fhirBase.length + 1);
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return fail(`request.url must be relative to this server's FHIR base, got ${url}`, `${where}.request.url`);
  const q = url.indexOf('?');
  const path = (q < 0 ? url : url.slice(0, q)).replace(/^\/+|\/+$/g, '');
  const resource = entry.resource;
  if ((method === 'POST' || method === 'PUT') && (resource === null || typeof resource !== 'object' || Array.isArray(resource))) {
    return fail(`a ${method} entry needs a resource`, `${where}.resource`);
  }
  const text = (name: string): Partial<Record<string, string>> => {
    const v = request[name];
    if (v === undefined) return {};
    if (typeof v !== 'string') return fail(`request.${name} must be a string`, `${where}.request.${name}`);
    return { [name]: v };
  };
  const fullUrl = entry.fullUrl;
  if (fullUrl !== undefined && typeof fullUrl !== 'string') return fail('fullUrl must be a string', `${where}.fullUrl`);
  return {
    index,
    method: method as BundleEntryRequest['method'],
    path,
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    ...(fullUrl === undefined ? {} : { fullUrl }),
    ...(resource === undefined ? {} : { resource: resource as FhirResource }),
    headers: { ...text('ifMatch'), ...text('ifNoneMatch'), ...text('ifNoneExist'), ...text('ifModifiedSince') },
  };
}
