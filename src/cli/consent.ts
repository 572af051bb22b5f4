import { Option, type Command } from 'commander';
import { CONSENT_KINDS, GRANT_STATUSES, type Consent, type ConsentKind, type GrantStatus } from '../access/consents/consent.js';
import { createConsentService, type ConsentService } from '../access/consents/consent-service.js';
import { consentView } from '../access/consents/consent-view.js';
import { createAccountService, type AccountService } from '../auth/accounts/account-service.js';
import { findUser } from '../auth/accounts/find-user.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { createConsentStore } from '../storage/access/consent-store.js';
import { createGrantStore } from '../storage/auth/grant-store.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import type { RunCommand } from './output.js';
import { withDatabase } from './with-database.js';

/** The parties a command names: the holder (account id or email), an organization, a client. */
interface Selectors {
  readonly patient?: string;
  readonly org?: string;
  readonly client?: string;
}

interface GrantOptions extends Selectors {
  readonly kind?: ConsentKind;
  readonly scope?: string;
  readonly status?: GrantStatus;
}

/** `fhirkeep consent grant | revoke | list` (CONTRACT.md, docs/consents.md). */
export function registerConsentCommands(program: Command, run: RunCommand): void {
  const consent = program.command('consent').description('consents and subscriptions: whose data flows to whom');
  const selectors = (command: Command) =>
    command
      .option('--patient <user>', 'the account holder (account id or email)')
      .option('--org <id>', 'the organization (shared with, or sharing with a broker)')
      .option('--client <id>', 'the app, service (a subscription) or data broker');
  selectors(consent.command('grant').description('grant (or re-activate) a consent: --patient with --client or --org, or --org with --client (a broker)'))
    .addOption(new Option('--kind <kind>', 'what kind of consent (default: from the parties and the client type)').choices(CONSENT_KINDS))
    .option('--scope <scopes>', 'space-separated SMART scopes approved (app, service)')
    .addOption(new Option('--status <status>', 'the status it starts in').choices(GRANT_STATUSES).default('active'))
    .action((options: GrantOptions) =>
      run((out) =>
        withConsents(async (consents, accounts) => {
          const granted = await consents.grant({
            kind: options.kind,
            accountId: await holderId(accounts, options.patient),
            organizationId: options.org,
            clientId: options.client,
            status: options.status,
            scopes: options.scope?.split(' ').filter((s) => s !== ''),
          });
          out.result(`Granted ${line(granted)}`, { consent: consentView(granted) });
          return 0;
        }),
      )(),
    );
  selectors(consent.command('revoke').description('revoke a consent (it becomes inactive; the app’s tokens stop working at once)'))
    .argument('[consent-id]', 'the consent, instead of naming its parties')
    .action((id: string | undefined, options: Selectors) =>
      run((out) =>
        withConsents(async (consents, accounts) => {
          const target = id ?? (await selected(consents, accounts, options)).id;
          const revoked = await consents.revoke(target);
          out.result(`Revoked ${line(revoked)}`, { consent: consentView(revoked) });
          return 0;
        }),
      )(),
    );
  selectors(consent.command('list').description('list consents, all or those of the parties named')).action((options: Selectors) =>
    run((out) =>
      withConsents(async (consents, accounts) => {
        const list = await consents.list({ accountId: await holderId(accounts, options.patient), organizationId: options.org, clientId: options.client });
        out.result(list.length === 0 ? 'No consents' : list.map(line).join('\n'), { consents: list.map(consentView) });
        return 0;
      }),
    )(),
  );
}

async function holderId(accounts: AccountService, ref: string | undefined): Promise<string | undefined> {
  return ref === undefined ? undefined : (await findUser(accounts, ref)).id;
}

/** The one consent between the parties named (each pair of parties has at most one). */
async function selected(consents: ConsentService, accounts: AccountService, options: Selectors): Promise<Consent> {
  const named = [options.patient, options.org, options.client].filter((s) => s !== undefined).length;
  if (named !== 2) throw new FhirkeepError('bad-request', 'Name the consent by its id, or by two parties: --patient with --client or --org, or --org with --client');
  const [found] = await consents.list({ accountId: await holderId(accounts, options.patient), organizationId: options.org, clientId: options.client });
  if (found === undefined) throw new FhirkeepError('not-found', 'There is no consent between these parties');
  return found;
}

function line(c: Consent): string {
  const parties = [c.accountId && `account=${c.accountId}`, c.organizationId && `org=${c.organizationId}`, c.clientId && `client=${c.clientId}`];
  const version = c.filterVersion === undefined ? undefined : `filter v${c.filterVersion}${c.filterVersion === c.currentFilterVersion ? '' : ` (now v${c.currentFilterVersion ?? '?'}: needs confirming)`}`;
  return [c.id, c.kind.padEnd(12), c.status.padEnd(8), ...parties, version].filter((s): s is string => typeof s === 'string' && s !== '').join('  ');
}

/**
 * Opens the consent service beside a running server (CONTRACT.md): a revocation here NOTIFYs
 * every node, so the app's tokens stop working there at once.
 */
function withConsents(work: (consents: ConsentService, accounts: AccountService) => Promise<number>): Promise<number> {
  return withDatabase((db, logger) => {
    const record = securityEventRecorder(db.sql, logger);
    const grants = createGrantStore(db.sql);
    const consents = createConsentService({ store: createConsentStore(db.sql), revokeGrants: (a, c) => grants.revokeGrantsOf(a, c), record });
    return work(consents, createAccountService({ db, record }));
  });
}
