/**
 * The terraform driver under two replicas on one PostgreSQL database with one shared `--terraform-dir`: the leader is
 * killed with `kill -9` while its applies hold their state locks; the replica that takes over re-drives the same
 * jobs in the same working directories (finding the dead leader's terraform through its run record), the pool
 * converges with one server per instance, and the new leader then destroys what the old one created.
 */
import { expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { exampleDrivers } from '../helpers/controller';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { createTestDatabase, pgSkipReason } from '../helpers/postgres';
import { processesMentioning } from '../helpers/processes';
import { ReplicaGroup } from '../helpers/replica-process';
import { skipping } from '../helpers/skip';
import { terraformPath } from '../helpers/terraform';
import { waitFor } from '../helpers/wait';

const skipReason = pgSkipReason() || (terraformPath() === undefined ? 'terraform is not on PATH' : false);

(skipping(skipReason, 'the terraform driver across replicas') ? test.skip : test)(
  'kill -9 of the leader during two applies: the next leader re-drives them in the shared terraform dir, converges without a second server, and destroys what the old leader built',
  async () => {
    const db = await createTestDatabase('replicas_tf');
    // Both replicas see one directory, as they would on a shared volume.
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-replicas-tf-'));
    const group = new ReplicaGroup({
      database: db.url,
      leaseTtl: '3s',
      reconcileInterval: '500ms',
      args: ['--modules-dir', path.resolve(exampleDrivers, 'terraform'), '--terraform-dir', shared],
    });
    const instances = path.join(shared, 'instances');
    const withLock = () =>
      fs.existsSync(instances) ? fs.readdirSync(instances).filter((i) => fs.existsSync(path.join(instances, i, '.terraform.tfstate.lock.info'))) : [];
    try {
      const a = await group.start('a');
      const b = await group.start('b');
      expect(await group.leader()).toBe(a);
      await b.client.putTemplate(templateSpec({ driver: 'terraform', config: { module: 'workspace' } }));
      await b.client.putPreset(poolSpec('tf', 2, { parameters: { build_seconds: '3' } }));

      // Both creates are in their apply on the leader (the build sleeps 3 s while terraform holds the state lock).
      await waitFor('two applies holding their state locks', () => withLock().length === 2, 60_000);
      // Their run records name this host and the leading replica: what a leader on another host goes by.
      const [lease] = await group.query<{ holder: string }>(`select holder from leases`);
      for (const i of withLock()) {
        expect(JSON.parse(fs.readFileSync(path.join(instances, i, '.prewarm-run.json'), 'utf8'))).toMatchObject({ host: os.hostname(), replica: lease.holder });
      }
      const from = b.logs().length;
      a.signal('SIGKILL');
      await a.exited;
      await b.waitForLog('leading:', 15_000, from);

      await waitFor(
        'the pool converged on the new leader',
        async () => {
          const [ready] = await group.query<{ n: number }>(`select count(*)::int as n from instances where state = 'ready'`);
          const [open] = await group.query<{ n: number }>(`select count(*)::int as n from jobs where state in ('pending', 'running')`);
          return ready.n === 2 && open.n === 0;
        },
        90_000,
        100,
      );
      const live = await group.query<{ id: string; attributes: string }>(`select id, attributes from instances where state = 'ready' order by id`);
      const creates = await group.query<{ instance_id: string; state: string; attempt: number }>(
        `select instance_id, state, attempt from jobs where op = 'create' order by instance_id`,
      );
      // The same two jobs, finished by the second replica on a later attempt: no instance was built twice.
      expect(creates.map((j) => j.instance_id)).toEqual(live.map((i) => i.id));
      for (const j of creates) {
        expect(j.state).toBe('succeeded');
        expect(j.attempt).toBeGreaterThan(1);
      }
      expect(fs.readdirSync(instances).sort()).toEqual(live.map((i) => i.id));
      for (const i of live) {
        const wd = path.join(instances, i.id);
        expect(fs.existsSync(path.join(wd, '.terraform.tfstate.lock.info'))).toBe(false);
        expect(fs.existsSync(path.join(wd, '.prewarm-run.json'))).toBe(false);
        const attrs = JSON.parse(i.attributes) as Record<string, string>;
        expect(await (await fetch(attrs['url']!)).text()).toMatch(/^hello from /);
        expect(processesMentioning(`server.js ${path.join(wd, 'home')}`)).toHaveLength(1);
      }

      // The new leader destroys instances the old one created: their state is in the shared directory.
      await b.client.putPreset(poolSpec('tf', 0, { parameters: { build_seconds: '3' } }));
      // The driver removes a directory before the leader records the delete: wait for both.
      const deleteStates = async () => (await group.query<{ state: string }>(`select state from jobs where op = 'delete' order by state`)).map((j) => j.state);
      await waitFor(
        'both instances destroyed and their deletes recorded',
        async () => fs.readdirSync(instances).length === 0 && (await deleteStates()).every((state) => state !== 'pending' && state !== 'running'),
        90_000,
        100,
      );
      expect(await deleteStates()).toEqual(['succeeded', 'succeeded']);
      expect(processesMentioning(instances)).toEqual([]);
    } finally {
      await group.close();
      for (const p of processesMentioning(shared)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      fs.rmSync(shared, { recursive: true, force: true });
      await db.drop();
    }
  },
  240_000,
);
