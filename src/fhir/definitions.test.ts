import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import ts from 'typescript';
import { loadDefinitions } from './definitions.js';

const definitionsDir = new URL('../../definitions/r4/', import.meta.url);

test('the R4 resource types: concrete, sorted, nothing from R4B or other servers', () => {
  const { resourceTypes } = loadDefinitions();
  assert.equal(resourceTypes.size, 146);
  for (const t of ['Patient', 'Observation', 'Bundle', 'Binary', 'Parameters', 'CapabilityStatement']) assert.ok(resourceTypes.has(t), t);
  for (const t of ['Resource', 'DomainResource', 'SubscriptionStatus', 'Project', 'User', 'Bot', 'ClientApplication']) assert.ok(!resourceTypes.has(t), t);
  const file = JSON.parse(readFileSync(new URL('resource-types.json', definitionsDir), 'utf8')) as string[];
  assert.deepEqual(file, [...file].sort());
});

test('the definitions are read once and shared', () => {
  assert.equal(loadDefinitions(), loadDefinitions());
});

test('search parameters: R4 4.0.1 only, each with what a search engine needs', () => {
  const { searchParameters, resourceTypes } = loadDefinitions();
  assert.equal(searchParameters.length, 1377);
  const keys = new Set<string>();
  for (const p of searchParameters) {
    assert.ok(p.id && p.url.startsWith('http://hl7.org/fhir/SearchParameter/') && p.code && p.type, p.id);
    for (const b of p.base) {
      assert.ok(resourceTypes.has(b) || b === 'Resource' || b === 'DomainResource', `${p.id}: ${b}`);
      const key = `${b}.${p.code}`;
      assert.ok(!keys.has(key), `${key} is defined twice`);
      keys.add(key);
    }
    if (p.type !== 'special' && p.type !== 'composite') assert.ok(p.expression !== undefined || p.base.includes('DomainResource') || p.base.includes('Resource'), p.id);
  }
  const byId = new Map(searchParameters.map((p) => [p.id, p]));
  assert.deepEqual(byId.get('individual-given'), {
    id: 'individual-given',
    url: 'http://hl7.org/fhir/SearchParameter/individual-given',
    code: 'given',
    base: ['Patient', 'Practitioner'],
    type: 'string',
    expression: 'Patient.name.given | Practitioner.name.given',
  });
  // Parameters shared by several types carry one expression per type.
  assert.ok(byId.get('clinical-code')?.expression?.includes('Observation.code'));
  assert.ok(byId.get('clinical-date')?.comparator?.includes('ge'));
  assert.equal(byId.get('Observation-code-value-quantity')?.component?.[1]?.expression, 'value.ofType(Quantity)');
  assert.equal(byId.get('individual-phonetic')?.xpathUsage, 'phonetic');
  assert.equal(byId.get('DeviceDefinition-classification'), undefined, 'an R5 parameter the source package adds');
});

test('US Core search parameters come with the version they are from', () => {
  const { usCore } = loadDefinitions();
  assert.equal(usCore.version, '5.0.1');
  const race = usCore.searchParameters.find((p) => p.id === 'us-core-race');
  assert.equal(race?.code, 'race');
  assert.deepEqual(race?.base, ['Patient']);
});

test('the Patient compartment maps R4 types to the parameters that link them to a patient', () => {
  const { patientCompartment, resourceTypes, searchParameters } = loadDefinitions();
  assert.deepEqual(patientCompartment.Observation, ['subject', 'performer']);
  assert.deepEqual(patientCompartment.Patient, ['link']);
  assert.equal(patientCompartment.Organization, undefined);
  const codes = new Set(searchParameters.flatMap((p) => p.base.map((b) => `${b}.${p.code}`)));
  for (const [type, params] of Object.entries(patientCompartment)) {
    assert.ok(resourceTypes.has(type), type);
    for (const p of params) assert.ok(p === '{def}' || codes.has(`${type}.${p}`) || codes.has(`Resource.${p}`), `${type}.${p}`);
  }
});

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; $ref?: string; required?: string[]; fhirRequired?: Record<string, string[]> };

