import { afterAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ExecDriver,
  describeOutcome,
  resolveDriverProgram,
  type DriverOutcome,
  type DriverRequest,
  type ExecDriverOptions,
} from '../../../controller/drivers/exec';
import { formatDuration } from '../../../controller/drivers/format';
import { ValidationError } from '../../../controller/domain/errors';
import { driverRequest } from '../../helpers/fixtures';
import { ProcessReaper, isAlive, readPidFile } from '../../helpers/processes';
import { waitFor } from '../../helpers/wait';

const reaper = new ProcessReaper();
const tmpDirs: string[] = [];
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
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
  const left = killTimersUntil - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, left));
});

function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

/** A driver dir plus a capture dir that test drivers write what they saw into (passed as $CAPTURE). */
function setup(extra: Partial<ExecDriverOptions> = {}): { dir: string; capture: string; driver: ExecDriver; write: (name: string, body: string, mode?: number) => string } {
  const dir = tmpDir('prewarm-drivers-');
  const capture = tmpDir('prewarm-capture-');
  const driver = new ExecDriver({ driverDir: dir, env: { CAPTURE: capture }, ...extra });
  const write = (name: string, body: string, mode = 0o755): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, body, { mode });
    fs.chmodSync(file, mode); // the umask may have removed bits
    return file;
  };
  return { dir, capture, driver, write };
}

const sh = (body: string): string => `#!/bin/sh\n${body}\n`;
const node = (body: string): string => `#!${process.execPath}\n${body}\n`;

/** A retry (attempt 2) for template version 3 with some config, so that every field has a value worth checking. */
function request(op: DriverRequest['op'] = 'create', over: Partial<DriverRequest> = {}): DriverRequest {
  return driverRequest(op, { template: { name: 'devbox', version: 3 }, config: { image: 'node:20' }, attempt: 2, ...over });
}

function assertKind<K extends DriverOutcome['kind']>(o: DriverOutcome, kind: K): asserts o is Extract<DriverOutcome, { kind: K }> {
  assert.equal(o.kind, kind, `expected ${kind}, got ${describeOutcome(o)}`);
}

