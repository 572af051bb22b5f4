import type { RegisteredClient } from '../../../auth/clients/client.js';
import type { CreatedKey } from '../../../auth/keys/key-service.js';
import { KEY_TYPES, type KeyType, type ServiceKey } from '../../../auth/keys/service-key.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, redirect, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { actorOf, appPath, appRoute, appTabs, attempt, doneBox, field, param, problemBox, revealOnce, scopeOf, signedIn, when, type AppsDeps } from './apps-common.js';
import { APPS_SCRIPT } from './apps-script.js';
import { sealReveal, type Reveal } from './reveal-once.js';

const KEY_LABELS: Readonly<Record<KeyType, string>> = { static: 'Static API key', refresh: 'Refresh key', certificate: 'Client certificate' };
const KEY_HINTS: Readonly<Record<KeyType, string>> = {
  static: 'a bearer token, valid one year',
  refresh: 'a refresh token, exchanged at /oauth2/token and rotated on each use',
  certificate: 'a client certificate for the mTLS listener, signed from your CSR',
};

/**
 * The keys of the page's client, as `GET /api/clients/:id/keys` answers them: the key service
 * decides (the service's manager, a member of the managing organization or team, or an admin;
 * 403 otherwise, 404 for an unknown client). The client itself is shown only to whom the client
 * API shows it (the owner, an admin): a manager from a team sees the keys under the client's ID.
 */
async function keysOf(deps: AppsDeps, req: PortalRequest): Promise<{ keys: ServiceKey[]; client: RegisteredClient | undefined; id: string }> {
  const id = param(req, 'id');
  const keys = await deps.keys.list(id, actorOf(req));
  return { keys, client: await deps.clients.find(id, scopeOf(req)), id };
}

/** A key of the page's client (so a URL cannot act on another client's key under this one's page). */
async function keyOfClient(deps: AppsDeps, req: PortalRequest): Promise<{ key: ServiceKey; client: RegisteredClient | undefined; id: string }> {
  const { keys, client, id } = await keysOf(deps, req);
  const keyId = param(req, 'keyId');
  const key = keys.find((k) => k.id === keyId);
  if (key === undefined) throw new FhirkeepError('not-found', `There is no key ${keyId}`);
  return { key, client, id };
}

function heading(client: RegisteredClient | undefined, id: string): string {
  return client?.name ?? `Client ${id}`;
}

function keyTable(req: PortalRequest, id: string, keys: readonly ServiceKey[]): SafeHtml {
  if (keys.length === 0) return html`<p>No keys yet.</p>`;
  const rows = keys.map((k) => {
    const revoked = k.revokedAt !== undefined;
    const actions = revoked
      ? html`<span class="muted">—</span>`
      : html`${k.type === 'certificate' ? html`<a href="${appPath(id, `/keys/${k.id}/certificate`)}">Sign a CSR</a> ` : ''}<form method="post" action="${appPath(id, `/keys/${k.id}/revoke`)}" data-confirm="Revoke the key ${k.name ?? k.id}? It stops working at once and cannot be restored.">${csrfField(req.csrf)}<button type="submit" class="danger" aria-label="Revoke key ${k.id}">Revoke</button></form>`;
    return html`<tr>
<td>${k.name === undefined ? '' : html`${k.name}<br>`}<code>${k.id}</code>${k.certificateCn === undefined ? '' : html`<br><span class="hint">CN <code>${k.certificateCn}</code></span>`}</td>
<td>${KEY_LABELS[k.type]}</td>
<td>${when(k.createdAt)}${k.expiresAt === undefined ? '' : html`<br><span class="hint">expires ${when(k.expiresAt)}</span>`}</td>
<td>${k.lastUsedAt === undefined ? html`<span class="muted">Never</span>` : when(k.lastUsedAt)}</td>
<td>${revoked ? html`<strong>Revoked</strong> ${when(k.revokedAt)}` : 'Active'}</td>
<td>${actions}</td>
</tr>`;
  });
  return html`<div class="table-scroll" role="region" aria-label="Keys" tabindex="0"><table>
<thead><tr><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
<tbody>${rows}</tbody>
</table></div>`;
}

