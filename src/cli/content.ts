import type { Sql } from 'postgres';
import type { Command } from 'commander';
import { seedTaxonomy } from '../access/content/seed-taxonomy.js';
import { createTaxonomyAdmin, type TaxonomyAdmin } from '../access/content/taxonomy-admin.js';
import { loadTaxonomy } from '../access/content/taxonomy-store.js';
import { DEFAULT_GROUP_SYSTEM, type ContentGroup, type ContentType, type Taxonomy } from '../access/content/taxonomy.js';
import { loadDefinitions } from '../fhir/definitions.js';
import type { CommandRunner } from './client.js';
import type { Output } from './output.js';
import { withDatabase } from './with-database.js';

/** The most content types `content search` prints. */
const SEARCH_LIMIT = 50;

const repeatable = (value: string, all: string[] = []) => [...all, value];

/**
 * `fhirkeep content list|search|show|add|remove` and `fhirkeep group list|add|remove|member add|member remove`:
 * the content taxonomy (docs/access.md). Changes reach running servers at once (NOTIFY).
 */
export function registerContentCommands(program: Command, run: CommandRunner): void {
  const content = program.command('content').description('content types: what records are (body/weight, condition/hypertension …)');
  content
    .command('list')
    .description('list every content type')
    .action(() => run((out) => withTaxonomy(async ({ taxonomy }) => printContents(out, taxonomy, taxonomy.contents())))());
  content
    .command('search')
    .description('content types whose name, label, code or code display contains TEXT')
    .argument('<text>')
    .action((text: string) => run((out) => withTaxonomy(async ({ taxonomy }) => printContents(out, taxonomy, taxonomy.search(text, SEARCH_LIMIT))))());
  content
    .command('show')
    .description('one content type with its codes')
    .argument('<name>')
    .action((name: string) =>
      run((out) =>
        withTaxonomy(async ({ taxonomy }) => {
          const c = taxonomy.content(name);
          if (c === undefined) throw new Error(`There is no content type ${name}`);
          const codes = taxonomy.codesOf(name);
          out.result([line(c), ...codes.map((k) => `  ${k.coding}${k.display === undefined ? '' : `  ${k.display}`}`)].join('\n'), { contentType: view(taxonomy, c) });
          return 0;
        }),
      )(),
    );
  content
    .command('add')
    .description('add a content type; records written afterwards with one of its codes get it')
    .argument('<name>', 'e.g. fitness/mood')
    .requiredOption('--type <resourceType>', 'the resource type of its records, e.g. Observation')
    .requiredOption('--label <label>', 'what people see')
    .option('--code <system|code>', 'a coding that maps to it (repeatable)', repeatable)
    .action((name: string, o: { type: string; label: string; code?: string[] }) =>
      run((out) =>
        withTaxonomy(async ({ admin, taxonomy }) => {
          const made = await admin.addContentType({ name, resourceType: o.type, label: o.label, codes: o.code ?? [] });
          const codes = o.code ?? [];
          out.result(`Added content type ${made.name} (${made.resourceType}, ${codes.length} codes)`, { contentType: { ...view(taxonomy, made), codes } });
          return 0;
        }),
      )(),
    );
  content
    .command('remove')
    .description('delete a content type with its codes and group memberships (records keep their content type)')
    .argument('<name>')
    .action((name: string) =>
      run((out) =>
        withTaxonomy(async ({ admin }) => {
          await admin.deleteContentType(name);
          out.result(`Removed content type ${name}`, { removed: name });
          return 0;
        }),
      )(),
    );

  const group = program.command('group').description('content groups: trees of content types per group system (v1 unless --system)');
  group
    .command('list')
    .description('the group tree of a group system')
    .option('--system <system>', 'group system', DEFAULT_GROUP_SYSTEM)
    .action((o: { system: string }) =>
      run((out) =>
        withTaxonomy(async ({ taxonomy }) => {
          const groups = taxonomy.groups(o.system);
          out.result(groups.length === 0 ? `No groups in group system ${o.system}` : groups.map((g) => groupLine(groups, g)).join('\n'), { system: o.system, groups: groups.map(groupView) });
          return 0;
        }),
      )(),
    );
  group
    .command('add')
    .description('add a group')
    .argument('<name>')
    .requiredOption('--label <label>', 'what people see')
    .option('--parent <group>', 'the group it belongs to')
    .option('--system <system>', 'group system', DEFAULT_GROUP_SYSTEM)
    .option('--content <name>', 'a content type in it (repeatable)', repeatable)
    .action((name: string, o: { label: string; parent?: string; system: string; content?: string[] }) =>
      run((out) =>
        withTaxonomy(async ({ admin }) => {
          await admin.addGroup({ system: o.system, name, parent: o.parent, label: o.label, contents: o.content ?? [] });
          out.result(`Added group ${name} to group system ${o.system}`, { group: { system: o.system, name, parent: o.parent ?? null, label: o.label, contents: o.content ?? [] } });
          return 0;
        }),
      )(),
    );
  group
    .command('remove')
    .description('delete a group and its subgroups (their content types stay)')
    .argument('<name>')
    .option('--system <system>', 'group system', DEFAULT_GROUP_SYSTEM)
    .action((name: string, o: { system: string }) =>
      run((out) =>
        withTaxonomy(async ({ admin }) => {
          await admin.deleteGroup(o.system, name);
          out.result(`Removed group ${name} from group system ${o.system}`, { removed: { system: o.system, name } });
          return 0;
        }),
      )(),
    );
  const member = group.command('member').description("a group's content types");
  member
    .command('add')
    .description('add content types to a group')
    .argument('<group>')
    .argument('<contents...>')
    .option('--system <system>', 'group system', DEFAULT_GROUP_SYSTEM)
    .action((name: string, contents: string[], o: { system: string }) =>
      run((out) =>
        withTaxonomy(async ({ admin }) => {
          await admin.addMembers(o.system, name, contents);
          out.result(`Added ${contents.join(', ')} to group ${name}`, { group: { system: o.system, name }, added: contents });
          return 0;
        }),
      )(),
    );
  member
    .command('remove')
    .description('remove a content type from a group')
    .argument('<group>')
    .argument('<content>')
    .option('--system <system>', 'group system', DEFAULT_GROUP_SYSTEM)
    .action((name: string, contentName: string, o: { system: string }) =>
      run((out) =>
        withTaxonomy(async ({ admin }) => {
          await admin.removeMember(o.system, name, contentName);
          out.result(`Removed ${contentName} from group ${name}`, { group: { system: o.system, name }, removed: contentName });
          return 0;
        }),
      )(),
    );
}

