import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadDefinitions } from '../fhir/definitions.js';
import { r4ParamRegistry } from '../search/params/param-registry.js';
import { parseSearch } from '../search/query/parse-search.js';
import { SEARCH_LIMIT_DEFAULTS } from '../search/query/search-limits.js';
import { parseConditionalCriteria } from './conditional-criteria.js';
import type { RestContext } from './rest-context.js';

const ctx = {
  parseSearch: (types: readonly string[], query: URLSearchParams, strict: boolean) =>
    parseSearch(
      {
        registry: r4ParamRegistry(),
        resourceTypes: loadDefinitions().resourceTypes,
        limits: { ...SEARCH_LIMIT_DEFAULTS, defaultCount: 50, maxCount: 1000, maxChainDepth: 3 },
        fhirBase: 'http://localhost/fhir',
        strict,
      },
      types,
      query,
    ),
} as Pick<RestContext, 'parseSearch'> as RestContext;

test('any search parameter selects, at most two matches, no paging or includes', () => {
  const c = parseConditionalCriteria(ctx, 'Patient', new URLSearchParams('identifier=urn:mrn|12&name=smith&_count=50&_include=Patient:organization&_format=json'));
  assert.deepEqual(c.clauses.map((x) => x.kind), ['token', 'string']);
  assert.equal(c.count, 2);
  assert.deepEqual(c.include, []);
});

test('unknown, empty or missing criteria are refused, not ignored', () => {
  for (const q of ['foo=x', 'identifier=', 'identifier=a|b|c', '', '_format=json', '_count=1']) {
    assert.throws(() => parseConditionalCriteria(ctx, 'Patient', new URLSearchParams(q)), /./, q);
  }
});
