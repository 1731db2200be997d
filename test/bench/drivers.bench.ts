/**
 * The built-in terraform driver against bare terraform on the same module: what the driver adds to a create
 * (copy, run record, output parsing) and to a delete, measured in the same run. The module holds one built-in
 * resource, so the figures are terraform's own floor plus the driver, not a provider's work.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../controller/clock/clock';
import { TerraformDriver, prepareTerraformRoot } from '../../controller/drivers/terraform/terraform-driver';
import { driverRequest } from '../helpers/fixtures';
import { terraformPath } from '../helpers/terraform';
import { type Figure, median, timeRuns } from './figures';
import type { Skipped } from './postgres.bench';

const MODULE = 'variable "prewarm_instance_id" { type = string }\nresource "terraform_data" "x" { input = var.prewarm_instance_id }\noutput "id" { value = terraform_data.x.id }\n';
const RUNS = 7;

export async function benchDrivers(): Promise<Figure[] | Skipped> {
  if (terraformPath() === undefined) return { skipped: 'terraform is not on PATH' };
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
      fig('terraform driver create (init + apply + output)', driverCreate, 'bare terraform init + apply + output -json', bareCreate),
      fig('terraform driver delete (destroy + remove)', driverDelete, 'bare terraform destroy + rm', bareDelete),
    ];
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}