/**
 * The taxonomy as it is now and its admin, on the configured database (beside a running server
 * too). The seed is applied first, so a database no server has started yet has it as well.
 */
function withTaxonomy(work: (t: { taxonomy: Taxonomy; admin: TaxonomyAdmin }) => Promise<number>): Promise<number> {
  return withDatabase(async (db) => {
    const { resourceTypes } = loadDefinitions();
    const taxonomy = await currentTaxonomy(db.sql);
    // A one-shot process: nothing to reload after an edit; servers hear it through NOTIFY.
    return work({ taxonomy, admin: createTaxonomyAdmin({ sql: db.sql, taxonomy, resourceTypes, afterEdit: async () => {} }) });
  });
}

/** The taxonomy as it is now, the seed applied first (a database no server has started yet has it as well). */
export async function currentTaxonomy(sql: Sql): Promise<Taxonomy> {
  await seedTaxonomy(sql, loadDefinitions().resourceTypes);
  return loadTaxonomy(sql);
}

function printContents(out: Output, taxonomy: Taxonomy, contents: readonly ContentType[]): number {
  out.result(contents.length === 0 ? 'No content types' : contents.map(line).join('\n'), { contentTypes: contents.map((c) => view(taxonomy, c)) });
  return 0;
}

function view(taxonomy: Taxonomy, c: ContentType) {
  return { name: c.name, resourceType: c.resourceType, label: c.label, dynamic: c.dynamic, codes: taxonomy.codesOf(c.name).map((k) => k.coding) };
}

function line(c: ContentType): string {
  return `${c.name.padEnd(36)}  ${c.resourceType.padEnd(18)}  ${c.label}${c.dynamic ? '  [dynamic]' : ''}`;
}

function groupView(g: ContentGroup) {
  return { name: g.name, parent: g.parent ?? null, label: g.label, contents: g.contents };
}

/** A group indented by its depth, with its own content types. */
function groupLine(groups: readonly ContentGroup[], g: ContentGroup): string {
  let depth = 0;
  for (let p = g.parent; p !== undefined && depth < groups.length; p = groups.find((x) => x.name === p)?.parent) depth++;
  return `${'  '.repeat(depth)}${g.name} (${g.label}): ${g.contents.length === 0 ? '-' : g.contents.join(', ')}`;
}
