import type { Sql, TransactionSql } from 'postgres';
import { FhirkeepError } from '../../errors/fhirkeep-error.js';
import { TAXONOMY_CHANNEL } from './taxonomy-tables.js';
import { FOREIGN_KEY_VIOLATION, UNIQUE_VIOLATION } from '../database-errors.js';

export interface CodeRow {
  readonly system: string;
  readonly code: string;
  readonly display?: string | undefined;
}

export interface ContentTypeRow {
  readonly name: string;
  readonly resourceType: string;
  readonly label: string;
  readonly codes: readonly CodeRow[];
}

export interface GroupRow {
  readonly system: string;
  readonly name: string;
  readonly parent: string | undefined;
  readonly label: string;
  readonly contents: readonly string[];
}

/** A content type registered on first sight of a code (never by an admin), in the `dynamic` group of `v1`. */
export interface DynamicContentRow {
  readonly name: string;
  readonly resourceType: string;
  readonly label: string;
  readonly code: CodeRow;
}

/** What a seed version adds: groups listed parents first. */
export interface TaxonomySeedRows {
  readonly groups: readonly GroupRow[];
  readonly contentTypes: readonly ContentTypeRow[];
}

type Tx = Sql | TransactionSql;

/**
 * Runs an admin edit in one transaction that announces itself to every node (delivered on
 * commit). The admin layer checks names and codes first for precise messages; a concurrent edit
 * that slips past them still gets a 4xx from the constraints, never a 500.
 */
async function edit<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  try {
    return (await sql.begin(async (tx) => {
      const result = await work(tx);
      await tx`select pg_notify(${TAXONOMY_CHANNEL}, 'edit')`;
      return result;
    })) as T;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === UNIQUE_VIOLATION) throw new FhirkeepError('duplicate', `Already taken: ${(e as { detail?: string }).detail ?? 'a name or code'}`, { cause: e });
    if (code === FOREIGN_KEY_VIOLATION) throw new FhirkeepError('bad-request', `A content type or group it names no longer exists`, { cause: e });
    throw e;
  }
}

async function insertCodes(tx: Tx, contentType: string, codes: readonly CodeRow[]): Promise<void> {
  if (codes.length === 0) return;
  await tx`insert into content_codes ${tx(codes.map((c) => ({ system: c.system, code: c.code, content_type: contentType, display: c.display ?? null })))}`;
}

async function insertMembers(tx: Tx, system: string, group: string, contents: readonly string[]): Promise<void> {
  if (contents.length === 0) return;
  await tx`insert into content_group_members ${tx(contents.map((c) => ({ group_system: system, group_name: group, content_type: c })))} on conflict do nothing`;
}

export function insertContentType(sql: Sql, c: ContentTypeRow): Promise<void> {
  return edit(sql, async (tx) => {
    await tx`insert into content_types (name, resource_type, label) values (${c.name}, ${c.resourceType}, ${c.label})`;
    await insertCodes(tx, c.name, c.codes);
  });
}

/** Replaces a content type's resource type, label and codes; false when there is none so named. */
export function replaceContentType(sql: Sql, c: ContentTypeRow): Promise<boolean> {
  return edit(sql, async (tx) => {
    // An admin's edit makes an auto-registered content type the admin's own.
    const updated = await tx`update content_types set resource_type = ${c.resourceType}, label = ${c.label}, dynamic = false where name = ${c.name} returning name`;
    if (updated.length === 0) return false;
    await tx`delete from content_codes where content_type = ${c.name}`;
    await insertCodes(tx, c.name, c.codes);
    return true;
  });
}

/** Deletes a content type with its codes and group memberships; false when there is none so named. */
export function deleteContentType(sql: Sql, name: string): Promise<boolean> {
  return edit(sql, async (tx) => (await tx`delete from content_types where name = ${name} returning name`).length > 0);
}

export function insertGroup(sql: Sql, g: GroupRow): Promise<void> {
  return edit(sql, async (tx) => {
    await tx`insert into content_groups (group_system, name, parent, label) values (${g.system}, ${g.name}, ${g.parent ?? null}, ${g.label})`;
    await insertMembers(tx, g.system, g.name, g.contents);
  });
}

/** Deletes a group with its subgroups (their content types stay); false when there is none so named. */
export function deleteGroup(sql: Sql, system: string, name: string): Promise<boolean> {
  return edit(sql, async (tx) => (await tx`delete from content_groups where group_system = ${system} and name = ${name} returning name`).length > 0);
}

/** Adds content types to a group (those already in it stay); false when there is no such group. */
export function addGroupMembers(sql: Sql, system: string, group: string, contents: readonly string[]): Promise<boolean> {
  return edit(sql, async (tx) => {
    const [found] = await tx`select 1 from content_groups where group_system = ${system} and name = ${group} for share`;
    if (found === undefined) return false;
    await insertMembers(tx, system, group, contents);
    return true;
  });
}

