/**
 * The example drivers (examples/drivers) run for real through the exec driver runner, so these tests cover the
 * contract end to end: a real git checkout on disk, a real HTTP server process.
 */
import { afterAll, describe, jest, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ExecDriver, describeOutcome, type DriverOutcome, type DriverRequest, type ExecDriverOptions } from '../../controller/drivers/exec';
import { driverRequest } from '../helpers/fixtures';
import { ProcessReaper, isAlive } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

// Real driver processes, git checkouts and servers: well under a second each when the machine is idle.
jest.setTimeout(30_000);

const EXAMPLES = path.resolve(__dirname, '../../examples/drivers');
const hasGit = spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;

const reaper = new ProcessReaper();
const tmpDirs: string[] = [];
afterAll(() => {
  // Every server any test started, whether or not the test got to clean up.
  for (const d of tmpDirs) {
    for (const f of fs.existsSync(d) ? listJson(d) : []) {
      const pid = (JSON.parse(fs.readFileSync(f, 'utf8')) as { pid?: unknown }).pid;
      if (typeof pid === 'number') reaper.track(pid);
    }
  }
  reaper.killAll();
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function listJson(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listJson(p));
    else if (e.name.endsWith('.json') && !e.name.startsWith('.prewarm')) out.push(p);
  }
  return out;
}

function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

/** A runner over the real examples dir with instance state in a fresh temp dir. */
function setup(opts: Partial<ExecDriverOptions> = {}): { state: string; driver: ExecDriver } {
  const state = tmpDir('prewarm-state-');
  const driver = new ExecDriver({ driverDir: EXAMPLES, timeoutMs: 60_000, ...opts, env: { PREWARM_STATE_DIR: state, ...opts.env } });
  return { state, driver };
}

function request(op: DriverRequest['op'], over: { id?: string; name?: string; config?: Record<string, string>; template?: string } = {}): DriverRequest {
  const template = over.template ?? 'devbox';
  return driverRequest(op, {
    instance: { id: over.id ?? 'inst-1', name: over.name ?? 'ws-1' },
    template: { name: template, version: 1 },
    preset: { template, name: 'us' },
    config: over.config ?? {},
  });
}

