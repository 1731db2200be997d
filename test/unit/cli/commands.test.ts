import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '../../../controller/domain/errors';
import type { ExplainPreset } from '../../../controller/api/service';
import { BIG_TIME, TOKEN, type TestApi } from '../../helpers/api-fake';
import { startWorkspaceTestApi, type WorkspaceFakeService } from '../../helpers/workspace-fake';
import { runCli } from '../../helpers/cli-harness';
import { explainPreset, scheduledPrebuilds, scheduledPresetInput } from '../../helpers/fixtures';

const EXPLAIN_KEYS = [
  'template', 'preset', 'desired', 'desired_source', 'ready', 'starting', 'expired', 'outdated', 'status', 'backoff_until', 'actions',
];

/** A preset file as a user writes it (description and default left out for the CLI to fill in), one window. */
const presetFile = scheduledPresetInput({ prebuilds: scheduledPrebuilds() });

const explained: ExplainPreset = explainPreset({
  desired: 3,
  desired_source: 'schedule[0] "* 8-18 * * 1-5"',
  ready: 1,
  expired: 1,
  actions: [
    { type: 'create', count: 2, reason: 'scale' },
    { type: 'delete', instance_ids: ['i-7'], reason: 'expired' },
  ],
});

describe('client commands against a real server with a fake service', () => {
  let api: TestApi & { fake: WorkspaceFakeService };
  let dir: string;
  let env: Record<string, string>;
  const file = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };

  beforeAll(async () => {
    api = await startWorkspaceTestApi();
    dir = mkdtempSync(join(tmpdir(), 'prewarm-cli-'));
    env = { PREWARM_ENDPOINT: api.endpoint, PREWARM_TOKEN: TOKEN };
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('template put / get / list / delete', async () => {
    const f = file('devbox.json', JSON.stringify({ name: 'devbox', driver: 'devbox', config: { image: 'node:20' } }));
    let r = await runCli(['template', 'put', '--file', f], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Template devbox saved (version 1).\n');
    r = await runCli(['template', 'get', 'devbox', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout);
    assert.deepEqual(t, {
      id: 'devbox',
      name: 'devbox',
      driver: 'devbox',
      config: { image: 'node:20' },
      version: 1,
      created_at: String(BIG_TIME),
      updated_at: String(BIG_TIME),
    });
    r = await runCli(['template', 'list'], { env });
    assert.match(r.stdout, /^NAME {2,}DRIVER {2,}VERSION {2,}UPDATED\ndevbox {2,}devbox {2,}1 /);
    r = await runCli(['template', 'get', 'devbox'], { env });
    assert.match(r.stdout, /Template devbox \(version 1\)\n {2}driver: {3}devbox\n[\s\S]*image = node:20/);
    await runCli(['template', 'put', '--file', file('tmp.json', '{"name":"tmp","driver":"x"}')], { env });
    r = await runCli(['template', 'delete', 'tmp'], { env });
    assert.equal(r.code, 0);
    assert.equal(api.fake.templates.has('tmp'), false);
  });

  test('preset put: from a file and from stdin; get and list', async () => {
    await runCli(['template', 'put', '--file', file('t.json', '{"name":"devbox","driver":"devbox"}')], { env });
    let r = await runCli(['preset', 'put', '--file', file('p.json', JSON.stringify(presetFile))], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Preset devbox/us-nix saved (generation 1).\n');
    // Defaults were filled in by the shared validator before sending.
    assert.equal(api.fake.presets.get('devbox/us-nix')?.description, '');
    r = await runCli(['preset', 'put', '--file', '-', '--json'], { env, stdin: JSON.stringify(presetFile) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).generation, 2);
    r = await runCli(['preset', 'get', 'devbox/us-nix', '--json'], { env });
    const p = JSON.parse(r.stdout);
    assert.deepEqual(p.prebuilds, presetFile.prebuilds);
    assert.equal(p.id, 'devbox/us-nix');
    assert.equal(p.invalidated_at, null);
    r = await runCli(['preset', 'get', 'devbox/us-nix'], { env });
    assert.match(r.stdout, /schedule\[0\]: "\* 8-18 \* \* 1-5" → 3/);
    r = await runCli(['preset', 'list', '--template', 'devbox'], { env });
    assert.match(r.stdout, /devbox\/us-nix .*healthy .*0 base, 1 schedule\(s\) in America\/New_York, ttl 86400s/);
    assert.deepEqual(api.fake.calls.at(-1), { method: 'listPresets', args: ['devbox'] });
  });

  test('preset put with bad JSON shows line and column, and sends nothing', async () => {
    const before = api.fake.calls.length;
    const f = file('bad.json', '{\n  "template": "devbox",\n  "name": "x",,\n}\n');
    const r = await runCli(['preset', 'put', '--file', f], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^prewarm: .*bad\.json: invalid JSON at line 3, column 15/);
    assert.equal(api.fake.calls.length, before);
    const stdin = await runCli(['preset', 'put', '--file', '-'], { env, stdin: '{"template": ' });
    assert.equal(stdin.code, 1);
    assert.match(stdin.stderr, /stdin: invalid JSON at line 1, column 14/);
  });

  test('preset put with invalid fields lists every field, and sends nothing', async () => {
    const before = api.fake.calls.length;
    const bad = {
      ...presetFile,
      prebuilds: {
        instances: -1,
        scheduling: { timezone: 'Mars/Olympus', schedule: [{ cron: '* 8-18 * * 1-5', instances: 1 }, { cron: '0 9 * * *', instances: 1 }] },
      },
    };
    const r = await runCli(['preset', 'put', '--file', file('invalid.json', JSON.stringify(bad))], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^prewarm: invalid preset in .*invalid\.json:\n/);
    assert.match(r.stderr, /\n {2}prebuilds\.instances: /);
    assert.match(r.stderr, /\n {2}prebuilds\.scheduling\.timezone: /);
    assert.match(r.stderr, /\n {2}prebuilds\.scheduling\.schedule\[1\]\.cron: /);
    assert.equal(api.fake.calls.length, before);
  });

  test('a ValidationError from the controller is printed field by field', async () => {
    api.fake.failWith = new ValidationError([
      { path: ['prebuilds', 'scheduling', 'schedule', 0, 'cron'], message: 'overlaps schedule[1]' },
      { path: ['name'], message: 'taken' },
    ]);
    const r = await runCli(['preset', 'put', '--file', file('ok.json', JSON.stringify(presetFile))], { env });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'prewarm: the controller rejected the request:\n  prebuilds.scheduling.schedule[0].cron: overlaps schedule[1]\n  name: taken\n',
    );
  });

  test('explain --json has the documented shape', async () => {
    api.fake.explainReport = { at: '2026-03-08T07:30:00.000Z', paused: false, presets: [explained] };
    const r = await runCli(['explain', '--json', '--at', '2026-03-08T02:30:00-05:00', '--preset', 'devbox/us-nix'], { env });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(api.fake.calls.at(-1), { method: 'explain', args: [{ at: Date.UTC(2026, 2, 8, 7, 30), presetId: 'devbox/us-nix' }] });
    assert.ok(Array.isArray(out.presets));
    assert.equal(out.presets.length, 1);
    for (const key of EXPLAIN_KEYS) assert.ok(key in out.presets[0], `missing ${key}`);
    assert.deepEqual(out.presets[0], { ...explained, state: 'healthy' });
    assert.equal(out.presets[0].backoff_until, null);
    assert.deepEqual(out.presets[0].actions[1], { type: 'delete', instance_ids: ['i-7'], reason: 'expired' });
  });

  test('explain without --json: a table plus action lines', async () => {
    api.fake.explainReport = { at: '2026-03-08T07:30:00.000Z', paused: true, presets: [explained] };
    const r = await runCli(['explain'], { env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], /^Evaluated at 2026-03-08T07:30:00\.000Z — the controller is paused globally/);
    assert.match(lines[2], /^PRESET +DESIRED +SOURCE +READY +STARTING +EXPIRED +OUTDATED +STATE$/);
    assert.match(lines[3], /^devbox\/us-nix +3 +schedule\[0\] "\* 8-18 \* \* 1-5" +1 +0 +1 +0 +healthy$/);
    assert.equal(lines[4], '  → create 2 (scale)');
    assert.equal(lines[5], '  → delete i-7 (expired)');
  });

  test('status --json and table', async () => {
    api.fake.explainReport = { at: '2026-03-08T07:30:00.000Z', paused: false, presets: [explained] };
    let r = await runCli(['status', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.in_flight, 2);
    assert.equal(s.in_flight_limit, 8);
    assert.deepEqual(s.presets, [{ ...explained, state: 'healthy' }]);
    r = await runCli(['status'], { env });
    assert.match(r.stdout, /driver operations in flight: 2\/8/);

    // The state column says what matters: when a backoff ends, why a preset stopped.
    api.fake.explainReport = {
      at: '2026-03-08T07:30:00.000Z',
      paused: false,
      presets: [
        { ...explained, preset: 'a', backoff_until: '2026-03-08T07:35:00.000Z' },
        { ...explained, preset: 'b', status: 'hard_limited', status_reason: '3 consecutive failed builds (last: exit 1)' },
        { ...explained, preset: 'c', status: 'validation_failed', status_reason: 'driver exited 78: no such repository' },
      ],
    };
    r = await runCli(['status'], { env });
    assert.match(r.stdout, /devbox\/a .* backing off until 2026-03-08T07:35:00\.000Z/);
    assert.match(r.stdout, /devbox\/b .* hard limited: 3 consecutive failed builds \(last: exit 1\)/);
    assert.match(r.stdout, /devbox\/c .* validation failed: driver exited 78: no such repository/);
    const states = (JSON.parse((await runCli(['status', '--json'], { env })).stdout) as { presets: Array<{ state: string }> }).presets.map((p) => p.state);
    assert.deepEqual(states, [
      'backing off until 2026-03-08T07:35:00.000Z after failed builds',
      'hard limited: 3 consecutive failed builds (last: exit 1)',
      'validation failed: driver exited 78: no such repository',
    ]);
  });

  test('claim --json gives the instance with id, name and state', async () => {
    await runCli(['template', 'put', '--file', file('t.json', '{"name":"devbox","driver":"devbox"}')], { env });
    await runCli(['preset', 'put', '--file', file('p.json', JSON.stringify(presetFile))], { env });
    const ready = api.fake.addInstance({ presetId: 'devbox/us-nix', attributes: { path: '/srv/ws/1' } });
    let r = await runCli(['claim', 'devbox/us-nix', '--owner', 'alice', '--json'], { env });
    assert.equal(r.code, 0, r.stderr);
    const i = JSON.parse(r.stdout);
    assert.equal(i.id, ready.id);
    assert.equal(i.name, ready.name);
    assert.equal(i.state, 'claimed');
    assert.equal(i.owner, 'alice');
    assert.equal(i.claimed_at, String(BIG_TIME));
    assert.deepEqual(i.attributes, { path: '/srv/ws/1' });
    assert.deepEqual(api.fake.calls.at(-1), { method: 'claim', args: [{ template: 'devbox', preset: 'us-nix', owner: 'alice' }] });

    r = await runCli(['claim', 'devbox/us-nix', '--no-fallback'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^prewarm: no ready instance in devbox\/us-nix/);
    r = await runCli(['claim', 'devbox/us-nix'], { env });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Claimed i-\d+ .*\nNo ready instance was in the pool; a fresh one is being built/);
  });

  test('pause, resume, invalidate, instance get/list', async () => {
    await runCli(['template', 'put', '--file', file('t.json', '{"name":"devbox","driver":"devbox"}')], { env });
    await runCli(['preset', 'put', '--file', file('p.json', JSON.stringify(presetFile))], { env });
    let r = await runCli(['pause'], { env });
    assert.equal(r.code, 0);
    assert.equal(api.fake.globalPaused, true);
    r = await runCli(['resume'], { env });
    assert.equal(api.fake.globalPaused, false);
    r = await runCli(['pause', 'devbox/us-nix'], { env });
    assert.equal(r.stdout, 'Paused devbox/us-nix.\n');
    assert.equal(api.fake.presets.get('devbox/us-nix')?.paused, true);
    await runCli(['resume', 'devbox/us-nix'], { env });
    assert.equal(api.fake.presets.get('devbox/us-nix')?.paused, false);
    r = await runCli(['invalidate', 'devbox/us-nix'], { env });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Invalidated devbox\/us-nix at /);
    const inst = api.fake.addInstance({ presetId: 'devbox/us-nix', state: 'failed', error: 'exit 1' });
    r = await runCli(['instance', 'get', inst.id, '--json'], { env });
    assert.equal(JSON.parse(r.stdout).error, 'exit 1');
    r = await runCli(['instance', 'list', '--state', 'failed', '--preset', 'devbox/us-nix'], { env });
    assert.match(r.stdout, new RegExp(`^ID .*\\n${inst.id} `));
    r = await runCli(['instance', 'get', 'i-missing'], { env });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'prewarm: instance i-missing not found\n');
  });

  test('flags override the environment; a wrong token is a failure with a hint', async () => {
    const r = await runCli(['status', '--token', 'pwt_wrong'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /rejected the request: invalid API token \(set --token or PREWARM_TOKEN/);
  });

  test('an unreachable controller is a failure naming the endpoint', async () => {
    const r = await runCli(['status', '--endpoint', '127.0.0.1:1', '--timeout', '5s'], { env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^prewarm: cannot reach the prewarm controller at 127\.0\.0\.1:1 \(is it running\? set --endpoint or PREWARM_ENDPOINT/);
  });
});

describe('the prewarm executable', () => {
  test('bin/prewarm.ts wires argv, stdout/stderr and the exit code', () => {
    const bin = join(__dirname, '../../../bin/prewarm.ts');
    const ok = spawnSync(process.execPath, ['--import', 'tsx', bin, 'version'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^prewarm \d/);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', bin, 'status', '--nope'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown flag --nope/);
    assert.equal(bad.stdout, '');
  }, 20_000);
});
