/**
 * `prewarm instance get` and the GetInstance call with what people copy from `prewarm instance list`: the full id, a
 * prefix of 8 or more characters, or the instance name, resolved by a real controller (so every client gets it). The CLI
 * runs in this process (runCli): the controller lives here too, and a blocking child would starve it.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import * as pb from '../../controller/api/gen/prewarm/v1/prewarm_pb';
import type { SqlStore } from '../../controller/store/store';
import { startTestController, type TestController } from '../helpers/controller';
import { runCli } from '../helpers/cli-harness';
import { rawCall } from '../helpers/raw-grpc';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';

// A real controller builds the pool with the localdir driver: the wait below may take up to waitFor's 20 s.
jest.setTimeout(60_000);

describe('instance get by id, id prefix or name, against a real controller', () => {
  let ctl: TestController;
  let env: Record<string, string>;
  let endpoint: string;
  beforeAll(async () => {
    ctl = await startTestController();
    endpoint = `127.0.0.1:${ctl.running.apiPort}`;
    env = { PREWARM_ENDPOINT: endpoint, PREWARM_TOKEN: ctl.token };
    await ctl.running.service.putTemplate(templateSpec());
    await ctl.running.service.putPreset(poolSpec('refs', 2));
    await waitFor('two ready instances', async () => (await ctl.running.service.listInstances({ presetId: 'devbox/refs', state: 'ready' })).length === 2);
  });
  afterAll(() => ctl.stop());

  const get = async (ref: string) => {
    const r = await runCli(['instance', 'get', ref, '--json'], { env });
    assert.equal(r.code, 0, `instance get ${ref}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { id: string; name: string };
  };

  test('every ID and NAME that instance list prints is accepted back, and so is an 8-character prefix of the id', async () => {
    const list = await runCli(['instance', 'list', '--preset', 'devbox/refs'], { env });
    assert.equal(list.code, 0, list.stderr);
    const rows = list.stdout.trimEnd().split('\n').slice(1).map((line) => line.split(/\s+/));
    assert.equal(rows.length, 2, list.stdout);
    for (const [id, name] of rows) {
      assert.equal((await get(id)).id, id);
      assert.equal((await get(name)).id, id);
      assert.equal((await get(id.slice(0, 8))).id, id);
      const text = await runCli(['instance', 'get', id.slice(0, 13)], { env });
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^Instance ${id} \\(${name}\\)\\n`));
    }
  });

  test('a short prefix, an ambiguous prefix and an unknown reference: the gRPC status, and what the CLI prints', async () => {
    const [one] = await ctl.running.service.listInstances({ presetId: 'devbox/refs', state: 'ready' });

    const short = await rawCall(endpoint, pb.Prewarm.method.getInstance, { id: one.id.slice(0, 7) }, `Bearer ${ctl.token}`);
    assert.equal(short.err?.code, grpc.status.INVALID_ARGUMENT, short.err?.details);
    let r = await runCli(['instance', 'get', one.id.slice(0, 7)], { env });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'prewarm: the controller rejected the request:\n' +
        `  id: no instance has the id or name "${one.id.slice(0, 7)}", and an id prefix needs at least 8 characters (this one has 7): give more characters of the id\n`,
    );

    // Two deleted instances whose ids share 12 characters (history rows the controller keeps for a week).
    const store = ctl.running.store as SqlStore;
    const twins = ['c0ffee00-1234-4000-8000-00000000000a', 'c0ffee00-1234-4000-8000-00000000000b'];
    for (const id of twins) {
      await store.db
        .insertInto('instances')
        .values({
          id, name: `refs-twin-${id.slice(-1)}`, preset_id: 'devbox/refs', template: 'devbox', template_version: 1, generation: 1,
          state: 'deleted', owner: null, attributes: '{}', parameters: '{}', error: '', created_at: 1, ready_at: null, claimed_at: null,
          last_used_at: null, failed_at: null, stopped_at: null, deleting_at: null, deleted_at: Date.now(), next_attempt_at: null,
          delete_attempts: 0, updated_at: 1,
        })
        .execute();
    }
    const ambiguous = await rawCall(endpoint, pb.Prewarm.method.getInstance, { id: 'c0ffee00-1234' }, `Bearer ${ctl.token}`);
    assert.equal(ambiguous.err?.code, grpc.status.FAILED_PRECONDITION, ambiguous.err?.details);
    r = await runCli(['instance', 'get', 'c0ffee00'], { env });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `prewarm: instance id prefix "c0ffee00" matches 2 instances: ${twins[0]} (devbox/refs, deleted), ${twins[1]} (devbox/refs, deleted); ` +
        'give more characters of the id\n',
    );
    assert.equal((await get(twins[1])).id, twins[1]);
    assert.equal((await get('refs-twin-a')).id, twins[0]);

    const missing = await rawCall(endpoint, pb.Prewarm.method.getInstance, { id: 'deadbeef-0000' }, `Bearer ${ctl.token}`);
    assert.equal(missing.err?.code, grpc.status.NOT_FOUND);
    assert.equal(missing.err?.details, 'no instance has the id, id prefix or name "deadbeef-0000"');
    r = await runCli(['instance', 'get', 'refs-000000000000'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'prewarm: no instance has the id, id prefix or name "refs-000000000000"\n');
  });

  test('the help says what the argument accepts', async () => {
    const r = await runCli(['instance', 'get', '--help'], { env });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: prewarm instance get ID\|PREFIX\|NAME \[flags\]\n/);
    assert.match(r.stdout, /ID\|PREFIX\|NAME {2}The instance: its full id, a prefix of 8 or more characters of the id, or its name/);
  });
});
