/**
 * kill -9 the controller while the terraform driver applies, then start it again: the re-drive must converge on
 * the same instances with no state lock left behind, no run record, no second server per instance, and no instance
 * reported built twice.
 */
import { expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { exampleDrivers } from '../helpers/controller';
import { exited, startControllerProcess, waitForPoolSettled } from '../helpers/controller-process';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { processesMentioning } from '../helpers/processes';
import { skipping } from '../helpers/skip';
import { terraformPath } from '../helpers/terraform';
import { waitFor } from '../helpers/wait';

const hasTerraform = terraformPath() !== undefined;

(skipping(hasTerraform ? false : 'terraform is not on PATH', 'the terraform driver crash test') ? test.skip : test)(
  'kill -9 during an apply: the restarted controller converges with no leaked lock and no second instance',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tfcrash-'));
    const specs = path.join(dir, 'specs');
    const terraformDir = path.join(dir, 'terraform');
    fs.mkdirSync(specs);
    fs.writeFileSync(path.join(specs, 'template.json'), JSON.stringify(templateSpec({ driver: 'terraform', config: { module: 'workspace' } })));
    fs.writeFileSync(path.join(specs, 'preset.json'), JSON.stringify(poolSpec('tf', 2, { parameters: { build_seconds: '3' } })));
    const db = path.join(dir, 'prewarm.db');
    const options = {
      database: `sqlite:${db}`,
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      driverDir: exampleDrivers,
      modulesDir: path.resolve(exampleDrivers, 'terraform'),
      terraformDir,
      reconcileIntervalMs: 100,
      apply: [specs],
    };
    const env = { ...process.env, PREWARM_TOKEN: 'tf-crash-token', PREWARM_STATE_DIR: path.join(dir, 'state') };
    const instances = path.join(terraformDir, 'instances');
    try {
      const first = await startControllerProcess(options, env);
      // Both creates are in their apply (the build sleeps 3 s while terraform holds the state lock).
      await waitFor(
        'two applies holding their state locks',
        () => fs.existsSync(instances) && fs.readdirSync(instances).filter((i) => fs.existsSync(path.join(instances, i, '.terraform.tfstate.lock.info'))).length === 2,
        30_000,
      );
      first.child.kill('SIGKILL');
      await exited(first.child);

      const second = await startControllerProcess(options, env);
      await waitForPoolSettled(second.opsPort, 'devbox', 'tf', 2, 90_000);
      second.child.kill('SIGTERM');
      await exited(second.child);

      const conn = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
      const live = [...conn.prepare("select id, state, attributes from instances where state not in ('deleted', 'archived')").all()] as Array<{ id: string; state: string; attributes: string }>;
      const doubleBuilt = [...conn.prepare("select instance_id, count(*) as n from jobs where op = 'create' and state = 'succeeded' group by instance_id having n > 1").all()];
      const interrupted = conn.prepare("select count(*) as n from jobs where op = 'create' and attempt > 1 and stderr like '%from before a restart is still running%'").get() as { n: number };
      conn.close();
      // The re-drive found the terraform the killed controller had started, still applying, and dealt with it.
      expect(interrupted.n).toBeGreaterThanOrEqual(1);
      expect(live.map((i) => i.state)).toEqual(['ready', 'ready']);
      expect(doubleBuilt).toEqual([]);

      // Exactly the live instances have working directories (a failed one is destroyed and its directory removed).
      expect(fs.readdirSync(instances).sort()).toEqual(live.map((i) => i.id).sort());
      for (const i of live) {
        const wd = path.join(instances, i.id);
        expect(fs.existsSync(path.join(wd, '.terraform.tfstate.lock.info'))).toBe(false);
        expect(fs.existsSync(path.join(wd, '.prewarm-run.json'))).toBe(false);
        const attrs = JSON.parse(i.attributes) as Record<string, string>;
        expect(attrs['home']).toBe(path.join(wd, 'home'));
        const res = await fetch(attrs['url']!);
        expect(await res.text()).toMatch(/^hello from /);
        // One server per instance: the re-drive did not start a second one beside a survivor of the crash.
        expect(processesMentioning(`server.js ${path.join(wd, 'home')}`)).toHaveLength(1);
      }
      // No terraform from before the crash is still running anywhere under the driver's directory.
      expect(processesMentioning(instances).filter((p) => !p.cmd.includes('server.js'))).toEqual([]);
    } finally {
      for (const p of processesMentioning(dir)) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
  150_000,
);
