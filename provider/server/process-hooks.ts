/**
 * Process-wide behaviour of the plugin process. Installed only when serve()
 * runs as the real plugin process, never for a server embedded in a test.
 * - SIGINT is ignored: Ctrl-C reaches the whole process group, and Terraform then calls StopProvider and Shutdown
 *   itself; dying on it would turn into "Plugin did not respond".
 * - SIGTERM stops the server and exits (status 143, as if killed by the signal, after removing the socket).
 * - An uncaught exception or unhandled rejection is a crash: `panic: <message>` and the stack on stderr (Terraform
 *   captures those lines even with logging off), then exit status 2, like a Go panic.
 * - EPIPE on stdout/stderr (Terraform gone) is swallowed rather than crashing on the crash report.
 * - If the parent process goes away (Terraform SIGKILLed, or a wrapper shell that did not `exec`), nobody will send
 *   Shutdown: the plugin notices its new parent within a second and exits instead of lingering.
 * - stdin is never touched (it is Terraform's, often a TTY).
 */
import { formatPanic, writeQuietly, type LineSink, type Logger } from './hclog';

export interface ProcessHookOptions {
  stderr: LineSink;
  log: Logger;
  exit: (code: number) => void;
  /** Orderly stop: close the server, then exit with `code`. */
  stop: (reason: string, code: number) => void;
  /** Synchronous last-moment cleanup (the socket directory); runs on every exit path. */
  cleanup: () => void;
}

export const PARENT_POLL_MS = 1000;

export function installProcessHooks(options: ProcessHookOptions): void {
  const { stderr, log, exit, stop, cleanup } = options;
  process.on('SIGINT', () => {
    log.debug('SIGINT ignored: Terraform stops the provider with StopProvider and Shutdown');
  });
  process.on('SIGTERM', () => stop('SIGTERM', 143));

  let crashed = false;
  const crash = (err: unknown) => {
    if (crashed) return;
    crashed = true;
    writeQuietly(stderr, formatPanic('', err));
    try {
      cleanup();
    } finally {
      exit(2);
    }
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.on('exit', () => cleanup());

  const ignore = () => {};
  process.stdout.on('error', ignore);
  process.stderr.on('error', ignore);

  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(watch);
      stop(`the parent process ${parent} exited`, 0);
    }
  }, PARENT_POLL_MS);
  watch.unref();
}
