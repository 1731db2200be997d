/**
 * Human-readable CLI output never passes a control character through: values stored before the input rules
 * existed (written here straight into the database, as an older release could have), driver errors and messages
 * from the controller are printed with `\n`, `\r`, `\u001b`… instead, so they cannot fake rows or recolour the
 * terminal. JSON output stays exact. The CLI also refuses a bad `--owner` before sending anything.
 */
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../controller/store/store';
import { NotFoundError, ValidationError } from '../../../controller/domain/errors';
import { MAX_OWNER } from '../../../controller/domain/limits';
import { TOKEN, startTestApi, type TestApi } from '../../helpers/api-fake';
import { startTestController, type TestController } from '../../helpers/controller';
import { runCli } from '../../helpers/cli-harness';
import { presetSpec, templateSpec } from '../../helpers/fixtures';

jest.setTimeout(30_000);

const ESC = '\u001b';
/** A stored owner that, printed raw, would end the row, start a fake one, and turn the terminal red. */
const EVIL_OWNER = `mallory\n00000000-fake  devbox-fake  devbox/evil  ready  root\r${ESC}[31mred${ESC}[0m`;
const EVIL_DESCRIPTION = `nice\n  status:       healthy${ESC}[2J\u0000`;
const EVIL_REASON = `driver said\n${ESC}]0;pwned\u0007`;

/** No raw control character at all, except the newlines that end lines. */
function assertPrintable(text: string): void {
  assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, JSON.stringify(text));
}

