/**
 * How the exec driver runner finds a driver program in the driver dir, and what it refuses: path separators, dot
 * names, symlinks out of the dir, missing, dangling, non-executable and non-file entries.
 */
import { afterAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { resolveDriverProgram, type DriverRequest } from '../../../controller/drivers/exec';
import { ValidationError } from '../../../controller/domain/errors';
import { assertKind, removeTmpDirs, request, setup, sh, tmpDir } from './exec-setup';

afterAll(removeTmpDirs);

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
