import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from '@jest/globals';
import { runCli } from '../../helpers/cli-harness';

describe('prewarm token', () => {
  test('"prewarm token --help" lists rotate with what it does', async () => {
    const r = await runCli(['token', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: prewarm token COMMAND/);
    assert.match(r.stdout, /token rotate +Replace the controller's API token \(running or not\) and print the new one once/);
    const overview = await runCli(['--help']);
    assert.match(overview.stdout, /token rotate/);
  });

  test('"prewarm token rotate --help" explains both paths, the socket and its permissions, and the flag', async () => {
    const r = await runCli(['token', 'rotate', '--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const text of [
      'Usage: prewarm token rotate [flags]',
      'stores only its SHA-256 hash',
      '<database>.admin/admin.sock',
      'a 0700 directory and a 0600 socket',
      'switches to the new token at once, no restart',
      'When none is running, the database is updated directly',
      '--database URL',
      'default sqlite:./prewarm.db',
    ]) {
      assert.ok(r.stdout.includes(text), `help mentions ${JSON.stringify(text)}:\n${r.stdout}`);
    }
  });

  test('--database: a missing file, an in-memory database and a foreign scheme are usage errors naming the flag', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-token-cli-'));
    try {
      const missing = path.join(dir, 'missing.db');
      let r = await runCli(['token', 'rotate', '--database', `sqlite:${missing}`]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `prewarm: --database: no database at ${missing} (from sqlite:${missing}); pass the --database the controller runs with\n`);
      assert.deepEqual([...fs.readdirSync(dir)], [], 'nothing was created');
      r = await runCli(['token', 'rotate', '--database', 'sqlite::memory:']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^prewarm: --database: an in-memory database/);
      r = await runCli(['token', 'rotate', '--database', 'mysql://x']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^prewarm: --database: unsupported URL "mysql:\/\/x"/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
