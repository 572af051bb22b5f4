import type { Taxonomy } from '../../src/access/content/taxonomy.js';
import { buildTaxonomy } from '../../src/access/content/taxonomy-snapshot.js';

/**
 * A small taxonomy for unit tests of the access filter, built by the real snapshot builder from
 * rows such as the content tables hold. Group system v1: vital-signs ⊃ {body/weight,
 * blood-pressure} and its subgroup body-measures ⊃ {body/height}; fitness ⊃ {steps}; empty-group
 * has nothing; system `other`: everything ⊃ {body/weight, steps, allergy}.
 */
export const LOINC = 'http://loinc.org';
const content = (name: string, resourceType: string, label: string) => ({ name, resourceType, label, dynamic: false });
const code = (system: string, c: string, contentType: string) => ({ system, code: c, contentType, display: null });
const group = (system: string, name: string, parent: string | null = null) => ({ system, name, parent, label: name });
const members = (system: string, g: string, contents: readonly string[]) => contents.map((contentType) => ({ system, group: g, contentType }));

export const fakeTaxonomy: Taxonomy = buildTaxonomy(
  {
    contentTypes: [
      content('body/weight', 'Observation', 'Body weight'),
      content('body/height', 'Observation', 'Body height'),
      content('blood-pressure', 'Observation', 'Blood pressure'),
      content('steps', 'Observation', 'Steps'),
      content('allergy', 'AllergyIntolerance', 'Allergies'),
    ],
    codes: [
      code(LOINC, '29463-7', 'body/weight'),
      code(LOINC, '3141-9', 'body/weight'),
      code(LOINC, '8302-2', 'body/height'),
      code(LOINC, '85354-9', 'blood-pressure'),
      code(LOINC, '55423-8', 'steps'),
      code('http://snomed.info/sct', '609328004', 'allergy'),
    ],
    groups: [group('v1', 'vital-signs'), group('v1', 'body-measures', 'vital-signs'), group('v1', 'fitness'), group('v1', 'empty-group'), group('other', 'everything')],
    members: [
      ...members('v1', 'vital-signs', ['body/weight', 'blood-pressure']),
      ...members('v1', 'body-measures', ['body/height']),
      ...members('v1', 'fitness', ['steps']),
      ...members('other', 'everything', ['body/weight', 'steps', 'allergy']),
    ],
  },
  1,
);
