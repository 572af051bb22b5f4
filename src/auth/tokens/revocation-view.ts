import type { Logger } from 'pino';
import type { RevocationFeed, RevokedKind } from '../../storage/auth/revocation-feed.js';
import { LIFETIMES } from './lifetimes.js';

/** A revoked grant is remembered as long as a token of it can still verify. */
const LONGEST_ACCESS_TOKEN = Math.max(LIFETIMES.accessToken, LIFETIMES.serviceAccessToken, LIFETIMES.researchToken);

/** What an access token names that revocation can hit. */
export interface RevocableToken {
  readonly gid: string;
  readonly client_id: string;
  /** The account, for tokens issued to a user. */
  readonly account?: string | undefined;
}

export interface RevocationView {
  isRevoked(token: RevocableToken): boolean;
  /** A service key (static or certificate) revoked, or its client revoked. */
  isKeyRevoked(key: { readonly id: string; readonly clientId: string }): boolean;
  /**
   * Records a revocation this node made, at once: its NOTIFY comes back only after a round
   * trip, and the revoking client's next request must already be refused.
   */
  markRevoked(kind: RevokedKind, id: string): void;
  close(): Promise<void>;
}

/**
 * Every node's in-memory copy of what is revoked, kept current by LISTEN/NOTIFY, so checking a
 * token costs three set lookups and a revocation on one node takes effect on all of them before
 * their next request. Grants revoked longer ago than an access token lives are dropped: no
 * token of theirs can still verify.
 */
export async function openRevocationView(feed: RevocationFeed, logger: Logger): Promise<RevocationView> {
  // id → when this node learned of it. Only ever added to, so a notification that lands while a
  // snapshot is loading cannot be lost by the snapshot replacing it; old grants are pruned.
  const revoked: Record<RevokedKind, Map<string, number>> = { grant: new Map(), client: new Map(), account: new Map(), key: new Map() };
  const add = (kind: RevokedKind, id: string) => {
    if (!revoked[kind].has(id)) revoked[kind].set(id, Date.now());
  };
  const horizon = () => Date.now() - (LONGEST_ACCESS_TOKEN + LIFETIMES.clockSkew) * 1000;
  const reload = async () => {
    const snapshot = await feed.snapshot(new Date(horizon()));
    for (const id of snapshot.grants) add('grant', id);
    for (const id of snapshot.clients) add('client', id);
    for (const id of snapshot.accounts) add('account', id);
    for (const id of snapshot.keys) add('key', id);
    const oldest = horizon();
    for (const [id, at] of revoked.grant) if (at < oldest) revoked.grant.delete(id);
  };
  const reloadLogged = () => reload().catch((err: unknown) => logger.error({ err }, 'could not reload the revocation list'));
  // Listen first, then load: a revocation between the two is in the snapshot or arrives as a notification.
  let ready: Promise<void> | undefined;
  const listener = await feed.listen(add, () => {
    ready = reloadLogged();
  });
  await ready;
  const timer = setInterval(() => void reloadLogged(), LIFETIMES.accessToken * 1000);
  timer.unref();
  return {
    markRevoked: add,
    isKeyRevoked: (k) => revoked.key.has(k.id) || revoked.client.has(k.clientId),
    isRevoked: (t) => revoked.grant.has(t.gid) || revoked.client.has(t.client_id) || (t.account !== undefined && revoked.account.has(t.account)),
    async close() {
      clearInterval(timer);
      await listener.unlisten();
    },
  };
}
