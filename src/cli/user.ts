import type { Command } from 'commander';
import type { Account } from '../auth/accounts/account.js';
import { findUser } from '../auth/accounts/find-user.js';
import { ROLES } from '../auth/accounts/account.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import type { RunCommand } from './output.js';
import { withAccounts } from './with-accounts.js';

interface CreateOptions {
  readonly email: string;
  readonly password: string;
  readonly role: string[];
  readonly patient?: string;
  readonly practitioner?: string;
  readonly name?: string;
}

/** `fhirkeep user create | list | disable` (CONTRACT.md, CLI); returns `user` for the dialects' subcommands. */
export function registerUserCommands(program: Command, run: RunCommand): Command {
  const user = program.command('user').description('accounts: people who sign in');
  user
    .command('create')
    .description('create an account')
    .requiredOption('--email <email>', 'sign-in email (unique, case-insensitive)')
    .requiredOption('--password <password>', 'at least 12 characters; "-" reads it from standard input (keeps it out of shell history)')
    .option('--role <role>', `a role (${ROLES.join(', ')}); repeat for several`, collect, [])
    .option('--patient <id>', 'the Patient this account holder is (role patient)')
    .option('--practitioner <id>', 'the Practitioner this user is (role practitioner)')
    .option('--name <name>', 'display name')
    .action((options: CreateOptions) =>
      run(async (out) => {
        const password = options.password === '-' ? await readStdin() : options.password;
        const account = await withAccounts((accounts) =>
          accounts.create({
            email: options.email,
            password,
            roles: options.role,
            displayName: options.name,
            patientId: options.patient,
            practitionerId: options.practitioner,
          }),
        );
        out.result(`Created user ${account.id} ${account.email} (${account.roles.join(', ')})`, { ...account });
        return 0;
      })(),
    );
  user
    .command('list')
    .description('list every account')
    .action(() =>
      run(async (out) => {
        const list = await withAccounts((accounts) => accounts.list());
        out.result(list.length === 0 ? 'No users' : list.map(describe).join('\n'), { users: list });
        return 0;
      })(),
    );
  user
    .command('disable')
    .description('refuse every later sign-in of an account')
    .argument('<user>', 'account id or email')
    .action((ref: string) =>
      run(async (out) => {
        const account = await withAccounts(async (accounts) => accounts.disable((await findUser(accounts, ref)).id));
        out.result(`Disabled user ${account.id} ${account.email}`, { ...account });
        return 0;
      })(),
    );
  return user;
}

function describe(a: Account): string {
  const extra = [a.displayName, a.patientId && `Patient/${a.patientId}`, a.practitionerId && `Practitioner/${a.practitionerId}`, a.disabled && 'DISABLED'];
  return [a.id, a.email, a.roles.join(','), ...extra.filter((x): x is string => typeof x === 'string' && x !== '')].join('  ');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The whole of standard input, less one final line break (what `echo` or a file adds). */
async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (text === '') throw new FhirkeepError('bad-request', '--password - read an empty password from standard input');
  return text;
}
