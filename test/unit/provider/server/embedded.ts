/**
 * The plugin server embedded in the test process (serve() with its own stdout/stderr/exit), driven over its real
 * unix socket by a grpc-js client configured like go-plugin's: mTLS with a self-signed client certificate, the
 * server certificate from the handshake line as the only root, ServerName localhost. Shared by the rpc-* tests; a test
 * file calls closeEmbedded from afterAll.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { ServiceError } from '@grpc/grpc-js';
import { GRPCController } from '../../../../provider/protocol';
import { createServerCertificate } from '../../../../provider/server/certificate';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../../provider/server/handshake';
import { serve, type HandlerSource, type ServeOptions } from '../../../../provider/server/serve';
import { parseHandshake, PluginConnection, type ClientCertificate, type Handshake } from '../../../helpers/plugin-client';
import { waitFor } from '../../../helpers/wait';

export interface Embedded {
  handshake: Handshake;
  stdout: string;
  stderr(): string;
  /** Resolves with the first exit code requested. */
  exited: Promise<{ code: number }>;
  exitCodes: number[];
  /** `cert`: default the certificate PLUGIN_CLIENT_CERT names (none in plaintext mode); null for none at all. */
  connect(cert?: ClientCertificate | null, options?: { trustPem?: string }): PluginConnection;
  /** Shutdown over gRPC if still running; closes every connection made. */
  close(): Promise<void>;
}

const running: Embedded[] = [];

/** Closes every server startEmbedded started in this test file; for afterAll. */
export async function closeEmbedded(): Promise<void> {
  for (const e of running.splice(0)) await e.close();
}

/** The client certificate servers trust unless told otherwise (PLUGIN_CLIENT_CERT). */
export const clientCert = createServerCertificate();

/** serve() with `handlers`, over mTLS unless `tls` is false, with its handshake read and ready for connections. */
export async function startEmbedded(
  handlers: HandlerSource,
  options: { tls?: boolean; env?: NodeJS.ProcessEnv; clientCert?: ClientCertificate; runtime?: ServeOptions['runtime'] } = {},
): Promise<Embedded> {
  const tls = options.tls ?? true;
  const trusted = options.clientCert ?? clientCert;
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exitCodes: number[] = [];
  let resolveExit!: (v: { code: number }) => void;
  const exited = new Promise<{ code: number }>((r) => (resolveExit = r));
  const env: NodeJS.ProcessEnv = {
    [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE,
    PLUGIN_PROTOCOL_VERSIONS: '5,6',
    TF_LOG: 'trace',
    ...(tls ? { PLUGIN_CLIENT_CERT: trusted.certPem } : {}),
    ...options.env,
  };
  await serve(handlers, {
    env,
    runtime: options.runtime,
    stdout,
    stderr,
    exit: (code) => {
      exitCodes.push(code);
      resolveExit({ code });
    },
  });
  await new Promise((r) => setImmediate(r));
  const connections: PluginConnection[] = [];
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  const embedded: Embedded = {
    handshake: parseHandshake(out),
    stdout: out,
    stderr: () => err,
    exited,
    exitCodes,
    connect(cert, connectOptions = {}) {
      const chosen = cert === null ? undefined : (cert ?? (tls ? trusted : undefined));
      const c = new PluginConnection(embedded.handshake, chosen, connectOptions);
      connections.push(c);
      return c;
    },
    async close() {
      if (!exitedYet) {
        const c = embedded.connect();
        await c.unary(GRPCController.method.shutdown, {}, { deadlineMs: 5000 });
        await exited;
      }
      for (const c of connections) c.close();
    },
  };
  running.push(embedded);
  return embedded;
}

export function grpcCode(err: unknown): number | undefined {
  return (err as ServiceError).code;
}

export async function rejectsWithCode(p: Promise<unknown>, code: number): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    assert.equal(grpcCode(err), code, (err as Error).message);
    return err as ServiceError;
  }
  assert.fail(`expected gRPC status ${code}`);
}

/** How many times `text` is in the server's stderr so far. */
export function countOf(server: Embedded, text: string): number {
  return server.stderr().split(text).length - 1;
}

export function waitForCount(server: Embedded, text: string, atLeast: number): Promise<boolean> {
  return waitFor(() => `"${text}" ${atLeast} times in stderr:\n${server.stderr()}`, () => countOf(server, text) >= atLeast, 5000, 10);
}
