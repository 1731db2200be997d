/**
 * Deleting a template that live presets still use is refused (FAILED_PRECONDITION at the API) with a message that
 * names those presets, at most 5 of them with the count, and says what to do. Presets already deleted (soft-deleted
 * while their instances are retired) do not hold the template.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import * as pb from '../../../controller/api/gen/prewarm/v1/prewarm_pb';
import { ConflictError } from '../../../controller/domain/errors';
import type { SqlStore } from '../../../controller/store/store';
import * as presets from '../../../controller/store/presets';
import * as templates from '../../../controller/store/templates';
import { startTestController } from '../../helpers/controller';
import { presetSpec, templateSpec } from '../../helpers/fixtures';
import { rawCall } from '../../helpers/raw-grpc';
import { runCli } from '../../helpers/cli-harness';
import { tempStore } from '../../helpers/store';

async function refusal(call: Promise<unknown>): Promise<string> {
  const err = await call.then(
    () => assert.fail('expected the delete to be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConflictError, String(err));
  return err.message;
}

describe('store: deleting a template that presets use', () => {
  let store: SqlStore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ store, cleanup } = await tempStore());
  });
  afterAll(() => cleanup());

  test('one preset: named, with the command that deletes it', async () => {
    await templates.putTemplate(store.db, templateSpec({ name: 'solo' }), 1000);
    await presets.putPreset(store.db, presetSpec({ template: 'solo', name: 'only' }), 1000);
    assert.equal(
      await refusal(store.deleteTemplate('solo', 2000)),
      'template "solo" is still used by 1 preset: solo/only; delete that preset first (prewarm preset delete solo/only, ' +
        'or remove it from the Terraform configuration that declares it), then the template',
    );
    await presets.deletePreset(store.db, 'solo/only', 3000);
    await store.deleteTemplate('solo', 4000);
    assert.deepEqual([...(await store.listTemplates()).map((t) => t.name)], []);
  });

  test('many presets: the first 5 by name and how many more; deleted ones do not count', async () => {
    await templates.putTemplate(store.db, templateSpec(), 1000);
    for (const name of ['p7', 'p1', 'p6', 'p3', 'p2', 'p5', 'p4', 'p8']) await presets.putPreset(store.db, presetSpec({ name }), 1000);
    await presets.deletePreset(store.db, 'devbox/p8', 1500);
    assert.equal(
      await refusal(store.deleteTemplate('devbox', 2000)),
      'template "devbox" is still used by 7 presets: devbox/p1, devbox/p2, devbox/p3, devbox/p4, devbox/p5 and 2 more; ' +
        'delete those presets first (prewarm preset delete devbox/p1, and so on for each, or remove them from the Terraform ' +
        'configuration that declares them), then the template',
    );
    assert.equal((await store.getTemplate('devbox')).name, 'devbox', 'nothing changed');
  });
});

test('through the API: FAILED_PRECONDITION with the message, and the CLI prints it', async () => {
  const ctl = await startTestController();
  try {
    await ctl.running.service.putTemplate(templateSpec());
    await ctl.running.service.putPreset(presetSpec({ name: 'a' }));
    await ctl.running.service.putPreset(presetSpec({ name: 'b' }));
    const endpoint = `127.0.0.1:${ctl.running.apiPort}`;
    const want =
      'template "devbox" is still used by 2 presets: devbox/a, devbox/b; delete those presets first (prewarm preset delete devbox/a, ' +
      'and so on for each, or remove them from the Terraform configuration that declares them), then the template';
    const { err } = await rawCall(endpoint, pb.Prewarm.method.deleteTemplate, { name: 'devbox' }, `Bearer ${ctl.token}`);
    assert.equal(err?.code, grpc.status.FAILED_PRECONDITION);
    assert.equal(err?.details, want);
    const r = await runCli(['template', 'delete', 'devbox'], { env: { PREWARM_ENDPOINT: endpoint, PREWARM_TOKEN: ctl.token } });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `prewarm: ${want}\n`);
  } finally {
    await ctl.stop();
  }
});
