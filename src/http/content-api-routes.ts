import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { TaxonomyAdmin } from '../access/content/taxonomy-admin.js';
import { groupTree } from '../access/content/group-tree.js';
import { DEFAULT_GROUP_SYSTEM, type ContentType, type Taxonomy } from '../access/content/taxonomy.js';
import { FhirkeepError } from '../errors/fhirkeep-error.js';
import { sendApiError, type ApiCaller } from './client-api-routes.js';
import { parseBody } from './json-body.js';

export interface ContentApiOptions {
  readonly taxonomy: Taxonomy;
  readonly admin: TaxonomyAdmin;
  /** Resolves the caller, or throws a FhirkeepError (`unauthorized`, 401) when there is none. */
  readonly authenticate: (request: FastifyRequest) => Promise<ApiCaller>;
}

const coding = z.union([z.string(), z.object({ system: z.string(), code: z.string(), display: z.string().optional() }).strict()]);
const contentBody = { resourceType: z.string(), label: z.string(), codes: z.array(coding).max(1000).optional() };
const createContentBody = z.object({ name: z.string(), ...contentBody }).strict();
const replaceContentBody = z.object(contentBody).strict();
const createGroupBody = z
  .object({ system: z.string().optional(), name: z.string(), parent: z.string().optional(), label: z.string(), contents: z.array(z.string()).max(10000).optional() })
  .strict();
const membersBody = z.object({ contents: z.array(z.string()).max(10000) }).strict();
const searchQuery = z.object({ q: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }).strict();
const groupsQuery = z.object({ system: z.string().optional() }).strict();

type Request = FastifyRequest<{ Params: { '*'?: string; system?: string; name?: string } }>;
type Reply = { readonly status?: number; readonly body?: unknown; readonly location?: string };

/**
 * `/api/content-types` and `/api/groups`: the content taxonomy (docs/access.md). Any signed-in
 * account reads and searches it (apps' access filters name content types and groups); only
 * admins change it. Content type names contain `/`, so they are the rest of the path (also
 * accepted percent-encoded). Errors are the client API's `{"error", "error_description"}`.
 */
export function registerContentApiRoutes(app: FastifyInstance, { taxonomy, admin, authenticate }: ContentApiOptions): void {
  const route = (access: 'read' | 'admin', handler: (request: Request) => Promise<Reply>) => async (request: Request, reply: FastifyReply) => {
    try {
      const caller = await authenticate(request);
      if (access === 'admin' && !caller.roles.includes('admin')) throw new FhirkeepError('forbidden', 'Changing the content taxonomy needs the admin role');
      const { status = 200, body, location } = await handler(request);
      reply.status(status).header('cache-control', 'no-store');
      if (location !== undefined) reply.header('location', location);
      if (body === undefined) return await reply.send();
      return await reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
    } catch (e) {
      return sendApiError(request, reply, e);
    }
  };
  const contentName = (request: Request) => request.params['*'] ?? '';
  const contentView = (c: ContentType) => ({
    name: c.name,
    resourceType: c.resourceType,
    label: c.label,
    dynamic: c.dynamic,
    codes: taxonomy.codesOf(c.name).map((k) => {
      const bar = k.coding.indexOf('|');
      return { system: k.coding.slice(0, bar), code: k.coding.slice(bar + 1), ...(k.display === undefined ? {} : { display: k.display }) };
    }),
  });
  const found = (name: string) => {
    const c = taxonomy.content(name);
    if (c === undefined) throw new FhirkeepError('not-found', `There is no content type ${name}`);
    return contentView(c);
  };

  app.get(
    '/api/content-types',
    route('read', async (request) => {
      const { q, limit = 100 } = parseQuery(request, searchQuery);
      return { body: { contentTypes: taxonomy.search(q ?? '', limit).map(contentView) } };
    }),
  );
  app.get('/api/content-types/*', route('read', async (request) => ({ body: found(contentName(request)) })));
  app.post(
    '/api/content-types',
    route('admin', async (request) => {
      const b = parseBody(request, createContentBody);
      const made = await admin.addContentType({ ...b, codes: b.codes ?? [] });
      return { status: 201, location: `/api/content-types/${made.name}`, body: found(made.name) };
    }),
  );
  app.put(
    '/api/content-types/*',
    route('admin', async (request) => {
      const b = parseBody(request, replaceContentBody);
      const replaced = await admin.replaceContentType({ ...b, name: contentName(request), codes: b.codes ?? [] });
      return { body: found(replaced.name) };
    }),
  );
  app.delete(
    '/api/content-types/*',
    route('admin', async (request) => {
      await admin.deleteContentType(contentName(request));
      return { status: 204 };
    }),
  );

  app.get(
    '/api/groups',
    route('read', async (request) => {
      const { system = DEFAULT_GROUP_SYSTEM } = parseQuery(request, groupsQuery);
      return { body: { system, systems: taxonomy.groupSystems(), groups: groupTree(taxonomy.groups(system)) } };
    }),
  );
  app.post(
    '/api/groups',
    route('admin', async (request) => {
      const b = parseBody(request, createGroupBody);
      const system = b.system ?? DEFAULT_GROUP_SYSTEM;
      await admin.addGroup({ system, name: b.name, parent: b.parent, label: b.label, contents: b.contents ?? [] });
      return { status: 201, location: `/api/groups?system=${encodeURIComponent(system)}`, body: groupView(system, b.name) };
    }),
  );
  app.delete(
    '/api/groups/:system/:name',
    route('admin', async (request) => {
      await admin.deleteGroup(request.params.system ?? '', request.params.name ?? '');
      return { status: 204 };
    }),
  );
  app.post(
    '/api/groups/:system/:name/contents',
    route('admin', async (request) => {
      const { system = '', name = '' } = request.params;
      await admin.addMembers(system, name, parseBody(request, membersBody).contents);
      return { body: groupView(system, name) };
    }),
  );
  app.delete(
    '/api/groups/:system/:name/contents/*',
    route('admin', async (request) => {
      await admin.removeMember(request.params.system ?? '', request.params.name ?? '', contentName(request));
      return { status: 204 };
    }),
  );

  const groupView = (system: string, name: string) => {
    const g = taxonomy.groups(system).find((x) => x.name === name);
    if (g === undefined) throw new FhirkeepError('not-found', `There is no group ${name} in group system ${system}`);
    return { system, name: g.name, parent: g.parent ?? null, label: g.label, contents: g.contents };
  };
}

function parseQuery<T>(request: FastifyRequest, schema: z.ZodType<T>): T {
  const parsed = schema.safeParse(request.query);
  if (!parsed.success) {
    throw new FhirkeepError('bad-request', parsed.error.issues.map((i) => `${i.path.length === 0 ? 'query' : i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