/** Removes one content type from a group; false when it was not a member. */
export function removeGroupMember(sql: Sql, system: string, group: string, content: string): Promise<boolean> {
  return edit(
    sql,
    async (tx) =>
      (await tx`delete from content_group_members where group_system = ${system} and group_name = ${group} and content_type = ${content} returning 1`).length > 0,
  );
}

/**
 * Registers auto-registered content types, in the writer's transaction when it has one. Every
 * insert does nothing on conflict: two nodes registering the same code at once agree (the name is
 * derived from the code), and a code an admin mapped meanwhile stays the admin's. Only a type
 * actually made joins the `dynamic` group (if the admin kept that group), and only then are the
 * other nodes told.
 */
export async function registerDynamicContents(sql: Tx, items: readonly DynamicContentRow[]): Promise<void> {
  if (items.length === 0) return;
  const input = JSON.stringify(
    items.map((i) => ({ name: i.name, resource_type: i.resourceType, label: i.label, system: i.code.system, code: i.code.code, display: i.code.display ?? null })),
  );
  await sql`
    with input as (
      select * from json_to_recordset(${input}::text::json)
        as x(name text, resource_type text, label text, system text, code text, display text)
    ), made as (
      insert into content_types (name, resource_type, label, dynamic)
      select distinct on (name) name, resource_type, label, true from input order by name
      on conflict do nothing
      returning name
    ), coded as (
      insert into content_codes (system, code, content_type, display)
      select distinct on (system, code) i.system, i.code, i.name, i.display from input i
      where exists (select 1 from made where made.name = i.name)
      order by i.system, i.code
      on conflict do nothing
    ), grouped as (
      insert into content_group_members (group_system, group_name, content_type)
      select g.group_system, g.name, made.name from made
      join content_groups g on g.group_system = 'v1' and g.name = 'dynamic'
      on conflict do nothing
    )
    select pg_notify(${TAXONOMY_CHANNEL}, 'dynamic') from made limit 1`;
}

/**
 * Applies a seed once per version: when the database has applied an older one, inserts what
 * `since(applied)` lists (what came after that version), doing nothing where a name or code
 * exists, and records the version. The row lock on `content_seed` makes nodes starting together
 * seed once; a version already applied changes nothing, so what an admin deleted or relabelled
 * stays as the admin left it. Returns whether it seeded.
 */
export async function applyTaxonomySeed(sql: Sql, version: number, since: (applied: number) => TaxonomySeedRows): Promise<boolean> {
  return (await sql.begin(async (tx) => {
    const [row] = await tx<{ version: number }[]>`select version from content_seed for update`;
    if (row === undefined || row.version >= version) return false;
    const seed = since(row.version);
    const json = (value: unknown) => JSON.stringify(value);
    if (seed.contentTypes.length > 0) {
      await tx`
        insert into content_types (name, resource_type, label)
        select name, resource_type, label from json_to_recordset(${json(seed.contentTypes.map((c) => ({ name: c.name, resource_type: c.resourceType, label: c.label })))}::text::json)
          as x(name text, resource_type text, label text)
        on conflict do nothing`;
    }
    // Parents first, one by one: a group's parent must exist when it is inserted (an admin may have deleted it).
    for (const g of seed.groups) {
      await tx`
        insert into content_groups (group_system, name, parent, label)
        select ${g.system}, ${g.name}, ${g.parent ?? null}, ${g.label}
        where ${g.parent ?? null}::text is null or exists (select 1 from content_groups where group_system = ${g.system} and name = ${g.parent ?? null})
        on conflict do nothing`;
    }
    // Joins keep out codes and members of content types or groups an admin deleted.
    const codes = seed.contentTypes.flatMap((c) => c.codes.map((k) => ({ system: k.system, code: k.code, content_type: c.name, display: k.display ?? null })));
    await tx`
      insert into content_codes (system, code, content_type, display)
      select x.system, x.code, x.content_type, x.display
      from json_to_recordset(${json(codes)}::text::json) as x(system text, code text, content_type text, display text)
      join content_types t on t.name = x.content_type
      on conflict do nothing`;
    const members = seed.groups.flatMap((g) => g.contents.map((c) => ({ system: g.system, group_name: g.name, content_type: c })));
    await tx`
      insert into content_group_members (group_system, group_name, content_type)
      select x.system, x.group_name, x.content_type
      from json_to_recordset(${json(members)}::text::json) as x(system text, group_name text, content_type text)
      join content_types t on t.name = x.content_type
      join content_groups g on g.group_system = x.system and g.name = x.group_name
      on conflict do nothing`;
    await tx`update content_seed set version = ${version}`;
    await tx`select pg_notify(${TAXONOMY_CHANNEL}, 'seed')`;
    return true;
  })) as boolean;
}
