/** `prewarm workspace …` and `prewarm claim`'s workspace flags, in-process against a real server with a fake service. */
import { afterAll, beforeAll, beforeEach, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { formatInstant } from '../../../controller/domain/instant';
import { TOKEN, type TestApi } from '../../helpers/api-fake';
import { runCli } from '../../helpers/cli-harness';
import { FULL_POLICY, HOUR, WS_NOW, fullWorkspace, startWorkspaceTestApi, type WorkspaceFakeService } from '../../helpers/workspace-fake';
import type { WorkspaceRecord } from '../../../controller/domain/workspace';
import { relative } from '../../../controller/cli/workspace-output';

/** The Workspace JSON contract's keys, in order. */
const WORKSPACE_KEYS = [
  'id', 'name', 'template', 'preset', 'owner', 'state', 'dormant', 'deadline', 'last_used_at', 'stopped_at', 'auto_destroy_at',
  'auto_destroy_inactivity', 'attributes', 'claimed_at', 'created_at', 'archived_at', 'error', 'destroy_reason', 'lifecycle_policy',
];

const ESC = '\u001b';

describe('workspace commands', () => {
  let api: TestApi & { fake: WorkspaceFakeService };
  let env: Record<string, string>;
  let ws: WorkspaceRecord;
  let pool: string;

  beforeAll(async () => {
    api = await startWorkspaceTestApi();
    env = { PREWARM_ENDPOINT: api.endpoint, PREWARM_TOKEN: TOKEN };
  });
  afterAll(() => api.close());
  beforeEach(() => {
    api.fake.workspaces.clear();
    api.fake.instances.clear();
    api.fake.calls.length = 0;
    api.fake.outlook = undefined;
    // The CLI's relative hints use the real clock; the fake's clock follows it so "in 8h" reads as such.
    api.fake.now = Date.now();
    ws = api.fake.addWorkspace({ presetId: 'devbox/us-nix', owner: 'alice', policy: FULL_POLICY, attributes: { path: '/srv/ws/1' } });
    pool = api.fake.addInstance({ presetId: 'devbox/us-nix' }).id;
  });
  const cli = (...args: string[]) => runCli(args, { env });
  const lastCall = () => api.fake.calls.at(-1);

  test('get --json prints exactly the Workspace JSON contract', async () => {
    const full = api.fake.addWorkspace(fullWorkspace({ id: 'w-full', name: 'full-1' }));
    const r = await cli('workspace', 'get', 'w-full', '--json');
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j), WORKSPACE_KEYS);
    assert.deepEqual(j, {
      id: 'w-full',
      name: 'full-1',
      template: 'devbox',
      preset: 'us-nix',
      owner: 'alice',
      state: 'claimed',
      dormant: true,
      deadline: formatInstant(full.deadline!),
      last_used_at: formatInstant(full.lastUsedAt!),
      stopped_at: formatInstant(full.stoppedAt!),
      auto_destroy_at: formatInstant(full.autoDestroyAt!),
      auto_destroy_inactivity: '8h',
      attributes: { path: '/srv/ws/1', port: '8080' },
      claimed_at: formatInstant(full.claimedAt!),
      created_at: formatInstant(full.createdAt),
      archived_at: formatInstant(full.archivedAt!),
      error: '',
      destroy_reason: 'auto_destroy_inactivity',
      lifecycle_policy: {
        autostop_after: '8h',
        autostop_reminder: '30m',
        stopped_ttl: '7d',
        dormant_after: '3d',
        dormant_delete_after: '30d',
        auto_destroy_reminder: '1h',
      },
    });
    assert.match(j.deadline, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  test('get --json: unset times are null, not absent; no policy is six nulls', async () => {
    const bare = api.fake.addWorkspace({ presetId: 'devbox/eu', owner: 'bob', lastUsedAt: null, claimedAt: null });
    const j = JSON.parse((await cli('workspace', 'get', bare.id, '--json')).stdout);
    assert.deepEqual(Object.keys(j), WORKSPACE_KEYS);
    for (const k of ['deadline', 'last_used_at', 'stopped_at', 'auto_destroy_at', 'auto_destroy_inactivity', 'claimed_at', 'archived_at', 'destroy_reason']) {
      assert.equal(j[k], null, k);
    }
    assert.equal(j.dormant, false);
    assert.deepEqual(Object.values(j.lifecycle_policy), [null, null, null, null, null, null]);
  });

  test('get: readable, with RFC 3339 instants and a relative hint', async () => {
    const r = await cli('workspace', 'get', ws.name);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Workspace ${ws.id} \\(${ws.name}\\)\\n`));
    assert.match(r.stdout, /\n {2}deadline: +\d{4}-\d\d-\d\dT[\d:.]+Z \(in (8h|7h59m)\)\n/);
    assert.match(r.stdout, /\n {2}policy: +autostop_after=8h, autostop_reminder=30m, stopped_ttl=7d, dormant_after=3d, dormant_delete_after=30d, auto_destroy_reminder=1h\n/);
    assert.match(r.stdout, /\n {2}auto-destroy at: +none\n/);
    assert.match(r.stdout, /\n {4}path = \/srv\/ws\/1\n$/);
    const labels = [...r.stdout.matchAll(/^ {2}([a-z -]+:) +\S/gm)].map((m) => m[0].length);
    assert.equal(new Set(labels).size, 1, 'values start in one column');
  });

  test('get: unknown → NOT_FOUND text, exit 1; a pool instance is refused', async () => {
    let r = await cli('workspace', 'get', 'nope-nope');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'prewarm: workspace nope-nope not found\n');
    r = await cli('workspace', 'get', pool);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /belongs to the pool/);
  });

  test('list: filters, table, --archived, --json', async () => {
    api.fake.addWorkspace({ presetId: 'devbox/eu', owner: 'bob' });
    api.fake.addWorkspace({ presetId: 'devbox/us-nix', owner: 'alice', state: 'archived', archivedAt: WS_NOW });
    let r = await cli('workspace', 'list');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID +NAME +PRESET +OWNER +STATE +LAST USED +DEADLINE +AUTO-DESTROY\n/);
    assert.equal(r.stdout.trimEnd().split('\n').length, 3);
    assert.deepEqual(lastCall(), { method: 'listWorkspaces', args: [{}] });
    r = await cli('workspace', 'list', '--owner', 'alice', '--preset', 'devbox/us-nix', '--archived', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastCall(), { method: 'listWorkspaces', args: [{ owner: 'alice', presetId: 'devbox/us-nix', archived: true }] });
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j), ['workspaces']);
    assert.deepEqual(j.workspaces.map((w: { state: string }) => w.state), ['claimed', 'archived']);
    for (const w of j.workspaces) assert.deepEqual(Object.keys(w), WORKSPACE_KEYS);
    api.fake.workspaces.clear();
    assert.equal((await cli('workspace', 'list')).stdout, 'No workspaces.\n');
  });

  test('list: bad filters are usage errors naming the flag, nothing sent', async () => {
    const before = api.fake.calls.length;
    let r = await cli('workspace', 'list', '--preset', 'nope');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^prewarm: --preset /);
    r = await cli('workspace', 'list', '--owner', 'eve\nroot');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^prewarm: --owner must not contain control characters/);
    assert.equal(api.fake.calls.length, before);
  });

  test('start, stop, delete: what happened, from the resulting state', async () => {
    let r = await cli('workspace', 'stop', ws.id);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Stopping workspace ${ws.name} (${ws.id}) (state stopping).\n`);
    assert.deepEqual(lastCall(), { method: 'workspaceOp', args: [ws.id, 'stop'] });
    api.fake.workspaces.set(ws.id, { ...api.fake.workspaces.get(ws.id)!, state: 'stopped' });
    r = await cli('workspace', 'stop', ws.id);
    assert.equal(r.stdout, `Workspace ${ws.name} (${ws.id}) is stopped.\n`);
    r = await cli('workspace', 'start', ws.name);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Starting workspace .* \(state starting\); "prewarm workspace get /);
    assert.deepEqual(lastCall(), { method: 'workspaceOp', args: [ws.name, 'start'] });
    api.fake.workspaces.set(ws.id, { ...api.fake.workspaces.get(ws.id)!, state: 'claimed' });
    r = await cli('workspace', 'start', ws.id, '--json');
    assert.equal(JSON.parse(r.stdout).state, 'claimed');
    r = await cli('workspace', 'delete', ws.id);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Deleting workspace ${ws.name} (${ws.id}) (state deleting); the record is archived once the driver has deleted it.\n`);
    assert.deepEqual(lastCall(), { method: 'workspaceOp', args: [ws.id, 'delete'] });

    api.fake.workspaces.set(ws.id, { ...api.fake.workspaces.get(ws.id)!, state: 'archived' });
    r = await cli('workspace', 'start', ws.id);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `prewarm: workspace ${ws.id} is archived\n`);
    r = await cli('workspace', 'delete', ws.id);
    assert.match(r.stdout, /is deleted and archived/);
  });

  test('activity: reports and shows the new deadline', async () => {
    api.fake.now += HOUR;
    const r = await cli('workspace', 'activity', ws.id);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastCall(), { method: 'reportActivity', args: [ws.id] });
    assert.match(r.stdout, new RegExp(`^Reported activity on ${ws.name} \\(${ws.id}\\): last used \\S+Z; deadline \\S+Z \\(in (9h|8h59m)\\)\\.\\n$`));
    const bad = await cli('workspace', 'activity', pool);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /belongs to the pool \(unclaimed\)/);
  });

  test('set: each flag, "none" clears, a left-out flag is left alone', async () => {
    const at = formatInstant(api.fake.now + 24 * HOUR);
    let r = await cli('workspace', 'set', ws.id, '--auto-destroy-at', at);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastCall(), { method: 'setWorkspace', args: [ws.id, { autoDestroyAt: at }] });
    assert.match(r.stdout, new RegExp(`auto-destroy at ${at.replace(/\./g, '\\.')} \\(in (1d|23h59m)\\); after inactivity none\\.\\n$`));
    r = await cli('workspace', 'set', ws.id, '--auto-destroy-inactivity', '1d12h', '--auto-destroy-at', 'none');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastCall(), { method: 'setWorkspace', args: [ws.id, { autoDestroyAt: null, autoDestroyInactivity: '1d12h' }] });
    assert.match(r.stdout, /auto-destroy at none; after inactivity 1d12h\.\n$/);
    r = await cli('workspace', 'set', ws.id, '--auto-destroy-inactivity', 'NONE', '--json');
    assert.deepEqual(lastCall(), { method: 'setWorkspace', args: [ws.id, { autoDestroyInactivity: null }] });
    assert.equal(JSON.parse(r.stdout).auto_destroy_inactivity, null);
    r = await cli('workspace', 'set', ws.id, '--auto-destroy-at', '2026-03-08T02:30:00-05:00');
    assert.equal(r.code, 1, 'in the past for the fake: the controller refuses it');
    assert.equal(r.stderr, 'prewarm: the controller rejected the request:\n  auto_destroy_at: must be in the future, got "2026-03-08T02:30:00-05:00"\n');
  });

  test('set: bad flags are usage errors that name the flag, and nothing is sent', async () => {
    const before = api.fake.calls.length;
    const cases: Array<[string[], RegExp]> = [
      [[], /^prewarm: "prewarm workspace set" needs --auto-destroy-at or --auto-destroy-inactivity/],
      [['--auto-destroy-inactivity', '90'], /^prewarm: --auto-destroy-inactivity: missing unit in "90" \(use s, m, h or d, e\.g\. "90h"\)\n$/],
      [['--auto-destroy-inactivity', '366d'], /^prewarm: --auto-destroy-inactivity: must be at most 365d, got "366d"\n$/],
      [['--auto-destroy-inactivity', '8 hours'], /^prewarm: --auto-destroy-inactivity: /],
      [['--auto-destroy-inactivity', '0s'], /^prewarm: --auto-destroy-inactivity: must be greater than zero/],
      [['--auto-destroy-inactivity', ''], /^prewarm: --auto-destroy-inactivity: .*write "none" to clear/],
      [['--auto-destroy-at', 'tomorrow'], /^prewarm: --auto-destroy-at: not an RFC 3339 timestamp with a time zone/],
      [['--auto-destroy-at', '2026-03-08T07:30:00'], /^prewarm: --auto-destroy-at: not an RFC 3339 timestamp with a time zone/],
      [['--auto-destroy-at', '2026-02-30T07:30:00Z'], /^prewarm: --auto-destroy-at: a field is out of range/],
      [['--auto-destroy-at', `x${ESC}[2J`], /^prewarm: --auto-destroy-at: .*got "x\\u001b\[2J"\n$/],
      [['--auto-destroy-at'], /flag --auto-destroy-at needs a value/],
    ];
    for (const [flags, message] of cases) {
      const r = await cli('workspace', 'set', ws.id, ...flags);
      assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(api.fake.calls.length, before);
  });

  test('explain: an aligned table, the instants, the rule, and the next line', async () => {
    const at = api.fake.now;
    api.fake.outlook = {
      at,
      next: null,
      rules: [
        { rule: 'auto_destroy_inactivity', action: 'delete', at: null, detail: 'no auto_destroy_inactivity set' },
        { rule: 'stopped_ttl', action: 'delete', at: null, detail: 'not stopped' },
        { rule: 'dormancy', action: 'stop', at: at + 72 * HOUR, detail: 'dormant_after 3d since last use' },
        { rule: 'autostop', action: 'stop', at: at + 8 * HOUR - 60_000, detail: 'deadline' },
        { rule: 'autostop_reminder', action: 'notify', at: at + 7 * HOUR + 29 * 60_000, detail: `30m before the deadline ${ESC}[31m` },
      ],
    };
    let r = await cli('workspace', 'explain', ws.id);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0], new RegExp(`^Workspace ${ws.name} \\(${ws.id}\\), claimed, evaluated at ${formatInstant(at).replace(/\./g, '\\.')}$`));
    assert.match(lines[2], /^RULE +ACTION +AT +WHEN +DETAIL$/);
    const detailColumn = lines[2].indexOf('DETAIL');
    for (const row of lines.slice(3, 8)) assert.ok(row.length > detailColumn, row);
    assert.match(r.stdout, /\nautostop +stop +\S+Z +in 7h59m +deadline\n/);
    assert.match(r.stdout, /\nstopped_ttl +delete +- +- +not stopped\n/);
    assert.match(r.stdout, /\ndormancy +stop +\S+Z +in 3d +dormant_after 3d since last use\n/);
    assert.ok(r.stdout.includes('30m before the deadline \\u001b[31m'), 'control characters are escaped');
    assert.ok(!r.stdout.includes(ESC));
    assert.match(r.stdout, /\n\nnext: nothing is due now; first: notify by autostop_reminder at \S+Z \(in 7h29m\)\n$/);
    assert.deepEqual(lastCall(), { method: 'explainWorkspace', args: [ws.id, undefined] });

    api.fake.outlook = { ...api.fake.outlook, next: { rule: 'autostop', action: 'stop', at: at - 60_000, detail: 'deadline' } };
    r = await cli('workspace', 'explain', ws.id);
    assert.match(r.stdout, /\nnext: stop by autostop at \S+Z \(due, 1m ago\), on the next lifecycle tick\n$/);

    api.fake.outlook = { at, next: null, rules: [] };
    r = await cli('workspace', 'explain', ws.id);
    assert.match(r.stdout, /No lifecycle rules apply\.\n\nnext: nothing is due and nothing is scheduled\n$/);
  });

  test('explain --at and --json', async () => {
    const at = Date.UTC(2026, 2, 9, 7, 30);
    api.fake.outlook = {
      at,
      next: { rule: 'autostop', action: 'stop', at: at - HOUR, detail: 'deadline' },
      rules: [{ rule: 'autostop', action: 'stop', at: at - HOUR, detail: 'deadline' }, { rule: 'stopped_ttl', action: 'delete', at: null, detail: 'not stopped' }],
    };
    const r = await cli('workspace', 'explain', ws.id, '--at', '2026-03-09T02:30:00-05:00', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastCall(), { method: 'explainWorkspace', args: [ws.id, at] });
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j), ['at', 'workspace', 'next', 'rules']);
    assert.equal(j.at, '2026-03-09T07:30:00.000Z');
    assert.deepEqual(Object.keys(j.workspace), WORKSPACE_KEYS);
    assert.deepEqual(j.next, { rule: 'autostop', action: 'stop', at: '2026-03-09T06:30:00.000Z', detail: 'deadline' });
    assert.deepEqual(j.rules[1], { rule: 'stopped_ttl', action: 'delete', at: null, detail: 'not stopped' });
    const bad = await cli('workspace', 'explain', ws.id, '--at', 'noon');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^prewarm: --at: not an RFC 3339 timestamp/);
  });

  test('claim: the destroy settings are sent; the output shows the workspace', async () => {
    api.fake.presets.set('devbox/us-nix', { id: 'devbox/us-nix' } as never);
    const at = formatInstant(api.fake.now + 48 * HOUR);
    let r = await cli('claim', 'devbox/us-nix', '--owner', 'carol', '--auto-destroy-at', at, '--auto-destroy-inactivity', '8h', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastCall(), {
      method: 'claim',
      args: [{ template: 'devbox', preset: 'us-nix', owner: 'carol', autoDestroyAt: at, autoDestroyInactivity: '8h' }],
    });
    const j = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(j).slice(0, WORKSPACE_KEYS.length), WORKSPACE_KEYS);
    assert.deepEqual([j.id, j.owner, j.auto_destroy_at, j.auto_destroy_inactivity], [pool, 'carol', at, '8h']);
    assert.equal(j.preset_id, 'devbox/us-nix', 'the instance fields claim printed before are still there');
    assert.ok('ready_at' in j && 'template_version' in j);

    api.fake.addInstance({ presetId: 'devbox/us-nix' });
    r = await cli('claim', 'devbox/us-nix', '--auto-destroy-inactivity', 'none');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastCall()?.args, [{ template: 'devbox', preset: 'us-nix' }], '"none" on a claim is the same as leaving it out');
    assert.match(r.stdout, /^Claimed \S+ \(\S+\) from devbox\/us-nix for anonymous\.\nWorkspace /);
    assert.match(r.stdout, /\n {2}auto-destroy after: +none\n/);
  });

  test('claim: bad destroy settings are usage errors; nothing is sent', async () => {
    const before = api.fake.calls.length;
    let r = await cli('claim', 'devbox/us-nix', '--auto-destroy-inactivity', '12');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^prewarm: --auto-destroy-inactivity: missing unit in "12"/);
    r = await cli('claim', 'devbox/us-nix', '--auto-destroy-at', '2026-03-08');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^prewarm: --auto-destroy-at: not an RFC 3339 timestamp/);
    r = await cli('claim', 'devbox/us-nix', '--auto-destroy-inactivity', '400d');
    assert.match(r.stderr, /^prewarm: --auto-destroy-inactivity: must be at most 365d/);
    assert.equal(api.fake.calls.length, before);
  });

  test('human output escapes what the controller stored', async () => {
    const evil = api.fake.addWorkspace({
      presetId: 'devbox/us-nix',
      owner: `eve${ESC}[2J`,
      error: 'boom\r\nFAKE ROW',
      attributes: { [`k${ESC}`]: 'v\n' },
      state: 'failed',
    });
    for (const args of [['workspace', 'get', evil.id], ['workspace', 'list']]) {
      const r = await cli(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!r.stdout.includes(ESC) && !r.stdout.includes('\r'), args.join(' '));
      assert.ok(r.stdout.includes('eve\\u001b[2J'));
    }
    assert.ok((await cli('workspace', 'get', evil.id)).stdout.includes('boom\\r\\nFAKE ROW'));
  });

  test('every workspace command has --help, and the group lists them', async () => {
    for (const sub of ['list', 'get', 'start', 'stop', 'delete', 'activity', 'set', 'explain']) {
      const r = await cli('workspace', sub, '--help');
      assert.equal(r.code, 0, sub);
      assert.match(r.stdout, new RegExp(`^Usage: prewarm workspace ${sub}`), sub);
    }
    const group = await cli('workspace', '--help');
    assert.equal(group.code, 0);
    for (const sub of ['list', 'get ID|PREFIX|NAME', 'start', 'stop', 'delete', 'activity', 'set', 'explain']) assert.ok(group.stdout.includes(`workspace ${sub}`), sub);
    const set = await cli('workspace', 'set', '--help');
    assert.match(set.stdout, /--auto-destroy-at RFC3339\|none/);
    assert.match(set.stdout, /--auto-destroy-inactivity DURATION\|none/);
    const claim = await cli('claim', '--help');
    assert.match(claim.stdout, /--auto-destroy-inactivity DURATION\|none/);
    const typo = await cli('workspace', 'stat', ws.id);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /did you mean "prewarm workspace start"|did you mean "prewarm workspace stop"/);
    const missing = await cli('workspace', 'get');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs ID\|PREFIX\|NAME/);
  });
});

describe('relative instants', () => {
  test('two units at most, past and future, "now" within a second', () => {
    const h = HOUR;
    assert.equal(relative(8 * h - 60_000, 0), 'in 7h59m');
    assert.equal(relative(8 * h, 0), 'in 8h');
    assert.equal(relative(3 * 24 * h + 5 * h + 7 * 60_000, 0), 'in 3d5h');
    assert.equal(relative(24 * h + 30_000, 0), 'in 1d');
    assert.equal(relative(90_000, 0), 'in 1m30s');
    assert.equal(relative(0, 60_000), '1m ago');
    assert.equal(relative(500, 0), 'now');
    assert.equal(relative(-45_000, 0), '45s ago');
  });
});
