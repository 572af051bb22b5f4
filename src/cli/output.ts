/** How a command prints: human lines, or one JSON document with --json for scripts. */
export interface Output {
  /** The command's result: a JSON document with --json, else the human text. */
  result(human: string, data: Record<string, unknown>): void;
  /** Progress and notes for people; silent with --json so stdout stays parseable. */
  note(text: string): void;
  error(message: string): void;
  /** Stderr when it is a terminal, for a progress bar redrawn in place; undefined with --json or when stderr is a file or pipe. */
  readonly terminal: Terminal | undefined;
}

/** What a progress bar draws on. */
export interface Terminal {
  write(text: string): unknown;
}

/** Wraps a command for a commander action: runs it with the output the global --json chose. */
export type RunCommand = (command: (out: Output) => Promise<number>) => () => Promise<void>;

export function createOutput(json: boolean): Output {
  return {
    result(human, data) {
      process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${human}\n`);
    },
    note(text) {
      if (!json) process.stderr.write(`${text}\n`);
    },
    error(message) {
      process.stderr.write(json ? `${JSON.stringify({ error: message })}\n` : `fhirkeep: ${message}\n`);
    },
    terminal: !json && process.stderr.isTTY ? process.stderr : undefined,
  };
}
