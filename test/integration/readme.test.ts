/**
 * The README is executable documentation. This test reads README.md when it runs and follows it as a new user does,
 * in order: the opening `npm start` (package.json's start script: its build step once, then its controller
 * command, in a fresh working directory with its own database), the token the controller prints on stderr, every
 * command of the ```sh blocks of "Quickstart, step by step", then the Terraform section's configuration with the real
 * terraform CLI next to the quickstart pool. Each command must exit 0 and print what the README says it prints.
 *
 * Nothing is copied from the README into this file: a README edit that breaks a command fails here. The few
 * commands a test cannot run as written are in HANDLED_INSTEAD, with what the test does instead.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { COMMANDS } from '../../bin/commands';
import { repoRoot } from '../helpers/controller';
import { envWithoutToken } from '../helpers/prewarm-process';
import { ProcessReaper } from '../helpers/processes';
import { skipping } from '../helpers/skip';
import { terraformUnavailable, testRelease } from '../helpers/terraform';
import { waitFor } from '../helpers/wait';

jest.setTimeout(180_000);

/**
 * Commands the test does not run as written, and what it does instead. Everything else in the blocks runs as is,
 * through `sh -c` in the working directory, with PREWARM_ENDPOINT pointing at the test's controller (it listens on
 * free ports rather than 127.0.0.1:7420, which a developer's own controller may hold).
 */
const HANDLED_INSTEAD: Array<{ command: RegExp; instead: string }> = [
  { command: /^npm install$/, instead: 'nothing: the test runs with the dependencies installed' },
  { command: /^npm start$/, instead: "package.json's start script: its build step when dist/ is missing or stale, its controller command in the working directory" },
  { command: /^export PREWARM_TOKEN=/, instead: 'PREWARM_TOKEN set from the export line the controller printed on stderr' },
  { command: /^terraform apply$/, instead: 'terraform apply -auto-approve -input=false -no-color: a test cannot type yes' },
];

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const startScript = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
const quickstartPreset = JSON.parse(fs.readFileSync(path.join(repoRoot, 'examples/quickstart/preset.json'), 'utf8')) as {
  template: string;
  name: string;
  prebuilds: { instances: number; scheduling: { schedule: Array<{ instances: number }> } };
};
const presetId = `${quickstartPreset.template}/${quickstartPreset.name}`;
const baseCount = quickstartPreset.prebuilds.instances;
const windowCount = quickstartPreset.prebuilds.scheduling.schedule[0]!.instances;

/** The text of a `## heading` section, up to the next `## ` heading. */
function section(heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has a "## ${heading}" section`);
  const next = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

function blocks(text: string, lang: string): string[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)].filter((m) => m[1] === lang).map((m) => m[2]!);
}

interface Line {
  command: string;
  /** What the README says about it, after `#`. */
  comment: string;
}

function shLines(block: string): Line[] {
  return block
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^(.*?)\s+#\s+(.*)$/.exec(l);
      return m ? { command: m[1]!.trim(), comment: m[2]! } : { command: l.trim(), comment: '' };
    });
}

/** The opening block's `npm start` line, split at `&&`: the commands the top of the README tells a user to run. */
function openingStartCommands(): Line[] {
  const opening = blocks(readme.slice(0, readme.indexOf('\n# ')), 'sh')[0];
  assert.ok(opening, 'README opens with a ```sh block');
  const line = shLines(opening).find((l) => /(^|&&\s*)npm start\b/.test(l.command));
  assert.ok(line, 'the opening block runs npm start');
  return line.command.split('&&').map((c) => ({ command: c.trim(), comment: '' }));
}

