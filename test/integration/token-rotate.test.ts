/**
 * `prewarm token rotate` against real controller processes: through the admin socket while one runs (the old token
 * is refused at once, no restart), directly in the database while none runs, and the refusals: a socket or
 * directory others could reach, a stale socket from a killed controller, a --database that does not exist.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, jest, test } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import BetterSqlite3 from 'better-sqlite3';
import { createClient } from '../../controller/api/client';
import { ApiError } from '../../controller/api/status';
import { adminSocketPaths, requestTokenRotation } from '../../controller/auth/admin-socket';
import { exampleDrivers, startTestController } from '../helpers/controller';
import { envWithoutToken, runPrewarm, spawnPrewarm, type PrewarmProcess } from '../helpers/prewarm-process';
import { isAlive, ProcessReaper } from '../helpers/processes';

jest.setTimeout(60_000);

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('prewarm token rotate', () => {
  let dir: string;
  let db: string;
  const reaper = new ProcessReaper();
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-token-'));
    db = path.join(dir, 'prewarm.db');
  });
  afterEach(() => {
    reaper.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const env = () => envWithoutToken({ PREWARM_STATE_DIR: path.join(dir, 'state') });
  /** A controller on `db` that keeps its token in the database; resolves once it serves, with its first token. */
  const startController = async (): Promise<{ ctl: PrewarmProcess; endpoint: string; printed?: string }> => {
    const ctl = spawnPrewarm(
      ['controller', '--database', `sqlite:${db}`, '--listen', '127.0.0.1:0', '--ops-listen', '127.0.0.1:0', '--driver-dir', exampleDrivers],
      { env: env() },
    );
    reaper.track(ctl.pid);
    const started = await ctl.waitForLog('controller started');
    return { ctl, endpoint: String(started.listen), printed: /export PREWARM_TOKEN=(\S+)/.exec(ctl.stderr())?.[1] };
  };
  const stop = async (ctl: PrewarmProcess) => {
    ctl.child.kill('SIGTERM');
    assert.equal((await ctl.exited).code, 0, ctl.stderr());
  };
  const rotate = (...extra: string[]) => runPrewarm(['token', 'rotate', '--database', `sqlite:${db}`, ...extra], { env: env() });
  const exported = (stdout: string) => {
    const m = /^export PREWARM_TOKEN=(pwt_\S+)\n$/.exec(stdout);
    assert.ok(m, `one export line on stdout, got ${JSON.stringify(stdout)}`);
    return m[1];
  };
  /** 'ok', or the gRPC status code name the controller answered with. */
  const callWith = async (endpoint: string, token: string): Promise<string> => {
    const client = createClient({ endpoint, token, timeoutMs: 10_000 });
    try {
      await client.listTemplates();
      return 'ok';
    } catch (err) {
      if (err instanceof ApiError) return grpc.status[err.code];
      throw err;
    } finally {
      client.close();
    }
  };
  const storedHash = () => {
    const conn = new BetterSqlite3(db, { readonly: true });
    try {
      return (conn.prepare("select value from meta where key = 'api_token_sha256'").get() as { value: string }).value;
    } finally {
      conn.close();
    }
  };

  test('while the controller runs: the new token works at once, the old one is UNAUTHENTICATED, no restart', async () => {
    const { ctl, endpoint, printed } = await startController();
    assert.ok(printed, ctl.stderr());
    assert.equal(await callWith(endpoint, printed), 'ok');
    const { dir: adminDir, socket } = adminSocketPaths(db);
    assert.equal(fs.statSync(adminDir).mode & 0o777, 0o700);
    assert.equal(fs.statSync(socket).mode & 0o777, 0o600);

    const run = await rotate();
    assert.equal(run.code, 0, run.stderr);
    const fresh = exported(run.stdout);
    assert.notEqual(fresh, printed);
    assert.match(run.stderr, /the running controller on sqlite:.* now uses a new API token; the previous one no longer works/);
    assert.doesNotMatch(run.stderr, /pwt_/, 'the token is printed once, on stdout');

    assert.equal(await callWith(endpoint, printed), 'UNAUTHENTICATED');
    assert.equal(await callWith(endpoint, fresh), 'ok');
    assert.ok(isAlive(ctl.pid), 'the same controller process answers');
    await ctl.waitForLog(/^API token rotated through the admin socket/);

    await stop(ctl);
    assert.equal(fs.existsSync(socket), false, 'the socket is removed on shutdown');
    assert.equal(storedHash(), sha256(fresh), 'only the new token’s hash is stored, and it survives the restart');
  });

  test('with no controller running, the database is updated directly and the next start uses the new token', async () => {
    const { ctl, printed } = await startController();
    await stop(ctl);

    const run = await rotate();
    assert.equal(run.code, 0, run.stderr);
    const fresh = exported(run.stdout);
    assert.match(run.stderr, /no controller is running on sqlite:.*; stored a new API token there/);
    assert.equal(storedHash(), sha256(fresh));

    const next = await startController();
    assert.equal(next.printed, undefined, 'nothing is generated at the next start');
    assert.equal(await callWith(next.endpoint, fresh), 'ok');
    assert.equal(await callWith(next.endpoint, printed!), 'UNAUTHENTICATED');
    await stop(next.ctl);
  });

  test('a stale socket from a killed controller: rotate says so and rotates directly; a new controller replaces it', async () => {
    const { ctl } = await startController();
    ctl.child.kill('SIGKILL');
    await ctl.exited;
    const { socket } = adminSocketPaths(db);
    assert.ok(fs.lstatSync(socket).isSocket(), 'kill -9 left the socket behind');

    const run = await rotate();
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /removed the stale admin socket .*admin\.sock/);
    const direct = exported(run.stdout);
    assert.equal(fs.existsSync(socket), false);
    assert.equal(storedHash(), sha256(direct));

    // A controller killed again leaves a stale socket; the next one replaces it and answers on it.
    const second = await startController();
    second.ctl.child.kill('SIGKILL');
    await second.ctl.exited;
    assert.ok(fs.lstatSync(socket).isSocket());
    const third = await startController();
    await third.ctl.waitForLog(/^replaced a stale admin socket/);
    const viaSocket = await rotate();
    assert.equal(viaSocket.code, 0, viaSocket.stderr);
    assert.match(viaSocket.stderr, /the running controller/);
    assert.equal(await callWith(third.endpoint, exported(viaSocket.stdout)), 'ok');
    await stop(third.ctl);
  });

  test('a socket directory or socket others could reach is refused with the path, the mode and the fix', async () => {
    const { ctl, endpoint, printed } = await startController();
    const { dir: adminDir, socket } = adminSocketPaths(db);

    fs.chmodSync(adminDir, 0o755);
    const looseDir = await rotate();
    assert.equal(looseDir.code, 1, looseDir.stderr);
    assert.equal(looseDir.stdout, '');
    assert.ok(
      looseDir.stderr.includes(`refusing to use the admin socket: ${adminDir} has mode 0755; it must be 0700`) && looseDir.stderr.includes(`chmod 700 ${adminDir}`),
      looseDir.stderr,
    );
    fs.chmodSync(adminDir, 0o700);

    fs.chmodSync(socket, 0o666);
    const looseSocket = await rotate();
    assert.equal(looseSocket.code, 1, looseSocket.stderr);
    assert.ok(looseSocket.stderr.includes(`${socket} has mode 0666; it must be 0600`), looseSocket.stderr);
    fs.chmodSync(socket, 0o600);

    assert.equal(await callWith(endpoint, printed!), 'ok', 'nothing was rotated');
    assert.equal((await rotate()).code, 0, 'with the modes fixed it works');
    await stop(ctl);
  });

  test('a controller whose token comes from PREWARM_TOKEN refuses, saying to change the variable', async () => {
    const ctl = await startTestController();
    try {
      const file = ctl.running.store.description.replace(/^sqlite:/, '');
      assert.equal(ctl.running.adminSocket, adminSocketPaths(file).socket);
      await assert.rejects(requestTokenRotation(file), /refused to rotate the token: this controller takes its API token from PREWARM_TOKEN; change that variable and restart it/);
    } finally {
      await ctl.stop();
    }
  });

  test('--database naming a missing file is an error naming the flag, and creates nothing', async () => {
    const missing = path.join(dir, 'nope.db');
    const run = await runPrewarm(['token', 'rotate', '--database', `sqlite:${missing}`], { env: env() });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    assert.ok(run.stderr.includes(`--database: no database at ${missing}`), run.stderr);
    assert.deepEqual([...fs.readdirSync(dir)], []);
  });
});
