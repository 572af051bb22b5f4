/**
 * Who is calling. Built by authentication; the access engine turns it into an AccessScope.
 * More kinds (user, client, API key, certificate, HIE) arrive with the authorization issue.
 */
export type Principal =
  | { readonly kind: 'system'; readonly reason: string }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'dev-anonymous' };
