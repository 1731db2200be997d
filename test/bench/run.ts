/**
 * `npm run bench [-- --json] [-- --only NAME]`: prints every performance figure. Each figure that has a
 * baseline is shown with the ratio to it, both measured in this run. With --json: one JSON object per line.
 */
import { benchActivity } from './activity.bench';
import { benchClaims } from './claim.bench';
import { benchDrivers } from './drivers.bench';
import { benchLifecycle } from './lifecycle.bench';
import { type Figure, withRatio } from './figures';
import { benchMemory } from './memory.bench';
import { benchNotify } from './notify.bench';
import { benchPlan } from './plan.bench';
import { benchPostgres, type Skipped } from './postgres.bench';
import { benchReconcile } from './reconcile.bench';
import { benchProviderStart } from './provider-start.bench';
import { benchSchedules } from './schedule.bench';
import { benchTerraformPlan } from './terraform-plan.bench';

/** A suite returns its figures, or why it could not run here (it is then reported as skipped and the others run). */
const suites: Record<string, () => Promise<Figure[] | Skipped>> = {
  schedules: () => benchSchedules(),
  plan: () => benchPlan(),
  reconcile: () => benchReconcile(),
  claims: async () => [...(await benchClaims(1, 1000)), ...(await benchClaims())],
  lifecycle: () => benchLifecycle(),
  activity: () => benchActivity(),
  notify: () => benchNotify(),
  drivers: () => benchDrivers(),
  memory: () => benchMemory(),
  'provider-start': () => benchProviderStart(),
  'terraform-plan': () => benchTerraformPlan(),
  postgres: () => benchPostgres(),
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  if (args.includes('--help')) {
    process.stdout.write(`usage: npm run bench [-- --json] [-- --only ${Object.keys(suites).join('|')}]\n`);
    return;
  }
  if (only !== undefined && !(only in suites)) {
    process.stderr.write(`--only: unknown suite "${only}"; one of ${Object.keys(suites).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  for (const [name, run] of Object.entries(suites)) {
    if (only !== undefined && name !== only) continue;
    const figures = await run();
    if (!Array.isArray(figures)) {
      process.stdout.write(json ? `${JSON.stringify({ suite: name, skipped: figures.skipped })}\n` : `${name}: suite skipped: ${figures.skipped}\n`);
      continue;
    }
    for (const raw of figures) {
      const f = withRatio({ ...raw });
      if (json) {
        process.stdout.write(`${JSON.stringify({ suite: name, ...f })}\n`);
        continue;
      }
      const base = f.baseline ? `  (baseline ${f.baseline.name}: ${f.baseline.value} ${f.unit}; ratio ${f.ratio}x)` : '';
      const goal = f.goal ? `  [goal ${f.goal}]` : '';
      const runs = f.runs ? `  n=${f.runs}` : '';
      const note = f.note ? `  (${f.note})` : '';
      process.stdout.write(`${f.name}: ${f.value} ${f.unit}${base}${goal}${runs}${note}\n`);
    }
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});
