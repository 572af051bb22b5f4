import { isAreaCode } from '../../../fhir/area-code.js';
import { isFhirId } from '../../../fhir/fhir-id.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';

/** What a user is to the HIE (docs/hie.md); an account may hold several profiles. */
export const PROFILE_TYPES = ['provider', 'admin', 'facility', 'patient'] as const;
export type ProfileType = (typeof PROFILE_TYPES)[number];

export interface HieProfile {
  readonly type: ProfileType;
  /** The provider's, facility's or admin's id in the partner's registries; a patient's Patient id. */
  readonly id: string;
  /** Area codes the profile serves (provider, facility, admin); none for a patient. */
  readonly catchments: readonly string[];
}

/** More would be a listing of every area, not a catchment; the bound keeps each request's SQL small. */
const MAX_CATCHMENTS = 100;
export const MAX_GROUP_LENGTH = 100;

/**
 * A profile as given (CLI, admin API), checked: a known type, an id of FHIR id syntax, and
 * catchments that are area codes (2–12 digits, an even number) — at least one for a provider,
 * facility or admin (a profile serving no area would see nothing), none for a patient, who sees
 * their own record only.
 */
export function validateProfile(input: { readonly type: string; readonly id: string; readonly catchments: readonly string[] }): HieProfile {
  if (!(PROFILE_TYPES as readonly string[]).includes(input.type)) throw new FhirkeepError('bad-request', `Unknown profile type ${input.type} (known: ${PROFILE_TYPES.join(', ')})`);
  const type = input.type as ProfileType;
  const id = input.id.trim();
  if (!isFhirId(id)) throw new FhirkeepError('bad-request', `The profile id ${JSON.stringify(input.id)} is not valid: 1–64 letters, digits, "-" and "."`);
  const catchments = [...new Set(input.catchments.map((c) => c.trim()))];
  const bad = catchments.find((c) => !isAreaCode(c));
  if (bad !== undefined) throw new FhirkeepError('bad-request', `The catchment ${JSON.stringify(bad)} is not an area code: 2 to 12 digits, an even number (division 2, district 4, upazila 6 …)`);
  if (type === 'patient' && catchments.length > 0) throw new FhirkeepError('bad-request', 'A patient profile has no catchment: it reaches its own record only');
  if (type !== 'patient' && catchments.length === 0) throw new FhirkeepError('bad-request', `A ${type} profile needs at least one catchment (--catchment CODE)`);
  if (catchments.length > MAX_CATCHMENTS) throw new FhirkeepError('bad-request', `A profile has at most ${MAX_CATCHMENTS} catchments`);
  return { type, id, catchments: catchments.sort() };
}

/** Group names are labels the partner's clients match ("MCI Admin", "API Consumer"). */
export function validateGroupName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MAX_GROUP_LENGTH || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new FhirkeepError('bad-request', `A group name has 1 to ${MAX_GROUP_LENGTH} characters and no control characters`);
  }
  return trimmed;
}
