/**
 * The access engine's second figure (issue 5): compiling a request's scope is cached, ≤ 0.1 ms
 * per request after the first. Measured in this process on the server's own modules: a service
 * token whose client has a group-based filter (resolved through the seed taxonomy) and a granular
 * SMART scope, through the same resolver the FHIR routes use. Token verification is left out (it
 * is the bearer read's cost, measured against the plain read); the resolver's cache key, the
 * client's registry entry and the cached scope are what every later request pays.
 */
import { createApplicationRules } from '../src/access/application-rules.js';
import { buildTaxonomy } from '../src/access/content/taxonomy-snapshot.js';
import { seedRows } from '../src/access/content/seed-taxonomy.js';
import { readStoredFilter } from '../src/access/filter/stored-filter.js';
import { createScopeResolver } from '../src/access/request-scope.js';
import { credentialScope } from '../src/access/token-scope.js';
import type { RegisteredClient } from '../src/auth/clients/client.js';
import type { AccessTokenClaims, AccessTokens } from '../src/auth/tokens/access-token.js';
import { smartDefinitions } from '../test/support/smart-definitions.js';

export interface ScopeCompileResult {
  /** The first request with a token: everything compiled. */
  readonly firstMs: number;
  /** Every later request with it, on average. */
  readonly cachedMs: number;
}

const LATER_REQUESTS = 100_000;

export async function measureScopeCompile(): Promise<ScopeCompileResult> {
  const defs = smartDefinitions();
  const seed = seedRows(defs.resourceTypes);
  const taxonomy = buildTaxonomy(
    {
      contentTypes: seed.contentTypes.map((c) => ({ name: c.name, resourceType: c.resourceType, label: c.label, dynamic: false })),
      codes: seed.contentTypes.flatMap((c) => c.codes.map((k) => ({ system: k.system, code: k.code, contentType: c.name, display: k.display ?? null }))),
      groups: seed.groups.map((g) => ({ system: g.system, name: g.name, parent: g.parent ?? null, label: g.label })),
      members: seed.groups.flatMap((g) => g.contents.map((contentType) => ({ system: g.system, group: g.name, contentType }))),
    },
    1,
  );
  const client: RegisteredClient = {
    id: 'bench-service',
    type: 'service',
    name: 'bench',
    isPublic: false,
    hasSecret: true,
    redirectUris: [],
    jwks: undefined,
    jwksUri: undefined,
    requirePkce: true,
    scopes: [],
    launchUri: undefined,
    ownerAccount: undefined,
    createdAt: new Date(),
    revoked: false,
    accessFilter: { $or: [{ group: 'laboratory', 'group-exclude': 'lipids' }, { group: 'vital-signs', 'created-after': '2020-01-01' }] },
    filterVersion: 3,
    writeMode: 'none',
    reach: 'consented',
  };
  const claims: AccessTokenClaims = { iss: 'x', sub: client.id, aud: 'x', exp: 0, iat: 0, jti: 'bench-jti', client_id: client.id, scope: 'system/Observation.rs?category=laboratory system/Patient.rs', gid: 'g' };
  const applicationRule = createApplicationRules({ read: (stored) => readStoredFilter(stored, { taxonomy, resourceTypes: defs.resourceTypes }), contentResourceType: (c) => taxonomy.content(c)?.resourceType, epoch: () => taxonomy.epoch });
  const resolve = createScopeResolver({
    devNoAuth: false,
    // Verification is the bearer read's cost; here every token is the one above.
    accessTokens: { verify: async () => claims } as unknown as AccessTokens,
    keys: { staticKey: unexpected, certificate: unexpected },
    actingFor: unexpected,
    studyFor: unexpected,
    client: async () => client,
    onClientChange: () => {},
    epoch: () => taxonomy.epoch,
    scopeOf: (subject, found, organizationId) => credentialScope(subject, found, organizationId, { defs, accountPatient: async () => undefined, applicationRule }),
  });
  // JWT-shaped: the resolver sends it to verify, which answers the claims above.
  const credentials = { authorization: 'Bearer bench.token.here' };
  let started = performance.now();
  await resolve(credentials);
  const firstMs = performance.now() - started;
  started = performance.now();
  for (let i = 0; i < LATER_REQUESTS; i++) await resolve(credentials);
  return { firstMs, cachedMs: (performance.now() - started) / LATER_REQUESTS };
}

/** Bench credentials are access tokens only. */
function unexpected(): never {
  throw new Error('the scope bench presents access tokens only');
}
