import { createReadStream } from 'node:fs';
import { mkdir, open, rm, truncate, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/**
 * Where export files live: `<FHIRKEEP_DATA_DIR>/exports/<job id>/<name>`. Every node of a
 * deployment must see the same directory (a shared volume), since any node may run a job and
 * any may serve its files (docs/bulk-export.md).
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
  append(text: string): Promise<void>;
  /** Flushes what was appended to the disk, so a checkpoint never counts bytes a power cut could lose. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** File names are made by the exporter (`<Type>-<n>.ndjson`), so a request's name is checked against that shape. */
const FILE_NAME = /^[A-Za-z]+-\d+\.ndjson$/;

export function isExportFileName(name: string): boolean {
  return FILE_NAME.test(name);
}

export function exportFiles(dataDir: string): ExportFiles {
  const root = join(dataDir, 'exports');
  const path = (jobId: string, name: string) => {
    if (!isExportFileName(name)) throw new Error(`not an export file name: ${name}`);
    return join(root, jobId, name);
  };
  return {
    async create(jobId, name) {
      await mkdir(join(root, jobId), { recursive: true });
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
    async remove(jobId) {
      await rm(join(root, jobId), { recursive: true, force: true });
    },
  };
}

function fileWriter(handle: FileHandle): ExportFileWriter {
  return {
    async append(text) {
      await handle.write(text);
    },
    sync: () => handle.datasync(),
    close: () => handle.close(),
  };
}
