import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

/** A Bulk Data client as the IG describes one: kick-off, status polling at Retry-After, downloads. */

export interface ManifestFile {
  readonly type: string;
  readonly url: string;
  readonly count: number;
}

export interface Manifest {
  readonly transactionTime: string;
  readonly request: string;
  readonly requiresAccessToken: boolean;
  readonly output: readonly ManifestFile[];
  readonly error: readonly ManifestFile[];
}

/** One resource of an export file, as parsed from its line. */
export interface ExportedResource {
  readonly resourceType: string;
  readonly id: string;
  readonly meta?: { readonly versionId?: string };
  readonly [member: string]: unknown;
}

const authorization = (token: string | undefined): Record<string, string> => (token === undefined ? {} : { authorization: `Bearer ${token}` });

/** `GET <fhirBase>/<path>` with `Prefer: respond-async`; asserts the 202 and answers the status URL. */
export async function kickOff(fhirBase: string, path: string, token?: string): Promise<string> {
  const res = await fetch(`${fhirBase}/${path}`, { headers: { accept: 'application/fhir+json', prefer: 'respond-async', ...authorization(token) } });
  const body = await res.text();
  assert.equal(res.status, 202, body);
  const location = res.headers.get('content-location');
  assert.ok(location !== null, 'the kick-off names its status URL');
  return location;
}

/** The job id of a status URL (…/bulk-status/<id>). */
export function jobIdOf(statusUrl: string): string {
  const id = /\/bulk-status\/([0-9a-f-]{36})$/.exec(statusUrl)?.[1];
  assert.ok(id !== undefined, statusUrl);
  return id;
}

export interface StatusPoller {
  /** One status request, sent no sooner than the last one's Retry-After allows. */
  poll(): Promise<Response>;
  /** Polls until the manifest; fails on anything but 202 and 200, or after `timeoutMs`. */
  manifest(timeoutMs: number): Promise<Manifest>;
}

/** A client polling one export's status URL, as the IG asks: never sooner than Retry-After (else 429). */
export function statusPoller(statusUrl: string, token: string | undefined): StatusPoller {
  let notBefore = 0;
  const poll = async (): Promise<Response> => {
    const wait = notBefore - Date.now();
    if (wait > 0) await sleep(wait);
    const res = await fetch(statusUrl, { headers: authorization(token) });
    const retryAfter = res.headers.get('retry-after');
    if (retryAfter !== null) notBefore = Date.now() + Number(retryAfter) * 1000;
    return res;
  };
  return {
    poll,
    async manifest(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const res = await poll();
        const text = await res.text();
        if (res.status === 200) return JSON.parse(text) as Manifest;
        assert.equal(res.status, 202, `status ${res.status}: ${text}`);
        assert.ok(Number(res.headers.get('retry-after')) > 0, 'a running export says when to ask again');
        if (notBefore > deadline) assert.fail(`the export did not finish in ${timeoutMs} ms (last X-Progress: ${res.headers.get('x-progress')})`);
      }
    },
  };
}

/** Polls a status URL until the manifest (statusPoller). */
export function awaitManifest(statusUrl: string, token: string | undefined, timeoutMs: number): Promise<Manifest> {
  return statusPoller(statusUrl, token).manifest(timeoutMs);
}

/**
 * Downloads every output file of a manifest and checks each line by itself: it parses as a
 * resource of the file's type, and the file holds as many lines as the manifest counts.
 * Answers the resources by `Type/id`, asserting that none is in the export twice.
 */
export async function downloadExport(manifest: Manifest, token: string | undefined): Promise<Map<string, ExportedResource>> {
  const found = new Map<string, ExportedResource>();
  for (const file of manifest.output) {
    const res = await fetch(file.url, { headers: { accept: 'application/fhir+ndjson', ...authorization(token) } });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.ok(text.endsWith('\n'), `${file.url} ends with a whole line`);
    const lines = text.slice(0, -1).split('\n');
    assert.equal(lines.length, file.count, `${file.url}: as many lines as the manifest says`);
    for (const line of lines) {
      const resource = JSON.parse(line) as ExportedResource;
      assert.equal(resource.resourceType, file.type, `${file.url} holds ${file.type} only`);
      const key = `${resource.resourceType}/${resource.id}`;
      assert.equal(found.has(key), false, `${key} is exported once, not again in ${file.url}`);
      found.set(key, resource);
    }
  }
  return found;
}
