import type { Manifest, ManifestEntry } from '../../src/bulk/manifest.js';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as oidc from 'openid-client';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { createFhirkeep, type Fhirkeep } from '../../src/server.js';
import { startTestServer, TEST_NODE_SETTINGS, type TestServer } from './fhirkeep-server.js';

/**
 * A Bulk Data client as the IG describes one (kick-off, status polling that honours
 * Retry-After, authorized downloads) and the nodes to drive it against: each with an export
 * directory of its own, shared with the extra nodes started on its database.
 */

/** A FHIR resource as an export line holds it: only the members the checks read. */
export interface ExportedResource {
  readonly resourceType: string;
  readonly id: string;
  readonly meta?: { readonly versionId?: string; readonly lastUpdated?: string };
  readonly subject?: { readonly reference?: string };
  readonly code?: { readonly coding?: readonly { readonly system?: string; readonly code?: string }[]; readonly text?: string };
  readonly issue?: readonly { readonly severity?: string; readonly code?: string; readonly diagnostics?: string }[];
}

export type { Manifest, ManifestEntry } from '../../src/bulk/manifest.js';

export interface ExportNode {
  readonly server: TestServer;
  /** FHIRKEEP_DATA_DIR: export files live under `exports/<job id>`. */
  readonly dataDir: string;
  /** Where a job's files live (or lived). */
  jobDir(jobId: string): string;
  close(): Promise<void>;
}

/** Settings every export node of these tests shares: a 1 s Retry-After keeps polling tests short. */
export const EXPORT_TEST_SETTINGS = { FHIRKEEP_EXPORT_POLL_SECONDS: '1' } as const;

