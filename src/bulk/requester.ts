import type { Principal } from '../access/principal.js';

/**
 * Whether `caller` is the requester of an export made by `owner` (Bulk Data IG: the status and
 * the files are for the client that kicked it off). Stricter than the client alone: one SMART
 * app's users, a broker acting for two organizations or a partner in two studies are each a
 * different requester, since each export holds data only its own requester may see.
 */
export function sameRequester(owner: Principal, caller: Principal): boolean {
  switch (owner.kind) {
    case 'token':
    case 'key':
      return (
        (caller.kind === 'token' || caller.kind === 'key') &&
        caller.clientId === owner.clientId &&
        accountOf(caller) === accountOf(owner) &&
        caller.organizationId === owner.organizationId &&
        caller.studyId === owner.studyId
      );
    case 'hie':
      return caller.kind === 'hie' && caller.clientId === owner.clientId && caller.accountId === owner.accountId;
    case 'dev-anonymous':
      return caller.kind === 'dev-anonymous';
    default:
      return false;
  }
}

function accountOf(p: Extract<Principal, { kind: 'token' | 'key' }>): string | undefined {
  return p.kind === 'token' ? p.accountId : undefined;
}

/** The client a principal's export counts against (its concurrency limit). */
export function requesterClient(p: Principal): string | undefined {
  return p.kind === 'token' || p.kind === 'key' || p.kind === 'hie' ? p.clientId : undefined;
}