function ok(o: DriverOutcome): Record<string, string> {
  assert.equal(o.kind, 'ok', `expected ok, got ${describeOutcome(o)}\nstderr: ${o.stderr}`);
  return (o as Extract<DriverOutcome, { kind: 'ok' }>).attributes;
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

describe('example driver localdir', () => {
  test('create makes a prepared checkout; create again answers the same without rebuilding', async () => {
    const { state, driver } = setup();
    const first = ok(await driver.run('localdir', request('create')));
    const dir = path.join(state, 'ws-1');
    assert.equal(first.path, dir);
    assert.ok(fs.statSync(path.join(dir, 'README.md')).isFile());
    const marker = JSON.parse(fs.readFileSync(path.join(dir, '.prewarm-instance.json'), 'utf8'));
    assert.equal(marker.instance_id, 'inst-1');
    if (hasGit) {
      assert.match(first.commit!, /^[0-9a-f]{40}$/);
      assert.equal(git(dir, 'rev-parse', 'HEAD'), first.commit);
      assert.equal(git(dir, 'log', '-1', '--format=%an <%ae>'), 'prewarm <prewarm@localhost>');
      assert.equal(git(dir, 'status', '--porcelain'), '', 'bookkeeping files must not show up in the checkout');
    } else {
      assert.equal(first.commit, '');
    }

    const readmeBefore = fs.statSync(path.join(dir, 'README.md'));
    const again = await driver.run('localdir', request('create'));
    assert.deepEqual(ok(again), first);
    assert.match(again.stderr, /already built for inst-1; nothing to do/);
    const readmeAfter = fs.statSync(path.join(dir, 'README.md'));
    assert.equal(readmeAfter.ino, readmeBefore.ino);
    assert.equal(readmeAfter.mtimeMs, readmeBefore.mtimeMs);
  });

  test('delete removes the directory, and deleting again is fine', async () => {
    const { state, driver } = setup();
    ok(await driver.run('localdir', request('create')));
    const dir = path.join(state, 'ws-1');
    assert.deepEqual(ok(await driver.run('localdir', request('delete'))), {});
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(ok(await driver.run('localdir', request('delete'))), {});
    // A root that was never created: still fine.
    const { driver: fresh } = setup({ env: { PREWARM_STATE_DIR: path.join(tmpDir('prewarm-state-'), 'never') } });
    ok(await fresh.run('localdir', request('delete')));
  });

  test('start and stop write and remove the running marker', async () => {
    const { state, driver } = setup();
    const created = ok(await driver.run('localdir', request('create')));
    const running = path.join(state, 'ws-1', '.prewarm-running');
    assert.deepEqual(ok(await driver.run('localdir', request('start'))), created);
    assert.ok(fs.existsSync(running));
    ok(await driver.run('localdir', request('start')));
    ok(await driver.run('localdir', request('stop')));
    assert.equal(fs.existsSync(running), false);
    ok(await driver.run('localdir', request('stop')));
  });

  test('start of an instance that does not exist is retryable', async () => {
    const { driver } = setup();
    const o = await driver.run('localdir', request('start'));
    assert.equal(o.kind, 'retryable');
    assert.equal(o.exitCode, 1);
    assert.match(o.message, /create the instance first/);
  });

  test('a half-built directory (no marker) is rebuilt', async () => {
    const { state, driver } = setup();
    const dir = path.join(state, 'ws-1');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'partial.tmp'), 'left by a crash');
    const attrs = ok(await driver.run('localdir', request('create')));
    assert.equal(attrs.path, dir);
    assert.equal(fs.existsSync(path.join(dir, 'partial.tmp')), false);
    assert.ok(fs.existsSync(path.join(dir, '.prewarm-instance.json')));
  });

  test('a directory owned by another instance id is a permanent error and is left alone', async () => {
    const { state, driver } = setup();
    ok(await driver.run('localdir', request('create', { id: 'inst-A' })));
    const o = await driver.run('localdir', request('create', { id: 'inst-B' }));
    assert.equal(o.kind, 'permanent');
    assert.equal(o.exitCode, 78);
    assert.match(o.message, /belongs to instance inst-A, not inst-B/);
    // delete for B must not remove A's directory
    ok(await driver.run('localdir', request('delete', { id: 'inst-B' })));
    assert.ok(fs.existsSync(path.join(state, 'ws-1', '.prewarm-instance.json')));
  });

  test('concurrent creates for the same id build once and agree', async () => {
    const { driver } = setup();
    const req = request('create', { config: { build_seconds: '0.3' } });
    const [a, b] = await Promise.all([driver.run('localdir', req), driver.run('localdir', req)]);
    assert.deepEqual(ok(a), ok(b));
    assert.equal([a, b].filter((o) => /nothing to do/.test(o.stderr)).length, 1);
  });

  test('skeleton dir and build_seconds', async () => {
    const { state, driver } = setup();
    const skel = path.join(state, 'skel');
    fs.mkdirSync(path.join(skel, 'lib'), { recursive: true });
    fs.mkdirSync(path.join(skel, '.git'));
    fs.writeFileSync(path.join(skel, 'package.json'), '{"name":"app"}\n');
    fs.writeFileSync(path.join(skel, 'lib', 'index.js'), 'module.exports = 1;\n');
    fs.writeFileSync(path.join(skel, '.git', 'HEAD'), 'not copied\n');
    // `skel` is relative: it resolves against PREWARM_STATE_DIR.
    const o = await driver.run('localdir', request('create', { config: { skeleton: 'skel', build_seconds: '0.4' } }));
    const attrs = ok(o);
    assert.ok(o.durationMs >= 400, `duration ${o.durationMs}`);
    assert.equal(fs.readFileSync(path.join(attrs.path!, 'lib', 'index.js'), 'utf8'), 'module.exports = 1;\n');
    assert.equal(fs.existsSync(path.join(attrs.path!, 'README.md')), false);
    if (hasGit) assert.deepEqual(git(attrs.path!, 'ls-files').split('\n').sort(), ['lib/index.js', 'package.json']);
  });

  test('bad settings and bad names are permanent', async () => {
    const { driver } = setup();
    const cases: [DriverRequest, RegExp][] = [
      [request('create', { config: { build_seconds: 'soon' } }), /config\.build_seconds must be a number/],
      [request('create', { config: { skeleton: 'missing-skel' } }), /config\.skeleton .* is not a directory/],
      [request('create', { name: '../escape' }), /instance\.name "\.\.\/escape" must be/],
      [request('create', { config: { fail: 'sometimes' } }), /config\.fail must be/],
    ];
    for (const [req, re] of cases) {
      const o = await driver.run('localdir', req);
      assert.equal(o.kind, 'permanent', describeOutcome(o));
      assert.match(o.message, re);
    }
    // Build settings are not checked on delete, so a broken template can still be cleaned up.
    ok(await driver.run('localdir', request('delete', { config: { skeleton: 'missing-skel' } })));
  });

  test('fail switches: always → exit 1 (retryable), config → exit 78 (permanent), create only by default', async () => {
    const { driver } = setup();
    const always = await driver.run('localdir', request('create', { config: { fail: 'always' } }));
    assert.equal(always.kind, 'retryable');
    assert.equal(always.exitCode, 1);
    assert.match(always.message, /^driver "localdir" create failed with exit code 1: localdir: create failed on purpose/);
    const config = await driver.run('localdir', request('create', { config: { fail: 'config' } }));
    assert.equal(config.kind, 'permanent');
    assert.equal(config.exitCode, 78);
    ok(await driver.run('localdir', request('delete', { config: { fail: 'always' } })));
    const del = await driver.run('localdir', request('delete', { config: { fail: 'always', fail_ops: 'create,delete' } }));
    assert.equal(del.kind, 'retryable');
  });

  test('relative roots resolve against the parent of the driver dir, never the cwd', async () => {
    // A private copy of the drivers, so the default root lands in a temp dir rather than in the repository.
    const base = tmpDir('prewarm-base-');
    const drivers = path.join(base, 'drivers');
    fs.cpSync(EXAMPLES, drivers, { recursive: true });
    const driver = new ExecDriver({ driverDir: drivers, env: { PREWARM_STATE_DIR: '' } });
    const byDefault = ok(await driver.run('localdir', request('create', { name: 'a' })));
    assert.equal(byDefault.path, path.join(fs.realpathSync(base), '.prewarm', 'instances', 'a'));
    const relRoot = ok(await driver.run('localdir', request('create', { name: 'b', config: { root: 'pool' } })));
    assert.equal(relRoot.path, path.join(fs.realpathSync(base), 'pool', 'b'));
    const relState = new ExecDriver({ driverDir: drivers, env: { PREWARM_STATE_DIR: 'state' } });
    const viaEnv = ok(await relState.run('localdir', request('create', { name: 'c', config: { root: 'sub' } })));
    assert.equal(viaEnv.path, path.join(fs.realpathSync(base), 'state', 'sub', 'c'));
    assert.deepEqual(fs.readdirSync(drivers).sort(), fs.readdirSync(EXAMPLES).sort(), 'nothing written into the driver dir');
  });

  test('a malformed request or argument is permanent (run directly)', () => {
    const script = path.join(EXAMPLES, 'localdir');
    const run = (args: string[], input: string) => spawnSync(script, args, { input, cwd: EXAMPLES, encoding: 'utf8', env: { ...process.env, PREWARM_STATE_DIR: tmpDir('prewarm-state-') } });
    const notJson = run(['create'], 'hello');
    assert.equal(notJson.status, 78);
    assert.match(notJson.stderr, /request on stdin is not JSON/);
    assert.equal(notJson.stdout, '');
    const mismatch = run(['delete'], JSON.stringify(request('create')));
    assert.equal(mismatch.status, 78);
    assert.match(mismatch.stderr, /request op "create" does not match argument "delete"/);
    const badOp = run(['reboot'], JSON.stringify(request('create')));
    assert.equal(badOp.status, 78);
    const good = run(['create'], JSON.stringify(request('create')));
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.stdout.split('\n').filter(Boolean).length, 1, 'exactly one JSON line on stdout');
  });
});

