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

test('US Core 3.1.1 search parameters keep their published expressions', () => {
  const { usCore, resourceTypes } = loadDefinitions();
  assert.equal(usCore.version, '3.1.1');
  assert.equal(usCore.searchParameters.length, 74);
  const byId = new Map(usCore.searchParameters.map((p) => [p.id, p]));
  assert.equal(byId.size, 74, 'ids are unique');
  for (const p of usCore.searchParameters) {
    assert.equal(p.url, `http://hl7.org/fhir/us/core/SearchParameter/${p.id}`);
    for (const b of p.base) assert.ok(resourceTypes.has(b), `${p.id}: ${b}`);
    assert.ok(p.expression?.startsWith(p.base[0] as string) || p.expression?.startsWith(`(${p.base[0] as string}`), p.id);
  }
  assert.deepEqual(byId.get('us-core-race'), {
    id: 'us-core-race',
    url: 'http://hl7.org/fhir/us/core/SearchParameter/us-core-race',
    code: 'race',
    base: ['Patient'],
    type: 'token',
    expression: "Patient.extension.where(url = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race').extension.value.code",
  });
  assert.equal(byId.get('us-core-observation-patient')?.expression, 'Observation.subject.where(resolve() is Patient)');
  assert.equal(byId.get('us-core-observation-date')?.expression, 'Observation.effective');
  assert.deepEqual(byId.get('us-core-practitionerrole-practitioner')?.chain, ['identifier', 'name']);
  // 5.0.1 parameters that 3.1.1 does not have.
  for (const id of ['us-core-patient-gender-identity', 'us-core-careteam-role', 'us-core-goal-description']) assert.equal(byId.get(id), undefined, id);
});

test('the US Core 3.1.1 server: R4 types, defined parameters, the known SHALL searches', () => {
  const { usCore, resourceTypes, searchParameters } = loadDefinitions();
  const r4 = new Set(searchParameters.flatMap((p) => p.base.map((b) => `${b}.${p.code}`)));
  const usCoreCodes = new Set(usCore.searchParameters.flatMap((p) => p.base.map((b) => `${b}.${p.code}`)));
  assert.equal(Object.keys(usCore.server).length, 21);
  for (const [type, resource] of Object.entries(usCore.server)) {
    assert.ok(resourceTypes.has(type), type);
    const codes = new Set(resource.searchParams.map((p) => p.code));
    for (const { code } of resource.searchParams) {
      assert.ok(usCoreCodes.has(`${type}.${code}`) || r4.has(`${type}.${code}`) || r4.has(`Resource.${code}`), `${type}.${code}`);
    }
    for (const { params } of resource.combinations) for (const p of params) assert.ok(codes.has(p), `${type}: ${params.join('+')}`);
    for (const { value } of [...resource.searchInclude, ...resource.searchRevInclude]) {
      const [source, param] = value.split(':') as [string, string];
      assert.ok(resourceTypes.has(source) && r4.has(`${source}.${param}`), `${type}: ${value}`);
    }
    for (const profile of resource.profiles) assert.match(profile, /^http:\/\/hl7\.org\/fhir\/(us\/core\/)?StructureDefinition\/[a-z-]+$/);
  }
  const shall = (type: string, ...params: string[]): boolean =>
    usCore.server[type]?.combinations.some((c) => c.expectation === 'SHALL' && c.params.join('+') === params.join('+')) === true;
  assert.ok(shall('Patient', 'birthdate', 'name'));
  assert.ok(shall('Patient', 'gender', 'name'));
  assert.ok(shall('Observation', 'patient', 'code'));
  assert.ok(shall('Observation', 'patient', 'category'));
  assert.ok(shall('Observation', 'patient', 'category', 'date'));
  assert.ok(!shall('Patient', 'birthdate', 'family'), 'a SHOULD');
  assert.deepEqual(usCore.server.Patient?.searchParams.filter((p) => p.expectation === 'SHALL').map((p) => p.code), ['_id', 'identifier', 'name']);
  assert.deepEqual(usCore.server.Patient?.searchRevInclude, [{ value: 'Provenance:target', expectation: 'SHALL' }]);
  assert.deepEqual(usCore.server.MedicationRequest?.searchInclude.map((i) => i.value), ['MedicationRequest:medication']);
  assert.deepEqual(usCore.server.DocumentReference?.operations, [
    { name: 'docref', definition: 'http://hl7.org/fhir/us/core/OperationDefinition/docref', expectation: 'SHALL' },
  ]);
  assert.deepEqual(usCore.server.Patient?.profiles, ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient']);
  assert.equal(usCore.server.MedicationStatement, undefined, 'dropped in 3.1.0');
});

test('elements: summary, mandatory and choice elements of every R4 resource type', () => {
  const { elements, resourceTypes } = loadDefinitions();
  assert.deepEqual(Object.keys(elements), [...resourceTypes].sort());
  const observation = elements.Observation;
  for (const e of ['id', 'meta', 'status', 'code', 'subject', 'effective', 'value', 'component']) assert.ok(observation?.summary.includes(e), e);
  for (const e of ['note', 'interpretation', 'text', 'contained']) assert.ok(!observation?.summary.includes(e), e);
  assert.deepEqual(observation?.mandatory, ['status', 'code']);
  assert.ok(observation?.choice.value?.includes('valueQuantity') && observation.choice.value.includes('valueCodeableConcept'));
  assert.equal(observation?.choice.value?.length, 11);
  const patient = elements.Patient;
  for (const e of ['name', 'birthDate', 'gender', 'identifier', 'deceased']) assert.ok(patient?.summary.includes(e), e);
  for (const e of ['photo', 'contact', 'communication', 'maritalStatus']) assert.ok(!patient?.summary.includes(e), e);
  assert.deepEqual(patient?.mandatory, []);
  assert.deepEqual(patient?.choice.deceased, ['deceasedBoolean', 'deceasedDateTime']);
  assert.deepEqual(elements.Bundle?.mandatory, ['type']);
  // Every name is a property of the shipped schema, which the test below checks against an independent R4 model.
  const schema = JSON.parse(readFileSync(new URL('fhir.schema.json', definitionsDir), 'utf8')) as { definitions: Record<string, SchemaNode> };
  for (const [type, e] of Object.entries(elements)) {
    const properties = schema.definitions[type]?.properties ?? {};
    const choices = new Set(Object.keys(e.choice));
    for (const name of [...e.summary, ...e.mandatory]) {
      assert.ok(choices.has(name) ? (e.choice[name]?.length ?? 0) > 0 : properties[name] !== undefined, `${type}.${name}`);
    }
    for (const names of Object.values(e.choice)) for (const n of names) assert.ok(properties[n] !== undefined, `${type}.${n}`);
    for (const [stem, names] of Object.entries(e.choice)) assert.ok(names.every((n) => n.startsWith(stem)), `${type}.${stem}`);
  }
  assert.ok(!elements.DeviceDefinition?.summary.includes('bodySite'), 'the source package adds elements R4 lacks');
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
