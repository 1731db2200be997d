import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startTestController } from '../helpers/controller';
import { describeResult, type TerraformResult, TerraformWorkspace, terraformUnavailable } from '../helpers/terraform';
import { type Figure, median, withRatio } from './figures';

const count = 200;

/**
 * Terraform with the provider installed from this checkout's release (a filesystem mirror, `terraform init`, the single
 * executable; test/helpers/terraform.ts), against 200 built-in terraform_data resources in the same run:
 * - `terraform plan` of 200 prewarm_preset resources already applied, so the plan refreshes all 200 through the
 *   provider and the controller;
 * - `terraform apply` creating 200 presets (and their template) from nothing, then destroyed for the next run,
 *   against an apply creating 200 terraform_data resources.
 */
export async function benchTerraformPlan(runs = 5): Promise<Figure[]> {
  const skip = terraformUnavailable();
  if (skip) return [{ name: `terraform plan of ${count} presets`, value: 0, unit: 'ms', note: `skipped: ${skip}` }];
  const ctl = await startTestController({ reconcileIntervalMs: 3_600_000 });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tfbench-'));
  try {
    const endpoint = `127.0.0.1:${ctl.running.apiPort}`;
    const workspace = (name: string, config: string) => {
      const ws = new TerraformWorkspace(mkdir(work, name), endpoint, ctl.token);
      fs.writeFileSync(path.join(ws.dir, 'main.tf'), config);
      return ws;
    };
    const presets = workspace('presets', presetConfig('bench'));
    const data = workspace('data', dataConfig());
    const timed = async (what: string, run: () => Promise<TerraformResult>, ok: (code: number) => boolean = (c) => c === 0) => {
      const t = performance.now();
      const r = await run();
      const ms = performance.now() - t;
      if (!ok(r.code)) throw new Error(`${what} failed: ${describeResult(r)}`);
      return ms;
    };

    // Apply from nothing, then destroy (not timed), interleaved with the baseline.
    const applyOurs: number[] = [];
    const applyBase: number[] = [];
    const applied = [workspace('apply-presets', presetConfig('bench-apply')), workspace('apply-data', dataConfig())] as const;
    for (const ws of applied) await timed('init', () => ws.run('init', '-input=false', '-no-color'));
    for (let i = 0; i < runs; i++) {
      // Alternating which goes first, so neither always runs on a machine the other just warmed or loaded.
      const steps = [
        async () => applyBase.push(await timed('apply of terraform_data', () => applied[1].apply())),
        async () => applyOurs.push(await timed('apply of presets', () => applied[0].apply())),
      ];
      for (const step of i % 2 === 0 ? steps : steps.reverse()) await step();
      for (const ws of applied) await timed('destroy', () => ws.run('destroy', '-auto-approve', '-input=false', '-no-color'));
    }

    for (const ws of [presets, data]) await timed('apply', () => ws.apply());
    const planOurs: number[] = [];
    const planBase: number[] = [];
    for (let i = 0; i < runs; i++) {
      // -detailed-exitcode: 0 is a plan with no changes, which both must be.
      const steps = [
        async () => planBase.push(await timed('plan of terraform_data', () => data.plan())),
        async () => planOurs.push(await timed('plan of presets', () => presets.plan())),
      ];
      for (const step of i % 2 === 0 ? steps : steps.reverse()) await step();
    }
    return [
      withRatio({
        name: `terraform plan, ${count} prewarm_preset resources (refreshed through the provider and the controller; release install)`,
        value: Math.round(median(planOurs)),
        unit: 'ms',
        baseline: { name: `${count} terraform_data resources`, value: Math.round(median(planBase)) },
        goal: '<= 2x',
        runs,
      }),
      withRatio({
        name: `terraform apply, ${count} prewarm_preset resources and their template created (release install)`,
        value: Math.round(median(applyOurs)),
        unit: 'ms',
        baseline: { name: `${count} terraform_data resources created`, value: Math.round(median(applyBase)) },
        goal: '<= 2x',
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

function presetConfig(template: string): string {
  return `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}
provider "prewarm" {}
resource "prewarm_template" "t" {
  name   = "${template}"
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
