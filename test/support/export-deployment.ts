import assert from 'node:assert/strict';
import type { ManifestEntry } from '../../src/bulk/manifest.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startNode, type TestServer } from './fhirkeep-server.js';
import { httpClient, type HttpResult } from './http.js';

/**
 * Two nodes of one deployment, sharing the database and the export files directory
 * (docs/bulk-export.md). The test's server queues exports and runs none
 * (FHIRKEEP_EXPORT_WORKERS=0), so what happens between a kick-off and its job's run is the
 * test's to decide; `withWorker` then starts a second node that runs the queue while `work`
 * goes on (polling, usually), and stops it.
 */
export interface ExportDeployment {
  /** The test server's settings. */
  readonly settings: Readonly<Record<string, string>>;
  withWorker<T>(server: TestServer, work: () => Promise<T>): Promise<T>;
  /** Deletes the files directory (after the server closed). */
  remove(): void;
}

export function exportDeployment(): ExportDeployment {
  const dataDir = mkdtempSync(join(tmpdir(), 'fhirkeep-export-'));
  // Polls a second apart keep the tests fast; several exports of one client may wait at once.
  const shared = { FHIRKEEP_DATA_DIR: dataDir, FHIRKEEP_EXPORT_POLL_SECONDS: '1', FHIRKEEP_EXPORT_MAX_PER_CLIENT: '10' };
  return {
    settings: { ...shared, FHIRKEEP_EXPORT_WORKERS: '0' },
    async withWorker(server, work) {
      const node = await startNode(server.databaseUrl, { ...shared, FHIRKEEP_EXPORT_WORKERS: '2' });
      try {
        return await work();
      } finally {
        await node.close();
      }
    },
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

const send = httpClient('');

/** The kick-off as the Bulk Data IG has a client send it: `Prefer: respond-async`, FHIR JSON accepted. */
export function kickOff(url: string, headers: Record<string, string>): Promise<HttpResult> {
  return send('GET', url, { headers: { ...headers, prefer: 'respond-async', accept: 'application/fhir+json' } });
}

/** The job id at the end of a status URL. */
export const jobIdOf = (statusUrl: string): string => new URL(statusUrl).pathname.split('/').at(-1) ?? '';

/** Polls a status URL as a Bulk Data client does, waiting as Retry-After says, until the answer is neither 202 nor 429. */
export async function pollExport(statusUrl: string, headers: Record<string, string>, timeoutMs = 20_000): Promise<HttpResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await send('GET', statusUrl, { headers });
    // 429: asked sooner than the last answer's Retry-After; wait as this one says.
    if (res.status !== 202 && res.status !== 429) return res;
    if (res.status === 202) assert.ok((res.headers.get('x-progress') ?? '') !== '', 'a job in progress says how far it is');
    const wait = Number(res.headers.get('retry-after'));
    assert.ok(wait > 0, `Retry-After: ${res.headers.get('retry-after')}`);
    assert.ok(Date.now() + wait * 1000 < deadline, `the export did not finish within ${timeoutMs} ms: ${res.headers.get('x-progress')}`);
    await sleep(wait * 1000);
  }
}

/**
 * Waits until a job has run (completed, failed or cancelled), reading the jobs table: for a job
 * whose requester may not poll it any more, the only way to tell.
 */
export async function jobSettled(server: TestServer, id: string, timeoutMs = 20_000): Promise<{ status: string; failure: unknown }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await server.fhirkeep.database.sql<{ status: string; failure: unknown }[]>`select status, failure from export_jobs where id = ${id}`;
    assert.ok(row !== undefined, `no export job ${id}`);
    if (row.status !== 'queued' && row.status !== 'running') return row;
    assert.ok(Date.now() < deadline, `export ${id} is still ${row.status}`);
    await sleep(100);
  }
}

export type { ManifestEntry } from '../../src/bulk/manifest.js';

/**
 * Downloads every output file of a manifest with `headers`, checking each is NDJSON of its type
 * with as many lines as the manifest counts: the resources as `Type/id`, sorted, by type.
 */
export async function downloadExport(manifest: { readonly output: readonly ManifestEntry[] }, headers: Record<string, string>): Promise<Record<string, string[]>> {
  const found: Record<string, string[]> = {};
  for (const entry of manifest.output) {
    const res = await send('GET', entry.url, { headers: { ...headers, accept: 'application/fhir+ndjson' } });
    assert.equal(res.status, 200, `${entry.url}: ${res.text}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/fhir\+ndjson/);
    const lines = res.text.split('\n').filter((line) => line !== '');
    assert.equal(lines.length, entry.count, `${entry.url}: the manifest's count`);
    for (const line of lines) {
      const resource = JSON.parse(line) as { resourceType: string; id: string };
      assert.equal(resource.resourceType, entry.type, entry.url);
      (found[entry.type] ??= []).push(`${resource.resourceType}/${resource.id}`);
    }
  }
  for (const list of Object.values(found)) list.sort();
  return found;
}
