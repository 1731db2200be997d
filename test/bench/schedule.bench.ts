/**
 * Desired-count evaluation at one instant: 50,000 windows over 12,500 presets (4 each) in 40 zones,
 * with lead times, as one reconcile tick would do it (one LocalTimeCache per tick).
 */
import { compileScheduling } from '../../controller/domain/scheduling';
import { LocalTimeCache } from '../../controller/schedule/localtime';
import type { Figure } from './figures';
import { benchZones } from './zones';
import { desiredCount } from '../../controller/schedule/desired-count';
import type { CompiledSchedule, CompiledScheduling } from '../../controller/domain/schedule-window';

export type BenchResult = Figure;

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const LEADS = [undefined, '15m', '30m', '1h'];
const PRESETS = 12_500;
const RUNS = 15;
const WARMUP = 3;

interface Pool {
  base: number;
  scheduling: CompiledScheduling;
}

function buildPools(): Pool[] {
  const pools: Pool[] = [];
  for (let p = 0; p < PRESETS; p++) {
    const a = p % 12; // windows at a..a+12, disjoint by hour or by day
    pools.push({
      base: p % 3,
      scheduling: compileScheduling({
        timezone: benchZones[p % benchZones.length],
        lead_time: LEADS[p % LEADS.length],
        schedule: [
          { cron: `* ${a}-${a + 3} * * 1-5`, instances: 1 + (p % 7) },
          { cron: `* ${a + 4}-${a + 7} * * MON-FRI`, instances: 2 + (p % 5) },
          { cron: `* ${a}-${a + 7} * * 0,6`, instances: p % 4 },
          { cron: `* ${a + 9}-${a + 12} 1-15 * *`, instances: 3 + (p % 2) },
        ],
      }),
    });
  }
  return pools;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function time(runs: number, fn: () => number): number[] {
  const out: number[] = [];
  let sink = 0;
  for (let i = 0; i < WARMUP + runs; i++) {
    const t0 = performance.now();
    sink += fn();
    const dt = performance.now() - t0;
    if (i >= WARMUP) out.push(dt);
  }
  if (sink === -1) console.log(sink); // keeps the work observable
  return out;
}

export async function benchSchedules(): Promise<BenchResult[]> {
  const pools = buildPools();
  const schedules: CompiledSchedule[] = pools.flatMap((p) => p.scheduling.schedules);
  if (schedules.length !== PRESETS * 4) throw new Error(`expected ${PRESETS * 4} schedules, got ${schedules.length}`);
  const now = Date.parse('2026-03-09T14:37:00Z');

  const evaluate = (): number => {
    const cache = new LocalTimeCache();
    let sum = 0;
    for (let i = 0; i < pools.length; i++) sum += desiredCount(pools[i].base, pools[i].scheduling, now, cache).desired;
    return sum;
  };
  const bare = (): number => {
    let sum = 0;
    for (let i = 0; i < schedules.length; i++) sum += schedules[i].instances;
    return sum;
  };
  const recompile = (): number => {
    let n = 0;
    for (let p = 0; p < pools.length; p++) {
      const a = p % 12;
      n += compileScheduling({
        timezone: benchZones[p % benchZones.length],
        lead_time: LEADS[p % LEADS.length],
        schedule: [
          { cron: `* ${a}-${a + 3} * * 1-5`, instances: 1 + (p % 7) },
          { cron: `* ${a + 4}-${a + 7} * * MON-FRI`, instances: 2 + (p % 5) },
          { cron: `* ${a}-${a + 7} * * 0,6`, instances: p % 4 },
          { cron: `* ${a + 9}-${a + 12} 1-15 * *`, instances: 3 + (p % 2) },
        ],
      }).schedules.length;
    }
    return n;
  };

  const desiredMs = median(time(RUNS, evaluate));
  const bareMs = median(time(RUNS, bare));
  const memoMs = median(time(7, recompile));
  return [
    {
      name: 'desired-count evaluation, 50,000 schedules in 40 zones (with lead times)',
      value: round(desiredMs),
      unit: 'ms',
      baseline: { name: 'bare loop over the same 50,000 schedules reading one field', value: round(bareMs) },
      ratio: bareMs > 0 ? Math.round((desiredMs / bareMs) * 10) / 10 : undefined,
      goal: '<= 20 ms',
      runs: RUNS,
    },
    { name: 'schedule compile cache hit, 12,500 unchanged presets', value: round(memoMs), unit: 'ms', runs: 7 },
  ];
}

if (require.main === module) {
  void benchSchedules().then((r) => console.table(r));
}
