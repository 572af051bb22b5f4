import type { ContentType, Taxonomy } from '../../src/access/content/taxonomy.js';

/**
 * A small in-memory taxonomy for tests of the access filter (the real one is loaded from the
 * content tables). Group system v1: vital-signs ⊃ {body/weight, blood-pressure} and its subgroup
 * body-measures ⊃ {body/height}; fitness ⊃ {steps}; empty-group has nothing.
 */
export const LOINC = 'http://loinc.org';
const contents: readonly ContentType[] = [
  { name: 'body/weight', resourceType: 'Observation', label: 'Body weight', dynamic: false },
  { name: 'body/height', resourceType: 'Observation', label: 'Body height', dynamic: false },
  { name: 'blood-pressure', resourceType: 'Observation', label: 'Blood pressure', dynamic: false },
  { name: 'steps', resourceType: 'Observation', label: 'Steps', dynamic: false },
  { name: 'allergy', resourceType: 'AllergyIntolerance', label: 'Allergies', dynamic: false },
];
const codes: Readonly<Record<string, string>> = {
  [`${LOINC}|29463-7`]: 'body/weight',
  [`${LOINC}|3141-9`]: 'body/weight',
  [`${LOINC}|8302-2`]: 'body/height',
  [`${LOINC}|85354-9`]: 'blood-pressure',
  [`${LOINC}|55423-8`]: 'steps',
  'http://snomed.info/sct|609328004': 'allergy',
};
/** system → group → [member contents, subgroups]. */
const groups: Readonly<Record<string, Readonly<Record<string, readonly [readonly string[], readonly string[]]>>>> = {
  v1: {
    'vital-signs': [['body/weight', 'blood-pressure'], ['body-measures']],
    'body-measures': [['body/height'], []],
    fitness: [['steps'], []],
    'empty-group': [[], []],
  },
  other: { everything: [['body/weight', 'steps', 'allergy'], []] },
};

export const fakeTaxonomy: Taxonomy = {
  content: (name) => contents.find((c) => c.name === name),
  contentOfCode: (coding) => codes[coding],
  hasGroup: (system, name) => groups[system]?.[name] !== undefined,
  groupContents(system, name, exclude) {
    const found = new Set<string>();
    const walk = (group: string) => {
      const entry = groups[system]?.[group];
      if (entry === undefined || exclude.includes(group)) return;
      for (const c of entry[0]) found.add(c);
      for (const sub of entry[1]) walk(sub);
    };
    walk(name);
    return found;
  },
};
