import type { ExportProgress } from '../storage/bulk/export-job-store.js';
import type { Terminal } from './output.js';

export interface ExportProgressBar {
  /** Shows a checkpoint of the export (the runner reports one about every second, and after each type). */
  update(progress: ExportProgress): void;
  /** A note for the operator that must not be drawn over (the bar comes back below it). */
  note(text: string): void;
  /** Clears the bar, before the result or an error is printed. */
  stop(): void;
}

export interface ExportProgressOptions {
  /** Where to redraw one line in place; undefined: print a line per type finished with `note` instead. */
  readonly terminal: Terminal | undefined;
  readonly note: (text: string) => void;
  readonly now?: () => number;
}

/** Erases from the cursor to the end of the line (ECMA-48 EL): a shorter redraw leaves no tail of the longer one. */
const CLEAR_TO_END = '\x1b[K';

/**
 * The operator export's progress (`fhirkeep export`): on a terminal one line redrawn in place —
 * the type being exported (i/n), resources so far, their rate and the time elapsed; on a log or
 * a pipe, where `\r` would pile up, one line as each type is finished.
 */
export function exportProgressBar(o: ExportProgressOptions): ExportProgressBar {
  const now = o.now ?? Date.now;
  const started = now();
  const seconds = () => (now() - started) / 1000;
  let typesReported = 0;
  let drawn: ExportProgress | undefined;

  const draw = (p: ExportProgress) => {
    const n = p.types.length;
    const type = p.types[p.typeIndex];
    const head = type === undefined ? `Exported ${n}/${n} types` : `Exporting ${type} (${p.typeIndex + 1}/${n})`;
    const s = seconds();
    o.terminal?.write(`\r${head}: ${p.total} resources, ${rate(p.total, s)}/s, ${s.toFixed(1)} s${CLEAR_TO_END}`);
    drawn = p;
  };

  return {
    update(p) {
      if (o.terminal !== undefined) {
        draw(p);
        return;
      }
      for (; typesReported < Math.min(p.typeIndex, p.types.length); typesReported++) {
        const type = p.types[typesReported] as string;
        const count = p.files.filter((f) => f.type === type && f.error !== true).reduce((sum, f) => sum + f.count, 0);
        o.note(`${type}: ${count} resources (${typesReported + 1}/${p.types.length}), ${seconds().toFixed(1)} s`);
      }
    },
    note(text) {
      if (o.terminal === undefined || drawn === undefined) {
        o.note(text);
        return;
      }
      o.terminal.write(`\r${CLEAR_TO_END}${text}\n`);
      draw(drawn);
    },
    stop() {
      if (drawn !== undefined) o.terminal?.write(`\r${CLEAR_TO_END}`);
      drawn = undefined;
    },
  };
}

function rate(resources: number, seconds: number): string {
  return seconds < 0.001 ? '0' : (resources / seconds).toFixed(0);
}
