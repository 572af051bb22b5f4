import { randomBytes, randomUUID } from 'node:crypto';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import type { KeyGrant, ServiceKeyStore } from '../../storage/auth/service-key-store.js';
import type { ServiceManager, ServiceManagerStore } from '../../storage/auth/service-manager-store.js';
import type { RegisteredClient } from '../clients/client.js';
import { randomSecret, sha256 } from '../random-secret.js';
import type { RecordSecurityEvent } from '../security-events.js';
import { certificateCommonName, KEY_LIFETIME_MS, newKeyId, staticKeyToken, type KeyType, type ServiceKey } from './service-key.js';

/**
 * Who asks: an account at the portal or API, or the operator at the CLI (no account), who like an
 * admin may manage every service.
 */
export interface KeyActor {
  readonly accountId: string | undefined;
  readonly admin: boolean;
}

/** The key actor of an account at the API or the portal (one rule for both): admins manage every service. */
export function keyActorFor(caller: { readonly accountId: string; readonly roles: readonly string[] }): KeyActor {
  return { accountId: caller.accountId, admin: caller.roles.includes('admin') };
}

/** A client certificate the CA signed. */
export interface SignedCertificate {
  readonly pem: string;
  readonly serial: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** RFC 8705 `x5t#S256`: base64url SHA-256 of the DER. */
  readonly thumbprint: string;
}

/** What signing a CSR needs from the CA (src/auth/mtls/certificate-authority.ts). */
export interface CertificateSigner {
  readonly certificatePem: string;
  /** Checks the CSR (signature, CN, key strength: `bad-request` otherwise) and signs it for client authentication. */
  signClientCertificate(request: { readonly csrPem: string; readonly commonName: string }): Promise<SignedCertificate>;
}

export interface CreatedKey {
  readonly key: ServiceKey;
  /** static: the bearer token; refresh: the first refresh token. Shown once, never stored. */
  readonly secret: string | undefined;
}

export interface KeyService {
  create(clientId: string, request: { readonly type: KeyType; readonly name?: string | undefined }, actor: KeyActor): Promise<CreatedKey>;
  list(clientId: string, actor: KeyActor): Promise<ServiceKey[]>;
  /** Revokes every form of the key on every node before the next request; revoking twice is harmless. */
  revoke(keyId: string, actor: KeyActor): Promise<ServiceKey>;
  signCertificate(keyId: string, csrPem: string, actor: KeyActor): Promise<SignedCertificate & { readonly caPem: string }>;
  /** A key whose used refresh token came back (it leaked): revoked with everything issued under it. */
  revokeLeaked(keyId: string): Promise<void>;
  managerOf(clientId: string, actor: KeyActor): Promise<ServiceManager>;
  /** The clients whose keys this account manages as their manager (itself, or through its organizations and teams); admins' rights are not counted. */
  managedBy(actor: KeyActor): Promise<RegisteredClient[]>;
  /** Only an admin, the operator or the current manager may hand management over. */
  setManager(clientId: string, manager: Exclude<ServiceManager, { kind: 'none' }>, actor: KeyActor): Promise<ServiceManager>;
}

export interface KeyServiceDeps {
  readonly keys: ServiceKeyStore;
  readonly managers: ServiceManagerStore;
  readonly client: (id: string) => Promise<RegisteredClient | undefined>;
  readonly ca: () => Promise<CertificateSigner>;
  readonly record: RecordSecurityEvent;
  /** This node stops accepting what it revoked at once (other nodes learn by NOTIFY). */
  readonly markRevoked: (kind: 'key' | 'grant', id: string) => void;
  readonly now?: () => number;
}

/** Keys are for clients that call on their own behalf; a SMART app acts for a signed-in user. */
const KEYED_TYPES: ReadonlySet<string> = new Set(['service', 'broker', 'research']);
const MAX_NAME = 200;

