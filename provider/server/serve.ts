/**
 * serve(): the plugin server process from start to exit.
 *
 * Start path, kept as short as possible (Terraform starts the provider 3-4 times per command):
 *   stdout guard → magic cookie and protocol version → certificate (only with PLUGIN_CLIENT_CERT) → listening socket
 *   → the handshake line. Only node built-ins and this directory's small modules are loaded up to here.
 * Then: the gRPC server over node:http2, the protocol descriptors and the services are loaded (runtime.ts) and
 * attached to the socket, which has been holding Terraform's connection meanwhile. The provider handlers load with
 * the first call that needs them; a precomputed answer (GetProviderSchema) needs none.
 *
 * Stop paths: GRPCController.Shutdown (exit 0 right after the response is flushed, within ~100 ms), SIGTERM (143),
 * the parent going away (0); all close the server and remove the socket directory. Crashes exit 2 with a `panic:`
 * report (process-hooks.ts).
 */
import type { Writable } from 'node:stream';
import { CallRegistry } from './calls';
import { createServerCertificate } from './certificate';
import type { PrecomputedAnswers, ProviderHandlers } from './handler-contract';
import { handshakeLine, negotiate } from './handshake';
import { openListener, type PluginListener } from './listener';
import { errorMessage, formatPanic, levelFromEnv, Logger, writeQuietly, type LineSink } from './hclog';
import { installProcessHooks } from './process-hooks';
import type { Runtime } from './runtime';
import { syncStderr } from './stderr';
import { guardProcessStdout, singleUse, type HandshakeWriter } from './stdout-guard';

/** The handlers, or a function that loads them (called once, by the first call that needs them). */
export type HandlerSource = ProviderHandlers | (() => ProviderHandlers | Promise<ProviderHandlers>);

export interface ServeOptions {
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Where the handshake line goes. Default (or process.stdout): the real process, in which case the stdout guard and
   * the process hooks (signals, crash reporting, parent watch) are installed. Anything else embeds the server, e.g.
   * in a test: nothing process-wide is touched.
   */
  stdout?: Writable;
  /** Logs and crash reports. Default: fd 2, written synchronously. */
  stderr?: Writable;
  /** Default process.exit. An embedded server is fully closed before exit is called. */
  exit?: (code: number) => void;
  /**
   * Loads the gRPC runtime after the handshake. Default: ./runtime from this directory. The built executables pass
   * their separately bundled runtime (provider/main.ts, and provider/sea-main.ts for the release's single executable).
   */
  runtime?: () => RuntimeModule;
  /** Facts about how the runtime was loaded, logged at debug with the listening line (the single executable's code cache). */
  runtimeFacts?: () => Record<string, string>;
}

export type RuntimeModule = Pick<typeof import('./runtime'), 'startRuntime' | 'checkHandlers'> & {
  /** Answers that never change, sent as they are without loading the handlers (the provider's bundle has them). */
  precomputedAnswers?: () => PrecomputedAnswers;
};

/** A variable, not a literal: esbuild must not pull the runtime into the start-path bundle. */
const RUNTIME_SOURCE = './runtime';
const requireRuntime = (): RuntimeModule => require(RUNTIME_SOURCE) as RuntimeModule;

/** How long a Shutdown/SIGTERM waits for responses in flight before closing connections by force. */
export const SHUTDOWN_GRACE_MS = 100;

/**
 * Runs the plugin server. Resolves once the server is listening and the handshake line is written (or once it has
 * given up: failures are reported on stderr and through `exit`, never by rejecting).
 */
