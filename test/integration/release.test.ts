/**
 * `npm run release` and a real `terraform init` from its filesystem mirror: the lock file records the package's h1:
 * hash, the provider runs with no Node on the PATH Terraform starts it with (plan and apply against a real
 * controller), the release is reproducible, and a damaged or substituted package is refused by terraform init.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import yazl from 'yazl';
import { hash1, release, ReleaseError, type ReleaseResult } from '../../bin/release';
import { startTestController, type TestController } from '../helpers/controller';
import { skipping } from '../helpers/skip';
import { describeResult, type TerraformResult } from '../helpers/terraform';

const ADDRESS = 'registry.terraform.io/prewarm/prewarm';

function terraformPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
const terraform = terraformPath();
const skip = skipping(
  process.platform !== 'linux' ? 'releases are built on Linux only' : terraform ? undefined : 'terraform is not on PATH',
  'the release tests with real terraform init',
);
const maybe = skip ? test.skip : test;

let tmp: string;
let built: ReleaseResult;
let out: string;
beforeAll(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-release-test-'));
  out = path.join(tmp, 'release');
  built = await release({ out, allowDirty: true, log: () => undefined });
}, 120_000);
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * A terraform working directory whose CLI config installs the provider from `mirror` only, run with a PATH that holds
 * terraform and nothing else: no node for the provider to lean on.
 */
