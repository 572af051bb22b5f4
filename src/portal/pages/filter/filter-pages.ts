import type { Taxonomy } from '../../../access/content/taxonomy.js';
import { WRITE_MODES, type WriteMode } from '../../../access/filter/access-filter.js';
import type { AccessFilterService, AccessFilterView, CheckedAccessFilter } from '../../../access/filter/filter-service.js';
import { filterFromText, FILTER_LIMITS } from '../../../access/filter/parse-filter.js';
import type { ClientReach, RegisteredClient } from '../../../auth/clients/client.js';
import type { ClientRegistry, ClientScope } from '../../../auth/clients/client-registry.js';
import { clientScopeFor } from '../../../auth/clients/client-scope.js';
import { html } from '../../../auth/views/html.js';
import { FhirkeepError, isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { PortalRequest, PortalResult } from '../../portal-page.js';
import { redirect } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { appRoute } from '../apps/apps-common.js';
import { confirmPage } from './confirm-view.js';
import { editorPage, filterPath, type CheckOutcome, type EditorState } from './editor-view.js';
import './filter-assets.js';
import { blocksOfFilter, guidedJson, NotGuided } from './guided-filter.js';
import { readGuidedForm } from './guided-form.js';

export interface FilterPageDeps {
  /** The registry the client API reads (a developer's scope answers another's client as missing). */
  readonly clients: Pick<ClientRegistry, 'find'>;
  /** The service behind `GET/PUT /api/clients/:id/filter` and `POST …/filter/check`. */
  readonly accessFilters: Pick<AccessFilterService, 'get' | 'check' | 'setAccessFilter'>;
  /** What `GET /api/content-types?q=` searches. */
  readonly taxonomy: Taxonomy;
}

const SEARCH_RESULTS = 20;

/** The client a request is about, as the client API finds it for the signed-in account. */
interface Subject {
  readonly accountId: string;
  readonly scope: ClientScope;
  readonly client: RegisteredClient;
  readonly saved: AccessFilterView;
  readonly admin: boolean;
}

/**
 * `/portal/apps/:id/filter`: an application's data access filter, write mode and (admins) reach,
 * in a guided editor or as JSON (docs/portal/portal-filter.md). Every check and save goes through
 * the filter service, with the client API's permission (clientScopeFor): another developer's
 * app is 404, and only an admin changes the reach.
 */
export function filterPages(deps: FilterPageDeps): PortalRoute[] {
  const subject = async (req: PortalRequest): Promise<Subject> => {
    const account = req.account;
    if (account === undefined) throw new FhirkeepError('unauthorized', 'Sign in first');
    const scope = clientScopeFor({ accountId: account.id, roles: account.roles });
    const id = req.params['id'] ?? '';
    const client = await deps.clients.find(id, scope);
    if (client === undefined) throw new FhirkeepError('not-found', `There is no client ${id}`);
    return { accountId: account.id, scope, client, saved: await deps.accessFilters.get(id, scope), admin: account.roles.includes('admin') };
  };

  /** A form target of the editor: the handler gets the posted form with its client and settings. */
  const editorForm = (path: string, handle: (req: PortalRequest, p: Posted) => Promise<PortalResult>): PortalRoute =>
    editorRoute('POST', path, async (req) => {
      const s = await subject(req);
      const form = req.form ?? new URLSearchParams();
      return handle(req, { ...s, form, settings: readSettings(form, s.admin) });
    });

  /** The service's verdict on a filter; its refusals (an invalid filter, a reach a developer may not set) as messages. */
  const check = async (p: Posted, filter: () => unknown): Promise<CheckOutcome> => {
    const { writeMode, reach } = p.settings;
    const outcome = await refusalAsMessage(() => deps.accessFilters.check(p.client.id, { filter: filter(), writeMode, ...(reach === undefined ? {} : { reach }) }, p.scope));
    return 'error' in outcome ? outcome : { checked: outcome.ok };
  };

  const render = (req: PortalRequest, s: Subject, state: EditorState, settings: Settings, outcome?: CheckOutcome, notice?: ReturnType<typeof html>) =>
    editorPage({ client: s.client, saved: s.saved, admin: s.admin, csrf: req.csrf, taxonomy: deps.taxonomy, writeMode: settings.writeMode, reach: settings.reach ?? s.saved.reach, state, outcome, notice });

  /** The step before saving: the checked filter and the log-out choice. */
  const confirm = (req: PortalRequest, p: Posted, checked: CheckedAccessFilter, text: string, mode: EditorState['mode'], problem?: string) =>
    confirmPage({ client: p.client, saved: p.saved, checked, text, sendReach: p.settings.reach !== undefined, mode, csrf: req.csrf, problem });

  return [
    editorRoute('GET', '/portal/apps/:id/filter', async (req) => {
      const s = await subject(req);
      const settings = { writeMode: s.saved.writeMode, reach: s.saved.reach };
      const notice = savedNotice(req.query);
      const expert = { mode: 'expert', text: JSON.stringify(s.saved.filter, null, 2) } as const;
      if (req.query.get('mode') === 'expert') return render(req, s, expert, settings, undefined, notice);
      try {
        return render(req, s, guidedState(s.saved.filter), settings, undefined, notice);
      } catch (e) {
        if (!(e instanceof NotGuided)) throw e;
        return render(req, s, expert, settings, undefined, html`${notice ?? ''}<p class="notice" role="status">The guided editor cannot show this filter (${e.message}): here it is as JSON.</p>`);
      }
    }),
    editorForm('/portal/apps/:id/filter', async (req, p) => {
      const { form, settings } = p;
      const action = form.get('action') ?? 'check';
      const state: EditorState = form.get('mode') === 'expert' ? { mode: 'expert', text: form.get('filter_json') ?? '' } : { mode: 'guided', form: readGuidedForm(form) };
      const json = (): unknown => (state.mode === 'guided' ? guidedJson(state.form.on, state.form.blocks, p.saved.filter) : filterFromText(state.text));

      if (state.mode === 'guided') {
        const { blocks, queries } = state.form;
        const [verb, n] = action.split(':');
        const at = Number(n);
        if (verb === 'add' && blocks.length < FILTER_LIMITS.blocks) {
          return render(req, p, { mode: 'guided', form: { ...state.form, blocks: [...blocks, {}], queries: [...queries, ''] } }, settings);
        }
        if (verb === 'remove' && blocks.length > 1 && at >= 0 && at < blocks.length) {
          return render(req, p, { mode: 'guided', form: { ...state.form, blocks: blocks.filter((_, i) => i !== at), queries: queries.filter((_, i) => i !== at) } }, settings);
        }
        if (verb === 'search' && at >= 0 && at < blocks.length) {
          return render(req, p, { ...state, results: { block: at, found: deps.taxonomy.search(queries[at] ?? '', SEARCH_RESULTS) } }, settings);
        }
        if (action === 'expert') {
          const text = JSON.stringify(json(), null, 2);
          return render(req, p, { mode: 'expert', text }, settings, await check(p, () => JSON.parse(text)));
        }
      } else if (action === 'guided') {
        const guided = guidedOfText(state.text);
        if ('notGuided' in guided) return render(req, p, state, settings, { error: guided.notGuided });
        return render(req, p, guided, settings, await check(p, json));
      }

      const outcome = await check(p, json);
      if (action !== 'save' || 'error' in outcome) return render(req, p, state, settings, outcome);
      if (!outcome.checked.changed) return redirect(`${filterPath(p.client.id)}?unchanged=1${state.mode === 'expert' ? '&mode=expert' : ''}`);
      return confirm(req, p, outcome.checked, state.mode === 'expert' ? state.text : JSON.stringify(outcome.checked.filter, null, 2), state.mode);
    }),
    editorForm('/portal/apps/:id/filter/save', async (req, p) => {
      const { form, settings } = p;
      const text = form.get('filter_json') ?? '';
      const mode = form.get('mode') === 'expert' ? 'expert' : 'guided';
      // Back to the editor the form came from, the expert one when the guided one cannot hold the text.
      const back = (outcome?: CheckOutcome) => {
        const guided = mode === 'guided' ? guidedOfText(text) : undefined;
        return render(req, p, guided === undefined || 'notGuided' in guided ? { mode: 'expert', text } : guided, settings, outcome);
      };
      if (form.get('action') === 'back') return back();
      const logout = form.get('logout');
      if (logout !== 'yes' && logout !== 'no') {
        const outcome = await check(p, () => filterFromText(text));
        if ('error' in outcome) return back(outcome);
        return confirm(req, p, outcome.checked, text, mode, 'Choose whether to log out all users now.');
      }
      const saved = await refusalAsMessage(() =>
        deps.accessFilters.setAccessFilter(
          p.client.id,
          { filter: filterFromText(text), writeMode: settings.writeMode, ...(settings.reach === undefined ? {} : { reach: settings.reach }), logoutUsers: logout === 'yes' },
          p.accountId,
          p.scope,
        ),
      );
      if ('error' in saved) return back(saved);
      const path = filterPath(p.client.id);
      if (saved.ok.filterVersion === p.saved.filterVersion) return redirect(`${path}?unchanged=1`);
      return redirect(`${path}?saved=${saved.ok.filterVersion}&revoked=${saved.ok.revokedGrants}&logout=${logout}`);
    }),
  ];
}

function editorRoute(method: PortalRoute['method'], path: string, handle: PortalRoute['handle']): PortalRoute {
  return appRoute(method, path, handle, ['filter-editor.js']);
}

/** A posted editor form: its client, its fields, and the settings it sends. */
interface Posted extends Subject {
  readonly form: URLSearchParams;
  readonly settings: Settings;
}

/** Runs a service call; its refusals of the input (an invalid filter, a reach a developer may not set) come back as the editor's message. */
async function refusalAsMessage<T>(call: () => Promise<T>): Promise<{ readonly ok: T } | { readonly error: string }> {
  try {
    return { ok: await call() };
  } catch (e) {
    if (isFhirkeepError(e) && (e.code === 'bad-request' || e.code === 'forbidden')) return { error: e.message };
    throw e;
  }
}

interface Settings {
  readonly writeMode: WriteMode;
  /** Sent by an admin's form only: absent leaves the reach as it is (a developer may not change it). */
  readonly reach: ClientReach | undefined;
}

function readSettings(form: URLSearchParams, admin: boolean): Settings {
  const writeMode = form.get('write_mode');
  if (!(WRITE_MODES as readonly (string | null)[]).includes(writeMode)) throw new FhirkeepError('bad-request', `write_mode must be one of ${WRITE_MODES.join(', ')}`);
  const reach = form.get('reach');
  if (!admin || reach === null) return { writeMode: writeMode as WriteMode, reach: undefined };
  if (reach !== 'consented' && reach !== 'all') throw new FhirkeepError('bad-request', 'reach must be consented or all');
  return { writeMode: writeMode as WriteMode, reach };
}

/** The guided editor opened on a filter's JSON; `NotGuided` when it cannot hold it. */
function guidedState(json: unknown): EditorState {
  if (json === null || json === undefined) return { mode: 'guided', form: { on: false, blocks: [{}], queries: [''] } };
  const blocks = blocksOfFilter(json);
  return { mode: 'guided', form: { on: true, blocks, queries: blocks.map(() => '') } };
}

/** The guided editor on a filter's JSON text, or why it cannot open there (not JSON, not a filter, not guided). */
function guidedOfText(text: string): EditorState | { readonly notGuided: string } {
  try {
    return guidedState(filterFromText(text));
  } catch (e) {
    if (e instanceof NotGuided) return { notGuided: `The guided editor cannot show this filter: ${e.message}` };
    if (isFhirkeepError(e)) return { notGuided: e.message };
    throw e;
  }
}

/** What the save's redirect reports (PRG): the new version and whether users were logged out. */
function savedNotice(query: URLSearchParams): ReturnType<typeof html> | undefined {
  if (query.get('unchanged') === '1') {
    return html`<p class="notice" role="status">Nothing changed: the filter, write mode and reach are as saved. No new version, nobody logged out.</p>`;
  }
  const version = Number.parseInt(query.get('saved') ?? '', 10);
  if (!Number.isSafeInteger(version)) return undefined;
  const revoked = Number.parseInt(query.get('revoked') ?? '0', 10) || 0;
  let users = 'Users stay signed in.';
  if (query.get('logout') === 'yes') {
    users = revoked === 0 ? 'No user authorization was active: nobody had to be logged out.' : `${revoked} user authorization${revoked === 1 ? ' was' : 's were'} revoked: those users are logged out.`;
  }
  return html`<p class="success" role="status">Saved version ${version}. ${users} Every user must confirm the new filter before the app sees their data again.</p>`;
}
