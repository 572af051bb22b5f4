import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface DatasetResource {
  readonly type: string;
  /** The resource as JSON text without an id, `resourceType` first (see withId). */
  readonly body: string;
}

export interface Dataset {
  /** Where the resources came from, for the report. */
  readonly source: string;
  readonly resources: readonly DatasetResource[];
}

/** The Synthea bundles beside the project (../shared/data/synthea); read in place, never copied in. */
export const SYNTHEA = fileURLToPath(new URL('../../shared/data/synthea/', import.meta.url));

/** The Synthea bundle files, sorted; none when the data is not beside the project. */
export function syntheaFiles(): string[] {
  return existsSync(SYNTHEA) ? readdirSync(SYNTHEA).filter((f) => f.endsWith('.json.gz')).sort().map((f) => join(SYNTHEA, f)) : [];
}

/** One Synthea bundle's JSON text, as the file holds it (pretty-printed). */
export function readSynthea(file: string): string {
  return gunzipSync(readFileSync(file)).toString('utf8');
}

/** How many resources the generated fallback makes: about the size of the Synthea set. */
const GENERATED = 30_000;

/** The Synthea R4 transaction bundles when present (every entry's resource, id dropped), else generated ones. */
export function loadDataset(): Dataset {
  const files = syntheaFiles();
  if (files.length === 0) return generated(GENERATED);
  const resources = files.flatMap((file) => {
    const bundle = JSON.parse(readSynthea(file)) as {
      entry?: { resource?: { resourceType: string; id?: string; [element: string]: unknown } }[];
    };
    return (bundle.entry ?? []).flatMap(({ resource }) => (resource === undefined ? [] : [fromResource(resource)]));
  });
  return { source: `Synthea R4 (${SYNTHEA}): ${files.length} bundles, ${resources.length} resources`, resources };
}

/** The body with `"id"` placed right after `resourceType`, as a PUT or a stored resource needs it. */
export function withId(resource: DatasetResource, id: string): string {
  const head = `{"resourceType":${JSON.stringify(resource.type)}`;
  return `${head},"id":${JSON.stringify(id)}${resource.body.slice(head.length)}`;
}

function fromResource(resource: { resourceType: string; id?: string; [element: string]: unknown }): DatasetResource {
  // The server assigns ids on create; references between entries stay as the bundle wrote them.
  const { resourceType, id: _id, ...rest } = resource;
  return { type: resourceType, body: JSON.stringify({ resourceType, ...rest }) };
}

function generated(count: number): Dataset {
  const resources = Array.from({ length: count }, (_, i): DatasetResource => {
    const patient = `p${i - (i % 10)}`;
    if (i % 10 === 0) {
      return fromResource({
        resourceType: 'Patient',
        identifier: [{ system: 'urn:fhirkeep:bench', value: patient }],
        name: [{ family: `Family${i}`, given: ['Given'] }],
        gender: i % 20 === 0 ? 'female' : 'male',
        birthDate: '1970-01-01',
      });
    }
    return fromResource({
      resourceType: 'Observation',
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
      subject: { identifier: { system: 'urn:fhirkeep:bench', value: patient } },
      effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString(),
      valueQuantity: { value: 60 + (i % 40), unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    });
  });
  return { source: `generated (no Synthea bundles at ${SYNTHEA}): ${count} Patients and Observations`, resources };
}

/** Transaction bundles as sent by a loader: the Synthea files as they are, else made from the generated resources. */
export function loadTransactionBundles(count: number): { readonly text: string; readonly resources: number }[] {
  const files = syntheaFiles();
  if (files.length > 0) {
    return files.slice(0, count).map((f) => {
      const text = readSynthea(f);
      return { text, resources: (JSON.parse(text) as { entry: unknown[] }).entry.length };
    });
  }
  const { resources } = generated(count * 320);
  return Array.from({ length: count }, (_, b) => {
    const entries = resources.slice(b * 320, (b + 1) * 320).map((r) => ({ resource: JSON.parse(r.body) as unknown, request: { method: 'POST', url: r.type } }));
    return { text: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries }), resources: entries.length };
  });
}
