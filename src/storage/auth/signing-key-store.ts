import type { JWK } from 'jose';
import type { Sql } from 'postgres';

export type SigningAlg = 'ES256' | 'RS256';

export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: SigningAlg;
  /** The private JWK, sealed (compact JWE) with the key-encryption key. */
  readonly privateKeyJwe: string;
  readonly publicJwk: JWK;
  readonly createdAt: Date;
  readonly retiredAt: Date | undefined;
}

export interface SigningKeyStore {
  /** Keys not retired, or retired after `publishedSince` (their tokens may still be live). */
  published(publishedSince: Date): Promise<StoredSigningKey[]>;
  /**
   * Runs `rotate` under a cluster-wide lock, so two nodes starting (or rotating) at once make
   * one key, not two; `rotate` sees the keys as they are inside the lock.
   */
  withRotationLock<T>(rotate: (keys: SigningKeyTransaction) => Promise<T>): Promise<T>;
  /**
   * Calls `onChange` when any process adds a key (a rotation's commit), and whenever the
   * listening connection is (re)established, since a rotation may have been missed while it was
   * down. Returns the unsubscriber.
   */
  watch(onChange: () => void): Promise<() => Promise<void>>;
}

export interface SigningKeyTransaction {
  current(): Promise<StoredSigningKey[]>;
  insert(key: Omit<StoredSigningKey, 'createdAt' | 'retiredAt'>): Promise<void>;
  retire(kid: string): Promise<void>;
}

interface KeyRow {
  kid: string;
  alg: SigningAlg;
  private_key_jwe: string;
  public_jwk: JWK;
  created_at: Date;
  retired_at: Date | null;
}

const keyOf = (r: KeyRow): StoredSigningKey => ({
  kid: r.kid,
  alg: r.alg,
  privateKeyJwe: r.private_key_jwe,
  publicJwk: r.public_jwk,
  createdAt: r.created_at,
  retiredAt: r.retired_at ?? undefined,
});

/** NOTIFY channel of key rotations (payload: the new kid); every node's key ring listens. */
const SIGNING_KEYS_CHANNEL = 'fhirkeep_signing_keys';

/** Arbitrary constant naming the key-rotation advisory lock. */
const ROTATION_LOCK = 0x6b657973;

export function createSigningKeyStore(sql: Sql): SigningKeyStore {
  return {
    async published(since) {
      const rows = await sql<KeyRow[]>`
        select * from signing_keys where retired_at is null or retired_at > ${since} order by created_at desc`;
      return rows.map(keyOf);
    },
    async withRotationLock<T>(rotate: (keys: SigningKeyTransaction) => Promise<T>): Promise<T> {
      return sql.begin(async (tx) => {
        await tx`select pg_advisory_xact_lock(${ROTATION_LOCK})`;
        return rotate({
          async current() {
            const rows = await tx<KeyRow[]>`select * from signing_keys where retired_at is null order by created_at desc`;
            return rows.map(keyOf);
          },
          async insert(k) {
            await tx`
              insert into signing_keys (kid, alg, private_key_jwe, public_jwk)
              values (${k.kid}, ${k.alg}, ${k.privateKeyJwe}, ${tx.json(k.publicJwk as never)})`;
            // Delivered at commit: other nodes load the key once it is there to load.
            await tx`select pg_notify(${SIGNING_KEYS_CHANNEL}, ${k.kid})`;
          },
          async retire(kid) {
            await tx`update signing_keys set retired_at = now() where kid = ${kid} and retired_at is null`;
          },
        });
      }) as Promise<T>;
    },
    async watch(onChange) {
      const { unlisten } = await sql.listen(SIGNING_KEYS_CHANNEL, () => onChange(), onChange);
      return unlisten;
    },
  };
}
