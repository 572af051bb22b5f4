/**
 * How long each credential lives, in seconds: one table, so the revocation view, the token
 * responses and the stores agree.
 */
export const LIFETIMES = {
  /** Access tokens are short so a stolen one is worth little; revocation covers the rest. */
  accessToken: 15 * 60,
  /** An access token a service got with a refresh key (issue 6: "valid 5 hours"); revocation covers it. */
  serviceAccessToken: 5 * 3600,
  /** A research partner's token (issue 7: the partner documentation promises `expires_in: 3600`). */
  researchToken: 3600,
  idToken: 15 * 60,
  /** SMART App Launch §"authorization code": the code must be short-lived; ≤ 5 min (issue 4). */
  authorizationCode: 5 * 60,
  /** An EHR launch value is used within moments of being made. */
  launch: 5 * 60,
  /** `offline_access`: the app keeps working while the user is away, until the grant is revoked. */
  offlineRefreshToken: 90 * 24 * 3600,
  /** `online_access`: only while the user is plausibly still at the app. */
  onlineRefreshToken: 12 * 3600,
  /** A pending /oauth2/authorize request (login, consent, patient picker). */
  authorizationRequest: 15 * 60,
  /** A browser's sign-in at the login page: a working day, then the password again. */
  browserSession: 8 * 3600,
  /** SMART Backend Services §"Authenticating to the token endpoint": assertion exp ≤ 5 minutes ahead. */
  maxAssertionAhead: 5 * 60,
  /** Clock differences tolerated on assertion times (RFC 7523 §3 "reasonable leeway"). */
  clockSkew: 60,
} as const;
