import type { JSONWebKeySet } from 'jose';
import type { WriteMode } from '../../access/filter/access-filter.js';

export const CLIENT_TYPES = ['smart', 'service', 'broker', 'research'] as const;
/** smart: SMART app (user-facing); service: backend service; broker: data broker for organizations; research: research partner. */
export type ClientType = (typeof CLIENT_TYPES)[number];

/** A registered application as the authorization server sees it. Secrets never leave storage. */
export interface RegisteredClient {
  readonly id: string;
  readonly type: ClientType;
  readonly name: string;
  /** Public clients (browser/native apps) have no secret and must use PKCE. */
  readonly isPublic: boolean;
  readonly hasSecret: boolean;
  /** Exact-match redirect URIs (RFC 9700 §4.1.1). */
  readonly redirectUris: readonly string[];
  /** Inline public keys for private_key_jwt. */
  readonly jwks: JSONWebKeySet | undefined;
  /** Where the client publishes its public keys for private_key_jwt. */
  readonly jwksUri: string | undefined;
  readonly requirePkce: boolean;
  /** The scopes this client may ever be granted (SMART v1 or v2 syntax). */
  readonly scopes: readonly string[];
  readonly launchUri: string | undefined;
  readonly ownerAccount: string | undefined;
  readonly createdAt: Date;
  readonly revoked: boolean;
  /** The access filter as saved (expert-mode JSON, validated then); none: no bound beyond consents and scopes. */
  readonly accessFilter: unknown;
  /** Bumped by every filter change: consents confirmed for an older version share nothing. */
  readonly filterVersion: number;
  readonly writeMode: WriteMode;
  readonly reach: ClientReach;
  /** A research partner's data-use agreement: when it was signed (the token response's `consented_on`). */
  readonly agreementSignedAt?: Date | undefined;
}

/**
 * consented: the client reaches the records its consents share (docs/access.md); all: every
 * record, for an institution's own systems (set by an admin).
 */
export type ClientReach = 'consented' | 'all';

/** How a client proved who it is at the token, introspection or revocation endpoint. */
/** tls_client_auth (RFC 8705 §2.1): a client certificate Fhirkeep's CA signed for one of the client's keys. */
export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'tls_client_auth';

export interface AuthenticatedClient {
  readonly client: RegisteredClient;
  readonly method: ClientAuthMethod;
  /** tls_client_auth: the certificate's `x5t#S256`, which the client's access tokens are bound to (RFC 8705 §3). */
  readonly certificateThumbprint?: string;
}

/**
 * How a client authenticates at the token endpoint (RFC 7591 §2 `token_endpoint_auth_method`):
 * public clients do not; a registered key set means private_key_jwt; otherwise its secret.
 */
export function tokenEndpointAuthMethod(client: RegisteredClient): ClientAuthMethod {
  if (client.isPublic) return 'none';
  if (client.jwks !== undefined || client.jwksUri !== undefined) return 'private_key_jwt';
  return 'client_secret_basic';
}

/**
 * A client as the admin API and the CLI's --json show it: RFC 7591 §2 metadata names where one
 * exists (client_name, redirect_uris, scope, jwks, jwks_uri, token_endpoint_auth_method).
 */
export interface ClientView {
  readonly client_id: string;
  readonly client_name: string;
  readonly type: ClientType;
  readonly public: boolean;
  readonly token_endpoint_auth_method: ClientAuthMethod;
  readonly redirect_uris: readonly string[];
  /** Space-separated (RFC 7591 §2, as in RFC 6749 §3.3). */
  readonly scope: string;
  readonly jwks?: JSONWebKeySet;
  readonly jwks_uri?: string;
  readonly require_pkce: boolean;
  readonly launch_uri?: string;
  readonly owner_account?: string;
  readonly created_at: string;
  readonly revoked: boolean;
}

export function clientView(client: RegisteredClient): ClientView {
  return {
    client_id: client.id,
    client_name: client.name,
    type: client.type,
    public: client.isPublic,
    token_endpoint_auth_method: tokenEndpointAuthMethod(client),
    redirect_uris: client.redirectUris,
    scope: client.scopes.join(' '),
    ...(client.jwks === undefined ? {} : { jwks: client.jwks }),
    ...(client.jwksUri === undefined ? {} : { jwks_uri: client.jwksUri }),
    require_pkce: client.requirePkce,
    ...(client.launchUri === undefined ? {} : { launch_uri: client.launchUri }),
    ...(client.ownerAccount === undefined ? {} : { owner_account: client.ownerAccount }),
    created_at: client.createdAt.toISOString(),
    revoked: client.revoked,
  };
}