function handled(command: string): boolean {
  return HANDLED_INSTEAD.some((h) => h.command.test(command));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    // By its path: the Terraform walk-through runs with only terraform on the PATH.
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', reject);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when a file under the bundled sources is newer than the oldest bundle in dist/ (or one is missing). */
function distIsStale(): boolean {
  const outputs = ['prewarm', 'terraform-provider-prewarm', 'prewarm-provider-runtime.js'].map((f) => path.join(repoRoot, 'dist', f));
  if (!outputs.every((f) => fs.existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => fs.statSync(f).mtimeMs));
  const newest = (p: string): number => {
    const st = fs.statSync(p);
    if (!st.isDirectory()) return st.mtimeMs;
    return Math.max(st.mtimeMs, ...fs.readdirSync(p).map((e) => newest(path.join(p, e))));
  };
  return ['bin', 'controller', 'provider', 'proto', 'package.json'].some((p) => newest(path.join(repoRoot, p)) > built);
}

describe('README, followed in order', () => {
  const reaper = new ProcessReaper();
  let work: string;
  let controller: ChildProcess | undefined;
  let controllerExit: Promise<number | null>;
  let out = '';
  let err = '';
  let env: NodeJS.ProcessEnv;
  let token: string;

  beforeAll(async () => {
    const parts = startScript.split('&&').map((p) => p.trim());
    const controllerCommand = parts.at(-1)!;
    assert.match(controllerCommand, /^node dist\/prewarm controller\b/, 'the start script ends by running the controller from dist/');
    // The build steps of `npm start`, once, in the repository, when what they would build is missing or stale.
    if (distIsStale()) for (const step of parts.slice(0, -1)) execSync(step, { cwd: repoRoot, stdio: 'ignore' });

    // A fresh working directory laid out like the repository for what the start script names: dist/ (linked) and
    // the examples it applies and runs (copied, so the drivers keep their state in this directory).
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-readme-'));
    fs.symlinkSync(path.join(repoRoot, 'dist'), path.join(work, 'dist'));
    for (const rel of controllerCommand.split(/\s+/).filter((w) => w.startsWith('examples/'))) {
      fs.cpSync(path.join(repoRoot, rel), path.join(work, rel), { recursive: true });
    }

    const [api, ops] = [await freePort(), await freePort()];
    env = envWithoutToken();
    delete env.PREWARM_STATE_DIR;
    delete env.PREWARM_ENDPOINT;
    controller = spawn('sh', ['-c', `exec ${controllerCommand} --listen 127.0.0.1:${api} --ops-listen 127.0.0.1:${ops}`], {
      cwd: work,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    reaper.track(controller.pid!);
    controller.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    controller.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')));
    controllerExit = new Promise((resolve) => controller!.on('close', (code) => resolve(code)));
    env = { ...env, PREWARM_ENDPOINT: `127.0.0.1:${api}` };

    // "prints it once on stderr as a line export PREWARM_TOKEN=…"
    token = await waitFor(
      () => `the token line on stderr; stderr so far:\n${err}`,
      () => /^\s*export PREWARM_TOKEN=(\S+)$/m.exec(err)?.[1],
      60_000,
    );
    // "Once the live view shows the pool ready": the live view (plain lines in a pipe) on stdout.
    const escaped = presetId.replace(/[/.]/g, '\\$&');
    const full = await waitFor(
      () => `the live view to show ${presetId} ready; stdout so far:\n${out}\nstderr:\n${err}`,
      () => [...out.matchAll(new RegExp(`${escaped} {2}desired (\\d+) {2}ready (\\d+)`, 'g'))].find((m) => m[1] === m[2] && Number(m[1]) > 0),
      60_000,
    );
    // "five on weekdays from 07:30 to 17:59 UTC …, three at any other time" (the quickstart preset's two counts).
    assert.ok([baseCount, windowCount].includes(Number(full[1])), `the pool is kept at ${baseCount} or ${windowCount}, saw ${full[0]}`);
  });

  afterAll(async () => {
    // "Stop it with Ctrl-C."
    if (controller && controller.exitCode === null) {
      controller.kill('SIGINT');
      const code = await controllerExit;
      reaper.killAll();
      assert.equal(code, 0, `the controller stops on Ctrl-C with exit 0; stderr:\n${err}`);
    }
    reaper.killAll();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('the opening npm start and every command of "Quickstart, step by step" succeed and print what the README says', async () => {
    const lines = [...openingStartCommands(), ...blocks(section('Quickstart, step by step'), 'sh').flatMap(shLines)];
    assert.ok(lines.some((l) => /prewarm claim/.test(l.command)), 'the quickstart claims an instance');
    const atCounts = new Set<number>();
    let claimed: { id: string; owner: string; attributes: { path: string } } | undefined;

    for (const { command, comment } of lines) {
      if (/^export PREWARM_TOKEN=/.test(command)) {
        const shown = command.slice('export PREWARM_TOKEN='.length).replace(/…$/, '');
        assert.ok(token.startsWith(shown), `the README shows the token as ${command}; the controller printed ${token}`);
        env = { ...env, PREWARM_TOKEN: token };
        continue;
      }
      if (handled(command)) continue;

      const r = await sh(command, work, env);
      const what = `${command}\nexit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
      assert.equal(r.code, 0, what);

      let m: RegExpExecArray | null;
      if (/prewarm status$/.test(command)) {
        assert.match(r.stdout, new RegExp(`^${presetId}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+healthy$`, 'm'), what);
      } else if (/prewarm explain --json$/.test(command)) {
        const p = (JSON.parse(r.stdout) as { presets: Array<{ template: string; preset: string; desired: number; desired_source: string }> }).presets.find(
          (x) => `${x.template}/${x.preset}` === presetId,
        );
        assert.ok(p, what);
        // "desired 5 and schedule[0] … on weekdays from 07:30 to 17:59 UTC, desired 3 with base at any other time"
        if (p.desired_source === 'base') assert.equal(p.desired, baseCount, what);
        else assert.deepEqual([p.desired, p.desired_source.startsWith('schedule[0] ')], [windowCount, true], what);
      } else if ((m = /prewarm claim (\S+) --owner (\S+) --json$/.exec(command))) {
        // "The claim prints the instance as JSON with "owner": "alice", "state": "claimed" and the checkout's directory in attributes.path"
        const instance = JSON.parse(r.stdout) as { id: string; preset_id: string; owner: string; state: string; attributes: { path: string } };
        assert.deepEqual([instance.preset_id, instance.owner, instance.state], [m[1], m[2], 'claimed'], what);
        assert.ok(fs.statSync(instance.attributes.path).isDirectory(), what);
        claimed = instance;
      } else if ((m = /prewarm explain --at (\S+)$/.exec(command))) {
        const said = /desired (\d+)/.exec(comment);
        assert.ok(said, `the README says which desired count "${command}" shows`);
        assert.match(r.stdout, new RegExp(`^${presetId}\\s+${said[1]}\\s`, 'm'), what);
        atCounts.add(Number(said[1]));
      } else if (/prewarm instance list$/.test(command)) {
        assert.ok(claimed, 'the claim comes first');
        assert.match(r.stdout, new RegExp(`^${claimed.id}\\s.*\\sclaimed\\s+${claimed.owner}\\s`, 'm'), what);
      } else if (/^ls \.prewarm\/?$/.test(command)) {
        assert.ok(claimed, 'the claim comes first');
        assert.ok(r.stdout.split('\n').includes(path.basename(claimed.attributes.path)), what);
        // "git checkouts made by examples/drivers/localdir" (the driver makes a plain directory when git is missing)
        if (spawnSync('git', ['--version']).status === 0) assert.ok(fs.existsSync(path.join(claimed.attributes.path, '.git')), what);
      }
    }
    // One --at example inside the weekday window and one outside it, so they show different numbers whenever run.
    assert.deepEqual([...atCounts].sort(), [baseCount, windowCount].sort(), 'the --at examples show both counts');
  });

  const noTerraform = terraformUnavailable();
  (skipping(noTerraform, 'the README Terraform walk-through') ? test.skip : test)(
    'then the Terraform section: its configuration applies next to the quickstart pool',
    async () => {
      const text = section('Terraform');
      const hcl = blocks(text, 'hcl');
      // The walk-through installs the provider as users do: the mirror block of "Install from a release", pointed at
      // this checkout's release, `terraform init`, and only terraform on the PATH it runs with.
      const mirrorConfig = hcl.find((b) => b.includes('provider_installation') && b.includes('filesystem_mirror'));
      assert.ok(mirrorConfig, 'the Terraform section shows the CLI config with a filesystem_mirror');
      const mirrorPlaceholder = '/opt/terraform/mirror';
      assert.ok(mirrorConfig.includes(mirrorPlaceholder), `the mirror config names ${mirrorPlaceholder}`);
      const release = testRelease();
      const dir = fs.mkdtempSync(path.join(work, 'tf-'));
      fs.writeFileSync(path.join(dir, '.terraformrc'), mirrorConfig.replace(mirrorPlaceholder, release.mirror));
      fs.writeFileSync(path.join(dir, 'main.tf'), hcl.filter((b) => !b.includes('provider_installation')).join('\n'));
      const bin = path.join(dir, '.bin');
      fs.mkdirSync(bin);
      fs.symlinkSync(execSync('command -v terraform', { encoding: 'utf8' }).trim(), path.join(bin, 'terraform'));
      const tfEnv = { ...env, PATH: bin, TF_CLI_CONFIG_FILE: path.join(dir, '.terraformrc'), TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };

      const lines = blocks(text, 'sh').flatMap(shLines);
      assert.ok(lines.some((l) => l.command === 'terraform apply'), 'the Terraform section says to run terraform apply');
      for (const { command, comment } of lines) {
        const run = command === 'terraform apply' ? 'terraform apply -auto-approve -input=false -no-color' : command;
        const r = await sh(run, dir, tfEnv);
        const what = `${run}\nexit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
        assert.equal(r.code, 0, what);
        if (/^terraform init\b/.test(command)) {
          const lock = fs.readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8');
          assert.ok(lock.includes('"registry.terraform.io/prewarm/prewarm"') && lock.includes(`"${release.h1}"`), `${what}\n--- lock file\n${lock}`);
        }
        const adds = /(\d+) to add/.exec(comment);
        if (adds) assert.match(r.stdout, new RegExp(`Plan: ${adds[1]} to add`), what);
        const prints = /prints (\w+)/.exec(comment);
        if (prints) assert.match(r.stdout, new RegExp(`^${prints[1]} = \\d+$`, 'm'), what);
      }

      // The developers' path of "From a checkout": the same state planned through dev_overrides and dist/, no changes.
      const devConfig = hcl.find((b) => b.includes('provider_installation') && b.includes('dev_overrides'));
      assert.ok(devConfig, 'the Terraform section shows the developers\' CLI config with dev_overrides');
      const devPlaceholder = '/path/to/prewarm/dist';
      assert.ok(devConfig.includes(devPlaceholder), `the dev_overrides config names ${devPlaceholder}`);
      if (distIsStale()) {
        const build = await sh('npm run --silent build', repoRoot, env);
        assert.equal(build.code, 0, `npm run build\n${build.stderr}`);
      }
      fs.writeFileSync(path.join(dir, 'dev.terraformrc'), devConfig.replace(devPlaceholder, path.join(repoRoot, 'dist')));
      const devPlan = await sh('terraform plan -detailed-exitcode -input=false -no-color', dir, {
        ...tfEnv,
        PATH: `${bin}:${path.dirname(process.execPath)}`, // the developers' build is a node script
        TF_CLI_CONFIG_FILE: path.join(dir, 'dev.terraformrc'),
      });
      assert.equal(devPlan.code, 0, `terraform plan through dev_overrides\n${devPlan.stdout}\n${devPlan.stderr}`);
      assert.match(devPlan.stderr + devPlan.stdout, /Provider development overrides are in effect/);
    },
    600_000, // the first test in a run to need this checkout's release builds it
  );
});

describe('README, the CLI table', () => {
  test('has a row for every command prewarm --help lists', () => {
    // First cells read like `prewarm template put --file F` · `get NAME` · `list`: a span without "prewarm" continues
    // the group of the one before it.
    // Paths nest up to three words (`prewarm notify target put`); a continuation span such as `get NAME` shares
    // every word but the last of the span before it.
    const covered = new Set<string>();
    for (const row of section('The CLI').split('\n').filter((l) => l.startsWith('| `prewarm'))) {
      let group: string[] = [];
      for (const [, span] of row.split(' | ')[0]!.matchAll(/`([^`]+)`/g)) {
        const words = span!.split(/\s+/);
        const own = words[0] === 'prewarm' ? words.slice(1) : words;
        const lead: string[] = [];
        for (const w of own) {
          if (!/^[a-z]+$/.test(w)) break;
          lead.push(w);
        }
        const path = words[0] === 'prewarm' ? lead : [...group, ...lead];
        for (let i = 1; i <= path.length; i++) covered.add(path.slice(0, i).join(' '));
        group = path.slice(0, Math.max(1, path.length - 1));
      }
    }
    const missing = COMMANDS.map((c) => c.path.join(' ')).filter((name) => !covered.has(name));
    assert.deepEqual(missing, [], 'commands without a row in the README CLI table');
  });
});
