import type { TaxonomyAdmin } from '../../../access/content/taxonomy-admin.js';
import type { Taxonomy } from '../../../access/content/taxonomy.js';
import type { StudyGrants } from '../../../access/studies/study-grants.js';
import type { AccountService } from '../../../auth/accounts/account-service.js';
import type { Account } from '../../../auth/accounts/account.js';
import { ADMIN_ROLES, requireAdmin } from '../../../auth/accounts/admin-permission.js';
import type { ClientRegistry } from '../../../auth/clients/client-registry.js';
import type { HieService } from '../../../auth/dialects/hie/hie-service.js';
import { html, type SafeHtml } from '../../../auth/views/html.js';
import { FhirkeepError, isFhirkeepError } from '../../../errors/fhirkeep-error.js';
import { csrfField } from '../../layout.js';
import { page, type PortalRequest, type PortalResult } from '../../portal-page.js';
import type { PortalRoute } from '../../portal-route.js';
import { ADMIN_FORMS_SCRIPT, type LiveCheck } from './admin-form-checks.js';
import type { FieldRule } from './field-rules.js';

/** The services the admin pages call: the very ones the admin API routes and the CLI call. */
export interface AdminDeps {
  readonly accounts: AccountService;
  readonly taxonomy: Taxonomy;
  readonly taxonomyAdmin: TaxonomyAdmin;
  readonly clients: Pick<ClientRegistry, 'list'>;
  readonly studies: StudyGrants;
  readonly hie: HieService;
}

/** A form that failed: the server's message goes back on that form, with what was typed. */
export interface FormProblem {
  /** Which form of the page (several share a page). */
  readonly form: string;
  readonly message: string;
  readonly status: number;
  readonly values: URLSearchParams;
}

/** A request that reached an admin page: the account is there and holds the admin role. */
export interface AdminRequest extends PortalRequest {
  readonly account: Account;
}

/**
 * An admin page or form target. The adapter checks the role before the handler runs; the handler
 * checks it again with the admin API's own rule, so a route registered with the wrong access
 * cannot become a page with powers the API refuses.
 */
export function adminRoute(method: 'GET' | 'POST', path: string, handle: (req: AdminRequest) => Promise<PortalResult>): PortalRoute {
  return {
    method,
    path,
    access: ADMIN_ROLES,
    scripts: [ADMIN_FORMS_SCRIPT],
    handle: async (req) => {
      const account = req.account;
      requireAdmin(account?.roles ?? [], 'Using the admin pages');
      if (account === undefined) throw new FhirkeepError('unauthorized', 'Sign in first');
      // Text columns cannot hold NUL: a path naming one names nothing (the /api routes answer so too).
      if (Object.values(req.params).some((v) => v.includes('\0'))) throw new FhirkeepError('not-found', 'Nothing is named with a NUL character');
      return handle({ ...req, account });
    },
  };
}

/** A posted form's fields; a NUL anywhere is refused as the JSON API refuses it in a body. */
export function formFields(req: PortalRequest): URLSearchParams {
  const form = req.form ?? new URLSearchParams();
  for (const [, value] of form) {
    if (value.includes('\0')) throw new FhirkeepError('bad-request', 'A field holds a NUL character');
  }
  return form;
}

/**
 * A form target: on success, `act` answers (usually a redirect); when the service refuses the
 * input, `view` draws the page again with the server's message on the form named `form`.
 */
export function adminForm(
  path: string,
  form: string,
  view: (req: AdminRequest, problem: FormProblem) => Promise<PortalResult>,
  act: (req: AdminRequest, fields: URLSearchParams) => Promise<PortalResult>,
): PortalRoute {
  return adminRoute('POST', path, async (req) => {
    const values = req.form ?? new URLSearchParams();
    try {
      return await act(req, formFields(req));
    } catch (e) {
      if (!isFhirkeepError(e) || e.status >= 500 || e.status === 401) throw e;
      return view(req, { form, message: e.message, status: e.status, values });
    }
  });
}

/** An admin page under its section's tab, answered with the problem's status when a form failed. */
export function adminPage(title: string, section: string, body: SafeHtml, problem?: FormProblem): PortalResult {
  return page(title, html`${adminTabs(section)}${body}`, problem === undefined ? {} : { status: problem.status });
}

const SECTIONS = [
  ['/portal/admin/users', 'Users'],
  ['/portal/admin/organizations', 'Organizations'],
  ['/portal/admin/content', 'Content groups'],
  ['/portal/admin/research', 'Research'],
  ['/portal/admin/hie', 'HIE'],
] as const;

