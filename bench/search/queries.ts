import { clonedIdentifier } from './clone.js';
import type { PatientFacts } from './facts.js';

/** A Patient the load created: its server id, and which clone of which source patient it is. */
export interface LoadedPatient {
  readonly id: string;
  readonly clone: number;
  readonly facts: PatientFacts;
}

/** Latency targets in ms (the search issue's). */
export interface Targets {
  readonly p50?: number;
  readonly p99?: number;
}

export interface SearchShape {
  /** The query with placeholders, as the table shows it. */
  readonly name: string;
  readonly targets: Targets;
  /** How many loaded patients the shape can pick from. */
  readonly candidates: number;
  /** A request path for a patient picked with `random`. */
  readonly path: (random: () => number) => string;
}

const OBSERVATION_TARGETS: Targets = { p50: 5, p99: 25 };
const LOINC = 'http://loinc.org';

/**
 * The US Core query shapes, each request asking about a loaded patient picked at random, with
 * codes and dates that patient's source bundle has (so each search finds something). Shapes no
 * loaded patient qualifies for are left out.
 */
export function searchShapes(patients: readonly LoadedPatient[]): SearchShape[] {
  const shape = (
    name: string,
    targets: Targets,
    qualifies: (p: LoadedPatient) => boolean,
    query: (p: LoadedPatient, random: () => number) => string,
  ): SearchShape[] => {
    const candidates = patients.filter(qualifies);
    if (candidates.length === 0) return [];
    return [{ name, targets, candidates: candidates.length, path: (random) => `/fhir/${query(pick(candidates, random), random)}` }];
  };
  const q = encodeURIComponent;
  const prefix = (p: LoadedPatient): string => p.facts.family.slice(0, 3);
  return [
    ...shape('Observation?patient={id}&code={loinc}', OBSERVATION_TARGETS, (p) => p.facts.loincCodes.length > 0, (p, r) =>
      `Observation?patient=${q(p.id)}&code=${q(pick(p.facts.loincCodes, r))}`,
    ),
    ...shape('Observation?patient={id}&code=http://loinc.org|{loinc}', OBSERVATION_TARGETS, (p) => p.facts.loincCodes.length > 0, (p, r) =>
      `Observation?patient=${q(p.id)}&code=${q(`${LOINC}|${pick(p.facts.loincCodes, r)}`)}`,
    ),
    ...shape('Observation?patient={id}&category=laboratory', OBSERVATION_TARGETS, (p) => p.facts.hasLaboratory, (p) =>
      `Observation?patient=${q(p.id)}&category=laboratory`,
    ),
    ...shape('Observation?patient={id}&category=vital-signs&date=ge{day}', OBSERVATION_TARGETS, (p) => p.facts.vitalSignsMedianDay !== undefined, (p) =>
      `Observation?patient=${q(p.id)}&category=vital-signs&date=ge${p.facts.vitalSignsMedianDay ?? ''}`,
    ),
    ...shape('Patient?name={3-letter prefix}', { p50: 5 }, () => true, (p) => `Patient?name=${q(prefix(p))}`),
    ...shape('Patient?identifier={system}|{value}', {}, (p) => p.facts.identifiers.length > 0, (p, r) => {
      const { system, value } = pick(p.facts.identifiers, r);
      return `Patient?identifier=${q(`${system}|${clonedIdentifier(value, p.clone)}`)}`;
    }),
    ...shape('Patient?birthdate={day}&name={3-letter prefix}', {}, () => true, (p) =>
      `Patient?birthdate=${q(p.facts.birthDate)}&name=${q(prefix(p))}`,
    ),
    ...shape('Condition?patient={id}', {}, (p) => p.facts.hasConditions, (p) => `Condition?patient=${q(p.id)}`),
    ...shape('Encounter?patient={id}&date=ge{day}', {}, (p) => p.facts.encounterMedianDay !== undefined, (p) =>
      `Encounter?patient=${q(p.id)}&date=ge${p.facts.encounterMedianDay ?? ''}`,
    ),
  ];
}

export function pick<T>(items: readonly T[], random: () => number): T {
  if (items.length === 0) throw new Error('nothing to pick from');
  return items[Math.floor(random() * items.length)] as T;
}

/** mulberry32: the same picks in every run, so runs compare like with like. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
