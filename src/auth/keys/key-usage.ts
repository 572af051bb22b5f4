import type { Logger } from 'pino';
import type { ServiceKeyStore } from '../../storage/auth/service-key-store.js';

/**
 * The "last used" of static and certificate keys. A request only notes the time in memory; a
 * timer writes the keys whose time moved by a minute or more since this node last wrote them, so
 * a key used thousands of times a second costs one row update a minute per node, not one per request.
 */
export interface KeyUsage {
  used(keyId: string): void;
  /** Writes what was noted (shutdown, tests). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Coarser than this is not worth a write: the portal shows the time to the minute. */
const STEP_MS = 60_000;

export function trackKeyUsage(deps: {
  readonly store: Pick<ServiceKeyStore, 'markUsed'>;
  readonly logger: Logger;
  readonly flushMs: number;
  readonly now: () => number;
}): KeyUsage {
  let noted = new Map<string, number>();
  /** What this node wrote last per key: one entry per key that authenticated here, so as many as there are keys in use. */
  const written = new Map<string, number>();
  let flushing: Promise<void> = Promise.resolve();

  const flush = (): Promise<void> => {
    const batch = noted;
    noted = new Map();
    const due = new Map<string, Date>();
    for (const [id, at] of batch) {
      if (at - (written.get(id) ?? -Infinity) >= STEP_MS) due.set(id, new Date(at));
    }
    flushing = flushing.then(async () => {
      if (due.size === 0) return;
      try {
        await deps.store.markUsed(due);
        for (const [id, at] of due) written.set(id, at.getTime());
      } catch (err) {
        // Not worth failing anything for; the next use of the key notes it again.
        deps.logger.warn({ err }, 'could not write when API keys were last used');
      }
    });
    return flushing;
  };
  const timer = setInterval(() => void flush(), deps.flushMs);
  timer.unref();

  return {
    used(keyId) {
      noted.set(keyId, deps.now());
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
