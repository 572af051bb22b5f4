import { html, type SafeHtml } from './html.js';

/** One small stylesheet for every authorization page (inline: the CSP allows no other source). */
const STYLE = `
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1d2330;margin:0}
main{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin:.75rem 0 .25rem}
input[type=email],input[type=password],input[type=search]{width:100%;padding:.5rem;box-sizing:border-box;font:inherit}
button{font:inherit;padding:.5rem 1.2rem;margin:1rem .5rem 0 0;border-radius:4px;border:1px solid #345;cursor:pointer}
button.primary{background:#2456a6;color:#fff;border-color:#2456a6}
ul.choices{list-style:none;padding:0}
ul.choices li{padding:.4rem 0;border-bottom:1px solid #eee}
ul.choices label{display:inline;margin:0}
code{font-size:.85em;color:#556}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:.5rem .75rem;border-radius:4px}
.notice{background:#fff6dd;border:1px solid #e0c070;padding:.5rem .75rem;border-radius:4px}
.muted{color:#667}
`;

export function layout(title: string, content: SafeHtml): SafeHtml {
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Fhirkeep</title>
<style>${STYLE}</style>
</head>
<body><main>
<h1>${title}</h1>
${content}
</main></body>
</html>
`;
}

/** A rendered page with the status it is sent with. */
export interface HtmlPage {
  readonly status: number;
  readonly body: SafeHtml;
  /**
   * Where this page's forms may end up besides this server: the client's redirect URI, since
   * CSP `form-action` also governs the redirect that answers a form POST (CSP 3 §6.3.1.1), and
   * Approve/Deny answer with a redirect to the client.
   */
  readonly formTargets?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The CSP source a redirect URI needs in `form-action`: its origin for http(s), its scheme for a
 * native app's private-use scheme (RFC 8252 §7.1); undefined if it cannot be said safely.
 */
export function formActionSource(redirectUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : undefined;
}

/** The browser features no page of Fhirkeep (portal, authorization pages) uses, denied to it and to anything it embeds. */
export const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=()';

/**
 * Headers every authorization page carries: nothing loads but inline style, no framing
 * (clickjacking a consent button, RFC 9700 §4.16), no caching of pages holding request ids.
 */
export function pageHeaders(page: HtmlPage): Record<string, string> {
  const formAction = ["'self'", ...(page.formTargets ?? []).flatMap((t) => formActionSource(t) ?? [])].join(' ');
  return {
    ...page.headers,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // No Cross-Origin-Opener-Policy here: an app may open the authorization in a popup and needs
    // window.opener back on its redirect page (fhirclient's `target: "popup"`).
    'permissions-policy': PERMISSIONS_POLICY,
    'cache-control': 'no-store',
    pragma: 'no-cache',
  };
}