function addKeyForm(req: PortalRequest, client: RegisteredClient | undefined, id: string, problem: string | undefined, chosen: { type: string; name: string }): SafeHtml {
  if (client?.type === 'smart') {
    return html`<p class="notice">A SMART app signs users in and gets no API keys: keys are for external services, data brokers and research partners.</p>`;
  }
  if (client?.revoked === true) return html`<p class="notice">This application is revoked: it gets no new keys.</p>`;
  return html`<section class="card" aria-labelledby="add-heading">
<h2 id="add-heading">Add a key</h2>
${problemBox(problem)}
<form method="post" action="${appPath(id, '/keys')}">
${csrfField(req.csrf)}
<fieldset>
<legend>Kind of key</legend>
${KEY_TYPES.map(
  (t) => html`<label for="type-${t}"><input type="radio" id="type-${t}" name="type" value="${t}"${chosen.type === t ? html` checked` : ''} required> ${KEY_LABELS[t]} <span class="hint">(${KEY_HINTS[t]})</span></label>`,
)}
</fieldset>
<label for="key-name">Name (optional)</label>
<input type="text" id="key-name" name="name" maxlength="200" value="${chosen.name}" aria-describedby="key-name-hint">
<p class="hint" id="key-name-hint">Where the key is used, e.g. "nightly sync on host A".</p>
<button type="submit" class="primary">Add the key</button>
</form>
</section>`;
}

async function keysPage(deps: AppsDeps, req: PortalRequest, failed?: { problem: string; type: string; name: string }): Promise<PortalResult> {
  const { keys, client, id } = await keysOf(deps, req);
  const reveal = revealOnce(deps, req, appPath(id, '/keys'));
  return page(
    `API keys · ${heading(client, id)}`,
    html`${appTabs(id, 'keys')}${doneBox(req)}${reveal.box}
<section class="card" aria-labelledby="keys-heading">
<h2 id="keys-heading">Keys</h2>
<p class="hint">Secrets are shown once, when a key is made; they are kept only as hashes. Revoking a key stops it on every server at the next request.</p>
${keyTable(req, id, keys)}
</section>
${addKeyForm(req, client, id, failed?.problem, { type: failed?.type ?? 'static', name: failed?.name ?? '' })}
<section class="card" aria-labelledby="ca-heading">
<h2 id="ca-heading">Certificate authority</h2>
<p>Clients of the mTLS listener trust Fhirkeep's CA certificate; certificates of certificate keys are issued by it.</p>
<p><a class="button" href="/portal/apps/ca-certificate" download>Download the CA certificate</a></p>
</section>`,
    { status: failed === undefined ? 200 : 400, cookies: reveal.cookies },
  );
}

function revealOf(created: CreatedKey, keyPage: string): Reveal {
  const { key, secret } = created;
  if (key.type === 'certificate') {
    const cn = key.certificateCn ?? '';
    return {
      label: 'The CN for your certificate signing request',
      value: cn,
      note: `Make a key pair and a CSR with exactly this CN (for example: openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout service.key -subj "/CN=${cn}" -out service.csr), then have it signed from "Sign a CSR" on ${keyPage}.`,
    };
  }
  if (secret === undefined) throw new Error(`a new ${key.type} key without its secret`);
  if (key.type === 'static') {
    return { label: 'Your API key', value: secret, note: `Send it as "Authorization: Bearer <key>" on each request. Valid until ${key.expiresAt?.toISOString().slice(0, 10) ?? 'revoked'}, or until revoked.` };
  }
  return {
    label: 'Your refresh token',
    value: secret,
    note: 'Exchange it at /oauth2/token (grant_type=refresh_token): each exchange returns an access token and the next refresh token, and this one stops working. A refresh token used twice revokes the key.',
  };
}

