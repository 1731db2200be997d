/**
 * The exec driver runner against real driver scripts: what a driver is given (argument, stdin, cwd, env), how its
 * answer and exit code become an outcome, and the bounds on what it may write.
 */
import { afterAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ExecDriver } from '../../../controller/drivers/exec';
import { assertKind, node, removeTmpDirs, request, setup, sh } from './exec-setup';

afterAll(removeTmpDirs);

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

  test("the controller's secrets never reach a driver", async () => {
    const { dir, capture } = setup();
    const secrets = { PREWARM_TOKEN: 'pwt_x', PREWARM_DATABASE: 'postgres://u:pw@h/db', PREWARM_SECRET_KEY: 'k'.repeat(64), PREWARM_SECRET_PLATFORM: 'signing' };
    const saved = { ...process.env };
    // A setting that is not a secret, set the same way, shows the environment does reach the driver.
    Object.assign(process.env, secrets, { PREWARM_VISIBLE_SETTING: 'yes' });
    try {
      const driver = new ExecDriver({ driverDir: dir, env: { CAPTURE: capture } });
      fs.writeFileSync(path.join(dir, 'env'), sh('env | grep "^PREWARM_" | sort > "$CAPTURE/env"'), { mode: 0o755 });
      assertKind(await driver.run('env', request('create')), 'ok');
    } finally {
      for (const name of [...Object.keys(secrets), 'PREWARM_VISIBLE_SETTING']) if (!(name in saved)) delete process.env[name];
    }
    const env = fs.readFileSync(path.join(capture, 'env'), 'utf8');
    assert.match(env, /^PREWARM_VISIBLE_SETTING=yes$/m);
    for (const name of Object.keys(secrets)) assert.doesNotMatch(env, new RegExp(`^${name}=`, 'm'));
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