describe('example driver localproc', () => {
  const req = (op: DriverRequest['op'], over: { id?: string; name?: string; config?: Record<string, string> } = {}) =>
    request(op, { name: 'preview-1', template: 'preview', ...over });

  function pgidOf(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  }

  test('create starts a detached server that names the instance; create again reuses it; delete stops it', async () => {
    // A long linger: if the server kept the driver's stdout open, the run would take 30 s instead of well under.
    const { state, driver } = setup({ stdioLingerMs: 30_000 });
    const o = await driver.run('localproc', req('create'));
    const attrs = ok(o);
    const pid = reaper.track(Number(attrs.pid));
    assert.ok(o.durationMs < 15_000, `duration ${o.durationMs}`);
    assert.match(attrs.url!, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(attrs.url, `http://127.0.0.1:${attrs.port}/`);
    assert.ok(isAlive(pid));
    if (fs.existsSync('/proc/self/stat')) assert.equal(pgidOf(pid), pid, 'the server leads its own process group');

    const page = await httpGet(attrs.url!);
    assert.equal(page.status, 200);
    assert.match(page.body, /Preview environment preview-1/);
    assert.match(page.body, /inst-1/);

    const record = JSON.parse(fs.readFileSync(path.join(state, 'preview-1.json'), 'utf8'));
    assert.equal(record.pid, pid);
    assert.equal(record.instance_id, 'inst-1');

    assert.deepEqual(ok(await driver.run('localproc', req('create'))), attrs);

    assert.deepEqual(ok(await driver.run('localproc', req('delete'))), {});
    await waitFor('server to exit', () => !isAlive(pid), 5000);
    assert.equal(fs.existsSync(path.join(state, 'preview-1.json')), false);
    await assert.rejects(httpGet(attrs.url!));
    ok(await driver.run('localproc', req('delete')));
  });

  test('create replaces a server that died', async () => {
    const { driver } = setup();
    const first = ok(await driver.run('localproc', req('create')));
    const oldPid = reaper.track(Number(first.pid));
    process.kill(oldPid, 'SIGKILL');
    await waitFor('server to die', () => !isAlive(oldPid), 5000);
    const second = ok(await driver.run('localproc', req('create')));
    reaper.track(Number(second.pid));
    assert.notEqual(second.pid, first.pid);
    assert.match((await httpGet(second.url!)).body, /preview-1/);
    ok(await driver.run('localproc', req('delete')));
  });

  test('stop stops the process and keeps the record; start brings it back', async () => {
    const { state, driver } = setup();
    const created = ok(await driver.run('localproc', req('create')));
    const pid = reaper.track(Number(created.pid));
    ok(await driver.run('localproc', req('stop')));
    await waitFor('server to stop', () => !isAlive(pid), 5000);
    assert.equal(JSON.parse(fs.readFileSync(path.join(state, 'preview-1.json'), 'utf8')).state, 'stopped');
    ok(await driver.run('localproc', req('stop')));

    const started = ok(await driver.run('localproc', req('start')));
    reaper.track(Number(started.pid));
    assert.notEqual(started.pid, created.pid);
    assert.equal(started.port, created.port, 'the port is kept when it is still free');
    assert.match((await httpGet(started.url!)).body, /preview-1/);
    assert.deepEqual(ok(await driver.run('localproc', req('start'))), started);
    ok(await driver.run('localproc', req('delete')));
    await waitFor('server to exit', () => !isAlive(Number(started.pid)), 5000);
  });

  test('a record owned by another instance id is permanent; fail switches work', async () => {
    const { driver } = setup();
    const a = ok(await driver.run('localproc', req('create', { id: 'inst-A' })));
    reaper.track(Number(a.pid));
    const b = await driver.run('localproc', req('create', { id: 'inst-B' }));
    assert.equal(b.kind, 'permanent');
    assert.match(b.message, /belongs to instance inst-A, not inst-B/);
    ok(await driver.run('localproc', req('delete', { id: 'inst-B' })));
    assert.ok(isAlive(Number(a.pid)), "another id's delete must not stop A's server");

    const always = await driver.run('localproc', req('create', { name: 'other', config: { fail: 'always' } }));
    assert.equal(always.kind, 'retryable');
    assert.equal(always.exitCode, 1);
    const config = await driver.run('localproc', req('create', { name: 'other', config: { fail: 'config' } }));
    assert.equal(config.kind, 'permanent');

    ok(await driver.run('localproc', req('delete', { id: 'inst-A' })));
    await waitFor('server to exit', () => !isAlive(Number(a.pid)), 5000);
  });

  test('start of an instance that was never created is retryable', async () => {
    const { driver } = setup();
    const o = await driver.run('localproc', req('start'));
    assert.equal(o.kind, 'retryable');
    assert.match(o.message, /create the instance first/);
  });
});
