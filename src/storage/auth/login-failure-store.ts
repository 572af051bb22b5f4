import type { Sql } from 'postgres';

/** The failures counted under one key in its current window. */
export interface FailureWindow {
  readonly failures: number;
  /** Whole seconds until the window ends (at least 1). */
  readonly secondsLeft: number;
}

/**
 * Failed-login counters in PostgreSQL, so every node sees the same counts (ARCHITECTURE.md,
 * scale-out). Windows are fixed: they start at the first failure and last `windowSeconds`;
 * times come from the database clock, never from the nodes' clocks.
 */
export interface LoginFailureStore {
  /** The live windows of these keys (expired windows are absent). */
  read(keys: readonly string[], windowSeconds: number): Promise<Map<string, FailureWindow>>;
  /** Counts one failure under each key, opening a new window where the old one has ended. */
  increment(keys: readonly string[], windowSeconds: number): Promise<void>;
  clear(key: string): Promise<void>;
  /** Deletes ended windows (keys are often unknown emails or one-off addresses). */
  purgeExpired(windowSeconds: number): Promise<void>;
}

export function createLoginFailureStore(sql: Sql): LoginFailureStore {
  const windowOf = (seconds: number) => sql`make_interval(secs => ${seconds})`;
  return {
    async read(keys, windowSeconds) {
      const rows = await sql<{ key: string; failures: number; seconds_left: number }[]>`
        select key, failures,
               greatest(1, ceil(extract(epoch from window_start + ${windowOf(windowSeconds)} - now())))::int as seconds_left
        from login_failures
        where key = any(${keys as string[]}::text[]) and window_start > now() - ${windowOf(windowSeconds)}`;
      return new Map(rows.map((r) => [r.key, { failures: r.failures, secondsLeft: r.seconds_left }]));
    },

    async increment(keys, windowSeconds) {
      await sql`
        insert into login_failures as f (key, window_start, failures)
        select k, now(), 1 from unnest(${keys as string[]}::text[]) as k
        on conflict (key) do update set
          window_start = case when f.window_start <= now() - ${windowOf(windowSeconds)} then now() else f.window_start end,
          failures = case when f.window_start <= now() - ${windowOf(windowSeconds)} then 1 else f.failures + 1 end`;
    },

    async clear(key) {
      await sql`delete from login_failures where key = ${key}`;
    },

    async purgeExpired(windowSeconds) {
      await sql`delete from login_failures where window_start <= now() - ${windowOf(windowSeconds)}`;
    },
  };
}
