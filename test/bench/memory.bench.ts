import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Figure, median } from './figures';
import { seedSteadyState } from './seed';
import { benchZones } from './zones';

const repoRoot = path.resolve(__dirname, '../..');

/**
 * Resident memory of the real controller binary (dist/prewarm) managing 100,000 instances (10,000 presets
 * with schedules in 40 zones), after several reconcile cycles, against the same binary printing its help.
 */
export async function benchMemory(): Promise<Figure[]> {
  const bin = path.join(repoRoot, 'dist/prewarm');
  if (!fs.existsSync(bin)) execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-mem-bench-'));
  const file = path.join(dir, 'bench.db');
  try {
    await seedSteadyState({ file, presets: 10_000, instancesPerPreset: 10, zones: benchZones, now: Date.now() });
    const child = spawn(
      process.execPath,
      [...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []), bin, 'controller', '--database', `sqlite:${file}`, '--listen', '127.0.0.1:0', '--ops-listen', '127.0.0.1:0', '--driver-dir', path.join(repoRoot, 'examples/drivers'), '--reconcile-interval', '1s', '--log-level', 'info'],
      { env: { ...process.env, PREWARM_TOKEN: 'bench' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let ticks = 0;
    let log = '';
    child.stderr.on('data', (d) => {
      log += d;
    });
    const samples: number[] = [];
    const deadline = Date.now() + 90_000;
    // Sample VmRSS once per second for 20 s after the first cycles: the median is the steady state a
    // long-running daemon settles at, the maximum is reported beside it.
    while (Date.now() < deadline && samples.length < 20) {
      await new Promise((r) => setTimeout(r, 1000));
      if (child.exitCode !== null) throw new Error(`controller exited: ${log.slice(-2000)}`);
      ticks++;
      if (ticks < 4) continue;
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      samples.push(kb / 1024);
    }
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const idle = spawn(process.execPath, [bin, 'controller', '--help'], { stdio: ['ignore', 'ignore', 'ignore'] });
    const idleKb = await new Promise<number>((resolve) => {
      let peak = 0;
      const t = setInterval(() => {
        try {
          peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${idle.pid}/status`, 'utf8'))?.[1] ?? 0));
        } catch {
          /* exited */
        }
      }, 5);
      idle.once('exit', () => {
        clearInterval(t);
        resolve(peak);
      });
    });
    return [
      {
        name: 'controller resident memory with 100,000 instances (10,000 presets, 40 zones)',
        value: Math.round(median(samples)),
        unit: 'MB',
        baseline: idleKb > 0 ? { name: 'the same binary printing --help', value: Math.round(idleKb / 1024) } : undefined,
        goal: '< 200 MB (the max too)',
        runs: samples.length,
        note: `max ${Math.round(Math.max(...samples))} MB`,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
