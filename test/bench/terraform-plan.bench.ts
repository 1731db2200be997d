import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestController } from '../helpers/controller';
import { describeResult, TerraformWorkspace, terraformUnavailable } from '../helpers/terraform';
import { type Figure, median, withRatio } from './figures';

const count = 200;

/**
 * `terraform plan` of 200 prewarm_preset resources (already applied, so the plan refreshes all 200 through
 * the provider and the controller) against 200 built-in terraform_data resources planned the same way.
 */
export async function benchTerraformPlan(runs = 5): Promise<Figure[]> {
  const skip = terraformUnavailable();
  if (skip) return [{ name: `terraform plan of ${count} presets`, value: 0, unit: 'ms', note: `skipped: ${skip}` }];
  const ctl = await startTestController({ reconcileIntervalMs: 3_600_000 });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tfbench-'));
  try {
    const endpoint = `127.0.0.1:${ctl.running.apiPort}`;
    const presets = new TerraformWorkspace(mkdir(work, 'presets'), endpoint, ctl.token);
    fs.writeFileSync(path.join(presets.dir, 'main.tf'), presetConfig());
    const data = new TerraformWorkspace(mkdir(work, 'data'), endpoint, ctl.token);
    fs.writeFileSync(path.join(data.dir, 'main.tf'), dataConfig());
    for (const ws of [presets, data]) {
      const r = await ws.apply('-parallelism=10');
      if (r.code !== 0) throw new Error(`apply failed: ${describeResult(r)}`);
    }
    const time = async (ws: TerraformWorkspace) => {
      const out: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const r = await ws.plan();
        out.push(performance.now() - t);
        if (r.code !== 0) throw new Error(`plan was not a no-op: ${describeResult(r)}`);
      }
      return median(out);
    };
    const baseline = await time(data);
    const ours = await time(presets);
    return [
      withRatio({
        name: `terraform plan, ${count} prewarm_preset resources (refreshed through the provider and the controller)`,
        value: Math.round(ours),
        unit: 'ms',
        baseline: { name: `${count} terraform_data resources`, value: Math.round(baseline) },
        goal: '<= 1.5x',
        runs,
      }),
    ];
  } finally {
    await ctl.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function mkdir(base: string, name: string): string {
  const dir = path.join(base, name);
  fs.mkdirSync(dir);
  return dir;
}

function presetConfig(): string {
  return `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}
provider "prewarm" {}
resource "prewarm_template" "t" {
  name   = "bench"
  driver = "localdir"
  config = {}
}
resource "prewarm_preset" "p" {
  count      = ${count}
  template   = prewarm_template.t.name
  name       = "p\${count.index}"
  parameters = { index = tostring(count.index) }
  prebuilds {
    instances = 0
    scheduling {
      timezone = "America/New_York"
      schedule {
        cron      = "* 8-18 * * 1-5"
        instances = 0
      }
    }
  }
}
`;
}

function dataConfig(): string {
  return `resource "terraform_data" "d" {
  count = ${count}
  input = { name = "p\${count.index}", index = tostring(count.index) }
}
`;
}
