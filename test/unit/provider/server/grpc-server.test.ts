/**
 * The plugin's gRPC layer over node:http2 (grpc-server.ts and the modules under it), driven by a raw node:http2
 * client so each test controls the bytes: split messages, concurrency, big and oversize messages, compression,
 * content types, unknown methods, deadlines, cancellation, status encoding, and the runtime's graceful and forced stop.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import * as http2 from 'node:http2';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, test } from '@jest/globals';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { Health, HealthCheckResponse_ServingStatus, Provider } from '../../../../provider/protocol';
import { CallRegistry } from '../../../../provider/server/calls';
import { MessageReader } from '../../../../provider/server/grpc-framing';
import { createRpcServer, encodeResponse, MAX_MESSAGE_BYTES, RpcError, Status, type RpcServer } from '../../../../provider/server/grpc-server';
import { encodeGrpcMessage } from '../../../../provider/server/grpc-status';
import { parseGrpcTimeout } from '../../../../provider/server/grpc-timeout';
import type { ProviderHandlers } from '../../../../provider/server/handler-contract';
import { Logger } from '../../../../provider/server/hclog';
import { openListener } from '../../../../provider/server/listener';
import { startRuntime } from '../../../../provider/server/runtime';
import { PluginConnection } from '../../../helpers/plugin-client';
import { frame, messagesOf, pieces, rawCall, serveOnLoopback, type Served } from './grpc-wire';

const check = `/${Health.typeName}/Check`;
const plan = `/${Provider.typeName}/PlanResourceChange`;
const read = `/${Provider.typeName}/ReadResource`;

/** A signal's state as a method implementation saw it. */
interface Seen {
  started: Promise<void>;
  reason: Promise<unknown>;
  /** What onAbort reported (the signal-free path provider-service uses). */
  viaOnAbort: Promise<RpcError>;
}

function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Health Check answers (NOT_FOUND with the service name as the message, for the encoding test); PlanResourceChange
 * echoes proposedNewState; ReadResource waits for its signal (or `release`, which lets the calls waiting at that moment
 * go) and reports what it saw in `seen`.
 */
function testServer(): { rpc: RpcServer; seen: Seen[]; release(): void } {
  const rpc = createRpcServer(undefined);
  const seen: Seen[] = [];
  let gate = deferred();
  rpc.register([
    {
      method: Health.method.check,
      unary: ({ request }) => {
        const service = (request as unknown as { service: string }).service;
        if (service !== '') throw new RpcError(Status.NOT_FOUND, service);
        return encodeResponse(Health.method.check.output, { status: HealthCheckResponse_ServingStatus.SERVING });
      },
    },
    {
      method: Provider.method.planResourceChange,
      unary: ({ request }) =>
        encodeResponse(Provider.method.planResourceChange.output, {
          plannedState: (request as unknown as { proposedNewState?: { msgpack: Uint8Array } }).proposedNewState,
        }),
    },
    {
      method: Provider.method.readResource,
      unary: async ({ request, signal, onAbort }) => {
        const started = deferred();
        const reason = deferred<unknown>();
        const viaOnAbort = deferred<RpcError>();
        onAbort((r) => viaOnAbort.resolve(r));
        seen.push({ started: started.promise, reason: reason.promise, viaOnAbort: viaOnAbort.promise });
        started.resolve();
        signal.addEventListener('abort', () => reason.resolve(signal.reason), { once: true });
        await Promise.race([gate.promise, reason.promise]);
        const typeName = (request as unknown as { typeName: string }).typeName;
        return encodeResponse(Provider.method.readResource.output, { newState: { msgpack: Buffer.from(typeName) } });
      },
    },
  ]);
  return {
    rpc,
    seen,
    release() {
      gate.resolve();
      gate = deferred();
    },
  };
}

