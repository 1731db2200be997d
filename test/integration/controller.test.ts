import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { ConflictError, NotFoundError, ValidationError } from '../../controller/domain/errors';
import * as os from 'node:os';
import type { PrewarmService } from '../../controller/api/service';
import { applySpecs } from '../../controller/service/apply';
import { exampleDrivers, repoRoot, startTestController, type TestController } from '../helpers/controller';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';

// A real controller reconciling on its own schedule: each wait below may take up to waitFor's 20 s.
jest.setTimeout(60_000);

describe('controller end to end with the localdir driver', () => {
  let ctl: TestController;
  beforeAll(async () => {
    ctl = await startTestController();
    await ctl.running.service.putTemplate(templateSpec());
  });
  afterAll(() => ctl.stop());

  const svc = () => ctl.running.service;
  /** Waits until the loop has finished `n` more ticks: "nothing happened" is then a statement about ticks, not time. */
  const ticksPass = async (n: number) => {
    const seen = ctl.running.reconciler.tickCount;
    await waitFor(`${n} reconcile ticks`, () => ctl.running.reconciler.tickCount >= seen + n);
  };
  const readyCount = async (id: string) => (await svc().listInstances({ presetId: id, state: 'ready' })).length;

  test('a pool fills up with real directories, a claim takes the oldest and the pool refills', async () => {
    await svc().putPreset(poolSpec('fill', 2));
    await waitFor('two ready instances', async () => (await readyCount('devbox/fill')) === 2);
    const ready = await svc().listInstances({ presetId: 'devbox/fill', state: 'ready' });
    for (const i of ready) {
      assert.ok(fs.existsSync(i.attributes.path), `instance directory ${i.attributes.path} exists`);
      assert.ok(i.attributes.path.startsWith(ctl.stateDir));
    }
    const oldest = [...ready].sort((a, b) => a.readyAt! - b.readyAt!)[0];
    const claimed = await svc().claim({ template: 'devbox', preset: 'fill', owner: 'alice' });
    assert.equal(claimed.id, oldest.id);
    assert.equal(claimed.state, 'claimed');
    assert.equal(claimed.owner, 'alice');
    await waitFor('the pool refilled', async () => (await readyCount('devbox/fill')) === 2);
    assert.ok(fs.existsSync(claimed.attributes.path), 'the claimed instance is left alone');

    const explain = await svc().explain({ presetId: 'devbox/fill' });
    assert.equal(explain.presets[0].desired, 2);
    assert.equal(explain.presets[0].desired_source, 'base');
    assert.equal(explain.presets[0].ready, 2);
    assert.equal(explain.presets[0].claimed, 1);
    assert.deepEqual(explain.presets[0].actions, []);
  });

  test('an empty pool falls back to a fresh build, or fails fast when asked', async () => {
    await svc().putPreset(poolSpec('nopool', 0));
    await assert.rejects(svc().claim({ template: 'devbox', preset: 'nopool', noFallback: true }), ConflictError);
    const inst = await svc().claim({ template: 'devbox', preset: 'nopool', owner: 'bob' });
    assert.equal(inst.owner, 'bob');
    assert.ok(['pending', 'starting'].includes(inst.state));
    const done = await waitFor('the fallback build', async () => {
      const i = await svc().getInstance(inst.id);
      return i.state === 'claimed' && i.readyAt !== null ? i : undefined;
    });
    assert.ok(fs.existsSync(done.attributes.path));
  });

  test('deleting a preset retires its pool and removes the directories', async () => {
    await svc().putPreset(poolSpec('retire', 2));
    await waitFor('two ready', async () => (await readyCount('devbox/retire')) === 2);
    const paths = (await svc().listInstances({ presetId: 'devbox/retire' })).map((i) => i.attributes.path);
    await svc().deletePreset('devbox', 'retire');
    await assert.rejects(svc().getPreset('devbox', 'retire'), NotFoundError);
    await waitFor('the pool is gone', async () => (await svc().listInstances({ presetId: 'devbox/retire' })).length === 0);
    for (const p of paths) assert.ok(!fs.existsSync(p), `${p} removed`);
  });

  test('repeated failures back off and stop at the hard limit; resume lifts it', async () => {
    await svc().putTemplate({ name: 'broken', driver: 'localdir', config: { fail: 'always' } });
    await svc().putPreset({ ...poolSpec('bad', 1), template: 'broken' });
    const limited = await waitFor('hard limit', async () => {
      const p = await svc().getPreset('broken', 'bad');
      return p.status === 'hard_limited' ? p : undefined;
    });
    assert.match(limited.statusReason, /3 consecutive failed builds/);
    const jobsBefore = (await svc().listInstances({ presetId: 'broken/bad', state: 'failed' })).length;
    assert.equal(jobsBefore, 3);
    await ticksPass(3);
    assert.equal((await svc().listInstances({ presetId: 'broken/bad', state: 'failed' })).length, 3, 'no creates while hard limited');
    const explain = await svc().explain({ presetId: 'broken/bad' });
    assert.equal(explain.presets[0].status, 'hard_limited');
    assert.ok(!explain.presets[0].actions.some((a) => a.type === 'create'));

    // Fixing the template lifts the limit by itself.
    await svc().putTemplate({ name: 'broken', driver: 'localdir', config: {} });
    await waitFor('recovery', async () => (await svc().listInstances({ presetId: 'broken/bad', state: 'ready' })).length === 1);
    assert.equal((await svc().getPreset('broken', 'bad')).status, 'healthy');
  });

  test('exit code 78 marks the preset validation_failed', async () => {
    await svc().putTemplate({ name: 'misconfigured', driver: 'localdir', config: { fail: 'config' } });
    await svc().putPreset({ ...poolSpec('cfg', 1), template: 'misconfigured' });
    const p = await waitFor('validation_failed', async () => {
      const r = await svc().getPreset('misconfigured', 'cfg');
      return r.status === 'validation_failed' ? r : undefined;
    });
    assert.ok(p.statusReason.length > 0);
    await svc().resume('misconfigured/cfg');
    assert.equal((await svc().getPreset('misconfigured', 'cfg')).status, 'healthy');
  });

  test('bad input is rejected with the field named and nothing written', async () => {
    const before = await svc().listTemplates();
    await assert.rejects(svc().putTemplate({ name: 'x', driver: '../escape', config: {} }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.errors[0].path, ['driver']);
      return true;
    });
    await assert.rejects(svc().putTemplate({ name: 'x', driver: 'no-such-driver', config: {} }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.match(err.message, /driver: .*no-such-driver/);
      return true;
    });
    await assert.rejects(svc().putPreset({ ...poolSpec('bad-cron', 1), prebuilds: { instances: 1, scheduling: { timezone: 'UTC', schedule: [{ cron: '0 8 * * *', instances: 1 }] } } }), ValidationError);
    await assert.rejects(svc().putPreset({ ...poolSpec('ghost', 1), template: 'ghost' }), ValidationError);
    assert.deepEqual(await svc().listTemplates(), before);
  });

  test('invalidation replaces every older instance surge-then-retire', async () => {
    await svc().putPreset(poolSpec('inv', 2));
    await waitFor('two ready', async () => (await readyCount('devbox/inv')) === 2);
    const old = new Set((await svc().listInstances({ presetId: 'devbox/inv', state: 'ready' })).map((i) => i.id));
    await svc().invalidate('devbox', 'inv');
    await waitFor('all replaced', async () => {
      const ready = await svc().listInstances({ presetId: 'devbox/inv', state: 'ready' });
      return ready.length === 2 && ready.every((i) => !old.has(i.id));
    });
  });

  test('pause stops every action; resume continues', async () => {
    await svc().pause();
    await svc().putPreset(poolSpec('paused', 1));
    await ticksPass(2);
    assert.equal((await svc().listInstances({ presetId: 'devbox/paused' })).length, 0);
    const explain = await svc().explain({ presetId: 'devbox/paused' });
    assert.equal(explain.paused, true);
    assert.deepEqual(explain.presets[0].actions, []);
    await svc().resume();
    await waitFor('built after resume', async () => (await readyCount('devbox/paused')) === 1);
  });

  test('explain --at evaluates windows at another instant without acting', async () => {
    await svc().putPreset(
      poolSpec('sched', 0, {
        prebuilds: { instances: 0, scheduling: { timezone: 'America/New_York', schedule: [{ cron: '* 8-18 * * 1-5', instances: 3 }] } },
      }),
    );
    const inside = await svc().explain({ presetId: 'devbox/sched', at: Date.parse('2026-11-23T14:00:00Z') }); // Mon 09:00 EST
    assert.equal(inside.presets[0].desired, 3);
    assert.match(inside.presets[0].desired_source, /schedule\[0\]/);
    assert.deepEqual(inside.presets[0].actions.map((a) => [a.type, a.count]), [['create', 3]]);
    const outside = await svc().explain({ presetId: 'devbox/sched', at: Date.parse('2026-11-23T12:59:59Z') }); // 07:59:59 EST
    assert.equal(outside.presets[0].desired, 0);
    assert.equal((await svc().listInstances({ presetId: 'devbox/sched' })).length <= 3, true);
  });

  test('ops endpoints answer', async () => {
    const base = `http://127.0.0.1:${ctl.running.opsPort}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    // fetch parses JSON in Node's realm, not the test's: expect treats built-in types of both realms alike.
    expect(((await ready.json()) as { checks: unknown }).checks).toStrictEqual({ running: true, store: true, reconcile_loop: true, lifecycle_loop: true, delivery_loop: true });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /prewarm_reconcile_duration_seconds_count \d+/);
    assert.match(metrics, /prewarm_preset_ready\{preset="fill",template="devbox"\} 2/);
    assert.match(metrics, /prewarm_notification_outbox_depth \d+/);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });
});

describe('the quickstart example', () => {
  test('--apply examples/quickstart fills the quickstart pool with real checkouts', async () => {
    const ctl = await startTestController({ apply: [path.join(repoRoot, 'examples/quickstart')] });
    try {
      const preset = await ctl.running.service.getPreset('devbox', 'quickstart');
      const explain = await ctl.running.service.explain({ presetId: 'devbox/quickstart' });
      const desired = explain.presets[0].desired;
      assert.ok(desired === 3 || desired === 5, `desired ${desired} comes from the base or the weekday window`);
      assert.equal(preset.prebuilds?.scheduling?.timezone, 'UTC');
      await waitFor(
        'the quickstart pool',
        async () => (await ctl.running.service.listInstances({ presetId: 'devbox/quickstart', state: 'ready' })).length >= 3,
        45_000,
      );
      const ready = await ctl.running.service.listInstances({ presetId: 'devbox/quickstart', state: 'ready' });
      for (const i of ready) assert.ok(fs.existsSync(path.join(i.attributes.path, '.git')), 'a prepared git checkout');
    } finally {
      await ctl.stop();
    }
  }, 60_000);

  test('--apply examples/quickstart-terraform builds workspaces with the terraform driver and serves them', async () => {
    const ctl = await startTestController({ apply: [path.join(repoRoot, 'examples/quickstart-terraform')], modulesDir: path.join(exampleDrivers, 'terraform') });
    try {
      await waitFor(
        'the terraform quickstart pool',
        async () => (await ctl.running.service.listInstances({ presetId: 'webbox/quickstart', state: 'ready' })).length === 2,
        45_000,
      );
      const ready = await ctl.running.service.listInstances({ presetId: 'webbox/quickstart', state: 'ready' });
      for (const i of ready) {
        assert.equal(i.attributes.home, path.join(ctl.stateDir, 'terraform', 'instances', i.id, 'home'));
        assert.equal(await (await fetch(i.attributes.url!)).text(), `hello from ${i.name}\n`);
      }
    } finally {
      await ctl.stop();
      // The pool's servers outlive the controller by design (a restart must not take workspaces down).
      for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
        try {
          if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(ctl.stateDir)) process.kill(Number(name), 'SIGKILL');
        } catch {
          // exited
        }
      }
    }
  }, 60_000);

  test('a bad file given to --apply stops start-up with the file and field named, nothing half-applied', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-apply-'));
    try {
      fs.writeFileSync(path.join(dir, 'a-template.json'), JSON.stringify(templateSpec()));
      fs.writeFileSync(path.join(dir, 'b-preset.json'), '{ "template": "devbox", "name": "x", "prebuilds": { "instances": -1 } }');
      await assert.rejects(startTestController({ apply: [dir] }), /b-preset\.json: prebuilds\.instances: /);
      const calls: string[] = [];
      const recorder = {
        putTemplate: async () => void calls.push('template'),
        putPreset: async () => void calls.push('preset'),
      } as unknown as PrewarmService;
      await assert.rejects(applySpecs(recorder, [dir]), /b-preset\.json/);
      assert.deepEqual(calls, [], 'every file is validated before anything is applied');
      fs.writeFileSync(path.join(dir, 'b-preset.json'), '{ "template": "devbox", ');
      await assert.rejects(startTestController({ apply: [dir] }), /b-preset\.json: .*line 1/);
      await assert.rejects(startTestController({ apply: [path.join(dir, 'missing')] }), /--apply: .*missing does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('controller start-up checks', () => {
  test('a missing driver dir is reported by flag', async () => {
    await assert.rejects(startTestController({ driverDir: '/nonexistent/drivers' }), /--driver-dir: \/nonexistent\/drivers is not a directory/);
  });
  test('a second controller on the same database is refused', async () => {
    const first = await startTestController();
    try {
      const db = first.running.store.description.replace(/^sqlite:/, '');
      await assert.rejects(startTestController({ database: `sqlite:${db}` }), /another prewarm controller is already using/);
      assert.ok(fs.existsSync(path.dirname(db)));
    } finally {
      await first.stop();
    }
  });
});
