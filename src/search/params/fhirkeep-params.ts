import { patientAreaCodes } from '../../fhir/area-code.js';
import { paramKey } from './param-key.js';
import type { SearchParam } from './search-param.js';

/**
 * Search parameters Fhirkeep defines beside R4's, per resource type. `Patient.area-code`
 * (docs/hie.md) indexes the area codes of a Patient's addresses as tokens, so an HIE user's
 * catchment is an index lookup (src/storage/catchment-sql.ts); it also answers exact searches,
 * `Patient?area-code=30261801`.
 */
const OWN: Readonly<Record<string, readonly SearchParam[]>> = {
  Patient: [
    {
      key: paramKey('Patient', 'area-code'),
      code: 'area-code',
      type: 'token',
      target: [],
      url: 'http://fhirkeep.org/fhir/SearchParameter/Patient-area-code',
      accessor: patientAreaCodes,
    },
  ],
};

export function fhirkeepParams(type: string): readonly SearchParam[] {
  return OWN[type] ?? [];
}

/** The index key of `Patient.area-code`: what the catchment SQL looks up. */
export const AREA_CODE_PARAM = paramKey('Patient', 'area-code');
