import type { FastifyRequest } from 'fastify';
import type { Consent } from '../../../access/consents/consent.js';
import type { ScopeRules } from '../token-endpoint.js';
import type { AuthorizationRequestStore } from '../../../storage/auth/authorization-request-store.js';
import type { Account, LoginOrigin } from '../../accounts/account.js';
import type { RegisteredClient } from '../../clients/client.js';
import type { GrantService } from '../../grants/grant-service.js';
import type { RecordSecurityEvent } from '../../security-events.js';
import type { SessionService } from '../../sessions/session-service.js';

export interface ClientDirectory {
  /** Undefined for an unknown client id; revoked clients are returned with `revoked: true`. */
  find(id: string): Promise<RegisteredClient | undefined>;
}

export interface AccountDirectory {
  /**
   * Checks a password. Throws FhirkeepError 'unauthorized' for a wrong email or password (never
   * saying which) or 'too-many-requests' (with a Retry-After header) while throttled. Records
   * the attempt as a `login` security event (with `origin.clientId`).
   */
  authenticate(email: string, password: string, origin: LoginOrigin): Promise<Account>;
  find(id: string): Promise<Account | undefined>;
}

/** The SMART scope grammar as the authorization endpoint uses it (the token endpoint's rules). */
export type ScopePolicy = ScopeRules;

/** A patient as the picker lists it. */
export interface PatientSummary {
  readonly id: string;
  readonly name: string;
  readonly birthDate?: string;
}

/** The patients an account may pick for an app (or launch an app for): its own access applies. */
export interface PatientDirectory {
  search(account: Account, text: string, limit: number): Promise<readonly PatientSummary[]>;
  /** The same patient search could list to this account, or undefined. */
  find(account: Account, id: string): Promise<PatientSummary | undefined>;
}

/**
 * The account holder's consents for apps (issue 5: given on first use of the app, confirmed again
 * after its access filter changed).
 */
export interface AppConsents {
  /** The holder's consent for this app, whatever its status; undefined before the first. */
  find(accountId: string, clientId: string): Promise<Consent | undefined>;
  /** Records (or confirms) the holder's active consent at the client's current filter version, with these scopes. */
  approve(accountId: string, clientId: string, scopes: readonly string[]): Promise<void>;
}

/** Everything the authorization endpoint, its pages and the launch API need from the rest of Fhirkeep. */
export interface AuthorizeDependencies {
  /** The FHIR base URL (`aud` must name it; EHR launch URLs carry it as `iss`). */
  readonly fhirBase: () => string;
  /** The authorization server's issuer identifier, sent as `iss` with every response (RFC 9207 §2). */
  readonly issuer: () => string;
  readonly clients: ClientDirectory;
  readonly accounts: AccountDirectory;
  readonly scopes: ScopePolicy;
  readonly patients: PatientDirectory;
  readonly grants: GrantService;
  readonly consents: AppConsents;
  /**
   * The app's access filter in human terms, one line per part, shown on the consent page (issue
   * 5); empty when the app has no filter.
   */
  readonly describeAccess: (client: RegisteredClient) => Promise<readonly string[]>;
  readonly sessions: SessionService;
  readonly requests: AuthorizationRequestStore;
  /** Who calls the JSON API (`POST /api/launches`); throws FhirkeepError 'unauthorized' otherwise. */
  readonly authenticateApi: (request: FastifyRequest) => Promise<Account>;
  readonly recordSecurityEvent: RecordSecurityEvent;
}
