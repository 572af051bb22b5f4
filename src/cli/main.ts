import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { registerCertCommands } from './cert.js';
import { registerClientCommands } from './client.js';
import { registerFilterCommands } from './filter.js';
import { registerHieCommands } from './hie.js';
import { registerConsentCommands } from './consent.js';
import { registerContentCommands } from './content.js';
import { registerKeyCommands } from './key.js';
import { SOFTWARE_VERSION } from '../version.js';
import { exportCommand, type ExportOptions } from './export.js';
import { importCommand, type ImportOptions } from './import/import-command.js';
import { migrateCommand } from './migrate.js';
import { registerOrgCommands } from './org.js';
import { reindexCommand } from './reindex.js';
import { createOutput, type Output } from './output.js';
import { serve } from './serve.js';
import { registerStudyCommands } from './study.js';
import { registerUserCommands } from './user.js';
import { registerHieUserCommands } from './user-hie.js';

/** Runs the `fhirkeep` command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('fhirkeep')
    .description('Fhirkeep: a consent-driven FHIR R4 health-data platform')
    .version(SOFTWARE_VERSION)
    .option('--json', 'machine-readable output (one JSON document on stdout)')
    .exitOverride()
    .showHelpAfterError();
  let exitCode = 0;
  const run = (command: (out: Output) => Promise<number>) => async () => {
    exitCode = await command(createOutput(program.opts<{ json?: boolean }>().json === true));
  };
  program.command('serve').description('run the server (what npm start runs)').action(run(serve));
  program.command('migrate').description('apply database migrations and exit').action(run(migrateCommand));
  program
    .command('reindex')
    .description('rebuild the search index (of every resource, or of the types given)')
    .argument('[types...]', 'resource types, e.g. Observation Patient')
    .action((types: string[]) => run((out) => reindexCommand(types, out))());
  program
    .command('import')
    .description('load FHIR Bundles (.json, .json.gz) and ndjson (.ndjson, .ndjson.gz); resumable')
    .argument('<paths...>', 'files or folders (searched recursively)')
    .option('--parallel <n>', 'files loaded at once', '2')
    .action((paths: string[], options: ImportOptions) => run((out) => importCommand(paths, options, out))());
  program
    .command('export')
    .description('write every resource (or those of the types given), as of now, to <Type>-<n>.ndjson files in a new or empty folder; progress on stderr')
    .option('--type <types...>', 'resource types, e.g. --type Patient Observation (or Patient,Observation)')
    .option('--since <instant>', 'only resources last updated after this FHIR instant, e.g. 2024-01-31T12:00:00Z')
    .requiredOption('--out <dir>', 'the folder to write to: made if missing, refused if not empty')
    .action((options: ExportOptions) => run((out) => exportCommand(options, out))());
  registerHieUserCommands(registerUserCommands(program, run), run);
  registerOrgCommands(program, run);
  registerKeyCommands(program, registerClientCommands(program, run), run);
  registerFilterCommands(program, run);
  registerConsentCommands(program, run);
  registerStudyCommands(program, run);
  registerContentCommands(program, run);
  registerCertCommands(program, run);
  registerHieCommands(program, run);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    const out = createOutput(argv.includes('--json'));
    out.error(e instanceof ConfigError ? e.message : (e as Error).message ?? String(e));
    return 1;
  }
}
