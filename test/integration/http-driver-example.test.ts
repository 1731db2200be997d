/**
 * The example platform API (examples/drivers/http/platform-server.js) as a real process, driven through the http
 * driver: directories on disk appear, change and go away, a re-driven job is deduplicated by its Idempotency-Key,
 * and --slow answers create through 202 + polling.
 */
import { afterAll, describe, expect, jest, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../controller/clock/clock';
import { describeOutcome, type DriverOutcome, type DriverRequest } from '../../controller/drivers/exec';
import { createHttpDriver, type HttpDriver } from '../../controller/drivers/http/driver';
import { DriverSecrets } from '../../controller/drivers/secrets';
import { startTestController } from '../helpers/controller';
import { driverRequest, poolSpec, templateSpec } from '../helpers/fixtures';
import { ProcessReaper } from '../helpers/processes';
import { waitFor } from '../helpers/wait';

jest.setTimeout(30_000);

const SERVER = path.resolve(__dirname, '../../examples/drivers/http/platform-server.js');
const SECRET = 'example-platform-secret-0123456789';
const reaper = new ProcessReaper();
const tmpDirs: string[] = [];
afterAll(() => {
  reaper.killAll();
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Platform {
  url: string;
  state: string;
  child: ChildProcess;
  log: () => string;
}

/** Starts the example server and waits for its "listening on" line. */
async function startPlatform(...flags: string[]): Promise<Platform> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-platform-'));
  tmpDirs.push(state);
  const child = spawn(process.execPath, [SERVER, '--state-dir', state, ...flags], {
    env: { ...process.env, PREWARM_HTTP_DRIVER_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  reaper.track(child.pid!);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`platform-server exited with ${code}: ${stderr}`)));
  });
  return { url, state, child, log: () => stderr };
}

function driver(secret = SECRET): HttpDriver {
  const secrets = DriverSecrets.load({ env: { PREWARM_SECRET_PLATFORM: secret } });
  return createHttpDriver({ secrets, clock: systemClock, ownPorts: () => [], pollIntervalMs: 50, requestTimeoutMs: 10_000, timeoutMs: 20_000 });
}

let job = 0;
function request(p: Platform, op: DriverRequest['op'], over: Partial<DriverRequest> = {}): DriverRequest {
  return driverRequest(op, { instance: { id: 'inst-1', name: 'ws-1' }, config: { url: p.url, secret_ref: 'platform' }, jobId: ++job, ...over });
}

function ok(o: DriverOutcome): Record<string, string> {
  if (o.kind !== 'ok') throw new Error(`expected ok, got ${describeOutcome(o)}\n${o.stderr}`);
  return o.attributes;
}

function instance(p: Platform, id = 'inst-1'): { running: boolean } {
  return JSON.parse(fs.readFileSync(path.join(p.state, 'instances', id, 'instance.json'), 'utf8')) as { running: boolean };
}

describe('examples/drivers/http/platform-server.js through the http driver', () => {
  test('create, stop, start, delete on real directories; a re-driven create is deduplicated', async () => {
    const p = await startPlatform();
    const d = driver();
    const create = request(p, 'create');
    const attrs = ok(await d.run(create));
    const dir = path.join(p.state, 'instances', 'inst-1');
    expect(attrs).toEqual({ path: dir });
    expect(instance(p).running).toBe(true);

    // The same job again (a re-drive after a controller crash): the first answer, not a second build.
    fs.writeFileSync(path.join(dir, 'work.txt'), 'kept');
    expect(ok(await d.run({ ...create, attempt: 2 }))).toEqual(attrs);
    expect(fs.readFileSync(path.join(dir, 'work.txt'), 'utf8')).toBe('kept');

    ok(await d.run(request(p, 'stop')));
    expect(instance(p).running).toBe(false);
    ok(await d.run(request(p, 'start')));
    expect(instance(p).running).toBe(true);
    ok(await d.run(request(p, 'delete')));
    expect(fs.existsSync(dir)).toBe(false);
    // Deleting what is gone is fine; stopping it is a permanent error.
    ok(await d.run(request(p, 'delete')));
    const stop = await d.run(request(p, 'stop'));
    expect(stop.kind).toBe('permanent');
    expect(stop.kind !== 'ok' && stop.message).toMatch(/answered HTTP 422 .*: no instance inst-1$/);
  });

  test('--slow: create answers 202 and finishes when polled', async () => {
    const p = await startPlatform('--slow');
    const o = await driver().run(request(p, 'create', { instance: { id: 'inst-2', name: 'ws-2' } }));
    expect(ok(o)).toEqual({ path: path.join(p.state, 'instances', 'inst-2') });
    expect(o.stderr).toMatch(/POST .*\/create -> HTTP 202/);
    expect(o.stderr).toMatch(/GET .*\/operations\/1 -> HTTP 201/);
    expect(instance(p, 'inst-2').running).toBe(true);
  });

  test('a wrong secret is refused by the platform', async () => {
    const p = await startPlatform();
    const o = await driver('not-the-platform-secret').run(request(p, 'create'));
    expect(o.kind).toBe('retryable');
    expect(o.kind !== 'ok' && o.message).toMatch(/answered HTTP 401: bad or missing X-Prewarm-Signature \(is config\.secret_ref the secret the platform verifies with\?\)/);
    expect(fs.existsSync(path.join(p.state, 'instances', 'inst-1'))).toBe(false);
  });
});

describe('a controller with the http driver', () => {
  test('--secrets-file names the secret; a pool is built and torn down by the platform', async () => {
    const p = await startPlatform('--slow');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-http-ctl-'));
    tmpDirs.push(dir);
    const secretsFile = path.join(dir, 'secrets.json');
    fs.writeFileSync(secretsFile, JSON.stringify({ platform: SECRET }), { mode: 0o600 });
    const ctl = await startTestController({ secretsFile });
    try {
      const svc = ctl.running.service;
      await svc.putTemplate(templateSpec({ name: 'remote', driver: 'http', config: { url: p.url, secret_ref: 'platform' } }));
      await svc.putPreset(poolSpec('pool', 2, { template: 'remote' }));
      const ready = await waitFor(
        'the pool',
        async () => {
          const list = await svc.listInstances({ presetId: 'remote/pool', state: 'ready' });
          return list.length === 2 ? list : false;
        },
        20_000,
      );
      for (const i of ready) expect(fs.statSync(i.attributes.path!).isDirectory()).toBe(true);
      await svc.deletePreset('remote', 'pool');
      await waitFor('the platform to delete both', () => fs.readdirSync(path.join(p.state, 'instances')).length === 0, 20_000);

      // A secret_ref nobody configured is refused when the template is stored, naming the field.
      await expect(svc.putTemplate(templateSpec({ name: 'other', driver: 'http', config: { url: p.url, secret_ref: 'nobody' } }))).rejects.toThrow(/secret_ref/);
    } finally {
      await ctl.stop();
    }
  });

  test('a secrets file that is not JSON stops the start, naming the flag and the file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-http-bad-'));
    tmpDirs.push(dir);
    const secretsFile = path.join(dir, 'secrets.json');
    fs.writeFileSync(secretsFile, '{"platform": ', { mode: 0o600 });
    await expect(startTestController({ database: `sqlite:${path.join(dir, 'prewarm.db')}`, secretsFile })).rejects.toThrow(/--secrets-file: .*secrets\.json/);
    expect(fs.readdirSync(dir)).toEqual(['secrets.json']); // no database was made
  });
});
