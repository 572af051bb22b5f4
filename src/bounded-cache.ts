/**
 * A Map that keeps at most `capacity` entries, dropping the oldest first. For caches whose keys
 * come from callers (tokens, scope strings), so a stream of distinct keys cannot grow memory.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): V {
    if (!this.entries.has(key) && this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
    return value;
  }

  /** The cached value, or `make()`'s, cached. */
  getOrSet(key: K, make: () => V): V {
    const found = this.entries.get(key);
    return found !== undefined ? found : this.set(key, make());
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
