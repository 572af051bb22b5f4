import { Option, type Command } from 'commander';
import { hieAccountView } from '../auth/dialects/hie/admin-views.js';
import type { HieService } from '../auth/dialects/hie/hie-service.js';
import { PROFILE_TYPES } from '../auth/dialects/hie/profile.js';
import type { HieAccount } from '../storage/auth/hie-account-store.js';
import type { RunCommand } from './output.js';
import { withHie } from './with-hie.js';

/**
 * `fhirkeep user profile add|list|remove`, `user group add|remove`, `user activate|deactivate`
 * (CONTRACT.md, CLI; docs/hie.md): what the HIE dialect knows of an account.
 */
export function registerHieUserCommands(user: Command, run: RunCommand): void {
  const change = (describe: (a: HieAccount) => string, apply: (hie: HieService) => Promise<HieAccount>) =>
    run((out) =>
      withHie(async (hie) => {
        const account = await apply(hie);
        out.result(describe(account), hieAccountView(account));
        return 0;
      }),
    )();

  const profile = user.command('profile').description("HIE profiles: what a user is to the HIE, and the areas it serves");
  profile
    .command('add')
    .description('add a profile, or replace the catchments of the one with this type and id')
    .argument('<user>', 'account id or email')
    .addOption(new Option('--type <type>', 'profile type').choices(PROFILE_TYPES).makeOptionMandatory())
    .requiredOption('--id <id>', "the provider's, facility's or admin's id; a patient's Patient id")
    .option('--catchment <code>', 'an area code it serves (2–12 digits, even length); repeat for several; none for a patient', collect, [])
    .action((ref: string, o: { type: string; id: string; catchment: string[] }) =>
      change((a) => `${a.email} has the ${o.type} profile ${o.id}\n${profiles(a)}`, (hie) => hie.accounts.putProfile(ref, { type: o.type, id: o.id, catchments: o.catchment })),
    );
  profile
    .command('list')
    .description("a user's profiles and groups")
    .argument('<user>', 'account id or email')
    .action((ref: string) => change((a) => `${a.email}${a.activatedAt === undefined ? '  [not activated]' : ''}\n${profiles(a)}\ngroups: ${a.groups.join(', ') || '-'}`, (hie) => hie.accounts.find(ref)));
  profile
    .command('remove')
    .description('remove a profile')
    .argument('<user>', 'account id or email')
    .addOption(new Option('--type <type>', 'profile type').choices(PROFILE_TYPES).makeOptionMandatory())
    .requiredOption('--id <id>', 'its id')
    .action((ref: string, o: { type: string; id: string }) => change((a) => `Removed the ${o.type} profile ${o.id} of ${a.email}`, (hie) => hie.accounts.removeProfile(ref, o.type, o.id)));

  const group = user.command('group').description('HIE groups ("MCI Admin", "API Consumer" …), as token info reports them');
  group
    .command('add')
    .argument('<user>', 'account id or email')
    .argument('<group>', 'group name')
    .action((ref: string, name: string) => change((a) => `${a.email} is in the groups: ${a.groups.join(', ')}`, (hie) => hie.accounts.addGroup(ref, name)));
  group
    .command('remove')
    .argument('<user>', 'account id or email')
    .argument('<group>', 'group name')
    .action((ref: string, name: string) => change((a) => `${a.email} is in the groups: ${a.groups.join(', ') || '-'}`, (hie) => hie.accounts.removeGroup(ref, name)));

  user
    .command('activate')
    .description('activate an account for the HIE dialect (accounts are created activated)')
    .argument('<user>', 'account id or email')
    .action((ref: string) => change((a) => `Activated ${a.email}`, (hie) => hie.accounts.setActivated(ref, true)));
  user
    .command('deactivate')
    .description('withdraw the activation: the HIE dialect refuses the account from its next request (other sign-ins are untouched; see user disable)')
    .argument('<user>', 'account id or email')
    .action((ref: string) => change((a) => `Deactivated ${a.email}`, (hie) => hie.accounts.setActivated(ref, false)));
}

function profiles(a: HieAccount): string {
  if (a.profiles.length === 0) return 'profiles: -';
  return a.profiles.map((p) => `  ${p.type} ${p.id}${p.catchments.length === 0 ? '' : `  catchment ${p.catchments.join(', ')}`}`).join('\n');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
