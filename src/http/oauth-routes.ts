import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { introspect } from '../auth/oauth/introspect.js';
import { OAuthParams } from '../auth/oauth/oauth-form.js';
import { revoke } from '../auth/oauth/revoke.js';
import { connectionCertificate, handleTokenRequest, type TokenEndpointDependencies } from '../auth/oauth/token-endpoint.js';
import { peerCertificate } from '../auth/mtls/peer-certificate.js';
import { userinfo } from '../auth/oauth/userinfo.js';
import { authorizationServerMetadata, smartConfiguration, type AuthServerUrls } from '../auth/smart/discovery.js';
import { bearerToken } from '../auth/tokens/bearer.js';
import type { KeyRing } from '../auth/tokens/key-ring.js';
import { clientFault } from './fastify-app.js';
import { NO_STORE, sendOAuthError } from './send-oauth-error.js';

export interface OAuthRoutesOptions {
  readonly token: TokenEndpointDependencies;
  readonly keys: KeyRing;
  /** The authorization server's URLs (the mTLS listener's too, once it is bound). */
  readonly urls: () => AuthServerUrls;
}

/** RFC 6749 §3.2: the token endpoint (and RFC 7009/7662's) take application/x-www-form-urlencoded bodies only. */
function formOf(request: FastifyRequest): OAuthParams {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new FhirkeepError('invalid-request', 'The request body must be application/x-www-form-urlencoded (RFC 6749 §3.2)');
  }
  return OAuthParams.of(new URLSearchParams(typeof request.body === 'string' ? request.body : ''));
}

/**
 * The token endpoint's parameters: the form body's, or the query string's when the body has
 * none, because research partners' documentation sends them so (docs/research.md; the token
 * endpoint refuses the query string from anyone else). Never both: which place would win is a
 * question no client should have to ask. A form-body request's query string must be empty.
 */
function tokenParamsOf(request: FastifyRequest): { readonly params: OAuthParams; readonly inQuery: boolean } {
  const url = request.raw.url ?? '';
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  if (query === '') return { params: formOf(request), inQuery: false };
  if (typeof request.body === 'string' && request.body !== '') {
    throw new FhirkeepError('invalid-request', 'Send the token request parameters in the form body or in the query string, not both');
  }
  return { params: OAuthParams.of(new URLSearchParams(query)), inQuery: true };
}

/**
 * What fails before an OAuth handler runs (a body over the limit) is an OAuth error too
 * (RFC 6749 §5.2), not the FHIR API's OperationOutcome.
 */
const OAUTH_ERRORS = {
  errorHandler: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => sendOAuthError(request, reply, clientFault(error) ?? error),
};

const sendJson = (reply: FastifyReply, body: unknown, headers: Record<string, string> = NO_STORE) =>
  reply.headers(headers).type('application/json; charset=utf-8').send(JSON.stringify(body));

/** The certificate was verified when the token was bound; what can change since is its key (revoked) or its end. */
async function boundKeyStands(thumbprint: string, keys: TokenEndpointDependencies['keyAuthentication']): Promise<boolean> {
  try {
    await keys.certificate({ thumbprint, authorized: true, problem: undefined });
    return true;
  } catch (e) {
    if (e instanceof FhirkeepError) return false;
    throw e;
  }
}

/** The authorization server's machine endpoints: token, introspection, revocation, userinfo, JWKS and discovery. */
export function registerOAuthRoutes(app: FastifyInstance, o: OAuthRoutesOptions): void {
  const { urls } = o;
  const clientOf = async (request: FastifyRequest, params: OAuthParams) => {
    const presented = peerCertificate(request.raw.socket);
    return o.token.authenticateClient({
      authorization: request.headers.authorization,
      form: params,
      audiences: o.token.assertionAudiences(),
      certificate: presented === undefined ? undefined : await connectionCertificate(presented, o.token.keyAuthentication),
    });
  };

  /** An OAuth endpoint: its answer as JSON (none: an empty 200), every failure as an OAuth error. */
  const endpoint =
    (handle: (request: FastifyRequest) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
      try {
        const body = await handle(request);
        return body === undefined ? reply.status(200).headers(NO_STORE).send() : sendJson(reply, body);
      } catch (e) {
        return sendOAuthError(request, reply, e);
      }
    };

  const token = endpoint((request) => {
    const { params, inQuery } = tokenParamsOf(request);
    return handleTokenRequest(
      { params, paramsInQuery: inQuery, authorization: request.headers.authorization, ip: request.ip, certificate: peerCertificate(request.raw.socket) },
      o.token,
    );
  });
  app.post('/oauth2/token', OAUTH_ERRORS, token);
  // The research partners' documented address for the same endpoint (CONTRACT.md).
  app.post('/msk-apim/external/msk-oidc/oauth2/token', OAUTH_ERRORS, token);
  app.post(
    '/oauth2/introspect',
    OAUTH_ERRORS,
    endpoint(async (request) => {
      const params = formOf(request);
      return introspect(params, await clientOf(request, params), {
        accessTokens: o.token.accessTokens,
        grants: o.token.grants,
        filterScopes: o.token.filterScopes,
        boundKeyStands: (thumbprint) => boundKeyStands(thumbprint, o.token.keyAuthentication),
      });
    }),
  );
  app.post(
    '/oauth2/revoke',
    OAUTH_ERRORS,
    endpoint(async (request) => {
      const params = formOf(request);
      await revoke(params, await clientOf(request, params), { accessTokens: o.token.accessTokens, grants: o.token.grants, record: o.token.record, ip: request.ip });
      return undefined;
    }),
  );
  const userinfoHandler = endpoint(async (request) =>
    userinfo(await o.token.accessTokens.verify(bearerToken(request.headers.authorization)), { findAccount: o.token.findAccount, fhirBase: urls().fhirBase }),
  );
  app.get('/oauth2/userinfo', userinfoHandler);
  app.post('/oauth2/userinfo', OAUTH_ERRORS, userinfoHandler);

  // Keys rotate; a verifier meeting an unknown kid refetches, so a short cache is enough.
  app.get('/oauth2/jwks', async (_request, reply) => sendJson(reply, o.keys.jwks(), { 'Cache-Control': 'public, max-age=300' }));

  const discovery = { 'Cache-Control': 'public, max-age=3600' };
  app.get('/fhir/.well-known/smart-configuration', async (_request, reply) => sendJson(reply, smartConfiguration(urls()), discovery));
  app.get('/.well-known/openid-configuration', async (_request, reply) => sendJson(reply, authorizationServerMetadata(urls()), discovery));
  app.get('/.well-known/oauth-authorization-server', async (_request, reply) => sendJson(reply, authorizationServerMetadata(urls()), discovery));
}
