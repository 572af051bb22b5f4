import type { RegisteredClient } from '../../../auth/clients/client.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { appPath, appRoute, appTabs, attempt, clientInScope, doneBox, field, param, problemBox, revealOnce, scopeOf, signedIn, TYPE_LABELS, when, type AppsDeps } from './apps-common.js';
import { lines, pastedJwks, scopeList } from './client-form.js';
import { sealReveal } from './reveal-once.js';

/** What the edit form holds: the client's settings, or what was posted when the registry refused it. */
interface SettingsValues {
  readonly name: string;
  readonly redirectUris: string;
  readonly scope: string;
  readonly jwks: string;
  readonly jwksUri: string;
  readonly launchUri: string;
}

function valuesOf(client: RegisteredClient): SettingsValues {
  return {
    name: client.name,
    redirectUris: client.redirectUris.join('\n'),
    scope: client.scopes.join(' '),
    jwks: client.jwks === undefined ? '' : JSON.stringify(client.jwks, null, 2),
    jwksUri: client.jwksUri ?? '',
    launchUri: client.launchUri ?? '',
  };
}

function postedValues(form: URLSearchParams | undefined): SettingsValues {
  return {
    name: field(form, 'client_name'),
    redirectUris: field(form, 'redirect_uris'),
    scope: field(form, 'scope'),
    jwks: field(form, 'jwks'),
    jwksUri: field(form, 'jwks_uri'),
    launchUri: field(form, 'launch_uri'),
  };
}

/** How the client proves who it is (fixed at registration). */
function authentication(client: RegisteredClient): string {
  if (client.isPublic) return 'None: a public client (PKCE)';
  return client.hasSecret ? 'Client secret (set; never shown again)' : 'Signed client assertions (private_key_jwt)';
}

const usesKeys = (client: RegisteredClient) => !client.isPublic && !client.hasSecret;

function settingsTable(client: RegisteredClient, ownerEmail: string | undefined): SafeHtml {
  const list = (items: readonly string[]) => (items.length === 0 ? html`<span class="muted">none</span>` : html`${items.map((i, n) => html`${n === 0 ? '' : html`<br>`}<code>${i}</code>`)}`);
  return html`<table>
<tbody>
<tr><th scope="row">Client ID</th><td><code id="client-id">${client.id}</code> <button type="button" data-copy="client-id">Copy</button></td></tr>
<tr><th scope="row">Type</th><td>${TYPE_LABELS[client.type]}</td></tr>
<tr><th scope="row">Authentication</th><td>${authentication(client)}</td></tr>
<tr><th scope="row">Redirect URIs</th><td>${list(client.redirectUris)}</td></tr>
<tr><th scope="row">Scopes</th><td>${list(client.scopes)}</td></tr>
${usesKeys(client) ? html`<tr><th scope="row">Keys</th><td>${client.jwksUri === undefined ? html`${client.jwks?.keys.length ?? 0} key(s) registered inline` : html`<code>${client.jwksUri}</code>`}</td></tr>` : ''}
${client.type === 'smart' ? html`<tr><th scope="row">Launch URI</th><td>${client.launchUri === undefined ? html`<span class="muted">none</span>` : html`<code>${client.launchUri}</code>`}</td></tr>` : ''}
<tr><th scope="row">PKCE required</th><td>${client.requirePkce ? 'Yes' : 'No'}</td></tr>
<tr><th scope="row">Owner</th><td>${ownerEmail ?? client.ownerAccount ?? html`<span class="muted">none (registered at the CLI)</span>`}</td></tr>
<tr><th scope="row">Created</th><td>${when(client.createdAt)}</td></tr>
<tr><th scope="row">Status</th><td>${client.revoked ? html`<strong>Revoked</strong>` : 'Active'}</td></tr>
</tbody>
</table>`;
}

function editForm(req: PortalRequest, client: RegisteredClient, v: SettingsValues, problem: string | undefined): SafeHtml {
  const action = appPath(client.id, '/settings');
  return html`<section class="card" aria-labelledby="edit-heading">
<h2 id="edit-heading">Edit settings</h2>
${problemBox(problem)}
<form method="post" action="${action}">
${csrfField(req.csrf)}
<label for="client_name">Name</label>
<input type="text" id="client_name" name="client_name" required maxlength="200" value="${v.name}">
<label for="redirect_uris">Redirect URIs</label>
<textarea id="redirect_uris" name="redirect_uris" rows="3" aria-describedby="redirect-hint">${v.redirectUris}</textarea>
<p class="hint" id="redirect-hint">One per line, https (http only for localhost), matched exactly.</p>
<label for="scope">Scopes</label>
<input type="text" id="scope" name="scope" value="${v.scope}" aria-describedby="scope-hint">
<p class="hint" id="scope-hint">Separated by spaces.</p>
${
  usesKeys(client)
    ? html`<label for="jwks">JWK Set (JSON)</label>
<textarea id="jwks" name="jwks" rows="4" aria-describedby="jwks-hint">${v.jwks}</textarea>
<label for="jwks_uri">or JWK Set URL</label>
<input type="url" id="jwks_uri" name="jwks_uri" value="${v.jwksUri}" aria-describedby="jwks-hint">
<p class="hint" id="jwks-hint">One of the two: public keys only (RS384 or ES384).</p>`
    : ''
}
${
  client.type === 'smart'
    ? html`<label for="launch_uri">Launch URI</label>
<input type="url" id="launch_uri" name="launch_uri" value="${v.launchUri}" aria-describedby="launch-hint">
<p class="hint" id="launch-hint">Where an EHR launch starts the app (optional).</p>`
    : ''
}
<button type="submit" class="primary">Save</button>
</form>
</section>`;
}