/** A server over a fresh database whose export files go to a temporary directory of its own. */
export async function startExportNode(settings: Record<string, string> = {}): Promise<ExportNode> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-export-'));
  let server: TestServer;
  try {
    server = await startTestServer({ ...EXPORT_TEST_SETTINGS, ...settings, FHIRKEEP_DATA_DIR: dataDir });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  return {
    server,
    dataDir,
    jobDir: (jobId) => join(dataDir, 'exports', jobId),
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One more node on `node`'s database and export directory (a deployment's shared volume): with
 * workers, it runs the jobs the first node queued. Close it before the first node.
 */
export async function startSecondNode(node: ExportNode, settings: Record<string, string> = {}): Promise<Fhirkeep> {
  const config = parseConfig({
    FHIRKEEP_PORT: '0',
    FHIRKEEP_DATABASE_URL: node.server.databaseUrl,
    ...TEST_NODE_SETTINGS,
    ...EXPORT_TEST_SETTINGS,
    ...settings,
    FHIRKEEP_DATA_DIR: node.dataDir,
  });
  const fhirkeep = await createFhirkeep(config, { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  await fhirkeep.listen();
  return fhirkeep;
}

/** An access token by the client_credentials grant (openid-client), authenticated as `auth` says. */
export async function backendToken(baseUrl: string, clientId: string, auth: oidc.ClientAuth, scope: string): Promise<string> {
  const config = await oidc.discovery(new URL(baseUrl), clientId, undefined, auth, { execute: [oidc.allowInsecureRequests] });
  return (await oidc.clientCredentialsGrant(config, { scope })).access_token;
}

export interface BulkResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The JSON body (an OperationOutcome for every error), or undefined. */
  readonly json: Record<string, unknown> | undefined;
}

async function send(url: string, init: { method?: string; token?: string | undefined; headers?: Record<string, string>; body?: string }): Promise<BulkResponse> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface KickOffOptions {
  readonly method?: 'GET' | 'POST';
  /** A POST's body, sent as application/fhir+json (a Parameters resource, or anything else). */
  readonly body?: unknown;
  /** Prefer; default `respond-async`. */
  readonly prefer?: string | null;
  readonly headers?: Record<string, string>;
}

export interface KickOff extends BulkResponse {
  /** The status URL (Content-Location) of an accepted kick-off. */
  readonly statusUrl: string | undefined;
}

/** A kick-off request (`$export` at any level): `path` is under the FHIR base, e.g. `/$export?_type=Patient`. */
export async function kickOff(fhirBase: string, path: string, token: string | undefined, options: KickOffOptions = {}): Promise<KickOff> {
  const headers: Record<string, string> = { accept: 'application/fhir+json', ...options.headers };
  if (options.prefer !== null) headers.prefer = options.prefer ?? 'respond-async';
  if (options.body !== undefined) headers['content-type'] ??= 'application/fhir+json';
  const res = await send(`${fhirBase}${path}`, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    token,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  return { ...res, statusUrl: res.headers.get('content-location') ?? undefined };
}

/** A kick-off that must be accepted: its status URL. */
export async function acceptedKickOff(fhirBase: string, path: string, token: string, options: KickOffOptions = {}): Promise<string> {
  const res = await kickOff(fhirBase, path, token, options);
  assert.equal(res.status, 202, `${path}: ${res.text}`);
  assert.ok(res.statusUrl !== undefined, 'a 202 kick-off names its status URL in Content-Location');
  return res.statusUrl;
}

export const statusRequest = (statusUrl: string, token: string | undefined, method: 'GET' | 'DELETE' = 'GET') =>
  send(statusUrl, { method, token, headers: { accept: 'application/json' } });

export interface Completed {
  readonly manifest: Manifest;
  readonly headers: Headers;
  /** Status requests made, the last one answering 200. */
  readonly polls: number;
}

/**
 * Polls a status URL until the export completes, waiting between polls exactly as long as each
 * 202's Retry-After says (the server answers 429 to anything sooner, so a too-eager client fails here).
 */
export async function pollUntilDone(statusUrl: string, token: string, maxPolls = 30): Promise<Completed> {
  for (let polls = 1; polls <= maxPolls; polls++) {
    const res = await statusRequest(statusUrl, token);
    if (res.status === 200) {
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      return { manifest: res.json as unknown as Manifest, headers: res.headers, polls };
    }
    assert.equal(res.status, 202, `status ${statusUrl}: ${res.text}`);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter > 0, `a 202 status says when to ask again (Retry-After: ${res.headers.get('retry-after')})`);
    assert.ok((res.headers.get('x-progress') ?? '') !== '', 'a 202 status reports X-Progress');
    await sleep(retryAfter * 1000);
  }
  throw new Error(`${statusUrl} did not complete within ${maxPolls} polls`);
}

export interface DownloadedFile {
  readonly entry: ManifestEntry;
  readonly resources: readonly ExportedResource[];
}

/** Downloads one file with the token and parses every line, each a FHIR resource of the file's type. */
export async function download(entry: ManifestEntry, token: string | undefined): Promise<DownloadedFile> {
  const res = await send(entry.url, { token, headers: { accept: 'application/fhir+ndjson' } });
  assert.equal(res.status, 200, `${entry.url}: ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+ndjson/);
  assert.ok(res.text.endsWith('\n'), 'every line, the last too, ends with a newline');
  const lines = res.text.slice(0, -1).split('\n');
  const resources = lines.map((line, i): ExportedResource => {
    const parsed: unknown = JSON.parse(line);
    assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), `${entry.url} line ${i + 1} is a JSON object`);
    const resource = parsed as ExportedResource;
    assert.equal(resource.resourceType, entry.type, `${entry.url} line ${i + 1} is of the file's type`);
    // An error file's OperationOutcomes are made for the export, not stored: they need no id.
    if (entry.type !== 'OperationOutcome') assert.equal(typeof resource.id, 'string', `${entry.url} line ${i + 1} has an id`);
    return resource;
  });
  assert.equal(resources.length, entry.count, `${entry.url}: the manifest's count is the file's line count`);
  return { entry, resources };
}

export interface DownloadedExport {
  readonly files: readonly DownloadedFile[];
  readonly errors: readonly DownloadedFile[];
  /** Every exported resource by `Type/id`; each appears once across all files. */
  readonly resources: ReadonlyMap<string, ExportedResource>;
}

/** Downloads every output and error file of a manifest; fails if a resource appears twice. */
export async function downloadAll(manifest: Manifest, token: string): Promise<DownloadedExport> {
  const files = await Promise.all(manifest.output.map((e) => download(e, token)));
  const errors = await Promise.all(manifest.error.map((e) => download(e, token)));
  const resources = new Map<string, ExportedResource>();
  for (const file of files) {
    for (const r of file.resources) {
      const key = `${r.resourceType}/${r.id}`;
      assert.ok(!resources.has(key), `${key} appears once across all files`);
      resources.set(key, r);
    }
  }
  return { files, errors, resources };
}

/** Waits (bounded) until a directory is gone: export files are deleted by a worker's sweep, about once a second. */
export async function waitUntilGone(dir: string, withinMs = 5000): Promise<void> {
  const until = Date.now() + withinMs;
  while (existsSync(dir) && Date.now() < until) await sleep(50);
  assert.ok(!existsSync(dir), `${dir} is deleted within ${withinMs} ms`);
}

/** The job id at the end of a status URL. */
export function jobIdOf(statusUrl: string): string {
  const id = /\/bulk-status\/([^/?]+)$/.exec(new URL(statusUrl).pathname)?.[1];
  assert.ok(id !== undefined, `${statusUrl} is a status URL`);
  return id;
}
