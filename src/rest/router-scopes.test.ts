import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { systemScope, type AccessScope } from '../access/scope.js';
import { compileSmartScopes } from '../access/smart-access.js';
import { parseScopeString } from '../auth/smart/scopes.js';
import { loadDefinitions } from '../fhir/definitions.js';
import type { SearchQuery } from '../search/query/search-query.js';
import type { ResourceStore } from '../storage/types.js';
import type { FhirMethod, FhirResponse } from './fhir-request.js';
import type { RestContext } from './rest-context.js';
import { SEARCH_LIMIT_DEFAULTS } from '../search/query/search-limits.js';
import { FhirRouter } from './router.js';

const definitions = loadDefinitions();

/** The router over a store that records the first call and fails it: whether a query would have run. */
function routerOverProbe(overrides: Partial<RestContext> = {}): { router: FhirRouter; reached: () => string | undefined } {
  let reached: string | undefined;
  const store = new Proxy({} as ResourceStore, {
    get: (_target, name) => (...args: unknown[]) => {
      if (name === 'transaction') return (args[0] as (s: ResourceStore) => Promise<unknown>)(store);
      reached ??= String(name);
      throw new Error(`store.${String(name)} reached`);
    },
  });
  const probe = <T extends object>(prefix: string): T =>
    new Proxy({} as T, {
      get: (_target, name) => () => {
        reached ??= `${prefix}.${String(name)}`;
        throw new Error(`${prefix}.${String(name)} reached`);
      },
    });
  const ctx: RestContext = {
    store,
    fhirBase: () => 'http://localhost/fhir',
    resourceTypes: definitions.resourceTypes,
    compartmentTypes: new Set(Object.keys(definitions.patientCompartment)),
    validate: () => ({ valid: true, issues: [] }) as unknown as ReturnType<RestContext['validate']>,
    capabilityStatement: () => '{}',
    defaultCount: 20,
    maxCount: 100,
    maxBundleEntries: 100,
    searchLimits: { ...SEARCH_LIMIT_DEFAULTS, defaultCount: 20, maxCount: 100, maxChainDepth: 3 },
    parseSearch: (types) => ({ types }) as unknown as SearchQuery,
    compartmentQuery: () => ({}) as unknown as SearchQuery,
    elements: definitions.elements,
    auditEvents: probe<RestContext['auditEvents']>('auditEvents'),
    auditReach: () => Promise.reject(new Error('auditReach reached')),
    bulkExport: probe<RestContext['bulkExport']>('bulkExport'),
    ...overrides,
  };
  return { router: new FhirRouter(ctx, () => {}), reached: () => reached };
}

function smart(scopes: string): AccessScope {
  const defs = { resourceTypes: definitions.resourceTypes, compartmentTypes: new Set(Object.keys(definitions.patientCompartment)), parseSearch: () => ({}) as SearchQuery };
  return { ...systemScope('router test'), ...compileSmartScopes(parseScopeString(scopes), { patient: 'p1' }, defs) };
}

async function send(scope: AccessScope, method: FhirMethod, path: string, query = '', body?: unknown): Promise<{ res: FhirResponse; reached: string | undefined }> {
  const { router, reached } = routerOverProbe();
  const res = await router.handle({
    method,
    path,
    query: new URLSearchParams(query),
    body: body === undefined ? undefined : JSON.stringify(body),
    contentType: body === undefined ? undefined : 'application/fhir+json',
    headers: {},
    scope,
  });
  return { res, reached: reached() };
}

describe('the router refuses a type the token has no scope for, before any query', () => {
  const token = smart('patient/Observation.rs patient/Patient.r patient/Condition.c');
  const refused: readonly [FhirMethod, string, string?][] = [
    ['GET', 'Condition'],
    ['POST', 'Condition/_search'],
    ['GET', 'Condition/c1'],
    ['GET', 'Condition/c1/_history'],
    ['GET', 'Condition/c1/_history/1'],
    ['GET', 'Condition/_history'],
    ['GET', 'Patient'],
    ['GET', 'Patient/_history'],
    ['PUT', 'Observation/o1'],
    ['PATCH', 'Observation/o1'],
    ['DELETE', 'Observation/o1'],
    ['POST', 'Observation'],
    ['PUT', 'Observation', 'code=x'],
    ['DELETE', 'Observation', 'code=x'],
    ['GET', 'Encounter/e1/_history'],
    ['GET', '', '_type=Observation,Condition'],
    ['GET', 'DocumentReference/$docref', 'patient=p1'],
  ];
  for (const [method, path, query] of refused) {
    test(`${method} /${path}${query === undefined ? '' : `?${query}`} → 403`, async () => {
      const { res, reached } = await send(token, method, path, query);
      assert.equal(res.status, 403);
      assert.equal(reached, undefined, 'no query ran');
    });
  }

  const permitted: readonly [FhirMethod, string, string, string?][] = [
    ['GET', 'Observation', 'search'],
    ['GET', 'Observation/o1', 'read'],
    ['GET', 'Observation/o1/_history/1', 'vread'],
    ['GET', 'Observation/_history', 'history'],
    ['GET', 'Patient/p1', 'read'],
    ['GET', 'Patient/p1/$everything', 'read'],
    ['GET', '', 'search', '_type=Observation'],
  ];
  for (const [method, path, store, query] of permitted) {
    test(`${method} /${path}${query === undefined ? '' : `?${query}`} reaches store.${store}`, async () => {
      assert.equal((await send(token, method, path, query)).reached, store);
    });
  }

  test('a system-level search without _type searches only the types the token may search', async () => {
    let types: readonly string[] = [];
    const { router } = routerOverProbe({ parseSearch: (t) => ((types = t), { types: t }) as unknown as SearchQuery });
    await router.handle({ method: 'GET', path: '', query: new URLSearchParams(), body: undefined, contentType: undefined, headers: {}, scope: token });
    assert.deepEqual(types, ['Observation']);
    const none = await send(smart('patient/Patient.r'), 'GET', '');
    assert.equal(none.res.status, 403);
  });

  test('a transaction with an entry of an unscoped type fails whole with 403', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: 'Encounter/e1' } }, { request: { method: 'DELETE', url: 'Observation/o1' } }],
    };
    const { res, reached } = await send(smart('patient/*.rs patient/Observation.d'), 'POST', '', '', bundle);
    assert.equal(res.status, 403);
    assert.equal(reached, undefined);
  });

  test('unrestricted scopes pass every gate', async () => {
    assert.equal((await send(systemScope('test'), 'GET', 'Condition')).reached, 'search');
    assert.equal((await send(smart('system/*.cruds'), 'DELETE', 'Condition/c1')).reached, 'delete');
  });
});
