import type { Command } from 'commander';
import { hieClientView } from '../auth/dialects/hie/admin-views.js';
import type { HieClient } from '../auth/dialects/hie/hie-client.js';
import type { RunCommand } from './output.js';
import { withHie } from './with-hie.js';

const SHOWN_ONCE = 'The X-Auth-Token is shown only now: give it to the organization (Fhirkeep keeps only its hash).';

/** `fhirkeep hie token create | list | revoke` (CONTRACT.md, CLI; docs/hie.md): organizations' HIE API credentials. */
export function registerHieCommands(program: Command, run: RunCommand): void {
  const token = program.command('hie').description('the HIE login dialect (docs/hie.md)').command('token').description("organizations' client_id + X-Auth-Token");
  token
    .command('create')
    .description("issue an organization's client_id and X-Auth-Token (shown once)")
    .requiredOption('--org <org-id>', 'the organization (fhirkeep org create)')
    .action((o: { org: string }) =>
      run((out) =>
        withHie(async (hie) => {
          const { client, token: secret } = await hie.clients.create(o.org);
          out.result([`Created HIE credentials for organization ${client.organizationId}`, `client_id: ${client.id}`, `X-Auth-Token: ${secret}`, SHOWN_ONCE].join('\n'), {
            ...hieClientView(client),
            x_auth_token: secret,
          });
          return 0;
        }),
      )(),
    );
  token
    .command('list')
    .description('list every client_id (never a token)')
    .action(() =>
      run((out) =>
        withHie(async (hie) => {
          const list = await hie.clients.list();
          out.result(list.length === 0 ? 'No HIE credentials' : list.map(line).join('\n'), { clients: list.map(hieClientView) });
          return 0;
        }),
      )(),
    );
  token
    .command('revoke')
    .description('revoke a client_id: its calls and the sessions it signed in stop at once')
    .argument('<client-id>')
    .action((id: string) =>
      run((out) =>
        withHie(async (hie) => {
          const revoked = await hie.clients.revoke(id);
          out.result(`Revoked HIE client_id ${revoked.id} of organization ${revoked.organizationId}`, hieClientView(revoked));
          return 0;
        }),
      )(),
    );
}

function line(c: HieClient): string {
  return `${c.id}  organization ${c.organizationId}  created ${c.createdAt.toISOString()}${c.revokedAt === undefined ? '' : '  [revoked]'}`;
}