function signPage(req: PortalRequest, client: RegisteredClient | undefined, id: string, key: ServiceKey, csr = '', problem?: string): PortalResult {
  const cn = key.certificateCn ?? '';
  return page(
    `Sign a CSR · ${heading(client, id)}`,
    html`${appTabs(id, 'keys')}
<section class="card" aria-labelledby="sign-heading">
<h2 id="sign-heading">Certificate for key <code>${key.id}</code></h2>
${problemBox(problem)}
<p>The CSR must carry exactly this CN:</p>
<div class="secret"><code id="key-cn">${cn}</code><button type="button" data-copy="key-cn">Copy</button></div>
<form method="post" action="${appPath(id, `/keys/${key.id}/certificate`)}">
${csrfField(req.csrf)}
<label for="csr">Certificate signing request (PEM)</label>
<textarea id="csr" name="csr" required aria-describedby="csr-hint" placeholder="-----BEGIN CERTIFICATE REQUEST-----">${csr}</textarea>
<p class="hint" id="csr-hint">RSA of 2048 bits or more, or ECDSA on P-256, P-384 or P-521. The private key stays with you.</p>
<div data-file-into="csr" hidden>
<label for="csr-file">Or read the CSR from a file</label>
<input type="file" id="csr-file" accept=".csr,.pem,.req,.txt">
<p class="hint" data-file-status aria-live="polite"></p>
</div>
<button type="submit" class="primary">Sign and download the certificate</button>
<a class="button" href="${appPath(id, '/keys')}">Back to the keys</a>
</form>
<p><a href="/portal/apps/ca-certificate" download>Download the CA certificate</a> (what the certificate chains to).</p>
</section>`,
    { status: problem === undefined ? 200 : 400 },
  );
}

/**
 * `/portal/apps/:id/keys`: a service's API keys (docs/service-keys.md), through the key service
 * the key API uses (`POST/GET /api/clients/:id/keys`, `DELETE /api/keys/:keyId`,
 * `POST /api/keys/:keyId/certificate`, `GET /api/certificate-authority`).
 */
export function keyPages(deps: AppsDeps): PortalRoute[] {
  return [
    appRoute('GET', '/portal/apps/:id/keys', async (req) => keysPage(deps, req)),
    appRoute('POST', '/portal/apps/:id/keys', async (req) => {
      const id = param(req, 'id');
      const type = field(req.form, 'type');
      const name = field(req.form, 'name');
      const result = await attempt(async () => {
        if (!(KEY_TYPES as readonly string[]).includes(type)) throw new FhirkeepError('bad-request', `Choose the kind of key: ${KEY_TYPES.join(', ')}`);
        return deps.keys.create(id, { type: type as KeyType, name: name === '' ? undefined : name }, actorOf(req));
      });
      if ('problem' in result) return keysPage(deps, req, { problem: result.problem, type, name });
      const keyPage = appPath(id, '/keys');
      const sealed = sealReveal(revealOf(result.ok, 'this page'), signedIn(req).id, keyPage, deps.secureCookies());
      return redirect(`${keyPage}?reveal=${sealed.key}`, [sealed.cookie]);
    }),
    appRoute('POST', '/portal/apps/:id/keys/:keyId/revoke', async (req) => {
      const { key, id } = await keyOfClient(deps, req);
      await deps.keys.revoke(key.id, actorOf(req));
      return redirect(`${appPath(id, '/keys')}?done=key-revoked`);
    }),
    appRoute('GET', '/portal/apps/:id/keys/:keyId/certificate', async (req) => {
      const { key, client, id } = await keyOfClient(deps, req);
      if (key.type !== 'certificate') throw new FhirkeepError('bad-request', `The key ${key.id} is a ${key.type} key: only certificate keys have certificates`);
      if (key.revokedAt !== undefined) throw new FhirkeepError('bad-request', `The key ${key.id} is revoked`);
      return signPage(req, client, id, key);
    }, [APPS_SCRIPT]),
    appRoute('POST', '/portal/apps/:id/keys/:keyId/certificate', async (req) => {
      const { key, client, id } = await keyOfClient(deps, req);
      const csr = req.form?.get('csr') ?? '';
      const result = await attempt(() => deps.keys.signCertificate(key.id, csr, actorOf(req)));
      if ('problem' in result) return signPage(req, client, id, key, csr, result.problem);
      return { kind: 'file', name: `fhirkeep-key-${key.id}.pem`, contentType: 'application/x-pem-file', body: result.ok.pem };
    }, [APPS_SCRIPT]),
    appRoute('GET', '/portal/apps/ca-certificate', async () => ({ kind: 'file', name: 'fhirkeep-ca.pem', contentType: 'application/x-pem-file', body: await deps.caCertificate() })),
  ];
}
