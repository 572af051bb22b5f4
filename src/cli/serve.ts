import { loadConfig } from '../config/load.js';
import { createFhirkeep } from '../server.js';
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
  out.result(
    [
      `Fhirkeep is serving FHIR R4 at ${baseUrl}/fhir`,
      `  capability statement: ${baseUrl}/fhir/metadata`,
      `  health:               ${baseUrl}/healthz, ${baseUrl}/readyz`,
      config.devNoAuth
        ? '  WARNING: FHIRKEEP_DEV_NO_AUTH=1 — the FHIR API needs no authentication'
        : '  The FHIR API requires authentication (answers 401); to try it locally, start with FHIRKEEP_DEV_NO_AUTH=1',
    ]
      .filter((l) => l !== '')
      .join('\n'),
    { baseUrl, fhir: `${baseUrl}/fhir`, devNoAuth: config.devNoAuth },
  );
  const signal = await stopped;
  fhirkeep.logger.info({ signal }, 'shutting down');
  await fhirkeep.close();
  return 0;
}
