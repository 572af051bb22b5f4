import { randomBytes } from 'node:crypto';
import type { GrantStore, RefreshTokenInfo } from '../../storage/auth/grant-store.js';
import type { Grant } from '../grants/grant.js';
import { isRandomSecret, matchesHash, randomSecret, sha256 } from '../random-secret.js';
import { LIFETIMES } from '../tokens/lifetimes.js';

/** Ids as newRefreshToken and a refresh key make them: base64url, a refresh key's with its prefix. */
const TOKEN_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Refresh tokens are `<id>.<secret>`: the public id finds the row, the secret is checked
 * against its stored SHA-256. The one dot also tells them from JWT access tokens (two dots).
 */
export async function newRefreshToken(grants: GrantStore, grant: Grant, scopes: readonly string[]): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  const secret = randomSecret();
  const lifetime = scopes.includes('offline_access') ? LIFETIMES.offlineRefreshToken : LIFETIMES.onlineRefreshToken;
  const expiresAt = new Date(Math.min(Date.now() + lifetime * 1000, grant.expiresAt.getTime()));
  await grants.insertRefreshToken({ id, secretHash: sha256(secret), grantId: grant.id, scopes, expiresAt });
  return `${id}.${secret}`;
}

/**
 * The stored refresh token a presented one stands for, with its id AND secret checked; undefined
 * for anything else. Nothing is changed: someone who knows only a token's id cannot use it up.
 */
export async function findRefreshToken(grants: GrantStore, token: string): Promise<(RefreshTokenInfo & { readonly id: string }) | undefined> {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  // Only what we issue reaches the query (a NUL or an oversized value would be a server error there).
  if (!TOKEN_ID.test(id) || !isRandomSecret(secret)) return undefined;
  const found = await grants.findRefreshToken(id);
  return found !== undefined && matchesHash(secret, found.secretHash) ? { ...found, id } : undefined;
}