function dangerZone(req: PortalRequest, client: RegisteredClient): SafeHtml {
  if (client.revoked) return html``;
  const base = appPath(client.id);
  return html`<section class="card" aria-labelledby="danger-heading">
<h2 id="danger-heading">Secret and revocation</h2>
${
  client.hasSecret
    ? html`<form method="post" action="${base}/secret" data-confirm="Make a new client secret? The current secret stops working at once.">
${csrfField(req.csrf)}<p>A new secret replaces the current one immediately; it is shown once.</p>
<button type="submit">Rotate the client secret</button>
</form>`
    : ''
}
<form method="post" action="${base}/revoke" data-confirm="Revoke ${client.name}? Its tokens, keys and secret stop working at once, and this cannot be undone.">
${csrfField(req.csrf)}<p>Revoking stops the application everywhere at once: its tokens, API keys and secret. It cannot be undone.</p>
<button type="submit" class="danger">Revoke the application</button>
</form>
</section>`;
}

async function overviewPage(deps: AppsDeps, req: PortalRequest, client: RegisteredClient, edit?: { values: SettingsValues; problem: string }): Promise<PortalResult> {
  const path = appPath(client.id);
  const reveal = revealOnce(deps, req, path);
  const owner = client.ownerAccount === undefined ? undefined : (await deps.accounts.find(client.ownerAccount))?.email;
  return page(
    client.name,
    html`${appTabs(client.id, 'overview')}${doneBox(req)}${reveal.box}
<section class="card" aria-labelledby="settings-heading">
<h2 id="settings-heading">Settings</h2>
${settingsTable(client, owner)}
</section>
${client.revoked ? '' : editForm(req, client, edit?.values ?? valuesOf(client), edit?.problem)}
${dangerZone(req, client)}`,
    { status: edit === undefined ? 200 : 400, cookies: reveal.cookies },
  );
}

/** `/portal/apps/:id`: the client, its edit form, secret rotation and revocation (`GET/PATCH/DELETE /api/clients/:id`, `POST …/secret`). */
export function overviewPages(deps: AppsDeps): PortalRoute[] {
  return [
    appRoute('GET', '/portal/apps/:id', async (req) => overviewPage(deps, req, await clientInScope(deps, req))),
    appRoute('POST', '/portal/apps/:id/settings', async (req) => {
      const account = signedIn(req);
      const client = await clientInScope(deps, req);
      const v = postedValues(req.form);
      const result = await attempt(async () => {
        const jwks = usesKeys(client) ? pastedJwks(v.jwks) : undefined;
        return deps.clients.update(
          client.id,
          {
            name: v.name,
            redirectUris: lines(v.redirectUris),
            scopes: scopeList(v.scope),
            // The registry judges the pair: both empty or both given is its 400.
            ...(usesKeys(client) ? { jwks: jwks ?? null, jwksUri: v.jwksUri === '' ? null : v.jwksUri } : {}),
            ...(client.type === 'smart' ? { launchUri: v.launchUri === '' ? null : v.launchUri } : {}),
          },
          account.id,
          scopeOf(req),
        );
      });
      if ('problem' in result) return overviewPage(deps, req, client, { values: v, problem: result.problem });
      return redirect(`${appPath(client.id)}?done=saved`);
    }),
    appRoute('POST', '/portal/apps/:id/secret', async (req) => {
      const account = signedIn(req);
      const id = param(req, 'id');
      const { client, secret } = await deps.clients.rotateSecret(id, account.id, scopeOf(req));
      const overview = appPath(client.id);
      const sealed = sealReveal(
        { label: 'New client secret', value: secret, note: 'The previous secret no longer works: give this one to your application now.' },
        account.id,
        overview,
        deps.secureCookies(),
      );
      return redirect(`${overview}?reveal=${sealed.key}`, [sealed.cookie]);
    }),
    appRoute('POST', '/portal/apps/:id/revoke', async (req) => {
      const client = await deps.clients.revoke(param(req, 'id'), signedIn(req).id, scopeOf(req));
      return redirect(`${appPath(client.id)}?done=revoked`);
    }),
  ];
}
