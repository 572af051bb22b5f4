import { randomBytes } from 'node:crypto';

export const KEY_TYPES = ['static', 'refresh', 'certificate'] as const;
/**
 * static: the secret is itself a bearer token; refresh: the secret is a refresh token, exchanged
 * at /oauth2/token and rotated on each use; certificate: a client certificate the CA signs.
 */
export type KeyType = (typeof KEY_TYPES)[number];

/** A service's API key as stored, without its secret. */
export interface ServiceKey {
  /** Public: listings, the audit trail and the lookup prefix of a static key name it. */
  readonly id: string;
  readonly clientId: string;
  readonly type: KeyType;
  readonly name: string | undefined;
  /** certificate keys: the CN a CSR must carry to be signed. */
  readonly certificateCn: string | undefined;
  readonly createdBy: string | undefined;
  readonly createdAt: Date;
  /** static keys: a year after creation. */
  readonly expiresAt: Date | undefined;
  readonly revokedAt: Date | undefined;
  /** Its latest request (static, certificate) or refresh (refresh), to about a minute; undefined: never. */
  readonly lastUsedAt: Date | undefined;
}

/** How long a static key and a refresh key's refresh token live (issue 6: "valid one year"). */
export const KEY_LIFETIME_MS = 365 * 24 * 3600 * 1000;

/** 80 random bits in hex: ids are public, so they only need to be unique, not secret. */
export function newKeyId(): string {
  return randomBytes(10).toString('hex');
}

/** The CN a certificate key's CSR must carry. */
export function certificateCommonName(keyId: string): string {
  return `fhirkeep-key-${keyId}`;
}

const STATIC_PREFIX = 'fhk_';
const STATIC_KEY = /^fhk_([0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;

/**
 * A static key as the service sends it: `fhk_<key id>_<secret>`. The prefix tells it from a JWT
 * and lets secret scanners recognise a leaked one; the id finds the row without a search.
 */
export function staticKeyToken(id: string, secret: string): string {
  return `${STATIC_PREFIX}${id}_${secret}`;
}

export function parseStaticKey(token: string): { readonly id: string; readonly secret: string } | undefined {
  const match = STATIC_KEY.exec(token);
  return match?.[1] === undefined || match[2] === undefined ? undefined : { id: match[1], secret: match[2] };
}

export function looksLikeStaticKey(token: string): boolean {
  return token.startsWith(STATIC_PREFIX);
}

/** A key as the API and the CLI's --json show it: never a secret. */
export interface KeyView {
  readonly key_id: string;
  readonly client_id: string;
  readonly type: KeyType;
  readonly name?: string;
  readonly certificate_cn?: string;
  readonly created_by?: string;
  readonly created_at: string;
  readonly expires_at?: string;
  readonly revoked: boolean;
  readonly revoked_at?: string;
  readonly last_used_at?: string;
}

export function keyView(key: ServiceKey): KeyView {
  return {
    key_id: key.id,
    client_id: key.clientId,
    type: key.type,
    ...(key.name === undefined ? {} : { name: key.name }),
    ...(key.certificateCn === undefined ? {} : { certificate_cn: key.certificateCn }),
    ...(key.createdBy === undefined ? {} : { created_by: key.createdBy }),
    created_at: key.createdAt.toISOString(),
    ...(key.expiresAt === undefined ? {} : { expires_at: key.expiresAt.toISOString() }),
    revoked: key.revokedAt !== undefined,
    ...(key.revokedAt === undefined ? {} : { revoked_at: key.revokedAt.toISOString() }),
    ...(key.lastUsedAt === undefined ? {} : { last_used_at: key.lastUsedAt.toISOString() }),
  };
}
