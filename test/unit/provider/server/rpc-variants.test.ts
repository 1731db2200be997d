/**
 * Embedded plugin servers set up otherwise (see embedded.ts): go-plugin's own certificate type, plaintext, handlers
 * given as a loader, odd handlers, Shutdown with a call in flight, and refused handshakes.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { afterAll, describe, test } from '@jest/globals';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { GRPCController, Health, HealthCheckResponse_ServingStatus, Provider } from '../../../../provider/protocol';
import { createServerCertificate } from '../../../../provider/server/certificate';
import type { ProviderHandlers } from '../../../../provider/server/handler-contract';
import { MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE } from '../../../../provider/server/handshake';
import { encodeResponse } from '../../../../provider/server/grpc-server';
import { INTERNAL_ERROR_SUMMARY } from '../../../../provider/server/provider-service';
import * as runtimeModule from '../../../../provider/server/runtime';
import { serve } from '../../../../provider/server/serve';
import { SLOW_RESOURCE, SLOW_STARTED, stubHandlers } from '../../../helpers/provider-server-stubs';
import { closeEmbedded, grpcCode, startEmbedded, waitForCount } from './embedded';

afterAll(closeEmbedded);

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

  test('a precomputed answer is sent as it is, without loading the handlers; the next call loads them once', async () => {
    const schema = encodeResponse(Provider.method.getProviderSchema.output, { resourceSchemas: { prewarm_precomputed: {} } });
    let loads = 0;
    const server = await startEmbedded(
      () => {
        loads++;
        return stubHandlers();
      },
      { runtime: () => ({ ...runtimeModule, precomputedAnswers: () => ({ getProviderSchema: () => schema }) }) },
    );
    const client = server.connect();
    assert.deepEqual(Object.keys((await client.unary(Provider.method.getProviderSchema, {})).resourceSchemas), ['prewarm_precomputed']);
    assert.equal(loads, 0, 'the schema call loaded the handlers');
    await client.unary(Provider.method.validateProviderConfig, {});
    await client.unary(Provider.method.validateProviderConfig, {});
    assert.equal(loads, 1);
    await server.close();
  });

  test('handlers that match no RPC are reported in the log', async () => {
    const odd = { ...stubHandlers(), getProviderSchemas: async () => ({}), stopProvider: async () => ({}) } as unknown as ProviderHandlers;
    const server = await startEmbedded(odd);
    // The handlers load with the first call that needs them; a health check does not.
    await server.connect().unary(Health.method.check, { service: 'plugin' });
    assert.doesNotMatch(server.stderr(), /getProviderSchemas/);
    await server.connect().unary(Provider.method.validateProviderConfig, {});
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
