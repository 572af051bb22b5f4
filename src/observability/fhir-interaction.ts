/**
 * The FHIR interaction a request to `/fhir…` asks for (R4 §3.1.0: read, search-type, …), from
 * its method and the shape of its path alone: a metric label that names what was done, never
 * which resource type, id or query. Shapes the router answers with an error are "other", so the
 * set of names stays bounded whatever the URL.
 */
export type FhirInteraction =
  | 'capabilities'
  | 'read'
  | 'vread'
  | 'update'
  | 'patch'
  | 'delete'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'create'
  | 'search-type'
  | 'search-system'
  | 'batch-transaction'
  | 'conditional-update'
  | 'conditional-delete'
  | 'operation-export'
  | 'operation-everything'
  | 'operation-docref'
  | 'operation-other'
  | 'other';

const SLASH = 0x2f;

/** `url` is the request URL as sent (`/fhir/Patient/1?x=y`); anything after `?` is ignored. */
export function fhirInteraction(method: string, url: string): FhirInteraction {
  // Index arithmetic, not regular expressions: this runs on every FHIR request.
  const q = url.indexOf('?');
  let end = q < 0 ? url.length : q;
  let start = '/fhir'.length;
  while (start < end && url.charCodeAt(start) === SLASH) start++;
  while (end > start && url.charCodeAt(end - 1) === SLASH) end--;
  const segments = start === end ? [] : url.slice(start, end).split('/');
  const [first, second, third, fourth] = segments;
  if (segments.length > 4) return 'other';
  if (first === undefined) return method === 'GET' ? 'search-system' : method === 'POST' ? 'batch-transaction' : 'other';
  if (first === 'metadata') return second === undefined && method === 'GET' ? 'capabilities' : 'other';
  if (first === '_history') return second === undefined && method === 'GET' ? 'history-system' : 'other';
  if (first.startsWith('$')) return second === undefined ? operation(first) : 'other';
  if (second === undefined) return TYPE_METHODS[method] ?? 'other';
  if (second === '_history') return third === undefined && method === 'GET' ? 'history-type' : 'other';
  if (second === '_search') return third === undefined && method === 'POST' ? 'search-type' : 'other';
  if (second.startsWith('$')) return third === undefined ? operation(second) : 'other';
  if (third === undefined) return INSTANCE_METHODS[method] ?? 'other';
  if (third === '_history' && method === 'GET') return fourth === undefined ? 'history-instance' : 'vread';
  if (third.startsWith('$')) return fourth === undefined ? operation(third) : 'other';
  return 'other';
}

const TYPE_METHODS: Readonly<Record<string, FhirInteraction>> = { GET: 'search-type', POST: 'create', PUT: 'conditional-update', DELETE: 'conditional-delete' };
const INSTANCE_METHODS: Readonly<Record<string, FhirInteraction>> = { GET: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** The operations the router defines (src/rest/router.ts) by name; any other `$name` is one label. */
const OPERATIONS: Readonly<Record<string, FhirInteraction>> = {
  $export: 'operation-export',
  $everything: 'operation-everything',
  $docref: 'operation-docref',
};

function operation(name: string): FhirInteraction {
  return Object.hasOwn(OPERATIONS, name) ? (OPERATIONS[name] as FhirInteraction) : 'operation-other';
}
