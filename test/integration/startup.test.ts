/**
 * `prewarm controller` start-up, as a real process: both addresses are bound before the database is touched (a
 * taken port writes nothing and prints no token), every start says how to rotate the stored token, and a
 * non-loopback ops address is warned about.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, jest, test } from '@jest/globals';
import { openStore } from '../../controller/store/store';
import { systemClock } from '../../controller/clock/clock';
import { exampleDrivers } from '../helpers/controller';
import { envWithoutToken, runPrewarm, spawnPrewarm, type PrewarmProcess } from '../helpers/prewarm-process';
import { ProcessReaper } from '../helpers/processes';

jest.setTimeout(60_000);

/** A TCP listener on a free loopback port, standing in for whatever else holds the port. */
async function occupyPort(): Promise<{ address: string; close(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  return { address: `127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('controller start-up', () => {
  let dir: string;
  let db: string;
  const reaper = new ProcessReaper();
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-startup-'));
    db = path.join(dir, 'prewarm.db');
  });
  afterEach(() => {
    reaper.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const controllerArgs = (over: { listen?: string; ops?: string } = {}, extra: string[] = []) => [
    'controller',
    '--database', `sqlite:${db}`,
    '--listen', over.listen ?? '127.0.0.1:0',
    '--ops-listen', over.ops ?? '127.0.0.1:0',
    '--driver-dir', exampleDrivers,
    ...extra,
  ];
  const startController = (args: string[]): PrewarmProcess => {
    const p = spawnPrewarm(args, { env: envWithoutToken({ PREWARM_STATE_DIR: path.join(dir, 'state') }) });
    reaper.track(p.pid);
    return p;
  };
  const stop = async (p: PrewarmProcess) => {
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0, p.stderr());
  };

  test('with the API port taken, a fresh database path fails naming --listen and the address, and nothing is written', async () => {
    const taken = await occupyPort();
    try {
      const run = await runPrewarm(controllerArgs({ listen: taken.address }), { env: envWithoutToken() });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`--listen: cannot listen on ${taken.address.replace(/\./g, '\\.')}\\b.*address already in use`));
      assert.doesNotMatch(run.stderr + run.stdout, /pwt_|PREWARM_TOKEN=/, 'no token was generated or printed');
      assert.deepEqual([...fs.readdirSync(dir)], [], 'no database file (nor WAL, nor admin socket) was created');
    } finally {
      await taken.close();
    }
  });

  test('with the ops port taken, the same: --ops-listen and the address named, nothing written', async () => {
    const taken = await occupyPort();
    try {
      const run = await runPrewarm(controllerArgs({ ops: taken.address }), { env: envWithoutToken() });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, new RegExp(`--ops-listen: cannot listen on ${taken.address.replace(/\./g, '\\.')}: address already in use`));
      assert.doesNotMatch(run.stderr + run.stdout, /pwt_|PREWARM_TOKEN=/);
      assert.deepEqual([...fs.readdirSync(dir)], []);
    } finally {
      await taken.close();
    }
  });

  test('with the API port taken, --rotate-token on an existing database leaves the stored token alone', async () => {
    const store = await openStore(`sqlite:${db}`, { exclusive: true, clock: systemClock });
    await store.setTokenHash('ab'.repeat(32));
    await store.close();
    const taken = await occupyPort();
    try {
      const run = await runPrewarm(controllerArgs({ listen: taken.address }, ['--rotate-token']), { env: envWithoutToken() });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /--listen: cannot listen on/);
      assert.doesNotMatch(run.stderr + run.stdout, /pwt_|PREWARM_TOKEN=/);
    } finally {
      await taken.close();
    }
    const after = await openStore(`sqlite:${db}`, { exclusive: true, clock: systemClock });
    try {
      assert.equal(await after.tokenHash(), 'ab'.repeat(32));
    } finally {
      await after.close();
    }
  });

  test('every start says a token is stored and how to rotate it, without printing it again', async () => {
    const first = startController(controllerArgs());
    await first.waitForLog('controller started');
    assert.match(first.stderr(), /export PREWARM_TOKEN=pwt_/, 'the first start prints the generated token once');
    assert.match(first.stderr(), /prewarm token rotate --database sqlite:/);
    await stop(first);

    const second = startController(controllerArgs());
    await second.waitForLog('controller started');
    const lines = second.stderr().split('\n').filter((l) => !l.startsWith('{') && l.trim() !== '');
    assert.equal(lines.length, 1, second.stderr());
    assert.match(lines[0], /^prewarm: an API token is stored for this database .*prewarm token rotate --database sqlite:.*prewarm\.db$/);
    assert.doesNotMatch(second.stderr(), /pwt_/);
    await stop(second);
  });

  test('an ops address that is not loopback is warned about at start; loopback is not', async () => {
    const opsWarning = /^the ops port listens on a non-loopback address/;
    const open = startController(controllerArgs({ ops: '0.0.0.0:0' }));
    await open.waitForLog('controller started');
    const warning = open.logs().find((l) => typeof l.msg === 'string' && opsWarning.test(l.msg));
    assert.ok(warning, open.stderr());
    assert.equal(warning.level, 'warn');
    assert.equal(warning.ops, '0.0.0.0:0');
    assert.match(String(warning.msg), /\/metrics .*without authentication|without authentication.*\/metrics/);
    assert.match(String(warning.msg), /--ops-listen 127\.0\.0\.1:PORT/);
    await stop(open);

    const local = startController(controllerArgs({ ops: '127.0.0.1:0' }));
    await local.waitForLog('controller started');
    assert.equal(local.logs().filter((l) => typeof l.msg === 'string' && opsWarning.test(l.msg)).length, 0, local.stderr());
    await stop(local);
  });
});
