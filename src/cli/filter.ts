import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { WRITE_MODES, type WriteMode } from '../access/filter/access-filter.js';
import { accessFilterJson, createAccessFilterService, type AccessFilterService, type AccessFilterView } from '../access/filter/filter-service.js';
import { currentTaxonomy } from './content.js';
import type { ClientReach } from '../auth/clients/client.js';
import { loadDefinitions } from '../fhir/definitions.js';
import { withRegistry, type CommandRunner } from './client.js';
import type { Output } from './output.js';

interface SetOptions {
  readonly writeMode?: WriteMode;
  readonly reach?: ClientReach;
  readonly keepUsersSignedIn?: true;
}

/** `fhirkeep filter set|get` (CONTRACT.md): an application's access filter, docs/access-filters.md. */
export function registerFilterCommands(program: Command, run: CommandRunner): void {
  const filter = program.command('filter').description("an application's access filter (expert-mode JSON) and write mode");
  filter
    .command('set')
    .description("save a client's access filter from a JSON file (- for standard input; the JSON null removes it); logs out the app's users unless told not to")
    .argument('<client-id>')
    .argument('<file>', 'the filter as JSON, e.g. {"$or": [{"content": "body/weight"}]}')
    .addOption(new Option('--write-mode <mode>', 'what the app may write (default: unchanged)').choices(WRITE_MODES))
    .addOption(new Option('--reach <reach>', 'consented: what consents share; all: every record (default: unchanged)').choices(['consented', 'all']))
    .option('--keep-users-signed-in', "keep the app's users signed in: their tokens go on working under the new filter (they still confirm it at their next sign-in)")
    .action((id: string, file: string, options: SetOptions) =>
      run((out) =>
        withFilters(async (filters) => {
          const saved = await filters.setAccessFilter(id, {
            filter: readFilter(file),
            ...(options.writeMode === undefined ? {} : { writeMode: options.writeMode }),
            ...(options.reach === undefined ? {} : { reach: options.reach }),
            logoutUsers: options.keepUsersSignedIn !== true,
          });
          const loggedOut = saved.revokedGrants === 0 ? '' : `\n${saved.revokedGrants} user authorizations revoked: users must confirm again`;
          out.result(`Saved the access filter of client ${id} (version ${saved.filterVersion})\n${human(saved)}${loggedOut}`, { ...accessFilterJson(saved), revoked_grants: saved.revokedGrants });
          return 0;
        }),
      )(),
    );
  filter
    .command('get')
    .description("show a client's access filter, write mode, what it means and the scopes it implies")
    .argument('<client-id>')
    .action((id: string) => run((out) => withFilters(async (filters) => show(await filters.get(id), out)))());
}

function show(view: AccessFilterView, out: Output): number {
  out.result(`${JSON.stringify(view.filter, null, 2)}\n${human(view)}`, accessFilterJson(view));
  return 0;
}

function human(v: AccessFilterView): string {
  return [
    `version: ${v.filterVersion}   write mode: ${v.writeMode}   reach: ${v.reach}`,
    ...(v.problem === undefined ? [] : [`problem: ${v.problem}`]),
    ...v.description.map((line) => `  - ${line}`),
    `implied scopes: ${v.impliedScopes.join(' ')}`,
  ].join('\n');
}

function readFilter(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read the filter file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`The filter file ${file} is not JSON`);
  }
}

function withFilters(work: (filters: AccessFilterService) => Promise<number>): Promise<number> {
  // The operator's CLI reaches every client, like an admin. Servers hear the change through NOTIFY
  // (the client row and the revoked grants), so the users' tokens stop working there at once.
  return withRegistry(async (registry, db) => work(createAccessFilterService(registry, { taxonomy: await currentTaxonomy(db.sql), resourceTypes: loadDefinitions().resourceTypes })));
}
