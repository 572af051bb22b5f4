import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface OsUser {
  readonly uid: number;
  readonly gid: number;
}

const NAME = 'postgres';

/**
 * PostgreSQL refuses to run as root. When Fhirkeep runs as root, the cluster runs as the
 * unprivileged `postgres` user, created here if the system lacks it. Otherwise it runs as us.
 */
export function clusterUser(): OsUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const found = lookup();
  if (found !== undefined) return found;
  execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', NAME], { stdio: 'ignore' });
  const created = lookup();
  if (created === undefined) throw new Error(`Could not create the unprivileged OS user "${NAME}" for PostgreSQL`);
  return created;
}

function lookup(): OsUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', NAME], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', NAME], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/**
 * Fails with advice when the cluster's user cannot traverse to `dir` (e.g. a data directory
 * under root's 0700 home), instead of initdb's bare "Permission denied".
 */
export function assertReachable(user: OsUser, dir: string): void {
  for (let path = resolve(dir); ; path = dirname(path)) {
    const stat = statSync(path);
    const bits = stat.uid === user.uid ? 0o100 : stat.gid === user.gid ? 0o010 : 0o001;
    if ((stat.mode & bits) === 0) {
      throw new Error(
        `PostgreSQL refuses to run as root, so Fhirkeep runs it as the OS user "${NAME}", which cannot reach ${dir}: ` +
          `${path} has mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}. Choose a FHIRKEEP_DATA_DIR outside it, ` +
          `let others traverse it (chmod o+x ${path}), or run Fhirkeep as an ordinary user.`,
      );
    }
    if (path === dirname(path)) return;
  }
}
