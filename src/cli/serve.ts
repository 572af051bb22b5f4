import { loadConfig } from '../config/load.js';
import { createFhirkeep } from '../server.js';
import { adminNotice } from './admin-notice.js';
import { demoNotice } from './demo-notice.js';
import type { Output } from './output.js';

/** `fhirkeep serve`: run until SIGINT/SIGTERM, then close cleanly (the embedded database too). */
export async function serve(out: Output): Promise<number> {
  const config = loadConfig();
  const fhirkeep = await createFhirkeep(config);
  const stopped = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  let baseUrl: string;
  try {
    baseUrl = await fhirkeep.listen();
  } catch (e) {
    await fhirkeep.close();
    throw e;
  }
  const admin = adminNotice(fhirkeep.adminBootstrap);
  const demo = demoNotice(fhirkeep.demo(), `${baseUrl}/fhir`);
  out.result(
    [
      `Fhirkeep is serving FHIR R4 at ${baseUrl}/fhir`,
      `  capability statement: ${baseUrl}/fhir/metadata`,
      `  SMART discovery:      ${baseUrl}/fhir/.well-known/smart-configuration`,
      `  sign-in and consent:  ${baseUrl}/oauth2/authorize (apps send users there)`,
      `  health:               ${baseUrl}/healthz, ${baseUrl}/readyz`,
      ...admin.lines,
      ...demo.lines,
      config.devNoAuth
        ? '  WARNING: FHIRKEEP_DEV_NO_AUTH=1 — requests without a token may read and write everything'
        : '  The FHIR API requires an access token (register an app: fhirkeep client create …)',
    ].join('\n'),
    { baseUrl, fhir: `${baseUrl}/fhir`, devNoAuth: config.devNoAuth, ...(admin.json === undefined ? {} : { admin: admin.json }),
      ...(demo.json === undefined ? {} : { demo: demo.json }),
    },
  );
  const signal = await stopped;
  fhirkeep.logger.info({ signal }, 'shutting down');
  await fhirkeep.close();
  return 0;
}