export async function serve(handlers: HandlerSource, options: ServeOptions = {}): Promise<void> {
  const embedded = options.stdout !== undefined && options.stdout !== process.stdout;
  const writeHandshake: HandshakeWriter = embedded ? singleUse((line) => options.stdout!.write(line)) : guardProcessStdout();
  const env = options.env ?? process.env;
  // The real process writes fd 2 synchronously (see stderr.ts); an embedded server uses the stream it was given.
  const stderr: LineSink = options.stderr ?? syncStderr();
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = new Logger(stderr, levelFromEnv(env));

  const negotiation = negotiate(env);
  if (!negotiation.ok) {
    writeQuietly(stderr, `${negotiation.message}\n`);
    exit(1);
    return;
  }

  const calls = new CallRegistry();
  let listener: PluginListener | undefined;
  let runtime: Runtime | undefined;
  let stopping = false;
  const cleanup = () => listener?.close();
  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    log.debug('Stopping the plugin server', { reason, calls_in_flight: calls.size });
    calls.abortAll(`the provider is stopping (${reason})`);
    cleanup(); // no new connections; the socket directory goes
    const finish = () => exit(code);
    if (runtime === undefined) finish();
    else runtime.stop(SHUTDOWN_GRACE_MS, finish);
  };
  if (!embedded) installProcessHooks({ stderr, log, exit, stop, cleanup });

  // ---- start path: nothing heavy before the handshake line
  let certificate: ReturnType<typeof createServerCertificate> | undefined;
  try {
    certificate = negotiation.clientCertPem === undefined ? undefined : createServerCertificate();
    listener = await openListener(env, (err) => log.error('The listening socket failed', { error: err.message }));
  } catch (err) {
    writeQuietly(stderr, `terraform-provider-prewarm: cannot start the plugin server: ${errorMessage(err)}\n`);
    cleanup();
    exit(1);
    return;
  }
  if (stopping) {
    listener.close(); // stopped (SIGTERM) while the socket was being opened
    return;
  }
  writeHandshake(handshakeLine(listener.address, negotiation.appVersion, certificate?.der));
  const handshakeAt = performance.now(); // ms since the process started

  // ---- after the handshake: the gRPC layer; the handlers wait for the first call that needs them
  try {
    const { startRuntime, checkHandlers, precomputedAnswers } = (options.runtime ?? requireRuntime)();
    // Loaded by the first call that needs them, not before: the process Terraform starts only to read the schema
    // (answered from precomputedAnswers) never loads the provider implementation at all.
    const loadHandlers = once(async () => {
      try {
        const loaded = typeof handlers === 'function' ? await handlers() : handlers;
        if (loaded === null || typeof loaded !== 'object') throw new Error(`the provider handlers are ${loaded === null ? 'null' : typeof loaded}, not an object`);
        checkHandlers(loaded, log);
        return loaded;
      } catch (err) {
        // A bug (or a broken build): every call that needs the handlers answers with this in an error diagnostic.
        writeQuietly(stderr, formatPanic('cannot load the provider handlers', err));
        throw err;
      }
    });
    runtime = startRuntime({
      listener,
      tls: certificate && negotiation.clientCertPem !== undefined
        ? { clientCertPem: negotiation.clientCertPem, certPem: certificate.certPem, keyPem: certificate.keyPem }
        : undefined,
      handlers: loadHandlers,
      precomputed: precomputedAnswers?.(),
      calls,
      log,
      stderr,
      onShutdown: () => stop('Shutdown requested', 0),
    });
    log.debug('Plugin server listening', {
      // ms since the process started: handshake line out, gRPC runtime loaded and attached
      handshake_ms: Math.round(handshakeAt * 10) / 10,
      ready_ms: Math.round(performance.now() * 10) / 10,
      network: listener.address.network,
      address: listener.address.address,
      tls: certificate !== undefined,
      protocol_versions_offered: env.PLUGIN_PROTOCOL_VERSIONS ?? '',
      ...options.runtimeFacts?.(),
    });
  } catch (err) {
    writeQuietly(stderr, formatPanic('cannot start the gRPC server', err));
    cleanup();
    exit(2);
  }
}

/**
 * A load that failed stays failed: its panic report is written once, and every later call answers with the same
 * error instead of retrying a load that cannot succeed in this process (a broken build does not mend itself).
 */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= fn());
}
