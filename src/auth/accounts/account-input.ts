import { FhirkeepError, type ErrorDetail } from '../../errors/fhirkeep-error.js';
import { isFhirId } from '../../fhir/fhir-id.js';
import { ROLES, type Role } from './account.js';
import { emailProblem, passwordProblem } from './credentials-policy.js';

/** What a caller (CLI, admin API) asks for; roles arrive as plain strings and are checked here. */
export interface NewAccountInput {
  readonly email: string;
  /** Absent for an account that signs in only through a partner dialect. */
  readonly password?: string | undefined;
  readonly roles: readonly string[];
  readonly displayName?: string | undefined;
  readonly patientId?: string | undefined;
  readonly practitionerId?: string | undefined;
}

export interface ValidAccountInput {
  readonly email: string;
  readonly password: string | undefined;
  readonly roles: readonly Role[];
  readonly displayName: string | undefined;
  readonly patientId: string | undefined;
  readonly practitionerId: string | undefined;
}

/** Longest display name kept: a person's name, not a document. */
export const MAX_DISPLAY_NAME = 200;

/** Checks a new account and names every problem at once (`bad-request`), so one retry can fix them all. */
export function validateAccountInput(input: NewAccountInput): ValidAccountInput {
  const problems: ErrorDetail[] = [];
  const problem = (expression: string, message: string | undefined) => {
    if (message !== undefined) problems.push({ expression, message });
  };
  const email = input.email.trim();
  problem('email', emailProblem(email));
  if (input.password !== undefined) problem('password', passwordProblem(input.password));

  const unknown = input.roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (input.roles.length === 0) problem('roles', `An account needs at least one role (${ROLES.join(', ')})`);
  if (unknown.length > 0) problem('roles', `Unknown role${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${ROLES.join(', ')})`);
  const roles = [...new Set(input.roles)].filter((r): r is Role => (ROLES as readonly string[]).includes(r));

  // The FHIR resource the account holder is: a patient's login resolves to its compartment.
  const patientId = optional(input.patientId);
  const practitionerId = optional(input.practitionerId);
  checkLink(problem, roles, 'patient', 'patientId', patientId);
  checkLink(problem, roles, 'practitioner', 'practitionerId', practitionerId);

  const displayName = optional(input.displayName);
  if (displayName !== undefined && displayName.length > MAX_DISPLAY_NAME) problem('displayName', `The name must have at most ${MAX_DISPLAY_NAME} characters`);

  if (problems.length > 0) {
    throw new FhirkeepError('bad-request', problems.map((p) => p.message).join('; '), { details: problems });
  }
  return { email, password: input.password, roles, displayName, patientId, practitionerId };
}

/** A patient account needs its Patient id, a practitioner its Practitioner id; neither id without its role. */
function checkLink(
  problem: (expression: string, message: string | undefined) => void,
  roles: readonly Role[],
  role: 'patient' | 'practitioner',
  field: 'patientId' | 'practitionerId',
  id: string | undefined,
): void {
  const resource = role === 'patient' ? 'Patient' : 'Practitioner';
  if (roles.includes(role) && id === undefined) problem(field, `The ${role} role needs the id of the account holder's ${resource}`);
  if (!roles.includes(role) && id !== undefined) problem(field, `A ${resource} id belongs only to an account with the ${role} role`);
  if (id !== undefined && !isFhirId(id)) problem(field, `Not a FHIR id: ${JSON.stringify(id)}`);
}

function optional(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
