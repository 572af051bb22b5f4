import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type postgres from 'postgres';

/** Polls `check` every 20 ms until it answers true; fails naming `what` after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(20);
  }
}

export interface TableLock {
  /** Commits the locking transaction (once; later calls do nothing). */
  release(): Promise<void>;
}

/**
 * Holds a table ACCESS EXCLUSIVE on a connection of its own, so any query of it elsewhere waits:
 * a way to stop a server's background work at a known statement without a hook in its code.
 * `queued`: asked for while another lock on the table is held, it answers once it waits in line
 * (behind that lock and whoever already waits for it), not once it is granted.
 */
export async function lockTable(sql: postgres.Sql, table: string, queued = false): Promise<TableLock> {
  const conn = await sql.reserve();
  const [me] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`;
  assert.ok(me !== undefined);
  await conn`begin`;
  const locked = conn`lock table ${conn(table)} in access exclusive mode`.execute();
  let released = false;
  const lock: TableLock = {
    async release() {
      if (released) return;
      released = true;
      await locked.catch(() => undefined);
      await conn`commit`;
      conn.release();
    },
  };
  try {
    if (queued) await until(`the lock on ${table} waits in line`, async () => (await sql`select 1 from pg_locks where pid = ${me.pid} and not granted`).length > 0);
    else await locked;
  } catch (e) {
    await lock.release();
    throw e;
  }
  return lock;
}

/** How many backends wait to read `table` (a lock holds them): a server's queries stopped there. */
export async function readersWaiting(sql: postgres.Sql, table: string): Promise<number> {
  const rows = await sql`select 1 from pg_locks where relation = ${table}::regclass and mode = 'AccessShareLock' and not granted`;
  return rows.length;
}
