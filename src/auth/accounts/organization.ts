import type { Account } from './account.js';

/** A team is a group inside one organization (CONTRACT.md `org …`; schema: organizations.kind). */
export type OrganizationKind = 'organization' | 'team';

/** How a member belongs to an organization or team: managers may manage it (portal, issue 4). */
export const MEMBER_ROLES = ['member', 'manager'] as const;
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** An identifier as FHIR writes one (R4 Identifier.system + value), e.g. an NPI or a national id. */
export interface OrganizationIdentifier {
  readonly system: string;
  readonly value: string;
}

export interface Organization {
  readonly id: string;
  readonly kind: OrganizationKind;
  /** The organization a team belongs to; undefined for an organization. */
  readonly parentId: string | undefined;
  readonly name: string;
  readonly identifier: OrganizationIdentifier | undefined;
}

/** An account's place in one organization or team. */
export interface Membership {
  readonly organization: Organization;
  readonly role: MemberRole;
}

/** One member of an organization or team. */
export interface Member {
  readonly account: Account;
  readonly role: MemberRole;
}
