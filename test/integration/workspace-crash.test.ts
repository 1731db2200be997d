/**
 * kill -9 the controller at random moments while its lifecycle loop stops and deletes workspaces, then let it
 * converge: every workspace whose policy ran out ends archived with its directory gone, no job is left unfinished,
 * and workspaces without a policy are never touched.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { createClient } from '../../controller/api/client';
import { exampleDrivers } from '../helpers/controller';
import { exited, seededRandom, startControllerProcess } from '../helpers/controller-process';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';

test('kill -9 during autostops and stopped-TTL deletes: every due workspace ends archived, nothing else is touched', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-ws-crash-'));
  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  const db = path.join(dir, 'prewarm.db');
  const options = {
    database: `sqlite:${db}`,
    listen: '127.0.0.1:0',
    opsListen: '127.0.0.1:0',
    driverDir: exampleDrivers,
    reconcileIntervalMs: 100,
    lifecycleIntervalMs: 100,
    inFlightLimit: 4,
  };
  const token = 'crash-test-token';
  const env = { ...process.env, PREWARM_TOKEN: token, PREWARM_STATE_DIR: state };
  const random = seededRandom(11);
  const due: string[] = [];
  const kept: string[] = [];
  try {
    const first = await startControllerProcess(options, env);
    const client = createClient({ endpoint: `127.0.0.1:${first.apiPort}`, token });
    await client.putTemplate(templateSpec({ name: 'devbox', config: { build_seconds: '0.1' }, lifecycle_policy: { autostop_after: '1s', stopped_ttl: '1s' } }));
    await client.putTemplate(templateSpec({ name: 'keep', config: { build_seconds: '0.1' } }));
    await client.putPreset(poolSpec('crash', 6, { template: 'devbox' }));
    await client.putPreset(poolSpec('steady', 2, { template: 'keep' }));
    await waitFor('both pools ready', async () => (await client.listInstances({ state: 'ready' })).length === 8, 60_000);
    for (let i = 0; i < 6; i++) due.push((await client.claim({ template: 'devbox', preset: 'crash', owner: `dev-${i}`, noFallback: true })).id);
    for (let i = 0; i < 2; i++) kept.push((await client.claim({ template: 'keep', preset: 'steady', owner: `keep-${i}`, noFallback: true })).id);
    client.close();
    await new Promise((r) => setTimeout(r, 500 + Math.floor(random() * 800)));
    first.child.kill('SIGKILL');
    await exited(first.child);

    for (let round = 0; round < 5; round++) {
      const { child } = await startControllerProcess(options, env);
      await new Promise((r) => setTimeout(r, 200 + Math.floor(random() * 900)));
      child.kill('SIGKILL');
      await exited(child);
    }

    const last = await startControllerProcess(options, env);
    const api = createClient({ endpoint: `127.0.0.1:${last.apiPort}`, token });
    await waitFor(
      'every due workspace archived',
      async () => (await Promise.all(due.map((id) => api.getWorkspace(id)))).every((w) => w.state === 'archived'),
      90_000,
    );
    const keptNow = await Promise.all(kept.map((id) => api.getWorkspace(id)));
    api.close();
    last.child.kill('SIGTERM');
    await exited(last.child);

    assert.deepEqual(keptNow.map((w) => w.state), ['claimed', 'claimed'], 'workspaces without a policy stay as they were');
    const conn = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
    const unfinished = conn.prepare("select count(*) as n from jobs where state in ('pending', 'running')").get() as { n: number };
    const keptJobs = conn.prepare(`select count(*) as n from jobs where op != 'create' and instance_id in (${kept.map(() => '?').join(',')})`).get(...kept) as { n: number };
    const names = [...conn.prepare(`select id, name from instances where id in (${[...due, ...kept].map(() => '?').join(',')})`).all(...due, ...kept)] as Array<{ id: string; name: string }>;
    conn.close();
    assert.equal(unfinished.n, 0, 'no job left unfinished');
    assert.equal(keptJobs.n, 0, 'no stop or delete ever ran for a workspace without a policy');
    const nameOf = new Map(names.map((r) => [r.id, r.name]));
    for (const id of due) assert.equal(fs.existsSync(path.join(state, nameOf.get(id)!)), false, `the directory of archived ${id} is gone`);
    for (const id of kept) assert.equal(fs.existsSync(path.join(state, nameOf.get(id)!)), true, `the directory of kept ${id} is still there`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