function workspace(name: string, mirror: string, env: Record<string, string> = {}) {
  const dir = path.join(tmp, name);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.symlinkSync(terraform!, path.join(bin, 'terraform'));
  const cli = path.join(dir, 'cli.tfrc');
  fs.writeFileSync(
    cli,
    `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["${ADDRESS}"]\n  }\n  direct {\n    exclude = ["${ADDRESS}"]\n  }\n}\n`,
  );
  const run = (...args: string[]): Promise<TerraformResult> =>
    runProcess(
      path.join(bin, 'terraform'),
      args,
      { HOME: dir, PATH: bin, TF_CLI_CONFIG_FILE: cli, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0', ...env },
      dir,
    );
  return { dir, run, lock: () => fs.readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8') };
}

const providerOnly = `terraform {\n  required_providers {\n    prewarm = { source = "${ADDRESS}" }\n  }\n}\nprovider "prewarm" {}\n`;

/** A packed-layout mirror holding just `zip` under the release's name. */
function packedMirror(name: string, zip: string): string {
  const mirror = path.join(tmp, name, ...ADDRESS.split('/'));
  fs.mkdirSync(mirror, { recursive: true });
  fs.copyFileSync(zip, path.join(mirror, path.basename(built.zip)));
  return path.join(tmp, name);
}

describe('npm run release', () => {
  maybe('the release files: a zip with one executable, SHA256SUMS of the zip and the manifest, protocol 6.0', () => {
    const sums = fs.readFileSync(built.sums, 'utf8').trim().split('\n');
    assert.deepEqual(
      sums.map((l) => l.split(/\s+/)[1]),
      [path.basename(built.zip), path.basename(built.manifest)],
    );
    assert.deepEqual(JSON.parse(fs.readFileSync(built.manifest, 'utf8')), { version: 1, metadata: { protocol_versions: ['6.0'] } });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'network-mirror', ADDRESS, 'index.json'), 'utf8'));
    assert.deepEqual(index, { versions: { [built.version]: {} } });
    const versionFile = JSON.parse(fs.readFileSync(path.join(out, 'network-mirror', ADDRESS, `${built.version}.json`), 'utf8'));
    assert.deepEqual(versionFile.archives[built.platform], { url: path.basename(built.zip), hashes: [built.h1] });
    const unpacked = path.join(out, 'mirror', ADDRESS, built.version, built.platform, `terraform-provider-prewarm_v${built.version}`);
    assert.equal(fs.statSync(unpacked).mode & 0o777, 0o755);
    assert.equal(hash1([{ name: path.basename(unpacked), content: fs.readFileSync(unpacked) }]), built.h1);
  });

  maybe('the executable loads its runtime from the code cache the build made (V8 accepts it, and rejects no other cache)', async () => {
    const unpacked = path.join(out, 'mirror', ADDRESS, built.version, built.platform, `terraform-provider-prewarm_v${built.version}`);
    const child = spawn(unpacked, [], {
      cwd: tmp,
      env: {
        PATH: '/nonexistent',
        TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
        PLUGIN_PROTOCOL_VERSIONS: '6',
        TF_LOG_PROVIDER: 'debug',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let err = '';
      const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "Plugin server listening" line within 20 s:\n${err}`)), 20_000);
        child.stderr.setEncoding('utf8').on('data', (d: string) => {
          err += d;
          const line = err.split('\n').find((l) => l.includes('Plugin server listening'));
          if (line) {
            clearTimeout(timer);
            resolve(JSON.parse(line) as Record<string, unknown>);
          }
        });
      });
      assert.equal(listening.code_cache, 'accepted');
      // Nothing else is rejected either: Node prints this for a single executable's own cache made under other flags.
      assert.doesNotMatch(err, /Code cache data rejected/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 30_000);

  maybe(
    'reproducible: a second build of the same tree gives the same SHA256SUMS; a version already built there is refused',
    async () => {
      const again = path.join(tmp, 'again');
      const second = await release({ out: again, allowDirty: true, log: () => undefined });
      assert.equal(fs.readFileSync(second.sums, 'utf8'), fs.readFileSync(built.sums, 'utf8'));
      assert.ok(fs.readFileSync(second.tarball).equals(fs.readFileSync(built.tarball)), 'the controller package too');
      await assert.rejects(release({ out: again, allowDirty: true, log: () => undefined }), (err: unknown) => {
        assert.ok(err instanceof ReleaseError);
        assert.match(err.message, /version \d+\.\d+\.\d+ was already built there/);
        return true;
      });
    },
    120_000,
  );

  maybe(
    'terraform init installs it from the mirror and locks its h1: hash; plan and apply run it with no node on the PATH',
    async () => {
      const ctl: TestController = await startTestController();
      try {
        const ws = workspace('apply', path.join(out, 'mirror'), { PREWARM_ENDPOINT: `127.0.0.1:${ctl.running.apiPort}`, PREWARM_TOKEN: ctl.token });
        fs.writeFileSync(
          path.join(ws.dir, 'main.tf'),
          `${providerOnly}resource "prewarm_template" "t" {\n  name   = "released"\n  driver = "localdir"\n  config = { build_seconds = "0" }\n}\n`,
        );
        const init = await ws.run('init', '-no-color');
        expect({ code: init.code, out: describeResult(init) }).toMatchObject({ code: 0 });
        expect(init.stdout).toMatch(new RegExp(`Installing prewarm/prewarm v${built.version.replace(/\./g, '\\.')}`));
        const lock = ws.lock();
        expect(lock).toContain(`provider "${ADDRESS}"`);
        expect(lock).toContain(`version = "${built.version}"`);
        expect(lock).toContain(`"${built.h1}"`);
        expect(init.stderr).not.toMatch(/dev_overrides|Provider development overrides/);
        const apply = await ws.run('apply', '-auto-approve', '-no-color');
        expect({ code: apply.code, out: describeResult(apply) }).toMatchObject({ code: 0 });
        expect((await ctl.running.store.getTemplate('released')).driver).toBe('localdir');
        const plan = await ws.run('plan', '-detailed-exitcode', '-no-color');
        expect({ code: plan.code, out: describeResult(plan) }).toMatchObject({ code: 0 });
      } finally {
        await ctl.stop();
      }
    },
    120_000,
  );

  maybe(
    'terraform init refuses a damaged zip, and a package whose hash is not the one the lock file recorded',
    async () => {
      // Packed layout from the release zip: installs and locks the h1: hash.
      const good = workspace('good', packedMirror('good-mirror', built.zip));
      fs.writeFileSync(path.join(good.dir, 'main.tf'), providerOnly);
      const first = await good.run('init', '-no-color');
      expect({ code: first.code, out: describeResult(first) }).toMatchObject({ code: 0 });
      expect(good.lock()).toContain(built.h1);

      // A truncated zip.
      const damaged = path.join(tmp, 'damaged.zip');
      const bytes = fs.readFileSync(built.zip);
      fs.writeFileSync(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)));
      const broken = workspace('broken', packedMirror('broken-mirror', damaged));
      fs.writeFileSync(path.join(broken.dir, 'main.tf'), providerOnly);
      const refused = await broken.run('init', '-no-color');
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/zip|archive|Failed to install provider/i);

      // A well-formed zip holding another executable, offered to a directory whose lock file knows the real one.
      const substitute = path.join(tmp, 'substitute.zip');
      await new Promise<void>((resolve, reject) => {
        const zip = new yazl.ZipFile();
        zip.addBuffer(Buffer.from('#!/bin/sh\necho not the provider\n'), `terraform-provider-prewarm_v${built.version}`, { mode: 0o100755 });
        zip.end();
        zip.outputStream.pipe(fs.createWriteStream(substitute)).on('close', resolve).on('error', reject);
      });
      const swapped = workspace('swapped', packedMirror('swapped-mirror', substitute));
      fs.writeFileSync(path.join(swapped.dir, 'main.tf'), providerOnly);
      fs.copyFileSync(path.join(good.dir, '.terraform.lock.hcl'), path.join(swapped.dir, '.terraform.lock.hcl'));
      const mismatch = await swapped.run('init', '-no-color');
      expect(mismatch.code).not.toBe(0);
      expect(mismatch.stderr).toMatch(/checksum|doesn't match any of the checksums/i);
    },
    120_000,
  );

  maybe(
    'the controller package installs with npm install -g on its own (SQLite built on install) and its prewarm runs the quickstart',
    async () => {
      const prefix = path.join(tmp, 'global');
      const npm = await runProcess('npm', ['install', '-g', '--prefix', prefix, built.tarball, '--no-audit', '--no-fund', '--loglevel=error'], {
        ...process.env,
        npm_config_nodedir: process.env.npm_config_nodedir ?? '/usr',
      });
      expect({ code: npm.code, out: npm.stderr.slice(-2000) }).toMatchObject({ code: 0 });
      const prewarm = path.join(prefix, 'bin', 'prewarm');
      const installed = path.join(prefix, 'lib', 'node_modules', 'prewarm');
      // Only what the package itself brings: no checkout, no development packages on the module path.
      const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: tmp };
      const version = await runProcess(prewarm, ['version'], env);
      expect(version.stdout).toMatch(new RegExp(`^prewarm ${built.version.replace(/\./g, '\\.')} `));
      const run = path.join(tmp, 'global-run');
      fs.mkdirSync(run);
      const controller = spawn(
        prewarm,
        [
          'controller',
          '--database', `sqlite:${path.join(run, 'prewarm.db')}`,
          '--apply', path.join(installed, 'examples/quickstart'),
          '--driver-dir', path.join(installed, 'examples/drivers'),
          '--listen', '127.0.0.1:0',
          '--ops-listen', '127.0.0.1:0',
        ],
        { cwd: run, env: { ...env, PREWARM_STATE_DIR: path.join(run, 'state') }, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      controller.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => controller.on('exit', (code) => resolve(code)));
      try {
        const deadline = Date.now() + 30_000;
        while (!/"msg":"create finished"/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        expect(stderr).toMatch(/"msg":"controller started"/);
        expect(stderr).toMatch(/"msg":"create finished"/);
      } finally {
        controller.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    300_000,
  );

  maybe('a dirty work tree is refused unless --allow-dirty', async () => {
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: path.resolve(__dirname, '../..'), encoding: 'utf8' }).trim() !== '';
    if (!dirty) {
      // A clean checkout (CI): the refusal is for a tree with changes; make one that git reports and remove it after.
      const marker = path.resolve(__dirname, '../../release-dirty-tree-check.tmp');
      fs.writeFileSync(marker, 'x');
      try {
        await assertRefusedDirty();
      } finally {
        fs.rmSync(marker, { force: true });
      }
    } else {
      await assertRefusedDirty();
    }
  });
});

async function assertRefusedDirty(): Promise<void> {
  await assert.rejects(release({ out: path.join(tmp, 'dirty'), allowDirty: false, log: () => undefined }), (err: unknown) => {
    assert.ok(err instanceof ReleaseError);
    assert.match(err.message, /the work tree has uncommitted changes/);
    return true;
  });
  assert.equal(fs.existsSync(path.join(tmp, 'dirty')), false, 'nothing was written');
}

function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd?: string): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
