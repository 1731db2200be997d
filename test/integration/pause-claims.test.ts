/**
 * Pause stops reconciliation, not claims: with a real controller process and the localdir driver, a claim on a
 * paused preset (paused on its own, and paused globally) is served from the pool while it has a ready instance,
 * and by a fallback build that becomes ready when it has none; the pool itself is not refilled until resume.
 * pause, claim and resume run as the `prewarm` CLI, as a user runs them.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { createClient, type PrewarmClient } from '../../controller/api/client';
import type { InstanceRecord } from '../../controller/domain/records';
import { exampleDrivers } from '../helpers/controller';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { envWithoutToken, runPrewarm, spawnPrewarm, type PrewarmProcess } from '../helpers/prewarm-process';
import { ProcessReaper } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

jest.setTimeout(120_000);

const TOKEN = 'pause-claims-token-0123456789';

describe('pause stops reconciliation; claims are still served', () => {
  const reaper = new ProcessReaper();
  let dir: string;
  let ctl: PrewarmProcess;
  let env: NodeJS.ProcessEnv;
  let api: PrewarmClient;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-pause-'));
    const specs = path.join(dir, 'specs');
    fs.mkdirSync(specs);
    fs.writeFileSync(path.join(specs, 'template.json'), JSON.stringify(templateSpec({ config: { build_seconds: '1' } })));
    // alpha: paused on its own; beta: under the global pause; witness: never paused, its refill proves a tick ran.
    for (const name of ['alpha', 'beta', 'witness']) fs.writeFileSync(path.join(specs, `${name}.json`), JSON.stringify(poolSpec(name, 1)));
    env = envWithoutToken({ PREWARM_TOKEN: TOKEN, PREWARM_STATE_DIR: path.join(dir, 'state') });
    ctl = spawnPrewarm(
      [
        'controller',
        '--database', `sqlite:${path.join(dir, 'prewarm.db')}`,
        '--listen', '127.0.0.1:0',
        '--ops-listen', '127.0.0.1:0',
        '--driver-dir', exampleDrivers,
        '--reconcile-interval', '200ms',
        '--apply', specs,
      ],
      { env },
    );
    reaper.track(ctl.pid);
    const started = await ctl.waitForLog('controller started');
    env = { ...env, PREWARM_ENDPOINT: String(started.listen) };
    api = createClient({ endpoint: String(started.listen), token: TOKEN, timeoutMs: 10_000 });
    for (const name of ['alpha', 'beta', 'witness']) await poolReady(name);
  });

  afterAll(async () => {
    api?.close();
    if (ctl) {
      ctl.child.kill('SIGTERM');
      const exit = await ctl.exited;
      assert.equal(exit.code, 0, ctl.stderr());
    }
    reaper.killAll();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = async (...args: string[]) => {
    const r = await runPrewarm(args, { env });
    assert.equal(r.code, 0, `prewarm ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const claim = async (preset: string, owner: string) =>
    JSON.parse(await cli('claim', `devbox/${preset}`, '--owner', owner, '--json')) as { id: string; state: string; owner: string; ready_at: string | null };
  const instances = (preset: string) => api.listInstances({ presetId: `devbox/${preset}` });
  /** Pool instances (nobody's) that exist or are on their way: what a refill would add. */
  const poolInstances = (list: InstanceRecord[]) => list.filter((i) => i.owner === null && !['deleting', 'deleted', 'archived'].includes(i.state));
  const poolReady = (preset: string) =>
    waitFor(`a ready pool instance in devbox/${preset}`, async () => (await instances(preset)).find((i) => i.owner === null && i.state === 'ready'), 60_000);
  const explain = async (preset: string) => (await api.explain({ presetId: `devbox/${preset}` })).presets[0]!;

  /** Claims the pool's one ready instance, then claims again: the second claim must start a fallback build that becomes ready. */
  async function claimFromPoolThenFallback(preset: string): Promise<void> {
    const pooled = (await instances(preset)).find((i) => i.owner === null && i.state === 'ready')!;
    const first = await claim(preset, 'alice');
    assert.deepEqual({ id: first.id, state: first.state, owner: first.owner }, { id: pooled.id, state: 'claimed', owner: 'alice' }, 'served from the pool');

    const second = await claim(preset, 'bob');
    assert.equal(second.owner, 'bob');
    assert.notEqual(second.id, first.id);
    assert.ok(['pending', 'starting'].includes(second.state), `the fallback build is returned while it starts, got ${second.state}`);
    const built = await waitFor(`bob's fallback build in devbox/${preset} to become ready`, async () =>
      (await instances(preset)).find((i) => i.id === second.id && i.state === 'claimed' && i.readyAt !== null),
    );
    assert.ok(fs.existsSync(built.attributes.path!), `the checkout ${built.attributes.path} exists`);
  }

  test('a paused preset: claims from the pool and by a fallback build; the pool is refilled only after resume', async () => {
    assert.match(await cli('pause', 'devbox/alpha'), /^Paused devbox\/alpha\./);
    await claimFromPoolThenFallback('alpha');

    // A full reconcile tick has run since bob's build became ready: the witness pool, claimed only now, is refilled
    // by such a tick, and every tick plans every preset. alpha got nothing from it.
    await claim('witness', 'carol');
    await poolReady('witness');
    assert.deepEqual(poolInstances(await instances('alpha')), [], 'no pool instance was created for the paused preset');
    const plan = await explain('alpha');
    assert.deepEqual(
      { paused: plan.paused, desired: plan.desired, ready: plan.ready, starting: plan.starting, actions: plan.actions },
      { paused: true, desired: 1, ready: 0, starting: 0, actions: [] },
    );

    assert.match(await cli('resume', 'devbox/alpha'), /^Resumed devbox\/alpha\./);
    await poolReady('alpha');
    assert.equal((await explain('alpha')).paused, false);
  });

  test('paused globally: claims from the pool and by a fallback build; no pool is refilled until resume', async () => {
    const paused = await cli('pause');
    assert.match(paused, /^Paused reconciliation globally: .*claims are still served/);
    await claimFromPoolThenFallback('beta');
    // Another preset's pool is served too.
    assert.equal((await claim('witness', 'dave')).state, 'claimed');

    // While paused globally a tick ends before it plans anything; explain shows the plan a tick would make.
    const report = await api.explain({});
    assert.equal(report.paused, true);
    for (const preset of ['beta', 'witness']) {
      const p = report.presets.find((x) => x.preset === preset)!;
      assert.deepEqual({ preset, desired: p.desired, ready: p.ready, starting: p.starting, actions: p.actions }, { preset, desired: 1, ready: 0, starting: 0, actions: [] });
      assert.deepEqual(poolInstances(await instances(preset)), [], `no pool instance was created for ${preset}`);
    }

    assert.match(await cli('resume'), /^Resumed the controller globally\./);
    await poolReady('beta');
    await poolReady('witness');
    assert.equal((await api.explain({})).paused, false);
  });
});
