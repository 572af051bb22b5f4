import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type ImportKind = 'bundle' | 'ndjson';

export interface ImportFile {
  readonly path: string;
  readonly kind: ImportKind;
  readonly gzip: boolean;
  readonly size: number;
  /** Identifies this version of the file for resuming: path, size and modification time. */
  readonly key: string;
}

const KINDS: readonly [RegExp, ImportKind, boolean][] = [
  [/\.json$/i, 'bundle', false],
  [/\.json\.gz$/i, 'bundle', true],
  [/\.ndjson$/i, 'ndjson', false],
  [/\.ndjson\.gz$/i, 'ndjson', true],
];

/** The importable files named on the command line, folders searched recursively, in a stable order. */
export function findImportFiles(args: readonly string[]): ImportFile[] {
  const out: ImportFile[] = [];
  const visit = (path: string, explicit: boolean): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) visit(join(path, name), false);
      return;
    }
    const kind = KINDS.find(([re]) => re.test(path));
    if (kind === undefined) {
      if (explicit) throw new Error(`${path}: not a .json, .json.gz, .ndjson or .ndjson.gz file`);
      return;
    }
    out.push({ path, kind: kind[1], gzip: kind[2], size: stat.size, key: `${path}|${stat.size}|${stat.mtimeMs}` });
  };
  for (const arg of args) visit(resolve(arg), true);
  return out;
}
