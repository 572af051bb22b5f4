import { randomBytes } from 'node:crypto';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { HieClientStore } from '../../../storage/auth/hie-client-store.js';
import { isRandomSecret, matchesHash, randomSecret, sha256 } from '../../random-secret.js';
import type { RecordSecurityEvent } from '../../security-events.js';
import type { HieClient } from './hie-client.js';

/** Organizations' HIE API credentials: issued, listed, revoked, and checked on every HIE call. */
export interface HieClients {
  /** A new client for the organization; the token is shown once (`not-found` for an unknown organization). */
  create(organizationId: string): Promise<{ readonly client: HieClient; readonly token: string }>;
  list(): Promise<HieClient[]>;
  /** The client `id`, revoked or not; undefined when there is none. */
  find(id: string): Promise<HieClient | undefined>;
  /** Revokes the client and so every session it signed in, from their next request (`not-found` when unknown). */
  revoke(id: string): Promise<HieClient>;
  /**
   * The client of the `client_id` and `X-Auth-Token` headers; throws `unauthorized` when either
   * is missing, unknown, wrong or revoked, with one message for all (nothing tells which).
   */
  authenticate(clientIdHeader: string | undefined, tokenHeader: string | undefined): Promise<HieClient>;
}

/** 80 random bits in hex: an id, not a secret, but unguessable enough that listing them is pointless. */
const newClientId = () => randomBytes(10).toString('hex');
const CLIENT_ID = /^[0-9a-f]{20}$/;

export function createHieClients(deps: { readonly store: HieClientStore; readonly record: RecordSecurityEvent }): HieClients {
  const { store, record } = deps;
  return {
    async create(organizationId) {
      const token = randomSecret();
      const client = await store.insert(newClientId(), organizationId, sha256(token));
      record({ kind: 'hie-client-create', outcome: 'success', detail: { hie_client: client.id, organization_id: organizationId } });
      return { client, token };
    },

    list: () => store.list(),

    find: async (id) => (await store.credentials(id))?.client,

    async revoke(id) {
      const client = await store.revoke(id);
      if (client === undefined) throw new FhirkeepError('not-found', `No HIE client ${id}`);
      record({ kind: 'hie-client-revoke', outcome: 'success', detail: { hie_client: id } });
      return client;
    },

    async authenticate(clientIdHeader, tokenHeader) {
      if (clientIdHeader === undefined || tokenHeader === undefined) throw new FhirkeepError('unauthorized', 'The client_id and X-Auth-Token headers are required');
      // Shapes we never issue are refused before any lookup (and never reach a query).
      const found = CLIENT_ID.test(clientIdHeader) && isRandomSecret(tokenHeader) ? await store.credentials(clientIdHeader) : undefined;
      if (found === undefined || found.client.revokedAt !== undefined || !matchesHash(tokenHeader, found.secretHash)) {
        throw new FhirkeepError('unauthorized', 'The client_id and X-Auth-Token are not valid API credentials');
      }
      return found.client;
    },
  };
}
