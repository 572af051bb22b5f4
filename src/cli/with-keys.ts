import { createAccountService, type AccountService } from '../auth/accounts/account-service.js';
import { createKeyService, type KeyActor, type KeyService } from '../auth/keys/key-service.js';
import type { CertificateAuthority } from '../auth/mtls/certificate-authority.js';
import { lazyCertificateAuthority } from '../auth/mtls/lazy-authority.js';
import { keyEncryptionKey } from '../auth/tokens/key-encryption.js';
import { loadConfig } from '../config/load.js';
import { createClientStore } from '../storage/auth/client-store.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import { createServiceKeyStore } from '../storage/auth/service-key-store.js';
import { createServiceManagerStore } from '../storage/auth/service-manager-store.js';
import { withDatabase } from './with-database.js';

/** The CLI is the operator: like an admin, it may manage every service's keys. */
export const OPERATOR: KeyActor = { accountId: undefined, admin: true };

/**
 * Runs `work` with the key service and the CA on the configured database. A revocation reaches
 * running servers by the NOTIFY its transaction sends; this process has no revocation view.
 */
export function withKeys<T>(work: (keys: KeyService, more: { readonly ca: () => Promise<CertificateAuthority>; readonly accounts: AccountService }) => Promise<T>): Promise<T> {
  const config = loadConfig();
  return withDatabase(async (db, logger) => {
    const ca = lazyCertificateAuthority(db.sql, keyEncryptionKey(config.keyEncryptionKey, config.dataDir));
    const clients = createClientStore(db.sql);
    const record = securityEventRecorder(db.sql, logger);
    const keys = createKeyService({
      keys: createServiceKeyStore(db.sql),
      managers: createServiceManagerStore(db.sql),
      client: async (id) => (await clients.find(id))?.client,
      ca,
      record,
      markRevoked: () => {},
    });
    return work(keys, { ca, accounts: createAccountService({ db, record }) });
  });
}
