import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccountService } from '../auth/accounts/account-service.js';
import type { Account } from '../auth/accounts/account.js';
import { requireAdmin } from '../auth/accounts/admin-permission.js';
import { findUser } from '../auth/accounts/find-user.js';
import { parseIdentifier, validateMemberRole } from '../auth/accounts/organization-input.js';
import type { Member, Membership, Organization } from '../auth/accounts/organization.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { sendApiError, type ApiCaller } from './client-api-routes.js';
import { parseBody } from './json-body.js';

export interface AccountApiOptions {
  readonly accounts: AccountService;
  /** Resolves the caller, or throws a FhirkeepError (`unauthorized`, 401) when there is none. */
  readonly authenticate: (request: FastifyRequest) => Promise<ApiCaller>;
}

const createUserBody = z
  .object({
    email: z.string(),
    password: z.string().optional(),
    roles: z.array(z.string()).max(20),
    display_name: z.string().optional(),
    patient_id: z.string().optional(),
    practitioner_id: z.string().optional(),
  })
  .strict();
const identifier = z.union([z.string(), z.object({ system: z.string(), value: z.string() }).strict()]);
const createOrganizationBody = z.object({ name: z.string(), identifier: identifier.optional() }).strict();
const createTeamBody = z.object({ name: z.string() }).strict();
const memberBody = z.object({ role: z.string().optional() }).strict();

type Params = { user?: string; org?: string };
type Reply = { readonly status?: number; readonly body: unknown; readonly location?: string };

/**
 * `/api/users` and `/api/organizations` (docs/authorization.md): what `fhirkeep user` and
 * `fhirkeep org` do, for the admin portal. Admins only (403 otherwise, 401 without the portal's
 * session); users by id or email as on the CLI; errors are OperationOutcomes as on every /api route.
 */
export function registerAccountApiRoutes(app: FastifyInstance, { accounts, authenticate }: AccountApiOptions): void {
  const route = (handler: (request: FastifyRequest<{ Params: Params }>) => Promise<Reply>) => async (request: FastifyRequest<{ Params: Params }>, reply: FastifyReply) => {
    try {
      requireAdmin((await authenticate(request)).roles, 'Managing users and organizations');
      const { status = 200, body, location } = await handler(request);
      reply.status(status).header('cache-control', 'no-store');
      if (location !== undefined) reply.header('location', location);
      return await reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };
  const user = (request: FastifyRequest<{ Params: Params }>) => findUser(accounts, request.params.user ?? '');
  const organization = async (request: FastifyRequest<{ Params: Params }>) => {
    const id = request.params.org ?? '';
    const found = await accounts.findOrganization(id);
    if (found === undefined) throw new FhirkeepError('not-found', `No organization ${id}`);
    return found;
  };

  app.get('/api/users', route(async () => ({ body: { users: (await accounts.list()).map(accountView) } })));
  app.post(
    '/api/users',
    route(async (request) => {
      const b = parseBody(request, createUserBody);
      const made = await accounts.create({ email: b.email, password: b.password, roles: b.roles, displayName: b.display_name, patientId: b.patient_id, practitionerId: b.practitioner_id });
      return { status: 201, location: `/api/users/${made.id}`, body: accountView(made) };
    }),
  );
  app.get(
    '/api/users/:user',
    route(async (request) => {
      const account = await user(request);
      return { body: { ...accountView(account), organizations: (await accounts.organizationsOf(account.id)).map(membershipView) } };
    }),
  );
  app.post('/api/users/:user/disable', route(async (request) => ({ body: accountView(await accounts.disable((await user(request)).id)) })));

  app.get('/api/organizations', route(async () => ({ body: { organizations: (await accounts.listOrganizations()).map(organizationView) } })));
  app.post(
    '/api/organizations',
    route(async (request) => {
      const b = parseBody(request, createOrganizationBody);
      const made = await accounts.createOrganization({ name: b.name, identifier: typeof b.identifier === 'string' ? parseIdentifier(b.identifier) : b.identifier });
      return { status: 201, location: `/api/organizations/${made.id}`, body: organizationView(made) };
    }),
  );
  app.get(
    '/api/organizations/:org',
    route(async (request) => {
      const found = await organization(request);
      const teams = found.kind === 'organization' ? (await accounts.listOrganizations()).filter((o) => o.parentId === found.id) : [];
      return { body: { ...organizationView(found), teams: teams.map(organizationView), members: (await accounts.members(found.id)).map(memberView) } };
    }),
  );
  app.post(
    '/api/organizations/:org/teams',
    route(async (request) => {
      const team = await accounts.createTeam(request.params.org ?? '', parseBody(request, createTeamBody).name);
      return { status: 201, location: `/api/organizations/${team.id}`, body: organizationView(team) };
    }),
  );
  app.get('/api/organizations/:org/members', route(async (request) => ({ body: { members: (await accounts.members((await organization(request)).id)).map(memberView) } })));
  // PUT: adding a member again sets their role, as `org member add` does.
  app.put(
    '/api/organizations/:org/members/:user',
    route(async (request) => {
      const { role } = parseBody(request, memberBody);
      const found = await organization(request);
      const membership = await accounts.addMember(found.id, (await user(request)).id, role === undefined ? undefined : validateMemberRole(role));
      return { body: membershipView(membership) };
    }),
  );
}

/** An account as the admin API shows it (never a password hash: the Account carries none). */
export function accountView(a: Account): Record<string, unknown> {
  return {
    id: a.id,
    email: a.email,
    roles: a.roles,
    ...(a.displayName === undefined ? {} : { display_name: a.displayName }),
    ...(a.patientId === undefined ? {} : { patient_id: a.patientId }),
    ...(a.practitionerId === undefined ? {} : { practitioner_id: a.practitionerId }),
    disabled: a.disabled,
  };
}

export function organizationView(o: Organization): Record<string, unknown> {
  return { id: o.id, kind: o.kind, ...(o.parentId === undefined ? {} : { parent_id: o.parentId }), name: o.name, ...(o.identifier === undefined ? {} : { identifier: o.identifier }) };
}

function membershipView(m: Membership): Record<string, unknown> {
  return { organization: organizationView(m.organization), role: m.role };
}

function memberView(m: Member): Record<string, unknown> {
  return { account: accountView(m.account), role: m.role };
}
