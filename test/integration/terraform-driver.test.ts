/**
 * The built-in terraform driver with the real terraform CLI: the example module (examples/drivers/terraform) builds a
 * home directory and serves it on loopback while started; test modules cover configuration errors, a failure that
 * passes on the next try, a terraform left running by a controller that died, shutdown and timeouts.
 */
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../controller/clock/clock';
import { describeOutcome, type DriverOutcome, type DriverRequest } from '../../controller/drivers/exec';
import { TerraformDriver, prepareTerraformRoot, type TerraformDriverOptions } from '../../controller/drivers/terraform/terraform-driver';
import { here } from '../../controller/drivers/terraform/workdir';
import { driverRequest } from '../helpers/fixtures';
import { isAlive, processesMentioning } from '../helpers/processes';
import { skipping } from '../helpers/skip';
import { terraformPath } from '../helpers/terraform';
import { waitFor } from '../helpers/wait';

jest.setTimeout(60_000);

const EXAMPLE = path.resolve(__dirname, '../../examples/drivers/terraform/workspace');
const hasTerraform = terraformPath() !== undefined;

let base: string;
let modules: string;
const roots: string[] = [];

function module(name: string, files: Record<string, string>): void {
  const dir = path.join(modules, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
}

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tfdriver-'));
  modules = path.join(base, 'modules');
  fs.mkdirSync(modules);
  fs.cpSync(EXAMPLE, path.join(modules, 'workspace'), { recursive: true });
  module('syntax', { 'main.tf': 'resource "terraform_data" "x" {\n  input =\n}\n' });
  module('undeclared', { 'main.tf': 'output "x" { value = terraform_data.nope.id }\n' });
  module('needs-var', { 'main.tf': 'variable "region" { type = string }\nresource "terraform_data" "x" { input = var.region }\n' });
  // Fails the first apply in each instance directory, succeeds from then on: a retryable failure.
  module('flaky', {
    'main.tf': [
      'resource "terraform_data" "x" {',
      '  provisioner "local-exec" {',
      '    command = "if [ ! -f ${abspath(path.root)}/tried ]; then touch ${abspath(path.root)}/tried; echo transient outage >&2; exit 1; fi"',
      '  }',
      '}',
      'output "tries" { value = "2" }',
      '',
    ].join('\n'),
  });
  // Sleeps as long as its `seconds` variable says, while holding the state lock.
  module('slow', {
    'main.tf': [
      'variable "seconds" {',
      '  type    = string',
      '  default = "0"',
      '}',
      'resource "terraform_data" "x" {',
      '  triggers_replace = var.seconds',
      '  provisioner "local-exec" { command = "sleep ${var.seconds}" }',
      '}',
      '',
    ].join('\n'),
  });
});

afterAll(() => {
  // Servers the example started and that a failed test did not stop.
  for (const pid of pidsMentioning(base)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  fs.rmSync(base, { recursive: true, force: true });
});

/** The pids of live processes whose command line mentions `text`. */
function pidsMentioning(text: string): number[] {
  return processesMentioning(text).map((p) => p.pid);
}

function driver(opts: Partial<Pick<TerraformDriverOptions, 'timeoutMs' | 'killGraceMs' | 'replica' | 'foreignSilenceMs'>> = {}): {
  driver: TerraformDriver;
  root: string;
} {
  const root = fs.mkdtempSync(path.join(base, 'root-'));
  roots.push(root);
  prepareTerraformRoot(root, systemClock.now());
  return { driver: new TerraformDriver({ modulesDir: modules, root, clock: systemClock, ...opts }), root };
}

let seq = 0;
function request(op: DriverRequest['op'], moduleName: string, over: Partial<DriverRequest> = {}): DriverRequest {
  return driverRequest(op, { instance: { id: `inst-${++seq}`, name: `ws-${seq}` }, config: { module: moduleName }, parameters: {}, ...over });
}

function ok(o: DriverOutcome): Record<string, string> {
  if (o.kind !== 'ok') throw new Error(`expected ok, got ${describeOutcome(o)}\n${o.stderr}`);
  return o.attributes;
}

/** The message of a failed outcome (the test fails if it succeeded). */
function message(o: DriverOutcome): string {
  if (o.kind === 'ok') throw new Error(`expected a failure, got ${describeOutcome(o)}`);
  return o.message;
}

/**
 * A terraform apply of the `slow` module in `dir`, outside any driver, in its own process group: it holds the state
 * lock for two minutes, as a terraform whose controller died (or that runs on another host) would.
 */
function lockHolder(dir: string): ChildProcess {
  const child = spawn('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], {
    cwd: dir,
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, TF_VAR_seconds: '120', TF_IN_AUTOMATION: '1' },
  });
  child.unref();
  return child;
}

