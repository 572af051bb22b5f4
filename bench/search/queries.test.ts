import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PatientFacts } from './facts.js';
import { pick, searchShapes, seededRandom, type LoadedPatient } from './queries.js';

const facts: PatientFacts = {
  entry: 0,
  family: 'Koepp',
  birthDate: '1956-08-03',
  identifiers: [{ system: 'http://hospital.smarthealthit.org', value: 'M1' }],
  loincCodes: ['8302-2'],
  hasLaboratory: true,
  hasConditions: true,
  vitalSignsMedianDay: '2012-06-01',
  encounterMedianDay: '2001-02-03',
};

test('each shape asks about a loaded patient with what its source bundle holds, the clone’s identifier included', () => {
  const shapes = searchShapes([{ id: 'P1', clone: 2, facts }]);
  const paths = Object.fromEntries(shapes.map((s) => [s.name, s.path(() => 0)]));
  assert.deepEqual(paths, {
    'Observation?patient={id}&code={loinc}': '/fhir/Observation?patient=P1&code=8302-2',
    'Observation?patient={id}&code=http://loinc.org|{loinc}': '/fhir/Observation?patient=P1&code=http%3A%2F%2Floinc.org%7C8302-2',
    'Observation?patient={id}&category=laboratory': '/fhir/Observation?patient=P1&category=laboratory',
    'Observation?patient={id}&category=vital-signs&date=ge{day}': '/fhir/Observation?patient=P1&category=vital-signs&date=ge2012-06-01',
    'Patient?name={3-letter prefix}': '/fhir/Patient?name=Koe',
    'Patient?identifier={system}|{value}': '/fhir/Patient?identifier=http%3A%2F%2Fhospital.smarthealthit.org%7CM1-c',
    'Patient?birthdate={day}&name={3-letter prefix}': '/fhir/Patient?birthdate=1956-08-03&name=Koe',
    'Condition?patient={id}': '/fhir/Condition?patient=P1',
    'Encounter?patient={id}&date=ge{day}': '/fhir/Encounter?patient=P1&date=ge2001-02-03',
  });
  const targets = Object.fromEntries(shapes.map((s) => [s.name, s.targets]));
  assert.deepEqual(targets['Observation?patient={id}&code={loinc}'], { p50: 5, p99: 25 });
  assert.deepEqual(targets['Patient?name={3-letter prefix}'], { p50: 5 });
});

test('only patients that qualify are picked; a shape nobody qualifies for is left out', () => {
  const bare: LoadedPatient = {
    id: 'P0',
    clone: 0,
    facts: { ...facts, loincCodes: [], hasLaboratory: false, hasConditions: false, vitalSignsMedianDay: undefined, encounterMedianDay: undefined },
  };
  const shapes = searchShapes([bare, { id: 'P1', clone: 0, facts }, bare]);
  const lab = shapes.find((s) => s.name.includes('laboratory'));
  assert.equal(lab?.candidates, 1);
  const random = seededRandom(7);
  for (let i = 0; i < 20; i++) assert.match(lab?.path(random) ?? '', /patient=P1&/);
  const names = searchShapes([bare]).map((s) => s.name);
  assert.deepEqual(names, ['Patient?name={3-letter prefix}', 'Patient?identifier={system}|{value}', 'Patient?birthdate={day}&name={3-letter prefix}']);
});

test('seeded random: the same sequence for the same seed, in [0, 1), spread over the items', () => {
  const a = seededRandom(1);
  const b = seededRandom(1);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const counts = new Map<number, number>();
  for (const x of xs) {
    const item = pick([0, 1, 2, 3], () => x);
    counts.set(item, (counts.get(item) ?? 0) + 1);
  }
  assert.ok([0, 1, 2, 3].every((i) => (counts.get(i) ?? 0) > 200), JSON.stringify([...counts]));
  assert.throws(() => pick([], a), /nothing to pick/);
});
