/**
 * kill -9 the controller while the http driver waits on the example platform's long-running creates (202 +
 * Location), then start it again: the re-driven jobs carry the same Idempotency-Key, the platform answers them with
 * the operations already under way, and exactly the two instances exist, each built once.
 */
import { expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { exampleDrivers } from '../helpers/controller';
import { exited, startControllerProcess, waitForPoolSettled } from '../helpers/controller-process';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { ProcessReaper } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

const SECRET = 'crash-platform-secret-0123456789';

test('kill -9 during 202 polling: the re-drive reuses the key and no instance is built twice', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-httpcrash-'));
  const reaper = new ProcessReaper();
  try {
    const platformState = path.join(dir, 'platform');
    const platform = spawn(process.execPath, [path.join(exampleDrivers, 'http', 'platform-server.js'), '--state-dir', platformState, '--slow'], {
      env: { ...process.env, PREWARM_HTTP_DRIVER_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reaper.track(platform.pid!);
    let log = '';
    platform.stderr!.on('data', (c: Buffer) => (log += c.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      platform.stdout!.on('data', (c: Buffer) => {
        const m = /listening on (http:\/\/\S+)/.exec(c.toString());
        if (m) resolve(m[1]!);
      });
      platform.on('exit', (code) => reject(new Error(`platform exited ${code}: ${log}`)));
    });

    const specs = path.join(dir, 'specs');
    fs.mkdirSync(specs);
    fs.writeFileSync(path.join(specs, 'template.json'), JSON.stringify(templateSpec({ name: 'remote', driver: 'http', config: { url, secret_ref: 'platform' } })));
    fs.writeFileSync(path.join(specs, 'preset.json'), JSON.stringify(poolSpec('pool', 2, { template: 'remote' })));
    const secretsFile = path.join(dir, 'secrets.json');
    fs.writeFileSync(secretsFile, JSON.stringify({ platform: SECRET }), { mode: 0o600 });
    const db = path.join(dir, 'prewarm.db');
    const options = {
      database: `sqlite:${db}`,
      listen: '127.0.0.1:0',
      opsListen: '127.0.0.1:0',
      driverDir: exampleDrivers,
      secretsFile,
      reconcileIntervalMs: 100,
      apply: [specs],
    };
    const env = { ...process.env, PREWARM_TOKEN: 'http-crash-token', PREWARM_STATE_DIR: path.join(dir, 'state') };

    const first = await startControllerProcess(options, env);
    // Both creates accepted as long operations; the controller polls them only after its 2 s interval.
    await waitFor('two creates under way', () => (log.match(/^POST \/create \S+ -> 202$/gm) ?? []).length >= 2, 20_000);
    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(fs.existsSync(path.join(platformState, 'instances')) ? fs.readdirSync(path.join(platformState, 'instances')) : []).toEqual([]);

    const second = await startControllerProcess(options, env);
    await waitForPoolSettled(second.opsPort, 'remote', 'pool', 2, 30_000);
    second.child.kill('SIGTERM');
    await exited(second.child);

    const conn = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
    const live = [...conn.prepare("select id from instances where state = 'ready'").all()] as Array<{ id: string }>;
    const redriven = conn.prepare("select count(*) as n from jobs where op = 'create' and attempt > 1 and state = 'succeeded'").get() as { n: number };
    conn.close();
    expect(live).toHaveLength(2);
    expect(redriven.n).toBe(2);
    // The platform built exactly the live instances.
    expect(fs.readdirSync(path.join(platformState, 'instances')).sort()).toEqual(live.map((i) => i.id).sort());
    // Each create's key was sent before and after the crash, and only two keys were ever used for creates.
    const createKeys = [...log.matchAll(/^POST \/create (\S+) -> \d+$/gm)].map((m) => m[1]!);
    expect(new Set(createKeys).size).toBe(2);
    for (const key of new Set(createKeys)) expect(createKeys.filter((k) => k === key).length).toBeGreaterThanOrEqual(2);
  } finally {
    reaper.killAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
