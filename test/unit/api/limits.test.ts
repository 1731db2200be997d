/**
 * Input limits at the API, server side (so every client is covered): oversized requests, claim owners, and
 * identifiers that select something. Real servers and real clients; the service behind the server is the fake
 * for the wire checks and a real controller for the rules the service applies.
 */
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import * as pb from '../../../controller/api/gen/prewarm/v1/prewarm_pb';
import { createClient, type PrewarmClient } from '../../../controller/api/client';
import { FIELD_ERRORS_METADATA_KEY } from '../../../controller/api/status';
import { ValidationError, type FieldError } from '../../../controller/domain/errors';
import { MAX_OWNER, MAX_REQUEST_BYTES } from '../../../controller/domain/limits';
import { rawCall } from '../../helpers/raw-grpc';
import { TOKEN, startTestApi, type TestApi } from '../../helpers/api-fake';
import { startTestController, type TestController } from '../../helpers/controller';
import { presetSpec, templateSpec } from '../../helpers/fixtures';

jest.setTimeout(30_000);

/** The ValidationError a call rejected with. */
async function validationErrors(call: Promise<unknown>): Promise<FieldError[]> {
  const err = await call.then(
    () => assert.fail('expected a ValidationError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ValidationError, String(err));
  return err.errors;
}

const HUGE = 'a'.repeat(10_000);

describe('a request over the size limit', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  test('is INVALID_ARGUMENT saying how big it was and which limit, and never reaches the service', async () => {
    const before = api.fake.calls.length;
    const config = { blob: 'x'.repeat(MAX_REQUEST_BYTES + 1024) };
    const errors = await validationErrors(api.client.putTemplate({ name: 'big', driver: 'x', config }));
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0].path, []);
    assert.match(errors[0].message, /^request is 4,195,3\d\d bytes, over the 4 MiB limit of the prewarm API$/);

    const { err } = await rawCall(api.endpoint, pb.Prewarm.method.putTemplate, { template: { name: 'big', driver: 'x', config } }, `Bearer ${TOKEN}`);
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT, `${err?.code} ${err?.details}`);
    assert.match(err?.details ?? '', /^request is [\d,]+ bytes, over the 4 MiB limit/);
    const trailer = err?.metadata.get(FIELD_ERRORS_METADATA_KEY)[0] as Buffer;
    assert.deepEqual(JSON.parse(trailer.toString('utf8')), [{ path: [], message: err?.details }]);

    // Even unauthenticated: the size is refused before anything else looks at the request.
    const anonymous = await rawCall(api.endpoint, pb.Prewarm.method.putTemplate, { template: { name: 'big', driver: 'x', config } }, 'Bearer nope');
    assert.equal(anonymous.err?.code, grpc.status.INVALID_ARGUMENT);

    assert.equal(api.fake.calls.length, before, 'the service saw none of these calls');
    // The connection and the server are fine afterwards.
    assert.deepEqual(await api.client.listTemplates(), []);
  });

  test('a request just under the limit is served', async () => {
    const put = await api.client.putTemplate({ name: 'almost', driver: 'x', config: { blob: 'x'.repeat(MAX_REQUEST_BYTES - 1024) } });
    assert.equal(put.config.blob.length, MAX_REQUEST_BYTES - 1024);
  });
});

describe('wire checks of claim owners and identifiers', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  test('a claim owner over the limit or with control characters is refused, naming the field', async () => {
    const before = api.fake.calls.length;
    for (const [owner, message] of [
      ['o'.repeat(1 << 20), `must be at most ${MAX_OWNER} characters, got 1048576`],
      ['eve\nb-1  devbox/us-nix  ready  alice', 'must not contain control characters, got "\\n" at character 4'],
      ['\u001b[31meve', 'must not contain control characters, got "\\u001b" at character 1'],
    ] as const) {
      assert.deepEqual(await validationErrors(api.client.claim({ template: 'devbox', preset: 'us-nix', owner })), [{ path: ['owner'], message }]);
    }
    assert.equal(api.fake.calls.length, before, 'the service saw none of these calls');
  });

  test('names and ids that select something must be valid before any lookup; messages stay short', async () => {
    const before = api.fake.calls.length;
    const cases: Array<[Promise<unknown>, string[]]> = [
      [api.client.getTemplate(HUGE), ['name']],
      [api.client.deleteTemplate('a/b'), ['name']],
      [api.client.getPreset('devbox', HUGE), ['name']],
      [api.client.listPresets(`dev\nbox`), ['template']],
      [api.client.invalidate(HUGE, 'x'), ['template']],
      [api.client.claim({ template: 'devbox', preset: HUGE }), ['preset']],
      [api.client.getInstance(HUGE), ['id']],
      [api.client.getInstance('i-1\u001b[2J'), ['id']],
    ];
    for (const [call, path] of cases) {
      const errors = await validationErrors(call);
      assert.deepEqual(errors.map((e) => e.path), [path]);
      assert.ok(errors[0].message.length < 200, errors[0].message);
      assert.doesNotMatch(errors[0].message, /[\u0000-\u001f]/);
    }
    assert.equal(api.fake.calls.length, before, 'the service saw none of these calls');
  });
});

describe('against a real controller', () => {
  let ctl: TestController;
  let client: PrewarmClient;
  beforeAll(async () => {
    ctl = await startTestController();
    client = createClient({ endpoint: `127.0.0.1:${ctl.running.apiPort}`, token: ctl.token, timeoutMs: 10_000 });
    await client.putTemplate(templateSpec());
  });
  afterAll(async () => {
    client.close();
    await ctl.stop();
  });

  test('free-text fields of a put are INVALID_ARGUMENT with their paths', async () => {
    const errors = await validationErrors(
      client.putPreset(presetSpec({ name: 'evil', description: 'one\ntwo', parameters: { 'a\u0000b': 'v', region: 'u\u0000s' } })),
    );
    assert.deepEqual(errors.map((e) => e.path), [['description'], ['parameters', 'a\u0000b'], ['parameters', 'region']]);
    const config = await validationErrors(client.putTemplate({ name: 'cfg', driver: 'localdir', config: { image: `x${ESC}[31m` } }));
    assert.deepEqual(config.map((e) => e.path), [['config', 'image']]);
  });

  test('the service itself refuses a bad owner, for callers that do not come through the API', async () => {
    await client.putPreset(presetSpec({ name: 'nopool' }));
    await assert.rejects(ctl.running.service.claim({ template: 'devbox', preset: 'nopool', owner: 'a\rb' }), (e: unknown) => {
      assert.ok(e instanceof ValidationError);
      assert.deepEqual(e.errors, [{ path: ['owner'], message: 'must not contain control characters, got "\\r" at character 2' }]);
      return true;
    });
    assert.equal((await ctl.running.service.listInstances({ presetId: 'devbox/nopool' })).length, 0, 'nothing was stored');
  });
});

const ESC = '\u001b';
