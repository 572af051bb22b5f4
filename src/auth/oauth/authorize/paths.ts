/** The authorization endpoint and the pages behind it (CONTRACT.md HTTP surface). */
export const AUTHORIZE_PATHS = {
  /** RFC 6749 §3.1; SMART `authorize-post` accepts POST too. */
  authorize: '/oauth2/authorize',
  /** Shows whichever page the pending request needs next (login, patient picker, consent). */
  continue: '/oauth2/authorize/continue',
  login: '/oauth2/authorize/login',
  patient: '/oauth2/authorize/patient',
  consent: '/oauth2/authorize/consent',
  logout: '/oauth2/logout',
  launches: '/api/launches',
} as const;
