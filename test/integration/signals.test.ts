/**
 * Stop signals against a real `prewarm controller` process whose driver is still running: SIGTERM drains (waits for
 * the driver), and a second signal cuts the drain short by killing every driver's process group, grandchildren
 * included, before the controller logs "stopped" and exits.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, jest, test } from '@jest/globals';
import BetterSqlite3 from 'better-sqlite3';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { isAlive, ProcessReaper, readPidFile } from '../helpers/processes';
import { spawnPrewarm, type PrewarmProcess } from '../helpers/prewarm-process';
import { waitFor } from '../helpers/wait';

jest.setTimeout(90_000);

/**
 * `create` starts a grandchild that ignores SIGTERM (so only the group's SIGKILL ends it), records both pids, then
 * waits for it; with $TEST_RELEASE set it instead waits for that file and succeeds. `delete` succeeds at once.
 */
const DRIVER = `#!/bin/sh
cat > /dev/null
case "$1" in
  create)
    if [ -n "$TEST_RELEASE" ]; then
      echo $$ > "$TEST_DIR/driver.pid"
      while [ ! -e "$TEST_RELEASE" ]; do sleep 0.05; done
      touch "$TEST_DIR/driver.done"
      echo '{"attributes":{}}'
      exit 0
    fi
    sh -c 'trap "" TERM; echo $$ > "$TEST_DIR/grandchild.pid"; exec sleep 1000' &
    while [ ! -s "$TEST_DIR/grandchild.pid" ]; do sleep 0.01; done
    echo $$ > "$TEST_DIR/driver.pid"
    wait
    ;;
  *)
    echo '{"attributes":{}}'
    ;;
esac
`;

describe('stop signals with a driver running', () => {
  let dir: string;
  const reaper = new ProcessReaper();

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-signals-'));
    fs.mkdirSync(path.join(dir, 'drivers'));
    fs.writeFileSync(path.join(dir, 'drivers', 'hang'), DRIVER, { mode: 0o755 });
    fs.mkdirSync(path.join(dir, 'specs'));
    fs.writeFileSync(path.join(dir, 'specs', 'a-template.json'), JSON.stringify(templateSpec({ driver: 'hang' })));
    fs.writeFileSync(path.join(dir, 'specs', 'b-preset.json'), JSON.stringify(poolSpec('one', 1)));
  });
  afterEach(() => {
    reaper.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = (env: NodeJS.ProcessEnv): PrewarmProcess => {
    const p = spawnPrewarm(
      [
        'controller',
        '--database', `sqlite:${path.join(dir, 'prewarm.db')}`,
        '--listen', '127.0.0.1:0',
        '--ops-listen', '127.0.0.1:0',
        '--driver-dir', path.join(dir, 'drivers'),
        '--apply', path.join(dir, 'specs'),
        '--reconcile-interval', '1s',
        // Long enough that only a second signal (or the driver finishing) can end the drain in these tests.
        '--drain-timeout', '10m',
      ],
      { env: { ...process.env, PREWARM_TOKEN: 'signals-test-token', PREWARM_STATE_DIR: path.join(dir, 'state'), TEST_DIR: dir, ...env } },
    );
    reaper.track(p.pid);
    return p;
  };

  test('SIGTERM then SIGINT kills the driver and its grandchild, logs "stopped" and exits', async () => {
    const ctl = start({});
    const grandchild = reaper.track(await readPidFile(path.join(dir, 'grandchild.pid'), 30_000));
    const driver = reaper.trackGroup(await readPidFile(path.join(dir, 'driver.pid'), 30_000));
    assert.ok(isAlive(driver) && isAlive(grandchild));

    ctl.child.kill('SIGTERM');
    await ctl.waitForLog('shutting down');
    // The drain is waiting for the driver (the API is closed first, so "shutting down" precedes the wait).
    ctl.child.kill('SIGINT');
    const exit = await ctl.exited;

    assert.equal(exit.signal, null, `exited by its own hand, not killed by the signal; stderr:\n${ctl.stderr()}`);
    assert.equal(exit.code, 0, ctl.stderr());
    const msgs = ctl.logs().map((l) => l.msg);
    assert.ok(msgs.some((m) => typeof m === 'string' && m.startsWith('stopping now: killing every running driver operation')), ctl.stderr());
    assert.equal(msgs[msgs.length - 1], 'stopped', ctl.stderr());
    assert.equal(isAlive(driver), false, 'the driver was killed');
    assert.equal(isAlive(grandchild), false, "the driver's grandchild (which ignores SIGTERM) was killed");
    // The store was closed: the database opens exclusively again, and the interrupted build is left to the next start.
    const db = new BetterSqlite3(path.join(dir, 'prewarm.db'));
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN IMMEDIATE; COMMIT;');
      const unfinished = db.prepare("select count(*) as n from jobs where op = 'create' and state in ('pending', 'running')").get() as { n: number };
      assert.equal(unfinished.n, 1);
    } finally {
      db.close();
    }
  });

  test('SIGTERM alone still drains: the running driver finishes and its result is recorded', async () => {
    const release = path.join(dir, 'release');
    const ctl = start({ TEST_RELEASE: release });
    const driver = reaper.trackGroup(await readPidFile(path.join(dir, 'driver.pid'), 30_000));

    ctl.child.kill('SIGTERM');
    await ctl.waitForLog('shutting down');
    fs.writeFileSync(release, '');
    const exit = await ctl.exited;

    assert.equal(exit.code, 0, ctl.stderr());
    assert.ok(fs.existsSync(path.join(dir, 'driver.done')), 'the driver ran to completion');
    await waitFor('the driver process to be gone', () => !isAlive(driver));
    const msgs = ctl.logs().map((l) => l.msg);
    assert.equal(msgs[msgs.length - 1], 'stopped', ctl.stderr());
    assert.ok(!msgs.some((m) => typeof m === 'string' && m.startsWith('stopping now')), ctl.stderr());
    assert.ok(!msgs.includes('killed driver operations still running at the drain timeout; they resume on the next start'));
    const db = new BetterSqlite3(path.join(dir, 'prewarm.db'), { readonly: true });
    try {
      // Copied into this realm's array: better-sqlite3 builds its arrays in Node's realm, not jest's vm context.
      const states = [...(db.prepare('select state from instances').all() as Array<{ state: string }>)].map((s) => s.state);
      assert.deepEqual([...states], ['ready']);
    } finally {
      db.close();
    }
  });
});
