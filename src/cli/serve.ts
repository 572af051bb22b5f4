import { constants } from 'node:os';
import { loadConfig } from '../config/load.js';
import { createFhirkeep, type Fhirkeep } from '../server.js';
import { stopOwnedClustersNow } from '../storage/cluster/local-cluster.js';
import { adminNotice } from './admin-notice.js';
import { demoNotice } from './demo-notice.js';
import type { Output } from './output.js';

/**
 * `fhirkeep serve`: run until SIGINT/SIGTERM, then shut down gracefully (docs/crash-safety.md):
 * refuse new work, let requests in flight finish within FHIRKEEP_SHUTDOWN_GRACE_SECONDS, hand
 * back export jobs, flush statistics, stop the embedded database. A second signal exits at once.
 */
export async function serve(out: Output): Promise<number> {
  const config = loadConfig();
  // Listened for before the start, so a signal during it still ends in an orderly close.
  let signals = 0;
  let fhirkeep: Fhirkeep | undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals === 1) {
        resolve(signal);
        return;
      }
      // The operator will not wait for the drain. A later start adopts or recovers the database.
      fhirkeep?.logger.warn({ signal }, 'second signal: exiting at once, requests in flight are dropped');
      stopOwnedClustersNow();
      process.exit(128 + constants.signals[signal]);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  fhirkeep = await createFhirkeep(config);
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
  fhirkeep.logger.info({ signal, graceSeconds: config.shutdownGraceSeconds }, 'shutting down: new connections are refused, requests in flight may finish');
  await fhirkeep.close();
  fhirkeep.logger.info('shut down');
  return 0;
}
