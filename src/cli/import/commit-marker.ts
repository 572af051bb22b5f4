import { createHash } from 'node:crypto';
import { referenceHolders } from '../../fhir/reference-holders.js';

export interface TransactionEntry {
  fullUrl?: unknown;
  resource?: Record<string, unknown>;
  request?: { method?: unknown; url?: unknown; ifNoneExist?: unknown };
}

export interface Transaction {
  readonly resourceType: 'Bundle';
  readonly type: 'transaction';
  readonly entry: (TransactionEntry | null)[];
}

/** The resource whose presence proves that a transaction committed. */
export interface CommitMarker {
  readonly type: string;
  readonly id: string;
}

/**
 * Makes a transaction safe to send again after a crash, when nobody knows whether it committed;
 * changes it in place. Its first plain create (POST to a bare type, no If-None-Exist) becomes an
 * update-as-create (PUT) at an id derived from `seed` (what is being imported), and references to
 * its `urn:` fullUrl point at that id. A transaction is all or nothing, so that resource exists
 * exactly when the whole transaction committed: the importer looks for it before sending, and
 * skips what is there. The other creates keep server-assigned ids and the transaction's
 * one-statement insert (a PUT each is several times slower). Without a plain create there is
 * nothing to mark: PUTs at given ids and conditional creates are idempotent already.
 */
export function markCommit(transaction: Transaction, seed: string): CommitMarker | undefined {
  const chosen = transaction.entry.find(isPlainCreate);
  if (chosen?.resource === undefined || chosen.resource === null) return undefined;
  const marker = { type: chosen.request?.url as string, id: idFrom(seed) };
  const reference = `${marker.type}/${marker.id}`;
  const fullUrl = chosen.fullUrl;
  chosen.resource.id = marker.id;
  chosen.request = { method: 'PUT', url: reference };
  delete chosen.fullUrl;
  // The server maps only the fullUrls of creates; this one's references are pointed here instead.
  if (typeof fullUrl === 'string' && fullUrl.startsWith('urn:')) {
    for (const e of transaction.entry) {
      for (const holder of referenceHolders(e?.resource)) if (holder.reference === fullUrl) holder.reference = reference;
    }
  }
  return marker;
}

function isPlainCreate(entry: TransactionEntry | null): boolean {
  // Read from a file: an entry may be anything; the server names what is wrong with it.
  const { method, url, ifNoneExist } = entry?.request ?? {};
  return method === 'POST' && typeof url === 'string' && /^[A-Z][A-Za-z]+$/.test(url) && ifNoneExist === undefined && typeof entry?.resource === 'object' && entry.resource !== null;
}

/** A UUID-shaped id (RFC 9562 version 8: custom) from the SHA-256 of `seed`: the same content, the same id. */
function idFrom(seed: string): string {
  const hash = createHash('sha256').update(seed).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x80;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
