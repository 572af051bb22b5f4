import { Option, type Command } from 'commander';
import type { AccountService } from '../auth/accounts/account-service.js';
import { handOverManagement } from '../auth/keys/hand-over.js';
import { KEY_TYPES, keyView, type KeyType, type ServiceKey } from '../auth/keys/service-key.js';
import type { ServiceManager } from '../storage/auth/service-manager-store.js';
import { SHOWN_ONCE } from './client.js';
import type { RunCommand } from './output.js';
import { OPERATOR, withKeys } from './with-keys.js';

/**
 * `fhirkeep key create|list|revoke` and `fhirkeep client manager`: services' API keys and who
 * manages them. `--json` prints what the key API answers.
 */
export function registerKeyCommands(program: Command, client: Command, run: RunCommand): void {
  const key = program.command('key').description('API keys of services, brokers and research partners (static, refresh, certificate)');
  key
    .command('create')
    .description('create an API key; prints its key_id and, once, its secret (or the CN its certificate needs)')
    .requiredOption('--client <client-id>', 'the service the key is for')
    .addOption(new Option('--type <type>', 'kind of key').choices(KEY_TYPES).makeOptionMandatory())
    .option('--name <name>', 'what the key is for, shown in lists')
    .action((o: { client: string; type: KeyType; name?: string }) =>
      run((out) =>
        withKeys(async (keys) => {
          const { key: made, secret } = await keys.create(o.client, { type: o.type, name: o.name }, OPERATOR);
          const human = [`Created ${made.type} key${made.name === undefined ? '' : ` "${made.name}"`} for client ${made.clientId}`, `key_id: ${made.id}`];
          if (secret !== undefined) human.push(`secret: ${secret}`, SHOWN_ONCE);
          if (made.certificateCn !== undefined) {
            human.push(`certificate_cn: ${made.certificateCn}`, `Have the service make a CSR with this CN, then sign it: fhirkeep cert sign --key ${made.id} CSR_FILE`);
          }
          out.result(human.join('\n'), { ...keyView(made), ...(secret === undefined ? {} : { secret }) });
          return 0;
        }),
      )(),
    );
  key
    .command('list')
    .description("list a service's keys (never their secrets)")
    .requiredOption('--client <client-id>', 'the service')
    .action((o: { client: string }) =>
      run((out) =>
        withKeys(async (keys) => {
          const list = await keys.list(o.client, OPERATOR);
          out.result(list.length === 0 ? `No keys for client ${o.client}` : list.map(line).join('\n'), { keys: list.map(keyView) });
          return 0;
        }),
      )(),
    );
  key
    .command('revoke')
    .description('revoke a key at once, on every server (tokens got with it stop working too)')
    .argument('<key-id>')
    .action((id: string) =>
      run((out) =>
        withKeys(async (keys) => {
          const revoked = await keys.revoke(id, OPERATOR);
          out.result(`Revoked ${revoked.type} key ${revoked.id} of client ${revoked.clientId}`, { ...keyView(revoked) });
          return 0;
        }),
      )(),
    );

  client
    .command('manager')
    .description("show who manages a service's keys, or hand that to an account or to an organization or team")
    .argument('<client-id>')
    .addOption(new Option('--account <id-or-email>', 'hand management to this account').conflicts('org'))
    .option('--org <org-id>', 'hand management to the members of this organization or team')
    .action((clientId: string, o: { account?: string; org?: string }) =>
      run((out) =>
        withKeys(async (keys, { accounts }) => {
          const to = o.account !== undefined ? { account: o.account } : o.org !== undefined ? { organization: o.org } : undefined;
          const manager = to === undefined ? await keys.managerOf(clientId, OPERATOR) : await handOverManagement(keys, accounts, clientId, to, OPERATOR);
          const who = await describeManager(accounts, manager);
          out.result(to === undefined ? `Client ${clientId} is managed by ${who}` : `Client ${clientId} is now managed by ${who}`, { ...manager });
          return 0;
        }),
      )(),
    );
}


async function describeManager(accounts: AccountService, manager: ServiceManager): Promise<string> {
  if (manager.kind === 'none') return 'nobody: only admins and the operator manage its keys';
  if (manager.kind === 'account') return `account ${manager.id} (${(await accounts.find(manager.id))?.email ?? 'unknown'})`;
  const organization = await accounts.findOrganization(manager.id);
  return `the members of ${organization?.kind ?? 'organization'} ${manager.id} (${organization?.name ?? 'unknown'})`;
}

function line(k: ServiceKey): string {
  const expires = k.expiresAt === undefined ? '' : `  expires ${k.expiresAt.toISOString()}`;
  const used = k.lastUsedAt === undefined ? '  never used' : `  last used ${k.lastUsedAt.toISOString()}`;
  return `${k.id}  ${k.type.padEnd(11)}  ${k.name ?? '-'}  created ${k.createdAt.toISOString()}${expires}${used}${k.revokedAt === undefined ? '' : '  [revoked]'}`;
}
