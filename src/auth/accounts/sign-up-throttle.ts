import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { LoginFailureStore } from '../../storage/auth/login-failure-store.js';
import { addressBlock } from './login-throttle.js';

/**
 * Sign-ups allowed from one address (an IPv6 /64 counts as one) per window. Each attempt writes
 * an argon2 hash and may be an email probe ("exists already"), so attempts are counted whatever
 * their outcome; ten in fifteen minutes is more than a household signing up needs.
 */
export const DEFAULT_SIGN_UPS_PER_ADDRESS = 10;

export interface SignUpThrottle {
  /** Counts one sign-up attempt from `ip`; throws `too-many-requests` (with Retry-After) past the limit. */
  admit(ip: string): Promise<void>;
}

/**
 * Kept in the login throttle's table (one set of counters every node sees) under its own keys.
 * `windowSeconds` must be the login throttle's: its purge drops every window older than that.
 */
export function createSignUpThrottle(store: LoginFailureStore, limits: { readonly perAddress: number; readonly windowSeconds: number }): SignUpThrottle {
  return {
    async admit(ip) {
      const key = `sign-up:${addressBlock(ip)}`;
      // Counted first, then read: concurrent attempts each see at least their own count, so none slips past the limit.
      await store.increment([key], limits.windowSeconds);
      const window = (await store.read([key], limits.windowSeconds)).get(key);
      if (window !== undefined && window.failures > limits.perAddress) {
        // RFC 6585 §4 (429) with RFC 9110 §10.2.3 Retry-After in seconds.
        throw new FhirkeepError('too-many-requests', `Too many sign-ups from your network; try again in ${window.secondsLeft} seconds`, {
          headers: { 'Retry-After': String(window.secondsLeft) },
        });
      }
    },
  };
}
