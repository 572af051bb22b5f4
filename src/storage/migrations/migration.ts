/** One schema change. Versions are applied in order, once, each in its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}
