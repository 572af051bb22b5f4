import { execFileSync } from 'node:child_process';

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
