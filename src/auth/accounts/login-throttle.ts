import { isIPv6 } from 'node:net';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { FailureWindow, LoginFailureStore } from '../../storage/auth/login-failure-store.js';

/**
 * NIST SP 800-63B §5.2.2 (rate limiting) and OWASP Authentication Cheat Sheet (account lockout):
 * failures are counted per account (guessing one password) and per client address (spraying
 * one password over many accounts); either limit reached locks logins until its window ends.
 */
export interface ThrottleLimits {
  /** Failed logins of one account in a window before it is locked. */
  readonly accountFailures: number;
  /** Failed logins from one IP address in a window before it is locked. */
  readonly ipFailures: number;
  readonly windowSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleLimits = { accountFailures: 5, ipFailures: 20, windowSeconds: 15 * 60 };

/**
 * Whom a login attempt is counted against: the account, or (for an email without an account) the
 * email itself, so an unknown email locks exactly like a known one and lockouts reveal nothing.
 */
export type LoginSubject = { readonly accountId: string } | { readonly email: string };

export interface LoginThrottle {
  /** Throws `too-many-requests` with `Retry-After` when the subject or the address is locked. */
  check(subject: LoginSubject, ip: string): Promise<void>;
  recordFailure(subject: LoginSubject, ip: string): Promise<void>;
  /** A successful login clears the account's counter (not the address's: it may be shared by an attacker). */
  recordSuccess(accountId: string): Promise<void>;
}

export function createLoginThrottle(store: LoginFailureStore, limits: ThrottleLimits = DEFAULT_THROTTLE): LoginThrottle {
  const subjectKey = (s: LoginSubject) => ('accountId' in s ? `account:${s.accountId}` : `email:${s.email.toLowerCase()}`);
  const ipKey = (ip: string) => `ip:${addressBlock(ip)}`;
  let lastPurge = 0;

  return {
    async check(subject, ip) {
      const keys = { subject: subjectKey(subject), ip: ipKey(ip) };
      const windows = await store.read([keys.subject, keys.ip], limits.windowSeconds);
      const locks = [
        lockedFor(windows.get(keys.subject), limits.accountFailures),
        lockedFor(windows.get(keys.ip), limits.ipFailures),
      ];
      const seconds = Math.max(...locks);
      if (seconds > 0) {
        // RFC 6585 §4 (429) with RFC 9110 §10.2.3 Retry-After in seconds.
        throw new FhirkeepError('too-many-requests', `Too many failed logins; try again in ${seconds} seconds`, {
          headers: { 'Retry-After': String(seconds) },
        });
      }
    },

    async recordFailure(subject, ip) {
      await store.increment([subjectKey(subject), ipKey(ip)], limits.windowSeconds);
      // Ended windows are deleted at most once a window per node; the rows are tiny, the timing loose.
      const now = Date.now();
      if (now - lastPurge >= limits.windowSeconds * 1000) {
        lastPurge = now;
        await store.purgeExpired(limits.windowSeconds);
      }
    },

    async recordSuccess(accountId) {
      await store.clear(subjectKey({ accountId }));
    },
  };
}

/** Seconds the key stays locked, 0 when it is not. */
function lockedFor(window: FailureWindow | undefined, limit: number): number {
  return window !== undefined && window.failures >= limit ? window.secondsLeft : 0;
}

/**
 * The unit an address is counted as: an IPv4 address itself, but an IPv6 address by its /64,
 * since one end site is routinely given a whole /64 (RFC 6177 §3) and could otherwise rotate
 * through addresses to escape the limit. IPv4-mapped IPv6 (`::ffff:192.0.2.1`) counts as IPv4.
 */
export function addressBlock(ip: string): string {
  // Most addresses are IPv4: answered without a regular expression (every FHIR request asks).
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null) return mapped[1] as string;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
