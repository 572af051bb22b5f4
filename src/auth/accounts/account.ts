/** What an account may do; an account holds one or more roles (CONTRACT.md `user create --role`). */
export const ROLES = ['patient', 'practitioner', 'researcher', 'developer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A person who can sign in. Never carries the password hash out of storage. */
export interface Account {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly displayName: string | undefined;
  /** The FHIR Patient this account holder is (role patient). */
  readonly patientId: string | undefined;
  /** The FHIR Practitioner this user is (role practitioner). */
  readonly practitionerId: string | undefined;
  readonly disabled: boolean;
}

/** Where a login attempt comes from, for throttling and the security log. */
export interface LoginOrigin {
  readonly ip: string;
  /** The application the user signs in to, when the login is part of its authorization request. */
  readonly clientId?: string | undefined;
}

/**
 * The FHIR resource that is the user (SMART `fhirUser`, relative): a practitioner acts as their
 * Practitioner, an account holder is their Patient (account input ties each id to its role).
 */
export function fhirUserOf(account: Account): string | undefined {
  if (account.roles.includes('practitioner') && account.practitionerId !== undefined) return `Practitioner/${account.practitionerId}`;
  if (account.patientId !== undefined) return `Patient/${account.patientId}`;
  return undefined;
}
