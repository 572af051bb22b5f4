import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/**
 * Where export files live: `<FHIRKEEP_DATA_DIR>/exports/<job id>/<name>`. Every node of a
 * deployment must see the same directory (a shared volume), since any node may run a job and
 * any may serve its files (docs/bulk-export.md). The operator's `fhirkeep export` writes into
 * the directory it is given instead (exportFilesIn).
 */
export interface ExportFiles {
  /** Opens a new file of a job for appending (an orphan of the same name, from a crash, is emptied). */
  create(jobId: string, name: string): Promise<ExportFileWriter>;
  /** Cuts a file back to its committed bytes: what a crash left past its last checkpoint goes. */
  truncate(jobId: string, name: string, bytes: number): Promise<void>;
  /** The committed bytes of a file; anything a lapsed writer appended later is never served. */
  read(jobId: string, name: string, bytes: number): Readable;
  /** Deletes a job's files (expiry, cancellation). */
  remove(jobId: string): Promise<void>;
}

/** A file being written: one write per batch, and a sync before each checkpoint names its length. */
export interface ExportFileWriter {
  /** Writes each line and a newline after it, in one write; answers the bytes written. */
  append(lines: readonly Buffer[]): Promise<number>;
  /** Flushes what was appended to the disk, so a checkpoint never counts bytes a power cut could lose. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** File names are made by the exporter (`<Type>-<n>.ndjson`, `-r<attempt>` after a resume), so a request's name is checked against that shape. */
const FILE_NAME = /^[A-Za-z]+-\d+(-r\d+)?\.ndjson$/;

export function isExportFileName(name: string): boolean {
  return FILE_NAME.test(name);
}

export function exportFiles(dataDir: string): ExportFiles {
  const root = join(dataDir, 'exports');
  return filesIn(
    (jobId) => join(root, jobId),
    (jobId) => rm(join(root, jobId), { recursive: true, force: true }),
  );
}

/**
 * The operator's export (`fhirkeep export --out DIR`): one job's files directly in `dir`, which
 * held nothing before (the command refuses a non-empty one), so every export file in it is this
 * job's and `remove` deletes those and nothing else.
 */
export function exportFilesIn(dir: string): ExportFiles {
  return filesIn(
    () => dir,
    async () => {
      const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      });
      for (const name of names) if (isExportFileName(name)) await rm(join(dir, name), { force: true });
    },
  );
}

function filesIn(dirOf: (jobId: string) => string, remove: (jobId: string) => Promise<void>): ExportFiles {
  const path = (jobId: string, name: string) => {
    if (!isExportFileName(name)) throw new Error(`not an export file name: ${name}`);
    return join(dirOf(jobId), name);
  };
  return {
    async create(jobId, name) {
      await mkdir(dirOf(jobId), { recursive: true });
      return fileWriter(await open(path(jobId, name), 'w'));
    },
    async truncate(jobId, name, bytes) {
      try {
        await truncate(path(jobId, name), bytes);
      } catch (e) {
        // A file the crash left unmade has nothing to cut.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    },
    read(jobId, name, bytes) {
      // `end` is inclusive: an empty file has no byte to end at.
      return bytes === 0 ? Readable.from([]) : createReadStream(path(jobId, name), { start: 0, end: bytes - 1 });
    },
    remove,
  };
}

const NEWLINE = Buffer.from('\n');

function fileWriter(handle: FileHandle): ExportFileWriter {
  return {
    async append(lines) {
      const pieces: Buffer[] = [];
      for (const line of lines) pieces.push(line, NEWLINE);
      const chunk = Buffer.concat(pieces);
      // A file write may take less than it was given (a full disk); what was not written must not be counted.
      for (let at = 0; at < chunk.length; ) {
        const { bytesWritten } = await handle.write(chunk, at);
        if (bytesWritten === 0) throw new Error('the export file takes no more bytes');
        at += bytesWritten;
      }
      return chunk.length;
    },
    sync: () => handle.datasync(),
    close: () => handle.close(),
  };
}
