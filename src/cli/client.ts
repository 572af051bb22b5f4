import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { CLIENT_TYPES, clientView, type ClientType, type RegisteredClient } from '../auth/clients/client.js';
import { createClientRegistry, type ClientRegistry } from '../auth/clients/client-registry.js';
import { createClientStore } from '../storage/auth/client-store.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import type { Output } from './output.js';
import type { Database } from '../storage/database.js';
import { withDatabase } from './with-database.js';

/** Turns a command into a commander action (main.ts supplies it: it knows --json and the exit code). */
export type CommandRunner = (command: (out: Output) => Promise<number>) => () => Promise<void>;

interface CreateOptions {
  readonly type: ClientType;
  readonly name: string;
  readonly redirectUri?: string[];
  readonly public?: boolean;
  readonly jwks?: string;
  readonly jwksUri?: string;
  readonly scope?: string;
  readonly launchUri?: string;
  /** false with --no-pkce. */
  readonly pkce: boolean;
}

/**
 * `fhirkeep client create|list|revoke|rotate-secret` (CONTRACT.md): registered applications.
 * Returns the `client` command, for the commands other modules add to it (`client manager`).
 */
export function registerClientCommands(program: Command, run: CommandRunner): Command {
  const client = program.command('client').description('registered applications (SMART apps, services, brokers, research partners)');
  client
    .command('create')
    .description('register an application; prints its client_id and, once, its client_secret')
    .addOption(new Option('--type <type>', 'kind of application').choices(CLIENT_TYPES).makeOptionMandatory())
    .requiredOption('--name <name>', 'name shown to users and in lists')
    .option('--redirect-uri <uri>', 'allowed redirect URI (repeatable; smart apps need one)', (uri: string, all: string[] = []) => [...all, uri])
    .option('--public', 'a browser or native app without a secret (smart only; PKCE enforced)')
    .addOption(new Option('--jwks <file>', 'JSON file with the public JWK Set for private_key_jwt (no secret is issued)').conflicts('jwksUri'))
    .option('--jwks-uri <uri>', 'URL where the client publishes its JWK Set for private_key_jwt (no secret is issued)')
    .option('--scope <scopes>', 'space-separated scopes the client may be granted, e.g. "system/*.rs"')
    .option('--launch-uri <uri>', 'where an EHR launch starts the app (smart only)')
    .option('--no-pkce', 'do not require PKCE (confidential clients only)')
    .action((options: CreateOptions) => run((out) => withRegistry((registry) => create(registry, options, out)))());
  client
    .command('list')
    .description('list every registered application')
    .action(() =>
      run((out) =>
        withRegistry(async (registry) => {
          const clients = await registry.list();
          out.result(clients.length === 0 ? 'No clients' : clients.map(line).join('\n'), { clients: clients.map(clientView) });
          return 0;
        }),
      )(),
    );
  client
    .command('revoke')
    .description('revoke an application at once: it can no longer authenticate (its grants are not deleted)')
    .argument('<client-id>')
    .action((id: string) =>
      run((out) =>
        withRegistry(async (registry) => {
          const revoked = await registry.revoke(id);
          out.result(`Revoked client ${revoked.id} (${revoked.name})`, { client: clientView(revoked) });
          return 0;
        }),
      )(),
    );
  client
    .command('rotate-secret')
    .description('replace a client secret; the old one stops working at once; prints the new one once')
    .argument('<client-id>')
    .action((id: string) =>
      run((out) =>
        withRegistry(async (registry) => {
          const { client: rotated, secret } = await registry.rotateSecret(id);
          out.result(`New secret for client ${rotated.id} (${rotated.name})\nclient_secret: ${secret}\n${SHOWN_ONCE}`, {
            client: clientView(rotated),
            client_secret: secret,
          });
          return 0;
        }),
      )(),
    );
  return client;
}

export const SHOWN_ONCE = 'The secret is shown only now: store it safely (Fhirkeep keeps only its hash).';

async function create(registry: ClientRegistry, o: CreateOptions, out: Output): Promise<number> {
  const { client, secret } = await registry.register({
    type: o.type,
    name: o.name,
    redirectUris: o.redirectUri ?? [],
    isPublic: o.public === true,
    ...(o.jwks === undefined ? {} : { jwks: readJwks(o.jwks) }),
    ...(o.jwksUri === undefined ? {} : { jwksUri: o.jwksUri }),
    scopes: o.scope === undefined ? [] : o.scope.split(' ').filter((s) => s !== ''),
    ...(o.launchUri === undefined ? {} : { launchUri: o.launchUri }),
    requirePkce: o.pkce,
  });
  const human = [`Created ${client.type} client "${client.name}"`, `client_id:     ${client.id}`];
  if (secret !== undefined) human.push(`client_secret: ${secret}`, SHOWN_ONCE);
  out.result(human.join('\n'), { ...clientView(client), ...(secret === undefined ? {} : { client_secret: secret }) });
  return 0;
}

function readJwks(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read the JWK Set file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`The JWK Set file ${file} is not JSON`);
  }
}

function line(c: RegisteredClient): string {
  return `${c.id}  ${c.type.padEnd(8)}  ${c.name}${c.isPublic ? '  (public)' : ''}${c.revoked ? '  [revoked]' : ''}`;
}

/** Opens the database beside a running server (CONTRACT.md: changes take effect there at once). */
export function withRegistry(work: (registry: ClientRegistry, db: Database) => Promise<number>): Promise<number> {
  return withDatabase(async (db, logger) => {
    // No row cache here: the CLI reads each client once. Servers hear its changes through NOTIFY.
    const registry = await createClientRegistry({ store: createClientStore(db.sql), recordEvent: securityEventRecorder(db.sql, logger) });
    try {
      return await work(registry, db);
    } finally {
      await registry.close();
    }
  });
}
