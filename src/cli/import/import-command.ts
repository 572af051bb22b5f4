import { join } from 'node:path';
import { systemScope } from '../../access/scope.js';
import { loadConfig } from '../../config/load.js';
import { createFhirCore } from '../../server.js';
import { pino, destination } from 'pino';
import type { Output } from '../output.js';
import { findImportFiles } from './import-files.js';
import { ImportState } from './import-state.js';
import { importFiles, type ImportProgress } from './importer.js';

export interface ImportOptions {
  readonly parallel: string;
}

/** `fhirkeep import <files|dirs…>`: Bundles and ndjson, resumable, with progress and a summary. */
export async function importCommand(paths: readonly string[], options: ImportOptions, out: Output): Promise<number> {
  const parallel = Number(options.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 16) throw new Error('--parallel takes a whole number from 1 to 16');
  const files = findImportFiles(paths);
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const config = loadConfig();
  // No listener: only the FHIR core. Links in stored data never depend on the base URL, so the configured one serves.
  const baseUrl = config.baseUrl ?? 'http://localhost';
  const fhirkeep = await createFhirCore(config, { logger: pino({ level: 'warn' }, destination(2)), clusterMode: 'share', publicBase: () => baseUrl });
  const state = new ImportState(join(config.dataDir, 'import-state.json'));
  const progress: ImportProgress = { resources: 0, bytesDone: 0, filesDone: 0, skipped: 0, auditEventsLeftOut: 0, failures: [] };
  const started = Date.now();
  const report = (): void => {
    const seconds = (Date.now() - started) / 1000;
    const rate = progress.resources / Math.max(seconds, 0.001);
    const left = progress.bytesDone === 0 ? undefined : ((totalBytes - progress.bytesDone) * seconds) / progress.bytesDone;
    out.note(
      `${progress.filesDone}/${files.length} files, ${progress.resources} resources, ${rate.toFixed(0)}/s` +
        (left === undefined ? '' : `, ETA ${left.toFixed(0)} s`) +
        (progress.failures.length > 0 ? `, ${progress.failures.length} failed` : ''),
    );
  };
  const timer = setInterval(report, 1000);
  try {
    // An audited system scope: the operator, not an application, is loading these records.
    await importFiles(files, (req) => fhirkeep.router.handle(req), systemScope('fhirkeep import'), state, progress, parallel);
  } finally {
    clearInterval(timer);
    await fhirkeep.close();
  }
  report();
  const seconds = (Date.now() - started) / 1000;
  const imported = files.length - progress.skipped - new Set(progress.failures.map((f) => f.file)).size;
  out.result(
    [
      `Imported ${progress.resources} resources from ${imported} files in ${seconds.toFixed(1)} s` +
        (progress.skipped > 0 ? `; ${progress.skipped} files were already imported` : '') +
        (progress.auditEventsLeftOut > 0 ? `; left out ${progress.auditEventsLeftOut} AuditEvents (the audit trail is written by this server alone)` : ''),
      ...progress.failures.map((f) => `  FAILED ${f.file}: ${f.reason}`),
    ].join('\n'),
    { files: files.length, skipped: progress.skipped, resources: progress.resources, auditEventsLeftOut: progress.auditEventsLeftOut, seconds, failures: progress.failures },
  );
  return progress.failures.length === 0 ? 0 : 1;
}