describe('gRPC over node:http2', () => {
  let served: Served;
  let server: ReturnType<typeof testServer>;
  let session: http2.ClientHttp2Session;
  beforeAll(async () => {
    server = testServer();
    served = await serveOnLoopback(server.rpc);
    session = served.connect();
  });
  afterAll(async () => {
    server.release();
    await served.close();
  });

  test('a message split across many DATA chunks, its prefix too, is put back together', async () => {
    const state = Buffer.alloc(3000, 9);
    const body = frame(encodeResponse(Provider.method.planResourceChange.input, { typeName: 'x', proposedNewState: { msgpack: state } }));
    const chunks = [body.subarray(0, 1), body.subarray(1, 3), body.subarray(3, 7), ...pieces(body.subarray(7), 251)];
    const answer = await rawCall(session, { path: plan, chunks });
    assert.equal(answer.headers[':status'], 200);
    assert.equal(answer.headers['content-type'], 'application/grpc');
    assert.equal(answer.trailers?.['grpc-status'], '0');
    const [response] = messagesOf(Provider.method.planResourceChange.output, answer.body);
    assert.deepEqual(Buffer.from(response.plannedState!.msgpack), state);
  });

  test('two concurrent calls on one connection: the later one answers while the first waits', async () => {
    const before = server.seen.length;
    const slow = rawCall(session, { path: read, chunks: [frame(encodeResponse(Provider.method.readResource.input, { typeName: 'slow' }))] });
    await waitUntil(() => server.seen.length > before);
    const fast = await rawCall(session, { path: plan, chunks: [frame(encodeResponse(Provider.method.planResourceChange.input, { proposedNewState: { msgpack: Uint8Array.of(1) } }))] });
    assert.equal(fast.code, 0);
    let slowDone = false;
    void slow.then(() => (slowDone = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(slowDone, false);
    server.release();
    const answer = await slow;
    assert.equal(answer.code, 0);
    assert.equal(Buffer.from(messagesOf(Provider.method.readResource.output, answer.body)[0].newState!.msgpack).toString(), 'slow');
  });

  test('5 MiB request and response', async () => {
    const state = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < state.length; i += 4096) state[i] = i % 251;
    const body = frame(encodeResponse(Provider.method.planResourceChange.input, { proposedNewState: { msgpack: state } }));
    const answer = await rawCall(session, { path: plan, chunks: pieces(body, 1024 * 1024) });
    assert.equal(answer.code, 0);
    const [response] = messagesOf(Provider.method.planResourceChange.output, answer.body);
    assert.ok(Buffer.from(response.plannedState!.msgpack).equals(state));
  });

  test('a message above the limit is refused from its prefix: RESOURCE_EXHAUSTED, before the rest arrives', async () => {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(MAX_MESSAGE_BYTES + 1, 1);
    const answer = await rawCall(session, { path: plan, chunks: [prefix, Buffer.alloc(1000)], end: false });
    assert.equal(answer.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(answer.trailers, undefined, 'Trailers-Only');
    assert.match(answer.rawMessage!, new RegExp(`${MAX_MESSAGE_BYTES + 1} vs. ${MAX_MESSAGE_BYTES}`));
  });

  test('compressed messages: an unknown grpc-encoding is UNIMPLEMENTED and named; none at all is INTERNAL', async () => {
    const message = frame(encodeResponse(Health.method.check.input, { service: '' }), 1);
    const gzip = await rawCall(session, { path: check, chunks: [message], headers: { 'grpc-encoding': 'gzip' } });
    assert.equal(gzip.code, Status.UNIMPLEMENTED);
    assert.match(decodeURIComponent(gzip.rawMessage!), /grpc-encoding "gzip" is not supported/);
    const none = await rawCall(session, { path: check, chunks: [message] });
    assert.equal(none.code, Status.INTERNAL);
    // The flag, not the header, says whether a message is compressed.
    const plain = await rawCall(session, { path: check, chunks: [frame(encodeResponse(Health.method.check.input, { service: '' }))], headers: { 'grpc-encoding': 'gzip' } });
    assert.equal(plain.code, 0);
  });

  test('a request that is not gRPC: 415 for a wrong content-type, 405 for a method other than POST', async () => {
    const json = await rawCall(session, { path: check, chunks: [Buffer.from('{}')], headers: { 'content-type': 'application/json' } });
    assert.equal(json.headers[':status'], 415);
    assert.equal(json.code, Status.INVALID_ARGUMENT);
    assert.match(decodeURIComponent(json.rawMessage!), /content-type "application\/json"/);
    const get = await rawCall(session, { path: check, headers: { ':method': 'GET' }, end: true });
    assert.equal(get.headers[':status'], 405);
    assert.equal(get.code, Status.INTERNAL);
    // application/grpc+proto, with a parameter, is gRPC.
    const proto = await rawCall(session, {
      path: check,
      chunks: [frame(encodeResponse(Health.method.check.input, { service: '' }))],
      headers: { 'content-type': 'application/grpc+proto; charset=utf-8' },
    });
    assert.equal(proto.code, 0);
  });

  test('unknown service or method: UNIMPLEMENTED naming the path', async () => {
    for (const path of ['/nope.Service/Call', `/${Health.typeName}/Watch`]) {
      const answer = await rawCall(session, { path, chunks: [frame(Buffer.alloc(0))] });
      assert.equal(answer.code, Status.UNIMPLEMENTED);
      assert.equal(answer.trailers, undefined);
      assert.match(decodeURIComponent(answer.rawMessage!), new RegExp(path.replace(/\./g, '\\.')));
    }
  });

  test('not exactly one request message, or one that does not decode: INTERNAL', async () => {
    const one = frame(encodeResponse(Health.method.check.input, { service: '' }));
    const none = await rawCall(session, { path: check, chunks: [] });
    assert.equal(none.code, Status.INTERNAL);
    assert.match(decodeURIComponent(none.rawMessage!), /no message/);
    const two = await rawCall(session, { path: check, chunks: [Buffer.concat([one, one])] });
    assert.equal(two.code, Status.INTERNAL);
    assert.match(decodeURIComponent(two.rawMessage!), /more than one message/);
    const cut = await rawCall(session, { path: check, chunks: [one.subarray(0, one.length - 1)] });
    assert.equal(cut.code, Status.INTERNAL);
    const garbage = await rawCall(session, { path: check, chunks: [frame(Buffer.from([0xff, 0xff, 0xff]))] });
    assert.equal(garbage.code, Status.INTERNAL);
    assert.match(decodeURIComponent(garbage.rawMessage!), /cannot decode the Check request as grpc\.health\.v1\.HealthCheckRequest/);
  });

  test('grpc-timeout: at the deadline the signal aborts and the answer is DEADLINE_EXCEEDED; a malformed one is INTERNAL', async () => {
    const before = server.seen.length;
    const started = performance.now();
    const answer = await rawCall(session, {
      path: read,
      chunks: [frame(encodeResponse(Provider.method.readResource.input, { typeName: 'late' }))],
      headers: { 'grpc-timeout': '80m' },
    });
    assert.equal(answer.code, Status.DEADLINE_EXCEEDED);
    assert.ok(performance.now() - started >= 75);
    const reason = (await server.seen[before].reason) as RpcError;
    assert.equal(reason.code, Status.DEADLINE_EXCEEDED);
    assert.equal(await server.seen[before].viaOnAbort, reason);
    const bad = await rawCall(session, { path: check, chunks: [frame(Buffer.alloc(0))], headers: { 'grpc-timeout': '5 years' } });
    assert.equal(bad.code, Status.INTERNAL);
    assert.match(decodeURIComponent(bad.rawMessage!), /grpc-timeout/);
  });

  test('a client that cancels (RST_STREAM) aborts the call’s signal', async () => {
    const before = server.seen.length;
    let clientStream!: http2.ClientHttp2Stream;
    const answer = rawCall(session, { path: read, chunks: [frame(encodeResponse(Provider.method.readResource.input, { typeName: 'gone' }))] }, (s) => (clientStream = s));
    await waitUntil(() => server.seen.length > before);
    clientStream.close(http2.constants.NGHTTP2_CANCEL);
    const reason = (await server.seen[before].reason) as RpcError;
    assert.equal(reason.code, Status.CANCELLED);
    assert.equal(await server.seen[before].viaOnAbort, reason);
    assert.equal((await answer).code, undefined, 'no status: the stream was reset');
  });

  test('grpc-message is percent-encoded UTF-8; a grpc-js client decodes it back', async () => {
    const text = 'line one\nlíne two: 100% done ✓';
    const answer = await rawCall(session, { path: check, chunks: [frame(encodeResponse(Health.method.check.input, { service: text }))] });
    assert.equal(answer.code, Status.NOT_FOUND);
    assert.equal(answer.rawMessage, 'line one%0Al%C3%ADne two: 100%25 done %E2%9C%93');
    const client = new PluginConnection({ line: '', core: '1', app: '6', network: 'tcp', address: `127.0.0.1:${served.port}`, protocol: 'grpc', fieldCount: 5 }, undefined);
    try {
      await assert.rejects(client.unary(Health.method.check, { service: text }), (err: { code: number; details: string }) => {
        assert.equal(err.code, GrpcStatus.NOT_FOUND);
        assert.equal(err.details, text);
        return true;
      });
    } finally {
      client.close();
    }
  });
});

describe('gRPC pieces', () => {
  test('encodeGrpcMessage leaves printable ASCII alone and encodes %, controls and non-ASCII', () => {
    assert.equal(encodeGrpcMessage('plain text (ok)'), 'plain text (ok)');
    assert.equal(encodeGrpcMessage('50%'), '50%25');
    assert.equal(encodeGrpcMessage('a\tb\r\n'), 'a%09b%0D%0A');
    assert.equal(encodeGrpcMessage('é'), '%C3%A9');
  });

  test('grpc-timeout units, limits and malformed values', () => {
    assert.equal(parseGrpcTimeout('2S'), 2000);
    assert.equal(parseGrpcTimeout('1H'), 3_600_000);
    assert.equal(parseGrpcTimeout('1500u'), 1);
    assert.equal(parseGrpcTimeout('999n'), 0);
    assert.equal(parseGrpcTimeout('99999999H'), Infinity);
    for (const bad of ['', 'S', '123456789S', '10x', '-1S', '1.5S']) assert.equal(parseGrpcTimeout(bad), undefined, bad);
  });

  test('MessageReader: any split, several messages in one chunk, the limit checked on the prefix', () => {
    const got: Buffer[] = [];
    const reader = new MessageReader((m) => got.push(m.bytes), 10);
    const stream = Buffer.concat([frame(Buffer.from('abc')), frame(Buffer.alloc(0)), frame(Buffer.from('0123456789'))]);
    for (const b of pieces(stream, 1)) reader.push(b);
    reader.finish();
    assert.deepEqual(got.map((b) => b.toString()), ['abc', '', '0123456789']);
    const limited = new MessageReader(() => assert.fail('no message expected'), 10);
    assert.throws(() => limited.push(frame(Buffer.alloc(11)).subarray(0, 5)), (err: RpcError) => err.code === Status.RESOURCE_EXHAUSTED);
    const partial = new MessageReader(() => {}, 10);
    partial.push(Buffer.from([0, 0, 0]));
    assert.throws(() => partial.finish(), (err: RpcError) => err.code === Status.INTERNAL);
    assert.throws(() => new MessageReader(() => {}).push(Buffer.from([2, 0, 0, 0, 0])), (err: RpcError) => err.code === Status.INTERNAL);
  });
});

describe('Runtime.stop', () => {
  const gate = deferred();
  let running: { stop(graceMs: number, done: () => void): void } | undefined;
  let closeListener: () => void = () => {};
  afterEach(() => {
    gate.resolve();
    closeListener();
  });

  /** startRuntime on a real listener (plaintext), with a PlanResourceChange that waits for `gate` (or never, if told). */
  async function runtimeWith(planWaits: () => Promise<void>): Promise<{ port: number; planStarted: Promise<void> }> {
    const listener = await openListener({ PLUGIN_MIN_PORT: '10000', PLUGIN_MAX_PORT: '25000' }, () => {}, 'win32');
    closeListener = () => listener.close();
    const planStarted = deferred();
    const handlers: ProviderHandlers = {
      async planResourceChange(req) {
        planStarted.resolve();
        await planWaits();
        return { plannedState: req.proposedNewState };
      },
    };
    const stderr = new PassThrough();
    running = startRuntime({
      listener,
      tls: undefined,
      handlers: async () => handlers,
      calls: new CallRegistry(),
      log: new Logger(stderr, 'off'),
      stderr,
      onShutdown: () => {},
    });
    return { port: Number(listener.address.address.split(':')[1]), planStarted: planStarted.promise };
  }

  test('a call in flight answers, then the connection closes and done runs once', async () => {
    const { port, planStarted } = await runtimeWith(() => gate.promise);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    const sessionClosed = new Promise((r) => session.once('close', r));
    const call = rawCall(session, { path: plan, chunks: [frame(encodeResponse(Provider.method.planResourceChange.input, { proposedNewState: { msgpack: Uint8Array.of(4) } }))] });
    await planStarted;
    let doneCount = 0;
    running!.stop(5000, () => doneCount++);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(doneCount, 0, 'stop waits for the call');
    gate.resolve();
    const answer = await call;
    assert.equal(answer.code, 0);
    assert.equal(messagesOf(Provider.method.planResourceChange.output, answer.body)[0].plannedState?.msgpack[0], 4);
    await sessionClosed;
    await waitUntil(() => doneCount > 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(doneCount, 1);
  });

  test('an answer sent while the client is still sending its request closes the stream: stop does not wait out the grace period', async () => {
    const { port } = await runtimeWith(() => gate.promise);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    const oversize = Buffer.alloc(5);
    oversize.writeUInt32BE(MAX_MESSAGE_BYTES + 1, 1);
    const answered: Array<Promise<unknown>> = [];
    const unfinished = { end: false, closeWhenAnswered: false };
    // Answered by the call (RESOURCE_EXHAUSTED from the prefix) and by the server before any call (not gRPC).
    const calls = [
      rawCall(session, { path: plan, chunks: [oversize], ...unfinished }, (s) => answered.push(once(s, 'response'))),
      rawCall(session, { path: plan, chunks: [Buffer.from('{}')], headers: { 'content-type': 'application/json' }, ...unfinished }, (s) =>
        answered.push(once(s, 'response')),
      ),
    ];
    await Promise.all(answered);
    let doneCount = 0;
    const started = performance.now();
    running!.stop(3000, () => doneCount++);
    await waitUntil(() => doneCount > 0, 1000);
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 500, `done after ${elapsed} ms`);
    const [exhausted, refused] = await Promise.all(calls);
    assert.equal(exhausted.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(refused.headers[':status'], 415);
    session.destroy();
  });

  test('past the grace period the connection is closed by force and done runs once', async () => {
    const { port, planStarted } = await runtimeWith(() => new Promise(() => {}));
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
    const call = rawCall(session, { path: plan, chunks: [frame(encodeResponse(Provider.method.planResourceChange.input, {}))] });
    await planStarted;
    let doneCount = 0;
    const started = performance.now();
    running!.stop(100, () => doneCount++);
    await waitUntil(() => doneCount > 0);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 95 && elapsed < 1000, `done after ${elapsed} ms`);
    const answer = await call;
    assert.equal(answer.code, undefined, 'the call was cut off, not answered');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(doneCount, 1);
    session.destroy();
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
