import type { Role } from '../../../auth/accounts/account.js';
import type { Taxonomy } from '../../../access/content/taxonomy.js';
import { WRITE_MODES, type WriteMode } from '../../../access/filter/access-filter.js';
import type { AccessFilterService, AccessFilterView } from '../../../access/filter/filter-service.js';
import { filterFromText, FILTER_LIMITS } from '../../../access/filter/parse-filter.js';
import type { ClientReach, RegisteredClient } from '../../../auth/clients/client.js';
import type { ClientRegistry, ClientScope } from '../../../auth/clients/client-registry.js';
import { clientScopeFor } from '../../../auth/clients/client-scope.js';
import { html } from '../../../auth/views/html.js';
import { FhirkeepError, isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import type { PortalRequest, PortalResult } from '../../portal-page.js';
import { redirect } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
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

const ACCESS: readonly Role[] = ['developer', 'admin'];
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

  /** The service's verdict on a filter; its refusals (an invalid filter, a reach a developer may not set) as messages. */
  const check = async (s: Subject, filter: () => unknown, writeMode: WriteMode, reach: ClientReach | undefined): Promise<CheckOutcome> => {
    try {
      return { checked: await deps.accessFilters.check(s.client.id, { filter: filter(), writeMode, ...(reach === undefined ? {} : { reach }) }, s.scope) };
    } catch (e) {
      if (isFhirkeepError(e) && (e.code === 'bad-request' || e.code === 'forbidden')) return { error: e.message };
      throw e;
    }
  };

  const render = (req: PortalRequest, s: Subject, state: EditorState, settings: Settings, outcome?: CheckOutcome, notice?: ReturnType<typeof html>) =>
    editorPage({ client: s.client, saved: s.saved, admin: s.admin, csrf: req.csrf, taxonomy: deps.taxonomy, writeMode: settings.writeMode, reach: settings.reach ?? s.saved.reach, state, outcome, notice });

  return [
    {
      method: 'GET',
      path: '/portal/apps/:id/filter',
      access: ACCESS,
      scripts: ['filter-editor.js'],
      handle: async (req) => {
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
      },
    },
    {
      method: 'POST',
      path: '/portal/apps/:id/filter',
      access: ACCESS,
      scripts: ['filter-editor.js'],
      handle: async (req) => {
        const s = await subject(req);
        const form = req.form ?? new URLSearchParams();
        const settings = readSettings(form, s.admin);
        const action = form.get('action') ?? 'check';
        let state: EditorState = form.get('mode') === 'expert' ? { mode: 'expert', text: form.get('filter_json') ?? '' } : { mode: 'guided', form: readGuidedForm(form) };
        const json = (): unknown => (state.mode === 'guided' ? guidedJson(state.form.on, state.form.blocks, s.saved.filter) : filterFromText(state.text));

        if (state.mode === 'guided') {
          const { blocks, queries } = state.form;
          const [verb, n] = action.split(':');
          const at = Number(n);
          if (verb === 'add' && blocks.length < FILTER_LIMITS.blocks) {
            return render(req, s, { mode: 'guided', form: { ...state.form, blocks: [...blocks, {}], queries: [...queries, ''] } }, settings);
          }
          if (verb === 'remove' && blocks.length > 1 && at >= 0 && at < blocks.length) {
            return render(req, s, { mode: 'guided', form: { ...state.form, blocks: blocks.filter((_, i) => i !== at), queries: queries.filter((_, i) => i !== at) } }, settings);
          }
          if (verb === 'search' && at >= 0 && at < blocks.length) {
            return render(req, s, { ...state, results: { block: at, found: deps.taxonomy.search(queries[at] ?? '', SEARCH_RESULTS) } }, settings);
          }
          if (action === 'expert') {
            const text = JSON.stringify(json(), null, 2);
            return render(req, s, { mode: 'expert', text }, settings, await check(s, () => JSON.parse(text), settings.writeMode, settings.reach));
          }
        } else if (action === 'guided') {
          const outcome = await check(s, json, settings.writeMode, settings.reach);
          try {
            state = guidedState(filterFromText(state.text));
          } catch (e) {
            if (e instanceof NotGuided) return render(req, s, state, settings, { error: `The guided editor cannot show this filter: ${e.message}` });
            if (isFhirkeepError(e)) return render(req, s, state, settings, { error: e.message });
            throw e;
          }
          return render(req, s, state, settings, outcome);
        }

        const outcome = await check(s, json, settings.writeMode, settings.reach);
        if (action !== 'save' || 'error' in outcome) return render(req, s, state, settings, outcome);
        if (!outcome.checked.changed) return redirect(`${filterPath(s.client.id)}?unchanged=1${state.mode === 'expert' ? '&mode=expert' : ''}`);
        const text = state.mode === 'expert' ? state.text : JSON.stringify(outcome.checked.filter, null, 2);
        return confirmPage({ client: s.client, saved: s.saved, checked: outcome.checked, text, sendReach: settings.reach !== undefined, mode: state.mode, csrf: req.csrf });
      },
    },
    {
      method: 'POST',
      path: '/portal/apps/:id/filter/save',
      access: ACCESS,
      scripts: ['filter-editor.js'],
      handle: async (req) => {
        const s = await subject(req);
        const form = req.form ?? new URLSearchParams();
        const settings = readSettings(form, s.admin);
        const text = form.get('filter_json') ?? '';
        const mode = form.get('mode') === 'expert' ? 'expert' : 'guided';
        const back = async (outcome?: CheckOutcome) => {
          const expert = { mode: 'expert', text } as const;
          try {
            return render(req, s, mode === 'expert' ? expert : guidedState(filterFromText(text)), settings, outcome);
          } catch (e) {
            if (e instanceof NotGuided || isFhirkeepError(e)) return render(req, s, expert, settings, outcome);
            throw e;
          }
        };
        if (form.get('action') === 'back') return back();
        const logout = form.get('logout');
        if (logout !== 'yes' && logout !== 'no') {
          const outcome = await check(s, () => filterFromText(text), settings.writeMode, settings.reach);
          if ('error' in outcome) return back(outcome);
          return confirmPage({ client: s.client, saved: s.saved, checked: outcome.checked, text, sendReach: settings.reach !== undefined, mode, csrf: req.csrf, problem: 'Choose whether to log out all users now.' });
        }
        let saved;
        try {
          saved = await deps.accessFilters.setAccessFilter(
            s.client.id,
            { filter: filterFromText(text), writeMode: settings.writeMode, ...(settings.reach === undefined ? {} : { reach: settings.reach }), logoutUsers: logout === 'yes' },
            s.accountId,
            s.scope,
          );
        } catch (e) {
          if (isFhirkeepError(e) && (e.code === 'bad-request' || e.code === 'forbidden')) return back({ error: e.message });
          throw e;
        }
        const path = filterPath(s.client.id);
        if (saved.filterVersion === s.saved.filterVersion) return redirect(`${path}?unchanged=1`);
        return redirect(`${path}?saved=${saved.filterVersion}&revoked=${saved.revokedGrants}&logout=${logout}`);
      },
    },
  ];
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