export const ADMIN_SECTIONS: readonly (readonly [string, string])[] = SECTIONS;

function adminTabs(section: string): SafeHtml {
  const link = (href: string, label: string) => html`<a href="${href}"${href === section ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<nav class="tabs" aria-label="Admin sections">${link('/portal/admin', 'Overview')}${SECTIONS.map(([href, label]) => link(href, label))}</nav>`;
}

/** The server's message on the form it belongs to (role=alert: read out when the page loads). */
export function formError(problem: FormProblem | undefined, form: string): SafeHtml {
  return problem?.form === form ? html`<p class="error" role="alert" id="${form}-error">${problem.message}</p>` : html``;
}

/** What was typed into a field of the failed form, to fill it again. */
export function typed(problem: FormProblem | undefined, form: string, name: string, fallback = ''): string {
  return problem?.form === form ? (problem.values.get(name) ?? fallback) : fallback;
}

export interface FieldOptions {
  readonly form: string;
  readonly name: string;
  readonly label: string;
  readonly type?: 'text' | 'email' | 'password' | 'search';
  readonly required?: boolean;
  readonly hint?: string;
  readonly autocomplete?: string;
  readonly problem?: FormProblem | undefined;
  /** Never refilled after a failed post (passwords). */
  readonly secret?: boolean;
  readonly value?: string;
  /** The service's rule as HTML constraints (field-rules.ts). */
  readonly rule?: FieldRule;
  /** What the page's script asks the API about the value as one types. */
  readonly check?: LiveCheck;
}

/**
 * A labelled input; its hint is tied to it (aria-describedby), and so are the form's error and,
 * for a field with a rule or a check, the live message the page's script writes as one types.
 */
export function field(o: FieldOptions): SafeHtml {
  const id = `${o.form}-${o.name}`;
  const live = o.rule !== undefined || o.check !== undefined;
  const described = [o.hint === undefined ? undefined : `${id}-hint`, live ? `${id}-live` : undefined, o.problem?.form === o.form ? `${o.form}-error` : undefined].filter((x) => x !== undefined).join(' ');
  const value = o.secret === true ? '' : typed(o.problem, o.form, o.name, o.value ?? '');
  return html`<label for="${id}">${o.label}</label>${o.hint === undefined ? '' : html`<p class="hint" id="${id}-hint">${o.hint}</p>`}<input type="${o.type ?? 'text'}" id="${id}" name="${o.name}"${value === '' ? '' : html` value="${value}"`}${o.required === true ? html` required` : ''}${o.autocomplete === undefined ? '' : html` autocomplete="${o.autocomplete}"`}${constraints(o.rule, o.check)}${described === '' ? '' : html` aria-describedby="${described}"`}>${live ? liveMessage(id) : ''}`;
}

/** A rule's HTML constraints with its message, and the live check, as attributes. */
export function constraints(rule: FieldRule | undefined, check?: LiveCheck): SafeHtml {
  const attribute = (name: string, value: string | number | undefined) => (value === undefined ? '' : html` ${name}="${String(value)}"`);
  return html`${attribute('pattern', rule?.pattern)}${attribute('minlength', rule?.minlength)}${attribute('maxlength', rule?.maxlength)}${attribute('inputmode', rule?.inputmode)}${attribute('data-invalid', rule?.message)}${attribute('data-check', check)}`;
}

/** Where the script writes what it finds of field `id` (polite: read out when the typing pauses). */
export function liveMessage(id: string): SafeHtml {
  return html`<p class="live" id="${id}-live" aria-live="polite"></p>`;
}

/** A one-button form (remove, revoke, disable), asking first when `confirm` is given. */
export function actionButton(o: {
  readonly action: string;
  readonly csrf: string;
  readonly label: string;
  /** What the button does in full, for a screen reader ("Remove body/weight"), when a table row gives the rest. */
  readonly name?: string;
  readonly hidden?: Readonly<Record<string, string>>;
  readonly confirm?: string;
  readonly danger?: boolean;
}): SafeHtml {
  const hidden = Object.entries(o.hidden ?? {}).map(([n, v]) => html`<input type="hidden" name="${n}" value="${v}">`);
  return html`<form method="post" action="${o.action}"${o.confirm === undefined ? '' : html` data-confirm="${o.confirm}"`}>${csrfField(o.csrf)}${hidden}<button type="submit"${o.danger === true ? html` class="danger"` : ''}${o.name === undefined ? '' : html` aria-label="${o.name}"`}>${o.label}</button></form>`;
}

/** A path segment of a portal link. */
export const seg = (s: string): string => encodeURIComponent(s);
