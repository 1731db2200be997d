import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { exampleDrivers } from '../helpers/controller';
import { exited, seededRandom, startControllerProcess as startProcess } from '../helpers/controller-process';
import { waitFor } from '../helpers/wait';
import { poolSpec, templateSpec } from '../helpers/fixtures';

/**
 * kill -9 the controller at random moments while it builds and replaces a pool, then let it converge. Every
 * directory the driver built must belong to an instance the controller knows, every ready instance must have
 * its directory, and no build may be left half-done.
 */
test('kill -9 at any moment never leaves an unknown instance nor a double build', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-crash-'));
  const state = path.join(dir, 'state');
  const specs = path.join(dir, 'specs');
  fs.mkdirSync(state);
  fs.mkdirSync(specs);
  const db = path.join(dir, 'prewarm.db');
  const writeSpecs = (instances: number, buildSeconds: string) => {
    fs.writeFileSync(path.join(specs, 'template.json'), JSON.stringify(templateSpec({ config: { build_seconds: buildSeconds } })));
    fs.writeFileSync(path.join(specs, 'preset.json'), JSON.stringify(poolSpec('crash', instances)));
  };
  const options = {
    database: `sqlite:${db}`,
    listen: '127.0.0.1:0',
    opsListen: '127.0.0.1:0',
    driverDir: exampleDrivers,
    reconcileIntervalMs: 100,
    inFlightLimit: 4,
    apply: [specs],
  };
  const env = { ...process.env, PREWARM_TOKEN: 'crash-test-token', PREWARM_STATE_DIR: state };
  const random = seededRandom(7);
  try {
    for (let round = 0; round < 6; round++) {
      // Alternate the wanted size and the template so kills land during creates, deletes and replacements.
      writeSpecs(round % 2 === 0 ? 6 : 3, round % 3 === 0 ? '0.3' : '0.2');
      const { child } = await startProcess(options, env);
      await new Promise((r) => setTimeout(r, 150 + Math.floor(random() * 900)));
      child.kill('SIGKILL');
      await exited(child);
    }
    writeSpecs(4, '0.2');
    const { child, opsPort } = await startProcess(options, env);
    const raw = () => new BetterSqlite3(db, { readonly: true, fileMustExist: true });
    // The controller holds an exclusive lock on the file, so convergence is watched through /metrics.
    await waitFor(
      'convergence',
      async () => {
        const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`).catch(() => undefined);
        if (!res) return false;
        const text = await res.text();
        return /prewarm_preset_ready\{preset="crash",template="devbox"\} 4/.test(text) && /prewarm_jobs_in_flight 0/.test(text) && /prewarm_preset_starting\{preset="crash",template="devbox"\} 0/.test(text);
      },
      90_000,
    );
    child.kill('SIGTERM');
    await exited(child);

    const conn = raw();
    // better-sqlite3 and node:fs make their arrays in Node's realm, not the test's (jest runs tests in a vm
    // context), and strict deep equality compares prototypes: results are copied into arrays of this realm.
    const live = [...conn.prepare("select id, name, state, attributes from instances where state not in ('deleted', 'archived')").all()] as Array<{ id: string; name: string; state: string; attributes: string }>;
    const unfinished = conn.prepare("select count(*) as n from jobs where state in ('pending', 'running')").get() as { n: number };
    const doubleBuilt = [
      ...conn.prepare("select instance_id, count(*) as n from jobs where op = 'create' and state = 'succeeded' group by instance_id having n > 1").all(),
    ];
    conn.close();

    assert.equal(unfinished.n, 0);
    assert.deepEqual(doubleBuilt, [], 'no instance was reported built twice');
    assert.deepEqual(live.map((i) => i.state).sort(), ['ready', 'ready', 'ready', 'ready']);
    const onDisk = [...fs.readdirSync(state)].filter((f) => fs.statSync(path.join(state, f)).isDirectory());
    assert.deepEqual(onDisk.filter((f) => f.startsWith('.')), [], 'no half-built staging directory is left');
    assert.deepEqual(onDisk.sort(), live.map((i) => i.name).sort(), 'exactly the known instances exist on disk');
    for (const i of live) {
      const marker = JSON.parse(fs.readFileSync(path.join(state, i.name, '.prewarm-instance.json'), 'utf8'));
      assert.equal(marker.instance_id, i.id);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 180_000);
