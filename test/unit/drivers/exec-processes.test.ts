/**
 * The exec driver runner and the processes it starts: timeouts and aborts kill the whole process group, shutdown
 * stops every running driver and starts no new one.
 */
import { afterAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExecDriver } from '../../../controller/drivers/exec';
import { FakeClock } from '../../helpers/fake-clock';
import { driverRequest } from '../../helpers/fixtures';
import { ProcessReaper, isAlive, readPidFile } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait';
import { assertKind, removeTmpDirs, request, setup, sh, tmpDir } from './exec-setup';

const reaper = new ProcessReaper();
/**
 * After a group kill the runner keeps its SIGKILL fallback armed for killGraceMs even when SIGTERM was enough.
 * Tests that kill note it here, and afterAll lets the last one lapse so the worker has no live timer when it exits.
 */
let killTimersUntil = 0;
const killed = (graceMs: number): void => {
  killTimersUntil = Math.max(killTimersUntil, Date.now() + graceMs);
};
afterAll(async () => {
  reaper.killAll();
  removeTmpDirs();
  const left = killTimersUntil - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
});

describe('exec driver: process groups, timeouts, abort, shutdown', () => {
  // The driver records its own pid and a grandchild's, then hangs.
  const hang = sh(`sleep 1000 &
echo $! > "$CAPTURE/grandchild.pid"
echo $$ > "$CAPTURE/driver.pid"
echo "waiting forever" >&2
wait`);
  // The same, ignoring SIGTERM (an ignored signal stays ignored across exec, so the grandchild ignores it too).
  const stubborn = sh(`trap '' TERM\n${hang.replace('#!/bin/sh\n', '')}`);

  async function pids(capture: string): Promise<{ driverPid: number; grandchildPid: number }> {
    const driverPid = reaper.trackGroup(await readPidFile(path.join(capture, 'driver.pid')));
    const grandchildPid = reaper.track(await readPidFile(path.join(capture, 'grandchild.pid')));
    return { driverPid, grandchildPid };
  }

  async function assertDead(...list: number[]): Promise<void> {
    for (const pid of list) await waitFor(`pid ${pid} to die`, () => !isAlive(pid), 5000);
  }

  test('timeout kills the driver and its grandchild', async () => {
    const { driver, write, capture } = setup({ timeoutMs: 500, killGraceMs: 2000 });
    write('hang', hang);
    const running = driver.run('hang', request());
    const { driverPid, grandchildPid } = await pids(capture);
    assert.ok(isAlive(grandchildPid));
    const o = await running;
    killed(2000);
    assertKind(o, 'retryable');
    assert.equal(o.message, 'driver "hang" create timed out after 500ms; killed its process group');
    assert.equal(o.signal, 'SIGTERM');
    assert.equal(o.exitCode, null);
    assert.match(o.stderr, /waiting forever/);
    assert.ok(o.durationMs >= 450, `duration ${o.durationMs}`);
    await assertDead(driverPid, grandchildPid);
    assert.equal(driver.running, 0);
  });

  test('processes that ignore SIGTERM get SIGKILL after the grace period', async () => {
    const { driver, write, capture } = setup({ timeoutMs: 300, killGraceMs: 300 });
    write('stubborn', stubborn);
    const running = driver.run('stubborn', request());
    const { driverPid, grandchildPid } = await pids(capture);
    const o = await running;
    killed(300);
    assertKind(o, 'retryable');
    assert.equal(o.signal, 'SIGKILL');
    assert.match(o.message, /timed out after 300ms; killed its process group/);
    assert.ok(o.durationMs >= 550, `duration ${o.durationMs}`);
    await assertDead(driverPid, grandchildPid);
  });

  test('the timeout and the SIGKILL after the grace period run on the injected clock, not the wall clock', async () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const { driver, write, capture } = setup({ clock, timeoutMs: 30 * 60_000, killGraceMs: 60_000 });
    write('stubborn', stubborn);
    let settled = false;
    const running = driver.run('stubborn', request()).finally(() => (settled = true));
    const { driverPid, grandchildPid } = await pids(capture);
    // Real time passing does nothing; only the clock's timers exist.
    assert.deepEqual(clock.pending(), [30 * 60_000]);
    clock.advance(30 * 60_000 - 1);
    assert.ok(isAlive(driverPid) && !settled);
    clock.advance(1); // the timeout: SIGTERM, which both processes ignore
    assert.deepEqual(clock.pending(), [60_000]);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(isAlive(driverPid) && isAlive(grandchildPid) && !settled);
    clock.advance(60_000); // the grace period is over: SIGKILL
    const o = await running;
    assertKind(o, 'retryable');
    assert.equal(o.signal, 'SIGKILL');
    assert.equal(o.message, 'driver "stubborn" create timed out after 30m0s; killed its process group');
    await assertDead(driverPid, grandchildPid);
    assert.deepEqual(clock.pending(), []);
  });

  test('an AbortSignal kills the process group', async () => {
    const { driver, write, capture } = setup({ killGraceMs: 1000 });
    write('hang', hang);
    const ac = new AbortController();
    const running = driver.run('hang', request('delete'), ac.signal);
    const { driverPid, grandchildPid } = await pids(capture);
    assert.equal(driver.running, 1);
    ac.abort(new Error('preset deleted'));
    const o = await running;
    killed(1000);
    assertKind(o, 'retryable');
    assert.equal(o.message, 'driver "hang" delete was aborted (preset deleted); killed its process group');
    await assertDead(driverPid, grandchildPid);
    assert.equal(driver.running, 0);
  });

  test('an already aborted signal does not start the driver', async () => {
    const { driver, write, capture } = setup();
    write('hang', hang);
    const ac = new AbortController();
    ac.abort();
    const o = await driver.run('hang', request(), ac.signal);
    assertKind(o, 'retryable');
    assert.match(o.message, /^driver "hang" create was aborted before it started/);
    assert.equal(fs.existsSync(path.join(capture, 'driver.pid')), false);
  });

  test('killAll stops every running driver', async () => {
    const { driver, write } = setup({ killGraceMs: 1000 });
    // Two copies of the hanging driver, each writing its pids to its own capture dir, run by one ExecDriver.
    const captures = [tmpDir('prewarm-capture-'), tmpDir('prewarm-capture-')];
    const runs = captures.map((c, i) => {
      write(`hang${i}`, hang.replaceAll('$CAPTURE', c));
      return driver.run(`hang${i}`, request());
    });
    const all = await Promise.all(captures.map((c) => pids(c)));
    assert.equal(driver.running, 2);
    driver.killAll();
    const outcomes = await Promise.all(runs);
    killed(1000);
    for (const o of outcomes) {
      assertKind(o, 'retryable');
      assert.match(o.message, /^driver "hang\d" create was interrupted by controller shutdown; killed its process group$/);
    }
    assert.equal(driver.running, 0);
    await assertDead(...all.flatMap((p) => [p.driverPid, p.grandchildPid]));
  });

  test('a background process left holding stdout does not make a finished driver look hung', async () => {
    const { driver, write, capture } = setup({ stdioLingerMs: 200 });
    write('leaky', sh(`sleep 1000 &
echo $! > "$CAPTURE/grandchild.pid"
echo $$ > "$CAPTURE/driver.pid"
echo '{"attributes":{"a":"1"}}'`));
    const o = await driver.run('leaky', request());
    const { grandchildPid } = await pids(capture);
    assertKind(o, 'ok');
    assert.deepEqual(o.attributes, { a: '1' });
    assert.ok(o.durationMs < 3000, `duration ${o.durationMs}`);
    // Not the driver runner's to kill: only timeouts, aborts and shutdown kill the group.
    assert.ok(isAlive(grandchildPid));
    process.kill(grandchildPid, 'SIGKILL');
  });
});

test('after killAll no new driver process is started', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-closed-'));
  try {
    const marker = path.join(dir, 'ran');
    fs.writeFileSync(path.join(dir, 'd'), `#!/bin/sh\ntouch ${marker}\necho '{}'\n`, { mode: 0o755 });
    const driver = new ExecDriver({ driverDir: dir });
    driver.killAll();
    const out = await driver.run('d', driverRequest('create'));
    assert.equal(out.kind, 'retryable');
    assert.match((out as { message: string }).message, /shutting down/);
    assert.equal(fs.existsSync(marker), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
