/**
 * The demo's synthetic records (CONTRACT.md, "First start"): three made-up patients with a few
 * vitals, a lab result and a condition each. Generated here, not read from files, so the demo
 * needs nothing beside the binary; ids are fixed so the README can name them.
 */

export interface DemoPatient {
  readonly id: string;
  readonly given: string;
  readonly family: string;
  readonly gender: 'female' | 'male';
  readonly birthDate: string;
  readonly weightKg: number;
  readonly heartRate: number;
  readonly hba1c: number;
  readonly condition: { readonly code: string; readonly display: string };
}

export const DEMO_PATIENTS: readonly DemoPatient[] = [
  { id: 'demo-alice', given: 'Alice', family: 'Demo', gender: 'female', birthDate: '1984-03-12', weightKg: 64.2, heartRate: 68, hba1c: 5.4, condition: { code: '195967001', display: 'Asthma' } },
  { id: 'demo-bob', given: 'Bob', family: 'Demo', gender: 'male', birthDate: '1957-11-02', weightKg: 88.5, heartRate: 74, hba1c: 7.9, condition: { code: '44054006', display: 'Diabetes mellitus type 2' } },
  { id: 'demo-carol', given: 'Carol', family: 'Demo', gender: 'female', birthDate: '2001-07-23', weightKg: 58.0, heartRate: 81, hba1c: 5.1, condition: { code: '38341003', display: 'Hypertensive disorder' } },
];

/** A fixed effective date: the demo looks the same on every machine. */
const EFFECTIVE = '2024-01-15T09:30:00Z';

const category = (code: string, display: string) => [
  { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code, display }] },
];

function observation(p: DemoPatient, suffix: string, kind: 'vital-signs' | 'laboratory', loinc: string, display: string, value: number, unit: string, ucum: string) {
  return {
    resourceType: 'Observation',
    id: `${p.id}-${suffix}`,
    status: 'final',
    category: category(kind, kind === 'laboratory' ? 'Laboratory' : 'Vital Signs'),
    code: { coding: [{ system: 'http://loinc.org', code: loinc, display }], text: display },
    subject: { reference: `Patient/${p.id}` },
    effectiveDateTime: EFFECTIVE,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: ucum },
  };
}

/** Every record of one demo patient: the Patient first, so the references resolve. */
export function demoRecords(p: DemoPatient): readonly ({ readonly resourceType: string; readonly id: string } & Record<string, unknown>)[] {
  return [
    { resourceType: 'Patient', id: p.id, name: [{ given: [p.given], family: p.family }], gender: p.gender, birthDate: p.birthDate },
    observation(p, 'weight', 'vital-signs', '29463-7', 'Body weight', p.weightKg, 'kg', 'kg'),
    observation(p, 'heart-rate', 'vital-signs', '8867-4', 'Heart rate', p.heartRate, 'beats/minute', '/min'),
    observation(p, 'hba1c', 'laboratory', '4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', p.hba1c, '%', '%'),
    {
      resourceType: 'Condition',
      id: `${p.id}-condition`,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item' }] }],
      code: { coding: [{ system: 'http://snomed.info/sct', code: p.condition.code, display: p.condition.display }], text: p.condition.display },
      subject: { reference: `Patient/${p.id}` },
    },
  ];
}
