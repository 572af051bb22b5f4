import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export interface Dataset {
  /** Where the resources came from, for the report. */
  readonly source: string;
  /** Resource bodies ready to POST (no id). */
  readonly resources: readonly { readonly type: string; readonly body: string }[];
}

/** The Synthea bundles beside the project (../shared/data/synthea), never copied into it. */
const SYNTHEA = fileURLToPath(new URL('../../shared/data/synthea/', import.meta.url));

/** Synthea's R4 transaction bundles when present, else generated patients and observations. */
export function loadDataset(bundles: number): Dataset {
  if (existsSync(SYNTHEA)) {
    const files = readdirSync(SYNTHEA).filter((f) => f.endsWith('.json.gz')).sort().slice(0, bundles);
    const resources = files.flatMap((f) => {
      const bundle = JSON.parse(gunzipSync(readFileSync(join(SYNTHEA, f))).toString('utf8')) as { entry: { resource: { resourceType: string; id?: string } }[] };
      return bundle.entry.map(({ resource }) => {
        const { id: _id, ...body } = resource;
        return { type: resource.resourceType, body: JSON.stringify(body) };
      });
    });
    return { source: `Synthea R4: ${files.length} bundles, ${resources.length} resources`, resources };
  }
  return generated(bundles * 320);
}

function generated(count: number): Dataset {
  const resources = Array.from({ length: count }, (_, i) => {
    if (i % 10 === 0) {
      return { type: 'Patient', body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 'urn:bench', value: `p${i}` }], name: [{ family: `Family${i}`, given: ['Given'] }], gender: i % 20 === 0 ? 'female' : 'male', birthDate: '1970-01-01' }) };
    }
    return {
      type: 'Observation',
      body: JSON.stringify({
        resourceType: 'Observation',
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
        subject: { reference: `Patient/p${i - (i % 10)}` },
        effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + i * 3600_000).toISOString(),
        valueQuantity: { value: 60 + (i % 40), unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      }),
    };
  });
  return { source: `generated: ${resources.length} patients and observations (no ../shared/data/synthea)`, resources };
}

/** Transaction bundles as sent by a loader: the Synthea files as they are, else made from the generated resources. */
export function loadTransactionBundles(count: number): { readonly text: string; readonly resources: number }[] {
  if (existsSync(SYNTHEA)) {
    return readdirSync(SYNTHEA)
      .filter((f) => f.endsWith('.json.gz'))
      .sort()
      .slice(0, count)
      .map((f) => {
        const text = gunzipSync(readFileSync(join(SYNTHEA, f))).toString('utf8');
        return { text, resources: (JSON.parse(text) as { entry: unknown[] }).entry.length };
      });
  }
  const { resources } = generated(count * 320);
  return Array.from({ length: count }, (_, b) => {
    const entries = resources.slice(b * 320, (b + 1) * 320).map((r) => ({ resource: JSON.parse(r.body) as unknown, request: { method: 'POST', url: r.type } }));
    return { text: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: entries }), resources: entries.length };
  });
}
