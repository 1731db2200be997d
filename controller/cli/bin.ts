/** Entry point of the `prewarm` executable. Sets the exit code instead of calling exit() so output is flushed. */
import { main } from './main';

void main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`prewarm: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
