/** Runs the CLI in-process with captured output, so CLI tests need no subprocess per case. */
import { main } from '../../controller/cli/dispatch';
import { COMMANDS } from '../../bin/commands';
import type { CliIo } from '../../controller/cli/command';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  argv: string[],
  opts: { env?: Record<string, string | undefined>; stdin?: string } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => opts.stdin ?? '',
    env: opts.env ?? {},
  };
  const code = await main(argv, io, COMMANDS);
  return { code, stdout, stderr };
}
