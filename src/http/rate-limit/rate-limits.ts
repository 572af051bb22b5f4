import type { Principal } from '../../access/principal.js';
import type { AccessScope } from '../../access/scope.js';
import { statisticsClient } from '../../audit/request-statistics.js';
import { addressBlock } from '../../auth/accounts/login-throttle.js';
import type { RateLimitSettings } from '../../config/schema.js';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { perMinute, type BucketStore } from './token-bucket.js';

/**
 * Counts one request of `subject` (an address or a client id): returns when it may pass, throws
 * `too-many-requests` with Retry-After when its bucket is empty. Synchronous whenever the store
 * can answer at once.
 */
export type Admit = (subject: string) => void | Promise<void>;

/** The limits of each class of request (docs/limits.md); undefined where the setting is 0 (no limit). */
export interface RateLimits {
  readonly fhirPerIp: Admit | undefined;
  readonly fhirPerClient: Admit | undefined;
  readonly tokenPerIp: Admit | undefined;
  readonly tokenPerClient: Admit | undefined;
  readonly loginPerIp: Admit | undefined;
}

export function createRateLimits(settings: RateLimitSettings, store: BucketStore): RateLimits {
  const limiter = (requestsPerMinute: number, prefix: string, what: string, subjectKey: (subject: string) => string = (s) => s): Admit | undefined => {
    if (requestsPerMinute === 0) return undefined;
    const limit = perMinute(requestsPerMinute);
    const refuse = (seconds: number) =>
      // RFC 6585 §4 (429) with RFC 9110 §10.2.3 Retry-After in seconds.
      new FhirkeepError('too-many-requests', `Too many ${what} (at most ${requestsPerMinute} a minute); try again in ${seconds} seconds`, {
        headers: { 'Retry-After': String(seconds) },
      });
    return (subject) => {
      const wait = store.take(prefix + subjectKey(subject), limit);
      if (wait === 0) return;
      if (typeof wait === 'number') throw refuse(wait);
      return wait.then((seconds) => {
        if (seconds !== 0) throw refuse(seconds);
      });
    };
  };
  // An IPv6 address counts by its /64, as the login throttle counts it: one end site gets a whole /64.
  return {
    fhirPerIp: limiter(settings.fhirPerIp, 'fhir-ip:', 'FHIR requests from your address', addressBlock),
    fhirPerClient: limiter(settings.fhirPerClient, 'fhir-client:', 'FHIR requests from this client'),
    tokenPerIp: limiter(settings.tokenPerIp, 'token-ip:', 'token requests from your address', addressBlock),
    tokenPerClient: limiter(settings.tokenPerClient, 'token-client:', 'token requests for this client'),
    loginPerIp: limiter(settings.loginPerIp, 'login-ip:', 'sign-in attempts from your network', addressBlock),
  };
}

/**
 * The scope resolver of the FHIR and Bulk Data routes, counting each request against its
 * client's limit once the credential says which client it is (a principal without a client,
 * anonymous or the system, counts only by address).
 */
export function limitedPerClient<C>(resolve: (credentials: C) => Promise<AccessScope>, admit: Admit | undefined): (credentials: C) => Promise<AccessScope> {
  if (admit === undefined) return resolve;
  return async (credentials) => {
    const scope = await resolve(credentials);
    await admitClientOf(scope.principal, admit);
    return scope;
  };
}

function admitClientOf(principal: Principal, admit: Admit): void | Promise<void> {
  const clientId = statisticsClient(principal);
  return clientId === undefined ? undefined : admit(clientId);
}
