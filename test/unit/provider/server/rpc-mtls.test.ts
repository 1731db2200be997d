/**
 * The plugin server embedded in the test process (serve() with its own stdout/stderr/exit), driven over its real
 * unix socket by a grpc-js client configured like go-plugin's: mTLS with a self-signed client certificate, the
 * server certificate from the handshake line as the only root, ServerName localhost.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import {
  Diagnostic_Severity,
  GRPCController,
  GRPCStdio,
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  Provider,
} from '../../../../provider/protocol';
import { createServerCertificate } from '../../../../provider/server/certificate';
import type { ProviderHandlers } from '../../../../provider/server/handler-contract';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../../provider/server/handshake';
import { INTERNAL_ERROR_SUMMARY } from '../../../../provider/server/provider-service';
import { serve, type HandlerSource } from '../../../../provider/server/serve';
import { parseHandshake, PluginConnection, type ClientCertificate, type Handshake } from '../../../helpers/plugin-client';
import { SLOW_RESOURCE, SLOW_STARTED, stubHandlers, THROWING_RESOURCE } from '../../../helpers/provider-server-stubs';
import { waitFor } from '../../../helpers/wait';

interface Embedded {
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
afterAll(async () => {
  for (const e of running) await e.close();
});

const clientCert = createServerCertificate();

async function startEmbedded(
  handlers: HandlerSource,
  options: { tls?: boolean; env?: NodeJS.ProcessEnv; clientCert?: ClientCertificate } = {},
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

function grpcCode(err: unknown): number | undefined {
  return (err as ServiceError).code;
}

async function rejectsWithCode(p: Promise<unknown>, code: number): Promise<ServiceError> {
  try {
    await p;
  } catch (err) {
    assert.equal(grpcCode(err), code, (err as Error).message);
    return err as ServiceError;
  }
  assert.fail(`expected gRPC status ${code}`);
}

describe('embedded plugin server over mTLS', () => {
  let server: Embedded;
  let client: PluginConnection;
  beforeAll(async () => {
    server = await startEmbedded(stubHandlers());
    client = server.connect();
  });

  test('one handshake line, 6 fields, unix socket in a private directory', () => {
    assert.equal(server.stdout.split('\n').length, 2);
    assert.equal(server.handshake.fieldCount, 6);
    assert.equal(server.handshake.core, '1');
    assert.equal(server.handshake.app, '6');
    assert.equal(server.handshake.network, 'unix');
    assert.equal(server.handshake.protocol, 'grpc');
    assert.ok(fs.statSync(server.handshake.address).isSocket());
    assert.equal(fs.statSync(path.dirname(server.handshake.address)).mode & 0o777, 0o700);
  });

  test('health: SERVING for "plugin" and "", NOT_FOUND otherwise; List; Watch is UNIMPLEMENTED', async () => {
    assert.equal((await client.unary(Health.method.check, { service: 'plugin' })).status, HealthCheckResponse_ServingStatus.SERVING);
    assert.equal((await client.unary(Health.method.check, { service: '' })).status, HealthCheckResponse_ServingStatus.SERVING);
    await rejectsWithCode(client.unary(Health.method.check, { service: 'tfplugin6.Provider.nope' }), GrpcStatus.NOT_FOUND);
    const list = await client.unary(Health.method.list, {});
    assert.deepEqual(Object.keys(list.statuses).sort(), ['', 'plugin']);
    const watch = client.serverStream(Health.method.watch, create(HealthCheckRequestSchema, { service: 'plugin' }));
    assert.equal(((await watch.done) as { code: number }).code, GrpcStatus.UNIMPLEMENTED);
  });

  test('a tfplugin6 RPC reaches its handler and comes back decoded', async () => {
    const schema = await client.unary(Provider.method.getProviderSchema, {});
    assert.deepEqual(Object.keys(schema.resourceSchemas), ['prewarm_thing']);
    assert.equal(schema.resourceSchemas.prewarm_thing.version, 1n);
    const validated = await client.unary(Provider.method.validateProviderConfig, {});
    assert.deepEqual(
      validated.diagnostics.map((d) => [d.severity, d.summary]),
      [[Diagnostic_Severity.WARNING, 'stub warning']],
    );
    // ctx.log writes hclog JSON with the RPC name; a bigint field is written as a string.
    const line = server
      .stderr()
      .split('\n')
      .find((l) => l.includes('validating the provider config'));
    assert.ok(line);
    const entry = JSON.parse(line);
    assert.equal(entry.tf_rpc, 'ValidateProviderConfig');
    assert.equal(entry.big, '12345678901234567890');
    assert.match(entry['@timestamp'], /\.\d{6}Z$/);
  });

  test('RPCs the handlers leave out, and every streaming RPC, answer UNIMPLEMENTED', async () => {
    const err = await rejectsWithCode(client.unary(Provider.method.getMetadata, {}), GrpcStatus.UNIMPLEMENTED);
    assert.match(err.details, /GetMetadata/);
    await rejectsWithCode(client.unary(Provider.method.getResourceIdentitySchemas, {}), GrpcStatus.UNIMPLEMENTED);
    const list = client.serverStream(Provider.method.listResource, create(Provider.method.listResource.input, {}));
    assert.equal(((await list.done) as { code: number }).code, GrpcStatus.UNIMPLEMENTED);
  });

  test('a throwing handler answers OK with an internal-error diagnostic and a panic report on stderr', async () => {
    const res = await client.unary(Provider.method.planResourceChange, { typeName: THROWING_RESOURCE });
    assert.deepEqual(
      res.diagnostics.map((d) => [d.severity, d.summary, d.detail]),
      [[Diagnostic_Severity.ERROR, INTERNAL_ERROR_SUMMARY, 'stub handler exploded']],
    );
    const lines = server.stderr().split('\n');
    const at = lines.indexOf('panic: recovered in PlanResourceChange: stub handler exploded');
    assert.ok(at >= 0, server.stderr());
    assert.ok(lines.slice(at + 1, at + 6).some((l) => /^\s+at /.test(l)), 'the stack follows the panic line');
  });

  test('a response the handler built wrongly becomes a diagnostic too', async () => {
    const res = await client.unary(Provider.method.readResource, { typeName: 'prewarm_thing' });
    assert.equal(res.diagnostics.length, 1);
    assert.equal(res.diagnostics[0].summary, INTERNAL_ERROR_SUMMARY);
    assert.match(res.diagnostics[0].detail, /msgpack/);
  });

  test('StopProvider aborts the calls in flight; calls after it get a fresh signal', async () => {
    const before = countOf(server, SLOW_STARTED);
    let stopSent = false;
    let settledBeforeStop = false;
    const slow1 = client.unary(Provider.method.planResourceChange, { typeName: SLOW_RESOURCE });
    const slow2 = client.unary(Provider.method.planResourceChange, { typeName: SLOW_RESOURCE });
    void slow1.then(() => (settledBeforeStop ||= !stopSent));
    void slow2.then(() => (settledBeforeStop ||= !stopSent));
    await waitForCount(server, SLOW_STARTED, before + 2);

    stopSent = true;
    const stop = await client.unary(Provider.method.stopProvider, {});
    assert.equal(stop.Error, '');
    for (const res of await Promise.all([slow1, slow2])) {
      assert.equal(res.diagnostics[0].summary, 'Planning cancelled');
      assert.match(res.diagnostics[0].detail, /StopProvider/);
    }
    assert.equal(settledBeforeStop, false, 'the slow handlers run until stopped');

    // A call that starts after StopProvider has a signal of its own: not aborted when its handler starts, and only
    // the next StopProvider ends it.
    let secondStopSent = false;
    let settledBeforeSecondStop = false;
    const slow3 = client.unary(Provider.method.planResourceChange, { typeName: SLOW_RESOURCE });
    void slow3.then(() => (settledBeforeSecondStop = !secondStopSent));
    await waitForCount(server, SLOW_STARTED, before + 3);
    const started = server
      .stderr()
      .split('\n')
      .filter((l) => l.includes(SLOW_STARTED))
      .map((l) => JSON.parse(l) as { aborted_on_entry: boolean });
    assert.equal(started.at(-1)!.aborted_on_entry, false, 'a call started after StopProvider is not aborted by it');
    secondStopSent = true;
    await client.unary(Provider.method.stopProvider, {});
    assert.equal((await slow3).diagnostics[0].summary, 'Planning cancelled');
    assert.equal(settledBeforeSecondStop, false, 'it ran until the second StopProvider');
  });

  test('concurrent calls are served independently (Terraform runs 10 at a time)', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        client.unary(Provider.method.planResourceChange, { typeName: 'prewarm_thing', proposedNewState: { msgpack: Uint8Array.of(i) } }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.plannedState?.msgpack[0]),
      Array.from({ length: 30 }, (_, i) => i),
    );
  });

  test('messages far above grpc-js’s 4 MiB default pass both ways', async () => {
    const big = new Uint8Array(24 * 1024 * 1024).fill(7);
    const res = await client.unary(Provider.method.planResourceChange, { typeName: 'prewarm_thing', proposedNewState: { msgpack: big } });
    assert.equal(res.plannedState?.msgpack.length, big.length);
  });

  test('a client without a certificate is refused', async () => {
    const anonymous = server.connect(null);
    await rejectsWithCode(anonymous.unary(Health.method.check, { service: 'plugin' }, { deadlineMs: 3000 }), GrpcStatus.UNAVAILABLE);
  });

  test('a client with a certificate other than PLUGIN_CLIENT_CERT is refused', async () => {
    const stranger = server.connect(createServerCertificate());
    await rejectsWithCode(stranger.unary(Health.method.check, { service: 'plugin' }, { deadlineMs: 3000 }), GrpcStatus.UNAVAILABLE);
  });

  test('a client that does not trust the handshake certificate cannot connect', async () => {
    const wrongRoot = server.connect(clientCert, { trustPem: createServerCertificate().certPem });
    await rejectsWithCode(wrongRoot.unary(Health.method.check, { service: 'plugin' }, { deadlineMs: 3000 }), GrpcStatus.UNAVAILABLE);
  });

  test('Shutdown answers, ends the stdio stream, removes the socket directory and exits 0 without waiting for the client', async () => {
    const stdio = client.serverStream(GRPCStdio.method.streamStdio, create(EmptySchema));
    // A round trip behind it on the same connection: the server has taken the stream by the time it answers.
    await client.unary(Health.method.check, { service: 'plugin' });
    await client.unary(GRPCController.method.shutdown, {});
    // The client keeps its connection open: exiting must not wait for it to hang up (go-plugin would SIGKILL the
    // plugin 2 s after Shutdown).
    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.deepEqual(server.exitCodes, [0]);
    const end = await stdio.done;
    assert.equal((end as { code: number }).code, GrpcStatus.OK, 'the stdio stream ends cleanly');
    assert.equal(stdio.messages.length, 0);
    assert.equal(fs.existsSync(path.dirname(server.handshake.address)), false);
  });
});

describe('embedded plugin server variants', () => {
  test('go-plugin’s own client certificate type (ECDSA P-521) is accepted', async () => {
    const p521 = createServerCertificate({ namedCurve: 'P-521' });
    const server = await startEmbedded(stubHandlers(), { clientCert: p521 });
    const client = server.connect();
    assert.equal((await client.unary(Health.method.check, { service: 'plugin' })).status, HealthCheckResponse_ServingStatus.SERVING);
    await server.close();
  });

  test('plaintext without PLUGIN_CLIENT_CERT: five fields, an insecure client works', async () => {
    const server = await startEmbedded(stubHandlers(), { tls: false });
    assert.equal(server.handshake.fieldCount, 5);
    assert.equal(server.handshake.cert, undefined);
    const client = server.connect(undefined);
    assert.deepEqual(Object.keys((await client.unary(Provider.method.getProviderSchema, {})).resourceSchemas), ['prewarm_thing']);
    await server.close();
  });

  test('handlers given as a loader: calls before it resolves wait for it', async () => {
    let loaded = false;
    let finishLoading!: () => void;
    const loading = new Promise<void>((resolve) => (finishLoading = resolve));
    const server = await startEmbedded(async () => {
      await loading;
      loaded = true;
      return stubHandlers();
    });
    const client = server.connect();
    // Health does not depend on the handlers.
    assert.equal((await client.unary(Health.method.check, { service: 'plugin' })).status, HealthCheckResponse_ServingStatus.SERVING);
    let answered = false;
    const pending = client.unary(Provider.method.getProviderSchema, {}).finally(() => (answered = true));
    await waitForCount(server, 'Received request', 1);
    // The call has reached the server while the loader is still pending; it may only be answered once it is done.
    assert.equal(answered, false);
    finishLoading();
    const schema = await pending;
    assert.ok(loaded);
    assert.ok(schema.resourceSchemas.prewarm_thing);
    await server.close();
  });

  test('a loader that fails: every provider call carries the error, the failure is reported once as a panic', async () => {
    const server = await startEmbedded(() => {
      throw new Error('handlers module is broken');
    });
    const client = server.connect();
    for (const method of [Provider.method.getProviderSchema, Provider.method.validateProviderConfig] as const) {
      const res = await client.unary(method, {});
      assert.deepEqual(
        res.diagnostics.map((d) => [d.summary, d.detail]),
        [[INTERNAL_ERROR_SUMMARY, 'the provider could not be loaded: handlers module is broken']],
      );
    }
    assert.equal(server.stderr().split('\n').filter((l) => l.startsWith('panic: ')).length, 1);
    assert.match(server.stderr(), /^panic: cannot load the provider handlers: handlers module is broken$/m);
    assert.equal((await client.unary(Provider.method.stopProvider, {})).Error, '');
    await server.close();
  });

  test('handlers that match no RPC are reported in the log', async () => {
    const odd = { ...stubHandlers(), getProviderSchemas: async () => ({}), stopProvider: async () => ({}) } as unknown as ProviderHandlers;
    const server = await startEmbedded(odd);
    await server.connect().unary(Health.method.check, { service: 'plugin' });
    await waitForCount(server, 'getProviderSchemas', 1);
    assert.match(server.stderr(), /"@level":"warn","@message":"A handler matches no unary tfplugin6 RPC[^\n]*getProviderSchemas/);
    assert.match(server.stderr(), /stopProvider handler is never called/);
    await server.close();
  });

  test('Shutdown with a call in flight: the call is aborted and the process still exits', async () => {
    const server = await startEmbedded(stubHandlers());
    const client = server.connect();
    const slow = client.unary(Provider.method.planResourceChange, { typeName: SLOW_RESOURCE }).catch((e: unknown) => e);
    await waitForCount(server, SLOW_STARTED, 1);
    await client.unary(GRPCController.method.shutdown, {});
    // The slow handler never finishes on its own: the exit below can only come from Shutdown aborting it.
    const { code } = await server.exited;
    assert.equal(code, 0);
    const outcome = await slow;
    // Either the aborted handler's answer got out before the connection closed, or the call was cut off.
    if (outcome instanceof Error) assert.ok([GrpcStatus.UNAVAILABLE, GrpcStatus.CANCELLED, GrpcStatus.INTERNAL].includes(grpcCode(outcome)!));
    else assert.match((outcome as { diagnostics: Array<{ detail: string }> }).diagnostics[0].detail, /stopping/);
    await server.close();
  });

  test('refusals: wrong cookie and protocol 5 only exit 1 with a message and write nothing on stdout', async () => {
    for (const env of [{ [MAGIC_COOKIE_KEY]: 'wrong' }, { PLUGIN_PROTOCOL_VERSIONS: '5' }]) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let out = '';
      let err = '';
      stdout.on('data', (d: Buffer) => (out += d.toString()));
      stderr.on('data', (d: Buffer) => (err += d.toString()));
      const codes: number[] = [];
      await serve(stubHandlers(), {
        env: { [MAGIC_COOKIE_KEY]: MAGIC_COOKIE_VALUE, PLUGIN_PROTOCOL_VERSIONS: '6,5', ...env },
        stdout,
        stderr,
        exit: (c) => codes.push(c),
      });
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(codes, [1]);
      assert.equal(out, '');
      assert.ok(err.length > 20);
    }
  });
});

function countOf(server: Embedded, text: string): number {
  return server.stderr().split(text).length - 1;
}

function waitForCount(server: Embedded, text: string, atLeast: number): Promise<boolean> {
  return waitFor(() => `"${text}" ${atLeast} times in stderr:\n${server.stderr()}`, () => countOf(server, text) >= atLeast, 5000, 10);
}
