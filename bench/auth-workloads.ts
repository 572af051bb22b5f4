/**
 * The authorization server's workloads (issue 4): the token endpoint with a client secret and
 * with a signed assertion, and the cost on a read of a bearer token and of a static API key
 * (issue 6; fhirkeepRows runs those rows, next to the unauthenticated read). The bench clients
 * and their keys are made with the CLI, as an operator does.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { measure, type BenchRequest, type CpuProbe } from './load.js';
import type { Server } from './process.js';
import { READ_BEARER, READ_STATIC_KEY, type AuthenticatedRead, type Row, type Timing } from './workloads.js';

export const TOKEN_SECRET = 'token: client_credentials (secret)';
export const TOKEN_JWT = 'token: client_credentials (private_key_jwt ES384)';

/** What the token requests ask for: the read-only system scope the bearer read uses too. */
export const READ_SCOPE = 'system/*.rs';
const REGISTERED_SCOPE = 'system/*.cruds';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const FORM = 'application/x-www-form-urlencoded';
const KID = 'bench-es384';

/**
 * A jti can be used once, so every assertion request needs its own, signed before the run (signing
 * in this process during the run would take CPU from the server). Enough for this rate over
 * warm-up + run; ES384 signing costs ~0.8 ms here, so at most this long is spent signing.
 */
export const ASSERTION_RATE_CAP = 2000;
const SIGNING_BUDGET_MS = 60_000;

const fhirkeepBin = fileURLToPath(new URL('../bin/fhirkeep.js', import.meta.url));
const run = promisify(execFile);

export interface BenchClients {
  /** Absolute URL the server names as its token endpoint: the assertions' `aud`. */
  readonly tokenEndpoint: string;
  /** Also holds a static API key (`fhk_…`), so the bearer and static-key reads act as one client. */
  readonly secretClient: { readonly id: string; readonly secret: string; readonly staticKey: string };
  readonly keyClient: { readonly id: string; readonly privateKey: CryptoKey };
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
export function basicAuthorization(id: string, secret: string): string {
  const encode = (s: string): string => new URLSearchParams([['', s]]).toString().slice(1);
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

/** How many assertions warm-up + run need at the rate cap. */
export function assertionsNeeded(timing: Pick<Timing, 'warmupSeconds' | 'seconds'>): number {
  return ASSERTION_RATE_CAP * (timing.warmupSeconds + timing.seconds);
}

/**
 * Registers a secret client, with a static API key, and a key client (ES384 JWK Set file) with
 * `fhirkeep client create` beside the running server, which shares the data directory's cluster.
 */
export async function registerBenchClients(server: Server, dataDir: string): Promise<BenchClients> {
  // The institution's own backend (reach all): the bearer read measures the token, not the consents.
  const secretClient = await createClient(dataDir, ['--name', 'bench secret'], { filter: null, reach: 'all' });
  if (typeof secretClient.client_secret !== 'string') throw new Error('client create printed no client_secret');
  const { secret: staticKey } = await createKey(dataDir, secretClient.client_id, 'static');
  if (staticKey === undefined) throw new Error('key create --type static printed no secret');

  const { publicKey, privateKey } = await generateKeyPair('ES384');
  const jwksFile = join(dirname(dataDir), 'bench-jwks.json');
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: KID, alg: 'ES384', use: 'sig' }] }));
  const keyClient = await createClient(dataDir, ['--name', 'bench key', '--jwks', jwksFile]);

  // The server's own word for its token endpoint (its base URL, not the address the bench dials).
  const discovery = await fetch(`${server.url}/fhir/.well-known/smart-configuration`);
  if (discovery.status !== 200) throw new Error(`smart-configuration answered ${discovery.status}`);
  const { token_endpoint: tokenEndpoint } = (await discovery.json()) as { token_endpoint?: unknown };
  if (typeof tokenEndpoint !== 'string') throw new Error('smart-configuration has no token_endpoint');
  return {
    tokenEndpoint,
    secretClient: { id: secretClient.client_id, secret: secretClient.client_secret, staticKey },
    keyClient: { id: keyClient.client_id, privateKey },
  };
}

/**
 * `fhirkeep client create --type service`, and the access settings given: a filter file (the JSON
 * `null` for none) and reach, through `fhirkeep filter set`, as an operator registers a backend.
 */
export async function createClient(dataDir: string, args: readonly string[], access?: { readonly filter: unknown; readonly reach: 'consented' | 'all' }): Promise<{ client_id: string; client_secret?: string }> {
  const printed = JSON.parse(await fhirkeepCli(dataDir, ['--json', 'client', 'create', '--type', 'service', '--scope', REGISTERED_SCOPE, ...args])) as { client_id?: unknown; client_secret?: unknown };
  if (typeof printed.client_id !== 'string') throw new Error(`client create printed no client_id: ${JSON.stringify(printed)}`);
  if (access !== undefined) {
    const file = join(dirname(dataDir), `filter-${printed.client_id}.json`);
    writeFileSync(file, JSON.stringify(access.filter));
    await fhirkeepCli(dataDir, ['filter', 'set', '--reach', access.reach, '--', printed.client_id, file]);
  }
  return { client_id: printed.client_id, ...(typeof printed.client_secret === 'string' ? { client_secret: printed.client_secret } : {}) };
}

