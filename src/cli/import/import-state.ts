import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * What an import has finished, kept in the data directory so an interrupted import resumes:
 * whole files, and for ndjson the number of lines already committed.
 */
export class ImportState {
  private readonly done: Record<string, number | 'done'>;

  constructor(private readonly file: string) {
    try {
      this.done = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number | 'done'>;
    } catch {
      this.done = {};
    }
  }

  isDone(key: string): boolean {
    return this.done[key] === 'done';
  }

  /** Lines of an ndjson file already imported. */
  linesDone(key: string): number {
    const v = this.done[key];
    return typeof v === 'number' ? v : 0;
  }

  markLines(key: string, lines: number): void {
    this.done[key] = lines;
    this.save();
  }

  markDone(key: string): void {
    this.done[key] = 'done';
    this.save();
  }

  /** Written to a temporary file and renamed, so a crash never leaves half a state file. */
  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, JSON.stringify(this.done));
    renameSync(`${this.file}.tmp`, this.file);
  }
}
