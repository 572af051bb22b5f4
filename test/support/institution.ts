import type { Fhirkeep } from '../../src/server.js';

/**
 * A token of the institution's own system (a service client with reach `all`, docs/access.md):
 * how tests seed data that belongs to no consent yet. Issued directly, the flows being another
 * test's subject.
 */
export async function institutionToken(fhirkeep: Fhirkeep, scope = 'system/*.cruds'): Promise<string> {
  const { clients, accessFilters, accessTokens } = fhirkeep.auth;
  const id = (await clients.register({ type: 'service', name: 'institution' })).client.id;
  await accessFilters.setAccessFilter(id, { filter: null, reach: 'all' });
  return (await accessTokens.issue({ sub: id, client_id: id, scope, gid: crypto.randomUUID() })).token;
}