describe('exec driver: answers and exit codes', () => {
  test('ok: one argument, stdin JSON, cwd, env, attributes stringified', async () => {
    const { dir, capture, driver, write } = setup();
    write(
      'ok',
      sh(`cat > "$CAPTURE/stdin.json"
printf '%s\\n' "$#" "$1" > "$CAPTURE/argv"
pwd -P > "$CAPTURE/cwd"
env | grep '^PREWARM_' | sort > "$CAPTURE/env"
echo "some log line" >&2
echo '{"attributes":{"s":"x","n":42,"f":1.5,"b":true},"extra":"ignored"}'`),
    );
    const o = await driver.run('ok', request());
    assertKind(o, 'ok');
    assert.deepEqual(o.attributes, { s: 'x', n: '42', f: '1.5', b: 'true' });
    assert.equal(o.exitCode, 0);
    assert.equal(o.stderr, 'some log line\n');
    assert.ok(o.durationMs >= 0);

    const received = JSON.parse(fs.readFileSync(path.join(capture, 'stdin.json'), 'utf8'));
    assert.deepEqual(received, {
      op: 'create',
      instance: { id: 'inst-0001', name: 'devbox-us-nix-1' },
      template: { name: 'devbox', version: 3 },
      preset: { template: 'devbox', name: 'us-nix' },
      parameters: { region: 'us' },
      config: { image: 'node:20' },
      attempt: 2,
    });
    assert.equal(fs.readFileSync(path.join(capture, 'argv'), 'utf8'), '1\ncreate\n');
    assert.equal(fs.readFileSync(path.join(capture, 'cwd'), 'utf8').trim(), fs.realpathSync(dir));
    const env = fs.readFileSync(path.join(capture, 'env'), 'utf8');
    assert.match(env, /^PREWARM_INSTANCE_ID=inst-0001$/m);
    assert.match(env, /^PREWARM_INSTANCE_NAME=devbox-us-nix-1$/m);
    assert.match(env, /^PREWARM_OP=create$/m);
  });

  test('request variables win over operator env of the same name', async () => {
    const { dir, capture } = setup();
    const driver = new ExecDriver({ driverDir: dir, env: { CAPTURE: capture, PREWARM_OP: 'bogus', PREWARM_STATE_DIR: '/srv/state' } });
    fs.writeFileSync(path.join(dir, 'env'), sh('env | grep "^PREWARM_" | sort > "$CAPTURE/env"'), { mode: 0o755 });
    assertKind(await driver.run('env', request('stop')), 'ok');
    const env = fs.readFileSync(path.join(capture, 'env'), 'utf8');
    assert.match(env, /^PREWARM_OP=stop$/m);
    assert.match(env, /^PREWARM_STATE_DIR=\/srv\/state$/m);
  });

  test('empty stdout and {} are ok with no attributes, for create and delete alike', async () => {
    const { driver, write } = setup();
    write('silent', sh('exit 0'));
    write('braces', sh("echo '{}'"));
    for (const op of ['create', 'delete', 'start', 'stop'] as const) {
      const a = await driver.run('silent', request(op));
      assertKind(a, 'ok');
      assert.deepEqual(a.attributes, {});
      const b = await driver.run('braces', request(op));
      assertKind(b, 'ok');
      assert.deepEqual(b.attributes, {});
    }
  });

  test('exit 78 is permanent and carries stderr', async () => {
    const { driver, write } = setup();
    write('cfg', sh('echo "checking image" >&2; echo "image node:99 does not exist" >&2; exit 78'));
    const o = await driver.run('cfg', request());
    assertKind(o, 'permanent');
    assert.equal(o.exitCode, 78);
    assert.match(o.message, /^driver "cfg" create reported a permanent configuration error \(exit code 78\): image node:99 does not exist$/);
    assert.equal(o.stderr, 'checking image\nimage node:99 does not exist\n');
  });

  test('any other exit code is retryable', async () => {
    const { driver, write } = setup();
    write('three', sh('echo "quota exceeded" >&2; exit 3'));
    const o = await driver.run('three', request('delete'));
    assertKind(o, 'retryable');
    assert.equal(o.exitCode, 3);
    assert.equal(o.signal, undefined);
    assert.equal(o.message, 'driver "three" delete failed with exit code 3: quota exceeded');
  });

  test('a driver killed by a signal is retryable with the signal', async () => {
    const { driver, write } = setup();
    write('suicide', sh('kill -9 $$'));
    const o = await driver.run('suicide', request());
    assertKind(o, 'retryable');
    assert.equal(o.exitCode, null);
    assert.equal(o.signal, 'SIGKILL');
    assert.match(o.message, /^driver "suicide" create was killed by signal SIGKILL/);
  });

  test('stdout that is not JSON is retryable with an excerpt', async () => {
    const { driver, write } = setup();
    write('chatty', sh('echo "Cloning into workspace..."; echo "{\\"attributes\\":{}}"'));
    const o = await driver.run('chatty', request());
    assertKind(o, 'retryable');
    assert.equal(o.exitCode, 0);
    assert.match(o.message, /^driver "chatty" create answered with output that is not JSON: .+ \(first 200 bytes: "Cloning into workspace\.\.\.\\n\{/);
  });

  test('the excerpt is cut at 200 bytes', async () => {
    const { driver, write } = setup();
    write('long', sh(`printf 'x%.0s' $(seq 1 500)`));
    const o = await driver.run('long', request());
    assertKind(o, 'retryable');
    assert.match(o.message, new RegExp(`\\(first 200 bytes: "${'x'.repeat(200)}"\\)$`));
  });

  const shapes: [string, string, RegExp][] = [
    ['array', '[1,2]', /answered with JSON that is not an object \(got an array\)/],
    ['string', '"hi"', /answered with JSON that is not an object \(got a string\)/],
    ['null', 'null', /answered with JSON that is not an object \(got null\)/],
    ['attrs-array', '{"attributes":["a"]}', /answered with "attributes" that is not an object \(got an array\)/],
    ['attrs-string', '{"attributes":"a=b"}', /answered with "attributes" that is not an object \(got a string\)/],
    ['attrs-nested', '{"attributes":{"a":{"b":"c"}}}', /"attributes" that is not flat: attributes\["a"\] is an object/],
    ['attrs-null', '{"attributes":{"a":null}}', /"attributes" that is not flat: attributes\["a"\] is null/],
  ];
  for (const [name, answer, re] of shapes) {
    test(`answer shape rejected: ${name}`, async () => {
      const { driver, write } = setup();
      write(name, sh(`echo '${answer}'`));
      const o = await driver.run(name, request());
      assertKind(o, 'retryable');
      assert.match(o.message, re);
      assert.ok(o.message.startsWith(`driver "${name}" create answered with `), o.message);
    });
  }

  test('"__proto__" stays a plain attribute', async () => {
    const { driver, write } = setup();
    write('proto', sh(`echo '{"attributes":{"__proto__":"x","a":"1"}}'`));
    const o = await driver.run('proto', request());
    assertKind(o, 'ok');
    assert.deepEqual(Object.keys(o.attributes).sort(), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(o.attributes), Object.prototype);
  });

  test('a driver that never reads stdin is judged by its exit status (no EPIPE crash)', async () => {
    const { driver, write } = setup();
    write('deaf', sh(`echo '{"attributes":{"a":"1"}}'`));
    const big = { blob: 'y'.repeat(2 * 1024 * 1024) };
    const o = await driver.run('deaf', request('create', { parameters: big }));
    assertKind(o, 'ok');
    assert.deepEqual(o.attributes, { a: '1' });
  });
});

describe('exec driver: bounded output', () => {
  test('stderr keeps only the last 64 KiB, and it is the tail', async () => {
    const { driver, write } = setup();
    // 300 KiB-ish of numbered lines written in many small writes, then a success answer.
    write(
      'noisy',
      node(`let s = ''; for (let i = 0; i < 20000; i++) s += 'line ' + i + ' of the build log\\n';
process.stderr.write(s, () => process.stdout.write('{"attributes":{"done":"yes"}}'));`),
    );
    let full = '';
    for (let i = 0; i < 20000; i++) full += `line ${i} of the build log\n`;
    assert.ok(full.length > 300 * 1024);
    const o = await driver.run('noisy', request());
    assertKind(o, 'ok');
    assert.equal(Buffer.byteLength(o.stderr), 64 * 1024);
    assert.ok(full.endsWith(o.stderr), 'kept stderr must be the tail of what was written');
    assert.ok(o.stderr.endsWith('line 19999 of the build log\n'));
  });

  test('the stderr cut never splits a UTF-8 character', async () => {
    const { driver, write } = setup({ stderrLimitBytes: 1000 });
    // 'a' + 3-byte characters: a 1000-byte tail would start on the last byte of a character.
    write('euro', node(`process.stderr.write('a' + '€'.repeat(5000)); process.exitCode = 9;`));
    const o = await driver.run('euro', request());
    assertKind(o, 'retryable');
    assert.ok(!o.stderr.includes('\uFFFD'));
    assert.equal(o.stderr, '€'.repeat(333)); // 999 bytes: the partial character is dropped
  });

  test('stdout over the limit is retryable and the driver still finishes', async () => {
    const { driver, write, capture } = setup();
    write(
      'flood',
      node(`const chunk = 'z'.repeat(64 * 1024);
let n = 0; const more = () => { while (n < 40) { n++; if (!process.stdout.write(chunk)) return process.stdout.once('drain', more); }
require('fs').writeFileSync(process.env.CAPTURE + '/finished', 'yes'); }; more();`),
    );
    const o = await driver.run('flood', request());
    assertKind(o, 'retryable');
    assert.equal(o.exitCode, 0);
    assert.equal(o.message, 'driver "flood" create wrote more than 1 MiB to stdout; the answer must be one JSON object');
    assert.equal(fs.readFileSync(path.join(capture, 'finished'), 'utf8'), 'yes');
  });

  test('a valid answer just over a small limit is still rejected', async () => {
    const { driver, write } = setup({ stdoutLimitBytes: 100 });
    write('big', sh(`echo '{"attributes":{"a":"${'q'.repeat(200)}"}}'`));
    const o = await driver.run('big', request());
    assertKind(o, 'retryable');
    assert.match(o.message, /wrote more than 100 bytes to stdout/);
  });
});

describe('exec driver: process groups, timeouts, abort, shutdown', () => {
  // The driver records its own pid and a grandchild's, then hangs.
  const hang = sh(`sleep 1000 &
echo $! > "$CAPTURE/grandchild.pid"
echo $$ > "$CAPTURE/driver.pid"
echo "waiting forever" >&2
wait`);

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
    // An ignored signal stays ignored across exec, so the grandchild ignores SIGTERM too.
    write('stubborn', sh(`trap '' TERM\n${hang.replace('#!/bin/sh\n', '')}`));
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

describe('exec driver: program resolution', () => {
  function expectDriverError(fn: () => unknown, re: RegExp): void {
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof ValidationError, `not a ValidationError: ${String(err)}`);
      assert.deepEqual(err.errors[0]!.path, ['driver']);
      assert.match(err.errors[0]!.message, re);
      return true;
    });
  }

  test('plain names resolve to the real path; symlinks inside the dir are fine', () => {
    const { dir, write } = setup();
    const file = write('devbox', sh('exit 0'));
    fs.symlinkSync('devbox', path.join(dir, 'alias'));
    assert.equal(resolveDriverProgram(dir, 'devbox'), fs.realpathSync(file));
    assert.equal(resolveDriverProgram(dir, 'alias'), fs.realpathSync(file));
  });

  test('a driver dir reached through a symlink works', () => {
    const { dir, write } = setup();
    const file = write('devbox', sh('exit 0'));
    const link = path.join(tmpDir('prewarm-link-'), 'drivers');
    fs.symlinkSync(dir, link);
    assert.equal(resolveDriverProgram(link, 'devbox'), fs.realpathSync(file));
  });

  test('separators and dot names are rejected', () => {
    const { dir } = setup();
    expectDriverError(() => resolveDriverProgram(dir, 'sub/devbox'), /without path separators/);
    expectDriverError(() => resolveDriverProgram(dir, '../devbox'), /without path separators/);
    expectDriverError(() => resolveDriverProgram(dir, '..\\devbox'), /without path separators/);
    expectDriverError(() => resolveDriverProgram(dir, '/bin/sh'), /without path separators/);
    expectDriverError(() => resolveDriverProgram(dir, '..'), /not a program name/);
    expectDriverError(() => resolveDriverProgram(dir, '.'), /not a program name/);
    expectDriverError(() => resolveDriverProgram(dir, ''), /must not be empty/);
  });

  test('a symlink escaping the dir is rejected', () => {
    const { dir } = setup();
    const outside = path.join(tmpDir('prewarm-outside-'), 'evil');
    fs.writeFileSync(outside, sh('exit 0'), { mode: 0o755 });
    fs.symlinkSync(outside, path.join(dir, 'evil'));
    fs.symlinkSync('/bin/sh', path.join(dir, 'shell'));
    fs.symlinkSync('..', path.join(dir, 'up'));
    expectDriverError(() => resolveDriverProgram(dir, 'evil'), /outside the driver dir/);
    expectDriverError(() => resolveDriverProgram(dir, 'shell'), /outside the driver dir/);
    expectDriverError(() => resolveDriverProgram(dir, 'up'), /outside the driver dir/);
  });

  test('missing, dangling, not executable and not a file are rejected', () => {
    const { dir, write } = setup();
    write('plain', sh('exit 0'), 0o644);
    fs.mkdirSync(path.join(dir, 'folder'), { mode: 0o755 });
    fs.symlinkSync('nowhere', path.join(dir, 'dangling'));
    expectDriverError(() => resolveDriverProgram(dir, 'nope'), new RegExp(`^no program named "nope" in driver dir ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    expectDriverError(() => resolveDriverProgram(dir, 'dangling'), /symlink to a missing file/);
    expectDriverError(() => resolveDriverProgram(dir, 'plain'), /is not executable/);
    expectDriverError(() => resolveDriverProgram(dir, 'folder'), /is not a regular file/);
    expectDriverError(() => resolveDriverProgram(path.join(dir, 'absent-dir'), 'x'), /driver dir .* is not accessible/);
  });

  test('run(): a malformed name is permanent, a missing program retryable, neither spawns', async () => {
    const { driver } = setup();
    const bad = await driver.run('../x', request());
    assertKind(bad, 'permanent');
    assert.equal(bad.exitCode, 78);
    assert.match(bad.message, /^driver "\.\.\/x" create cannot run: .*without path separators/);
    const missing = await driver.run('nope', request());
    assertKind(missing, 'retryable');
    assert.equal(missing.exitCode, null);
    assert.match(missing.message, /^driver "nope" create cannot run: no program named "nope"/);
  });

  test('run(): a missing #! interpreter (ENOENT at spawn) is retryable with a clear message', async () => {
    const { driver, write } = setup();
    write('badinterp', '#!/nonexistent/interpreter\n');
    const o = await driver.run('badinterp', request());
    assertKind(o, 'retryable');
    assert.equal(o.exitCode, null);
    assert.match(o.message, /^driver "badinterp" create could not be started: .*badinterp or the interpreter named in its #! line was not found \(ENOENT\)$/);
    assert.equal(driver.running, 0);
  });

  test('run(): an unknown op is a programming error', async () => {
    const { driver } = setup();
    await assert.rejects(driver.run('x', request('reboot' as DriverRequest['op'])), TypeError);
  });
});

describe('exec driver: formatting', () => {
  test('formatDuration', () => {
    assert.equal(formatDuration(30 * 60 * 1000), '30m0s');
    assert.equal(formatDuration(60 * 60 * 1000), '1h0m0s');
    assert.equal(formatDuration(90 * 60 * 1000 + 1500), '1h30m1.5s');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(250), '250ms');
  });

  test('describeOutcome', () => {
    assert.equal(describeOutcome({ kind: 'ok', attributes: { path: '/x', commit: '' }, stderr: '', exitCode: 0, durationMs: 1200 }), 'ok in 1.2s (attributes: path, commit)');
    assert.equal(describeOutcome({ kind: 'permanent', message: 'bad', stderr: '', exitCode: 78, durationMs: 5 }), 'permanent failure in 5ms: bad');
    assert.equal(describeOutcome({ kind: 'retryable', message: 'later', stderr: '', exitCode: 1, durationMs: 61000 }), 'retryable failure in 1m1s: later');
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
