import type { Command } from 'commander';
import type { AccountService } from '../auth/accounts/account-service.js';
import { findUser } from '../auth/accounts/find-user.js';
import { parseIdentifier, validateMemberRole } from '../auth/accounts/organization-input.js';
import { MEMBER_ROLES, type Organization } from '../auth/accounts/organization.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { RunCommand } from './output.js';
import { withAccounts } from './with-accounts.js';

/** `fhirkeep org create | list | team create | member add | member list` (CONTRACT.md, CLI). */
export function registerOrgCommands(program: Command, run: RunCommand): void {
  const org = program.command('org').description('organizations, their teams and members');
  org
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'its name')
    .option('--identifier <system|value>', 'an identifier, e.g. "http://hl7.org/fhir/sid/us-npi|1234567893"')
    .action((options: { name: string; identifier?: string }) =>
      run(async (out) => {
        const identifier = options.identifier === undefined ? undefined : parseIdentifier(options.identifier);
        const created = await withAccounts((accounts) => accounts.createOrganization({ name: options.name, identifier }));
        out.result(`Created organization ${describe(created)}`, { ...created });
        return 0;
      })(),
    );
  org
    .command('list')
    .description('list organizations, each followed by its teams')
    .action(() =>
      run(async (out) => {
        const list = await withAccounts((accounts) => accounts.listOrganizations());
        out.result(list.length === 0 ? 'No organizations' : list.map((o) => (o.kind === 'team' ? `  team ${describe(o)}` : describe(o))).join('\n'), {
          organizations: list,
        });
        return 0;
      })(),
    );

  org
    .command('team')
    .description('teams inside an organization')
    .command('create')
    .description('create a team inside an organization')
    .argument('<org>', 'organization id')
    .requiredOption('--name <name>', "the team's name")
    .action((orgId: string, options: { name: string }) =>
      run(async (out) => {
        const team = await withAccounts((accounts) => accounts.createTeam(orgId, options.name));
        out.result(`Created team ${describe(team)} in organization ${orgId}`, { ...team });
        return 0;
      })(),
    );

  const member = org.command('member').description('members of an organization or team');
  member
    .command('add')
    .description('add a user to an organization or team, or change their role there')
    .argument('<org>', 'organization or team id')
    .argument('<user>', 'account id or email')
    .option('--role <role>', `${MEMBER_ROLES.join(' or ')}`, 'member')
    .action((orgId: string, userRef: string, options: { role: string }) =>
      run(async (out) => {
        const role = validateMemberRole(options.role);
        const { account, membership } = await withAccounts(async (accounts) => {
          const organization = await findOrganization(accounts, orgId);
          const account = await findUser(accounts, userRef);
          return { account, membership: await accounts.addMember(organization.id, account.id, role) };
        });
        const { organization } = membership;
        out.result(`${account.email} is a ${role} of ${organization.kind} ${describe(organization)}`, { organization, account, role });
        return 0;
      })(),
    );
  member
    .command('list')
    .description('list the members of an organization or team')
    .argument('<org>', 'organization or team id')
    .action((orgId: string) =>
      run(async (out) => {
        const members = await withAccounts(async (accounts) => accounts.members((await findOrganization(accounts, orgId)).id));
        out.result(members.length === 0 ? 'No members' : members.map((m) => `${m.account.id}  ${m.account.email}  ${m.role}`).join('\n'), {
          members: members.map((m) => ({ account: m.account, role: m.role })),
        });
        return 0;
      })(),
    );
}

async function findOrganization(accounts: AccountService, id: string): Promise<Organization> {
  const found = await accounts.findOrganization(id);
  if (found === undefined) throw new FhirkeepError('not-found', `No organization ${id}`);
  return found;
}

function describe(o: Organization): string {
  return [o.id, o.name, o.identifier && `${o.identifier.system}|${o.identifier.value}`].filter((x) => x !== undefined).join('  ');
}
