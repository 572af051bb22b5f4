import { html, type SafeHtml } from './html.js';

/** What ties a form to its pending request and this browser (see sessions/browser-binding.ts). */
export interface RequestFormKeys {
  readonly requestId: string;
  readonly csrf: string;
}

export function requestFields(keys: RequestFormKeys): SafeHtml {
  return html`<input type="hidden" name="request" value="${keys.requestId}"><input type="hidden" name="csrf" value="${keys.csrf}">`;
}
