/**
 * One embedded plugin server over mTLS (see embedded.ts), the way Terraform uses it: handshake, health, tfplugin6 RPCs
 * and their failures, StopProvider, concurrency, big messages, refused clients, and Shutdown.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { create } from '@bufbuild/protobuf';
import { EmptySchema } from '@bufbuild/protobuf/wkt';
import { Diagnostic_Severity, GRPCController, GRPCStdio, Health, HealthCheckRequestSchema, HealthCheckResponse_ServingStatus, Provider } from '../../../../provider/protocol';
import { createServerCertificate } from '../../../../provider/server/certificate';
import { INTERNAL_ERROR_SUMMARY } from '../../../../provider/server/provider-service';
import type { PluginConnection } from '../../../helpers/plugin-client';
import { SLOW_RESOURCE, SLOW_STARTED, stubHandlers, THROWING_RESOURCE } from '../../../helpers/provider-server-stubs';
import { clientCert, closeEmbedded, countOf, rejectsWithCode, startEmbedded, waitForCount, type Embedded } from './embedded';

afterAll(closeEmbedded);

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