/** `fhirkeep key create`: the key's id, its secret (static: the whole `fhk_…` token) or certificate CN. */
export async function createKey(dataDir: string, clientId: string, type: 'static' | 'certificate'): Promise<{ keyId: string; secret?: string; certificateCn?: string }> {
  const printed = JSON.parse(await fhirkeepCli(dataDir, ['--json', 'key', 'create', '--client', clientId, '--type', type])) as { key_id?: unknown; secret?: unknown; certificate_cn?: unknown };
  if (typeof printed.key_id !== 'string') throw new Error(`key create printed no key_id: ${JSON.stringify(printed)}`);
  return {
    keyId: printed.key_id,
    ...(typeof printed.secret === 'string' ? { secret: printed.secret } : {}),
    ...(typeof printed.certificate_cn === 'string' ? { certificateCn: printed.certificate_cn } : {}),
  };
}

/** The CLI beside the running server, on its data directory; resolves to what it printed. */
export async function fhirkeepCli(dataDir: string, args: readonly string[]): Promise<string> {
  // As startServer does: the caller's FHIRKEEP_* settings must not point the CLI elsewhere.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FHIRKEEP_')));
  return (await run(process.execPath, [fhirkeepBin, ...args], { env: { ...inherited, FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_LOG_LEVEL: 'warn' } })).stdout;
}

/** One access token for READ_SCOPE (client_credentials with the secret); throws unless 200. */
export async function readToken(server: Server, clients: BenchClients): Promise<string> {
  return clientToken(server, clients.secretClient);
}

/** The read rows with the secret client's credentials: an access token (fetched just before), its static key. */
export function authenticatedReads(server: Server, clients: BenchClients): AuthenticatedRead[] {
  return [
    { name: READ_BEARER, authorization: async () => `Bearer ${await readToken(server, clients)}` },
    { name: READ_STATIC_KEY, authorization: async () => `Bearer ${clients.secretClient.staticKey}` },
  ];
}

/** An access token for READ_SCOPE of a secret client (client_credentials); throws unless 200. */
export async function clientToken(server: Server, client: { readonly id: string; readonly secret: string }): Promise<string> {
  const res = await fetch(`${server.url}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basicAuthorization(client.id, client.secret), 'content-type': FORM },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: READ_SCOPE }).toString(),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`token request answered ${res.status}: ${text.slice(0, 300)}`);
  const { access_token: token } = JSON.parse(text) as { access_token?: unknown };
  if (typeof token !== 'string') throw new Error(`token response without access_token: ${text.slice(0, 300)}`);
  return token;
}

/** The token endpoint rows: client_credentials with the secret, then with pre-signed ES384 assertions. */
export async function tokenRows(server: Server, clients: BenchClients, timing: Timing, cpu: CpuProbe): Promise<Row[]> {
  const rows: Row[] = [];
  const measureRow = async (name: string, next: () => BenchRequest): Promise<void> => {
    const result = await measure({ url: server.url, connections: timing.connections, next }, timing.warmupSeconds, timing.seconds, cpu);
    server.assertRunning();
    rows.push({ name, unit: 'req/s', ...result });
  };

  const secretRequest: BenchRequest = {
    method: 'POST',
    path: '/oauth2/token',
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: READ_SCOPE }).toString(),
    headers: {
      authorization: basicAuthorization(clients.secretClient.id, clients.secretClient.secret),
      'content-type': FORM,
      accept: 'application/json',
    },
  };
  await measureRow(TOKEN_SECRET, () => secretRequest);

  const bodies = await signAssertionBodies(clients, assertionsNeeded(timing));
  let used = 0;
  await measureRow(TOKEN_JWT, () => ({
    method: 'POST',
    path: '/oauth2/token',
    // Past the end an assertion is reused: the server refuses it (401), which shows as errors.
    body: bodies[used++ % bodies.length] as string,
    headers: { 'content-type': FORM, accept: 'application/json' },
  }));
  if (used > bodies.length) {
    console.log(`warning: ${TOKEN_JWT} used ${used} requests but only ${bodies.length} assertions were signed; the reused ones were refused`);
  }
  return rows;
}

/** Form bodies, each with its own signed assertion; stops at the signing budget and says so. */
async function signAssertionBodies(clients: BenchClients, wanted: number): Promise<string[]> {
  const { id, privateKey } = clients.keyClient;
  const started = performance.now();
  const bodies: string[] = [];
  while (bodies.length < wanted && performance.now() - started < SIGNING_BUDGET_MS) {
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES384', kid: KID, typ: 'JWT' })
      .setIssuer(id)
      .setSubject(id)
      .setAudience(clients.tokenEndpoint)
      .setIssuedAt()
      // The server allows at most 5 minutes ahead; signing + warm-up + run stay well within 4.
      .setExpirationTime('240s')
      .setJti(randomUUID())
      .sign(privateKey);
    bodies.push(
      new URLSearchParams({ grant_type: 'client_credentials', scope: READ_SCOPE, client_assertion_type: JWT_BEARER, client_assertion: assertion }).toString(),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const capped = bodies.length < wanted ? ` (capped by the ${SIGNING_BUDGET_MS / 1000} s signing budget; ${wanted} wanted)` : '';
  console.log(`signed ${bodies.length} ES384 assertions in ${seconds.toFixed(1)} s${capped}`);
  return bodies;
}
