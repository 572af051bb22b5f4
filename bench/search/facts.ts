import type { TransactionBundle } from './bundle.js';

/** What the searches need to know about the one patient of a Synthea bundle, to ask for data that exists. */
export interface PatientFacts {
  /** Index of the Patient entry: the same index in the transaction response holds its new id. */
  readonly entry: number;
  /** The first family name, as in the source bundle (before cloning). */
  readonly family: string;
  readonly birthDate: string;
  /** Every identifier with a system and a value (before cloning). */
  readonly identifiers: readonly { readonly system: string; readonly value: string }[];
  /** LOINC codes of the patient's Observations, each once. */
  readonly loincCodes: readonly string[];
  readonly hasLaboratory: boolean;
  readonly hasConditions: boolean;
  /** The median day (YYYY-MM-DD) of the vital-signs Observations and of the Encounters: `ge` it matches about half. */
  readonly vitalSignsMedianDay: string | undefined;
  readonly encounterMedianDay: string | undefined;
}

const LOINC = 'http://loinc.org';

interface Coding {
  readonly system?: string;
  readonly code?: string;
}

export function patientFacts(bundle: TransactionBundle): PatientFacts {
  const patients = bundle.entry.flatMap((e, i) => (e.resource.resourceType === 'Patient' ? [i] : []));
  const entry = patients[0];
  if (entry === undefined || patients.length > 1) throw new Error(`expected one Patient per bundle, found ${patients.length}`);
  const patient = bundle.entry[entry]?.resource as { name?: { family?: string }[]; birthDate?: string };
  const family = patient.name?.find((n) => n.family !== undefined)?.family;
  if (family === undefined || patient.birthDate === undefined) throw new Error('the Patient has no family name or no birthDate');

  const resources = (type: string): Record<string, unknown>[] => bundle.entry.flatMap((e) => (e.resource.resourceType === type ? [e.resource] : []));
  const observations = resources('Observation');
  const categories = (o: Record<string, unknown>): string[] =>
    ((o.category as { coding?: Coding[] }[] | undefined) ?? []).flatMap((c) => (c.coding ?? []).flatMap((x) => (x.code === undefined ? [] : [x.code])));
  const loincCodes = new Set(
    observations.flatMap((o) => ((o.code as { coding?: Coding[] } | undefined)?.coding ?? []).flatMap((c) => (c.system === LOINC && c.code !== undefined ? [c.code] : []))),
  );
  return {
    entry,
    family,
    birthDate: patient.birthDate,
    identifiers: (bundle.entry[entry]?.resource.identifier ?? []).flatMap((i) =>
      i.system === undefined || i.value === undefined ? [] : [{ system: i.system, value: i.value }],
    ),
    loincCodes: [...loincCodes],
    hasLaboratory: observations.some((o) => categories(o).includes('laboratory')),
    hasConditions: resources('Condition').length > 0,
    vitalSignsMedianDay: medianDay(observations.filter((o) => categories(o).includes('vital-signs')).map((o) => o.effectiveDateTime)),
    encounterMedianDay: medianDay(resources('Encounter').map((e) => (e.period as { start?: unknown } | undefined)?.start)),
  };
}

/** The median of the dates' days (upper median), or undefined when there are none. */
export function medianDay(dates: readonly unknown[]): string | undefined {
  const days = dates.flatMap((d) => (typeof d === 'string' && /^\d{4}-\d{2}-\d{2}/.test(d) ? [d.slice(0, 10)] : [])).sort();
  return days[Math.floor(days.length / 2)];
}

/**
 * The new id of the Patient created by entry `entry` of a transaction, from the response's
 * `location` (R4 §3.1.0.11.2: [base/]Patient/[id]/_history/[vid], relative or absolute).
 */
export function patientIdFrom(transactionResponse: string, entry: number): string | undefined {
  const bundle = JSON.parse(transactionResponse) as { entry?: { response?: { location?: string } }[] };
  const location = bundle.entry?.[entry]?.response?.location ?? '';
  return /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})\/_history\/[^/]+$/.exec(location)?.[1];
}
