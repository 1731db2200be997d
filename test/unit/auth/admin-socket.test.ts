/**
 * The admin socket on its own, with real unix sockets in a temp dir: who may reach it (modes and owner checked on
 * both sides), what happens to a socket left behind, and the one-line protocol.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, test } from '@jest/globals';
import {
  adminSocketPaths,
  privateDirProblem,
  privateSocketProblem,
  requestTokenRotation,
  startAdminSocket,
} from '../../../controller/auth/admin-socket';
import { jsonLogger, type Logger } from '../../../controller/log';

/** A logger that keeps what it was told. */
function recordingLogger(): { log: Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  return { log: jsonLogger('debug', (l) => void lines.push(l)), lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A socket file with nobody listening, as a killed process leaves it (a clean close would remove it). */
async function leaveStaleSocket(socket: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socket)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(fs.lstatSync(socket).isSocket());
  fs.chmodSync(socket, 0o600); // as the controller left it
}

describe('admin socket', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-admin-'));
    db = path.join(dir, 'prewarm.db');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('lives in <database>.admin/ (0700) as admin.sock (0600), answers rotate-token once per request, and is removed on close', async () => {
    let n = 0;
    const { log } = recordingLogger();
    const admin = await startAdminSocket(db, { rotateToken: async () => token(++n) }, log);
    const { dir: adminDir, socket } = adminSocketPaths(db);
    assert.equal(admin.path, socket);
    assert.equal(adminDir, `${db}.admin`);
    assert.equal(fs.statSync(adminDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(socket).mode & 0o777, 0o600);
    assert.deepEqual(await requestTokenRotation(db), { kind: 'rotated', token: token(1), socket });
    assert.deepEqual(await requestTokenRotation(db), { kind: 'rotated', token: token(2), socket });
    await admin.close();
    assert.equal(fs.existsSync(socket), false);
    assert.equal(fs.existsSync(adminDir), false);

    // What the client prints goes to a shell's eval: an answer that is not a generated token is refused.
    const odd = await startAdminSocket(db, { rotateToken: async () => 'pwt_x; rm -rf ~' }, log);
    await assert.rejects(requestTokenRotation(db), /refused to rotate the token: no token in its answer/);
    await odd.close();
    assert.deepEqual(await requestTokenRotation(db), { kind: 'no-socket', socket });
  });

  test("a handler's refusal reaches the client as the error message", async () => {
    const admin = await startAdminSocket(db, { rotateToken: async () => Promise.reject(new Error('takes its token from PREWARM_TOKEN')) }, recordingLogger().log);
    try {
      await assert.rejects(requestTokenRotation(db), /the running controller refused to rotate the token: takes its token from PREWARM_TOKEN/);
    } finally {
      await admin.close();
    }
  });

  test('a stale socket: the client reports it; the server (which holds the database lock) replaces it and logs so', async () => {
    const { dir: adminDir, socket } = adminSocketPaths(db);
    fs.mkdirSync(adminDir, { mode: 0o700 });
    await leaveStaleSocket(socket);
    assert.deepEqual(await requestTokenRotation(db), { kind: 'stale', socket });

    const rec = recordingLogger();
    const admin = await startAdminSocket(db, { rotateToken: async () => token(7) }, rec.log);
    try {
      assert.ok(rec.lines().some((l) => l.msg === 'replaced a stale admin socket left by a controller that did not shut down cleanly' && l.socket === socket));
      assert.equal((await requestTokenRotation(db)).kind, 'rotated');
    } finally {
      await admin.close();
    }
  });

  test('the client refuses a directory or socket that others can reach, naming path, mode and fix', async () => {
    const admin = await startAdminSocket(db, { rotateToken: async () => 'pwt_x' }, recordingLogger().log);
    const { dir: adminDir, socket } = adminSocketPaths(db);
    try {
      fs.chmodSync(adminDir, 0o750);
      assert.equal(privateDirProblem(adminDir), `${adminDir} has mode 0750; it must be 0700 (only its owner may enter it)`);
      await assert.rejects(requestTokenRotation(db), (err: Error) => {
        assert.ok(err.message.startsWith(`refusing to use the admin socket: ${adminDir} has mode 0750`), err.message);
        assert.ok(err.message.includes(`chmod 700 ${adminDir}`));
        return true;
      });
      fs.chmodSync(adminDir, 0o700);
      fs.chmodSync(socket, 0o660);
      assert.equal(privateSocketProblem(socket), `${socket} has mode 0660; it must be 0600`);
      await assert.rejects(requestTokenRotation(db), /refusing to use the admin socket: .*admin\.sock has mode 0660; it must be 0600/);
    } finally {
      await admin.close();
    }
  });

  test('the server makes a directory of its own private again, with a warning, and refuses a path that is not a socket', async () => {
    const { dir: adminDir, socket } = adminSocketPaths(db);
    fs.mkdirSync(adminDir);
    fs.chmodSync(adminDir, 0o777);
    const rec = recordingLogger();
    const admin = await startAdminSocket(db, { rotateToken: async () => 'pwt_x' }, rec.log);
    await admin.close();
    const warning = rec.lines().find((l) => l.level === 'warn');
    assert.equal(warning?.msg, 'the admin socket directory was accessible to other users; made it private (0700)');
    assert.equal(warning?.was, '0777');

    fs.mkdirSync(adminDir, { mode: 0o700 });
    fs.writeFileSync(socket, 'not a socket');
    await assert.rejects(startAdminSocket(db, { rotateToken: async () => 'pwt_x' }, rec.log), new RegExp(`${socket.replace(/\./g, '\\.')} exists and is not a socket; remove it`));
  });

  test('a path too long for a unix socket is refused with the path named', async () => {
    const deep = path.join(dir, 'd'.repeat(120), 'prewarm.db');
    await assert.rejects(startAdminSocket(deep, { rotateToken: async () => 'x' }, recordingLogger().log), /admin socket path .* is longer than the 10\d bytes/);
  });
});

/** A token of the shape generateToken() makes (pwt_ and 43 base64url characters), numbered for the assertions. */
function token(n: number): string {
  return `pwt_${String(n).repeat(43).slice(0, 43)}`;
}