function get(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', () => resolve(null));
  });
}

(skipping(hasTerraform ? false : 'terraform is not on PATH', 'the terraform driver tests') ? describe.skip : describe)('terraform driver', () => {
  test('create, stop, start and delete an instance of the example module', async () => {
    const { driver: d, root } = driver();
    const create = request('create', 'workspace', { parameters: { greeting: 'hi' } });
    const dir = path.join(root, 'instances', create.instance.id);

    const attrs = ok(await d.run(create));
    expect(attrs['state']).toBe('running');
    expect(attrs['home']).toBe(path.join(dir, 'home'));
    expect(attrs['url']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await get(attrs['url']!)).toBe(`hi from ${create.instance.name}\n`);
    expect(fs.existsSync(path.join(dir, 'terraform.tfstate'))).toBe(true);
    // Nothing of a finished run is left behind.
    expect(fs.existsSync(path.join(dir, '.prewarm-run.json'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info'))).toBe(false);

    const same = { instance: create.instance, config: create.config, parameters: create.parameters };
    const stopped = ok(await d.run(request('stop', 'workspace', same)));
    expect(stopped['state']).toBe('stopped');
    expect(await get(attrs['url']!)).toBeNull();
    expect(fs.existsSync(path.join(dir, 'home', 'index.html'))).toBe(true);

    const started = ok(await d.run(request('start', 'workspace', same)));
    expect(started['state']).toBe('running');
    expect(await get(attrs['url']!)).toBe(`hi from ${create.instance.name}\n`);

    ok(await d.run(request('delete', 'workspace', same)));
    expect(fs.existsSync(dir)).toBe(false);
    expect(await get(attrs['url']!)).toBeNull();
    expect(pidsMentioning(dir)).toEqual([]);
  });

  test('a create run again on the same instance (a re-drive) changes nothing and answers the same attributes', async () => {
    const { driver: d } = driver();
    const create = request('create', 'workspace');
    const first = ok(await d.run(create));
    const again = await d.run({ ...create, attempt: 2 });
    expect(ok(again)).toEqual(first);
    expect(again.stderr).toMatch(/0 added, 0 changed, 0 destroyed/);
    expect(pidsMentioning(path.join(first['home']!, '..'))).toHaveLength(1);
    ok(await d.run({ ...create, op: 'delete' }));
  });

  test('a delete of an instance that never got a working directory succeeds', async () => {
    const { driver: d } = driver();
    const outcome = await d.run(request('delete', 'workspace'));
    expect(ok(outcome)).toEqual({});
    expect(outcome.stderr).toMatch(/no working directory: nothing was created/);
  });

  test.each([
    ['syntax', /configuration error/],
    ['undeclared', /validate: Reference to undeclared resource|configuration error/],
    ['needs-var', /No value for required variable/],
  ])('a module with a configuration error (%s) is a permanent failure', async (name, expected) => {
    const { driver: d } = driver();
    const outcome = await d.run(request('create', name));
    expect(outcome.kind).toBe('permanent');
    expect(outcome.exitCode).toBe(78);
    expect(message(outcome)).toMatch(expected);
    expect(message(outcome)).toMatch(/^driver "terraform" create: /);
    expect(outcome.stderr).toMatch(/Error: /);
  });

  test('the failed create of a broken module can still be deleted: its state holds nothing', async () => {
    const { driver: d, root } = driver();
    for (const name of ['syntax', 'needs-var']) {
      const create = request('create', name);
      expect((await d.run(create)).kind).toBe('permanent');
      const outcome = await d.run({ ...create, op: 'delete' });
      expect(ok(outcome)).toEqual({});
      expect(outcome.stderr).toMatch(/the state holds no resources: nothing to destroy/);
      expect(fs.existsSync(path.join(root, 'instances', create.instance.id))).toBe(false);
      // A re-drive of that delete finds the instance already destroyed.
      expect((await d.run({ ...create, op: 'delete', attempt: 2 })).stderr).toMatch(/already destroyed/);
    }
  });

  test('a working directory that vanished after its create is not taken for "nothing to destroy"', async () => {
    const { driver: d, root } = driver();
    const create = request('create', 'slow');
    ok(await d.run(create));
    fs.rmSync(path.join(root, 'instances', create.instance.id), { recursive: true });
    const outcome = await d.run({ ...create, op: 'delete' });
    expect(outcome.kind).toBe('retryable');
    expect(message(outcome)).toMatch(/is gone although the instance was created there, so resources it made may still exist/);
    const stop = await d.run({ ...create, op: 'stop' });
    expect(stop.kind).toBe('retryable');
  });

  test('later operations use the instance\'s copy: a module removed from the modules dir does not stop them', async () => {
    const { driver: d } = driver();
    module('doomed', { 'main.tf': 'resource "terraform_data" "x" {}\noutput "v" { value = "1" }\n' });
    const create = request('create', 'doomed');
    ok(await d.run(create));
    fs.rmSync(path.join(modules, 'doomed'), { recursive: true });
    expect(ok(await d.run({ ...create, op: 'stop' }))).toEqual({ v: '1' });
    ok(await d.run({ ...create, op: 'delete' }));
    // A create needs the module, and its absence is the modules dir's to fix: retryable.
    const again = await d.run(request('create', 'doomed'));
    expect(again.kind).toBe('retryable');
    expect(message(again)).toMatch(/config\.module: no directory "doomed"/);
  });

  test('a failure that passes on the next try is retryable, and the next try succeeds', async () => {
    const { driver: d } = driver();
    const create = request('create', 'flaky');
    const first = await d.run(create);
    expect(first.kind).toBe('retryable');
    expect(message(first)).toMatch(/terraform apply failed with exit code 1/);
    expect(first.stderr).toMatch(/transient outage/);
    expect(ok(await d.run({ ...create, attempt: 2 }))).toEqual({ tries: '2' });
  });

  test('a terraform left running by a controller that died is interrupted, waited for, and its lock cleared', async () => {
    const { driver: d, root } = driver({ killGraceMs: 5_000 });
    const create = request('create', 'slow');
    ok(await d.run(create));
    const dir = path.join(root, 'instances', create.instance.id);
    // What a killed controller leaves: its terraform still applying (holding the state lock), recorded in the run
    // record it wrote when it started the command.
    const orphan = lockHolder(dir);
    fs.writeFileSync(path.join(dir, '.prewarm-run.json'), JSON.stringify({ pgid: orphan.pid, startTicks: null, op: 'apply', ...here() }));
    await waitFor('the orphan to hold the state lock', () => fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info')), 20_000);

    const started = Date.now();
    const outcome = await d.run({ ...create, op: 'start', attempt: 2 });
    ok(outcome);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(outcome.stderr).toMatch(/from before a restart is still running; interrupting it/);
    expect(isAlive(orphan.pid!)).toBe(false);
    expect(fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.prewarm-run.json'))).toBe(false);
    ok(await d.run({ ...create, op: 'delete' }));
  });

  test("a run record from another host is left alone (retryable); one from an earlier boot is stale", async () => {
    const { driver: d, root } = driver();
    const create = request('create', 'slow');
    ok(await d.run(create));
    const dir = path.join(root, 'instances', create.instance.id);
    const recordFile = path.join(dir, '.prewarm-run.json');
    const bystander = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    bystander.unref();
    try {
      fs.writeFileSync(recordFile, JSON.stringify({ pgid: bystander.pid, startTicks: null, op: 'apply', host: 'elsewhere.example', bootId: null }));
      const there = await d.run({ ...create, op: 'stop' });
      expect(there.kind).toBe('retryable');
      expect(message(there)).toMatch(/started for this instance on "elsewhere\.example" may still be running there; once it has stopped, remove .*\.prewarm-run\.json/);
      expect(fs.existsSync(recordFile)).toBe(true);
      expect(isAlive(bystander.pid!)).toBe(true);

      // The same host, another boot: whatever holds that process id now is not the terraform that was recorded.
      fs.writeFileSync(recordFile, JSON.stringify({ pgid: bystander.pid, startTicks: null, op: 'apply', host: os.hostname(), bootId: 'an-earlier-boot' }));
      ok(await d.run({ ...create, op: 'stop', attempt: 2 }));
      expect(isAlive(bystander.pid!)).toBe(true);
      expect(fs.existsSync(recordFile)).toBe(false);
    } finally {
      process.kill(bystander.pid!, 'SIGKILL');
    }
  });

  test('a record from another host is waited for while its replica runs, and let go once it does not and the run has been silent; a terraform still running there holds its state lock', async () => {
    let replicas: 'r-old alive' | 'r-old gone' | 'database away' = 'r-old alive';
    const alive = async (id: string) => {
      if (replicas === 'database away') throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      return replicas === 'r-old alive' && id === 'r-old';
    };
    const { driver: d, root } = driver({ replica: { id: 'r-here', alive }, foreignSilenceMs: 60_000 });
    const create = request('create', 'slow', { parameters: { seconds: '2' } });
    const dir = path.join(root, 'instances', create.instance.id);
    const recordFile = path.join(dir, '.prewarm-run.json');
    const outputLog = path.join(dir, '.prewarm-output.log');
    const creating = d.run(create);
    // The record of a running command names this host and this replica.
    const recorded = await waitFor('the apply\'s run record', () => {
      const text = fs.existsSync(recordFile) ? fs.readFileSync(recordFile, 'utf8') : '';
      return text.includes('"op":"apply"') ? JSON.parse(text) : false;
    }, 20_000);
    expect(recorded).toMatchObject({ host: os.hostname(), replica: 'r-here' });
    ok(await creating);
    const foreign = { pgid: 4_000_000, startTicks: null, op: 'apply', host: 'elsewhere.example', bootId: null, replica: 'r-old' };
    /** What a replica on another host leaves when it dies in the middle of a run, last written `agoMs` ago. */
    const leftBehind = (agoMs: number) => {
      fs.writeFileSync(recordFile, JSON.stringify(foreign));
      fs.writeFileSync(outputLog, 'terraform_data.x: Still creating... [10s elapsed]\n');
      const then = new Date(Date.now() - agoMs);
      for (const f of [recordFile, outputLog]) fs.utimesSync(f, then, then);
    };
    let attempt = 1;
    const stop = (signal?: AbortSignal) => d.run({ ...create, op: 'stop', attempt: ++attempt }, signal);

    // Its replica runs (or the database cannot say): the operation waits, and says for what when it is stopped.
    leftBehind(10 * 60_000);
    const whileAlive = await stop(AbortSignal.timeout(2_500));
    expect(whileAlive.kind).toBe('retryable');
    expect(message(whileAlive)).toMatch(/while waiting for terraform apply \(process group 4000000\) started for this instance on "elsewhere\.example" by replica "r-old", which is still running/);
    expect(fs.existsSync(recordFile)).toBe(true);
    replicas = 'database away';
    const unknown = await stop(AbortSignal.timeout(2_500));
    expect(message(unknown)).toMatch(/by replica "r-old": whether that replica still runs is not known \(connect ECONNREFUSED/);

    // The live replica stops its terraform and clears the record itself: the wait ends and the operation goes on.
    replicas = 'r-old alive';
    const waiting = stop();
    await new Promise((r) => setTimeout(r, 2_500));
    fs.rmSync(recordFile);
    const afterClear = await waiting;
    ok(afterClear);
    expect(afterClear.stderr).toMatch(/waiting for terraform apply .* by replica "r-old", which is still running/);

    // Its replica no longer runs, but the run wrote output moments ago: waited for until it has been silent long enough.
    replicas = 'r-old gone';
    leftBehind(57_000);
    const startedAt = Date.now();
    const silent = await stop();
    ok(silent);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(2_000);
    expect(silent.stderr).toMatch(/that replica is no longer running, and the run counts as ended once it has written nothing for 60 s/);
    expect(silent.stderr).toMatch(/that replica is no longer running and the run has written nothing for 6\d s, so it counts as ended/);
    expect(silent.stderr).toMatch(/output of that terraform apply:\nterraform_data\.x: Still creating/);
    expect(fs.existsSync(recordFile)).toBe(false);

    // Silent long enough, but that terraform is in fact still running (a file system that shares locks between hosts
    // shows its state lock here): the command here fails on the lock, retryably. A delete on empty state runs destroy
    // for that lock instead of removing the directory.
    execFileSync('terraform', ['destroy', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env: { ...process.env, TF_VAR_seconds: '2' }, stdio: 'ignore' });
    const stillRunning = lockHolder(dir);
    try {
      await waitFor('the other terraform to hold the state lock', () => fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info')), 20_000);
      leftBehind(10 * 60_000);
      const locked = await stop();
      expect(locked.kind).toBe('retryable');
      expect(locked.stderr).toMatch(/Error acquiring the state lock/);
      leftBehind(10 * 60_000);
      const deleting = await d.run({ ...create, op: 'delete' });
      expect(deleting.kind).toBe('retryable');
      expect(deleting.stderr).toMatch(/Error acquiring the state lock/);
      expect(fs.existsSync(path.join(dir, 'main.tf'))).toBe(true);
      // The next try finds no record any more, but the lock description still sends it through destroy.
      expect(fs.existsSync(recordFile)).toBe(false);
      const again = await d.run({ ...create, op: 'delete', attempt: 2 });
      expect(again.kind).toBe('retryable');
      expect(again.stderr).toMatch(/Error acquiring the state lock/);
      expect(fs.existsSync(path.join(dir, 'main.tf'))).toBe(true);
      expect(isAlive(stillRunning.pid!)).toBe(true);
    } finally {
      process.kill(-stillRunning.pid!, 'SIGKILL');
    }
    await waitFor('the other terraform to be gone', () => !isAlive(stillRunning.pid!), 10_000);

    // Ended for real (its lock description is left behind, as after a crash): the next try goes on and succeeds.
    leftBehind(10 * 60_000);
    expect(fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info'))).toBe(true);
    ok(await stop());
    expect(fs.existsSync(recordFile)).toBe(false);
    expect(fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info'))).toBe(false);
    ok(await d.run({ ...create, op: 'delete' }));
    expect(fs.existsSync(dir)).toBe(false);
  }, 180_000);

  test('a broken module\'s instance with another host\'s run let go is still deleted: destroy is refused on configuration, nothing was built', async () => {
    const { driver: d, root } = driver({ replica: { id: 'r-here', alive: async () => false }, foreignSilenceMs: 60_000 });
    const create = request('create', 'syntax');
    expect((await d.run(create)).kind).toBe('permanent');
    const dir = path.join(root, 'instances', create.instance.id);
    const recordFile = path.join(dir, '.prewarm-run.json');
    fs.writeFileSync(recordFile, JSON.stringify({ pgid: 4_000_000, startTicks: null, op: 'init', host: 'elsewhere.example', bootId: null, replica: 'r-old' }));
    const then = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(recordFile, then, then);
    fs.rmSync(path.join(dir, '.prewarm-output.log'), { force: true });
    const deleted = await d.run({ ...create, op: 'delete' });
    ok(deleted);
    expect(deleted.stderr).toMatch(/so it counts as ended/);
    expect(deleted.stderr).toMatch(/the module has a configuration error: nothing to destroy/);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('a replica that no longer leads starts no terraform command; once it leads again the operation runs', async () => {
    let leading = false;
    const { driver: d, root } = driver({ replica: { id: 'r-here', alive: async () => true, leads: () => leading } });
    const create = request('create', 'slow');
    const dir = path.join(root, 'instances', create.instance.id);
    const refused = await d.run(create);
    expect(refused.kind).toBe('retryable');
    expect(message(refused)).toMatch(/did not start terraform init: this replica no longer leads, and the leader runs the operation again/);
    expect(fs.existsSync(path.join(dir, '.terraform'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '.prewarm-run.json'))).toBe(false);
    leading = true;
    ok(await d.run({ ...create, attempt: 2 }));
    ok(await d.run({ ...create, op: 'delete' }));
  });

  test('an operation stopped while it waits for another on the same instance lets the next one wait too', async () => {
    const { driver: d } = driver({ killGraceMs: 5_000 });
    const create = request('create', 'slow', { parameters: { seconds: '3' } });
    const first = d.run(create);
    const aborter = new AbortController();
    const queued = d.run({ ...create, op: 'stop' }, aborter.signal);
    await new Promise((r) => setTimeout(r, 300));
    aborter.abort('the test gave up');
    const given = await queued;
    expect(given.kind).toBe('retryable');
    expect(message(given)).toMatch(/was aborted \(the test gave up\) while waiting for another operation on this instance/);
    // The next operation must still wait for the create, not take its terraform for a leftover and interrupt it.
    const next = d.run({ ...create, op: 'stop', attempt: 2 });
    ok(await first);
    const after = await next;
    ok(after);
    expect(after.stderr).not.toMatch(/interrupting it/);
  });

  test('a create whose module copy fails leaves nothing a delete must wait for', async () => {
    const { driver: d, root } = driver();
    module('dangling', { 'main.tf': 'resource "terraform_data" "x" {}\n' });
    fs.symlinkSync(path.join(base, 'nowhere'), path.join(modules, 'dangling', 'data.txt'));
    const create = request('create', 'dangling');
    const outcome = await d.run(create);
    expect(outcome.kind).toBe('retryable');
    expect(fs.existsSync(path.join(root, 'instances', create.instance.id))).toBe(false);
    expect(ok(await d.run({ ...create, op: 'delete' }))).toEqual({});
  });

  test('shutdown interrupts a running apply (retryable) and a later run converges', async () => {
    const { driver: d, root } = driver({ killGraceMs: 5_000 });
    const create = request('create', 'slow', { parameters: { seconds: '60' } });
    const running = d.run(create);
    const dir = path.join(root, 'instances', create.instance.id);
    await waitFor('apply to start', () => fs.existsSync(path.join(dir, '.terraform.tfstate.lock.info')), 20_000);
    expect(d.running).toBe(1);
    d.killRunning();
    const outcome = await running;
    expect(outcome.kind).toBe('retryable');
    expect(message(outcome)).toMatch(/interrupted by controller shutdown/);
    expect(pidsMentioning(dir)).toEqual([]);
    expect(d.running).toBe(0);
    ok(await d.run({ ...create, parameters: { seconds: '0' }, attempt: 2 }));
    ok(await d.run({ ...create, op: 'delete' }));
  });

  test('an apply past the driver timeout is killed with its process group (retryable)', async () => {
    const { driver: d, root } = driver({ timeoutMs: 3_000, killGraceMs: 2_000 });
    const create = request('create', 'slow', { parameters: { seconds: '60' } });
    const outcome = await d.run(create);
    expect(outcome.kind).toBe('retryable');
    expect(message(outcome)).toMatch(/timed out after 3s/);
    const dir = path.join(root, 'instances', create.instance.id);
    await waitFor('the process group to be gone', () => pidsMentioning(dir).length === 0, 10_000);
  });

  test('after killAll nothing starts', async () => {
    const { driver: d } = driver();
    d.killAll();
    const outcome = await d.run(request('create', 'workspace'));
    expect(outcome.kind).toBe('retryable');
    expect(message(outcome)).toMatch(/shutting down/);
  });

  test('a template module that vanished from the modules dir is retryable; a bad setting is permanent', async () => {
    const { driver: d } = driver();
    const gone = await d.run(request('create', 'no-such-module'));
    expect(gone.kind).toBe('retryable');
    expect(message(gone)).toMatch(/config\.module: no directory "no-such-module"/);
    const bad = await d.run(request('create', 'workspace', { config: { module: 'workspace', terraform_bin: '/bin/sh' } }));
    expect(bad.kind).toBe('permanent');
    expect(message(bad)).toMatch(/config\.terraform_bin: must be "terraform" or "tofu"/);
  });
});
