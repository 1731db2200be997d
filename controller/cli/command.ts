/** What a CLI command is, and the I/O it gets (injectable so tests run commands in-process). */
import type { FlagSpec, Flags } from './args';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of stdin as UTF-8 (for `--file -`). */
  readStdin(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  /** True when stdout is a terminal (live views redraw in place then). */
  stdoutIsTTY?: boolean;
  /** The terminal's size, when stdout is one. */
  columns?(): number | undefined;
  rows?(): number | undefined;
}

export interface ArgSpec {
  name: string;
  help: string;
  optional?: boolean;
}

export interface Command {
  /** The words after `prewarm`: ['template', 'put']. */
  path: string[];
  summary: string;
  /** Longer explanation for `--help`. */
  description?: string;
  args?: ArgSpec[];
  flags: FlagSpec[];
  /** Example lines for `--help`. */
  examples?: string[];
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  io: CliIo;
  flags: Flags;
  /** Positionals by ArgSpec name (optional ones may be missing). */
  args: Record<string, string | undefined>;
  command: Command;
}

export function commandName(cmd: Pick<Command, 'path'>): string {
  return ['prewarm', ...cmd.path].join(' ');
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
  get stdoutIsTTY() {
    return process.stdout.isTTY === true;
  },
  columns: () => process.stdout.columns,
  rows: () => process.stdout.rows,
};
