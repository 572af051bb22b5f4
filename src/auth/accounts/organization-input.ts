import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { MEMBER_ROLES, type MemberRole, type OrganizationIdentifier } from './organization.js';

/** Longest organization or team name kept; identifiers get the same bound. */
export const MAX_ORGANIZATION_TEXT = 200;

export function validateOrganizationName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '') throw new FhirkeepError('bad-request', 'The name is empty');
  if (trimmed.length > MAX_ORGANIZATION_TEXT) throw new FhirkeepError('bad-request', `The name must have at most ${MAX_ORGANIZATION_TEXT} characters`);
  return trimmed;
}

/** Both parts are needed: an identifier's value is unique only within its system (FHIR R4 Identifier). */
export function validateIdentifier(identifier: OrganizationIdentifier): OrganizationIdentifier {
  const system = identifier.system.trim();
  const value = identifier.value.trim();
  if (system === '' || value === '') throw new FhirkeepError('bad-request', 'An identifier needs a system and a value (SYSTEM|VALUE)');
  if (system.length > MAX_ORGANIZATION_TEXT || value.length > MAX_ORGANIZATION_TEXT) {
    throw new FhirkeepError('bad-request', `An identifier's system and value must have at most ${MAX_ORGANIZATION_TEXT} characters each`);
  }
  return { system, value };
}

/**
 * `SYSTEM|VALUE`, split at the first bar as a FHIR token search writes an identifier (the CLI's
 * `--identifier`, the portal's field), then checked.
 */
export function parseIdentifier(text: string): OrganizationIdentifier {
  const bar = text.indexOf('|');
  if (bar < 0) throw new FhirkeepError('bad-request', `An identifier is SYSTEM|VALUE, not ${JSON.stringify(text.slice(0, MAX_ORGANIZATION_TEXT))}`);
  return validateIdentifier({ system: text.slice(0, bar), value: text.slice(bar + 1) });
}

export function validateMemberRole(role: string): MemberRole {
  if (!(MEMBER_ROLES as readonly string[]).includes(role)) {
    throw new FhirkeepError('bad-request', `Unknown member role ${role} (known: ${MEMBER_ROLES.join(', ')})`);
  }
  return role as MemberRole;
}
