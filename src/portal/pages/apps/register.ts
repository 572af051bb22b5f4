import { CLIENT_TYPES, type ClientType } from '../../../auth/clients/client.js';
import { html } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { appPath, appRoute, attempt, field, problemBox, signedIn, TYPE_LABELS, type AppsDeps } from './apps-common.js';
import { APPS_SCRIPT } from './apps-script.js';
import { lines, pastedJwks, scopeList } from './client-form.js';
import { sealReveal } from './reveal-once.js';

interface RegisterValues {
  readonly type: string;
  readonly name: string;
  readonly redirectUris: string;
  readonly isPublic: boolean;
  readonly jwks: string;
  readonly jwksUri: string;
  readonly scope: string;
}

const EMPTY: RegisterValues = { type: 'smart', name: '', redirectUris: '', isPublic: false, jwks: '', jwksUri: '', scope: '' };

function registerForm(req: PortalRequest, v: RegisterValues, problem?: string): PortalResult {
  const options = CLIENT_TYPES.map((t) => html`<option value="${t}"${v.type === t ? html` selected` : ''}>${TYPE_LABELS[t]}</option>`);
  return page(
    'Register an application',
    html`<section class="card">
${problemBox(problem)}
<form method="post" action="/portal/apps/new">
${csrfField(req.csrf)}
<label for="type">Type</label>
<select id="type" name="type" data-client-type>${options}</select>
<p class="hint">A SMART app signs users in; an external service, data broker or research partner calls on its own behalf (with API keys or client credentials).</p>
<label for="client_name">Name</label>
<input type="text" id="client_name" name="client_name" required maxlength="200" value="${v.name}">
<div data-types="smart">
<label for="redirect_uris">Redirect URIs</label>
<textarea id="redirect_uris" name="redirect_uris" rows="3" aria-describedby="redirect-hint">${v.redirectUris}</textarea>
<p class="hint" id="redirect-hint">SMART apps: one per line, https (http only for localhost), matched exactly.</p>
<label for="public"><input type="checkbox" id="public" name="public" value="yes"${v.isPublic ? html` checked` : ''}> Public client</label>
<p class="hint">A browser or mobile app that cannot keep a secret (SMART apps only; it must use PKCE).</p>
</div>
<fieldset>
<legend>Signed client assertions (private_key_jwt), instead of a client secret</legend>
<label for="jwks">JWK Set (paste JSON)</label>
<textarea id="jwks" name="jwks" rows="4" aria-describedby="jwks-hint">${v.jwks}</textarea>
<label for="jwks_uri">or JWK Set URL</label>
<input type="url" id="jwks_uri" name="jwks_uri" value="${v.jwksUri}" aria-describedby="jwks-hint">
<p class="hint" id="jwks-hint">Public keys only (RS384 or ES384). Leave both empty to get a client secret instead.</p>
</fieldset>
<label for="scope">Scopes</label>
<input type="text" id="scope" name="scope" value="${v.scope}" aria-describedby="scope-hint">
<p class="hint" id="scope-hint">Separated by spaces, e.g. <code>launch/patient patient/*.rs openid fhirUser</code>.</p>
<button type="submit" class="primary">Register</button>
<a class="button" href="/portal/apps">Cancel</a>
</form>
</section>`,
    { status: problem === undefined ? 200 : 400 },
  );
}

function isClientType(type: string): type is ClientType {
  return (CLIENT_TYPES as readonly string[]).includes(type);
}

/** `/portal/apps/new`: registers a client as `POST /api/clients` does, for the caller's own account. */
export function registerPages(deps: AppsDeps): PortalRoute[] {
  return [
    appRoute('GET', '/portal/apps/new', async (req) => registerForm(req, EMPTY), [APPS_SCRIPT]),
    appRoute('POST', '/portal/apps/new', async (req) => {
      const account = signedIn(req);
      const f = req.form;
      const values: RegisterValues = {
        type: field(f, 'type'),
        name: field(f, 'client_name'),
        redirectUris: field(f, 'redirect_uris'),
        isPublic: f?.get('public') === 'yes',
        jwks: field(f, 'jwks'),
        jwksUri: field(f, 'jwks_uri'),
        scope: field(f, 'scope'),
      };
      const result = await attempt(async () => {
        if (!isClientType(values.type)) throw new FhirkeepError('bad-request', `type must be one of ${CLIENT_TYPES.join(', ')}`);
        const jwks = pastedJwks(values.jwks);
        return deps.clients.register(
          {
            type: values.type,
            name: values.name,
            redirectUris: lines(values.redirectUris),
            isPublic: values.isPublic,
            ...(jwks === undefined ? {} : { jwks }),
            ...(values.jwksUri === '' ? {} : { jwksUri: values.jwksUri }),
            scopes: scopeList(values.scope),
            ownerAccount: account.id,
          },
          account.id,
        );
      });
      if ('problem' in result) return registerForm(req, values, result.problem);
      const { client, secret } = result.ok;
      const overview = appPath(client.id);
      if (secret === undefined) return redirect(`${overview}?done=registered`);
      const sealed = sealReveal(
        { label: 'Client secret', value: secret, note: `Your application authenticates at the token endpoint with its client ID ${client.id} and this secret (client_secret_basic or client_secret_post).` },
        account.id,
        overview,
        deps.secureCookies(),
      );
      return redirect(`${overview}?done=registered&reveal=${sealed.key}`, [sealed.cookie]);
    }, [APPS_SCRIPT]),
  ];
}
