import { systemScope } from '../access/scope.js';
import type { ConsentService } from '../access/consents/consent-service.js';
import type { AccountService } from '../auth/accounts/account-service.js';
import type { ClientRegistry } from '../auth/clients/client-registry.js';
import type { KeyService } from '../auth/keys/key-service.js';
import { randomSecret } from '../auth/random-secret.js';
import type { FhirkeepConfig } from '../config/schema.js';
import type { FhirRequest, FhirResponse } from '../rest/fhir-request.js';
import { DEMO_PATIENTS, demoRecords } from './demo-records.js';

/** What the demo made, for the start-up banner: its secrets exist nowhere else in clear. */
export interface LoadedDemo {
  readonly patients: readonly string[];
  readonly patientLogin: { readonly email: string; readonly password: string; readonly patientId: string };
  readonly app: { readonly clientId: string; readonly redirectUri: string; readonly scopes: readonly string[] };
  readonly service: { readonly clientId: string; readonly clientSecret: string; readonly apiKey: string };
}

export interface DemoDependencies {
  readonly handle: (req: FhirRequest) => Promise<FhirResponse>;
  readonly accounts: AccountService;
  readonly clients: ClientRegistry;
  readonly serviceKeys: KeyService;
  readonly consents: ConsentService;
}

export const DEMO_LOGIN_EMAIL = 'alice@demo.fhirkeep.local';
export const DEMO_REDIRECT_URI = 'http://localhost:9000/callback';
export const DEMO_APP_SCOPES = ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs'] as const;

/** The operator (not an app) loads the demo: the writes are audited as the system's. */
const SCOPE = systemScope('demo on first start');

/** Only for a newcomer's try-out: an external PostgreSQL is a deployment, never given made-up patients. */
export function demoWanted(config: Pick<FhirkeepConfig, 'demo' | 'databaseUrl'>): boolean {
  return config.demo && config.databaseUrl === undefined;
}

async function call(deps: DemoDependencies, request: { readonly method: 'GET' | 'POST'; readonly path: string; readonly query?: string; readonly body?: unknown }): Promise<unknown> {
  const res = await deps.handle({
    method: request.method,
    path: request.path,
    query: new URLSearchParams(request.query ?? ''),
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    contentType: request.body === undefined ? undefined : 'application/fhir+json',
    headers: {},
    scope: SCOPE,
  });
  const text = res.body === undefined ? '{}' : res.body.kind === 'raw' ? res.body.text : JSON.stringify(res.body.value);
  if (res.status >= 400) throw new Error(`loading the demo failed (${res.status}): ${text}`);
  return JSON.parse(text) as unknown;
}

/**
 * A database is fresh while it holds no client and no Patient. The data itself is the marker, so
 * a first start that failed before the demo (a port in use, a crash) loads it on the next start,
 * while a database anyone has used is never given the demo, whatever happened to its admin.
 */
async function isFresh(deps: DemoDependencies): Promise<boolean> {
  if ((await deps.clients.list()).length > 0) return false;
  const found = (await call(deps, { method: 'GET', path: 'Patient', query: '_count=1&_elements=id' })) as { entry?: unknown[] };
  return (found.entry ?? []).length === 0;
}

/**
 * Loads the demo (CONTRACT.md, "First start") into a fresh database and answers what it made;
 * undefined when the database is not fresh. The records go in one transaction through the FHIR
 * router, so they are validated, indexed and classified like any write, and all or none land.
 */
export async function loadDemo(deps: DemoDependencies): Promise<LoadedDemo | undefined> {
  if (!(await isFresh(deps))) return undefined;
  const entries = DEMO_PATIENTS.flatMap(demoRecords).map((resource) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } }));
  await call(deps, { method: 'POST', path: '', body: { resourceType: 'Bundle', type: 'transaction', entry: entries } });

  const alice = DEMO_PATIENTS[0];
  if (alice === undefined) throw new Error('the demo has no patients');
  const password = randomSecret(15);
  const account = await deps.accounts.create({ email: DEMO_LOGIN_EMAIL, password, roles: ['patient'], patientId: alice.id });
  const app = await deps.clients.register({ type: 'smart', name: 'Demo SMART app', isPublic: true, redirectUris: [DEMO_REDIRECT_URI], scopes: [...DEMO_APP_SCOPES] });
  const service = await deps.clients.register({ type: 'service', name: 'Demo external service', scopes: ['system/*.rs'] });
  const key = await deps.serviceKeys.create(service.client.id, { type: 'static', name: 'demo key' }, { accountId: undefined, admin: true });
  // Alice subscribes, Bob and Carol do not: the key shows at once that a service reads only its subscribers.
  await deps.consents.grant({ accountId: account.id, clientId: service.client.id });
  if (service.secret === undefined || key.secret === undefined) throw new Error('a service client and a static key come with secrets');
  return {
    patients: DEMO_PATIENTS.map((p) => p.id),
    patientLogin: { email: DEMO_LOGIN_EMAIL, password, patientId: alice.id },
    app: { clientId: app.client.id, redirectUri: DEMO_REDIRECT_URI, scopes: DEMO_APP_SCOPES },
    service: { clientId: service.client.id, clientSecret: service.secret, apiKey: key.secret },
  };
}
