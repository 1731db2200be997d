/**
 * `prewarm status` against a real controller: the state that matters (hard limited and why) in text and JSON,
 * and `--watch` in both modes — a pipe (plain appended lines) and a pseudo-terminal made by `script` (a table
 * redrawn in place, colour unless NO_COLOR). The CLI runs as its own process, as a user runs it.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { repoRoot, startTestController, type TestController } from '../helpers/controller';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { waitFor } from '../helpers/wait';

const bin = path.join(repoRoot, 'bin/prewarm.ts');
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasScript) process.stderr.write('skipping the pseudo-terminal live-view test: `script` (util-linux) is not installed\n');

let ctl: TestController;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ctl = await startTestController({ failureHardLimit: 2 });
  env = { ...process.env, PREWARM_ENDPOINT: `127.0.0.1:${ctl.running.apiPort}`, PREWARM_TOKEN: ctl.token };
  delete env.NO_COLOR;
  const svc = ctl.running.service;
  await svc.putTemplate(templateSpec());
  await svc.putTemplate({ name: 'broken', driver: 'localdir', config: { fail: 'always' } });
  await svc.putPreset(poolSpec('live', 2));
  await svc.putPreset({ ...poolSpec('bad', 1), template: 'broken' });
  await waitFor('the bad preset to reach its hard limit', async () => (await svc.getPreset('broken', 'bad')).status === 'hard_limited');
  await waitFor('the live pool to fill', async () => (await svc.listInstances({ presetId: 'devbox/live', state: 'ready' })).length === 2);
}, 60_000);

afterAll(() => ctl?.stop());

/** Runs the CLI to completion without blocking this process, which hosts the controller it talks to. */
function cli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', bin, ...args], { env, cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Starts a watching CLI process; resolves its whole output once SIGINT has ended it. */
function watch(command: string, file: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const child: ChildProcess = spawn(command, [...args], { env: { ...env, ...extraEnv }, cwd: repoRoot });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited, file };
}

describe('prewarm status', () => {
  test('says why a preset stopped, in text and in JSON', async () => {
    const text = await cli(['status']);
    expect({ status: text.status, stderr: text.stderr }).toEqual({ status: 0, stderr: '' });
    expect(text.stdout).toMatch(/broken\/bad\s+1\s+0\s+0\s+0\s+\d+\s+hard limited: 2 consecutive failed builds/);
    expect(text.stdout).toMatch(/devbox\/live\s+2\s+2\s+0\s+0\s+0\s+healthy/);
    const json = JSON.parse((await cli(['status', '--json'])).stdout) as {
      presets: Array<{ template: string; status: string; status_reason: string; state: string }>;
      events: Array<{ op: string; ok: boolean; preset_id: string; error: string }>;
    };
    const bad = json.presets.find((p) => p.template === 'broken')!;
    expect(bad.status).toBe('hard_limited');
    expect(bad.status_reason).toMatch(/2 consecutive failed builds/);
    expect(bad.state).toBe(`hard limited: ${bad.status_reason}`);
    expect(json.events.some((e) => e.preset_id === 'broken/bad' && e.op === 'create' && !e.ok && e.error !== '')).toBe(true);
    expect(json.events.some((e) => e.preset_id === 'devbox/live' && e.op === 'create' && e.ok)).toBe(true);
    const explain = JSON.parse((await cli(['explain', '--json', '--preset', 'broken/bad'])).stdout) as { presets: Array<{ state: string }> };
    expect(explain.presets[0].state).toBe(`hard limited: ${bad.status_reason}`);
  }, 60_000);

  test('--watch in a pipe appends plain lines, then a claim shows up as a change; Ctrl-C ends it with 0', async () => {
    const w = watch(process.execPath, '', ['--import', 'tsx', bin, 'status', '--watch', '--interval', '200ms']);
    await waitFor('the first lines', () => w.output().includes('devbox/live'), 30_000).catch((err: unknown) => {
      w.child.kill('SIGKILL');
      throw err;
    });
    expect(w.output()).toMatch(/\d\d:\d\d:\d\d {2}devbox\/live {2}desired 2 {2}ready 2 {2}starting 0 {2}claimed 0 {2}healthy/);
    expect(w.output()).toContain('build failed broken/bad');
    await ctl.running.service.claim({ template: 'devbox', preset: 'live', owner: 'alice' });
    await waitFor('the claim to appear', () => /devbox\/live {2}desired 2 {2}ready \d {2}starting \d {2}claimed 1/.test(w.output()), 30_000);
    expect(w.output()).not.toMatch(/\u001b/); // no escape sequences in a pipe
    w.child.kill('SIGINT');
    expect(await w.exited).toBe(0);
  }, 60_000);

  (hasScript ? test : test.skip)('--watch on a terminal redraws a coloured table in place; NO_COLOR keeps the redraw without colour', async () => {
    const command = `${process.execPath} --import tsx ${bin} status --watch --interval 200ms`;
    for (const noColor of [false, true]) {
      const w = watch('script', '', ['-qfec', command, '/dev/null'], noColor ? { NO_COLOR: '1' } : {});
      // A failed wait must not leave the watcher running (jest would never exit).
      await waitFor('two frames', () => (w.output().match(/Recent events/g) ?? []).length >= 2, 30_000).catch((err: unknown) => {
        w.child.kill('SIGKILL');
        throw err;
      });
      const out = w.output();
      expect(out).toMatch(/\u001b\[\d+F\u001b\[J/); // moved up over the last frame and cleared it
      expect(stripStyles(out)).toMatch(/PRESET\s+DESIRED\s+READY\s+STARTING\s+CLAIMED\s+STATE/);
      expect(out).toContain('READY: claimable now');
      if (noColor) expect(out).not.toMatch(/\u001b\[3[1-3]m/);
      else expect(out).toMatch(/\u001b\[31mhard limited: 2 consecutive failed builds/);
      w.child.kill('SIGINT');
      await w.exited;
    }
  }, 60_000);
});

/** The text without colour and weight (SGR) sequences, so columns can be matched. */
function stripStyles(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