export function createKeyService(deps: KeyServiceDeps): KeyService {
  const now = deps.now ?? Date.now;

  const managedClient = async (clientId: string, actor: KeyActor): Promise<RegisteredClient> => {
    const client = await deps.client(clientId);
    if (client === undefined) throw new FhirkeepError('not-found', `There is no client ${clientId}`);
    if (!(await mayManage(clientId, actor))) throw new FhirkeepError('forbidden', `Only the manager of ${clientId} (or an admin) may manage its keys`);
    return client;
  };
  const mayManage = async (clientId: string, actor: KeyActor): Promise<boolean> => {
    if (actor.admin) return true;
    if (actor.accountId === undefined) return false;
    const manager = await deps.managers.managerOf(clientId);
    return manager !== undefined && (await deps.managers.isManager(actor.accountId, manager));
  };
  const existingKey = async (keyId: string, actor: KeyActor): Promise<ServiceKey> => {
    const found = /^[0-9a-f]{20}$/.test(keyId) ? await deps.keys.find(keyId) : undefined;
    if (found === undefined) throw new FhirkeepError('not-found', `There is no key ${keyId}`);
    await managedClient(found.key.clientId, actor);
    return found.key;
  };

  const revokeKey = async (keyId: string, accountId: string | undefined, reason: string): Promise<ServiceKey> => {
    const revoked = await deps.keys.revoke(keyId);
    if (revoked === undefined) throw new FhirkeepError('not-found', `There is no key ${keyId}`);
    deps.markRevoked('key', keyId);
    for (const grant of revoked.revokedGrants) deps.markRevoked('grant', grant);
    deps.record({ kind: 'key-revoke', outcome: 'success', accountId, clientId: revoked.key.clientId, detail: { key_id: keyId, type: revoked.key.type, reason } });
    return revoked.key;
  };

  return {
    async create(clientId, { type, name }, actor) {
      const client = await managedClient(clientId, actor);
      if (!KEYED_TYPES.has(client.type)) throw new FhirkeepError('bad-request', 'A SMART app signs users in; API keys are for services, data brokers and research partners');
      if (client.revoked) throw new FhirkeepError('bad-request', `The client ${clientId} is revoked`);
      if (name !== undefined && (name.trim() === '' || name.length > MAX_NAME)) throw new FhirkeepError('bad-request', `name must be 1 to ${MAX_NAME} characters`);
      const id = newKeyId();
      const at = now();
      const createdAt = new Date(at);
      const base = { id, clientId, type, name: name?.trim(), createdBy: actor.accountId, createdAt };
      let secret: string | undefined;
      let key: ServiceKey;
      if (type === 'static') {
        const raw = randomSecret();
        secret = staticKeyToken(id, raw);
        key = await deps.keys.insert({ ...base, secretHash: sha256(raw), certificateCn: undefined, expiresAt: new Date(at + KEY_LIFETIME_MS) });
      } else if (type === 'refresh') {
        const first = keyGrant(client, id, at);
        secret = first.token;
        key = await deps.keys.insert({ ...base, secretHash: undefined, certificateCn: undefined, expiresAt: undefined }, first.grant);
      } else {
        key = await deps.keys.insert({ ...base, secretHash: undefined, certificateCn: certificateCommonName(id), expiresAt: undefined });
      }
      deps.record({ kind: 'key-create', outcome: 'success', accountId: actor.accountId, clientId, detail: { key_id: id, type } });
      return { key, secret };
    },

    async list(clientId, actor) {
      await managedClient(clientId, actor);
      return deps.keys.list(clientId);
    },

    async revoke(keyId, actor) {
      await existingKey(keyId, actor);
      return revokeKey(keyId, actor.accountId, 'revoked by its manager');
    },

    async revokeLeaked(keyId) {
      await revokeKey(keyId, undefined, 'refresh token reused');
    },

    async signCertificate(keyId, csrPem, actor) {
      const key = await existingKey(keyId, actor);
      if (key.type !== 'certificate' || key.certificateCn === undefined) throw new FhirkeepError('bad-request', `The key ${keyId} is a ${key.type} key: only certificate keys have certificates`);
      if (key.revokedAt !== undefined) throw new FhirkeepError('bad-request', `The key ${keyId} is revoked`);
      const ca = await deps.ca();
      const signed = await ca.signClientCertificate({ csrPem, commonName: key.certificateCn });
      await deps.keys.insertCertificate({ thumbprint: Buffer.from(signed.thumbprint, 'base64url'), keyId, serial: signed.serial, notBefore: signed.notBefore, notAfter: signed.notAfter });
      deps.record({ kind: 'certificate-sign', outcome: 'success', accountId: actor.accountId, clientId: key.clientId, detail: { key_id: keyId, serial: signed.serial, not_after: signed.notAfter.toISOString() } });
      return { ...signed, caPem: ca.certificatePem };
    },

    async managerOf(clientId, actor) {
      await managedClient(clientId, actor);
      return (await deps.managers.managerOf(clientId)) ?? { kind: 'none' };
    },

    async managedBy(actor) {
      if (actor.accountId === undefined) return [];
      const found = await Promise.all((await deps.managers.managedBy(actor.accountId)).map((id) => deps.client(id)));
      return found.filter((c): c is RegisteredClient => c !== undefined);
    },

    async setManager(clientId, manager, actor) {
      await managedClient(clientId, actor);
      await deps.managers.setManager(clientId, manager);
      deps.record({ kind: 'client-manager-change', outcome: 'success', accountId: actor.accountId, clientId, detail: { manager } });
      return manager;
    },
  };
}

/**
 * A refresh key's refresh tokens are `fhkr_<id>.<secret>`: a refresh token like any other (the
 * id finds the row, the secret is checked against its hash), whose prefix tells the token
 * endpoint, before any lookup, that the token itself is the service's credential.
 */
const KEY_REFRESH_PREFIX = 'fhkr_';

export function isKeyRefreshToken(token: string | undefined): token is string {
  return token?.startsWith(KEY_REFRESH_PREFIX) === true;
}

/**
 * A refresh key's grant and refresh token: the grant carries the key, so a refresh knows to
 * rotate the key's pair and a replay to revoke the key.
 */
export function keyGrant(client: RegisteredClient, keyId: string, at: number): { readonly grant: KeyGrant; readonly token: string } {
  const grantId = randomUUID();
  const tokenId = `${KEY_REFRESH_PREFIX}${randomBytes(16).toString('base64url')}`;
  const secret = randomSecret();
  const expiresAt = new Date(at + KEY_LIFETIME_MS);
  return {
    grant: {
      grant: { id: grantId, clientId: client.id, accountId: undefined, grantType: 'service_key', scopes: client.scopes, context: {}, expiresAt },
      refreshToken: { id: tokenId, secretHash: sha256(secret), grantId, scopes: client.scopes, expiresAt },
    },
    token: `${tokenId}.${secret}`,
  };
}
