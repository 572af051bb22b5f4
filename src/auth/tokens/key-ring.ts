import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, type KeyObject } from 'jose';
import type { Logger } from 'pino';
import type { SigningAlg, SigningKeyStore, StoredSigningKey } from '../../storage/auth/signing-key-store.js';
import { openJwk, sealJwk } from './key-encryption.js';
import { LIFETIMES } from './lifetimes.js';

/** A key signs for this long; then a new one takes over and the old one stays published until its tokens expire. */
const ROTATION_SECONDS = 30 * 24 * 3600;
/** How often a node checks whether its keys are due for rotation (other nodes' rotations arrive by NOTIFY). */
const REFRESH_SECONDS = 10 * 60;
/** Access tokens (fast ES256 signatures: thousands per second); id tokens (RS256, OIDC Core §15.1 requires it). */
const ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];

interface LoadedKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicJwk: JWK;
  readonly createdAt: Date;
  readonly active: boolean;
}

export interface KeyRing {
  /** The key that signs new tokens of this algorithm. */
  signer(alg: SigningAlg): { readonly kid: string; readonly key: KeyObject };
  /** A published key by kid, reloading once if another node has rotated since. */
  verifier(kid: string): Promise<{ readonly alg: SigningAlg; readonly key: KeyObject } | undefined>;
  /** The JWK Set `/oauth2/jwks` publishes (RFC 7517 §5). */
  jwks(): { keys: JWK[] };
  /** Makes new keys where the active ones are older than the rotation period. */
  rotateIfDue(now?: Date): Promise<void>;
  close(): Promise<void>;
}

export interface KeyRingOptions {
  readonly store: SigningKeyStore;
  /** Seals the private keys in the database (src/auth/tokens/key-encryption.ts). */
  readonly keyEncryptionKey: Buffer;
  readonly logger: Logger;
}

/**
 * Loads (creating if needed) the signing keys and keeps them current: a rotation on any node is
 * loaded by every other as its NOTIFY arrives, so all of them sign with the new key and publish
 * it in their JWKS within milliseconds.
 */
export async function openKeyRing({ store, keyEncryptionKey, logger }: KeyRingOptions): Promise<KeyRing> {
  let keys: LoadedKey[] = [];
  let lastLoad = 0;
  // Loads may overlap (a NOTIFY, an unknown kid, a rotation): an older one never replaces a newer one's keys.
  let started = 0;
  let applied = 0;

  const load = async () => {
    const mine = ++started;
    const stored = await store.published(new Date(Date.now() - LIFETIMES.accessToken * 1000 - LIFETIMES.clockSkew * 1000));
    const loaded = await Promise.all(stored.map((k) => loadKey(k, keyEncryptionKey)));
    if (mine < applied) return;
    applied = mine;
    keys = loaded;
    lastLoad = Date.now();
  };

  const rotateIfDue = async (now = new Date()) => {
    const due = (alg: SigningAlg, current: readonly { alg: SigningAlg; createdAt: Date }[]) => {
      const newest = current.find((k) => k.alg === alg);
      return newest === undefined || now.getTime() - newest.createdAt.getTime() > ROTATION_SECONDS * 1000;
    };
    const active = keys.filter((k) => k.active);
    if (ALGS.every((alg) => !due(alg, active))) return;
    await store.withRotationLock(async (tx) => {
      const current = await tx.current();
      for (const alg of ALGS) {
        if (!due(alg, current)) continue;
        for (const old of current.filter((k) => k.alg === alg)) await tx.retire(old.kid);
        await tx.insert(await newKey(alg, keyEncryptionKey));
      }
    });
    await load();
  };

  await load();
  await rotateIfDue();
  const unwatch = await store.watch(() => {
    load().catch((err: unknown) => logger.error({ err }, 'could not load the token-signing keys another node made'));
  });
  const timer = setInterval(() => {
    rotateIfDue().catch((err: unknown) => logger.error({ err }, 'could not refresh or rotate the token-signing keys'));
  }, REFRESH_SECONDS * 1000);
  timer.unref();

  return {
    signer(alg) {
      const key = keys.find((k) => k.alg === alg && k.active);
      if (key === undefined) throw new Error(`no active ${alg} signing key`);
      return { kid: key.kid, key: key.privateKey };
    },
    async verifier(kid) {
      let key = keys.find((k) => k.kid === kid);
      if (key === undefined && Date.now() - lastLoad > 1000) {
        await load();
        key = keys.find((k) => k.kid === kid);
      }
      return key === undefined ? undefined : { alg: key.alg, key: key.publicKey };
    },
    jwks: () => ({ keys: keys.map((k) => k.publicJwk) }),
    rotateIfDue,
    async close() {
      clearInterval(timer);
      await unwatch();
    },
  };
}

async function loadKey(k: StoredSigningKey, keyEncryptionKey: Buffer): Promise<LoadedKey> {
  return {
    kid: k.kid,
    alg: k.alg,
    privateKey: (await importJWK(await openJwk(k.privateKeyJwe, k.kid, keyEncryptionKey), k.alg)) as KeyObject,
    publicKey: (await importJWK(k.publicJwk, k.alg)) as KeyObject,
    publicJwk: k.publicJwk,
    createdAt: k.createdAt,
    active: k.retiredAt === undefined,
  };
}

async function newKey(alg: SigningAlg, keyEncryptionKey: Buffer): Promise<Omit<StoredSigningKey, 'createdAt' | 'retiredAt'>> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });
  const publicJwk = await exportJWK(publicKey);
  // RFC 7638 thumbprint: a kid that names the key itself, identical on every node.
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateKeyJwe = await sealJwk({ ...(await exportJWK(privateKey)), kid, alg }, kid, keyEncryptionKey);
  return { kid, alg, privateKeyJwe, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}
