/**
 * The built-in drivers against their bare equivalent in the same run. The http driver against plain POSTs of the same
 * body to the same platform. The terraform driver against bare terraform on the same module: what it adds to a create
 * (copy, run record, output parsing) and to a delete, measured in the same run. The module holds one built-in
 * resource, so the figures are terraform's own floor plus the driver, not a provider's work.
 */
import { execFileSync, spawn } from 'node:child_process';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../controller/clock/clock';
import { wireRequest } from '../../controller/drivers/exec';
import { createHttpDriver } from '../../controller/drivers/http/driver';
import { DriverSecrets } from '../../controller/drivers/secrets';
import { TerraformDriver, prepareTerraformRoot } from '../../controller/drivers/terraform/terraform-driver';
import { driverRequest } from '../helpers/fixtures';
import { terraformPath } from '../helpers/terraform';
import { type Figure, median, timeRuns } from './figures';
import type { Skipped } from './postgres.bench';

const MODULE = 'variable "prewarm_instance_id" { type = string }\nresource "terraform_data" "x" { input = var.prewarm_instance_id }\noutput "id" { value = terraform_data.x.id }\n';
const RUNS = 7;

/** A platform in its own process (as a real one would be): answers every POST with 201 and one attribute. */
const PLATFORM = `
const http = require('node:http');
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => {
  res.writeHead(201, { 'Content-Type': 'application/json' }); res.end('{"attributes":{"path":"/srv/x"}}'); }); });
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

/** The http driver's create against bare signed-less POSTs of the same body to the same platform, one at a time. */
async function benchHttpDriver(): Promise<Figure> {
  const child = spawn(process.execPath, ['-e', PLATFORM], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
      child.once('exit', (code) => reject(new Error(`the platform exited (${code})`)));
    });
    const url = `http://127.0.0.1:${port}`;
    const driver = createHttpDriver({
      secrets: DriverSecrets.load({ env: { PREWARM_SECRET_BENCH: 'bench-signing-secret-0123456789' } }),
      clock: systemClock,
      ownPorts: () => [],
    });
    const req = driverRequest('create', { config: { url, secret_ref: 'bench' } });
    const body = JSON.stringify(wireRequest(req));
    const runs = 300;
    const bare = await timeRuns(runs, () => post(`${url}/create`, body), 20);
    const viaDriver = await timeRuns(
      runs,
      async () => {
        const o = await driver.run(req);
        if (o.kind !== 'ok') throw new Error(`http driver bench: ${o.message}`);
      },
      20,
    );
    return {
      name: 'http driver create (signed POST, answer parsed)',
      value: Number(median(viaDriver).toFixed(2)),
      unit: 'ms',
      runs,
      baseline: { name: 'bare POST of the same body', value: Number(median(bare).toFixed(2)) },
      note: 'median; platform on loopback in its own process; a fresh connection each, as the driver makes',
    };
  } finally {
    child.kill();
  }
}

function post(url: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = http.request(url, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    r.on('error', reject);
    r.end(body);
  });
}

export async function benchDrivers(): Promise<Figure[] | Skipped> {
  const httpFigure = await benchHttpDriver();
  if (terraformPath() === undefined) return [httpFigure];
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-bench-drivers-'));
  try {
    const modules = path.join(base, 'modules');
    fs.mkdirSync(path.join(modules, 'm'), { recursive: true });
    fs.writeFileSync(path.join(modules, 'm', 'main.tf'), MODULE);
    const root = path.join(base, 'root');
    prepareTerraformRoot(root, systemClock.now());
    const driver = new TerraformDriver({ modulesDir: modules, root, clock: systemClock });
    const env = { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
    let n = 0;

    const bareCreate = await timeRuns(
      RUNS,
      (dir: string) => {
        const tf = (...args: string[]) => execFileSync('terraform', args, { cwd: dir, env: { ...env, TF_VAR_prewarm_instance_id: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
        tf('init', '-input=false', '-no-color');
        tf('apply', '-auto-approve', '-input=false', '-no-color');
        tf('output', '-json');
      },
      1,
      () => {
        const dir = path.join(base, `bare-${++n}`);
        fs.cpSync(path.join(modules, 'm'), dir, { recursive: true });
        return dir;
      },
    );
    const bareDelete = await timeRuns(
      RUNS,
      (dir: string) => {
        execFileSync('terraform', ['destroy', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env: { ...env, TF_VAR_prewarm_instance_id: dir }, stdio: 'ignore' });
        fs.rmSync(dir, { recursive: true, force: true });
      },
      1,
      () => path.join(base, `bare-${n--}`),
    );

    let id = 0;
    const ids: string[] = [];
    const request = (op: 'create' | 'delete', instance: string) => driverRequest(op, { instance: { id: instance, name: instance }, config: { module: 'm' }, parameters: {} });
    const check = (o: Awaited<ReturnType<TerraformDriver['run']>>) => {
      if (o.kind !== 'ok') throw new Error(`terraform driver bench: ${o.message}\n${o.stderr}`);
    };
    const driverCreate = await timeRuns(RUNS, async () => {
      const instance = `bench-${++id}`;
      ids.push(instance);
      check(await driver.run(request('create', instance)));
    });
    const driverDelete = await timeRuns(RUNS, async () => check(await driver.run(request('delete', ids.pop()!))));

    const fig = (name: string, runs: number[], baseName: string, baseRuns: number[]): Figure => ({
      name,
      value: Math.round(median(runs)),
      unit: 'ms',
      runs: runs.length,
      baseline: { name: baseName, value: Math.round(median(baseRuns)) },
      note: 'median; one terraform_data resource',
    });
    return [
      httpFigure,
      fig('terraform driver create (init + apply + output)', driverCreate, 'bare terraform init + apply + output -json', bareCreate),
      fig('terraform driver delete (destroy + remove)', driverDelete, 'bare terraform destroy + rm', bareDelete),
    ];
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