/**
 * An independent R4 model: the `fhir4` interfaces of @types/fhir (DefinitelyTyped). Every
 * definition of the shipped schema must have exactly R4's elements, so nothing another server
 * added to R4 types slips through, and nothing of R4 is missing.
 */
test('the shipped schema has exactly the elements and required elements of R4 (checked against @types/fhir)', () => {
  const dts = createRequire(import.meta.url).resolve('@types/fhir/r4.d.ts');
  const source = ts.createSourceFile('r4.d.ts', readFileSync(dts, 'utf8'), ts.ScriptTarget.Latest);
  const interfaces = new Map<string, { members: Map<string, boolean>; bases: string[] }>();
  const visit = (node: ts.Node): void => {
    if (ts.isInterfaceDeclaration(node)) {
      const members = new Map<string, boolean>();
      for (const m of node.members) if (ts.isPropertySignature(m) && ts.isIdentifier(m.name)) members.set(m.name.text, m.questionToken !== undefined);
      const bases = (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(source)));
      interfaces.set(node.name.text, { members, bases });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  /** Element name → optional, with inherited elements; `_x` (extensions of primitives) left out. */
  const elementsOf = (name: string): Map<string, boolean> => {
    const i = interfaces.get(name);
    assert.ok(i, `@types/fhir has no interface ${name}`);
    const all = new Map(i.bases.flatMap((b) => [...elementsOf(b)]));
    for (const [k, optional] of i.members) if (!k.startsWith('_') && k !== 'fhir_comments') all.set(k, optional);
    return all;
  };

  const schema = JSON.parse(readFileSync(new URL('fhir.schema.json', definitionsDir), 'utf8')) as { definitions: Record<string, SchemaNode> };
  const defs = schema.definitions;
  // Schema names backbone elements `Type_Last` (ClaimResponse_Detail1); @types/fhir spells the whole
  // path (ClaimResponseAddItemDetail). Walk from each type down the references to pair them.
  const tsName = new Map<string, string>();
  const queue = Object.keys(defs).filter((n) => !n.includes('_') && defs[n]?.properties !== undefined && interfaces.has(n));
  for (const n of queue) tsName.set(n, n);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    for (const [p, prop] of Object.entries(defs[name]?.properties ?? {})) {
      const target = /^#\/definitions\/(.+_.+)$/.exec((prop.items ?? prop).$ref ?? '')?.[1];
      const candidate = `${tsName.get(name) as string}${p.charAt(0).toUpperCase()}${p.slice(1)}`;
      if (target !== undefined && !tsName.has(target) && interfaces.has(candidate)) {
        tsName.set(target, candidate);
        queue.push(target);
      }
    }
  }
  const checked = Object.entries(defs).filter(([n, d]) => d.properties !== undefined && n !== 'ElementOrNull');
  assert.deepEqual(
    checked.map(([n]) => n).filter((n) => !tsName.has(n)),
    [],
    'every definition pairs with an R4 interface',
  );
  const problems: string[] = [];
  for (const [name, def] of checked) {
    const r4 = elementsOf(tsName.get(name) as string);
    const ours = Object.keys(def.properties ?? {}).filter((k) => !k.startsWith('_'));
    for (const k of ours) if (!r4.has(k)) problems.push(`${name}.${k} is not R4`);
    for (const k of r4.keys()) if (!ours.includes(k)) problems.push(`${name}.${k} is missing`);
    const required = new Set([...(def.required ?? []), ...Object.keys(def.fhirRequired ?? {})]);
    for (const [k, optional] of r4) {
      if (k !== 'resourceType' && !optional && !required.has(k)) problems.push(`${name}.${k} should be required`);
    }
    for (const k of required) if (!k.endsWith('[x]') && k !== 'resourceType' && r4.get(k) !== false) problems.push(`${name}.${k} should be optional`);
  }
  assert.deepEqual(problems, []);
});