describe('values stored by an older release, printed by a real CLI against a real controller', () => {
  let dir: string;
  let ctl: TestController;
  let env: Record<string, string>;
  let instanceId: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prewarm-escaping-'));
    const database = `sqlite:${join(dir, 'prewarm.db')}`;
    // Written with the store directly and then patched with SQL: no validation stands in the way, as with rows
    // an older release accepted.
    const store = await openStore(database, { exclusive: true, clock: { now: () => Date.now() } });
    const now = Date.now();
    await store.putTemplate(templateSpec({ config: { image: 'node:20' } }), now);
    await store.putPreset(presetSpec({ name: 'evil', description: 'nice' }), now);
    const { instance } = await store.insertClaimBuild('devbox/evil', 'mallory', now);
    instanceId = instance.id;
    // A finished build, so no driver runs for it when the controller starts.
    await store.db
      .updateTable('instances')
      .set({ owner: EVIL_OWNER, error: EVIL_REASON, state: 'claimed', ready_at: now })
      .where('id', '=', instanceId)
      .execute();
    await store.db.updateTable('jobs').set({ state: 'succeeded', finished_at: now }).where('instance_id', '=', instanceId).execute();
    const spec = { ...presetSpec({ name: 'evil', description: EVIL_DESCRIPTION }), parameters: { [`k\n${ESC}[1m`]: `v\r\n${ESC}[0m` } };
    await store.db.updateTable('presets').set({ spec: JSON.stringify(spec), status_reason: EVIL_REASON }).where('id', '=', 'devbox/evil').execute();
    await store.db.updateTable('templates').set({ driver: `localdir${ESC}[8m` }).where('name', '=', 'devbox').execute();
    await store.close();

    // Paused globally before it starts, so nothing rebuilds or retires the instance while the CLI reads it.
    ctl = await startTestController({ database, reconcileIntervalMs: 60_000 });
    await ctl.running.service.pause();
    env = { PREWARM_ENDPOINT: `127.0.0.1:${ctl.running.apiPort}`, PREWARM_TOKEN: ctl.token };
  });
  afterAll(async () => {
    await ctl?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('instance list: one row per instance, the owner escaped', async () => {
    const r = await runCli(['instance', 'list'], { env });
    assert.equal(r.code, 0, r.stderr);
    assertPrintable(r.stdout);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2, r.stdout);
    assert.match(lines[0], /^ID +NAME +PRESET +STATE +OWNER +VERSION +CREATED$/);
    assert.ok(lines[1].startsWith(instanceId));
    assert.ok(lines[1].includes('mallory\\n00000000-fake  devbox-fake  devbox/evil  ready  root\\r\\u001b[31mred\\u001b[0m'), lines[1]);
  });

  test('instance list --json and instance get --json: the exact stored value', async () => {
    const list = await runCli(['instance', 'list', '--json'], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(JSON.parse(list.stdout).instances[0].owner, EVIL_OWNER);
    const one = await runCli(['instance', 'get', instanceId, '--json'], { env });
    assert.equal(JSON.parse(one.stdout).owner, EVIL_OWNER);
    assert.equal(JSON.parse(one.stdout).error, EVIL_REASON);
  });

  test('instance get: owner and error escaped', async () => {
    const r = await runCli(['instance', 'get', instanceId], { env });
    assert.equal(r.code, 0, r.stderr);
    assertPrintable(r.stdout);
    assert.match(r.stdout, /\n {2}owner: {5}mallory\\n00000000-fake .*\\r\\u001b\[31mred\\u001b\[0m\n/);
    assert.match(r.stdout, /\n {2}error: {5}driver said\\n\\u001b\]0;pwned\\u0007\n/);
  });

  test('preset get: description, status reason and parameters escaped; --json exact', async () => {
    const r = await runCli(['preset', 'get', 'devbox/evil'], { env });
    assert.equal(r.code, 0, r.stderr);
    assertPrintable(r.stdout);
    assert.match(r.stdout, /\n {2}description: {2}nice\\n {2}status: {7}healthy\\u001b\[2J\\u0000\n/);
    assert.match(r.stdout, /driver said\\n\\u001b\]0;pwned\\u0007\n/);
    assert.match(r.stdout, /\n {4}k\\n\\u001b\[1m = v\\r\\n\\u001b\[0m\n/);
    assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('  status:')).length, 1, 'no faked status line');
    const j = await runCli(['preset', 'get', 'devbox/evil', '--json'], { env });
    const p = JSON.parse(j.stdout);
    assert.equal(p.description, EVIL_DESCRIPTION);
    assert.equal(p.status_reason, EVIL_REASON);
  });

  test('preset list, template get and template list', async () => {
    for (const argv of [['preset', 'list'], ['template', 'get', 'devbox'], ['template', 'list']]) {
      const r = await runCli(argv, { env });
      assert.equal(r.code, 0, r.stderr);
      assertPrintable(r.stdout);
    }
    const t = await runCli(['template', 'get', 'devbox'], { env });
    assert.match(t.stdout, /\n {2}driver: {3}localdir\\u001b\[8m\n/);
  });
});

describe('messages and flags', () => {
  let api: TestApi;
  let env: Record<string, string>;
  beforeAll(async () => {
    api = await startTestApi();
    env = { PREWARM_ENDPOINT: api.endpoint, PREWARM_TOKEN: TOKEN };
  });
  afterAll(() => api.close());

  test('error text from the controller is escaped, one line', async () => {
    api.fake.failWith = new NotFoundError(`no preset "x${ESC}[31m"\nprewarm: everything is fine\r`);
    const r = await runCli(['template', 'list'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'prewarm: no preset "x\\u001b[31m"\\nprewarm: everything is fine\\r\n');
    api.fake.failWith = new ValidationError([{ path: ['parameters', `k\n${ESC}`], message: `bad\r${ESC}[2J` }]);
    const v = await runCli(['template', 'list'], { env });
    assertPrintable(v.stderr);
    assert.equal(v.stderr, 'prewarm: the controller rejected the request:\n  parameters["k\\n\\u001b"]: bad\\r\\u001b[2J\n');
  });

  test('claim --owner follows the owner rule before anything is sent', async () => {
    const before = api.fake.calls.length;
    for (const [owner, message] of [
      ['a'.repeat(MAX_OWNER + 1), `--owner must be at most ${MAX_OWNER} characters, got ${MAX_OWNER + 1}`],
      ['eve\nroot', '--owner must not contain control characters, got "\\n" at character 4'],
      [`${ESC}[31meve`, '--owner must not contain control characters, got "\\u001b" at character 1'],
      ['  ', '--owner must not be empty'],
    ] as const) {
      const r = await runCli(['claim', 'devbox/us-nix', '--owner', owner], { env });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `prewarm: ${message}\n`);
    }
    assert.equal(api.fake.calls.length, before, 'nothing was sent');
  });

  test('flag values are quoted bounded in usage errors', async () => {
    const r = await runCli(['explain', '--at', `2026${'9'.repeat(10_000)}`], { env });
    assert.equal(r.code, 2);
    assert.ok(r.stderr.length < 300, r.stderr);
    assert.match(r.stderr, /got "20269{36}…" \(10004 characters\)\n$/);
  });
});
