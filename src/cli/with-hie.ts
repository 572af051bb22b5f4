import { createAccountService } from '../auth/accounts/account-service.js';
import { createHieService, type HieService } from '../auth/dialects/hie/hie-service.js';
import { securityEventRecorder } from '../storage/auth/security-event-store.js';
import { withDatabase } from './with-database.js';

/**
 * Runs `work` with the HIE dialect's services on the configured database (see withDatabase).
 * Running servers read sessions, clients and profiles on every request: changes hold at once.
 */
export function withHie<T>(work: (hie: HieService) => Promise<T>): Promise<T> {
  return withDatabase((db, logger) => {
    const record = securityEventRecorder(db.sql, logger);
    return work(createHieService({ db, accounts: createAccountService({ db, record }), record }));
  });
}
