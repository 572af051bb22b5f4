/**
 * Who is calling. Built by authentication; the access engine turns it into an AccessScope.
 * More kinds (user, client, API key, certificate, HIE) arrive with the authorization issue.
 */
export type Principal =
  | { readonly kind: 'system'; readonly reason: string }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'dev-anonymous' };

export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'system':
      return `system (${p.reason})`;
    case 'anonymous':
      return 'anonymous';
    case 'dev-anonymous':
      return 'anonymous (FHIRKEEP_DEV_NO_AUTH)';
  }
}
