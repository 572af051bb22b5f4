import type { LoadedDemo } from '../demo/load-demo.js';

/** What `serve` prints about the demo: banner lines, and the `demo` member of its --json document. */
export interface DemoNotice {
  readonly lines: readonly string[];
  readonly json: LoadedDemo | undefined;
}

/**
 * Printed once, on the start that loaded the demo: like the admin password, its secrets go to
 * stdout only (never to the log) and exist nowhere else in clear.
 */
export function demoNotice(demo: LoadedDemo | undefined, fhirBase: string): DemoNotice {
  if (demo === undefined) return { lines: [], json: undefined };
  return {
    lines: [
      `  demo patients:        ${demo.patients.join(', ')} (FHIRKEEP_DEMO=0 on a fresh data directory skips the demo)`,
      `  demo patient login:   ${demo.patientLogin.email} / ${demo.patientLogin.password} (Patient/${demo.patientLogin.patientId})`,
      `  demo SMART app:       client_id ${demo.app.clientId}, public, redirect_uri ${demo.app.redirectUri}`,
      `  demo service:         client_id ${demo.service.clientId}, secret ${demo.service.clientSecret}`,
      `  demo service API key: ${demo.service.apiKey} (Alice subscribed to it), try:`,
      `                        curl -H "Authorization: Bearer ${demo.service.apiKey}" ${fhirBase}/Observation`,
      '                        (shown only this once: store what you need)',
    ],
    json: demo,
  };
}
