import { randomUUID } from 'node:crypto';
import { systemScope } from '../../access/scope.js';
import { FhirkeepError, isFhirkeepError, type ErrorDetail } from '../../errors/fhirkeep-error.js';
import type { FhirRequest, FhirResponse } from '../../rest/fhir-request.js';
import type { Account, Role } from './account.js';
import { validateAccountInput } from './account-input.js';
import type { AccountService } from './account-service.js';

/** The roles a person may give themselves: an account holder (`patient`) or a developer; never more. */
export const SIGN_UP_ROLES = ['patient', 'developer'] as const satisfies readonly Role[];
export type SignUpRole = (typeof SIGN_UP_ROLES)[number];

export interface SignUpInput {
  /** As posted; anything but a SIGN_UP_ROLES value is refused. */
  readonly role: string;
  readonly email: string;
  readonly password: string;
  /** The display name; an account holder's Patient gets it as its name, so they must give one. */
  readonly name: string;
  readonly ip: string;
}

/** What a sign-up's Patient is: its reserved id, the name given, the account it belongs to. */
export interface NewPatient {
  readonly id: string;
  readonly name: string;
  readonly accountId: string;
}

export interface SignUpDeps {
  readonly accounts: Pick<AccountService, 'admitSignUp' | 'create' | 'discardSignUp'>;
  /** Writes an account holder's Patient (see `writePatientThrough`). */
  readonly writePatient: (patient: NewPatient) => Promise<void>;
}

/**
 * Self-service sign-up (docs/portal/portal-account.md). The account is made first, with a
 * Patient id reserved for it, and the Patient written only then: a taken email or bad input
 * fails before any record exists, and the Patient is owned by its account from its first
 * version. Should the Patient write fail, the new account is deleted again, so neither is left
 * without the other. Throws `too-many-requests` past the sign-up throttle, `bad-request` naming
 * every problem, `version-conflict` for an email in use (the account service's message).
 */
export async function signUp(deps: SignUpDeps, input: SignUpInput): Promise<Account> {
  await deps.accounts.admitSignUp(input.ip);
  const role = SIGN_UP_ROLES.find((r) => r === input.role);
  const name = input.name.trim();
  const problems: ErrorDetail[] = [];
  if (role === undefined) problems.push({ expression: 'role', message: 'Choose whether the account is for keeping your health records or for developing apps' });
  if (role === 'patient' && name === '') problems.push({ expression: 'name', message: 'Give your name: it goes on your health record' });
  const patientId = role === 'patient' ? randomUUID() : undefined;
  const account = { email: input.email, password: input.password, roles: role === undefined ? [] : [role], displayName: name === '' ? undefined : name, patientId };
  // Every problem in one answer, the account service's own checks included (email and password even without a role).
  try {
    validateAccountInput({ ...account, roles: [role ?? 'developer'] });
  } catch (e) {
    if (!isFhirkeepError(e) || e.code !== 'bad-request') throw e;
    problems.push(...e.details);
  }
  if (problems.length > 0) throw new FhirkeepError('bad-request', problems.map((p) => p.message).join('; '), { details: problems });

  const created = await deps.accounts.create(account);
  if (patientId === undefined) return created;
  try {
    await deps.writePatient({ id: patientId, name, accountId: created.id });
  } catch (e) {
    await deps.accounts.discardSignUp(created.id);
    throw e;
  }
  return created;
}

/**
 * Writes the Patient through the FHIR router, validated and indexed like any record, in an
 * explicit system scope that names the sign-up and makes the new account the record's owner.
 * A PUT at the reserved id (update-as-create, R4 §3.1.0.4.2): the id is a fresh UUID, so
 * nothing can be there already.
 */
export function writePatientThrough(handle: (request: FhirRequest) => Promise<FhirResponse>): (patient: NewPatient) => Promise<void> {
  return async ({ id, name, accountId }) => {
    const resource = { resourceType: 'Patient', id, active: true, name: [{ text: name }] };
    const response = await handle({
      method: 'PUT',
      path: `Patient/${id}`,
      query: new URLSearchParams(),
      body: JSON.stringify(resource),
      contentType: 'application/fhir+json',
      headers: {},
      scope: { ...systemScope('portal sign-up'), ownerAccount: accountId },
    });
    if (response.status >= 300) {
      const text = response.body === undefined ? '' : response.body.kind === 'raw' ? response.body.text : JSON.stringify(response.body.value);
      throw new Error(`writing the Patient of a new account failed (${response.status}): ${text.slice(0, 500)}`);
    }
  };
}
