/**
 * Entry point of the `prewarm` executable, and the one place that joins the two halves: the controller's
 * commands plus `prewarm schema`, which prints the provider's schema. Sets the exit code instead of calling
 * exit() so output is flushed.
 */
import { main } from '../controller/cli/dispatch';
import { COMMANDS } from './commands';

void main(process.argv.slice(2), undefined, COMMANDS).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`prewarm: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
