/**
 * The pure planner alone, on a busy world (every kind of instance, backoff, hard limits, schedules): one
 * reconcile() over 10,000 presets × 10 instances against a bare pass over the same instance objects, and the
 * cost growth from 2,000 to 20,000 presets (linear means about 10×).
 */
import { applyBudget, reconcile } from '../../controller/reconcile';
import { compileScheduling } from '../../controller/domain/scheduling';
import { claimed, failed, MIN, options, pending, pool, preset, ready, snapshot, starting, stopped, T0 } from '../helpers/reconcile-fixtures';
import { type Figure, median, timeRuns, withRatio } from './figures';
import type { InstanceView, PresetView, Snapshot } from '../../controller/domain/snapshot';

const ZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata'];

function bigWorld(presetCount: number, perPreset: number): Snapshot {
  const schedulings = ZONES.map((timezone) =>
    compileScheduling({
      timezone,
      lead_time: '30m',
      schedule: [
        { cron: '* 8-18 * * 1-5', instances: 10 },
        { cron: '* 9-13 * * 6', instances: 4 },
      ],
    }),
  );
  const presets: PresetView[] = [];
  const instances: InstanceView[] = [];
  for (let n = 0; n < presetCount; n++) {
    const id = `tpl${n % 100}/p${n}`;
    presets.push(
      preset(id, {
        templateVersion: n % 10 === 0 ? 2 : 1,
        pool: pool(8, n % 2 === 0 ? 86_400 : 3600, n % 3 === 0 ? schedulings[n % ZONES.length]! : null),
        backoffUntil: n % 50 === 0 ? T0 + MIN : null,
        invalidatedAt: n % 40 === 0 ? T0 - 30 * MIN : null,
        status: n % 200 === 0 ? 'hard_limited' : 'healthy',
      }),
    );
    for (let k = 0; k < perPreset; k++) {
      const iid = `${id}-${k}`;
      const t = T0 - ((n + k * 17) % 150) * MIN;
      switch (k) {
        case 8:
          instances.push(n % 4 === 0 ? failed(iid, id, t) : starting(iid, id));
          break;
        case 9:
          instances.push(n % 5 === 0 ? stopped(iid, id, t) : n % 7 === 0 ? pending(iid, id) : claimed(iid, id));
          break;
        default:
          instances.push(ready(iid, id, t));
      }
    }
  }
  return snapshot(T0, presets, instances);
}

export async function benchPlan(runs = 7): Promise<Figure[]> {
  const world = bigWorld(10_000, 10);
  const opts = options({ inFlightLimit: 64 });
  let actions = 0;
  const plan = await timeRuns(runs, () => {
    const p = reconcile(world, opts);
    actions = p.presets.reduce((n, x) => n + x.actions.length, 0);
    applyBudget(p, 0, opts, 0);
  }, 3);
  const all = [...world.instancesByPreset.values()];
  let sink = 0;
  const bare = await timeRuns(runs, () => {
    for (const list of all) for (const i of list) sink += i.createdAt;
  }, 3);
  if (sink === 0) throw new Error('unreachable');
  const small = bigWorld(2_000, 10);
  const large = bigWorld(20_000, 10);
  const tSmall = median(await timeRuns(runs, () => reconcile(small, opts), 3));
  const tLarge = median(await timeRuns(runs, () => reconcile(large, opts), 3));
  return [
    withRatio({
      name: `pure plan + budget (10,000 presets, 100,000 instances, ${actions} actions)`,
      value: round(median(plan)),
      unit: 'ms',
      baseline: { name: 'one bare pass over the same instances', value: round(median(bare)) },
      runs,
    }),
    withRatio({
      name: 'plan cost growth, 20,000 vs 2,000 presets',
      value: round(tLarge),
      unit: 'ms',
      baseline: { name: '2,000 presets', value: round(tSmall) },
      goal: 'about 10x (linear)',
      runs,
    }),
  ];
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
