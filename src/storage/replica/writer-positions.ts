/**
 * What a writer must find on the replica before it reads there: the primary's WAL position
 * sampled after its last write committed (`at`, a performance.now() time), once such a sample
 * has been taken (until then, `position` is undefined and the writer reads from the primary).
 */
interface Needed {
  readonly at: number;
  position: bigint | undefined;
}

/** One sample of the primary's WAL position: the query started at `startedAt` (performance.now()). */
export interface PrimarySample {
  readonly startedAt: number;
  readonly position: bigint;
}

/**
 * Read-your-writes on this node (docs/replicas.md): the writers whose last write the replica has
 * not replayed yet, at most `capacity` of them. A writer's entry goes once the replica passes it.
 * An entry pushed out by newer writers is not forgotten but merged into a floor that holds for
 * everyone, so a burst of writers sends every search to the primary for a moment instead of
 * showing one of them the replica without its write.
 *
 * No query per write: a write is remembered by the time its commit was known, and the next
 * sample of `pg_current_wal_lsn()` started after that time (the replica monitor takes one every
 * 50 ms) is at or past its commit record (with synchronous_commit on, PostgreSQL's default, a
 * commit is written before it is acknowledged).
 */
export class WriterPositions {
  private readonly writers = new Map<string, Needed>();
  private floor: Needed | undefined;

  constructor(private readonly capacity: number) {}

  /** `writer` committed a write just now (`at`). */
  wrote(writer: string, at: number): void {
    this.writers.delete(writer);
    this.writers.set(writer, { at, position: undefined });
    if (this.writers.size > this.capacity) {
      const [oldest, needed] = this.writers.entries().next().value as [string, Needed];
      this.writers.delete(oldest);
      this.floor = this.floor === undefined ? needed : merged(this.floor, needed);
    }
  }

  /** A sample of the primary's position: it settles what the writes committed before it started need. */
  sampled(sample: PrimarySample): void {
    for (const needed of this.pending()) {
      if (needed.position === undefined && needed.at < sample.startedAt) needed.position = sample.position;
    }
  }

  /** The replica replayed up to `replayed`: whose writes it holds now need nothing more. */
  replayed(replayed: bigint): void {
    for (const [writer, needed] of this.writers) if (passed(needed, replayed)) this.writers.delete(writer);
    if (this.floor !== undefined && passed(this.floor, replayed)) this.floor = undefined;
  }

  /** Whether a search by `writer` (undefined: a caller that writes nothing) must go to the primary. */
  mustReadPrimary(writer: string | undefined, replayed: bigint): boolean {
    if (this.floor !== undefined && !passed(this.floor, replayed)) return true;
    const needed = writer === undefined ? undefined : this.writers.get(writer);
    return needed !== undefined && !passed(needed, replayed);
  }

  /** How many writers are remembered (for tests and status). */
  get size(): number {
    return this.writers.size;
  }

  private *pending(): Iterable<Needed> {
    yield* this.writers.values();
    if (this.floor !== undefined) yield this.floor;
  }
}

function passed(needed: Needed, replayed: bigint): boolean {
  return needed.position !== undefined && replayed >= needed.position;
}

/**
 * What holds for both: the larger position, or, while either waits for its sample, the sample
 * after the later commit (positions only grow, so that one is past both).
 */
function merged(a: Needed, b: Needed): Needed {
  if (a.position !== undefined && b.position !== undefined) return { at: Math.max(a.at, b.at), position: a.position > b.position ? a.position : b.position };
  return { at: Math.max(a.at, b.at), position: undefined };
}
