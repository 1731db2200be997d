/**
 * stdout belongs to the handshake: go-plugin reads exactly one line from it, and any byte before that line breaks
 * the start ("Unrecognized remote plugin message"). The guard keeps a private writer for the handshake line and sends
 * everything else written to stdout (the console's log/info/debug, and stdout writes from any library) to stderr, where
 * go-plugin logs it. Install it first thing in the process.
 */

export type HandshakeWriter = (line: string) => void;

let writer: HandshakeWriter | undefined;

/** Idempotent: the second call returns the same (single-use) writer. */
export function guardProcessStdout(): HandshakeWriter {
  if (writer !== undefined) return writer;
  const stdout = process.stdout;
  const stderr = process.stderr;
  const realWrite = stdout.write.bind(stdout) as (text: string) => boolean;
  stdout.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) =>
    (stderr.write as (...args: unknown[]) => boolean)(chunk, encoding, callback)) as typeof stdout.write;
  const toStderr = (...args: unknown[]) => console.error(...args);
  for (const method of ['log', 'info', 'debug'] as const) console[method] = toStderr;
  writer = singleUse((line) => realWrite(line));
  return writer;
}

/** The handshake is one line, written once: a second attempt is a bug, not something to put on stdout. */
export function singleUse(write: (line: string) => unknown): HandshakeWriter {
  let used = false;
  return (line) => {
    if (used) throw new Error('the handshake line was already written');
    if (!line.endsWith('\n') || line.indexOf('\n') !== line.length - 1) throw new Error('the handshake must be exactly one line');
    used = true;
    write(line);
  };
}
