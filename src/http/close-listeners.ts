/** A listener that can stop taking connections and wait for its open requests, or cut them off. */
export interface ClosingListener {
  /** Stops accepting connections; resolves once the requests in flight have been answered. */
  close(): Promise<void>;
  /** Closes every connection still open, requests in flight included. */
  cutOff(): void;
}

/**
 * Closes the listeners at once, giving the requests in flight `graceMs` to finish; then cuts
 * the connections still open (a client sees them reset, never a half-sent answer as complete)
 * and calls `onCutOff`. Resolves when every listener is closed.
 */
export async function closeWithin(listeners: readonly ClosingListener[], graceMs: number, onCutOff: () => void): Promise<void> {
  const timer = setTimeout(() => {
    onCutOff();
    for (const listener of listeners) listener.cutOff();
  }, graceMs);
  try {
    await Promise.all(listeners.map((l) => l.close()));
  } finally {
    clearTimeout(timer);
  }
}
