import { html } from './html.js';
import { layout, type HtmlPage } from './layout.js';

/**
 * The page shown when the client cannot be told by redirect: an unknown client or an
 * unregistered redirect URI (RFC 6749 §4.1.2.1: MUST NOT redirect), or a request this browser
 * cannot continue (expired, forged, from another browser).
 */
export function errorPage(status: number, message: string): HtmlPage {
  return {
    status,
    body: layout('Cannot continue', html`<p class="error">${message}</p><p class="muted">Return to the application and start again.</p>`),
  };
}

export function signedOutPage(): HtmlPage {
  return { status: 200, body: layout('Signed out', html`<p>You are signed out of Fhirkeep.</p>`) };
}
